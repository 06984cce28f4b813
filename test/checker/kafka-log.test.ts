import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { logFile, type RecordBatch } from '../../src/kafka/records.js';
import { Cluster, records, stories, TOPIC } from './kafka-log-fixture.js';

/** Three replicas, leader b1 (epoch 1): p1#1..5 replicated and committed everywhere. */
function committedFive(): Cluster {
  const c = new Cluster();
  c.at(0).election(1, 1, [1, 2, 3]);
  c.at(10).send('p1', 1, 5).append([1, 2, 3], records('p1', 1, 5)).hw([1, 2, 3], 5).ack('p1', 1, 5, 0);
  return c;
}

describe('checker: log', () => {
  test('checker: log: a clean run with three identical replicas reports nothing, and counts its messages', () => {
    const c = committedFive();
    c.at(20).send('p2', 1, 3, 0, 'k1').append([1, 2, 3], records('p2', 1, 3, 'k1')).hw([1, 2], 8).hw([3], 7).ack('p2', 1, 3, 5);
    const out = c.finish();
    // Every acknowledged message stands once, in send order, and all replicas agree below the
    // high watermark; a follower whose high watermark lags (b3 at 7) is behind, not divergent.
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.instances).toEqual([]);
    expect(out.messages).toEqual({ sent: 8, acked: 8, failed: 0, inLog: 8, processed: 0 });
  });

  test('checker: log: an acknowledged message missing from the final log is lost, with its story', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
    // acks=1: b1 acknowledges its own write; the followers never fetch it.
    c.at(20).send('p1', 4, 5).append([1], records('p1', 4, 5)).ack('p1', 4, 5, 3);
    c.at(30).kill(1);
    c.at(31).election(2, 2, [2, 3]);
    c.at(40).send('p2', 1).append([2, 3], records('p2', 1), 2).hw([2, 3], 4).ack('p2', 1, 1, 3);
    c.at(50).restart(1).truncate(1, 3, 3).append([1], records('p2', 1), 2).hw([1], 4);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 2 });
    expect(out.instances.map((i) => i.summary)).toEqual([
      'p1#4 was acknowledged at offset 3 and is not in the final log of orders-0',
      'p1#5 was acknowledged at offset 4 and is not in the final log of orders-0',
    ]);
    const story = out.instances[0]!.story;
    expect(story.map((line) => [line.atUs / 1000, line.text])).toEqual([
      [20, 'p1 sent p1#4 to orders-0'],
      [20, 'p1 was told p1#4 succeeded at offset 3; the leader then was b1 (epoch 1)'],
      [30, 'fault (scripted): kill b1'],
      [31, 'controller b1 elected b2 leader of orders-0 (epoch 2, clean, ISR [b2 b3], broker-failure)'],
      [50, 'b1 truncated orders-0 from 5 to 3 (leader-epoch; its high watermark 3)'],
      [50, 'the final log of orders-0 (leader b2, epoch 2, high watermark 4) has p2#1 at offset 3'],
    ]);
    expect(stories(out, 'lost')[1]!.at(-1)).toBe('the final log of orders-0 (leader b2, epoch 2, high watermark 4) has no record at offset 4 from p1#5');
  });

  test('checker: log: the ack line names the leader the producer sent to when its metadata was traced', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.other({ kind: 'producer.metadata', producer: 'p1', topic: TOPIC, partition: 0, leader: 1, leaderEpoch: 1 });
    c.at(10).send('p1', 1).append([1], records('p1', 1)).ack('p1', 1, 1, 0);
    c.at(20).kill(1).election(2, 2, [2, 3]);
    c.at(30).append([2, 3], records('p2', 1), 2).hw([2, 3], 1);
    const [story] = stories(c.finish(), 'lost');
    expect(story).toContain("p1 was told p1#1 succeeded at offset 0, from leader b1 (epoch 1, as p1's metadata had it)");
  });

  test('checker: log: the story of a loss under acks=all tells the ISR shrinking to the leader alone', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    // min.insync.replicas=1: with the followers out of the ISR, acks=all waits for b1 alone.
    c.at(5).other({ kind: 'isr.shrink', broker: 1, topic: TOPIC, partition: 0, leaderEpoch: 1, isr: [1], removed: [2, 3], lagMs: 30_000 });
    c.at(10).send('p1', 1).append([1], records('p1', 1)).hw([1], 1).ack('p1', 1, 1, 0);
    c.at(20).kill(1).election(2, 2, [2], { unclean: true });
    const [story] = stories(c.finish(), 'lost');
    // The shrink came before the send: the story starts at the send, so it is not told...
    expect(story!.some((line) => line.includes('shrank'))).toBe(false);
    const d = new Cluster();
    d.at(0).election(1, 1, [1, 2, 3]);
    d.at(10).send('p1', 1);
    d.at(11).other({ kind: 'isr.shrink', broker: 1, topic: TOPIC, partition: 0, leaderEpoch: 1, isr: [1], removed: [2, 3], lagMs: 30_000 });
    d.at(12).append([1], records('p1', 1)).hw([1], 1).ack('p1', 1, 1, 0);
    d.at(20).kill(1).election(2, 2, [2], { unclean: true });
    // ...while a shrink between the send and the loss is.
    expect(stories(d.finish(), 'lost')[0]).toContain('b1 shrank the ISR of orders-0 to [b1] (removed [b2 b3], lagging 30000 ms; epoch 1)');
  });

  test('checker: log: a message never answered ("maybe sent") or told failure is not lost; one in the log without an answer is fine', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 5).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    c.at(20).fail('p1', 3); // told failure: the application knows it may have to send again
    // p1#4: no answer at all (a timeout, a crash): maybe sent. p1#5 reached the log, unanswered.
    c.at(30).append([1, 2, 3], records('p1', 5)).hw([1, 2, 3], 3);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages).toEqual({ sent: 5, acked: 2, failed: 1, inLog: 3, processed: 0 });
  });

  test('checker: log: acks=0 (offset -1) counts as told success: missing from the log, it is lost', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    // acks=0: the producer reports success at once, with no offset.
    c.at(10).send('p1', 1, 3).ack('p1', 1, 3, -1);
    c.at(11).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2); // p1#3 never reached b1
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
    expect(out.messages.acked).toBe(3);
    const [story] = stories(out, 'lost');
    expect(story).toContain('p1 was told p1#3 succeeded with no offset (acks=0: nobody waited for the broker); the leader then was b1 (epoch 1)');
    expect(story!.at(-1)).toBe('the final log of orders-0 (leader b1, epoch 1, high watermark 2) does not hold p1#3 at any offset');
    expect(out.instances[0]!.summary).toBe('p1#3 was acknowledged (acks=0) and is not in the final log of orders-0');
  });

  test('checker: log: a retry after a lost ack duplicates its batch; the copies are duplicated, not reordered', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3);
    // The response is lost; without idempotence the retry is appended again.
    c.at(40).retry('p1', 1, 3, 'REQUEST_TIMED_OUT');
    c.at(41).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 6).ack('p1', 1, 3, 3);
    c.at(50).send('p1', 4).append([1, 2, 3], records('p1', 4)).hw([1, 2, 3], 7).ack('p1', 4, 4, 6);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), duplicated: 3 });
    expect(out.messages.inLog).toBe(4);
    expect(out.instances[0]!.summary).toBe('p1#1 stands at 2 offsets (0, 3) of the final log of orders-0');
    expect(stories(out, 'duplicated')[0]).toEqual([
      'p1 sent p1#1 to orders-0',
      'p1 retried #1..3 to orders-0 after REQUEST_TIMED_OUT (attempt 1)',
      'p1 was told p1#1 succeeded at offset 3; the leader then was b1 (epoch 1)',
      'p1#1 stands at offsets 0 and 3 of the final log of orders-0 (leader b1, epoch 1, high watermark 7)',
    ]);
  });

  test('checker: log: a retried batch appended after a later one is reordered (max.in.flight > 1, no idempotence)', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 4);
    // Batch p1#1..2 is rejected, batch p1#3..4 (in flight beside it) is appended; then the retry.
    c.at(11).retry('p1', 1, 2, 'NOT_ENOUGH_REPLICAS');
    c.at(11).append([1, 2, 3], records('p1', 3, 4)).hw([1, 2, 3], 2).ack('p1', 3, 4, 0);
    c.at(20).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 4).ack('p1', 1, 2, 2);
    // Another producer's lower seqs after p1's are no reordering: order is per producer.
    c.at(30).send('p2', 1).append([1, 2, 3], records('p2', 1)).hw([1, 2, 3], 5).ack('p2', 1, 1, 4);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), reordered: 2 });
    expect(out.instances.map((i) => i.summary)).toEqual([
      'p1#1 stands at offset 2, after p1#4 at offset 1, in the final log of orders-0',
      'p1#2 stands at offset 3, after p1#4 at offset 1, in the final log of orders-0',
    ]);
    const [story] = stories(out, 'reordered');
    expect(story).toContain('p1 retried #1..2 to orders-0 after NOT_ENOUGH_REPLICAS (attempt 1)');
    expect(story!.at(-1)).toBe('p1#1 stands at offset 2, after p1#4 at offset 1, in the final log of orders-0 (leader b1, epoch 1, high watermark 5)');
  });

  test('checker: log: after a truncation below the high watermark a different record committed at that offset is inconsistent, once per offset', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 2).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    // b3 has fallen out of the ISR; b1 and b2 commit p1#3..4.
    c.at(20).send('p1', 3, 4).append([1, 2], records('p1', 3, 4)).hw([1, 2], 4).ack('p1', 3, 4, 2);
    c.at(30).kill(1).kill(2).offline([1, 2]);
    c.at(40).election(3, 2, [3], { unclean: true });
    c.at(41).send('p2', 1, 2).append([3], records('p2', 1, 2), 2);
    // b1 comes back, truncates below its high watermark to follow b3, and copies b3's records.
    c.at(50).restart(1).truncate(1, 2, 4).append([1], records('p2', 1, 2), 2);
    c.at(51).hw([3, 1], 4).ack('p2', 1, 2, 2);
    c.at(60).restart(2).truncate(2, 2, 4).append([2], records('p2', 1, 2), 2).hw([2], 4);
    const out = c.finish();
    // Offsets 2 and 3 each held two committed records; b1, b2 and b3 showing it counts once.
    expect(out.anomalies).toEqual({ ...zeroCounts(), inconsistent: 2, lost: 2 });
    const inconsistent = out.instances.filter((i) => i.anomaly === 'inconsistent');
    expect(inconsistent[0]!.summary).toBe('two different records at offset 2 of orders-0: p1#3 (b1) and p2#1 (b3)');
    expect(inconsistent[0]!.story.map((line) => line.text)).toEqual([
      'controller b1 elected b1 leader of orders-0 (epoch 1, clean, ISR [b1 b2 b3], new-topic)',
      'orders-0 went offline: no replica of ISR [b1 b2] is alive to lead (controller b2)',
      'controller b1 elected b3 leader of orders-0 (epoch 2, unclean, ISR [b3], broker-failure)',
      'b1 truncated orders-0 from 4 to 2 (leader-epoch; its high watermark 4)',
      'b3 holds p2#1 at offset 2 of orders-0 below its high watermark 4, where b1 had held p1#3 below its high watermark: two records committed at one offset',
    ]);
  });

  test('checker: log: no inconsistency when a truncation only cuts records above the high watermark', () => {
    const c = committedFive();
    c.at(20).send('p1', 6, 7).append([1], records('p1', 6, 7)); // uncommitted, never acknowledged
    c.at(30).kill(1).election(2, 2, [2, 3]);
    c.at(40).send('p2', 1, 2).append([2, 3], records('p2', 1, 2), 2).hw([2, 3], 7).ack('p2', 1, 2, 5);
    c.at(50).restart(1).truncate(1, 5, 5).append([1], records('p2', 1, 2), 2).hw([1], 7);
    expect(c.finish().anomalies).toEqual(zeroCounts());
  });

  test('checker: log: a power loss that takes committed records from every replica, then new records there: inconsistent and lost', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 4).append([1, 2, 3], records('p1', 1, 2)).flush(1).flush(2).flush(3);
    c.append([1, 2, 3], records('p1', 3, 4)).hw([1, 2, 3], 4).ack('p1', 1, 4, 0); // never flushed
    c.at(20).power(1).power(2).power(3);
    c.at(30).restart(1).restart(2).restart(3).election(1, 2, [1, 2, 3]);
    c.at(40).send('p2', 1, 2).append([1, 2, 3], records('p2', 1, 2), 2).hw([1, 2, 3], 4).ack('p2', 1, 2, 2);
    const out = c.finish();
    // The replicas agree at the end; only the online reading saw p1#3..4 committed at 2..3.
    expect(out.anomalies).toEqual({ ...zeroCounts(), inconsistent: 2, lost: 2 });
    expect(stories(out, 'lost')[0]).toContain('power loss on b1: 1 unflushed disk write gone');
  });

  test('checker: log: final logs holding different records below both high watermarks are inconsistent even unseen online, and the live replica divergent', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    // b2 reports a high watermark past its log end, so online reading stops at its end...
    c.at(20).hw([2], 3);
    // ...and the record it then takes at offset 2 is read only at the end.
    c.at(21).append([1], records('p1', 3)).append([2], records('p9', 1)).hw([1], 3).ack('p1', 3, 3, 2);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), inconsistent: 1, divergent: 1 });
    const texts = out.instances.map((i) => i.story.at(-1)!.text);
    expect(texts).toEqual([
      'at the end b1 holds p1#3 and b2 holds p9#1 at offset 2 of orders-0, below both their high watermarks (3 and 3)',
      "b2's log of orders-0 (high watermark 3) disagrees with the final log of orders-0 (leader b1, epoch 1, high watermark 3) at 1 offsets below 3; first at offset 2: b2 has p9#1, b1 has p1#3",
    ]);
  });

  test('checker: log: a replica that disagrees below the high watermark is divergent while alive, not when down at the end', () => {
    const build = (b3Up: boolean): Cluster => {
      const c = new Cluster();
      c.at(0).election(1, 1, [1, 2, 3]);
      c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 2));
      c.append([1, 2], records('p1', 3)).append([3], records('p8', 1)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
      if (!b3Up) c.at(20).kill(3);
      return c;
    };
    // The disagreement is an inconsistency either way; divergence is about the replicas left running.
    expect(build(true).finish().anomalies).toEqual({ ...zeroCounts(), inconsistent: 1, divergent: 1 });
    expect(build(false).finish().anomalies).toEqual({ ...zeroCounts(), inconsistent: 1 });
  });

  test('checker: log: a partition offline at the end is judged on the replica with the highest high watermark, and its stories say so', () => {
    const c = new Cluster();
    c.at(0).election(2, 1, [2, 1, 3]);
    c.at(10).send('p1', 1, 4).append([2, 1, 3], records('p1', 1, 2)).hw([2, 1, 3], 2).ack('p1', 1, 2, 0);
    // b1 falls behind; b2 and b3 commit p1#3..4.
    c.at(20).append([2, 3], records('p1', 3, 4)).hw([2, 3], 4).ack('p1', 3, 4, 2);
    c.flush(2);
    c.at(25).send('p1', 5).append([2], records('p1', 5)).ack('p1', 5, 5, 4); // acks=1, in b2's page cache only
    c.at(30).power(2).kill(3).offline([2, 3]);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
    const [story] = stories(out, 'lost');
    expect(story).toContain(
      "orders-0 is offline at the end (last leader b2, epoch 1): with no leader to read, its final log is b2's, the replica with the highest high watermark (4)",
    );
    expect(story!.at(-1)).toBe("the final log of orders-0 (no leader; b2's, high watermark 4) has no record at offset 4 from p1#5");
  });

  // Kept on the final leader's log, only above its high watermark when the run ends (a leader that
  // holds its high watermark, KAFKA-15583, or an ISR that never grew back): unreadable, not lost.
  test('checker: log: an acknowledged message kept above the final high watermark is not lost; it is counted apart', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
    // acks=1 answered while the leader's high watermark stays at 3: p1#4 is on b1's log at offset 3, above it.
    c.at(20).send('p1', 4).append([1], records('p1', 4)).ack('p1', 4, 4, 3);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(3);
    expect(c.checker.acknowledgedAboveHighWatermark()).toBe(1);
  });

  test('checker: log: records removed by retention after they were committed are not lost', () => {
    const c = committedFive();
    for (const broker of [1, 2, 3]) {
      // Retention deleted the first segment: the log now starts at offset 3.
      const file = logFile(c.world.disk(`b${broker}`), TOPIC, 0);
      const kept: RecordBatch = { ...file.at(0), baseOffset: 3, records: records('p1', 4, 5) };
      file.overwrite([kept]);
    }
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(2);
  });

  test('checker: log: the observer only reads: a high watermark for a partition with no log creates no file', () => {
    const c = new Cluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3], { partition: 1 }).hw([1, 2, 3], 0, 1);
    c.other({ kind: 'proc.pause', node: 'b2' });
    c.hw([1], 4, 1); // a broker reporting past a log it does not have
    expect(c.world.disk('b1').fileNames()).toEqual([]);
    expect(c.finish().anomalies).toEqual(zeroCounts());
    expect(c.world.disk('b1').fileNames()).toEqual([]);
  });

  test('checker: log: a partition the layout did not name (added during the run) is learnt from its events', () => {
    const c = new Cluster({ partitions: 1 });
    c.at(0).election(2, 1, [2, 3], { partition: 1 });
    c.at(10).send('p1', 1, 2, 1).append([2, 3], records('p1', 1, 2), 1, 1).hw([2, 3], 2, 1).ack('p1', 1, 2, 0, 1);
    c.at(20).send('p1', 3, 3, 1).ack('p1', 3, 3, 2, 1); // acknowledged, never written: lost
    c.append([3], records('p9', 1), 1, 1).hw([3], 3, 1); // b3 alone holds a record past the leader's end
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1 });
    expect(out.instances[0]!.story.at(-1)!.text).toBe('the final log of orders-1 (leader b2, epoch 1, high watermark 2) has no record at offset 2 from p1#3');
  });

  test('checker: log: at most five stories per anomaly, every instance counted', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 8).ack('p1', 1, 8, -1); // acks=0, none reached a broker
    const out = c.finish();
    expect(out.anomalies.lost).toBe(8);
    expect(out.instances).toHaveLength(5);
  });
});
