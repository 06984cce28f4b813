// The transaction coordinator of a ZooKeeper-mode broker (Kafka's TransactionCoordinator,
// core/src/main/scala/kafka/coordinator/transaction/TransactionCoordinator.scala, 0.11 to 3.9; KIP-98):
// one per broker, coordinating the transactional ids whose __transaction_state partition this
// broker leads. It answers InitProducerId for a transactional id (a new producer id, or the next
// epoch, which fences older producers of the id; an open transaction is aborted first and the
// caller told CONCURRENT_TRANSACTIONS to retry), AddPartitionsToTxn and AddOffsetsToTxn (the
// transaction becomes Ongoing), and EndTxn: PrepareCommit / PrepareAbort is written and answered,
// then the markers go to the partition leaders (transaction-marker-channel-manager.ts), then
// CompleteCommit / CompleteAbort is written. Every transaction.abort.timed.out.transaction.cleanup.interval.ms
// it aborts transactions older than their transaction.timeout.ms, bumping the epoch so that their
// producer is fenced.
import { invariant, type EventId } from '../../sim/index.js';
import type { BrokerContext } from '../broker/context.js';
import type { KafkaError } from '../kafka/errors.js';
import type { TransactionEvent } from '../kafka/events.js';
import type { KafkaMessage, TopicPartitionRef } from '../kafka/protocol.js';
import { CONSUMER_OFFSETS } from '../kafka/records.js';
import type { TransactionSettings } from './transaction-config.js';
import { TransactionMarkerChannelManager, type MarkerChannel, type TransactionResult } from './transaction-marker-channel-manager.js';
import { NO_PRODUCER_EPOCH, NO_PRODUCER_ID, TransactionMetadata, isEpochExhausted, type TxnTransitMetadata } from './transaction-metadata.js';
import { TransactionStateManager, type TransactionLog } from './transaction-state-manager.js';

type Request<T extends KafkaMessage['type']> = Extract<KafkaMessage, { type: T }>;
type InitProducerIdResult = { readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number };

/** What the coordinator needs of its broker besides the context: ids and the metadata cache. */
export interface TransactionCoordinatorBroker {
  /** The next producer id of the broker's block (ProducerIdManager). */
  allocateProducerId(): number;
  /** Whether the metadata cache knows the partition (AddPartitionsToTxn refuses others). */
  knowsPartition(topic: string, partition: number): boolean;
  /** The group's __consumer_offsets partition (AddOffsetsToTxn adds it to the transaction). */
  offsetsPartitionFor(groupId: string): number;
}

export class TransactionCoordinator {
  readonly stateManager: TransactionStateManager;
  readonly markers: TransactionMarkerChannelManager;
  /** When the coordinator started (KafkaServer.startup): the abort timer's first run is one interval after. */
  private startedAtUs = 0;
  private abortTimer: EventId | null = null;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly settings: TransactionSettings,
    log: TransactionLog,
    channel: MarkerChannel,
    private readonly broker: TransactionCoordinatorBroker,
  ) {
    const trace = (event: TransactionEvent): void => ctx.trace(event);
    this.stateManager = new TransactionStateManager(settings, log, {
      brokerId: ctx.id, nowMs: () => this.nowMs(), later: (fn) => void ctx.env.setTimer(0, fn), trace,
    });
    this.markers = new TransactionMarkerChannelManager(this.stateManager, channel, {
      brokerId: ctx.id,
      nowMs: () => this.nowMs(),
      setTimer: (delayMs, fn) => {
        const id = ctx.env.setTimer(delayMs * 1000, fn);
        return () => ctx.env.cancelTimer(id);
      },
      trace,
    }, settings.requestTimeoutMs, settings.rules.pendingMarkersRemovedByValue);
  }

  partitionFor(transactionalId: string): number {
    return this.stateManager.partitionFor(transactionalId);
  }

  /**
   * KafkaServer.startup started the coordinator: its abort timer runs every interval from now.
   * (The timer is only set once this broker coordinates a partition: until then it would find nothing.)
   */
  startup(): void {
    this.startedAtUs = this.ctx.env.now();
  }

  private nowMs(): number {
    return Math.floor(this.ctx.env.now() / 1000);
  }

  // ---- leadership of __transaction_state partitions (onElection / onResignation) ----------------

  onElection(partition: number, coordinatorEpoch: number): void {
    this.markers.removeMarkersForTxnTopicPartition(partition);
    this.stateManager.loadTransactionsForTxnTopicPartition(partition, coordinatorEpoch, (epoch, result, metadata, transit) => this.markers.addTxnMarkersToSend(epoch, result, metadata, transit));
    this.scheduleAbortTimedOutTransactions();
  }

  onResignation(partition: number): void {
    const removed = this.stateManager.removeTransactionsForTxnTopicPartition(partition);
    this.markers.removeMarkersForTxnTopicPartition(partition);
    if (removed !== null) this.trace({ kind: 'txn.unloaded', broker: this.ctx.id, partition, ...removed });
  }

  /** The metadata cache changed: markers waiting for a live leader may go now. */
  onMetadataUpdate(): void {
    this.markers.onMetadataUpdate();
  }

  // ---- InitProducerId ---------------------------------------------------------------------

  handleInitProducerId(from: string, request: Request<'InitProducerId'>): void {
    const respond = (result: InitProducerIdResult): void => {
      this.traceFenced(request.transactionalId ?? '', 'InitProducerId', request.producerId ?? -1, request.producerEpoch ?? -1, result.error);
      this.ctx.env.send(from, { type: 'InitProducerIdResponse', correlationId: request.correlationId, ...result });
    };
    const fail = (error: KafkaError): void => respond({ error, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    const transactionalId = request.transactionalId ?? null;
    if (transactionalId === null) return respond({ error: 'NONE', producerId: this.broker.allocateProducerId(), producerEpoch: 0 });
    if (transactionalId === '') return fail('INVALID_REQUEST');
    const timeoutMs = request.transactionTimeoutMs ?? -1;
    if (!this.stateManager.validateTransactionTimeoutMs(timeoutMs)) return fail('INVALID_TRANSACTION_TIMEOUT');
    // KIP-360 (InitProducerId v3, 2.5): the producer's own id and epoch, both or neither.
    let expected: { producerId: number; epoch: number } | null = null;
    if (this.settings.rules.expectedProducerIdAndEpoch) {
      const producerId = request.producerId ?? NO_PRODUCER_ID;
      const epoch = request.producerEpoch ?? NO_PRODUCER_EPOCH;
      if ((producerId === NO_PRODUCER_ID) !== (epoch === NO_PRODUCER_EPOCH)) return fail('INVALID_REQUEST');
      if (producerId !== NO_PRODUCER_ID) expected = { producerId, epoch };
    }
    let found = this.stateManager.getTransactionState(transactionalId);
    if (found.error === null && found.metadata === undefined) {
      const created = new TransactionMetadata(transactionalId, this.broker.allocateProducerId(), NO_PRODUCER_ID, NO_PRODUCER_EPOCH, NO_PRODUCER_EPOCH, timeoutMs, 'Empty', -1, this.nowMs());
      found = this.stateManager.putTransactionStateIfNotExists(created);
    }
    if (found.error !== null) return fail(found.error);
    const { coordinatorEpoch, metadata } = found as { coordinatorEpoch: number; metadata: TransactionMetadata };
    const transit = this.prepareInitProducerIdTransit(metadata, timeoutMs, expected);
    if (typeof transit === 'string') return fail(transit);
    if (transit.txnState === 'PrepareEpochFence') {
      // The open transaction is aborted under the bumped epoch, and the caller retries (then the epoch is bumped again).
      this.trace({ kind: 'txn.fence', broker: this.ctx.id, transactionalId, producerId: metadata.producerId, fromEpoch: metadata.producerEpoch, toEpoch: transit.producerEpoch, reason: 'init-producer-id' });
      return this.endTransaction(transactionalId, transit.producerId, transit.producerEpoch, 'ABORT', false, (error) => fail(error === 'NONE' ? 'CONCURRENT_TRANSACTIONS' : error));
    }
    this.stateManager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit, (error) => {
      if (error !== 'NONE') return fail(error);
      respond({ error: 'NONE', producerId: transit.producerId, producerEpoch: transit.producerEpoch });
    });
  }

  private prepareInitProducerIdTransit(metadata: TransactionMetadata, timeoutMs: number, expected: { producerId: number; epoch: number } | null): TxnTransitMetadata | KafkaError {
    const fenced = this.settings.rules.fencedError;
    if (metadata.pendingTransitionInProgress) return 'CONCURRENT_TRANSACTIONS';
    // A producer passing its id and epoch is fenced unless the id is new here, is the current one
    // (the epoch is checked below), or is the previous one with its epochs exhausted (a retry of a rotation).
    if (expected !== null) {
      const valid = metadata.producerEpoch === NO_PRODUCER_EPOCH || expected.producerId === metadata.producerId ||
        (expected.producerId === metadata.lastProducerId && isEpochExhausted(expected.epoch));
      if (!valid) return fenced;
    }
    switch (metadata.state) {
      case 'PrepareAbort':
      case 'PrepareCommit':
        return 'CONCURRENT_TRANSACTIONS'; // the client backs off and retries
      case 'CompleteAbort':
      case 'CompleteCommit':
      case 'Empty':
        if (metadata.isProducerEpochExhausted && (expected === null || expected.epoch === metadata.producerEpoch)) {
          return metadata.prepareProducerIdRotation(this.broker.allocateProducerId(), timeoutMs, this.nowMs(), expected !== null);
        }
        return metadata.prepareIncrementProducerEpoch(timeoutMs, expected?.epoch ?? null, this.nowMs(), fenced);
      case 'Ongoing':
        // This epoch is never returned: the transaction is aborted with it, and the retry bumps again.
        return metadata.prepareFenceProducerEpoch();
      case 'Dead':
      case 'PrepareEpochFence':
        invariant(false, () => `transaction ${metadata.transactionalId}: InitProducerId found state ${metadata.state}, which is never left standing`);
    }
  }

  // ---- AddPartitionsToTxn / AddOffsetsToTxn -----------------------------------------------------

  /** Partitions the metadata cache does not know fail the whole request (KafkaApis.handleAddPartitionToTxnRequest). */
  handleAddPartitionsToTxn(from: string, request: Request<'AddPartitionsToTxn'>): void {
    const respond = (errorOf: (tp: TopicPartitionRef) => KafkaError): void => {
      const partitions = request.partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, error: errorOf(tp) }));
      this.ctx.env.send(from, { type: 'AddPartitionsToTxnResponse', correlationId: request.correlationId, partitions });
    };
    const unknown = request.partitions.filter((tp) => !this.broker.knowsPartition(tp.topic, tp.partition));
    if (unknown.length > 0) return respond((tp) => (unknown.includes(tp) ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'OPERATION_NOT_ATTEMPTED'));
    this.addPartitionsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.partitions, 'AddPartitionsToTxn', (error) => respond(() => error));
  }

  handleAddOffsetsToTxn(from: string, request: Request<'AddOffsetsToTxn'>): void {
    const offsetsPartition = { topic: CONSUMER_OFFSETS, partition: this.broker.offsetsPartitionFor(request.groupId) };
    this.addPartitionsToTransaction(request.transactionalId, request.producerId, request.producerEpoch, [offsetsPartition], 'AddOffsetsToTxn', (error) =>
      this.ctx.env.send(from, { type: 'AddOffsetsToTxnResponse', correlationId: request.correlationId, error }));
  }

  private addPartitionsToTransaction(
    transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartitionRef[], requestName: string, callback: (error: KafkaError) => void,
  ): void {
    const respond = (error: KafkaError): void => {
      this.traceFenced(transactionalId, requestName, producerId, producerEpoch, error);
      callback(error);
    };
    if (transactionalId === '') return respond('INVALID_REQUEST');
    const found = this.stateManager.getTransactionState(transactionalId);
    if (found.error !== null) return respond(found.error);
    const metadata = found.metadata;
    if (metadata === undefined || metadata.producerId !== producerId) return respond('INVALID_PRODUCER_ID_MAPPING');
    if (metadata.producerEpoch !== producerEpoch) return respond(this.settings.rules.fencedError);
    if (metadata.pendingTransitionInProgress || metadata.state === 'PrepareCommit' || metadata.state === 'PrepareAbort') return respond('CONCURRENT_TRANSACTIONS');
    // Already in the transaction: answered at once, nothing written.
    if (metadata.state === 'Ongoing' && partitions.every((tp) => metadata.hasPartition(tp))) return respond('NONE');
    this.stateManager.appendTransactionToLog(transactionalId, found.coordinatorEpoch, metadata.prepareAddPartitions(partitions, this.nowMs()), respond);
  }

  // ---- EndTxn ---------------------------------------------------------------------------

  handleEndTxn(from: string, request: Request<'EndTxn'>): void {
    const result: TransactionResult = request.committed ? 'COMMIT' : 'ABORT';
    this.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, result, true, (error) => {
      this.traceFenced(request.transactionalId, 'EndTxn', request.producerId, request.producerEpoch, error);
      this.ctx.env.send(from, { type: 'EndTxnResponse', correlationId: request.correlationId, error });
    });
  }

  /**
   * EndTxn from a client, or the coordinator's own abort (a fence: `producerEpoch` is the bumped
   * one). The Prepare record is written; the caller is answered once it is replicated, and the
   * markers go out (TransactionCoordinator.endTransaction).
   */
  private endTransaction(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult, isFromClient: boolean, callback: (error: KafkaError) => void): void {
    if (transactionalId === '') return callback('INVALID_REQUEST');
    const found = this.stateManager.getTransactionState(transactionalId);
    if (found.error !== null) return callback(found.error);
    const metadata = found.metadata;
    if (metadata === undefined || metadata.producerId !== producerId) return callback('INVALID_PRODUCER_ID_MAPPING');
    const { coordinatorEpoch } = found;
    const rules = this.settings.rules;
    const staleEpoch = producerEpoch < metadata.producerEpoch || (rules.strictClientEpoch && isFromClient && producerEpoch !== metadata.producerEpoch);
    if (staleEpoch) return callback(rules.fencedError);
    if (metadata.pendingState !== null && metadata.pendingState !== 'PrepareEpochFence') return callback('CONCURRENT_TRANSACTIONS');
    let isEpochFence = false;
    switch (metadata.state) {
      case 'Ongoing':
        break;
      case 'CompleteCommit':
        return callback(result === 'COMMIT' ? 'NONE' : 'INVALID_TXN_STATE');
      case 'CompleteAbort':
        return callback(result === 'ABORT' ? 'NONE' : 'INVALID_TXN_STATE');
      case 'PrepareCommit':
        return callback(result === 'COMMIT' ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE');
      case 'PrepareAbort':
        return callback(result === 'ABORT' ? 'CONCURRENT_TRANSACTIONS' : 'INVALID_TXN_STATE');
      case 'Empty':
        return callback('INVALID_TXN_STATE');
      case 'Dead':
      case 'PrepareEpochFence':
        return invariant(false, () => `transaction ${transactionalId}: EndTxn found state ${metadata.state}, which is never left standing`);
    }
    if (result === 'ABORT' && metadata.pendingState === 'PrepareEpochFence') {
      // The fence becomes this abort, written with the bumped epoch.
      isEpochFence = true;
      metadata.pendingState = null;
      // 2.5 kept the fenced epoch as the previous one (a retry with it got the new epoch); 2.6 forgets it.
      metadata.lastProducerEpoch = rules.strictClientEpoch ? NO_PRODUCER_EPOCH : metadata.producerEpoch;
      metadata.producerEpoch = producerEpoch;
    }
    const transit = metadata.prepareAbortOrCommit(result === 'COMMIT' ? 'PrepareCommit' : 'PrepareAbort', this.nowMs());
    this.stateManager.appendTransactionToLog(transactionalId, coordinatorEpoch, transit, (error) => {
      if (error !== 'NONE') {
        // KAFKA-9666 (2.6): the bumped epoch never reached the log nor anyone: the next fence keeps it.
        const now = this.stateManager.getTransactionState(transactionalId);
        if (isEpochFence && rules.failedFenceKeepsEpoch && now.error === null && now.coordinatorEpoch === coordinatorEpoch && now.metadata !== undefined) now.metadata.hasFailedEpochFence = true;
        return callback(error);
      }
      this.sendTxnMarkers(transactionalId, producerId, producerEpoch, result, coordinatorEpoch, callback);
    });
  }

  /** The Prepare record is replicated: answer, then the markers (unless something moved meanwhile). */
  private sendTxnMarkers(transactionalId: string, producerId: number, producerEpoch: number, result: TransactionResult, coordinatorEpoch: number, callback: (error: KafkaError) => void): void {
    const found = this.stateManager.getTransactionState(transactionalId);
    if (found.error !== null) return callback(found.error);
    if (found.coordinatorEpoch !== coordinatorEpoch) return callback('NOT_COORDINATOR');
    const metadata = found.metadata;
    invariant(metadata !== undefined, () => `transaction ${transactionalId}: its Prepare record was written, but it is not in the cache`);
    if (metadata.producerId !== producerId) return callback('INVALID_PRODUCER_ID_MAPPING');
    if (metadata.producerEpoch !== producerEpoch) return callback(this.settings.rules.fencedError);
    if (metadata.pendingTransitionInProgress) return callback('CONCURRENT_TRANSACTIONS');
    const expected = result === 'COMMIT' ? 'PrepareCommit' : 'PrepareAbort';
    if (metadata.state !== expected) return callback('INVALID_TXN_STATE');
    const complete = metadata.prepareComplete(this.nowMs());
    callback('NONE');
    this.markers.addTxnMarkersToSend(coordinatorEpoch, result, metadata, complete);
  }

  // ---- aborting timed-out transactions ----------------------------------------------------------

  /** The abort timer, on Kafka's schedule (every interval from startup), once this broker coordinates something. */
  private scheduleAbortTimedOutTransactions(): void {
    if (this.abortTimer !== null) return;
    const intervalUs = this.settings.abortTimedOutTransactionCleanupIntervalMs * 1000;
    const sinceStartUs = this.ctx.env.now() - this.startedAtUs;
    const nextUs = (Math.floor(sinceStartUs / intervalUs) + 1) * intervalUs - sinceStartUs;
    this.abortTimer = this.ctx.env.setTimer(nextUs, () => {
      this.abortTimer = null;
      this.abortTimedOutTransactions();
      this.scheduleAbortTimedOutTransactions();
    });
  }

  /** Each Ongoing transaction past its timeout is fenced and aborted (abortTimedOutTransactions). */
  abortTimedOutTransactions(): void {
    for (const timedOut of this.stateManager.timedOutTransactions()) {
      const found = this.stateManager.getTransactionState(timedOut.transactionalId);
      if (found.error !== null || found.metadata === undefined) continue;
      const metadata = found.metadata;
      if (metadata.producerId !== timedOut.producerId || metadata.pendingTransitionInProgress) continue;
      const transit = metadata.prepareFenceProducerEpoch();
      this.trace({
        kind: 'txn.timeout-abort', broker: this.ctx.id, transactionalId: metadata.transactionalId, producerId: metadata.producerId,
        producerEpoch: metadata.producerEpoch, startedAtMs: metadata.txnStartTimestamp, timeoutMs: metadata.txnTimeoutMs,
      });
      this.trace({ kind: 'txn.fence', broker: this.ctx.id, transactionalId: metadata.transactionalId, producerId: metadata.producerId, fromEpoch: metadata.producerEpoch, toEpoch: transit.producerEpoch, reason: 'timeout' });
      this.endTransaction(metadata.transactionalId, transit.producerId, transit.producerEpoch, 'ABORT', false, () => {});
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private traceFenced(transactionalId: string, request: string, producerId: number, producerEpoch: number, error: KafkaError): void {
    if (error !== 'PRODUCER_FENCED' && error !== 'INVALID_PRODUCER_EPOCH') return;
    const found = this.stateManager.getTransactionState(transactionalId);
    const currentEpoch = found.error === null && found.metadata !== undefined ? found.metadata.producerEpoch : -1;
    this.trace({ kind: 'txn.fenced', broker: this.ctx.id, transactionalId, request, producerId, producerEpoch, currentEpoch, error });
  }

  private trace(event: TransactionEvent): void {
    this.ctx.trace(event);
  }
}
