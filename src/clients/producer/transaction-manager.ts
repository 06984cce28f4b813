// The idempotent producer's state: the half of Kafka's TransactionManager that a producer
// without transactions uses (clients/.../producer/internals/TransactionManager.java, read at 2.8.2,
// the rules per release line below at their own tags; with TxnPartitionEntry and the idempotence
// checks of RecordAccumulator and Sender, which call it as Kafka's do): the producer id
// and epoch, and per partition the next sequence number, the last acknowledged one, and the
// batches that hold a sequence and are not done ("in flight", retries waiting in the queue
// included).
//
// What happens when a batch fails for good changed three times, and the profile picks:
//   0.11     a sequence moves on only when its batch is acknowledged; OUT_OF_ORDER_SEQUENCE_NUMBER,
//            or a batch expiring after it was sent, discards the producer id (resetProducerId):
//            the next batches start at 0 under a new one (InitProducerId).
//   1.0-2.4  (KAFKA-5494, KAFKA-5793) sequences are given at drain and in-flight batches are
//            tracked; an expired batch that was sent leaves its partition "unresolved" until
//            every in-flight batch of it is done; if the sequence still has a gap then, or a
//            batch fails with OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID, the producer id
//            is discarded for every partition.
//   2.5+     (KIP-360) the producer bumps its epoch itself, and only the partition that failed
//            has its in-flight batches renumbered from 0 under the new epoch; the others move to
//            the new epoch at sequence 0 once their own in-flight batches are done (from 2.7,
//            KAFKA-12152; 2.5 and 2.6 only when an old-epoch batch completes last).
// In every line a batch that already has a sequence keeps it (and its producer id) when it is
// retried: it is renumbered only by an epoch bump of its own partition (2.5+), by a fresh start
// after UNKNOWN_PRODUCER_ID, or by a sequence adjustment after an earlier batch failed (1.0-2.4).
import type { KafkaError } from '../../kafka/errors.js';
import { profileAtLeast } from '../producer-config.js';
import type { Batch } from './producer-batch.js';
import type { TransactionalState } from './transactional.js';

/** What the application is told when a batch fails for good: a Kafka error or an expiry. */
export type BatchFailure = KafkaError | 'DELIVERY_TIMEOUT' | 'BATCH_EXPIRED' | 'TRANSACTION_ABORTED';

/** How the idempotent producer handles failures, per release line (see the file comment). */
export interface IdempotenceRules {
  /** 0.11: a partition's next sequence advances when a batch is acknowledged, not when it is drained. */
  readonly sequenceOnAck: boolean;
  /** 1.0+ (KAFKA-5494): in-flight batches tracked by sequence, OUT_OF_ORDER retried when not the next, unresolved sequences. */
  readonly trackInFlight: boolean;
  /** 2.5+ (KIP-360): a failure bumps the epoch locally for the failing partition instead of a new producer id. */
  readonly epochBump: boolean;
  /** 2.7+ (KAFKA-12152): each partition restarts at 0 under a new epoch once its in-flight batches are done. */
  readonly perPartitionEpoch: boolean;
  /** 3.6+ (KAFKA-14831): the answer to a batch that already expired changes no sequence state. */
  readonly lateFailureIgnored: boolean;
  /** Before 2.7 (KIP-588): INVALID_PRODUCER_EPOCH is a ProducerFencedException, fatal to the producer. */
  readonly fencedIsFatal: boolean;
}

export function idempotenceRules(profile: string): IdempotenceRules {
  return {
    sequenceOnAck: !profileAtLeast(profile, '1.0'),
    trackInFlight: profileAtLeast(profile, '1.0'),
    epochBump: profileAtLeast(profile, '2.5'),
    perPartitionEpoch: profileAtLeast(profile, '2.7'),
    lateFailureIgnored: profileAtLeast(profile, '3.6'),
    fencedIsFatal: !profileAtLeast(profile, '2.7'),
  };
}

/** Short.MAX_VALUE: an epoch that cannot be bumped again; a new producer id is asked for instead. */
const MAX_EPOCH = 32767;
const NO_PRODUCER = -1;

/** One partition's sequence bookkeeping (TxnPartitionEntry). */
interface TxnPartitionEntry {
  /** The producer id and epoch its sequences belong to (2.7+); -1 before its first batch. */
  producerId: number;
  producerEpoch: number;
  nextSequence: number;
  lastAckedSequence: number;
  lastAckedOffset: number;
  /** Batches holding a sequence that are not done, in sequence order. */
  readonly inflight: Batch[];
}

/** Why the producer gave up on sequence numbers: a trace event's worth. */
export interface SequenceReset {
  readonly reason: 'epoch-bump' | 'new-producer-id';
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Partitions whose in-flight batches were renumbered from 0 (epoch bump) ; every partition for a new id. */
  readonly partitions: readonly number[];
}

export class TransactionManager {
  producerId = NO_PRODUCER;
  producerEpoch = -1;
  /** A fatal error (ProducerFencedException before 2.7): every batch fails with it. */
  fatalError: KafkaError | null = null;
  private readonly entries: TxnPartitionEntry[] = [];
  /** Partitions with an expired batch that had been sent, and (2.5+) the sequence after it. */
  private readonly unresolved = new Map<number, number>();
  private epochBumpRequired = false;
  private readonly partitionsToRewrite = new Set<number>();

  constructor(
    private readonly rules: IdempotenceRules,
    private readonly onReset: (reset: SequenceReset) => void,
    /** The transactional half (transactional.ts), with a transactional.id; null otherwise. */
    readonly txn: TransactionalState | null = null,
  ) {}

  private entry(partition: number): TxnPartitionEntry {
    while (this.entries.length <= partition) {
      this.entries.push({ producerId: NO_PRODUCER, producerEpoch: -1, nextSequence: 0, lastAckedSequence: -1, lastAckedOffset: -1, inflight: [] });
    }
    return this.entries[partition]!;
  }

  /** 3.6+: the answer to an expired batch is left alone (Sender.failBatch calls handleFailedBatch only once). */
  get lateFailureIgnored(): boolean {
    return this.rules.lateFailureIgnored;
  }

  /** InitProducerIdHandler after an epoch bump (KIP-360): every partition's sequence starts again at 0. */
  resetSequences(): void {
    this.entries.length = 0;
    this.unresolved.clear();
  }

  hasProducerId(): boolean {
    return this.producerId !== NO_PRODUCER;
  }

  /** InitProducerId answered (at start, or after the producer id was discarded). */
  setProducerIdAndEpoch(producerId: number, producerEpoch: number): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
  }

  private matches(batch: Batch): boolean {
    return batch.producerId === this.producerId && batch.producerEpoch === this.producerEpoch;
  }

  private hasInflight(partition: number): boolean {
    return this.entry(partition).inflight.length > 0;
  }

  private isNextSequence(partition: number, sequence: number): boolean {
    return sequence - this.entry(partition).lastAckedSequence === 1;
  }

  // ---------------------------------------------------------------- the sender's loop

  /**
   * Sender.runOnce, first: partitions left unresolved by an expired batch are settled once none
   * of their batches is in flight. Without a gap (the expired batch was written after all) they
   * go on; with one, the epoch is bumped for them (2.5+, maybeResolveSequences) or the producer
   * id discarded (1.0-2.4, resetProducerIdIfNeeded).
   */
  maybeResolveSequences(): void {
    for (const [partition] of [...this.unresolved]) {
      if (this.hasInflight(partition)) continue;
      if (this.isNextSequence(partition, this.entry(partition).nextSequence)) {
        this.unresolved.delete(partition);
        continue;
      }
      if (!this.rules.epochBump) {
        this.resetProducerId();
        return;
      }
      this.requestEpochBumpForPartition(partition);
      this.unresolved.delete(partition);
    }
  }

  /** TransactionManager.bumpIdempotentEpochAndResetIdIfNeeded (2.5+): the bump is local, no request. */
  bumpIdempotentEpochIfNeeded(): void {
    if (!this.epochBumpRequired) return;
    if (this.txn !== null) {
      // A transactional producer bumps through its coordinator, when it aborts (KIP-360).
      this.epochBumpRequired = false;
      this.partitionsToRewrite.clear();
      this.txn.epochBumpRequired = true;
      return;
    }
    this.epochBumpRequired = false;
    const partitions = [...this.partitionsToRewrite].sort((a, b) => a - b);
    this.partitionsToRewrite.clear();
    if (this.producerEpoch >= MAX_EPOCH) {
      // resetIdempotentProducerId: a new id from InitProducerId; every partition restarts then.
      this.producerId = NO_PRODUCER;
      this.producerEpoch = -1;
      this.onReset({ reason: 'new-producer-id', producerId: NO_PRODUCER, producerEpoch: -1, partitions });
    } else {
      this.producerEpoch += 1;
      this.onReset({ reason: 'epoch-bump', producerId: this.producerId, producerEpoch: this.producerEpoch, partitions });
    }
    // "When the epoch is bumped, rewrite all in-flight sequences for the partition(s) that triggered the epoch bump."
    for (const partition of partitions) {
      this.startSequencesAtBeginning(partition);
      this.unresolved.delete(partition);
    }
  }

  /** Before 2.5 (resetProducerId): the producer id is discarded and every partition forgotten. */
  private resetProducerId(): void {
    const partitions = this.entries.map((_, i) => i);
    this.producerId = NO_PRODUCER;
    this.producerEpoch = -1;
    this.entries.length = 0;
    this.unresolved.clear();
    this.onReset({ reason: 'new-producer-id', producerId: NO_PRODUCER, producerEpoch: -1, partitions });
  }

  private requestEpochBumpForPartition(partition: number): void {
    this.epochBumpRequired = true;
    this.partitionsToRewrite.add(partition);
  }

  /** Renumbers the partition's in-flight batches from 0 under the current producer id and epoch. */
  private startSequencesAtBeginning(partition: number): void {
    const entry = this.entry(partition);
    let sequence = 0;
    for (const batch of entry.inflight) {
      // ProducerBatch.resetProducerState: the batch is reopened, so its retry is not taken for a new gap.
      if (this.rules.epochBump) {
        batch.producerId = this.producerId;
        batch.producerEpoch = this.producerEpoch;
      }
      batch.baseSequence = sequence;
      batch.sequenceReset = true;
      sequence += batch.records.length;
    }
    entry.producerId = this.producerId;
    entry.producerEpoch = this.producerEpoch;
    entry.nextSequence = sequence;
    entry.lastAckedSequence = -1;
  }

  // ---------------------------------------------------------------- the accumulator's drain

  /** RecordAccumulator.shouldStopDrainBatchesForPartition: true stops draining this broker's partitions. */
  shouldStopDrain(first: Batch): boolean {
    const partition = first.partition.id;
    // isSendToPartitionAllowed: a transaction's partition drains once AddPartitionsToTxn added it.
    if (this.txn !== null && !this.txn.sendToPartitionAllowed(partition)) return true;
    if (!this.rules.trackInFlight) return false; // 0.11: max.in.flight.requests.per.connection=1 mutes the partition
    const entry = this.entry(partition);
    if (first.baseSequence < 0) {
      // No new batch while in-flight ones of an older epoch or id are not done: a batch at sequence
      // 0 of the new epoch must not overtake them.
      if (this.rules.epochBump && entry.inflight.length > 0) {
        const stale = this.rules.perPartitionEpoch ? entry.producerId !== this.producerId || entry.producerEpoch !== this.producerEpoch : !this.matches(entry.inflight[0]!);
        if (stale) return true;
      }
      // Nor while an expired batch leaves the partition's sequence unknown.
      if (this.unresolved.has(partition)) return true;
    }
    // A retried batch goes out only as the partition's first in-flight sequence, which brings the
    // partition down to one request in flight until the retries are through.
    const oldest = entry.inflight[0];
    return first.baseSequence >= 0 && oldest !== undefined && oldest.baseSequence !== first.baseSequence;
  }

  /** A drained batch without a sequence gets the producer id, epoch and the partition's next sequence. */
  assignSequence(batch: Batch): void {
    if (batch.baseSequence >= 0) return;
    const partition = batch.partition.id;
    const entry = this.entry(partition);
    // maybeUpdateProducerIdAndEpoch (2.7+): a partition still numbered under an older epoch starts at 0.
    if (this.rules.perPartitionEpoch && (entry.producerId !== this.producerId || entry.producerEpoch !== this.producerEpoch) && entry.inflight.length === 0) {
      this.startSequencesAtBeginning(partition);
    }
    batch.producerId = this.producerId;
    batch.producerEpoch = this.producerEpoch;
    batch.baseSequence = entry.nextSequence;
    if (!this.rules.sequenceOnAck) entry.nextSequence += batch.records.length;
    if (this.rules.trackInFlight) insertBySequence(entry.inflight, batch);
  }

  // ---------------------------------------------------------------- the sender's completions

  /**
   * TransactionManager.canRetry: whether a batch answered with an error the Sender does not
   * retry anyway may be retried. From 2.5 the idempotent producer also retries the retriable
   * errors here, and OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID always, bumping the
   * epoch when the sequence has a real gap.
   */
  canRetry(batch: Batch, error: KafkaError, logStartOffset: number, retriable: boolean): boolean {
    if (!this.rules.trackInFlight) return retriable;
    if (!this.rules.epochBump) return retriable || this.canRetryBeforeBumps(batch, error, logStartOffset);
    const partition = batch.partition.id;
    if (error === 'UNKNOWN_PRODUCER_ID') {
      if (logStartOffset === -1 || batch.sequenceReset) return true;
      // The log's head went (retention) or the rest of the in-flight batches already failed this way.
      this.requestEpochBumpForPartition(partition);
      return true;
    }
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
      // Not the next sequence: an earlier batch failed first, so this one could not be written; retry it.
      if (!this.unresolved.has(partition) && (batch.sequenceReset || !this.isNextSequence(partition, batch.baseSequence))) return true;
      // A real gap (or the batch right after an unresolved one): bump the epoch; otherwise wait and see.
      if (!this.unresolved.has(partition) || this.unresolved.get(partition) === batch.baseSequence) this.requestEpochBumpForPartition(partition);
      return true;
    }
    return retriable;
  }

  /** 1.0-2.4 (KAFKA-5793): OUT_OF_ORDER behind a failed batch, or UNKNOWN_PRODUCER_ID after the log head went. */
  private canRetryBeforeBumps(batch: Batch, error: KafkaError, logStartOffset: number): boolean {
    if (!this.matches(batch)) return false;
    const partition = batch.partition.id;
    if (error === 'OUT_OF_ORDER_SEQUENCE_NUMBER') {
      return !this.unresolved.has(partition) && (batch.sequenceReset || !this.isNextSequence(partition, batch.baseSequence));
    }
    if (error !== 'UNKNOWN_PRODUCER_ID') return false;
    if (logStartOffset === -1 || batch.sequenceReset) return true;
    if (this.entry(partition).lastAckedOffset < logStartOffset) {
      this.startSequencesAtBeginning(partition);
      return true;
    }
    return false;
  }

  /** Before 2.5 a retry needs the producer id it was numbered under (Sender.completeBatch). */
  retryKeepsProducerId(batch: Batch): boolean {
    return this.rules.epochBump || this.matches(batch);
  }

  /** TransactionManager.handleCompletedBatch (0.11: Sender.completeBatch's sequence increment). */
  handleCompletedBatch(batch: Batch, baseOffset: number): void {
    const partition = batch.partition.id;
    const entry = this.entry(partition);
    if (!this.rules.trackInFlight) {
      if (this.matches(batch)) entry.nextSequence += batch.records.length;
      return;
    }
    if (!this.rules.epochBump && !this.matches(batch)) return; // numbered under a discarded producer id
    const lastSequence = batch.baseSequence + batch.records.length - 1;
    if (lastSequence > entry.lastAckedSequence) entry.lastAckedSequence = lastSequence;
    if (baseOffset >= 0) entry.lastAckedOffset = Math.max(entry.lastAckedOffset, baseOffset + batch.records.length - 1);
    removeFrom(entry.inflight, batch);
    // 2.5 and 2.6: an old-epoch batch completing last moves its partition to the new epoch.
    if (this.rules.epochBump && !this.rules.perPartitionEpoch && !this.matches(batch) && entry.inflight.length === 0) this.startSequencesAtBeginning(partition);
  }

  /**
   * TransactionManager.handleFailedBatch: the batch failed for good. `adjust` is Sender's "did
   * not exhaust its retries" (its sequence may be taken back); false for expiries, whose batch
   * may have been written.
   */
  handleFailedBatch(batch: Batch, error: BatchFailure, adjust: boolean): void {
    const partition = batch.partition.id;
    const outOfOrder = error === 'OUT_OF_ORDER_SEQUENCE_NUMBER' || error === 'UNKNOWN_PRODUCER_ID'; // UnknownProducerIdException extends OutOfOrderSequenceException
    if (!this.rules.trackInFlight) {
      if (outOfOrder && batch.producerId === this.producerId) this.resetProducerId();
      return;
    }
    const entry = this.entry(partition);
    if (error === 'INVALID_PRODUCER_EPOCH' && this.rules.fencedIsFatal) this.fatalError = error;
    if (!this.rules.epochBump) {
      if (!this.matches(batch)) return;
      if (outOfOrder) return this.resetProducerId();
      removeFrom(entry.inflight, batch);
      if (adjust) this.adjustSequencesDueToFailedBatch(batch);
      return;
    }
    removeFrom(entry.inflight, batch);
    if (this.fatalError !== null) return;
    if (!this.rules.perPartitionEpoch && !this.matches(batch)) return; // 2.5, 2.6: a batch of an older epoch
    if (outOfOrder || adjust) this.requestEpochBumpForPartition(partition);
  }

  /** 1.0-2.4: the failed batch's sequences are taken back; later in-flight batches move down. */
  private adjustSequencesDueToFailedBatch(batch: Batch): void {
    const entry = this.entry(batch.partition.id);
    const count = batch.records.length;
    if (entry.nextSequence - count < 0) return; // Kafka throws IllegalStateException here; the sender loop goes on
    entry.nextSequence -= count;
    for (const inflight of entry.inflight) {
      if (inflight.baseSequence < batch.baseSequence) continue;
      inflight.baseSequence -= count;
      inflight.sequenceReset = true;
    }
  }

  /**
   * An expired batch that had been sent (Sender.sendProducerData): its partition's sequence is
   * unknown until the batches in flight are done (1.0+); 0.11 discards the producer id at once.
   */
  onExpiredAfterSend(batch: Batch): void {
    if (!this.rules.trackInFlight) {
      if (this.hasProducerId()) this.resetProducerId();
      return;
    }
    const next = batch.baseSequence + batch.records.length;
    this.unresolved.set(batch.partition.id, Math.max(this.unresolved.get(batch.partition.id) ?? next, next));
  }
}

function insertBySequence(batches: Batch[], batch: Batch): void {
  let at = batches.length;
  while (at > 0 && batches[at - 1]!.baseSequence > batch.baseSequence) at -= 1;
  batches.splice(at, 0, batch);
}

function removeFrom(batches: Batch[], batch: Batch): void {
  const at = batches.indexOf(batch);
  if (at >= 0) batches.splice(at, 1);
}
