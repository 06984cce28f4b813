// Records and record batches: what producers send, leaders append, followers copy and the
// checker reads back. A batch is the unit of append, replication and truncation, as in Kafka's
// v2 message format; offsets inside a batch are contiguous.
import type { Disk, DiskFile } from '../../sim/index.js';

/** One application message. `producer` + `seq` identify it end to end (the checker's ledger key). */
export interface KafkaRecord {
  readonly key: string | null;
  readonly producer: string;
  readonly seq: number;
  /** A value only internal topics carry (the group coordinator's records in __consumer_offsets). */
  readonly value?: unknown;
}

/** Kafka's internal topic of committed offsets and group metadata. */
export const CONSUMER_OFFSETS = '__consumer_offsets';

export interface RecordBatch {
  /** Offset of the first record; assigned by the leader (-1 in a produce request). */
  readonly baseOffset: number;
  /** The leader epoch of the leader that appended it (partitionLeaderEpoch); -1 in a request. */
  readonly leaderEpoch: number;
  /** Idempotent producer id and epoch; -1 when the producer is not idempotent. */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sequence number of the first record for this producer id and partition; -1 when not idempotent. */
  readonly baseSequence: number;
  readonly records: readonly KafkaRecord[];
  /** Part of a transaction (KIP-98): read_committed consumers see it only after its COMMIT marker. Absent: false. */
  readonly isTransactional?: boolean;
  /**
   * A control batch: a transaction marker the coordinator had the leader write (WriteTxnMarkers).
   * It holds one record that takes one offset and carries no application data. Absent: a data batch.
   */
  readonly control?: ControlMarker;
}

/** A transaction marker's content (EndTransactionMarker): the outcome, and the coordinator epoch that wrote it. */
export interface ControlMarker {
  readonly type: 'COMMIT' | 'ABORT';
  readonly coordinatorEpoch: number;
}

/** The producer name of a control record: not an application's (seq -1, as the coordinator's records). */
export const CONTROL_PRODUCER = '__control';

/**
 * A transaction marker as the coordinator has a leader write it (MemoryRecords.withEndTransactionMarker):
 * the producer's id and epoch, no sequence, transactional, one control record.
 */
export function controlBatch(producerId: number, producerEpoch: number, marker: ControlMarker): RecordBatch {
  return {
    baseOffset: -1, leaderEpoch: -1, producerId, producerEpoch, baseSequence: -1,
    records: [{ key: null, producer: CONTROL_PRODUCER, seq: -1 }],
    isTransactional: true,
    control: marker,
  };
}

/** Kafka's internal topic of transaction metadata, keyed by transactional.id (KIP-98). */
export const TRANSACTION_STATE = '__transaction_state';

export const NO_PRODUCER_ID = -1;

export function lastOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.records.length - 1;
}

/** The offset after the batch: the log end offset once it is the last batch of the log. */
export function nextOffset(batch: RecordBatch): number {
  return batch.baseOffset + batch.records.length;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** `orders-0`: Kafka's own spelling of a topic partition. */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** A partition's log on a broker's disk: one record batch per entry. */
export function logFile(disk: Disk, topic: string, partition: number): DiskFile<RecordBatch> {
  return disk.file<RecordBatch>(`${tpKey(topic, partition)}/log`);
}

export function hasLog(disk: Disk, topic: string, partition: number): boolean {
  return disk.has(`${tpKey(topic, partition)}/log`);
}

/** Index of the batch holding `offset`, or -1 (binary search: batches are in offset order). */
export function batchIndexOf(batches: DiskFile<RecordBatch> | readonly RecordBatch[], offset: number): number {
  const length = batches.length;
  const at = Array.isArray(batches) ? (i: number) => (batches as readonly RecordBatch[])[i]! : (i: number) => (batches as DiskFile<RecordBatch>).at(i);
  let low = 0;
  let high = length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const batch = at(mid);
    if (offset < batch.baseOffset) high = mid - 1;
    else if (offset > lastOffset(batch)) low = mid + 1;
    else return mid;
  }
  return -1;
}
