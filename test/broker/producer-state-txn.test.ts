// The transactional half of the broker's producer state (ProducerStateManager, KIP-98): a
// producer's transaction opens at its first transactional batch, a marker completes it, an ABORT
// is indexed, and the first unstable offset holds the LSO until the marker is below the HW.
// Cases follow Kafka's ProducerStateManagerTest and TransactionIndexTest (2.8.2).
import { describe, expect, test } from 'vitest';
import { lastStableOffset, ProducerStateTable } from '../../src/broker/producer-state.js';
import { behaviourOf } from '../../src/broker/profile.js';
import { TransactionIndex } from '../../src/broker/transaction-index.js';
import { controlBatch, type RecordBatch } from '../../src/kafka/records.js';

const RULES = behaviourOf('3.9').producerState;

/** A data batch of `n` records of producer `producerId` at `baseOffset`, transactional unless told. */
function data(producerId: number, baseOffset: number, seq: number, n = 1, options: { epoch?: number; transactional?: boolean } = {}): RecordBatch {
  return {
    baseOffset, leaderEpoch: 0, producerId, producerEpoch: options.epoch ?? 0, baseSequence: seq,
    records: Array.from({ length: n }, (_, i) => ({ key: null, producer: `p${producerId}`, seq: seq + i })),
    ...(options.transactional === false ? {} : { isTransactional: true }),
  };
}

/** A marker at `offset`, as a leader stores it. */
function marker(producerId: number, offset: number, type: 'COMMIT' | 'ABORT', options: { epoch?: number; coordinatorEpoch?: number } = {}): RecordBatch {
  return { ...controlBatch(producerId, options.epoch ?? 0, { type, coordinatorEpoch: options.coordinatorEpoch ?? 0 }), baseOffset: offset, leaderEpoch: 0 };
}

/** Records each batch, as a leader or follower appends them. */
function table(batches: readonly RecordBatch[], emptyTransactionsCompleted = false): ProducerStateTable {
  const t = new ProducerStateTable(emptyTransactionsCompleted);
  for (const b of batches) t.record(b);
  return t;
}

describe('broker: producer state: transactions', () => {
  test('broker: producer state: transactions: the first transactional batch opens the transaction at its first offset; later ones keep it', () => {
    const t = table([data(1, 99, 0, 3)]);
    // ProducerAppendInfo.appendDataBatch: currentTxnFirstOffset is set once, by the first batch.
    expect(t.openTransactionOf(1)).toBe(99);
    expect(t.firstUnstableOffset).toBe(99);
    t.record(data(1, 102, 3, 2));
    expect(t.openTransactionOf(1)).toBe(99);
    // A non-transactional producer opens nothing.
    const plain = table([data(2, 0, 0, 1, { transactional: false })]);
    expect([plain.openTransactionOf(2), plain.firstUnstableOffset, plain.hasTransactions]).toEqual([-1, -1, false]);
  });

  test('broker: producer state: transactions: a non-transactional batch of a producer with an open transaction is INVALID_TXN_STATE (0.11 to 3.9)', () => {
    const t = table([data(1, 0, 0)]);
    for (const profile of ['0.11', '2.0', '2.8', '3.9']) {
      expect(t.check(data(1, -1, 1, 1, { transactional: false }), behaviourOf(profile).producerState)).toEqual({ kind: 'error', error: 'INVALID_TXN_STATE' });
      expect(t.check(data(1, -1, 1), behaviourOf(profile).producerState)).toEqual({ kind: 'append' });
    }
    // Once the marker completed it, the producer may write outside a transaction again.
    t.record(marker(1, 1, 'COMMIT'));
    expect(t.check(data(1, -1, 1, 1, { transactional: false }), RULES)).toEqual({ kind: 'append' });
  });

  test('broker: producer state: transactions: a COMMIT completes the transaction; it stays unstable until the HW passes its marker', () => {
    const t = table([data(1, 10, 0, 2), marker(1, 12, 'COMMIT')]);
    expect(t.openTransactionOf(1)).toBe(-1);
    // unreplicatedTxns: a completed transaction whose marker is at or above the HW.
    t.onHighWatermarkUpdated(12);
    expect(t.firstUnstableOffset).toBe(10);
    expect(lastStableOffset(t, 12)).toBe(10);
    t.onHighWatermarkUpdated(13);
    expect(t.firstUnstableOffset).toBe(-1);
    expect(lastStableOffset(t, 13)).toBe(13);
    expect(t.abortedTxns.size).toBe(0); // a COMMIT is not indexed
  });

  test('broker: producer state: transactions: an ABORT is indexed with the LSO it leaves (another producer\'s open transaction, else the marker + 1)', () => {
    // Producer 1 opens at 0, producer 2 at 3; 1 aborts at 5 while 2 is open; 2 aborts at 7.
    const t = table([data(1, 0, 0, 3), data(2, 3, 0, 2), marker(1, 5, 'ABORT'), data(3, 6, 0, 1, { transactional: false }), marker(2, 7, 'ABORT')]);
    expect(t.abortedTxns.all()).toEqual([
      { producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 3 },
      { producerId: 2, firstOffset: 3, lastOffset: 7, lastStableOffset: 8 },
    ]);
  });

  test('broker: producer state: transactions: the first unstable offset is the lowest open or unreplicated transaction (ProducerStateManagerTest.testFirstUnstableOffset)', () => {
    const t = table([data(1, 99, 0), data(2, 105, 0)]);
    expect(t.firstUnstableOffset).toBe(99);
    t.record(marker(1, 109, 'COMMIT'));
    expect(t.firstUnstableOffset).toBe(99); // completed, marker not below the HW
    t.onHighWatermarkUpdated(100);
    expect(t.firstUnstableOffset).toBe(99);
    t.onHighWatermarkUpdated(110);
    expect(t.firstUnstableOffset).toBe(105); // 2's transaction is still open
    t.record(marker(2, 112, 'ABORT'));
    expect(t.firstUnstableOffset).toBe(105);
    t.onHighWatermarkUpdated(113);
    expect(t.firstUnstableOffset).toBe(-1);
  });

  test('broker: producer state: transactions: the LSO never stands above the HW, and is the HW with no transaction', () => {
    const t = table([data(1, 10, 0)]);
    // The open transaction starts at 10: below an HW of 20 it holds the LSO; with the HW at 5 the HW does.
    expect(lastStableOffset(t, 20)).toBe(10);
    expect(lastStableOffset(t, 5)).toBe(5);
    expect(lastStableOffset(new ProducerStateTable(), 42)).toBe(42);
  });

  test('broker: producer state: transactions: a marker of an older producer epoch is INVALID_PRODUCER_EPOCH; of an older coordinator epoch, TRANSACTION_COORDINATOR_FENCED', () => {
    const t = table([data(1, 99, 0, 1, { epoch: 5 }), marker(1, 100, 'COMMIT', { epoch: 5, coordinatorEpoch: 1 })]);
    // ProducerStateManagerTest.testOldEpochForControlRecord and testCoordinatorFencing.
    expect(t.check(controlBatch(1, 3, { type: 'COMMIT', coordinatorEpoch: 1 }), RULES, 'coordinator')).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(t.check(controlBatch(1, 5, { type: 'COMMIT', coordinatorEpoch: 1 }), RULES, 'coordinator')).toEqual({ kind: 'append' });
    expect(t.check(controlBatch(1, 5, { type: 'COMMIT', coordinatorEpoch: 2 }), RULES, 'coordinator')).toEqual({ kind: 'append' });
    t.record(marker(1, 101, 'COMMIT', { epoch: 5, coordinatorEpoch: 2 }));
    expect(t.check(controlBatch(1, 5, { type: 'COMMIT', coordinatorEpoch: 1 }), RULES, 'coordinator')).toEqual({ kind: 'error', error: 'TRANSACTION_COORDINATOR_FENCED' });
    // The fencing survives a reload from the log (testCoordinatorFencedAfterReload).
    const reloaded = ProducerStateTable.fromBatches([data(1, 99, 0, 1, { epoch: 5 }), marker(1, 100, 'COMMIT', { epoch: 5, coordinatorEpoch: 2 })], RULES);
    expect(reloaded.check(controlBatch(1, 5, { type: 'ABORT', coordinatorEpoch: 1 }), RULES, 'coordinator')).toEqual({ kind: 'error', error: 'TRANSACTION_COORDINATOR_FENCED' });
  });

  test('broker: producer state: transactions: a marker of a newer epoch bumps it: the old epoch is fenced, the new one starts at sequence 0', () => {
    // testControlRecordBumpsProducerEpoch / testOutOfSequenceAfterControlRecordEpochBump.
    const t = table([data(1, 0, 0), data(1, 1, 1), marker(1, 2, 'ABORT', { epoch: 1 })]);
    expect(t.check(data(1, -1, 2), RULES)).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(t.check(data(1, -1, 2, 1, { epoch: 1 }), RULES)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(t.check(data(1, -1, 0, 1, { epoch: 1 }), RULES)).toEqual({ kind: 'append' });
    // A marker is the first word of a producer this log never saw (testAppendTxnMarkerWithNoProducerState).
    const fresh = table([marker(7, 27, 'COMMIT', { epoch: 2 })]);
    expect(fresh.check(data(7, -1, 0, 1, { epoch: 0 }), RULES)).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(fresh.check(data(7, -1, 17, 1, { epoch: 2 }), RULES)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(fresh.check(data(7, -1, 0, 1, { epoch: 2 }), RULES)).toEqual({ kind: 'append' });
  });

  test('broker: producer state: transactions: a coordinator\'s data batch is checked for epoch and transaction, not sequence (AppendOrigin.Coordinator)', () => {
    const t = table([data(1, 0, 0, 1, { epoch: 3 })]);
    // No sequence: a TxnOffsetCommit's records carry none.
    expect(t.check(data(1, -1, -1, 1, { epoch: 3 }), RULES, 'coordinator')).toEqual({ kind: 'append' });
    expect(t.check(data(1, -1, -1, 1, { epoch: 2 }), RULES, 'coordinator')).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(t.check(data(1, -1, -1, 1, { epoch: 3, transactional: false }), RULES, 'coordinator')).toEqual({ kind: 'error', error: 'INVALID_TXN_STATE' });
  });

  test('broker: producer state: transactions: a marker with no transaction open completes an empty one before 2.8, nothing from 2.8 (KAFKA-10702)', () => {
    const batches = [data(1, 0, 0, 1, { transactional: false }), marker(1, 1, 'ABORT')];
    const old = ProducerStateTable.fromBatches(batches, behaviourOf('2.7').producerState, 1);
    expect(old.abortedTxns.all()).toEqual([{ producerId: 1, firstOffset: 1, lastOffset: 1, lastStableOffset: 2 }]);
    expect(old.firstUnstableOffset).toBe(1); // unreplicated until the HW passes the marker
    const now = ProducerStateTable.fromBatches(batches, behaviourOf('2.8').producerState, 1);
    expect(now.abortedTxns.size).toBe(0);
    expect(now.firstUnstableOffset).toBe(-1);
  });

  test('broker: producer state: transactions: rebuilt from a truncated log, a transaction whose marker was cut is open again and its index entry gone', () => {
    const log = [data(1, 0, 0, 2), marker(1, 2, 'ABORT'), data(2, 3, 0, 2), marker(2, 5, 'ABORT'), data(3, 6, 0)];
    const whole = ProducerStateTable.fromBatches(log, RULES, 7);
    expect(whole.abortedTxns.all().map((e) => e.producerId)).toEqual([1, 2]);
    expect(whole.firstUnstableOffset).toBe(6);
    // Truncated to 5 (Log.truncateTo, then the producer state reloaded): 2's ABORT is gone.
    const cut = ProducerStateTable.fromBatches(log.slice(0, 3), RULES, 5);
    expect(cut.abortedTxns.all()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 3 }]);
    expect(cut.openTransactionOf(2)).toBe(3);
    expect(cut.firstUnstableOffset).toBe(3);
    // Reloaded with an HW below a marker, the completed transaction waits for the HW again.
    expect(ProducerStateTable.fromBatches(log.slice(0, 2), RULES, 2).firstUnstableOffset).toBe(0);
  });
});

describe('broker: transaction index', () => {
  const index = (): TransactionIndex => {
    const t = new TransactionIndex();
    // Aborted: [0, 5] (LSO 3: another transaction open from 3), [3, 9] (LSO 10), [12, 14] (LSO 15).
    t.append({ producerId: 1, firstOffset: 0, lastOffset: 5, lastStableOffset: 3 });
    t.append({ producerId: 2, firstOffset: 3, lastOffset: 9, lastStableOffset: 10 });
    t.append({ producerId: 3, firstOffset: 12, lastOffset: 14, lastStableOffset: 15 });
    return t;
  };

  test('broker: transaction index: a fetch gets the aborted transactions whose marker is at or after its offset and that began before its end', () => {
    const ids = (from: number, to: number): number[] => index().collect(from, to).map((a) => a.producerId);
    expect(ids(0, 4)).toEqual([1, 2]);
    expect(ids(6, 12)).toEqual([2]); // 1's marker is below the fetch; 3 begins at its end
    expect(ids(10, 20)).toEqual([3]);
    expect(ids(15, 20)).toEqual([]);
    expect(index().collect(0, 1)).toEqual([{ producerId: 1, firstOffset: 0 }]);
  });

  test('broker: transaction index: the search ends at an entry whose LSO reaches the fetch\'s end (TransactionIndex.collectAbortedTxns)', () => {
    // [3, 9] left the LSO at 10: nothing aborted after it began before 10; a later entry that
    // claims to (impossible in a real log) shows the search stopped there.
    const t = index();
    t.append({ producerId: 4, firstOffset: 1, lastOffset: 20, lastStableOffset: 21 });
    expect(t.collect(6, 10).map((a) => a.producerId)).toEqual([2]);
    expect(t.collect(6, 30).map((a) => a.producerId)).toEqual([2, 3, 4]);
  });

  test('broker: transaction index: markers come in offset order', () => {
    expect(() => index().append({ producerId: 9, firstOffset: 13, lastOffset: 14, lastStableOffset: 15 })).toThrow(/after one at 14/);
  });
});
