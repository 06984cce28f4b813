import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import type { CheckOutcome } from '../../src/checker/outcome.js';
import { GroupCluster, GROUP, p1 } from './consumer-fixture.js';
import { Cluster, records, stories, TOPIC } from './kafka-log-fixture.js';

/** Leader b1 (epoch 1) of orders-0 holding p1#1..n committed on all three replicas; b1 coordinates the group. */
function committed(n: number, options: { partitions?: number; offsetsPartitions?: number } = {}): GroupCluster {
  const c = new GroupCluster(options);
  c.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
  c.at(10).send('p1', 1, n).append([1, 2, 3], records('p1', 1, n)).hw([1, 2, 3], n).ack('p1', 1, n, 0);
  return c;
}

/** billing-1 joins generation 1 alone and owns orders-0, starting at `offset`. */
function firstGeneration(c: GroupCluster, offset = 0, source: 'committed' | 'reset-earliest' | 'reset-latest' = 'reset-earliest'): GroupCluster {
  c.at(100).join('billing-1', 'initial join').rebalance(1, 0, 'billing-1 joined');
  c.generation(1, 1, [['billing-1', [0]]]).assigned('billing-1', 1, [0]).position('billing-1', 0, offset, source);
  return c;
}

function texts(out: CheckOutcome, anomaly: string): string[] {
  return stories(out, anomaly)[0] ?? [];
}

describe('checker: consumer', () => {
  test('checker: consumer: with no groups in the layout nothing is reported and processed is 0, as before', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
    // Consumer events without a group in the layout are not followed (the runner has not wired it).
    c.other({ kind: 'app.processed', group: GROUP, member: 'billing-1', generation: 1, topic: TOPIC, partition: 0, offset: 5, producer: 'p1', seq: 1, highWatermark: 3, lastStableOffset: 3 });
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages).toEqual({ sent: 3, acked: 3, failed: 0, inLog: 3, processed: 0 });
  });

  test('checker: consumer: a group that processed everything and committed the end reports nothing, and counts what it processed', () => {
    const c = firstGeneration(committed(4));
    c.at(110).process('billing-1', 1, 0, 3, p1).commit('billing-1', 1, [[0, 4]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages).toEqual({ sent: 4, acked: 4, failed: 0, inLog: 4, processed: 4 });
    // No consumer events at all (a group that never ran) leave the four consumer anomalies at zero on an empty log.
    const empty = new GroupCluster();
    empty.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
    expect(empty.finish()).toMatchObject({ anomalies: zeroCounts(), instances: [], messages: { sent: 0, acked: 0, failed: 0, inLog: 0, processed: 0 } });
  });

  test('checker: consumer: committing before processing, then a crash: the messages past the last processed are unprocessed, and the story names the commit and the crash', () => {
    const c = firstGeneration(committed(6));
    c.at(110).process('billing-1', 1, 0, 2, p1);
    // commit before processing: the poll returned offsets 3..5 and the member commits 6 first.
    c.at(120).commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    c.at(125).process('billing-1', 1, 3, 3, p1);
    c.at(130).killNode('billing-1');
    c.at(175).memberRemoved(1, 'billing-1', 1, 'session-timeout').rebalance(1, 1, 'removing member billing-1-id on heartbeat expiration');
    c.at(176).join('billing-2', 'initial join').generation(1, 2, [['billing-2', [0]]]).assigned('billing-2', 2, [0]).position('billing-2', 0, 6);
    const out = c.finish();
    // p1#5 and p1#6 (offsets 4 and 5) are below the committed offset 6 and nobody processed them.
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 2 });
    expect(out.messages.processed).toBe(4);
    const unprocessed = out.instances.filter((i) => i.anomaly === 'unprocessed');
    expect(unprocessed.map((i) => i.summary)).toEqual([
      'group billing never processed p1#5 (offset 4 of orders-0), below its committed offset 6',
      'group billing never processed p1#6 (offset 5 of orders-0), below its committed offset 6',
    ]);
    expect(unprocessed[0]!.story.map((line) => [line.atUs / 1000, line.text])).toEqual([
      [100, 'billing-1 starts reading orders-0 at offset 0 (auto.offset.reset=earliest: no committed offset)'],
      [120, 'billing-1 (generation 1) committed offset 6 of orders-0 for group billing (commitSync), stored by coordinator b1, its first commit of orders-0 in the final log: past offset 4, which the group had not processed'],
      [125, "billing-1 (group billing, generation 1) processed p1#4 at offset 3 of orders-0: the group's last processed record below offset 4"],
      [130, 'fault (scripted): kill billing-1'],
      [175, 'coordinator b1 removed billing-1 from group billing (generation 1): session-timeout'],
      [175, 'coordinator b1 began a rebalance of group billing (generation 1): removing member billing-1-id on heartbeat expiration'],
      [176, 'billing-2 joins group billing: initial join'],
      [176, 'coordinator b1 started generation 2 of group billing with billing-2 (leader billing-2, range)'],
      [176, 'group billing is stable in generation 2: orders-0 is billing-2\'s'],
      [176, 'billing-2 (generation 2) was assigned orders-0'],
      [176, 'billing-2 starts reading orders-0 at offset 6 (the group\'s committed offset)'],
      [176, "p1#5 stands at offset 4 of the final log of orders-0 (leader b1, epoch 1, high watermark 6), below group billing's committed offset 6 (in the final log of __consumer_offsets-0 (leader b1, epoch 1, high watermark 1)), and the group's application never processed it"],
    ]);
  });

  test('checker: consumer: the committed offset is read from the final __consumer_offsets log of the group\'s partition (offsetsPartitionFor)', () => {
    const build = (): GroupCluster => {
      const c = firstGeneration(committed(6, { offsetsPartitions: 50 }));
      c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'auto' });
      // The coordinator's ISR is b1 alone when it stores offset 6 (before processing 2..5): b2 and b3 never copy it.
      c.at(120).commit('billing-1', 1, [[0, 6]], { mode: 'auto', brokers: [1] });
      c.at(130).kill(1).killNode('billing-1');
      // b2 leads billing's __consumer_offsets partition now (unclean): its log ends at the commit of 2.
      c.at(131).coordinator(2, 2, [2]);
      return c;
    };
    const c = build();
    expect(c.offsetsPartitionOf()).toBe(9); // Utils.abs("billing".hashCode) % 50
    // The final committed offset is 2, not the 6 the coordinator once stored: 2..5 are unconsumed, not unprocessed.
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 });
    expect(out.instances[0]!.summary).toBe('group billing never processed 4 messages of orders-0 at offsets 2..5, at or above its committed offset 2');
    expect(out.instances[0]!.story.map((line) => line.text).slice(-7)).toEqual([
      'billing-1 (generation 1) committed offset 2 of orders-0 for group billing (auto-commit), stored by coordinator b1: its last commit of orders-0 in the final log',
      "billing-1 (group billing, generation 1) processed p1#2 at offset 1 of orders-0: the group's last processed record below offset 2",
      'billing-1 (generation 1) committed offset 6 of orders-0 for group billing (auto-commit), stored by coordinator b1, which the final log of __consumer_offsets-9 no longer holds',
      'fault (scripted): kill b1',
      'fault (scripted): kill billing-1',
      'b2 became the coordinator of group billing (it loaded __consumer_offsets-9)',
      '4 messages of the final log of orders-0 (leader b1, epoch 1, high watermark 6) at offsets 2..5, at or above its committed offset 2, were never processed by group billing',
    ]);
    // A new member starts at 2 and processes 2..5: nothing missing; had billing-1 processed them, they would be reprocessed,
    // with the lost commit of 6 in the story (it covered them, and yet the log that held it is gone).
    const d = build();
    d.at(140).generation(2, 2, [['billing-2', [0]]]).assigned('billing-2', 2, [0]).position('billing-2', 0, 2);
    d.at(150).process('billing-2', 2, 2, 5, p1);
    expect(d.finish().anomalies).toEqual(zeroCounts());
    const e = firstGeneration(committed(6, { offsetsPartitions: 50 }));
    e.at(110).process('billing-1', 1, 0, 5, p1).commit('billing-1', 1, [[0, 2]], { mode: 'auto' });
    e.at(120).commit('billing-1', 1, [[0, 6]], { mode: 'auto', brokers: [1] });
    e.at(130).kill(1).killNode('billing-1');
    e.at(131).coordinator(2, 2, [2]);
    e.at(140).generation(2, 2, [['billing-2', [0]]]).assigned('billing-2', 2, [0]).position('billing-2', 0, 2);
    e.at(150).process('billing-2', 2, 2, 5, p1);
    const again = e.finish();
    expect(again.anomalies).toEqual({ ...zeroCounts(), reprocessed: 4 });
    const story = texts(again, 'reprocessed');
    expect(story).toContain(
      'billing-1 (generation 1) committed offset 6 of orders-0 for group billing (auto-commit), stored by coordinator b1: the last offset stored before the re-processing: past offset 2, so it covered p1#3',
    );
    expect(story).toContain('b2 became the coordinator of group billing (it loaded __consumer_offsets-9)');
    expect(story).toContain('fault (scripted): kill b1');
  });

  test('checker: consumer: without the offsets topic in the layout the committed offset is the last the coordinator said it stored', () => {
    const c = firstGeneration(committed(6));
    // Records written to no offsets log at all: only the coordinator's answers tell the commits.
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 4]], { mode: 'sync', brokers: [] });
    const withLayout = c.finish();
    expect(withLayout.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 }); // the offsets log holds nothing
    const bare = new GroupCluster({ offsetsTopic: false });
    bare.at(0).election(1, 1, [1, 2, 3]);
    bare.at(10).send('p1', 1, 6).append([1, 2, 3], records('p1', 1, 6)).hw([1, 2, 3], 6).ack('p1', 1, 6, 0);
    firstGeneration(bare).at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 4]], { mode: 'sync', brokers: [] });
    const out = bare.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 2, unconsumed: 2 });
    expect(stories(out, 'unprocessed')[0]!.at(-1)).toBe(
      "p1#3 stands at offset 2 of the final log of orders-0 (leader b1, epoch 1, high watermark 6), below group billing's committed offset 4 (as the coordinator last stored it), and the group's application never processed it",
    );
  });

  test('checker: consumer: processing, then a rebalance before the commit: the records are reprocessed, and the story names the rebalance and the commit', () => {
    const c = firstGeneration(committed(6));
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'sync' });
    c.at(115).process('billing-1', 1, 2, 3, p1);
    // billing-2 joins; billing-1's commit of 4 comes during the rebalance and is refused.
    c.at(120).join('billing-2', 'initial join').rebalance(1, 1, 'adding new member billing-2-id');
    c.at(121).refuseCommit(1, 'billing-1', 1, [[0, 4]], 'REBALANCE_IN_PROGRESS');
    c.at(122).revoked('billing-1', 1, [0]);
    c.at(125).generation(1, 2, [['billing-2', [0]], ['billing-1', []]]).assigned('billing-2', 2, [0]).position('billing-2', 0, 2);
    c.at(130).process('billing-2', 2, 2, 5, p1).commit('billing-2', 2, [[0, 6]], { mode: 'async' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), reprocessed: 2 });
    expect(out.messages.processed).toBe(6);
    const reprocessed = out.instances.filter((i) => i.anomaly === 'reprocessed');
    expect(reprocessed.map((i) => i.summary)).toEqual([
      'group billing processed p1#3 (offset 2 of orders-0) twice: billing-1 in generation 1, then billing-2 in generation 2',
      'group billing processed p1#4 (offset 3 of orders-0) twice: billing-1 in generation 1, then billing-2 in generation 2',
    ]);
    expect(reprocessed[0]!.story.map((line) => [line.atUs / 1000, line.text])).toEqual([
      [110, 'billing-1 (generation 1) committed offset 2 of orders-0 for group billing (commitSync), stored by coordinator b1: the last offset stored before the re-processing: the next offset to read 2 ≤ 2, so it did not cover p1#3'],
      [115, 'billing-1 (group billing, generation 1) processed p1#3 at offset 2 of orders-0'],
      [120, 'billing-2 joins group billing: initial join'],
      [120, 'coordinator b1 began a rebalance of group billing (generation 1): adding new member billing-2-id'],
      [121, "coordinator b1 refused billing-1 (generation 1)'s commit of offset 4 of orders-0 (commitSync): REBALANCE_IN_PROGRESS"],
      [122, 'billing-1 (generation 1) gave up orders-0'],
      [125, 'coordinator b1 started generation 2 of group billing with billing-2, billing-1 (leader billing-2, range)'],
      [125, "group billing is stable in generation 2: orders-0 is billing-2's"],
      [125, 'billing-2 (generation 2) was assigned orders-0'],
      [125, "billing-2 starts reading orders-0 at offset 2 (the group's committed offset)"],
      [130, 'billing-2 (group billing, generation 2) processed p1#3 at offset 2 of orders-0 again'],
    ]);
  });

  test('checker: consumer: a poll timeout before the commit: the member processes the same records again in its next generation, counted once per message', () => {
    const c = firstGeneration(committed(3));
    c.at(110).process('billing-1', 1, 0, 2, p1);
    c.at(420).pollTimeout('billing-1', 1, 300_000).memberRemoved(1, 'billing-1', 1, 'leave').rebalance(1, 1, 'removing member billing-1-id on LeaveGroup');
    c.at(421).generation(1, 2, [['billing-1', [0]]]).assigned('billing-1', 2, [0]).position('billing-1', 0, 0, 'reset-earliest');
    // Processed three times in all: still one reprocessed per message.
    c.at(430).process('billing-1', 2, 0, 2, p1).process('billing-1', 2, 0, 2, p1).commit('billing-1', 2, [[0, 3]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), reprocessed: 3 });
    const story = texts(out, 'reprocessed');
    expect(story).toContain('billing-1 did not poll for 300000 ms (max.poll.interval.ms): it leaves group billing (generation 1)');
    expect(story).toContain('no commit of orders-0 for group billing had been stored before this');
    expect(story.at(-1)).toBe('billing-1 (group billing, generation 2) processed p1#1 at offset 0 of orders-0 again');
    expect(out.instances.find((i) => i.anomaly === 'reprocessed')!.summary).toBe(
      'group billing processed p1#1 (offset 0 of orders-0) twice: billing-1 in generation 1, then billing-1 again in generation 2',
    );
  });

  test('checker: consumer: a message the producer duplicated, processed once at each offset, is duplicated and not reprocessed', () => {
    const c = new GroupCluster();
    c.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
    c.at(10).send('p1', 1, 2).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2);
    c.at(40).retry('p1', 1, 2, 'REQUEST_TIMED_OUT').append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 4).ack('p1', 1, 2, 2);
    firstGeneration(c);
    c.at(110).process('billing-1', 1, 0, 3, (o) => ['p1', (o % 2) + 1]).commit('billing-1', 1, [[0, 4]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), duplicated: 2 });
    expect(out.messages.processed).toBe(2);
  });

  test('checker: consumer: a record processed at the high watermark of its fetch is a dirty read, once per processing', () => {
    const c = firstGeneration(committed(4));
    // b1 has p1#5 at offset 4, not yet committed; the fetch returns it with high watermark 4.
    c.at(20).send('p1', 5).append([1], records('p1', 5));
    c.at(110).process('billing-1', 1, 0, 4, p1, { highWatermark: 4 });
    c.at(115).process('billing-1', 1, 4, 4, p1, { highWatermark: 4 });
    // It is committed later: the dirty read saw a record that did survive.
    c.at(120).append([2, 3], records('p1', 5)).hw([1, 2, 3], 5).ack('p1', 5, 5, 4).commit('billing-1', 1, [[0, 5]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), 'dirty-read': 2, reprocessed: 1 });
    const dirty = out.instances.filter((i) => i.anomaly === 'dirty-read');
    expect(dirty).toHaveLength(2);
    expect(dirty[0]!.summary).toBe('billing-1 (group billing) processed p1#5 at offset 4 of orders-0, at or above the high watermark 4 of its fetch');
    expect(dirty[0]!.story.map((line) => line.text)).toEqual([
      'controller b1 elected b1 leader of orders-0 (epoch 1, clean, ISR [b1 b2 b3], new-topic)',
      'billing-1 (group billing, generation 1) processed p1#5 at offset 4 of orders-0, from a fetch whose high watermark was 4: a record the leader had not committed',
      'the final log of orders-0 (leader b1, epoch 1, high watermark 5) has p1#5 at offset 4',
    ]);
  });

  test('checker: consumer: a dirty read later truncated and replaced is also inconsistent (the log half never saw it committed)', () => {
    const c = firstGeneration(committed(4));
    c.at(20).send('p1', 5).append([1], records('p1', 5)).ack('p1', 5, 5, 4); // acks=1
    c.at(110).process('billing-1', 1, 0, 4, p1, { highWatermark: 4 });
    c.at(120).kill(1).election(2, 2, [2, 3]);
    c.at(125).send('p2', 1).append([2, 3], records('p2', 1), 2).hw([2, 3], 5).ack('p2', 1, 1, 4);
    c.at(130).restart(1).truncate(1, 4, 4).append([1], records('p2', 1), 2).hw([1], 5);
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1, 'dirty-read': 1, inconsistent: 1, unconsumed: 1 });
    const inconsistent = out.instances.filter((i) => i.anomaly === 'inconsistent');
    expect(inconsistent.map((i) => i.summary)).toEqual(['group billing processed p1#5 at offset 4 of orders-0, where the final log holds p2#1']);
    expect(inconsistent[0]!.story.map((line) => [line.atUs / 1000, line.text])).toEqual([
      [0, 'controller b1 elected b1 leader of orders-0 (epoch 1, clean, ISR [b1 b2 b3], new-topic)'],
      [110, 'billing-1 (group billing, generation 1) processed p1#5 at offset 4 of orders-0'],
      [120, 'controller b1 elected b2 leader of orders-0 (epoch 2, clean, ISR [b2 b3], broker-failure)'],
      [130, 'b1 truncated orders-0 from 5 to 4 (leader-epoch; its high watermark 4)'],
      [130, 'the final log of orders-0 (leader b2, epoch 2, high watermark 5) holds p2#1 at offset 4, where billing-1 had processed p1#5'],
    ]);
    // p2#1 itself, standing at offset 4, was never processed and nothing was committed: unconsumed.
    expect(out.instances.find((i) => i.anomaly === 'unconsumed')!.summary).toBe(
      'group billing never processed 1 message of orders-0 at offset 4, and the group committed nothing for orders-0',
    );
  });

  test('checker: consumer: a record the log half already counted inconsistent is not counted again for the consumer that processed it', () => {
    const c = new GroupCluster();
    c.at(0).election(1, 1, [1, 2, 3]).coordinator(2);
    c.at(10).send('p1', 1, 2).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2).ack('p1', 1, 2, 0);
    c.at(20).send('p1', 3).append([1, 2], records('p1', 3)).hw([1, 2], 3).ack('p1', 3, 3, 2);
    firstGeneration(c);
    c.at(110).process('billing-1', 1, 0, 2, p1);
    c.at(120).kill(1).kill(2).offline([1, 2]);
    c.at(130).election(3, 2, [3], { unclean: true });
    c.at(131).send('p2', 1).append([3], records('p2', 1), 2).hw([3], 3).ack('p2', 1, 1, 2);
    const out = c.finish();
    // Offset 2 held p1#3 committed on b1 and b2, then p2#1 on b3: one inconsistency, the log half's.
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1, inconsistent: 1, unconsumed: 1 });
    const inconsistent = out.instances.filter((i) => i.anomaly === 'inconsistent');
    expect(inconsistent).toHaveLength(1);
    expect(inconsistent[0]!.summary).toBe('two different records at offset 2 of orders-0: p1#3 (b1) and p2#1 (b3)');
  });

  test('checker: consumer: messages the group never reached after the settle phase are unconsumed, one instance per partition, counted per message', () => {
    const c = new GroupCluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3]).election(1, 1, [1, 2, 3], { partition: 1 }).coordinator(1);
    c.at(10).send('p1', 1, 6).append([1, 2, 3], records('p1', 1, 6)).hw([1, 2, 3], 6).ack('p1', 1, 6, 0);
    c.send('p2', 1, 2, 1).append([1, 2, 3], records('p2', 1, 2), 1, 1).hw([1, 2, 3], 2, 1).ack('p2', 1, 2, 0, 1);
    c.at(100).join('billing-1', 'initial join').rebalance(1, 0, 'billing-1 joined');
    c.generation(1, 1, [['billing-1', [0]]]).assigned('billing-1', 1, [0]).position('billing-1', 0, 0, 'reset-earliest');
    c.at(110).process('billing-1', 1, 0, 2, p1).commit('billing-1', 1, [[0, 3]], { mode: 'auto' });
    c.at(120).other({ kind: 'proc.pause', node: 'billing-1' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 5 });
    const unconsumed = out.instances.filter((i) => i.anomaly === 'unconsumed');
    expect(unconsumed.map((i) => i.summary)).toEqual([
      'group billing never processed 3 messages of orders-0 at offsets 3..5, at or above its committed offset 3',
      'group billing never processed 2 messages of orders-1 at offsets 0..1, and the group committed nothing for orders-1',
    ]);
    expect(unconsumed[0]!.story.map((line) => line.text)).toEqual([
      'b1 became the coordinator of group billing (it loaded __consumer_offsets-0)',
      'billing-1 joins group billing: initial join',
      'coordinator b1 began a rebalance of group billing (generation 0): billing-1 joined',
      'coordinator b1 started generation 1 of group billing with billing-1 (leader billing-1, range)',
      "group billing is stable in generation 1: orders-0 is billing-1's",
      'billing-1 (generation 1) was assigned orders-0',
      'billing-1 starts reading orders-0 at offset 0 (auto.offset.reset=earliest: no committed offset)',
      'billing-1 (generation 1) committed offset 3 of orders-0 for group billing (auto-commit), stored by coordinator b1: its last commit of orders-0 in the final log',
      "billing-1 (group billing, generation 1) processed p1#3 at offset 2 of orders-0: the group's last processed record below offset 3",
      '3 messages of the final log of orders-0 (leader b1, epoch 1, high watermark 6) at offsets 3..5, at or above its committed offset 3, were never processed by group billing',
    ]);
    const [, orders1] = stories(out, 'unconsumed');
    expect(orders1).toContain("group billing is stable in generation 1: nobody owns orders-1");
    expect(orders1).toContain('no member of group billing was ever assigned orders-1');
  });

  test('checker: consumer: a group that started at the log end (auto.offset.reset=latest) leaves the earlier messages unprocessed, and the story says where it started', () => {
    const c = firstGeneration(committed(6), 4, 'reset-latest');
    c.at(110).process('billing-1', 1, 4, 5, p1).commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 4 });
    const story = texts(out, 'unprocessed');
    expect(story).toContain('billing-1 starts reading orders-0 at offset 4 (auto.offset.reset=latest: no committed offset)');
    expect(story).toContain(
      'billing-1 (generation 1) committed offset 6 of orders-0 for group billing (commitSync), stored by coordinator b1, its first commit of orders-0 in the final log: past offset 0, which the group had not processed',
    );
  });

  test('checker: consumer: processed counts distinct messages over all groups; each group is judged on its own', () => {
    const groups = [
      { name: GROUP, topic: TOPIC, members: ['billing-1'] },
      { name: 'audit', topic: TOPIC, members: ['audit-1'] },
    ];
    const c = new GroupCluster({ groups });
    c.at(0).election(1, 1, [1, 2, 3]).coordinator(1).coordinator(1, 1, [1, 2, 3], 'audit');
    c.at(10).send('p1', 1, 4).append([1, 2, 3], records('p1', 1, 4)).hw([1, 2, 3], 4).ack('p1', 1, 4, 0);
    c.at(110).process('billing-1', 1, 0, 3, p1).commit('billing-1', 1, [[0, 4]], { mode: 'sync' });
    c.at(120).process('audit-1', 1, 0, 1, p1, { group: 'audit' }).process('audit-1', 1, 1, 1, p1, { group: 'audit' });
    c.commit('audit-1', 1, [[0, 2]], { mode: 'sync', group: 'audit' });
    const out = c.finish();
    // audit reprocessed p1#2 and never reached offsets 2..3; billing is clean.
    expect(out.anomalies).toEqual({ ...zeroCounts(), reprocessed: 1, unconsumed: 2 });
    expect(out.messages.processed).toBe(4);
    expect(out.instances.map((i) => i.summary)).toEqual([
      'group audit processed p1#2 (offset 1 of orders-0) twice: audit-1 in generation 1, then audit-1 again in generation 1',
      'group audit never processed 2 messages of orders-0 at offsets 2..3, at or above its committed offset 2',
    ]);
  });

  test('checker: consumer: at most five stories per anomaly, every instance counted', () => {
    const c = firstGeneration(committed(20));
    c.at(110).commit('billing-1', 1, [[0, 8]], { mode: 'sync' });
    c.at(120).process('billing-1', 1, 8, 19, p1, { highWatermark: 8 }).process('billing-1', 1, 8, 19, p1, { highWatermark: 20 });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 8, reprocessed: 12, 'dirty-read': 12 });
    for (const anomaly of ['unprocessed', 'reprocessed', 'dirty-read']) expect(stories(out, anomaly)).toHaveLength(5);
  });
});
