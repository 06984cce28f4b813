// The coverage probes: each fires on its rare situation and stays at zero on the nearest
// situation that is not it (whole scenarios: coverage-scenarios.test.ts).
import { describe, expect, test } from 'vitest';
import { World, type ProcessEvent } from '../../sim/index.js';
import { COVERAGE_PROBES, CoverageProbes, PROBE_NAMES, zeroCoverage, type CoverageCounts, type ProbeName } from '../../src/checker/coverage.js';
import type { KafkaEvent } from '../../src/kafka/events.js';

type Event = KafkaEvent | ProcessEvent;

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

/** The probe counts after the events, recorded in order into a fresh world's trace. */
function probe(events: readonly Event[]): CoverageCounts {
  const world = new World<unknown>({ seed: 1, network });
  const probes = new CoverageProbes(world);
  for (const event of events) world.record(event);
  return probes.counts();
}

/** Only the probes that fired, for exact comparisons. */
function reached(counts: CoverageCounts): Partial<CoverageCounts> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

// Building blocks: topic orders with 3 partitions on b1..b3 (replication.factor 3), topic single
// with replication.factor 1.
const created: Event[] = [
  { kind: 'topic.created', topic: 'orders', assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] },
  { kind: 'topic.created', topic: 'single', assignment: [[1]] },
];
const election = (leader: number, leaderEpoch: number, isr: number[], unclean = false, partition = 0): Event => ({
  kind: 'election', controller: 1, controllerEpoch: 1, topic: 'orders', partition, leader, leaderEpoch, isr, unclean, reason: leaderEpoch === 0 ? 'new-topic' : 'broker-failure',
});
const shrink = (isr: number[], partition = 0): Event => ({ kind: 'isr.shrink', broker: isr[0]!, topic: 'orders', partition, leaderEpoch: 0, isr, removed: [], lagMs: 30_000 });
const expand = (isr: number[], partition = 0): Event => ({ kind: 'isr.expand', broker: isr[0]!, topic: 'orders', partition, leaderEpoch: 0, isr, added: [] });
const ack = (offset: number, partition = 0, seq = offset + 1): Event => ({ kind: 'app.ack', producer: 'p1', seq, topic: 'orders', partition, offset });
const truncate = (fromOffset: number, toOffset: number, reason: 'high-watermark' | 'leader-epoch' | 'power-loss' = 'leader-epoch', partition = 0): Event => ({
  kind: 'truncate', broker: 2, topic: 'orders', partition, fromOffset, toOffset, highWatermark: toOffset, reason,
});
const appCommit = (error: Extract<KafkaEvent, { kind: 'app.commit' }>['error']): Event => ({
  kind: 'app.commit', group: 'billing', member: 'billing-1', memberId: 'billing-1-0', generation: 3, mode: 'sync', offsets: [['orders', 0, 10]], error,
});
const groupCommit = (generation: number, error: Extract<KafkaEvent, { kind: 'group.commit' }>['error']): Event => ({
  kind: 'group.commit', broker: 1, group: 'billing', memberId: 'billing-1-0', generation, offsets: [['orders', 0, 10]], error,
});
const retry = (error: Extract<KafkaEvent, { kind: 'producer.retry' }>['error']): Event => ({
  kind: 'producer.retry', producer: 'p1', topic: 'orders', partition: 0, firstSeq: 1, count: 10, error, attempt: 1,
});
const controllerElected = (broker: number, controllerEpoch: number): Event => ({ kind: 'controller.elected', broker, controllerEpoch });
const isrWrite = (leader: number, leaderEpoch: number, isr: number[], reason: 'broker-failure' | 'controller-failover', partition = 0): Event => ({
  kind: 'controller.isr', controller: 2, topic: 'orders', partition, leader, leaderEpoch, isr, reason,
});
const offline = (partition = 0): Event => ({ kind: 'offline', controller: 1, topic: 'orders', partition, isr: [1] });
const removed = (reason: 'session-timeout' | 'leave' | 'rebalance-timeout' | 'fenced'): Event => ({ kind: 'group.member-removed', broker: 1, group: 'billing', memberId: 'billing-1-0', generation: 3, reason });
const position = (source: 'committed' | 'reset-earliest' | 'reset-latest' | 'truncation-detected'): Event => ({
  kind: 'consumer.position', group: 'billing', member: 'billing-1', topic: 'orders', partition: 0, offset: 10, source, reason: source === 'truncation-detected' ? 'log-truncation' : 'committed',
});
const writeConflict = (then: 'retry' | 'not-needed' | 'ours' | 'newer-controller'): Event => ({
  kind: 'controller.write-conflict', controller: 1, topic: 'orders', partition: 0, expectedZkVersion: 3, zkVersion: 4, leader: 1, leaderEpoch: 2, isr: [1, 3], controllerEpoch: 1, then,
});

const marker = (result: 'COMMIT' | 'ABORT', error: 'NONE' | 'TRANSACTION_COORDINATOR_FENCED'): Event => ({
  kind: 'txn.marker', broker: 1, topic: 'orders', partition: 0, producerId: 7, producerEpoch: 0, result, coordinatorEpoch: 1, offset: error === 'NONE' ? 30 : -1, error,
});
const lso = (lastStableOffset: number, highWatermark: number): Event => ({ kind: 'lso', broker: 1, topic: 'orders', partition: 0, lastStableOffset, highWatermark });

/** The probes the log checker decides at the end, from the final logs (test/checker/kafka-log.test.ts tests it). */
type AtEndProbe = 'acked-above-high-watermark' | 'aborted-read';
type TracedProbe = Exclude<ProbeName, AtEndProbe>;

/**
 * Per probe: events that reach it once, and the nearest events that must not. A Record over
 * ProbeName, so a probe added without a case here does not compile.
 */
const CASES: Record<TracedProbe, { readonly reach: readonly Event[]; readonly miss: readonly Event[] }> = {
  'unclean-election': {
    reach: [...created, election(1, 0, [1, 2, 3]), election(3, 1, [3], true)],
    miss: [...created, election(1, 0, [1, 2, 3]), election(2, 1, [2, 3])], // a clean election after a failure
  },
  'isr-shrunk-to-one': {
    reach: [...created, election(1, 0, [1, 2, 3]), shrink([1, 2]), shrink([1])],
    // Shrunk to two is not to one; an ISR of one on a topic with replication.factor 1 is all it can be.
    miss: [...created, election(1, 0, [1, 2, 3]), shrink([1, 2]), { kind: 'election', controller: 1, controllerEpoch: 1, topic: 'single', partition: 0, leader: 1, leaderEpoch: 0, isr: [1], unclean: false, reason: 'new-topic' }],
  },
  'truncation-below-acked': {
    // Offsets 0..4 acknowledged; a follower cut back to 4 loses offset 4 from its log.
    reach: [...created, ack(0), ack(4), truncate(9, 4)],
    // Cut to 5: every acknowledged offset (0..4) stays; acks on another partition do not count here.
    miss: [...created, ack(0), ack(4), ack(20, 1), truncate(9, 5)],
  },
  'fenced-controller': {
    reach: [controllerElected(1, 1), controllerElected(2, 2), { kind: 'controller.fenced', broker: 1, staleEpoch: 1, currentEpoch: 2 }],
    miss: [controllerElected(1, 1), { kind: 'controller.resigned', broker: 1, controllerEpoch: 1 }],
  },
  'rebalance-during-commit': {
    reach: [appCommit('ILLEGAL_GENERATION')],
    // A commit that failed for another reason; the coordinator's own refusal is counted by the app.commit that reports it.
    miss: [appCommit('NONE'), appCommit('COORDINATOR_NOT_AVAILABLE'), { kind: 'group.commit', broker: 1, group: 'billing', memberId: 'billing-1-0', generation: 3, offsets: [['orders', 0, 10]], error: 'REBALANCE_IN_PROGRESS' }],
  },
  'retried-send-after-timeout': {
    reach: [retry('REQUEST_TIMED_OUT')],
    miss: [retry('NOT_LEADER_OR_FOLLOWER'), retry('NOT_ENOUGH_REPLICAS')], // the broker answered: nothing was maybe written
  },
  'offline-partition': {
    reach: [...created, election(1, 0, [1, 2, 3]), offline(), offline()], // re-announced while still offline: one stay
    miss: [...created, election(1, 0, [1, 2, 3]), { kind: 'broker.failed', controller: 2, broker: 1 }, election(2, 1, [2, 3])],
  },
  'controller-failover': {
    reach: [controllerElected(1, 1), controllerElected(2, 2)],
    miss: [controllerElected(1, 1), { kind: 'controller.resigned', broker: 1, controllerEpoch: 1 }], // the first election is no failover
  },
  'not-enough-replicas': {
    reach: [{ kind: 'produce.rejected', broker: 1, topic: 'orders', partition: 0, error: 'NOT_ENOUGH_REPLICAS', isr: [1] }],
    miss: [{ kind: 'produce.rejected', broker: 1, topic: 'orders', partition: 0, error: 'NOT_LEADER_OR_FOLLOWER', isr: [1, 2] }],
  },
  'leader-epoch-truncation': {
    reach: [truncate(9, 5, 'leader-epoch')],
    miss: [truncate(9, 5, 'high-watermark')],
  },
  'high-watermark-truncation': {
    reach: [truncate(9, 5, 'high-watermark')],
    miss: [truncate(9, 5, 'leader-epoch')],
  },
  'power-loss': {
    reach: [{ kind: 'proc.power', node: 'b1', lostRecords: 3 }],
    miss: [{ kind: 'proc.power', node: 'b1', lostRecords: 0 }, { kind: 'proc.kill', node: 'b1' }], // everything was flushed; a kill keeps the page cache
  },
  'coordinator-moved': {
    reach: [{ kind: 'group.loaded', broker: 1, partition: 7, groups: [] }, { kind: 'group.loaded', broker: 2, partition: 7, groups: ['billing'] }],
    miss: [{ kind: 'group.loaded', broker: 1, partition: 7, groups: [] }], // the first load of an empty partition
  },
  'session-timeout': {
    reach: [removed('session-timeout')],
    miss: [removed('leave'), removed('rebalance-timeout')],
  },
  'poll-timeout': {
    reach: [{ kind: 'consumer.poll-timeout', group: 'billing', member: 'billing-1', memberId: 'billing-1-0', generation: 3, sinceLastPollMs: 2500 }],
    miss: [{ kind: 'consumer.join', group: 'billing', member: 'billing-1', memberId: 'billing-1-0', reason: 'rebalance' }],
  },
  'consumer-truncation-detected': {
    reach: [position('truncation-detected')],
    miss: [position('committed'), position('reset-earliest')],
  },
  'broker-session-expired': {
    reach: [{ kind: 'zk.expired', sessionId: 4, owner: 'b2', ephemerals: ['/brokers/ids/2', '/controller'] }],
    miss: [{ kind: 'zk.closed', sessionId: 4, owner: 'b2', ephemerals: ['/brokers/ids/2'] }, { kind: 'zk.expired', sessionId: 5, owner: 'admin', ephemerals: [] }], // a clean close; a session that registered no broker
  },
  'controlled-shutdown': {
    reach: [{ kind: 'controller.shutting-down', controller: 1, broker: 2 }],
    miss: [{ kind: 'broker.shutdown', broker: 2, phase: 'unclean', attempt: 3, remaining: ['orders-0'] }],
  },
  'stale-broker-epoch': {
    reach: [{ kind: 'broker.stale-request', broker: 1, request: 'StopReplica', requestBrokerEpoch: 13, brokerEpoch: 28 }],
    miss: [{ kind: 'controller.fenced', broker: 3, staleEpoch: 1, currentEpoch: 2 }],
  },
  'controller-write-retried': {
    reach: [writeConflict('retry')],
    miss: [writeConflict('ours'), writeConflict('newer-controller')], // before 1.1 its own write found; a newer controller's state left alone
  },
  'broker-bounced': {
    reach: [{ kind: 'broker.bounced', controller: 1, broker: 2, previousEpoch: 13, brokerEpoch: 28 }],
    miss: [{ kind: 'broker.failed', controller: 1, broker: 2 }, { kind: 'broker.joined', controller: 1, broker: 2 }], // seen gone, then back: no bounce
  },
  'failover-isr-shrink': {
    // A new controller drops dead b3 from [1 2 3] (and makes dead leader b1's partition 1 leaderless, ISR kept).
    reach: [...created, election(1, 0, [1, 2, 3]), election(1, 0, [1], false, 1), isrWrite(1, 1, [1, 2], 'controller-failover'), isrWrite(-1, 1, [1], 'controller-failover', 1)],
    // The same shrink by a controller that saw the broker die; a new controller only taking a dead leader's leadership.
    miss: [...created, election(1, 0, [1, 2, 3]), election(1, 0, [1], false, 1), isrWrite(1, 1, [1, 2], 'broker-failure'), isrWrite(-1, 1, [1], 'controller-failover', 1)],
  },
  'broker-start-failed': {
    reach: [{ kind: 'broker.start-failed', broker: 2, reason: 'registration-exists', path: '/brokers/ids/2', heldBySessionId: 4, sessionId: 9 }],
    miss: [{ kind: 'broker.loading', broker: 2, logs: 3, cleanShutdown: false, restart: true, recoveryBytes: 1000, durationUs: 1_000_020 }], // a restart that loads its logs and goes on
  },
  'hw-held-under-min-isr': {
    reach: [{ kind: 'hw.held', broker: 1, topic: 'orders', partition: 0, highWatermark: 40, logEndOffset: 45, isr: [1], minIsr: 2 }],
    miss: [{ kind: 'produce.rejected', broker: 1, topic: 'orders', partition: 0, error: 'NOT_ENOUGH_REPLICAS', isr: [1] }], // acks=all refused: no HW held
  },
  'alter-isr-refused': {
    reach: [{ kind: 'isr.refused', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 3, isr: [1, 2], error: 'FENCED_LEADER_EPOCH', then: 'stays-pending' }],
    // Unanswered, or no controller known yet: nobody refused anything.
    miss: [{ kind: 'isr.alter-retry', broker: 1, partitions: 1, why: 'no-answer' }, { kind: 'isr.alter-retry', broker: 1, partitions: 1, why: 'no-controller' }],
  },
  'alter-isr-unanswered': {
    reach: [{ kind: 'isr.alter-retry', broker: 1, partitions: 2, why: 'NOT_CONTROLLER' }],
    // A top-level refusal is an answer; a proposal is not yet unanswered.
    miss: [{ kind: 'isr.alter-retry', broker: 1, partitions: 2, why: 'STALE_BROKER_EPOCH' }, { kind: 'isr.proposed', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 3, zkVersion: 4, isr: [1], maximalIsr: [1, 2], via: 'AlterPartition' }],
  },
  'illegal-generation-commit': {
    reach: [groupCommit(2, 'ILLEGAL_GENERATION')],
    // The coordinator stored the commit, or refused it for another reason (the member gone, a rebalance under way).
    miss: [groupCommit(3, 'NONE'), groupCommit(2, 'UNKNOWN_MEMBER_ID'), groupCommit(3, 'REBALANCE_IN_PROGRESS'), appCommit('REBALANCE_IN_PROGRESS')],
  },
  'producer-sequence-reset': {
    reach: [{ kind: 'producer.sequence-reset', producer: 'p1', topic: 'orders', reason: 'epoch-bump', producerId: 7, producerEpoch: 1, partitions: [0] }],
    // A retry after OUT_OF_ORDER_SEQUENCE_NUMBER keeps its sequence: nothing was restarted.
    miss: [{ kind: 'producer.retry', producer: 'p1', topic: 'orders', partition: 0, firstSeq: 5, count: 2, error: 'OUT_OF_ORDER_SEQUENCE_NUMBER', attempt: 1 }],
  },
  'transaction-aborted': {
    reach: [marker('ABORT', 'NONE')],
    // A commit, or an abort marker the leader refused (a zombie coordinator's), aborted nothing.
    miss: [marker('COMMIT', 'NONE'), marker('ABORT', 'TRANSACTION_COORDINATOR_FENCED')],
  },
  'lso-behind-hw': {
    // Falling behind counts once, however often the LSO moves while behind; catching up ends it.
    reach: [lso(10, 12), lso(11, 14), lso(14, 14)],
    miss: [lso(14, 14), { kind: 'hw', broker: 1, topic: 'orders', partition: 0, highWatermark: 20 }],
  },
};

describe('checker: coverage', () => {
  test('checker: coverage: the probe list has unique names, each described, and zeroCoverage has each in order', () => {
    expect(new Set(PROBE_NAMES).size).toBe(COVERAGE_PROBES.length);
    for (const p of COVERAGE_PROBES) expect(p.description.length, p.name).toBeGreaterThan(20);
    expect(Object.keys(zeroCoverage())).toEqual(PROBE_NAMES);
    expect(Object.values(zeroCoverage()).every((n) => n === 0)).toBe(true);
    // The six situations lead the list.
    expect(PROBE_NAMES.slice(0, 6)).toEqual(['unclean-election', 'isr-shrunk-to-one', 'truncation-below-acked', 'fenced-controller', 'rebalance-during-commit', 'retried-send-after-timeout']);
  });

  test.each(PROBE_NAMES.filter((name): name is TracedProbe => name !== 'acked-above-high-watermark' && name !== 'aborted-read').map((name) => [name] as const))('checker: coverage: %s fires once on its situation, not on its near miss', (name) => {
    const { reach, miss } = CASES[name];
    expect(probe(reach)[name]).toBe(1);
    expect(probe(miss)[name]).toBe(0);
  });

  test('checker: coverage: an unclean election of the last replica standing reaches exactly unclean-election and isr-shrunk-to-one', () => {
    // b1 led with ISR [1 2 3]; b1 and b2 die; b3, out of sync, is elected alone.
    expect(reached(probe([...created, election(1, 0, [1, 2, 3]), election(3, 1, [3], true)]))).toEqual({ 'unclean-election': 1, 'isr-shrunk-to-one': 1 });
  });

  test('checker: coverage: isr-shrunk-to-one counts each stay at one, not each announcement of it', () => {
    const counts = probe([
      ...created, election(1, 0, [1, 2, 3]),
      shrink([1, 2]), shrink([1]), // 1: the leader alone
      { kind: 'controller.isr', controller: 2, topic: 'orders', partition: 0, leader: 1, leaderEpoch: 1, isr: [1], reason: 'broker-failure' }, // the same stay, a new epoch
      election(1, 2, [1]), // still the same stay
      expand([1, 3]), shrink([1]), // 2: back to one after growing
      election(2, 0, [2, 3, 1], false, 1), shrink([2], 1), // 3: another partition
    ]);
    expect(counts['isr-shrunk-to-one']).toBe(3);
  });

  test('checker: coverage: a topic the trace never showed created learns its replication factor from the ISRs it sees', () => {
    const isr = (size: number): Event => ({ kind: 'isr.shrink', broker: 1, topic: 'other', partition: 0, leaderEpoch: 0, isr: [1, 2, 3].slice(0, size), removed: [], lagMs: 1 });
    expect(probe([isr(1)])['isr-shrunk-to-one']).toBe(0); // for all it knows, replication.factor 1
    expect(probe([isr(2), isr(1)])['isr-shrunk-to-one']).toBe(1);
  });

  test('checker: coverage: truncation-below-acked compares with the highest acknowledged offset of that partition only', () => {
    const acks = [...created, ack(0), ack(7), ack(3), ack(-1, 0, 99)]; // out of order, and an acks=0 ack (offset -1)
    expect(probe([...acks, truncate(12, 8)])['truncation-below-acked']).toBe(0); // offsets 0..7 stay
    expect(probe([...acks, truncate(12, 7)])['truncation-below-acked']).toBe(1); // offset 7 is cut
    expect(probe([...acks, truncate(12, 0, 'leader-epoch', 2)])['truncation-below-acked']).toBe(0); // nothing acked on orders-2
    expect(probe([...created, ack(-1), truncate(3, 0)])['truncation-below-acked']).toBe(0); // acks=0: no offset was promised
    // Every replica that cuts below counts (here two followers of one partition).
    expect(probe([...acks, truncate(12, 2), truncate(9, 5)])['truncation-below-acked']).toBe(2);
  });

  test('checker: coverage: offline-partition counts each time a partition goes offline again after a leader', () => {
    const counts = probe([...created, election(1, 0, [1, 2, 3]), offline(), offline(), election(1, 1, [1]), offline(), offline(2)]);
    expect(counts['offline-partition']).toBe(3);
  });

  test('checker: coverage: rebalance-during-commit counts every refusal that means the group moved on', () => {
    const counts = probe([appCommit('REBALANCE_IN_PROGRESS'), appCommit('ILLEGAL_GENERATION'), appCommit('UNKNOWN_MEMBER_ID'), appCommit('COMMIT_FAILED'), appCommit('NOT_COORDINATOR')]);
    expect(reached(counts)).toEqual({ 'rebalance-during-commit': 4 });
  });

  test('checker: coverage: controller-failover counts each controller after the first', () => {
    expect(probe([controllerElected(1, 1), controllerElected(2, 2), controllerElected(1, 3)])['controller-failover']).toBe(2);
  });

  test('checker: coverage: each of the situations a probe names counts, not only the first one listed', () => {
    // NETWORK_EXCEPTION, like REQUEST_TIMED_OUT, leaves the first send maybe written.
    expect(probe([retry('NETWORK_EXCEPTION')])['retried-send-after-timeout']).toBe(1);
    // 'not-needed': the re-read state already had the change, decided again all the same.
    expect(probe([writeConflict('not-needed')])['controller-write-retried']).toBe(1);
    // A top-level refusal (STALE_BROKER_EPOCH) is the controller's answer: refused, not unanswered.
    expect(reached(probe([{ kind: 'isr.alter-retry', broker: 1, partitions: 2, why: 'STALE_BROKER_EPOCH' }]))).toEqual({ 'alter-isr-refused': 1 });
    // A power loss cutting a log is neither kind of follower truncation.
    expect(reached(probe([truncate(9, 5, 'power-loss')]))).toEqual({});
    // A session that held only other ephemerals (no /brokers/ids/<id>) is no broker's session.
    expect(probe([{ kind: 'zk.expired', sessionId: 5, owner: 'b1', ephemerals: ['/controller'] }])['broker-session-expired']).toBe(0);
  });

  test('checker: coverage: the at-end probe adds what the log checker counted at the end', () => {
    const world = new World<unknown>({ seed: 1, network });
    const probes = new CoverageProbes(world);
    probes.reachedAtEnd('acked-above-high-watermark', 3);
    probes.reachedAtEnd('acked-above-high-watermark', 2);
    expect(reached(probes.counts())).toEqual({ 'acked-above-high-watermark': 5 });
  });

  // Partitions are met in any order: a partition first seen after a higher one starts with
  // nothing acknowledged, online, and an ISR of its own.
  test('checker: coverage: a partition met after a higher-numbered one starts from nothing', () => {
    // Offset 0 acknowledged on orders-0 alone: a cut to 0 loses it.
    expect(probe([...created, ack(0), truncate(4, 0)])['truncation-below-acked']).toBe(1);
    // Acknowledged on orders-2 only: orders-0 promised nothing, and a cut there loses nothing.
    expect(probe([...created, ack(5, 2), truncate(4, 0)])['truncation-below-acked']).toBe(0);
    // ...and an ack on orders-0 after one on orders-2 still counts.
    expect(probe([...created, ack(5, 2), ack(3), truncate(4, 2)])['truncation-below-acked']).toBe(1);
    // An election on orders-1 first: orders-0 going offline is still its first time offline.
    expect(probe([...created, election(2, 0, [2, 3, 1], false, 1), offline()])['offline-partition']).toBe(1);
    expect(probe([...created, offline(1), offline()])['offline-partition']).toBe(2);
    // A partition offline before any leader (every replica dead at creation) counts too.
    expect(probe([...created, offline()])['offline-partition']).toBe(1);
  });

  test('checker: coverage: the replication factor comes from the topic creation, even when the first ISR is one broker; a cut of nothing loses nothing', () => {
    // orders has 3 replicas per partition: an ISR of one is a shrink, the first ISR seen or not.
    expect(probe([...created, election(1, 0, [1])])['isr-shrunk-to-one']).toBe(1);
    // A truncation that cuts nothing (the log already ended there) loses no acknowledged offset.
    expect(probe([...created, ack(7), truncate(4, 4)])['truncation-below-acked']).toBe(0);
  });
});
