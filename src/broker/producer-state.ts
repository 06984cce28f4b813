// The idempotent and transactional producer on the broker (KIP-98): per producer id, its epoch,
// the last batches' sequence ranges and offsets, its open transaction and the coordinator epoch
// of its last marker. A retried batch is answered with its original offset instead of being
// written twice, a gap in sequence numbers is refused, an older epoch is fenced, and so is a
// marker of an older coordinator. Across producers it keeps the open transactions and those
// completed by a marker not yet below the high watermark, which give the first unstable offset
// and so the last stable offset (LSO); an ABORT marker adds an entry to the aborted-transaction
// index. Leaders and followers both keep it, built from the batches they append, so a new leader
// deduplicates and answers read_committed fetches as the old one did (ProducerStateManager /
// ProducerAppendInfo, core/src/main/scala/kafka/log/ProducerStateManager.scala, 0.11.0 to 3.4;
// ProducerAppendInfo.java and ProducerStateManager.java in storage/ from 3.5).
import type { RecordBatch } from '../kafka/records.js';
import { TransactionIndex } from './transaction-index.js';

/** ProducerStateEntry.NumBatchesToRetain (1.0+); the most a profile keeps. */
const BATCHES_KEPT = 5;

/** How a leader judges a producer's batch; it changed between release lines. */
export interface ProducerStateRules {
  /** Batches per producer a retry is recognised among: 5 from 1.0 (KAFKA-5494), the last one in 0.11. */
  readonly batchesKept: number;
  /**
   * A batch of a producer id the partition has no record of (its batches truncated away, or never
   * replicated here), not at sequence 0: OUT_OF_ORDER_SEQUENCE_NUMBER in 0.11, UNKNOWN_PRODUCER_ID
   * from 1.0 (KAFKA-5793), appended from 2.5 (KIP-360: "accept writes with any sequence number").
   */
  readonly unknownProducer: 'out-of-order' | 'unknown-producer-id' | 'append';
  /**
   * Before 2.8 a marker of a producer with no open transaction still completes an empty one at
   * the marker's offset (an ABORT of it is indexed); from 2.8 it completes nothing (KAFKA-10702,
   * "Skip bookkeeping of empty transactions").
   */
  readonly emptyTransactionsCompleted: boolean;
}

/** Who appends: a producer (Produce), or a coordinator (WriteTxnMarkers, its own writes): Kafka's AppendOrigin. */
export type AppendOrigin = 'client' | 'coordinator';

interface BatchMetadata {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMetadata[];
  /** The first offset of its open transaction; -1: none (currentTxnFirstOffset). */
  txnFirstOffset: number;
  /** The coordinator epoch of its last marker; -1 before any. */
  coordinatorEpoch: number;
}

/** A transaction of this log (TxnMetadata): open while lastOffset is -1, then completed by the marker at lastOffset. */
interface TxnMetadata {
  readonly producerId: number;
  readonly firstOffset: number;
  lastOffset: number;
}

/** A transaction a marker completed (CompletedTxn). */
export interface CompletedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly lastOffset: number;
  readonly isAborted: boolean;
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | {
      readonly kind: 'error';
      readonly error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'UNKNOWN_PRODUCER_ID' | 'INVALID_PRODUCER_EPOCH' | 'INVALID_TXN_STATE' | 'TRANSACTION_COORDINATOR_FENCED';
    };

const APPEND: SequenceCheck = { kind: 'append' };
const OUT_OF_ORDER: SequenceCheck = { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
const UNKNOWN_PRODUCER: SequenceCheck = { kind: 'error', error: 'UNKNOWN_PRODUCER_ID' };
const FENCED: SequenceCheck = { kind: 'error', error: 'INVALID_PRODUCER_EPOCH' };
const INVALID_TXN_STATE: SequenceCheck = { kind: 'error', error: 'INVALID_TXN_STATE' };
const COORDINATOR_FENCED: SequenceCheck = { kind: 'error', error: 'TRANSACTION_COORDINATOR_FENCED' };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  /** Open transactions by first offset (ongoingTxns); they begin in log order, so a push keeps the order. */
  private readonly ongoing: TxnMetadata[] = [];
  /** Completed transactions whose marker is not yet below the high watermark, by first offset (unreplicatedTxns). */
  private readonly unreplicated: TxnMetadata[] = [];
  /** The log's aborted transactions. */
  readonly abortedTxns = new TransactionIndex();
  /** Set once a transactional batch was recorded: only then can the LSO differ from the high watermark. */
  hasTransactions = false;

  /** `emptyTransactionsCompleted`: the profile's rule (ProducerStateRules), false as from 2.8. */
  constructor(private readonly emptyTransactionsCompleted = false) {}

  /**
   * Decides what a leader does with an incoming batch (Log.analyzeAndValidateProducerState,
   * ProducerAppendInfo.append): a producer's batch may be a retry of a retained one; then its
   * epoch, its sequence (a producer's only) and its transaction are checked, in Kafka's order.
   * A marker is checked for its producer epoch and coordinator epoch.
   */
  check(batch: RecordBatch, rules: ProducerStateRules, origin: AppendOrigin = 'client'): SequenceCheck {
    if (batch.producerId < 0) return APPEND;
    const entry = this.producers.get(batch.producerId);
    if (batch.control !== undefined) return checkMarker(entry, batch);
    if (origin === 'coordinator') {
      // No sequence to check (the group coordinator's TxnOffsetCommit records): epoch and transaction only.
      if (entry !== undefined && batch.producerEpoch < entry.epoch) return FENCED;
      return checkTransaction(entry, batch);
    }
    if (entry === undefined) {
      // No record of this producer: a new one starts at 0; anything else lost its history.
      if (batch.baseSequence === 0) return APPEND;
      return rules.unknownProducer === 'append' ? APPEND : rules.unknownProducer === 'out-of-order' ? OUT_OF_ORDER : UNKNOWN_PRODUCER;
    }
    if (batch.producerEpoch === entry.epoch) {
      // ProducerStateEntry.findDuplicateBatch: one of the retained batches of this epoch, exactly.
      // Runs on every produce: a plain loop over the (at most five) batches, no closure.
      const lastSeq = batch.baseSequence + batch.records.length - 1;
      const batches = entry.batches;
      for (let i = Math.max(0, batches.length - rules.batchesKept); i < batches.length; i++) {
        const b = batches[i]!;
        if (b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset };
      }
      // No batch of this epoch yet (a marker bumped it): the sequence starts again at 0.
      const last = batches[batches.length - 1];
      if (batch.baseSequence !== (last === undefined ? 0 : last.lastSeq + 1)) return OUT_OF_ORDER;
      return checkTransaction(entry, batch);
    }
    // ProducerAppendInfo.checkProducerEpoch: an older epoch is fenced (ProducerFencedException
    // before 2.7, InvalidProducerEpochException since; INVALID_PRODUCER_EPOCH on the wire).
    if (batch.producerEpoch < entry.epoch) return FENCED;
    // checkSequence: a new epoch of a known producer starts at sequence 0.
    if (batch.baseSequence !== 0) return OUT_OF_ORDER;
    return checkTransaction(entry, batch);
  }

  /**
   * Records an appended batch (leader or follower, or the log replayed on load): a new epoch
   * forgets the old one's batches; a producer's first transactional batch opens its transaction;
   * a marker completes it, and an ABORT is indexed with the LSO it leaves (Log.append, 2.8:
   * lastStableOffset(completedTxn), updateTxnIndex, completeTxn).
   */
  record(batch: RecordBatch): void {
    if (batch.producerId < 0) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined) {
      entry = { epoch: batch.producerEpoch, batches: [], txnFirstOffset: -1, coordinatorEpoch: -1 };
      this.producers.set(batch.producerId, entry);
    } else if (batch.producerEpoch !== entry.epoch) {
      entry.epoch = batch.producerEpoch;
      entry.batches = [];
    }
    if (batch.control !== undefined) return this.recordMarker(entry, batch);
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: batch.baseSequence + batch.records.length - 1, baseOffset: batch.baseOffset });
    if (entry.batches.length > BATCHES_KEPT) entry.batches.shift();
    if (batch.isTransactional === true && entry.txnFirstOffset < 0) {
      entry.txnFirstOffset = batch.baseOffset;
      this.ongoing.push({ producerId: batch.producerId, firstOffset: batch.baseOffset, lastOffset: -1 });
      this.hasTransactions = true;
    }
  }

  private recordMarker(entry: ProducerEntry, batch: RecordBatch): void {
    const marker = batch.control!;
    const offset = batch.baseOffset;
    let firstOffset = entry.txnFirstOffset;
    if (firstOffset < 0 && this.emptyTransactionsCompleted) {
      // Before 2.8 an empty transaction opens at its marker and completes there.
      firstOffset = offset;
      this.ongoing.push({ producerId: batch.producerId, firstOffset, lastOffset: -1 });
    }
    entry.txnFirstOffset = -1;
    entry.coordinatorEpoch = marker.coordinatorEpoch;
    this.hasTransactions = true;
    if (firstOffset < 0) return;
    const completed: CompletedTxn = { producerId: batch.producerId, firstOffset, lastOffset: offset, isAborted: marker.type === 'ABORT' };
    if (completed.isAborted) this.abortedTxns.append({ producerId: completed.producerId, firstOffset, lastOffset: offset, lastStableOffset: this.lastStableOffsetAfter(completed) });
    this.completeTxn(completed);
  }

  /**
   * The LSO a completed transaction leaves, for its index entry (ProducerStateManager.lastStableOffset):
   * the first offset of another producer's open transaction, else the offset after the marker.
   */
  private lastStableOffsetAfter(completed: CompletedTxn): number {
    for (const txn of this.ongoing) if (txn.producerId !== completed.producerId) return txn.firstOffset;
    return completed.lastOffset + 1;
  }

  /** The transaction leaves the open ones and waits for the high watermark to pass its marker (completeTxn). */
  private completeTxn(completed: CompletedTxn): void {
    const index = this.ongoing.findIndex((txn) => txn.firstOffset === completed.firstOffset);
    const txn = this.ongoing[index]!;
    this.ongoing.splice(index, 1);
    txn.lastOffset = completed.lastOffset;
    let at = this.unreplicated.length;
    while (at > 0 && this.unreplicated[at - 1]!.firstOffset > txn.firstOffset) at -= 1;
    this.unreplicated.splice(at, 0, txn);
  }

  /**
   * The high watermark moved: completed transactions whose marker is below it are stable
   * (onHighWatermarkUpdated). Runs on every HW move: nothing to do unless one waits.
   */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicated.length === 0) return;
    let kept = 0;
    for (const txn of this.unreplicated) if (txn.lastOffset >= highWatermark) this.unreplicated[kept++] = txn;
    this.unreplicated.length = kept;
  }

  /**
   * The lowest offset not yet stable (firstUnstableOffset): the first offset of an open
   * transaction, or of a completed one whose marker is not yet below the high watermark; -1: none.
   */
  get firstUnstableOffset(): number {
    const open = this.ongoing.length === 0 ? -1 : this.ongoing[0]!.firstOffset;
    const unreplicated = this.unreplicated.length === 0 ? -1 : this.unreplicated[0]!.firstOffset;
    if (open < 0) return unreplicated;
    return unreplicated < 0 || open < unreplicated ? open : unreplicated;
  }

  /** The first offset of the producer's open transaction, -1 if none (tests and stories). */
  openTransactionOf(producerId: number): number {
    return this.producers.get(producerId)?.txnFirstOffset ?? -1;
  }

  /** Rebuilds the table and the aborted-transaction index from a log (after a restart or a truncation), then applies its high watermark. */
  static fromBatches(batches: readonly RecordBatch[], rules?: ProducerStateRules, highWatermark = 0): ProducerStateTable {
    const table = new ProducerStateTable(rules?.emptyTransactionsCompleted ?? false);
    for (const batch of batches) table.record(batch);
    table.onHighWatermarkUpdated(highWatermark);
    return table;
  }
}

/**
 * The last stable offset (Log.lastStableOffset): the first unstable offset when it is below the
 * high watermark, else the high watermark. With no transaction it is the high watermark.
 */
export function lastStableOffset(producers: ProducerStateTable, highWatermark: number): number {
  const firstUnstable = producers.firstUnstableOffset;
  return firstUnstable >= 0 && firstUnstable < highWatermark ? firstUnstable : highWatermark;
}

/**
 * A producer's data batch while its transaction is open must be transactional (INVALID_TXN_STATE,
 * every line from 0.11); a transactional one with none open begins one (ProducerAppendInfo.appendDataBatch).
 */
function checkTransaction(entry: ProducerEntry | undefined, batch: RecordBatch): SequenceCheck {
  return entry !== undefined && entry.txnFirstOffset >= 0 && batch.isTransactional !== true ? INVALID_TXN_STATE : APPEND;
}

/**
 * A marker from the coordinator (ProducerAppendInfo.appendEndTxnMarker): an older producer epoch
 * is fenced (INVALID_PRODUCER_EPOCH on the wire in every line), a coordinator epoch older than
 * the producer's last marker's is TRANSACTION_COORDINATOR_FENCED. A newer producer epoch is
 * taken (the coordinator bumped it: the epoch's sequences start again at 0).
 */
function checkMarker(entry: ProducerEntry | undefined, batch: RecordBatch): SequenceCheck {
  if (entry === undefined) return APPEND;
  if (batch.producerEpoch < entry.epoch) return FENCED;
  if (batch.control!.coordinatorEpoch < entry.coordinatorEpoch) return COORDINATOR_FENCED;
  return APPEND;
}
