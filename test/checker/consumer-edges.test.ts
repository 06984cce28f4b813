// The consumer half's near misses: where a dirty read starts, what counts once per message, which
// commit is the group's, which records a group processed that the final log replaced, and the
// commits and processings a story names as the cause.
import { describe, expect, test } from 'vitest';
import type { FaultAction, FaultEvent } from '../../sim/index.js';
import { zeroCounts } from '../../src/checker/anomalies.js';
import type { CheckOutcome } from '../../src/checker/outcome.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { logFile } from '../../src/kafka/records.js';
import { GroupCluster, GROUP, p1, type GroupClusterOptions } from './consumer-fixture.js';
import { records, stories, TOPIC } from './kafka-log-fixture.js';

/** Leader b1 (epoch 1) of orders-0 holding p1#1..n committed on b1..b3; b1 coordinates the group. */
function committed(n: number, options: GroupClusterOptions = {}): GroupCluster {
  const c = new GroupCluster(options);
  c.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
  c.at(10).send('p1', 1, n).append([1, 2, 3], records('p1', 1, n)).hw([1, 2, 3], n).ack('p1', 1, n, 0);
  return c;
}

/** billing-1 joins generation 1 alone and owns orders-0, from offset 0. */
function firstGeneration(c: GroupCluster): GroupCluster {
  c.at(100).join('billing-1', 'initial join').rebalance(1, 0, 'billing-1 joined');
  return c.generation(1, 1, [['billing-1', [0]]]).assigned('billing-1', 1, [0]).position('billing-1', 0, 0, 'reset-earliest');
}

/** p1#1..2 at offsets 0..1, then the same two again at 2..3 (a retry after a lost ack); b1 coordinates. */
function duplicatedTwo(): GroupCluster {
  const c = new GroupCluster();
  c.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
  c.at(10).send('p1', 1, 2).append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 2);
  c.at(40).retry('p1', 1, 2, 'REQUEST_TIMED_OUT').append([1, 2, 3], records('p1', 1, 2)).hw([1, 2, 3], 4).ack('p1', 1, 2, 2);
  return firstGeneration(c);
}

const summaries = (out: CheckOutcome, anomaly: string): string[] => out.instances.filter((i) => i.anomaly === anomaly).map((i) => i.summary);

describe('checker: consumer: edges', () => {
  // Kafka hands out records below the high watermark only: offset 0 with a high watermark of 0 is
  // already above it; a negative high watermark is no fetch's, so nothing is judged.
  test('checker: consumer: edges: offset 0 from a fetch whose high watermark is 0 is a dirty read; an unknown high watermark is not judged', () => {
    const c = firstGeneration(committed(2));
    c.at(110).process('billing-1', 1, 0, 0, p1, { highWatermark: 0 }).process('billing-1', 1, 1, 1, p1, { highWatermark: -1 });
    c.commit('billing-1', 1, [[0, 2]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), 'dirty-read': 1 });
    expect(summaries(out, 'dirty-read')).toEqual(['billing-1 (group billing) processed p1#1 at offset 0 of orders-0, at or above the high watermark 0 of its fetch']);
  });

  test('checker: consumer: edges: a duplicated message processed twice at its second offset is reprocessed, once per message whatever else', () => {
    const c = duplicatedTwo();
    c.at(110).process('billing-1', 1, 0, 3, (o) => ['p1', (o % 2) + 1]);
    // p1#1 again at its second offset, then at its first: one re-processing of one message.
    c.at(120).process('billing-1', 1, 2, 2, () => ['p1', 1]).process('billing-1', 1, 0, 0, () => ['p1', 1]);
    c.commit('billing-1', 1, [[0, 4]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), duplicated: 2, reprocessed: 1 });
    expect(summaries(out, 'reprocessed')).toEqual(['group billing processed p1#1 (offset 2 of orders-0) twice: billing-1 in generation 1, then billing-1 again in generation 1']);
  });

  test('checker: consumer: edges: a duplicated message the group never processed is unprocessed once, not once per copy', () => {
    const c = duplicatedTwo();
    c.at(110).commit('billing-1', 1, [[0, 4]], { mode: 'sync' }); // committed before processing, then nothing
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), duplicated: 2, unprocessed: 2 });
  });

  // The group processed a record at X and the final log holds another there: whoever wrote it,
  // at offset 0 too, and once per (partition, offset) however many groups read the first.
  test('checker: consumer: edges: a processed record replaced in the final log is inconsistent, for any producer and offset, once per offset', () => {
    const groups = [
      { name: GROUP, topic: TOPIC, members: ['billing-1'] },
      { name: 'audit', topic: TOPIC, members: ['audit-1'] },
    ];
    const c = new GroupCluster({ groups });
    c.at(0).election(1, 1, [1, 2, 3]).coordinator(1).coordinator(1, 1, [1, 2, 3], 'audit');
    c.at(5).send('p1', 1); // p1 is the ledger's first producer
    // b1 alone (acks=1) holds p2#1 at offset 0, never committed; both groups read it (dirty: high watermark 0).
    c.at(10).send('p2', 1).append([1], records('p2', 1)).ack('p2', 1, 1, 0);
    const dirty = { highWatermark: 0 };
    c.at(20).process('billing-1', 1, 0, 0, () => ['p2', 1], dirty).process('audit-1', 1, 0, 0, () => ['p2', 1], { ...dirty, group: 'audit' });
    c.at(30).kill(1).election(2, 2, [2, 3], { unclean: true });
    c.at(40).append([2, 3], records('p1', 1), 2).hw([2, 3], 1).ack('p1', 1, 1, 0);
    c.at(50).process('billing-1', 1, 0, 0, p1).process('audit-1', 1, 0, 0, p1, { group: 'audit' });
    c.commit('billing-1', 1, [[0, 1]], { mode: 'sync' }).commit('audit-1', 1, [[0, 1]], { mode: 'sync', group: 'audit' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), lost: 1, 'dirty-read': 2, inconsistent: 1 });
    expect(summaries(out, 'inconsistent')).toEqual(['group billing processed p2#1 at offset 0 of orders-0, where the final log holds p1#1']);
  });

  // Retention deletes on its own schedule: a processed record whose segment is gone is a hole, not a replacement.
  test('checker: consumer: edges: a processed record deleted by retention is not inconsistent', () => {
    const c = firstGeneration(committed(5));
    c.at(110).process('billing-1', 1, 0, 4, p1).commit('billing-1', 1, [[0, 5]], { mode: 'sync' });
    for (const broker of [1, 2, 3]) {
      const file = logFile(c.world.disk(`b${broker}`), TOPIC, 0);
      file.overwrite([{ ...file.at(0), baseOffset: 3, records: records('p1', 4, 5) }]);
    }
    expect(c.finish().anomalies).toEqual(zeroCounts());
  });

  test('checker: consumer: edges: a processed record replaced by a later one of the same producer is inconsistent; one still above the final high watermark is not', () => {
    const build = (replaced: boolean): GroupCluster => {
      const c = firstGeneration(committed(4));
      c.at(20).send('p1', 5).append([1], records('p1', 5)).ack('p1', 5, 5, 4); // acks=1, HW stays 4
      c.at(110).process('billing-1', 1, 0, 4, p1, { highWatermark: 4 });
      if (replaced) {
        c.at(120).kill(1).election(2, 2, [2, 3]);
        c.at(125).send('p1', 6).append([2, 3], records('p1', 6), 2).hw([2, 3], 5).ack('p1', 6, 6, 4);
      }
      return c;
    };
    const replaced = build(true).finish();
    expect(replaced.anomalies).toEqual({ ...zeroCounts(), lost: 1, 'dirty-read': 1, inconsistent: 1, unconsumed: 1 });
    expect(summaries(replaced, 'inconsistent')).toEqual(['group billing processed p1#5 at offset 4 of orders-0, where the final log holds p1#6']);
    // Not replaced: p1#5 still stands at offset 4, the final high watermark, which no consumer reads yet.
    expect(build(false).finish().anomalies).toEqual({ ...zeroCounts(), 'dirty-read': 1 });
  });
});

describe('checker: consumer: committed offsets', () => {
  test('checker: consumer: committed offsets: without the offsets topic, a refused commit is not the group\'s committed offset', () => {
    const c = firstGeneration(committed(6, { offsetsTopic: false }));
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'sync', brokers: [] });
    c.at(120).refuseCommit(1, 'billing-1', 1, [[0, 6]], 'REBALANCE_IN_PROGRESS');
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 });
    expect(summaries(out, 'unconsumed')).toEqual(['group billing never processed 4 messages of orders-0 at offsets 2..5, at or above its committed offset 2']);
  });

  test('checker: consumer: committed offsets: another group\'s commits in the same __consumer_offsets partition are not this group\'s', () => {
    const groups = [
      { name: GROUP, topic: TOPIC, members: ['billing-1'] },
      { name: 'audit', topic: TOPIC, members: ['audit-1'] },
    ];
    const c = committed(6, { groups });
    c.coordinator(1, 1, [1, 2, 3], 'audit');
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'sync' });
    c.at(120).process('audit-1', 1, 0, 5, p1, { group: 'audit' }).commit('audit-1', 1, [[0, 6]], { mode: 'sync', group: 'audit' });
    const out = c.finish();
    expect(c.offsetsPartitionOf('audit')).toBe(c.offsetsPartitionOf()); // one offsets partition for both
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 });
    expect(summaries(out, 'unconsumed')).toEqual(['group billing never processed 4 messages of orders-0 at offsets 2..5, at or above its committed offset 2']);
  });

  // A commit the coordinator appended and whose offsets-log high watermark never covered it is
  // not what the group's next member reads: the committed offset stays the earlier one.
  test('checker: consumer: committed offsets: a commit above the final __consumer_offsets high watermark is not the committed offset', () => {
    const c = firstGeneration(committed(6));
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'sync' });
    c.at(120).commit('billing-1', 1, [[0, 6]], { mode: 'sync', highWatermark: [] });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 });
  });

  test('checker: consumer: committed offsets: a group the layout does not name is learnt from its events and judged', () => {
    const c = firstGeneration(committed(6, { groups: [{ name: GROUP, topic: TOPIC, members: ['billing-1'] }] }));
    c.at(110).process('billing-1', 1, 0, 5, p1).commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    // audit joins (no topic named yet), then reads orders-0: its topic.
    c.other({ kind: 'consumer.join', group: 'audit', member: 'audit-1', memberId: 'audit-1-id', reason: 'initial join' });
    c.at(120).process('audit-1', 1, 0, 1, p1, { group: 'audit' }).commit('audit-1', 1, [[0, 2]], { mode: 'sync', group: 'audit' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unconsumed: 4 });
    expect(summaries(out, 'unconsumed')).toEqual(['group audit never processed 4 messages of orders-0 at offsets 2..5, at or above its committed offset 2']);
  });

  // Past the initial capacities (64 messages per group, 16 commits per partition): every
  // processing and commit is kept.
  test('checker: consumer: committed offsets: hundreds of processings and dozens of commits are all followed', () => {
    const c = firstGeneration(committed(300, { offsetsTopic: false }));
    for (let first = 0; first < 250; first += 10) c.at(110 + first).process('billing-1', 1, first, first + 9, p1).commit('billing-1', 1, [[0, first + 10]], { mode: 'auto', brokers: [] });
    c.at(400).commit('billing-1', 1, [[0, 300]], { mode: 'sync', brokers: [] }); // committed before processing 250..299
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 50 });
    expect(out.messages.processed).toBe(250);
  });
});

describe('checker: consumer: stories', () => {
  test('checker: consumer: stories: an unprocessed message\'s story names the commit that moved the offset past it, not a later one', () => {
    const c = firstGeneration(committed(6));
    c.at(110).process('billing-1', 1, 0, 1, p1).commit('billing-1', 1, [[0, 2]], { mode: 'sync' });
    c.at(120).commit('billing-1', 1, [[0, 5]], { mode: 'sync' });
    c.at(130).commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), unprocessed: 4 });
    expect(stories(out, 'unprocessed')[0]).toContain(
      'billing-1 (generation 1) committed offset 5 of orders-0 for group billing (commitSync), stored by coordinator b1, moving its committed offset of orders-0 from 2 to 5: past offset 2, which the group had not processed',
    );
  });

  test('checker: consumer: stories: a re-processing names who processed first, the first of a run of equal commits, and only the failures since', () => {
    const c = new GroupCluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3]).election(1, 1, [1, 2, 3], { partition: 1 }).coordinator(1);
    c.at(10).send('p1', 1, 4).append([1, 2, 3], records('p1', 1, 4)).hw([1, 2, 3], 4).ack('p1', 1, 4, 0);
    c.send('p2', 1, 4, 1).append([1, 2, 3], records('p2', 1, 4), 1, 1).hw([1, 2, 3], 4, 1).ack('p2', 1, 4, 0, 1);
    c.at(100).generation(1, 1, [['billing-1', [0]], ['billing-2', [1]]]).assigned('billing-1', 1, [0]).assigned('billing-2', 1, [1]);
    c.at(105).refuseCommit(1, 'billing-2', 1, [[1, 0]], 'COORDINATOR_NOT_AVAILABLE'); // before it processed anything
    c.at(110).process('billing-1', 1, 0, 1, p1).process('billing-2', 1, 0, 1, (o) => ['p2', o + 1], { partition: 1 });
    c.at(111).commit('billing-2', 1, [[1, 1]], { mode: 'sync' });
    c.at(112).commit('billing-2', 1, [[1, 1]], { mode: 'async' }); // the same position again
    c.at(113).refuseCommit(1, 'billing-2', 1, [[1, 2]], 'REBALANCE_IN_PROGRESS');
    c.at(120).process('billing-2', 1, 1, 1, (o) => ['p2', o + 1], { partition: 1 });
    const out = c.finish();
    expect(summaries(out, 'reprocessed')).toEqual(['group billing processed p2#2 (offset 1 of orders-1) twice: billing-2 in generation 1, then billing-2 again in generation 1']);
    const [story] = out.instances.filter((i) => i.anomaly === 'reprocessed').map((i) => i.story.map((line) => [line.atUs / 1000, line.text] as const));
    const commits = story!.filter(([, text]) => text.includes('commit'));
    expect(commits).toEqual([
      [111, 'billing-2 (generation 1) committed offset 1 of orders-1 for group billing (commitSync), stored by coordinator b1: the last offset stored before the re-processing: the next offset to read 1 ≤ 1, so it did not cover p2#2'],
      [113, "coordinator b1 refused billing-2 (generation 1)'s commit of offset 2 of orders-1 (commitSync): REBALANCE_IN_PROGRESS"],
    ]);
  });

  // The group's own events about its own partition, faults on its members or its coordinator,
  // and the rebalance that was under way when the first processing came: nothing of another group's.
  test('checker: consumer: stories: a re-processing tells the group\'s events about its partition and the faults on its members, and nothing of another group\'s', () => {
    const groups = [
      { name: GROUP, topic: TOPIC, members: ['billing-1', 'billing-2'] },
      { name: 'audit', topic: TOPIC, members: ['audit-1'] },
    ];
    const c = committed(6, { groups });
    c.coordinator(1, 1, [1, 2, 3], 'audit');
    firstGeneration(c);
    c.at(108).join('billing-2', 'initial join').rebalance(1, 1, 'adding new member billing-2-id'); // under way at 110
    c.at(110).process('billing-1', 1, 0, 3, p1);
    const fault = (action: FaultAction, label: string, heal = false): void => {
      c.world.record({ kind: heal ? 'fault.heal' : 'fault', source: 'scripted', action, label } satisfies FaultEvent);
    };
    c.at(115);
    const audit: KafkaEvent[] = [
      { kind: 'group.rebalance', broker: 1, group: 'audit', generation: 3, reason: 'audit-1 joined' },
      { kind: 'group.generation', broker: 1, group: 'audit', generation: 4, protocol: 'range', leader: 'audit-1-id', members: ['audit-1-id'] },
      { kind: 'group.stable', broker: 1, group: 'audit', generation: 4, assignment: [['audit-1-id', ['orders-0']]] },
      { kind: 'group.member-removed', broker: 1, group: 'audit', memberId: 'audit-1-id', generation: 4, reason: 'leave' },
      { kind: 'consumer.join', group: 'audit', member: 'audit-1', memberId: 'audit-1-id', reason: 'initial join' },
      { kind: 'app.assigned', group: 'audit', member: 'audit-1', memberId: 'audit-1-id', generation: 4, partitions: ['orders-0'] },
      { kind: 'consumer.position', group: 'audit', member: 'audit-1', topic: TOPIC, partition: 0, offset: 0, source: 'committed', reason: 'committed' },
      { kind: 'consumer.poll-timeout', group: 'audit', member: 'audit-1', memberId: 'audit-1-id', generation: 4, sinceLastPollMs: 300_000 },
      // billing's, but about another partition:
      { kind: 'app.assigned', group: GROUP, member: 'billing-2', memberId: 'billing-2-id', generation: 1, partitions: ['orders-1'] },
      { kind: 'consumer.position', group: GROUP, member: 'billing-2', topic: TOPIC, partition: 1, offset: 0, source: 'committed', reason: 'committed' },
    ];
    for (const e of audit) c.other(e);
    fault({ kind: 'kill', node: 'audit-1' }, 'kill audit-1');
    fault({ kind: 'pause', node: 'b3' }, 'pause b3'); // not the coordinator
    fault({ kind: 'hold', from: 'b2', to: 'b3' }, 'hold b2 -> b3');
    fault({ kind: 'partition', groups: [['billing-2'], ['b1', 'b2', 'b3']] }, 'partition billing-2 | b1 b2 b3');
    fault({ kind: 'one-way', from: 'b1', to: 'billing-1' }, 'one-way b1 -> billing-1');
    fault({ kind: 'hold', from: 'b1', to: null }, 'hold b1 -> *'); // the coordinator
    c.at(118).other({ kind: 'group.unloaded', broker: 1, partition: 0, groups: ['audit'] });
    fault({ kind: 'partition', groups: [['billing-2'], ['b1', 'b2', 'b3']] }, 'partition billing-2 | b1 b2 b3', true);
    c.at(125).generation(1, 2, [['billing-2', [0]], ['billing-1', []]]).assigned('billing-2', 2, [0]).position('billing-2', 0, 0, 'reset-earliest');
    c.at(130).process('billing-2', 2, 0, 5, p1).commit('billing-2', 2, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toEqual({ ...zeroCounts(), reprocessed: 4, unconsumed: 6 }); // audit never processed anything
    expect(out.instances[0]!.story.map((line) => [line.atUs / 1000, line.text])).toEqual([
      [108, 'coordinator b1 began a rebalance of group billing (generation 1): adding new member billing-2-id'],
      [110, 'billing-1 (group billing, generation 1) processed p1#1 at offset 0 of orders-0'],
      [115, 'fault (scripted): partition billing-2 | b1 b2 b3'],
      [115, 'fault (scripted): one-way b1 -> billing-1'],
      [115, 'fault (scripted): hold b1 -> *'],
      [118, 'healed (scripted): partition billing-2 | b1 b2 b3'],
      [125, 'coordinator b1 started generation 2 of group billing with billing-2, billing-1 (leader billing-2, range)'],
      [125, "group billing is stable in generation 2: orders-0 is billing-2's"],
      [125, 'billing-2 (generation 2) was assigned orders-0'],
      [125, 'billing-2 starts reading orders-0 at offset 0 (auto.offset.reset=earliest: no committed offset)'],
      [130, 'no commit of orders-0 for group billing had been stored before this'],
      [130, 'billing-2 (group billing, generation 2) processed p1#1 at offset 0 of orders-0 again'],
    ]);
  });
});
