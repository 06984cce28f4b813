// What the transaction coordinator writes to __transaction_state, and which of its partitions holds
// a transactional id (Kafka's TransactionLog, core/src/main/scala/kafka/coordinator/transaction/
// TransactionLog.scala, 0.11 to 3.9). One record per state change, keyed by the transactional id,
// so a compacted log keeps the latest state of each id. The value is structured (not Kafka's
// binary TransactionLogValue schema) but carries the same fields.
import { javaStringHashCode, kafkaAbs } from './offsets-topic.js';
import type { TopicPartitionRef } from './protocol.js';
import type { KafkaRecord } from './records.js';

/** The transaction states (TransactionMetadata.scala's TransactionState objects). */
export type TransactionState = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'Dead' | 'PrepareEpochFence';

/**
 * TransactionLogValue v0: the producer id and epoch in use, the timeout, the state, the
 * partitions of the ongoing transaction (none in Empty), and its timestamps. The previous producer
 * id and epoch (KIP-360) are not in it: a loaded transaction has none (TransactionLog.readTxnRecordValue).
 */
export interface TransactionLogValue {
  readonly kind: 'transaction';
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  readonly partitions: readonly TopicPartitionRef[];
  readonly txnLastUpdateTimestampMs: number;
  /** -1 until a partition is added (TransactionMetadata.txnStartTimestamp). */
  readonly txnStartTimestampMs: number;
}

/** Records of the coordinator carry no producer of the checker's: this one names the writer. */
const TRANSACTION_COORDINATOR_PRODUCER = '__transaction_coordinator';

export function transactionLogRecord(value: TransactionLogValue): KafkaRecord {
  return { key: `transaction:${value.transactionalId}`, producer: TRANSACTION_COORDINATOR_PRODUCER, seq: -1, value };
}

/** The __transaction_state partition of a transactional id: Utils.abs(transactionalId.hashCode) % partitions (TransactionStateManager.partitionFor). */
export function transactionPartitionFor(transactionalId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(transactionalId)) % partitions;
}
