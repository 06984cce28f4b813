// One partition's batch of records in the producer: Kafka's ProducerBatch
// (clients/src/main/java/org/apache/kafka/clients/producer/internals/ProducerBatch.java, read at
// 2.8.2), and the part of a partition's state the RecordAccumulator keeps: its queue of batches
// not in flight.
import type { KafkaRecord } from '../../kafka/records.js';

/** A v2 record batch's header (DefaultRecordBatch.RECORD_BATCH_OVERHEAD). */
export const BATCH_OVERHEAD_BYTES = 61;

/** A partition as the accumulator sees it (RecordAccumulator's deque, and whether it is muted). */
export interface PartitionQueue {
  readonly id: number;
  leaderEpoch: number;
  /** Batches not in flight, oldest first (the accumulator's deque). */
  readonly queue: Batch[];
  /** max.in.flight=1: a batch of this partition is in flight (guaranteeMessageOrder). */
  muted: boolean;
}

/** One partition's producer batch (ProducerBatch): records are appended until it is closed. */
export class Batch {
  readonly records: KafkaRecord[] = [];
  bytes = BATCH_OVERHEAD_BYTES;
  /** Closed for appends: full, a record did not fit, or drained (then never written again). */
  appendable = true;
  /** In its partition's queue (not in flight). */
  queued = true;
  done = false;
  /** Retries so far (ProducerBatch.attempts). */
  attempts = 0;
  lastAttemptUs: number;
  /** When its last record was appended (before 2.1 a full batch expires request.timeout.ms after it). */
  lastAppendUs: number;
  backoffUs = 0;
  retryLeaderEpoch = -1;
  producerId = -1;
  producerEpoch = -1;
  baseSequence = -1;
  /** Renumbered since it was last drained (ProducerBatch.sequenceHasBeenReset): an OUT_OF_ORDER answer is expected. */
  sequenceReset = false;

  constructor(
    readonly partition: PartitionQueue,
    readonly createdUs: number,
    readonly allocatedBytes: number,
  ) {
    this.lastAttemptUs = createdUs;
    this.lastAppendUs = createdUs;
  }
}
