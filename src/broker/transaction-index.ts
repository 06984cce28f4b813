// A log's aborted-transaction index (Kafka's TransactionIndex, one .txnindex file per segment,
// core/src/main/scala/kafka/log/TransactionIndex.scala 0.11.0 to 3.4; storage/ from 3.5): an entry
// per ABORT marker, in marker order, naming the aborted transaction's producer, its first offset,
// the marker's offset and the LSO when it completed. A read_committed fetch sends the entries
// that overlap what it returns (abortedTransactions), so the consumer can drop those records.
// Kafka rebuilds the index from the segments when it recovers them; ksim keeps it beside the
// producer state, which is rebuilt from the whole log on every load and truncation, so the index
// is always a function of the log it describes.
import { invariant } from '../../sim/index.js';
import type { AbortedTransaction } from '../kafka/protocol.js';

/** One entry (AbortedTxn). */
export interface AbortedTxn {
  readonly producerId: number;
  /** The transaction's first offset in this log. */
  readonly firstOffset: number;
  /** Its ABORT marker's offset. */
  readonly lastOffset: number;
  /** The LSO once it was aborted: the first offset of another producer's open transaction, else lastOffset + 1. */
  readonly lastStableOffset: number;
}

const NONE: readonly AbortedTransaction[] = [];

export class TransactionIndex {
  private readonly entries: AbortedTxn[] = [];

  get size(): number {
    return this.entries.length;
  }

  /** TransactionIndex.append: markers come in offset order. */
  append(entry: AbortedTxn): void {
    const last = this.entries[this.entries.length - 1];
    if (last !== undefined && last.lastOffset >= entry.lastOffset) {
      invariant(false, () => `transaction index: aborted marker at ${entry.lastOffset} after one at ${last.lastOffset}`);
    }
    this.entries.push(entry);
  }

  all(): readonly AbortedTxn[] {
    return this.entries;
  }

  /**
   * The aborted transactions a fetch of [fetchOffset, upperBoundOffset) overlaps
   * (TransactionIndex.collectAbortedTxns, walked across segments by Log.collectAbortedTransactions):
   * those whose marker is at or after fetchOffset and that began before upperBoundOffset. An
   * entry whose LSO reaches upperBoundOffset ends the search: every later transaction began at or
   * after that LSO. An entry's LSO is never above its marker + 1, so the entries before fetchOffset
   * never end it, and the search starts at the first marker at or after fetchOffset.
   */
  collect(fetchOffset: number, upperBoundOffset: number): readonly AbortedTransaction[] {
    const entries = this.entries;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (entries[mid]!.lastOffset < fetchOffset) low = mid + 1;
      else high = mid;
    }
    let out: AbortedTransaction[] | null = null;
    for (let i = low; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.firstOffset < upperBoundOffset) (out ??= []).push({ producerId: entry.producerId, firstOffset: entry.firstOffset });
      if (entry.lastStableOffset >= upperBoundOffset) break;
    }
    return out ?? NONE;
  }
}
