import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { PartitionLog } from '../../src/broker/log.js';
import { Partition } from '../../src/broker/partition.js';
import { ProducerStateTable } from '../../src/broker/producer-state.js';
import { refused } from '../../src/broker/isr-change-manager.js';
import { behaviourOf } from '../../src/broker/profile.js';
import type { AlterPartitionResult, PartitionState } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NEVER = Number.MAX_SAFE_INTEGER;
const S = 1_000_000;

const batch = (n: number, producer: { id: number; seq: number } | null = null): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId: producer?.id ?? -1, producerEpoch: producer === null ? -1 : 0, baseSequence: producer?.seq ?? -1,
  records: Array.from({ length: n }, (_, i) => ({ key: null, producer: 'p1', seq: i + 1 })),
});

function leaderOf(isr: number[], replicas: number[] = [1, 2, 3]): Partition {
  const world = new World<never>({ seed: 1, network });
  world.spawn('b1', () => ({ onMessage: () => {} }));
  const log = new PartitionLog('orders', 0, world.disk('b1'), { intervalMessages: NEVER, intervalMs: NEVER }, 0);
  const p = new Partition('orders', 0, 1, log, 0);
  const state: PartitionState = { topic: 'orders', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr, zkVersion: 0, replicas };
  p.makeLeader(state, 0);
  return p;
}

/** The controller's answer that the partition now has `isr` at state znode version `zkVersion`. */
const accepted = (p: Partition, isr: number[], zkVersion: number, leaderEpoch = p.leaderEpoch): AlterPartitionResult => ({
  topic: p.topic, partition: p.partition, error: 'NONE', leader: p.brokerId, leaderEpoch, isr, zkVersion,
});
const V26 = behaviourOf('2.6');
const V27 = behaviourOf('2.7');
const V28 = behaviourOf('2.8');
const V39 = behaviourOf('3.9');

describe('broker: partition', () => {
  test('broker: partition: the high watermark is the smallest LEO in the ISR and never moves back', () => {
    const p = leaderOf([1, 2, 3]);
    p.log.appendAsLeader(batch(10), 0, 0);
    expect(p.maybeIncrementHighWatermark()).toBe(false); // followers' LEOs unknown yet
    p.recordFollowerFetch(2, 10, 1);
    p.recordFollowerFetch(3, 4, 1);
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(4);
    p.recordFollowerFetch(3, 2, 2); // a stale fetch offset cannot pull the HW back
    p.maybeIncrementHighWatermark();
    expect(p.highWatermark).toBe(4);
    p.isr = [1, 2]; // follower 3 left the ISR: only 1 and 2 count
    p.maybeIncrementHighWatermark();
    expect(p.highWatermark).toBe(10);
  });

  // The seed-47 loss of consumer-nemesis: an expansion whose ZooKeeper write hung for seconds
  // landed after the HW had passed the joining follower, which then led without those records.
  test('broker: partition: a follower being added holds the high watermark while the change is pending (KIP-497 maximal ISR)', () => {
    const p = leaderOf([1, 2]);
    p.log.appendAsLeader(batch(5), 0, 0);
    p.recordFollowerFetch(2, 5, 1);
    p.recordFollowerFetch(3, 5, 1);
    p.maybeIncrementHighWatermark();
    expect(p.highWatermark).toBe(5);
    const change = p.prepareIsrExpand(3); // 3 caught up: its addition is being written
    p.log.appendAsLeader(batch(5), 0, 2);
    p.recordFollowerFetch(2, 10, 3); // 3 stalls at 5
    expect(p.maybeIncrementHighWatermark()).toBe(false);
    expect(p.highWatermark).toBe(5);
    expect(p.handleIsrAnswer(change, refused(p, 'INVALID_UPDATE_VERSION'), behaviourOf('2.6'))).toBe('back-to-committed'); // the write failed: only the ISR counts again
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(10);
  });

  // Kafka's rule: out of sync when behind the leader's LEO and not caught up for replica.lag.time.max.ms.
  test('broker: partition: a follower that stops catching up leaves the ISR after replica.lag.time.max.ms', () => {
    const p = leaderOf([1, 2, 3]);
    p.log.appendAsLeader(batch(5), 0, 0);
    p.recordFollowerFetch(2, 5, 1 * S); // caught up at 1s
    p.recordFollowerFetch(3, 5, 1 * S);
    p.log.appendAsLeader(batch(5), 0, 2 * S);
    p.recordFollowerFetch(2, 10, 20 * S); // 2 keeps up; 3 stops fetching
    expect(p.outOfSyncReplicas(30 * S, 30 * S)).toEqual([]);
    expect(p.outOfSyncReplicas(31 * S + 1, 30 * S)).toEqual([3]);
  });

  test('broker: partition: a follower rejoins the ISR once it reaches the HW and the epoch start', () => {
    const p = leaderOf([1, 2]);
    p.log.appendAsLeader(batch(8), 0, 0);
    p.recordFollowerFetch(2, 8, 1);
    p.maybeIncrementHighWatermark();
    p.recordFollowerFetch(3, 7, 1);
    expect(p.followerToAdd(3)).toBe(false);
    p.recordFollowerFetch(3, 8, 2);
    expect(p.followerToAdd(3)).toBe(true);
    expect(p.followerToAdd(2)).toBe(false); // already in
  });

  test('broker: producer state: a retried batch is a duplicate with its first offset; a gap is out of order', () => {
    const table = new ProducerStateTable();
    const rules = behaviourOf('3.9').producerState;
    const first = { ...batch(3, { id: 7, seq: 0 }), baseOffset: 100 };
    expect(table.check(first, rules)).toEqual({ kind: 'append' });
    table.record(first);
    expect(table.check(batch(3, { id: 7, seq: 0 }), rules)).toEqual({ kind: 'duplicate', baseOffset: 100 });
    expect(table.check(batch(2, { id: 7, seq: 5 }), rules)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(table.check(batch(2, { id: 7, seq: 3 }), rules)).toEqual({ kind: 'append' });
    expect(table.check(batch(1, { id: 8, seq: 0 }), rules)).toEqual({ kind: 'append' });
    expect(table.check(batch(1), rules)).toEqual({ kind: 'append' }); // not idempotent: no checks
  });
});

describe('broker: partition: high watermark under min.insync.replicas (KAFKA-15583)', () => {
  // Partition.maybeIncrementLeaderHW returns at once while isUnderMinIsr (3.7.0).
  test('broker: partition: from 3.7 the HW holds while the ISR is smaller than min.insync.replicas, and moves once the ISR is back', () => {
    const p = leaderOf([1]);
    p.minIsrForHighWatermark = 2;
    p.log.appendAsLeader(batch(5), 0, 0);
    expect(p.maybeIncrementHighWatermark()).toBe(false);
    expect(p.highWatermark).toBe(0);
    expect(p.hwHeldNews).toBe(true);
    p.hwHeldNews = false;
    p.log.appendAsLeader(batch(5), 0, 1);
    expect(p.maybeIncrementHighWatermark()).toBe(false);
    expect(p.hwHeldNews).toBe(false); // told once a stay
    p.recordFollowerFetch(2, 10, 2);
    const change = p.prepareIsrExpand(2);
    expect(p.maybeIncrementHighWatermark()).toBe(false); // a pending expansion is not yet the committed ISR
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2], 1), V39)).toBe('committed');
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(10);
  });

  // Before 3.7 the HW is the smallest LEO in the ISR, whatever its size.
  test('broker: partition: before 3.7 a leader alone in the ISR advances the HW to its own log end', () => {
    const p = leaderOf([1]);
    p.log.appendAsLeader(batch(5), 0, 0);
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(5);
    expect(p.hwHeldNews).toBe(false);
  });

  // Partition.effectiveMinIsr: min(min.insync.replicas, replicas) (3.7.0).
  test('broker: partition: min.insync.replicas above the replica count counts as the replica count', () => {
    const p = leaderOf([1], [1]);
    p.minIsrForHighWatermark = 2;
    p.log.appendAsLeader(batch(5), 0, 0);
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(5);
  });
});

describe('broker: partition: ISR changes through the controller (KIP-497)', () => {
  // PendingExpandIsr: maximalIsr = isr + the new replica; the ISR itself only from the answer.
  test('broker: partition: alter isr: a pending expansion counts the new member for the HW at once, and is committed only by the answer', () => {
    const p = leaderOf([1, 2]);
    p.log.appendAsLeader(batch(5), 0, 0);
    p.recordFollowerFetch(2, 5, 1);
    p.recordFollowerFetch(3, 5, 1);
    p.maybeIncrementHighWatermark();
    const change = p.prepareIsrExpand(3);
    expect(change).toMatchObject({ kind: 'expand', isr: [1, 2, 3], maximalIsr: [1, 2, 3], added: [3], leaderEpoch: 0, zkVersion: 0 });
    expect(p.isr).toEqual([1, 2]);
    expect(p.isrUpdateInFlight).toBe(true);
    p.log.appendAsLeader(batch(5), 0, 2);
    p.recordFollowerFetch(2, 10, 3);
    expect(p.maybeIncrementHighWatermark()).toBe(false); // 3, being added, is still at 5
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2, 3], 1), V39)).toBe('committed');
    expect(p.isr).toEqual([1, 2, 3]);
    expect(p.zkVersion).toBe(1);
    expect(p.isrUpdateInFlight).toBe(false);
  });

  // checkEnoughReplicasReachOffset: minIsr <= curMaximalIsr.size (2.7.0+); inSyncReplicaIds before (2.6.0).
  test('broker: partition: alter isr: the after-append check counts a replica being added from 2.7, only the committed ISR before', () => {
    const p = leaderOf([1]);
    p.prepareIsrExpand(2);
    expect(p.isrSizeAfterAppend(V27)).toBe(2);
    expect(p.isrSizeAfterAppend(V26)).toBe(1);
    const shrinking = leaderOf([1, 2, 3]);
    shrinking.prepareIsrShrink([3], 10_000);
    expect(shrinking.isrSizeAfterAppend(V39)).toBe(3); // a replica being removed counts until committed
  });

  // PendingShrinkIsr: maximalIsr = the committed ISR; a failed shrink must not have moved the HW.
  test('broker: partition: alter isr: a pending shrink keeps counting the removed follower until the answer commits it', () => {
    const p = leaderOf([1, 2, 3]);
    p.log.appendAsLeader(batch(10), 0, 0);
    p.recordFollowerFetch(2, 10, 1);
    p.recordFollowerFetch(3, 5, 1);
    p.maybeIncrementHighWatermark();
    expect(p.highWatermark).toBe(5);
    const change = p.prepareIsrShrink([3], 12_000);
    expect(change).toMatchObject({ kind: 'shrink', isr: [1, 2], maximalIsr: [1, 2, 3], removed: [3], lagMs: 12_000 });
    expect(p.maybeIncrementHighWatermark()).toBe(false);
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2], 1), V39)).toBe('committed');
    expect(p.maybeIncrementHighWatermark()).toBe(true);
    expect(p.highWatermark).toBe(10);
  });

  // Partition.handleAlterPartitionError (3.7.0) / handleAlterIsrResponse (2.7.0, 2.8.2).
  test('broker: partition: alter isr: a refused change stays pending until a LeaderAndIsr, goes back to the committed ISR, or is sent again, by error and version', () => {
    const p = leaderOf([1, 2]);
    const fenced = p.prepareIsrExpand(3);
    expect(p.handleIsrAnswer(fenced, refused(p, 'FENCED_LEADER_EPOCH'), V39)).toBe('stays-pending');
    expect(p.isrUpdateInFlight).toBe(true); // no other change until the controller's LeaderAndIsr
    p.makeLeader({ topic: 'orders', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 1, isr: [1, 2], zkVersion: 1, replicas: [1, 2, 3] }, 5);
    expect(p.isrUpdateInFlight).toBe(false);
    const ineligible = p.prepareIsrExpand(3);
    expect(p.handleIsrAnswer(ineligible, refused(p, 'INELIGIBLE_REPLICA'), V39)).toBe('back-to-committed');
    expect(p.isrUpdateInFlight).toBe(false);
    const stale = p.prepareIsrExpand(3);
    expect(p.handleIsrAnswer(stale, refused(p, 'INVALID_UPDATE_VERSION'), V28)).toBe('stays-pending');
    p.makeLeader({ topic: 'orders', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 2, isr: [1, 2], zkVersion: 2, replicas: [1, 2, 3] }, 6);
    const unexpected = p.prepareIsrExpand(3);
    expect(p.handleIsrAnswer(unexpected, refused(p, 'UNKNOWN_SERVER_ERROR'), V39)).toBe('retries');
    expect(p.pendingIsrChange).toBe(unexpected);
    // Before 2.7 the "answer" is the leader's own ZooKeeper write: a failed one leaves the ISR as it was.
    expect(p.handleIsrAnswer(unexpected, refused(p, 'INVALID_UPDATE_VERSION'), V26)).toBe('back-to-committed');
    expect(p.isr).toEqual([1, 2]);
  });

  test('broker: partition: alter isr: an answer for a change the leader left, or for an older leader epoch, is ignored; 2.7 also ignores one at its own version', () => {
    const p = leaderOf([1, 2]);
    const old = p.prepareIsrExpand(3);
    p.makeLeader({ topic: 'orders', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 1, isr: [1, 2], zkVersion: 1, replicas: [1, 2, 3] }, 5);
    expect(p.handleIsrAnswer(old, accepted(p, [1, 2, 3], 2), V39)).toBe('ignored'); // the LeaderAndIsr came first
    expect(p.isr).toEqual([1, 2]);
    const change = p.prepareIsrExpand(3);
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2, 3], 2, 0), V39)).toBe('ignored'); // an older leader epoch
    expect(p.pendingIsrChange).toBe(change); // still pending: Kafka waits for a LeaderAndIsr
    // The controller had it already ("already in the desired state"), at the version we know.
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2, 3], 1), V27)).toBe('ignored');
    expect(p.handleIsrAnswer(change, accepted(p, [1, 2, 3], 1), V28)).toBe('committed');
    expect(p.isr).toEqual([1, 2, 3]);
  });
});
