// The log checker's choices that decide a verdict without showing in a story: which replica's
// log is the final one, what a high watermark commits, where reading starts again, and what
// counts as two records at one offset. Each test builds the near miss the checker must tell apart.
import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { logFile, type RecordBatch } from '../../src/kafka/records.js';
import { Cluster, records, stories, TOPIC } from './kafka-log-fixture.js';

/** Leader b1 (epoch 1) of orders-0 with p1#1..n replicated, committed and acknowledged on b1..b3. */
function committed(n: number): Cluster {
  const c = new Cluster();
  c.at(0).election(1, 1, [1, 2, 3]);
  c.at(10).send('p1', 1, n).append([1, 2, 3], records('p1', 1, n)).hw([1, 2, 3], n).ack('p1', 1, n, 0);
  return c;
}

describe('checker: log: final log', () => {
  test('checker: log: final log: the final leader\'s log is judged, even when a dead replica holds a higher high watermark', () => {
    const c = committed(3);
    // The followers left the ISR: b1 acknowledges p1#4..5 alone (min.insync.replicas=1), then dies.
    c.at(20).send('p1', 4, 5).append([1], records('p1', 4, 5)).hw([1], 5).ack('p1', 4, 5, 3);
    c.at(30).kill(1).election(2, 2, [2], { unclean: true });
    c.at(40).send('p2', 1).append([2, 3], records('p2', 1), 2).hw([2, 3], 4).ack('p2', 1, 1, 3);
    const out = c.finish();
    // b2 leads at the end: p1#4..5 are gone from what a consumer can read, though b1's disk (HW 5) keeps them.
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 2, inconsistent: 1 });
    expect(out.messages.inLog).toBe(4);
    expect(stories(out, 'lost')[0]!.at(-1)).toBe('the final log of orders-0 (leader b2, epoch 2, high watermark 4) has p2#1 at offset 3');
  });

  test('checker: log: final log: a broker taking the lead with a newer epoch moves the final log; a late LeaderAndIsr of an older epoch does not', () => {
    const build = (late: boolean): Cluster => {
      const c = committed(2);
      // acks=1 with b1 alone in the ISR: p1#3 committed on b1 only.
      c.at(20).send('p1', 3).append([1], records('p1', 3)).hw([1], 3).ack('p1', 3, 3, 2);
      c.at(30).kill(1);
      // b2 takes the lead of epoch 2 (its leader event, the trace's only word of it here)...
      c.other({ kind: 'leader', broker: 2, topic: TOPIC, partition: 0, leaderEpoch: 2, isr: [2, 3] });
      // ...and b1's lead of epoch 1, recorded late, is stale.
      if (late) c.other({ kind: 'leader', broker: 1, topic: TOPIC, partition: 0, leaderEpoch: 1, isr: [1, 2, 3] });
      return c;
    };
    for (const late of [false, true]) {
      const out = build(late).finish();
      expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
      expect(stories(out, 'lost')[0]!.at(-1)).toBe('the final log of orders-0 (leader b2, epoch 2, high watermark 2) has no record at offset 2 from p1#3');
    }
  });

  // The controller's election is what moves the lead, whether or not the new leader traced taking
  // it (it may never have received its LeaderAndIsr); and an election ends an offline spell.
  test('checker: log: final log: an election moves the final log to its leader even when no broker traced taking the lead', () => {
    const c = committed(2);
    c.at(20).send('p1', 3).append([1], records('p1', 3)).hw([1], 3).ack('p1', 3, 3, 2); // b1 alone in the ISR
    c.at(30).kill(1).offline([1]);
    c.at(40).other({ kind: 'election', controller: 2, controllerEpoch: 2, topic: TOPIC, partition: 0, leader: 2, leaderEpoch: 2, isr: [2], unclean: true, reason: 'broker-failure' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
    expect(stories(out, 'lost')[0]!.at(-1)).toBe('the final log of orders-0 (leader b2, epoch 2, high watermark 2) has no record at offset 2 from p1#3');
  });

  // Offline, a LeaderAndIsr of the epoch the partition had, arriving late at a broker, leads nothing.
  test('checker: log: final log: offline, a late lead of the last epoch does not end the offline spell', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 2)).flush(1).append([1, 2, 3], records('p1', 3)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
    // b1's power loss takes p1#3 from its disk; b2 and b3 still hold all three.
    c.at(20).power(1).kill(2).kill(3).offline([1, 2, 3]);
    c.at(30).restart(1).other({ kind: 'leader', broker: 1, topic: TOPIC, partition: 0, leaderEpoch: 1, isr: [1, 2, 3] });
    const out = c.finish();
    // Judged on the highest high watermark (b2's 3), not on b1's shortened log: nothing lost.
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(3);
  });

  test('checker: log: final log: with no leader at the end, the replica with the highest high watermark is judged, whichever it is', () => {
    const c = committed(2);
    c.at(20).send('p1', 3, 4).append([1, 2], records('p1', 3)).hw([1, 2], 3).ack('p1', 3, 3, 2);
    c.append([1], records('p1', 4)).hw([1], 4).ack('p1', 4, 4, 3);
    c.at(30).kill(1).kill(2).kill(3).offline([1]);
    // b1 (HW 4) holds everything acknowledged; b2 (HW 3) and b3 (HW 2) hold less.
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(4);
  });

  test('checker: log: final log: a partition that never had a leader elected is judged on its highest high watermark, and its stories say so', () => {
    const c = new Cluster();
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2], 2).ack('p1', 1, 3, 0);
    const out = c.finish();
    // p1#3 was told success and is nowhere; p1#1..2 stand on b1, the first replica with HW 2.
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
    const [story] = stories(out, 'lost');
    expect(story).toContain("orders-0 never had a leader elected: with no leader to read, its final log is b1's, the replica with the highest high watermark (2)");
    expect(story!.at(-1)).toBe("the final log of orders-0 (no leader; b1's, high watermark 2) has no record at offset 2 from p1#3");
  });

  // The controller's ISR change bumps the leader epoch and keeps the leader (KafkaController's
  // shrink on a broker failure): the final log is still that leader's, in its new epoch.
  test('checker: log: final log: an ISR change by the controller keeps the leader and moves its epoch; a stale one does neither', () => {
    const c = committed(2);
    c.at(20).other({ kind: 'controller.isr', controller: 2, topic: TOPIC, partition: 0, leader: 1, leaderEpoch: 3, isr: [1, 2], reason: 'broker-failure' });
    c.other({ kind: 'controller.isr', controller: 2, topic: TOPIC, partition: 0, leader: 3, leaderEpoch: 2, isr: [3], reason: 'broker-failure' }); // older epoch
    c.at(30).send('p1', 3).ack('p1', 3, 3, 2); // acknowledged, written nowhere
    expect(stories(c.finish(), 'lost')[0]!.at(-1)).toBe('the final log of orders-0 (leader b1, epoch 3, high watermark 2) has no record at offset 2 from p1#3');
  });

  // Kafka's Log.truncateTo takes the high watermark down with the log end: what a follower copies
  // after it is not committed until a high watermark covers it.
  test('checker: log: final log: a truncation below the high watermark takes the high watermark with it', () => {
    const c = committed(3);
    c.at(20).send('p1', 4, 5).append([1], records('p1', 4, 5)).hw([1], 5).ack('p1', 4, 5, 3);
    c.at(30).kill(1).election(2, 2, [2, 3], { unclean: true });
    c.at(40).send('p2', 1, 2).append([2], records('p2', 1, 2), 2).ack('p2', 1, 2, 3); // acks=1: b2's HW stays 3
    c.at(50).restart(1).truncate(1, 3, 5).append([1], records('p2', 1, 2), 2);
    c.at(60).kill(2).election(1, 3, [1], { unclean: true });
    const out = c.finish();
    // b1 leads with HW 3: p2#1..2 stand above it (kept, unreadable), p1#4..5 were cut.
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 2 });
    expect(out.messages.inLog).toBe(3);
    expect(c.checker.acknowledgedAboveHighWatermark()).toBe(2);
  });

  // KAFKA-15583: a leader holding its high watermark at 0 keeps an acks=1 write above it.
  test('checker: log: final log: an acknowledged message above a high watermark of 0 is kept, not lost', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1).append([1], records('p1', 1)).ack('p1', 1, 1, 0);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(0);
    expect(c.checker.acknowledgedAboveHighWatermark()).toBe(1);
  });
});

describe('checker: log: committed records', () => {
  test('checker: log: committed records: a high watermark inside a batch commits the records below it only', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    // b1 holds p1#1..3 in one batch; the followers fetched p1#1..2 only: HW 2, inside b1's batch.
    c.at(10).send('p1', 1, 3).append([1], records('p1', 1, 3)).append([2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    c.at(20).kill(1).election(2, 2, [2, 3]);
    c.at(30).send('p2', 1).append([2, 3], records('p2', 1), 2).hw([2, 3], 3).ack('p2', 1, 1, 2);
    // p1#3 at offset 2 was never committed (nor acknowledged): p2#1 there is no inconsistency.
    expect(c.finish().anomalies).toEqual(zeroCounts());
  });

  // Seen online only: the replicas that held the first record truncate and copy the second, so
  // the final logs agree.
  test('checker: log: committed records: another record of the same producer, or another producer\'s of the same seq, at a committed offset is inconsistent', () => {
    const build = (producer: string, seq: number): Cluster => {
      const c = committed(2);
      c.at(20).send('p1', 3).append([1, 2], records('p1', 3)).hw([1, 2], 3).ack('p1', 3, 3, 2);
      c.at(30).kill(1).kill(2).offline([1, 2]);
      c.at(40).election(3, 2, [3], { unclean: true });
      c.at(41).send(producer, seq).append([3], records(producer, seq), 2).hw([3], 3).ack(producer, seq, seq, 2);
      c.at(50).restart(1).truncate(1, 2, 3).append([1], records(producer, seq), 2).hw([1], 3);
      c.at(51).restart(2).truncate(2, 2, 3).append([2], records(producer, seq), 2).hw([2], 3);
      return c;
    };
    for (const [producer, seq] of [['p1', 4], ['p2', 3]] as const) {
      const out = build(producer, seq).finish();
      expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1, inconsistent: 1 });
      expect(out.instances.find((i) => i.anomaly === 'inconsistent')!.summary).toBe(`two different records at offset 2 of orders-0: p1#3 (b1) and ${producer}#${seq} (b3)`);
    }
  });

  test('checker: log: committed records: two replicas holding different records at offset 0 are inconsistent, and the live one divergent', () => {
    // Another producer's record, or the same producer's next one, at offset 0 on b2.
    for (const [producer, seq] of [['p9', 1], ['p1', 2]] as const) {
      const c = new Cluster();
      c.at(0).election(1, 1, [1, 2, 3]);
      // b2 reports a high watermark before it holds offset 0, so only the final logs show its record.
      c.at(10).send('p1', 1).hw([2], 1).append([1, 3], records('p1', 1)).append([2], records(producer, seq)).hw([1, 3], 1).ack('p1', 1, 1, 0);
      const out = c.finish();
      expect(out.anomalies).toEqual({ ...zeroCounts(), inconsistent: 1, divergent: 1 });
      expect(out.instances.find((i) => i.anomaly === 'divergent')!.summary).toBe("at the end b2's log of orders-0 disagrees with b1's at 1 offsets below the high watermark 1");
    }
  });

  // Retention runs on each broker on its own schedule: a segment gone from one replica is a hole, not a disagreement.
  test('checker: log: committed records: a segment deleted on the leader only is no divergence, and its messages are not lost', () => {
    const c = committed(5);
    const file = logFile(c.world.disk('b1'), TOPIC, 0);
    const kept: RecordBatch = { ...file.at(0), baseOffset: 3, records: records('p1', 4, 5) };
    file.overwrite([kept]);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(2);
  });

  test('checker: log: committed records: a power loss on a broker with no log of a partition creates none', () => {
    const c = new Cluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3]).election(1, 1, [1, 2], { partition: 1 });
    c.at(10).send('p1', 1, 2).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    c.at(20).power(3);
    expect(c.world.disk('b3').fileNames().filter((name) => name.includes(`${TOPIC}-1`))).toEqual([]);
    expect(c.finish().anomalies).toEqual(zeroCounts());
  });

  // The ledger keeps what the application was told: success, once told, stays (a later failure
  // callback of the same message does not undo it), and the message's key goes with its story.
  test('checker: log: committed records: an acknowledged message later told failure still counts as acknowledged', () => {
    const c = committed(2);
    c.at(20).send('p1', 3, 3, 0, 'k7').ack('p1', 3, 3, 2).fail('p1', 3);
    c.at(21).send('p1', 4, 4, 0, 'k8').fail('p1', 4).ack('p1', 4, 4, 3);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 2 });
    expect(out.messages).toEqual({ sent: 4, acked: 4, failed: 0, inLog: 2, processed: 0 });
    expect(stories(out, 'lost').map((story) => story[0])).toEqual(['p1 sent p1#3 (key k7) to orders-0', 'p1 sent p1#4 (key k8) to orders-0']);
  });

  // The checker's arrays start small (64 seqs, 256 offsets, 64 processed seqs, 16 commits) and grow.
  test('checker: log: committed records: hundreds of messages and commits past every initial capacity are all followed', () => {
    const c = committed(300);
    c.at(20).send('p1', 301, 520).append([1, 2, 3], records('p1', 301, 520)).hw([1, 2, 3], 520).ack('p1', 301, 520, 300);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages).toEqual({ sent: 520, acked: 520, failed: 0, inLog: 520, processed: 0 });
    // One more at offset 520, acknowledged, never written: exactly it is lost.
    const d = committed(300);
    d.at(20).send('p1', 301, 521).append([1, 2, 3], records('p1', 301, 520)).hw([1, 2, 3], 520).ack('p1', 301, 521, 300);
    expect(d.finish().instances.map((i) => i.summary)).toEqual(['p1#521 was acknowledged at offset 520 and is not in the final log of orders-0']);
  });
});
