// The transaction state machine (TransactionMetadata): Kafka's valid transitions, a change that is
// prepared then completed, and the epoch rules of InitProducerId (KIP-360).
import { describe, expect, test } from 'vitest';
import { InvariantViolation } from '../../sim/index.js';
import { TransactionMetadata, VALID_PREVIOUS_STATES, isValidTransition, type TransactionState } from '../../src/coordinator/transaction-metadata.js';

const STATES: TransactionState[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'Dead', 'PrepareEpochFence'];
const ORDERS_0 = { topic: 'orders', partition: 0 };
const ORDERS_1 = { topic: 'orders', partition: 1 };

function metadata(state: TransactionState, producerEpoch = 0): TransactionMetadata {
  return new TransactionMetadata('tx', 5, -1, producerEpoch, -1, 60_000, state, state === 'Empty' ? -1 : 100, 100);
}

describe('coordinator: transaction state machine', () => {
  test('coordinator: transaction state machine: exactly the transitions of TransactionMetadata.validPreviousStates (0.11 to 3.9)', () => {
    // Kafka's table, written out as the pairs it allows: the model must allow these and no others.
    const allowed = new Set([
      'Empty>Empty', 'CompleteCommit>Empty', 'CompleteAbort>Empty',
      'Ongoing>Ongoing', 'Empty>Ongoing', 'CompleteCommit>Ongoing', 'CompleteAbort>Ongoing',
      'Ongoing>PrepareCommit', 'Ongoing>PrepareAbort', 'PrepareEpochFence>PrepareAbort',
      'PrepareCommit>CompleteCommit', 'PrepareAbort>CompleteAbort',
      'Empty>Dead', 'CompleteAbort>Dead', 'CompleteCommit>Dead', 'Ongoing>PrepareEpochFence',
    ]);
    for (const from of STATES) for (const to of STATES) expect(isValidTransition(from, to), `${from} → ${to}`).toBe(allowed.has(`${from}>${to}`));
    expect(Object.keys(VALID_PREVIOUS_STATES).sort()).toEqual([...STATES].sort());
  });

  test('coordinator: transaction state machine: an invalid transition is a broken invariant, not an error answer', () => {
    // EndTxn's handler never prepares PrepareCommit from Empty; if it did, the simulator is wrong.
    expect(() => metadata('Empty').prepareAbortOrCommit('PrepareCommit', 200)).toThrow(InvariantViolation);
    expect(() => metadata('CompleteCommit').prepareComplete(200)).toThrow(InvariantViolation);
    // A second change may not start while one is pending.
    const m = metadata('Ongoing');
    m.prepareAbortOrCommit('PrepareCommit', 200);
    expect(() => m.prepareAbortOrCommit('PrepareAbort', 201)).toThrow(/pending/);
    // Completing a change that was not prepared.
    const other = metadata('Ongoing');
    expect(() => other.completeTransitionTo({ producerId: 5, lastProducerId: 5, producerEpoch: 0, lastProducerEpoch: -1, txnTimeoutMs: 60_000, txnState: 'PrepareCommit', topicPartitions: [], txnStartTimestamp: 100, txnLastUpdateTimestamp: 200 })).toThrow(InvariantViolation);
  });

  test('coordinator: transaction state machine: a prepared change takes effect only when completed', () => {
    const m = metadata('Empty');
    const transit = m.prepareAddPartitions([ORDERS_0, ORDERS_1], 300);
    // Prepared: the state is unchanged and pending (the record is not yet replicated).
    expect([m.state, m.pendingState, m.topicPartitions]).toEqual(['Empty', 'Ongoing', []]);
    m.completeTransitionTo(transit);
    expect([m.state, m.pendingState, m.txnStartTimestamp, m.topicPartitions]).toEqual(['Ongoing', null, 300, [ORDERS_0, ORDERS_1]]);
    // Adding to an ongoing transaction keeps its start.
    m.completeTransitionTo(m.prepareAddPartitions([ORDERS_1], 400));
    expect(m.txnStartTimestamp).toBe(300);
    m.completeTransitionTo(m.prepareAbortOrCommit('PrepareCommit', 500));
    // Each landed marker takes its partition out; Complete clears them all.
    m.removePartition(ORDERS_0);
    expect(m.topicPartitions).toEqual([ORDERS_1]);
    m.completeTransitionTo(m.prepareComplete(600));
    expect([m.state, m.topicPartitions, m.txnLastUpdateTimestamp]).toEqual(['CompleteCommit', [], 600]);
  });

  test('coordinator: transaction state machine: a marker can only land while the transaction is in PrepareCommit or PrepareAbort', () => {
    expect(() => metadata('Ongoing').removePartition(ORDERS_0)).toThrow(InvariantViolation);
  });

  test('coordinator: transaction state machine: InitProducerId bumps the epoch; with KIP-360 the current epoch is bumped, the previous one is a retry, any other is fenced', () => {
    // No epoch passed (every producer before 2.5): bumped, no previous epoch kept.
    const plain = metadata('CompleteCommit', 3);
    expect(plain.prepareIncrementProducerEpoch(60_000, null, 1, 'PRODUCER_FENCED')).toMatchObject({ producerEpoch: 4, lastProducerEpoch: -1, txnState: 'Empty' });
    // The current epoch passed: bumped, and it becomes the previous one.
    const current = metadata('CompleteAbort', 3);
    const bumped = current.prepareIncrementProducerEpoch(60_000, 3, 1, 'PRODUCER_FENCED');
    expect(bumped).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 });
    if (typeof bumped === 'string') throw new Error('fenced');
    current.completeTransitionTo(bumped);
    // A retry with the epoch it had (its answer was lost): the same epoch again, not bumped twice.
    expect(current.prepareIncrementProducerEpoch(60_000, 3, 2, 'PRODUCER_FENCED')).toMatchObject({ producerEpoch: 4, lastProducerEpoch: 3 });
    // Any other epoch belongs to a fenced producer.
    expect(metadata('Empty', 7).prepareIncrementProducerEpoch(60_000, 5, 1, 'INVALID_PRODUCER_EPOCH')).toBe('INVALID_PRODUCER_EPOCH');
  });

  test('coordinator: transaction state machine: a fence bumps the epoch once; after a failed fence (2.6+) the next fence keeps it', () => {
    const m = metadata('Ongoing', 2);
    expect(m.prepareFenceProducerEpoch()).toMatchObject({ txnState: 'PrepareEpochFence', producerEpoch: 3 });
    const failed = metadata('Ongoing', 3);
    failed.hasFailedEpochFence = true; // KAFKA-9666: epoch 3 was the failed fence's, never handed out
    expect(failed.prepareFenceProducerEpoch()).toMatchObject({ producerEpoch: 3 });
  });

  test('coordinator: transaction state machine: a loaded transaction has its partitions (none in Empty) and no previous epoch', () => {
    const loaded = TransactionMetadata.fromLog({
      kind: 'transaction', transactionalId: 'tx', producerId: 9, producerEpoch: 4, txnTimeoutMs: 1000, state: 'PrepareAbort',
      partitions: [ORDERS_0], txnLastUpdateTimestampMs: 50, txnStartTimestampMs: 40,
    });
    expect([loaded.state, loaded.topicPartitions, loaded.lastProducerEpoch, loaded.txnStartTimestamp]).toEqual(['PrepareAbort', [ORDERS_0], -1, 40]);
  });
});
