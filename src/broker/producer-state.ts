// The idempotent producer on the broker (KIP-98): per producer id, the last five batches'
// sequence ranges and offsets, so a retried batch is answered with its original offset instead
// of being written twice, and a gap in sequence numbers is refused. Leaders and followers both
// keep it, built from the batches they append, so a new leader deduplicates as the old one did.
import type { RecordBatch } from '../kafka/records.js';

const BATCHES_KEPT = 5; // ProducerStateEntry.NumBatchesToRetain

interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | { readonly kind: 'out-of-order'; readonly expected: number };

const APPEND: SequenceCheck = { kind: 'append' };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Decides what a leader does with an incoming batch. */
  check(batch: RecordBatch): SequenceCheck {
    if (batch.producerId < 0) return APPEND;
    const entry = this.producers.get(batch.producerId);
    const lastSeq = batch.baseSequence + batch.records.length - 1;
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      // A new producer (or epoch) starts at sequence 0; anything else has lost its history.
      return batch.baseSequence === 0 ? APPEND : { kind: 'out-of-order', expected: 0 };
    }
    // Runs on every produce: a plain loop over the (at most five) batches, no closure.
    const batches = entry.batches;
    for (let i = 0; i < batches.length; i++) {
      const b = batches[i]!;
      if (b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset };
    }
    const last = batches[batches.length - 1];
    const expected = last === undefined ? 0 : last.lastSeq + 1;
    return batch.baseSequence === expected ? APPEND : { kind: 'out-of-order', expected };
  }

  /** Records an appended batch (leader or follower). */
  record(batch: RecordBatch): void {
    if (batch.producerId < 0) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: batch.baseSequence + batch.records.length - 1, baseOffset: batch.baseOffset });
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
  }

  /** Rebuilds the table from a log (after a restart or a truncation). */
  static fromBatches(batches: readonly RecordBatch[]): ProducerStateTable {
    const table = new ProducerStateTable();
    for (const batch of batches) table.record(batch);
    return table;
  }
}
