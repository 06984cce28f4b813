import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { PartitionLog, type EpochEndAnswer, type EpochEndOffset } from '../../src/broker/log.js';
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

  // LeaderEpochFileCache.endOffsetFor at 1.1.1 (an offset alone) and at 2.0.1 / 2.8.2 / 3.9 (the
  // epoch too, and an epoch below the first answered with its own number and the first start).
  test('broker: log: OffsetsForLeaderEpoch answers every case as 0.11-1.1 and as 2.0+ do', () => {
    const { open } = setup();
    const log = open();
    const cases = (answer: EpochEndAnswer): Record<string, EpochEndOffset> => ({
      undefined: log.endOffsetForEpoch(-1, answer),
      belowFirst: log.endOffsetForEpoch(1, answer),
      first: log.endOffsetForEpoch(2, answer),
      between: log.endOffsetForEpoch(3, answer),
      latest: log.endOffsetForEpoch(4, answer),
      aboveLatest: log.endOffsetForEpoch(9, answer),
    });
    const none = { leaderEpoch: -1, endOffset: -1 };
    expect(cases('end-offset')).toEqual({ undefined: none, belowFirst: none, first: none, between: none, latest: none, aboveLatest: none }); // no epochs yet
    expect(cases('epoch-and-end-offset')).toEqual({ undefined: none, belowFirst: none, first: none, between: none, latest: none, aboveLatest: none });
    // Two records from before leader epochs (an old message format), then epochs 2 at 2 and 4 at 5.
    log.appendAsFollower([{ ...batch([1, 2]), baseOffset: 0 }], 0);
    log.appendAsLeader(batch([3, 4, 5]), 2, 0);
    log.appendAsLeader(batch([6]), 4, 0);
    expect(log.epochEntries()).toEqual([{ epoch: 2, startOffset: 2 }, { epoch: 4, startOffset: 5 }]);
    expect(cases('end-offset')).toEqual({
      undefined: none,
      belowFirst: none,
      first: { leaderEpoch: -1, endOffset: 5 },
      between: { leaderEpoch: -1, endOffset: 5 },
      latest: { leaderEpoch: -1, endOffset: 6 },
      aboveLatest: none,
    });
    expect(cases('epoch-and-end-offset')).toEqual({
      undefined: none,
      belowFirst: { leaderEpoch: 1, endOffset: 2 },
      first: { leaderEpoch: 2, endOffset: 5 },
      between: { leaderEpoch: 2, endOffset: 5 },
      latest: { leaderEpoch: 4, endOffset: 6 },
      aboveLatest: none,
    });
  });

  // KAFKA-10706: an epoch cached at election with no records is not cut by a truncation to the end.
  test('broker: log: a truncation to the log end keeps an epoch cached there; truncateEpochsFromEnd drops it', () => {
    const { open } = setup();
    const log = open();
    log.appendAsLeader(batch([1, 2]), 1, 0);
    log.assignEpochStartOffset(3, log.logEndOffset);
    log.truncateTo(2);
    expect(log.latestEpoch).toBe(3);
    log.truncateEpochsFromEnd(2);
    expect(log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0 }]);
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

