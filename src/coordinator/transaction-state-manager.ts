// The transaction coordinator's storage (Kafka's TransactionStateManager, core/src/main/scala/
// kafka/coordinator/transaction/TransactionStateManager.scala, 0.11 to 3.9): which __transaction_state
// partitions this broker leads and so which transactional ids it coordinates, the cache of their
// metadata (one entry per partition, with the coordinator epoch: the partition's leader epoch when
// this broker was elected), loading a partition's transactions from its log, and writing each state
// change to the log with acks=all before the cache takes it.
// Left out: transactional.id.expiration.ms (an id unused for a week is never removed here).
import type { KafkaError } from '../kafka/errors.js';
import type { TransactionEvent } from '../kafka/events.js';
import { tpKey, type KafkaRecord, type RecordBatch } from '../kafka/records.js';
import { transactionLogRecord, transactionPartitionFor, type TransactionLogValue } from '../kafka/transaction-log.js';
import type { TransactionSettings } from './transaction-config.js';
import { TransactionMetadata, transactionLogValue, type TxnTransitMetadata } from './transaction-metadata.js';

/** What the state manager needs of the replica manager: its __transaction_state partitions' logs and appends. */
export interface TransactionLog {
  /** The local log of a __transaction_state partition (empty when not hosted). */
  read(partition: number): readonly RecordBatch[];
  /** Appends with acks=all; calls back once replicated to the ISR, or with why not (ReplicaManager.appendAsCoordinator). */
  append(partition: number, records: readonly KafkaRecord[], timeoutMs: number, onComplete: (error: KafkaError) => void): void;
}

/** A transaction this coordinator owns, with the coordinator epoch it owns it under. */
export interface CoordinatorEpochAndMetadata {
  readonly coordinatorEpoch: number;
  readonly metadata: TransactionMetadata;
}

/** getTransactionState: an error (not ours, or still loading), or the metadata (undefined: no such id). */
export type TransactionStateLookup =
  | { readonly error: 'NOT_COORDINATOR' | 'COORDINATOR_LOAD_IN_PROGRESS' }
  | { readonly error: null; readonly coordinatorEpoch: number; readonly metadata: TransactionMetadata | undefined };

/** A transaction loaded in PrepareCommit/PrepareAbort: its markers must be sent (again) and its Complete record written. */
export type SendTxnMarkers = (coordinatorEpoch: number, result: 'COMMIT' | 'ABORT', metadata: TransactionMetadata, transit: TxnTransitMetadata) => void;

interface CacheEntry {
  readonly coordinatorEpoch: number;
  readonly transactions: Map<string, TransactionMetadata>;
}

export interface TransactionStateEnv {
  readonly brokerId: number;
  /** Virtual time in milliseconds (Kafka's time.milliseconds()). */
  nowMs(): number;
  /** Runs `fn` in an event of its own, after the current one (Kafka's scheduler thread). */
  later(fn: () => void): void;
  trace(event: TransactionEvent): void;
}

export class TransactionStateManager {
  /** Partitions being loaded, with the coordinator epoch of the load. */
  private readonly loadingPartitions = new Map<number, number>();
  private readonly cache = new Map<number, CacheEntry>();

  constructor(
    private readonly settings: TransactionSettings,
    private readonly log: TransactionLog,
    private readonly env: TransactionStateEnv,
  ) {}

  partitionFor(transactionalId: string): number {
    return transactionPartitionFor(transactionalId, this.settings.transactionStateLogNumPartitions);
  }

  /** transaction.timeout.ms must be in (0, transaction.max.timeout.ms] (validateTransactionTimeoutMs). */
  validateTransactionTimeoutMs(txnTimeoutMs: number): boolean {
    return txnTimeoutMs <= this.settings.transactionMaxTimeoutMs && txnTimeoutMs > 0;
  }

  getTransactionState(transactionalId: string): TransactionStateLookup {
    const partition = this.partitionFor(transactionalId);
    if (this.loadingPartitions.has(partition)) return { error: 'COORDINATOR_LOAD_IN_PROGRESS' };
    const entry = this.cache.get(partition);
    if (entry === undefined) return { error: 'NOT_COORDINATOR' };
    return { error: null, coordinatorEpoch: entry.coordinatorEpoch, metadata: entry.transactions.get(transactionalId) };
  }

  /** Adds a new id's metadata unless one is there; the one in the cache either way. */
  putTransactionStateIfNotExists(metadata: TransactionMetadata): TransactionStateLookup {
    const found = this.getTransactionState(metadata.transactionalId);
    if (found.error !== null || found.metadata !== undefined) return found;
    this.cache.get(this.partitionFor(metadata.transactionalId))!.transactions.set(metadata.transactionalId, metadata);
    return { error: null, coordinatorEpoch: found.coordinatorEpoch, metadata };
  }

  /**
   * Ongoing transactions started more than their timeout ago, with no change pending
   * (timedOutTransactions): the coordinator aborts them. Partitions and ids in a fixed order.
   */
  timedOutTransactions(): { transactionalId: string; producerId: number; producerEpoch: number }[] {
    const now = this.env.nowMs();
    const found: { transactionalId: string; producerId: number; producerEpoch: number }[] = [];
    for (const partition of [...this.cache.keys()].sort((a, b) => a - b)) {
      for (const m of this.cache.get(partition)!.transactions.values()) {
        if (m.pendingTransitionInProgress || m.state !== 'Ongoing' || m.txnStartTimestamp + m.txnTimeoutMs >= now) continue;
        found.push({ transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch });
      }
    }
    return found;
  }

  // ---- writes ------------------------------------------------------------------------------

  /**
   * Writes a prepared change with acks=all, and once it is replicated has the metadata take it,
   * if this broker still coordinates the id under the same coordinator epoch (else
   * NOT_COORDINATOR). A failed append clears the pending state unless `retryOnError` says the
   * caller will retry it (appendTransactionToLog).
   */
  appendTransactionToLog(
    transactionalId: string, coordinatorEpoch: number, transit: TxnTransitMetadata, callback: (error: KafkaError) => void,
    retryOnError: (error: KafkaError) => boolean = () => false,
  ): void {
    const before = this.getTransactionState(transactionalId);
    if (before.error !== null) return callback(before.error);
    if (before.metadata === undefined || before.coordinatorEpoch !== coordinatorEpoch) return callback('NOT_COORDINATOR');
    const value: TransactionLogValue = transactionLogValue(transactionalId, transit);
    this.log.append(this.partitionFor(transactionalId), [transactionLogRecord(value)], transit.txnTimeoutMs, (appendError) => {
      const error = appendError === 'NONE' ? 'NONE' : coordinatorError(appendError);
      const after = this.getTransactionState(transactionalId);
      if (error === 'NONE') {
        if (after.error !== null) return callback(after.error);
        if (after.metadata === undefined || after.coordinatorEpoch !== coordinatorEpoch) return callback('NOT_COORDINATOR');
        const from = after.metadata.state;
        after.metadata.completeTransitionTo(transit);
        this.env.trace({
          kind: 'txn.transition', broker: this.env.brokerId, transactionalId, producerId: transit.producerId, producerEpoch: transit.producerEpoch,
          from, to: transit.txnState, coordinatorEpoch, partitions: transit.topicPartitions.map((tp) => tpKey(tp.topic, tp.partition)),
        });
        return callback('NONE');
      }
      // The change did not happen: no transaction is in flight for it any more, unless the caller retries.
      if (after.error === null && after.metadata !== undefined && after.coordinatorEpoch === coordinatorEpoch && !retryOnError(error)) after.metadata.pendingState = null;
      callback(error);
    });
  }

  // ---- leadership of __transaction_state partitions ------------------------------------------

  /**
   * This broker now leads `partition` at `coordinatorEpoch`: its transactions are read from the
   * whole local log in an event of its own (Kafka loads on its scheduler thread; requests meanwhile
   * get COORDINATOR_LOAD_IN_PROGRESS). Transactions found in PrepareCommit/PrepareAbort have their
   * markers sent again (loadTransactionsForTxnTopicPartition).
   */
  loadTransactionsForTxnTopicPartition(partition: number, coordinatorEpoch: number, sendTxnMarkers: SendTxnMarkers): void {
    this.loadingPartitions.set(partition, coordinatorEpoch);
    this.env.later(() => {
      // Resigned (or elected again) meanwhile: this load is obsolete.
      if (this.loadingPartitions.get(partition) !== coordinatorEpoch) return;
      const loaded = this.loadTransactionMetadata(partition);
      this.cache.set(partition, { coordinatorEpoch, transactions: loaded });
      const completing: { result: 'COMMIT' | 'ABORT'; metadata: TransactionMetadata; transit: TxnTransitMetadata }[] = [];
      for (const metadata of loaded.values()) {
        if (metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort') {
          completing.push({ result: metadata.state === 'PrepareCommit' ? 'COMMIT' : 'ABORT', metadata, transit: metadata.prepareComplete(this.env.nowMs()) });
        }
      }
      // Out of loading first, so that the Complete records the markers lead to can be written.
      this.loadingPartitions.delete(partition);
      this.env.trace({
        kind: 'txn.loaded', broker: this.env.brokerId, partition, coordinatorEpoch,
        transactionalIds: [...loaded.keys()], completing: completing.map((c) => c.metadata.transactionalId),
      });
      for (const { result, metadata, transit } of completing) sendTxnMarkers(coordinatorEpoch, result, metadata, transit);
    });
  }

  /** The last record of each id wins (compaction keeps the same); records are in offset order. */
  private loadTransactionMetadata(partition: number): Map<string, TransactionMetadata> {
    const loaded = new Map<string, TransactionMetadata>();
    for (const batch of this.log.read(partition)) {
      for (const record of batch.records) {
        const value = record.value as TransactionLogValue | undefined;
        if (value === undefined || value.kind !== 'transaction') continue;
        loaded.delete(value.transactionalId); // the latest record's position is the id's place in the iteration order
        loaded.set(value.transactionalId, TransactionMetadata.fromLog(value));
      }
    }
    return loaded;
  }

  /**
   * This broker no longer leads `partition`: its transactions leave the cache
   * (removeTransactionsForTxnTopicPartition). null when it neither had nor was loading them.
   */
  removeTransactionsForTxnTopicPartition(partition: number): { coordinatorEpoch: number; transactionalIds: string[] } | null {
    const loadingEpoch = this.loadingPartitions.get(partition);
    this.loadingPartitions.delete(partition);
    const entry = this.cache.get(partition);
    this.cache.delete(partition);
    if (entry !== undefined) return { coordinatorEpoch: entry.coordinatorEpoch, transactionalIds: [...entry.transactions.keys()] };
    return loadingEpoch === undefined ? null : { coordinatorEpoch: loadingEpoch, transactionalIds: [] };
  }

  /** Partitions this broker coordinates (loaded), in order: for tests and the role tracker. */
  ownedPartitions(): number[] {
    return [...this.cache.keys()].sort((a, b) => a - b);
  }
}

/** How an append error reaches the requester (TransactionStateManager.appendTransactionToLog, 0.11 to 3.9). */
export function coordinatorError(error: KafkaError): KafkaError {
  switch (error) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'REQUEST_TIMED_OUT': // the client retries after finding the coordinator again
      return 'COORDINATOR_NOT_AVAILABLE';
    case 'NOT_LEADER_OR_FOLLOWER':
      return 'NOT_COORDINATOR';
    default:
      return error;
  }
}
