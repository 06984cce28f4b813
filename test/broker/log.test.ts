import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { PartitionLog } from '../../src/broker/log.js';
import type { RecordBatch } from '../../src/kafka/records.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NEVER = Number.MAX_SAFE_INTEGER;

function setup(flushMessages = NEVER): { world: World<never>; open: () => PartitionLog } {
  const world = new World<never>({ seed: 1, network });
  world.spawn('b1', () => ({ onMessage: () => {} }));
  return { world, open: () => new PartitionLog('orders', 0, world.disk('b1'), { intervalMessages: flushMessages, intervalMs: NEVER }, 0) };
}

const batch = (seqs: number[]): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1,
  records: seqs.map((seq) => ({ key: null, producer: 'p1', seq })),
});

describe('broker: log', () => {
  test('broker: log: a leader append assigns contiguous offsets and its epoch; LEO follows', () => {
    const { open } = setup();
    const log = open();
    expect(log.appendAsLeader(batch([1, 2, 3]), 0, 0).baseOffset).toBe(0);
    expect(log.appendAsLeader(batch([4]), 0, 0).baseOffset).toBe(3);
    log.assignEpochStartOffset(1, log.logEndOffset);
    expect(log.appendAsLeader(batch([5, 6]), 1, 0)).toMatchObject({ baseOffset: 4, leaderEpoch: 1 });
    expect(log.logEndOffset).toBe(6);
    expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }, { epoch: 1, startOffset: 4 }]);
    expect(log.read(3, 1).map((b) => b.baseOffset)).toEqual([3]);
    expect(log.read(1, 100).map((b) => b.baseOffset)).toEqual([0, 3, 4]);
    expect(log.read(6, 100)).toEqual([]);
  });

  test('broker: log: truncation cuts a straddling batch and forgets epochs that started past the end', () => {
    const { open } = setup();
    const log = open();
    log.appendAsLeader(batch([1, 2, 3]), 0, 0);
    log.assignEpochStartOffset(2, 3);
    log.appendAsLeader(batch([4, 5]), 2, 0);
    log.truncateTo(2);
    expect(log.logEndOffset).toBe(2);
    expect(log.read(0, 100)[0]!.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(log.epochEntries()).toEqual([{ epoch: 0, startOffset: 0 }]);
    log.truncateTo(9); // beyond the end: nothing to do
    expect(log.logEndOffset).toBe(2);
  });

  // KIP-101 and KIP-279: the answer names the largest known epoch not above the one asked.
  test('broker: log: OffsetsForLeaderEpoch answers with the end of the asked epoch, or of the largest smaller one', () => {
    const { open } = setup();
    const log = open();
    log.appendAsLeader(batch([1, 2]), 1, 0); // epoch 1 at 0
    log.assignEpochStartOffset(3, 2);
    log.appendAsLeader(batch([3]), 3, 0); // epoch 3 at 2
    expect(log.endOffsetForEpoch(1)).toEqual({ leaderEpoch: 1, endOffset: 2 });
    expect(log.endOffsetForEpoch(2)).toEqual({ leaderEpoch: 1, endOffset: 2 });
    expect(log.endOffsetForEpoch(3)).toEqual({ leaderEpoch: 3, endOffset: 3 });
    expect(log.endOffsetForEpoch(7)).toEqual({ leaderEpoch: 3, endOffset: 3 });
    expect(log.endOffsetForEpoch(0)).toEqual({ leaderEpoch: -1, endOffset: -1 });
  });

  test('broker: log: without flushes a power loss takes the log back to empty; log.flush.interval.messages=1 keeps it', () => {
    for (const [flushEvery, survives] of [[NEVER, 0], [1, 3]] as const) {
      const { world, open } = setup(flushEvery);
      const log = open();
      log.appendAsLeader(batch([1, 2, 3]), 0, 0);
      world.powerLoss('b1');
      expect(open().logEndOffset).toBe(survives);
    }
  });

  test('broker: log: the recovery point is the LEO at Kafka\'s last flush; a segment roll flushes (Log.roll), the OS writeback does not move it', () => {
    const world = new World<never>({ seed: 1, network });
    world.spawn('b1', () => ({ onMessage: () => {} }));
    const log = new PartitionLog('orders', 0, world.disk('b1'), { intervalMessages: NEVER, intervalMs: NEVER, segmentRecords: 10 }, 0);
    log.appendAsLeader(batch([1, 2, 3, 4, 5, 6]), 0, 0);
    log.appendAsLeader(batch([7, 8, 9, 10, 11]), 0, 0); // 6..10: straddles offset 10, still in segment 0
    world.disk('b1').writeBack(60_000_000, 0); // the OS makes the pages durable: not a Kafka flush
    expect([log.recoveryPoint, log.durableOffset]).toEqual([0, 11]);
    log.appendAsLeader(batch([12]), 0, 0); // base offset 11: segment 1 begins, the log rolls and flushes
    expect(log.recoveryPoint).toBe(12);
    log.appendAsLeader(batch([13, 14]), 0, 0);
    expect(log.recoveryPoint).toBe(12);
    log.flush(0);
    expect(log.recoveryPoint).toBe(14);
    log.truncateTo(13);
    expect(log.recoveryPoint).toBe(13);
  });
});

