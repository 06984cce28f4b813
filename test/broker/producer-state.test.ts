import { describe, expect, test } from 'vitest';
import { ProducerStateTable } from '../../src/broker/producer-state.js';
import { behaviourOf } from '../../src/broker/profile.js';
import type { RecordBatch } from '../../src/kafka/records.js';

/** An idempotent batch of `n` records at `baseOffset` (as appended) or -1 (as produced). */
const batch = (n: number, seq: number, epoch = 0, baseOffset = -1, producerId = 7): RecordBatch => ({
  baseOffset, leaderEpoch: -1, producerId, producerEpoch: epoch, baseSequence: seq,
  records: Array.from({ length: n }, (_, i) => ({ key: null, producer: 'p1', seq: seq + i + 1 })),
});

/** A table that has appended `count` batches of 2 records, seq 0.., offsets 100.. */
function appended(count: number, epoch = 0): ProducerStateTable {
  return ProducerStateTable.fromBatches(Array.from({ length: count }, (_, i) => batch(2, 2 * i, epoch, 100 + 2 * i)));
}

describe('broker: producer state', () => {
  test('broker: producer state: a retry of one of the last five batches is answered with its offset (1.0+, KAFKA-5494)', () => {
    const table = appended(6);
    const rules = behaviourOf('3.9').producerState;
    // ProducerStateEntry keeps five batches: seq 2..11; seq 0-1 is forgotten, so its retry is a gap.
    expect(table.check(batch(2, 2), rules)).toEqual({ kind: 'duplicate', baseOffset: 102 });
    expect(table.check(batch(2, 10), rules)).toEqual({ kind: 'duplicate', baseOffset: 110 });
    expect(table.check(batch(2, 0), rules)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(table.check(batch(2, 12), rules)).toEqual({ kind: 'append' });
    // A retry must match a retained batch exactly, not merely overlap it.
    expect(table.check(batch(3, 8), rules)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  test('broker: producer state: 0.11 recognises only the last batch as a duplicate', () => {
    const table = appended(3);
    const rules = behaviourOf('0.11').producerState;
    // ProducerIdEntry.isDuplicate (0.11) compares with the last batch only; max.in.flight was 1.
    expect(table.check(batch(2, 4), rules)).toEqual({ kind: 'duplicate', baseOffset: 104 });
    expect(table.check(batch(2, 2), rules)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  test('broker: producer state: an older epoch is fenced; a new epoch starts at sequence 0 (KIP-360 epoch bump)', () => {
    const table = appended(2, 3);
    const rules = behaviourOf('3.9').producerState;
    expect(table.check(batch(2, 4, 2), rules)).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    // The duplicate check is per epoch: seq 0-1 of epoch 4 is new data, not epoch 3's first batch.
    expect(table.check(batch(2, 0, 4), rules)).toEqual({ kind: 'append' });
    expect(table.check(batch(2, 4, 4), rules)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    table.record(batch(2, 0, 4, 200));
    // Epoch 4 replaced epoch 3: its batches are forgotten, and epoch 3 is fenced from now on.
    expect(table.check(batch(2, 2, 3), rules)).toEqual({ kind: 'error', error: 'INVALID_PRODUCER_EPOCH' });
    expect(table.check(batch(2, 0, 4), rules)).toEqual({ kind: 'duplicate', baseOffset: 200 });
    expect(table.check(batch(2, 2, 4), rules)).toEqual({ kind: 'append' });
  });

  test('broker: producer state: an unknown producer id not at sequence 0: out of order (0.11), UNKNOWN_PRODUCER_ID (1.0-2.4), appended (2.5+)', () => {
    const table = new ProducerStateTable();
    const late = batch(2, 6, 0, -1, 9);
    // ProducerAppendInfo.checkSequence per line: the broker has no record of producer 9 at all.
    expect(table.check(late, behaviourOf('0.11').producerState)).toEqual({ kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    expect(table.check(late, behaviourOf('1.1').producerState)).toEqual({ kind: 'error', error: 'UNKNOWN_PRODUCER_ID' });
    expect(table.check(late, behaviourOf('2.4').producerState)).toEqual({ kind: 'error', error: 'UNKNOWN_PRODUCER_ID' });
    expect(table.check(late, behaviourOf('2.5').producerState)).toEqual({ kind: 'append' });
    expect(table.check(batch(2, 0, 0, -1, 9), behaviourOf('1.1').producerState)).toEqual({ kind: 'append' });
  });
});
