// Which records of a log are committed, as a read_committed consumer would be given them (KIP-98;
// the broker's side is src/broker/producer-state.ts): the checker reads a replica's log below its
// high watermark and marks each record of a transaction by its outcome there. A transaction is
// decided by its producer's next marker in the log: COMMIT or ABORT. One whose marker is not
// below the high watermark is undecided, and its first offset bounds the last stable offset.
import { nextOffset, type RecordBatch } from '../kafka/records.js';

/** Not transactional, or its transaction's COMMIT marker stands below the high watermark. */
export const TXN_COMMITTED = 0;
/** Its transaction's ABORT marker stands below the high watermark. */
export const TXN_ABORTED = 1;
/** No marker of its transaction below the high watermark: undecided at the end. */
export const TXN_UNDECIDED = 2;

/** The outcome of each offset's record (TXN_*), and the last stable offset of the log read. */
export interface TransactionOutcomes {
  readonly status: Uint8Array;
  /** The first offset of an undecided transaction, or the high watermark (LSO = min(first unstable offset, HW)). */
  readonly lastStableOffset: number;
}

/**
 * Reads batches in offset order, up to the high watermark; `finish()` returns null for a log that
 * held no transactional batch (every record committed, the LSO the high watermark).
 */
export class TransactionReader {
  private status: Uint8Array | null = null;
  /** Per producer id, the [from, to) offset ranges of its open transaction's batches. */
  private readonly open = new Map<number, number[]>();

  constructor(private readonly highWatermark: number) {}

  /** Sees one batch below the high watermark (a data batch or a marker). */
  read(batch: RecordBatch): void {
    if (batch.control !== undefined) {
      const ranges = this.open.get(batch.producerId);
      if (ranges === undefined) return; // a marker of a transaction with no data here (e.g. an empty one)
      this.open.delete(batch.producerId);
      if (batch.control.type === 'ABORT') this.mark(ranges, TXN_ABORTED);
      return;
    }
    if (batch.isTransactional !== true) return;
    this.status ??= new Uint8Array(this.highWatermark);
    let ranges = this.open.get(batch.producerId);
    if (ranges === undefined) {
      ranges = [];
      this.open.set(batch.producerId, ranges);
    }
    ranges.push(batch.baseOffset, Math.min(nextOffset(batch), this.highWatermark));
  }

  finish(): TransactionOutcomes | null {
    if (this.status === null) return null;
    let lastStableOffset = this.highWatermark;
    for (const ranges of this.open.values()) {
      this.mark(ranges, TXN_UNDECIDED);
      lastStableOffset = Math.min(lastStableOffset, ranges[0]!);
    }
    return { status: this.status, lastStableOffset };
  }

  private mark(ranges: readonly number[], outcome: number): void {
    for (let i = 0; i < ranges.length; i += 2) this.status!.fill(outcome, Math.max(0, ranges[i]!), ranges[i + 1]!);
  }
}

/** The outcome of the record at `offset` of a log read with `outcomes` (null: none transactional). */
export function outcomeAt(outcomes: TransactionOutcomes | null, offset: number): number {
  return outcomes === null || offset >= outcomes.status.length ? TXN_COMMITTED : outcomes.status[offset]!;
}
