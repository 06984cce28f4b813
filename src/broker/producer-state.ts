// The idempotent producer on the broker (KIP-98): per producer id, its epoch and the last batches'
// sequence ranges and offsets, so a retried batch is answered with its original offset instead
// of being written twice, a gap in sequence numbers is refused, and an older epoch is fenced.
// Leaders and followers both keep it, built from the batches they append, so a new leader
// deduplicates as the old one did (ProducerStateManager / ProducerAppendInfo,
// core/src/main/scala/kafka/log/ProducerStateManager.scala, 0.11.0 to 2.8; ProducerAppendInfo.java
// in storage/ from 3.6).
import type { RecordBatch } from '../kafka/records.js';

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
}

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
  | { readonly kind: 'error'; readonly error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'UNKNOWN_PRODUCER_ID' | 'INVALID_PRODUCER_EPOCH' };

const APPEND: SequenceCheck = { kind: 'append' };
const OUT_OF_ORDER: SequenceCheck = { kind: 'error', error: 'OUT_OF_ORDER_SEQUENCE_NUMBER' };
const UNKNOWN_PRODUCER: SequenceCheck = { kind: 'error', error: 'UNKNOWN_PRODUCER_ID' };
const FENCED: SequenceCheck = { kind: 'error', error: 'INVALID_PRODUCER_EPOCH' };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  /** Decides what a leader does with an incoming batch (Log.analyzeAndValidateProducerState). */
  check(batch: RecordBatch, rules: ProducerStateRules): SequenceCheck {
    if (batch.producerId < 0) return APPEND;
    const entry = this.producers.get(batch.producerId);
    // No sequence: a coordinator's batch (AppendOrigin.Coordinator, a TxnOffsetCommit's): only its epoch is checked.
    if (batch.baseSequence < 0) return entry !== undefined && batch.producerEpoch < entry.epoch ? FENCED : APPEND;
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
      const last = batches[batches.length - 1]!;
      return batch.baseSequence === last.lastSeq + 1 ? APPEND : OUT_OF_ORDER;
    }
    // ProducerAppendInfo.checkProducerEpoch: an older epoch is fenced (ProducerFencedException
    // before 2.7, InvalidProducerEpochException since; INVALID_PRODUCER_EPOCH on the wire).
    if (batch.producerEpoch < entry.epoch) return FENCED;
    // checkSequence: a new epoch of a known producer starts at sequence 0.
    return batch.baseSequence === 0 ? APPEND : OUT_OF_ORDER;
  }

  /** Records an appended batch (leader or follower); a new epoch forgets the old one's batches. */
  record(batch: RecordBatch): void {
    if (batch.producerId < 0) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined || batch.producerEpoch !== entry.epoch) {
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
