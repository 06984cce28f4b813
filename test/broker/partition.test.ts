import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { PartitionLog } from '../../src/broker/log.js';
import { Partition } from '../../src/broker/partition.js';
import { ProducerStateTable } from '../../src/broker/producer-state.js';
import { behaviourOf } from '../../src/broker/profile.js';
import type { PartitionState } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NEVER = Number.MAX_SAFE_INTEGER;
const S = 1_000_000;

const batch = (n: number, producer: { id: number; seq: number } | null = null): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId: producer?.id ?? -1, producerEpoch: producer === null ? -1 : 0, baseSequence: producer?.seq ?? -1,
  records: Array.from({ length: n }, (_, i) => ({ key: null, producer: 'p1', seq: i + 1 })),
});

function leaderOf(isr: number[]): Partition {
  const world = new World<never>({ seed: 1, network });
  world.spawn('b1', () => ({ onMessage: () => {} }));
  const log = new PartitionLog('orders', 0, world.disk('b1'), { intervalMessages: NEVER, intervalMs: NEVER }, 0);
  const p = new Partition('orders', 0, 1, log, 0);
  const state: PartitionState = { topic: 'orders', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr, zkVersion: 0, replicas: [1, 2, 3] };
  p.makeLeader(state, 0);
  return p;
}

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
    p.pendingIsr = [1, 2, 3]; // 3 caught up: its addition is being written
    p.log.appendAsLeader(batch(5), 0, 2);
    p.recordFollowerFetch(2, 10, 3); // 3 stalls at 5
    expect(p.maybeIncrementHighWatermark()).toBe(false);
    expect(p.highWatermark).toBe(5);
    p.pendingIsr = null; // the write failed: only the ISR counts again
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
