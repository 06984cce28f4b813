// The producer's Sender
// (clients/src/main/java/org/apache/kafka/clients/producer/internals/Sender.java, read at 2.8.2):
// the I/O loop. A pass (runOnce, sendProducerData) settles the idempotent producer's sequences
// with the TransactionManager and gets a producer id first (InitProducerId); then asks the
// RecordAccumulator which brokers have a batch ready, drains one Produce request per ready
// broker with room (max.in.flight.requests.per.connection, not in reconnect backoff), and goes
// again while anything was sent. Each answer completes its batches (completeBatch): acknowledged,
// retried (retries, retry.backoff.ms, delivery.timeout.ms) or failed, and the application hears
// it through the KafkaProducer's callback. It fails batches past delivery.timeout.ms (2.1+; one
// timer on the oldest incomplete batch) or, before 2.1, the ones the accumulator expired.
//
// How a lost ack becomes a duplicate, and a retry a reordering (claims 13 and 14, acks=1,
// max.in.flight.requests.per.connection=5, no idempotence):
//   1. batch A (seq 1-3) and batch B (seq 4-6) go out in two requests to the leader;
//   2. the link to the leader is cut (or held) for longer than request.timeout.ms;
//   3. A's request times out: the producer closes the connection, and A and B fail and are
//      re-enqueued at the front of their queue, newest first (B, then A: NetworkClient's
//      InFlightRequests.clearAll yields the oldest first, RecordAccumulator.reenqueue adds
//      each at the front);
//   4. the link heals: TCP delivers the closed connection's A and B, which the leader appends
//      (its answers meet the closed end and are reset), and the retried B and A come on a new
//      connection and are appended again: seq 1-6 stand twice, 4-6 before 1-3 the second time.
import { invariant, type Env, type EventId } from '../../../sim/index.js';
import { RETRIABLE_ERRORS, type KafkaError } from '../../kafka/errors.js';
import type { ProducerEvent } from '../../kafka/events.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import { Alarm } from '../alarm.js';
import { NEVER_US as NEVER, type ProducerSettings } from '../producer-config.js';
import type { ProducerCallback } from './kafka-producer.js';
import type { Connection, Disconnected, ProducerNetworkClient, Request } from './network-client.js';
import type { Batch } from './producer-batch.js';
import type { ProducerMetadata } from './producer-metadata.js';
import type { RecordAccumulator } from './record-accumulator.js';
import type { BatchFailure, TransactionManager } from './transaction-manager.js';
import type { TransactionalState, TxnRequest } from './transactional.js';

/** "Never" as a time; a module constant (an imported binding can cost a getter call per use under tsx). */
const NEVER_US = NEVER;

/** Errors after which the producer asks for fresh metadata (Kafka's InvalidMetadataException subclasses). */
const METADATA_ERRORS: ReadonlySet<KafkaError> = new Set<KafkaError>([
  'NOT_LEADER_OR_FOLLOWER',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'NETWORK_EXCEPTION',
]);

/** What the Sender tells the KafkaProducer after batches completed or expired. */
export interface SenderHooks {
  /** Buffer memory was freed, or metadata came: sends waiting in send() (max.block.ms) may go on. */
  unblock(): void;
  /** Batches are done: a close() waiting for them may return. */
  maybeClosed(): void;
}

export interface SenderConfig {
  readonly clientId: string;
  readonly topic: string;
}

export class Sender {
  private running = false;
  private again = false;
  private pass = 0;
  private readonly alarm: Alarm;
  /** InitProducerId failed or its connection closed: not asked again before this time. */
  private initRetryAtUs = 0;
  /** A transactional request answered with an error, or lost: the next one waits for this time (retry.backoff.ms). */
  private txnRetryAtUs = 0;

  // delivery.timeout.ms: one timer, for the oldest incomplete batch.
  private expiryTimer: EventId = -1;
  private readonly onExpiryTimer = (): void => {
    this.expiryTimer = -1;
    this.expireBatches();
  };

  constructor(
    private readonly env: Env<unknown>,
    private readonly config: SenderConfig,
    private readonly settings: ProducerSettings,
    private readonly client: ProducerNetworkClient,
    private readonly metadata: ProducerMetadata,
    private readonly accumulator: RecordAccumulator,
    private readonly transactions: TransactionManager,
    private readonly callback: ProducerCallback,
    private readonly hooks: SenderHooks,
  ) {
    this.alarm = new Alarm(env, () => this.run());
  }

  /** A batch was created: delivery.timeout.ms runs from now (2.1+), and the Sender looks at it after linger.ms. */
  onNewBatch(now: number): void {
    if (this.expiryTimer < 0 && !this.settings.accumulatorExpiry) this.expiryTimer = this.env.setTimer(this.settings.deliveryTimeoutUs, this.onExpiryTimer);
    if (this.settings.lingerUs > 0) this.wakeAt(now + this.settings.lingerUs);
  }

  /** Sender.runOnce, again while a pass sent something (a pass inside a pass is folded into it). */
  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        this.sendProducerData();
      } while (this.again);
    } finally {
      this.running = false;
    }
  }

  /** One pass of Sender.sendProducerData: ready nodes, then one request per ready node with room. */
  private sendProducerData(): void {
    const now = this.env.now();
    if (this.settings.idempotence) {
      // Sender.runOnce: settle unresolved sequences, bump the epoch if asked, then a producer id first.
      const transactions = this.transactions;
      transactions.maybeResolveSequences();
      if (transactions.fatalError !== null) {
        this.abortBatches(transactions.fatalError);
        return;
      }
      transactions.bumpIdempotentEpochIfNeeded();
      const txn = transactions.txn;
      if (txn !== null) {
        if (txn.hasFatalError) {
          this.abortBatches(txn.lastError as KafkaError);
          return;
        }
        if (this.maybeSendTransactionalRequest(now, txn) || !transactions.hasProducerId()) return;
      } else if (!transactions.hasProducerId()) {
        this.maybeInitProducerId(now);
        return;
      }
    }
    const pass = ++this.pass;
    let nextCheckUs = this.accumulator.ready(now, pass);
    if (this.accumulator.unknownLeader) this.metadata.requestUpdate();
    for (let i = 0; i < this.client.connectionList.length; i++) {
      const connection = this.client.connectionList[i]!;
      if (connection.readyPass !== pass) continue;
      if (now < connection.blockedUntilUs) {
        nextCheckUs = Math.min(nextCheckUs, connection.blockedUntilUs);
        continue;
      }
      if (connection.pending.length >= this.settings.maxInFlight) continue; // a response will run the sender
      const batches = this.accumulator.drain(connection, now);
      if (batches.length > 0) {
        this.sendProduce(connection, batches);
        this.again = true; // like Sender's poll(0): look again while anything is ready
      }
    }
    if (this.settings.accumulatorExpiry) nextCheckUs = Math.min(nextCheckUs, this.failExpiredInAccumulator(now));
    this.wakeAt(nextCheckUs);
  }

  /**
   * Before 2.1 (Sender.sendProducerData, 0.10.2 to 2.0): the batches that waited too long in the
   * accumulator fail, without taking their sequence back (a retry may have been written).
   * Returns when the next batch would expire.
   */
  private failExpiredInAccumulator(now: number): number {
    const accumulator = this.accumulator;
    const nextUs = accumulator.expiredBatches(now);
    const expired = accumulator.expired;
    if (expired.length === 0) return nextUs;
    for (const batch of expired) {
      this.fail(batch, 'BATCH_EXPIRED', false);
      if (this.settings.idempotence && batch.attempts > 0) this.transactions.onExpiredAfterSend(batch);
    }
    expired.length = 0;
    accumulator.compactIncomplete();
    this.hooks.unblock();
    this.hooks.maybeClosed();
    return nextUs;
  }

  private sendProduce(connection: Connection, batches: readonly Batch[]): void {
    const correlationId = this.client.nextCorrelationId();
    const transactional = this.transactions.txn !== null;
    const partitions = batches.map((batch) => ({
      topic: this.config.topic,
      partition: batch.partition.id,
      batch: transactional
        ? { baseOffset: -1, leaderEpoch: -1, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, records: batch.records, isTransactional: true }
        : {
            baseOffset: -1,
            leaderEpoch: -1,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            baseSequence: batch.baseSequence,
            records: batch.records,
          },
    }));
    const acks = this.settings.acks;
    this.client.send(connection.node, { type: 'Produce', correlationId, acks, timeoutMs: this.settings.requestTimeoutMs, partitions } satisfies KafkaMessage);
    if (acks === 0) {
      // No response is coming: the send completes the batch, offsets unknown (Sender.handleProduceResponse).
      for (const batch of batches) this.succeed(batch, -1);
      this.afterCompletions();
      return;
    }
    if (this.settings.maxInFlight === 1) for (const batch of batches) batch.partition.muted = true;
    this.client.track(connection, { kind: 'produce', correlationId, node: connection.node, sentUs: this.env.now(), batches });
  }

  onProduceResponse(from: string, response: Extract<KafkaMessage, { type: 'ProduceResponse' }>): void {
    const request = this.client.answer(from, response.correlationId, 'produce');
    if (request === null) return; // late, after a disconnect
    const now = this.env.now();
    for (let i = 0; i < request.batches.length; i++) {
      const batch = request.batches[i]!;
      let answer = response.partitions[i];
      if (answer === undefined || answer.partition !== batch.partition.id || answer.topic !== this.config.topic) {
        answer = response.partitions.find((p) => p.topic === this.config.topic && p.partition === batch.partition.id);
      }
      if (answer === undefined) invariant(false, () => `producer ${this.config.clientId}: ProduceResponse ${response.correlationId} lacks ${this.config.topic}-${batch.partition.id}`);
      this.completeBatch(batch, answer.error, answer.baseOffset, now, answer.logStartOffset ?? -1);
    }
    this.afterCompletions();
  }

  /** Sender.completeBatch: success, retry, or failure of one batch of a response. */
  private completeBatch(batch: Batch, error: KafkaError, baseOffset: number, now: number, logStartOffset = -1): void {
    const state = batch.partition;
    if (this.settings.maxInFlight === 1) state.muted = false;
    if (batch.done) {
      this.completeExpiredBatch(batch, error, baseOffset);
    } else if (error === 'NONE') {
      this.succeed(batch, baseOffset);
    } else if (this.canRetry(batch, error, now, logStartOffset)) {
      // Before 2.5 a retry must carry the producer id it was numbered under; after a reset it cannot.
      if (this.settings.idempotence && !this.transactions.retryKeepsProducerId(batch)) this.fail(batch, 'OUT_OF_ORDER_SEQUENCE_NUMBER', false);
      else this.reenqueue(batch, error, now);
    } else if (error === 'DUPLICATE_SEQUENCE_NUMBER') {
      // The broker saw this sequence before but no longer knows its offset: success, offsets
      // unknown (-1) unless the response carries them (Sender.completeBatch, 3.9).
      this.succeed(batch, baseOffset);
    } else {
      // "We only adjust sequence numbers if the batch didn't exhaust its retries": then it was
      // refused for sure; past them, it may have been written.
      this.fail(batch, error, batch.attempts < this.settings.retries);
    }
    if (METADATA_ERRORS.has(error)) this.metadata.requestUpdate();
  }

  /**
   * The answer to a batch that delivery.timeout.ms already failed (it expired in flight): its
   * application was told, but an acknowledgment still moves the last acknowledged sequence on,
   * and before 3.6 (KAFKA-14831) a failure still went through handleFailedBatch.
   */
  private completeExpiredBatch(batch: Batch, error: KafkaError, baseOffset: number): void {
    if (!this.settings.idempotence) return;
    if (error === 'NONE' || error === 'DUPLICATE_SEQUENCE_NUMBER') this.transactions.handleCompletedBatch(batch, baseOffset);
    else if (!this.transactions.lateFailureIgnored) this.transactions.handleFailedBatch(batch, error, batch.attempts < this.settings.retries);
  }

  /** Sender.canRetry: retries left, delivery.timeout.ms not reached (2.1+), and an error worth retrying. */
  private canRetry(batch: Batch, error: KafkaError, now: number, logStartOffset: number): boolean {
    if (now - batch.createdUs >= this.settings.deliveryTimeoutUs || batch.attempts >= this.settings.retries) return false;
    const retriable = RETRIABLE_ERRORS.has(error);
    return this.settings.idempotence ? this.transactions.canRetry(batch, error, logStartOffset, retriable) : retriable;
  }

  /** Sender.reenqueueBatch: the batch goes back to its queue, to wait out retry.backoff.ms. */
  private reenqueue(batch: Batch, error: KafkaError, now: number): void {
    const state = batch.partition;
    // The backoff of the attempt that failed: attempts counts the retries before this one.
    this.accumulator.reenqueue(batch, now, this.backoffUs(batch.attempts));
    const first = batch.records[0]!;
    this.env.trace({
      kind: 'producer.retry',
      producer: this.config.clientId,
      topic: this.config.topic,
      partition: state.id,
      firstSeq: first.seq,
      count: batch.records.length,
      error,
      attempt: batch.attempts,
    } satisfies ProducerEvent);
    this.wakeAt(now + batch.backoffUs);
  }

  /** retry.backoff.ms; from 3.7 (KIP-580) ExponentialBackoff(retry.backoff.ms, 2, retry.backoff.max.ms, 0.2). */
  private backoffUs(failures: number): number {
    const base = this.settings.retryBackoffUs;
    if (!this.settings.exponentialBackoff) return base;
    const max = this.settings.retryBackoffMaxUs;
    const initial = Math.min(base, max);
    if (max <= initial) return initial;
    // initial × 2^failures, capped at max (Kafka caps the exponent at log2(max / initial)).
    const term = failures >= 52 || initial * 2 ** failures >= max ? max : initial * 2 ** failures;
    // Jitter in [0.8, 1.2), drawn as an integer number of parts per million.
    const jittered = Math.floor((term * (800_000 + this.env.random.int(400_000))) / 1_000_000);
    return Math.min(jittered, max);
  }

  private succeed(batch: Batch, baseOffset: number): void {
    if (this.settings.idempotence) this.transactions.handleCompletedBatch(batch, baseOffset);
    const callback = this.callback;
    const partition = batch.partition.id;
    const records = batch.records;
    for (let i = 0; i < records.length; i++) callback.onCompletion(records[i]!, partition, baseOffset < 0 ? -1 : baseOffset + i, null);
    this.accumulator.deallocate(batch);
  }

  /** Sender.failBatch: the application is told; the idempotent producer decides what the sequence is now. */
  private fail(batch: Batch, error: BatchFailure, adjustSequences: boolean): void {
    if (this.settings.idempotence) {
      this.transactions.handleFailedBatch(batch, error, adjustSequences);
      // A transaction with a failed batch can only be aborted; a fenced producer only closed
      // (handleFailedBatch; INVALID_PRODUCER_EPOCH is ProducerFencedException before 2.7, KIP-588).
      const txn = this.transactions.txn;
      if (txn !== null) txn.onBatchFailed(error, error === 'PRODUCER_FENCED' || (error === 'INVALID_PRODUCER_EPOCH' && this.transactions.fatalError !== null));
    }
    this.abort(batch, error);
  }

  /** The application hears that every record of the batch failed. */
  private abort(batch: Batch, error: BatchFailure): void {
    const callback = this.callback;
    const partition = batch.partition.id;
    const records = batch.records;
    for (let i = 0; i < records.length; i++) callback.onCompletion(records[i]!, partition, -1, error);
    this.accumulator.deallocate(batch);
  }

  /**
   * RecordAccumulator.abortUndrainedBatches: an aborting transaction's batches that never went
   * out (no sequence yet) fail with TransactionAbortedException; those in flight are awaited.
   */
  private abortUndrainedBatches(): void {
    const incomplete = this.accumulator.incompleteBatches;
    for (let i = this.accumulator.incompleteHead; i < incomplete.length; i++) {
      const batch = incomplete[i]!;
      if (!batch.done && batch.queued && batch.baseSequence < 0) this.abort(batch, 'TRANSACTION_ABORTED');
    }
    this.accumulator.compactIncomplete();
    this.hooks.unblock();
  }

  /** A fatal error (RecordAccumulator.abortBatches): every batch not done fails with it, in flight or not. */
  private abortBatches(error: KafkaError): void {
    const incomplete = this.accumulator.incompleteBatches;
    for (let i = this.accumulator.incompleteHead; i < incomplete.length; i++) {
      const batch = incomplete[i]!;
      if (!batch.done) this.abort(batch, error);
    }
    this.accumulator.compactIncomplete();
    this.hooks.unblock();
    this.hooks.maybeClosed();
  }

  /** After responses, expiries or new metadata: blocked sends may fit now, the Sender may have room, a close may be done. */
  afterCompletions(): void {
    this.hooks.unblock();
    this.run();
    this.hooks.maybeClosed();
  }

  /**
   * A request of the Sender's in flight on a connection that closed
   * (NetworkClient.cancelInFlightRequests): its batches are completed with the error
   * (Sender.handleProduceResponse, disconnected); an InitProducerId is asked again after
   * retry.backoff.ms.
   */
  onRequestFailed(request: Exclude<Request, { kind: 'metadata' }>, error: Disconnected, now: number): void {
    if (request.kind === 'produce') {
      for (const batch of request.batches) this.completeBatch(batch, error, -1, now);
    } else if (request.kind === 'txn') {
      this.transactions.txn?.onDisconnected(request.request);
      this.txnRetryAtUs = now + this.backoffUs(0);
    } else {
      this.initRetryAtUs = now + this.backoffUs(0);
    }
  }

  /** After a disconnect: fresh metadata (handleServerDisconnect), a sender pass once it may reconnect. */
  onDisconnected(connection: Connection): void {
    this.metadata.requestUpdate();
    this.wakeAt(connection.blockedUntilUs);
    this.afterCompletions();
  }

  // ---------------------------------------------------------------- delivery.timeout.ms

  /**
   * 2.1+ (KIP-91; Sender.sendProducerData with RecordAccumulator.expiredBatches and
   * getExpiredInflightBatches): every batch, queued or in flight, fails once delivery.timeout.ms
   * has passed since its creation. Here one timer on the oldest incomplete batch.
   */
  private expireBatches(): void {
    const now = this.env.now();
    const deadline = this.settings.deliveryTimeoutUs;
    let expired = false;
    const incomplete = this.accumulator.incompleteBatches;
    for (let i = this.accumulator.incompleteHead; i < incomplete.length; i++) {
      const batch = incomplete[i]!;
      if (now - batch.createdUs < deadline) break;
      if (batch.done) continue;
      // Sender.sendProducerData: an expired batch is failed without taking its sequence back; one
      // that was sent may have been written, so its partition's sequence is unknown for now.
      this.fail(batch, 'DELIVERY_TIMEOUT', false);
      if (this.settings.idempotence && batch.attempts > 0) this.transactions.onExpiredAfterSend(batch);
      expired = true;
    }
    this.accumulator.compactIncomplete();
    const oldest = incomplete[this.accumulator.incompleteHead];
    if (oldest !== undefined) this.expiryTimer = this.env.setTimer(oldest.createdUs + deadline - now, this.onExpiryTimer);
    if (expired) this.afterCompletions();
  }

  // ---------------------------------------------------------------- idempotence

  /**
   * The idempotent producer has no producer id: ask any broker (the least loaded) for one. In
   * Kafka the TransactionManager enqueues the InitProducerId (bumpIdempotentEpochAndResetIdIfNeeded)
   * and the Sender sends it first (maybeSendAndPollTransactionalRequest); no batch goes before it.
   */
  private maybeInitProducerId(now: number): void {
    if (this.client.inFlight('init') > 0) return;
    if (now < this.initRetryAtUs) {
      this.wakeAt(this.initRetryAtUs);
      return;
    }
    const node = this.client.leastLoadedNode(this.metadata.nodes(), now);
    if (node === null) {
      this.wakeAt(this.client.earliestReconnectUs());
      return;
    }
    this.client.sendRequest(node, 'init', (correlationId) => ({ type: 'InitProducerId', correlationId }));
  }

  // ---------------------------------------------------------------- transactions

  /**
   * Sender.maybeSendAndPollTransactionalRequest: true while the transaction manager's request is
   * in flight or was just sent (no produce data in this pass), false when produce data may go.
   * An aborting transaction's undrained batches fail first; a committing one flushes.
   */
  private maybeSendTransactionalRequest(now: number, txn: TransactionalState): boolean {
    if (this.client.inFlight('txn') > 0) return true;
    const incomplete = this.accumulator.hasIncomplete();
    if ((txn.hasAbortableError || txn.isAborting) && incomplete) this.abortUndrainedBatches();
    // KafkaProducer.commitTransaction flushes (RecordAccumulator.beginFlush): linger.ms no longer waits.
    this.accumulator.flushing = txn.isCompleting;
    const request = txn.nextRequest(this.accumulator.hasIncomplete());
    if (request === null) return false;
    if (now < this.txnRetryAtUs) {
      this.wakeAt(this.txnRetryAtUs);
      return true;
    }
    const node = request.kind === 'FindCoordinator' ? this.client.leastLoadedNode(this.metadata.nodes(), now) : txn.coordinator;
    const blockedUntil = node === null ? this.client.earliestReconnectUs() : this.client.connection(node).blockedUntilUs;
    if (node === null || now < blockedUntil) {
      this.wakeAt(blockedUntil);
      return true;
    }
    txn.sent(request);
    this.client.sendTxnRequest(node, request, (correlationId) => this.txnMessage(txn, request, correlationId));
    return true;
  }

  private txnMessage(txn: TransactionalState, request: TxnRequest, correlationId: number): KafkaMessage {
    const transactionalId = txn.transactionalId;
    const { producerId, producerEpoch } = this.transactions;
    switch (request.kind) {
      case 'FindCoordinator':
        return { type: 'FindCoordinator', correlationId, key: transactionalId, keyType: 'transaction' };
      case 'InitProducerId':
        // KIP-360 (2.5+): an epoch bump passes the current id and epoch.
        return { type: 'InitProducerId', correlationId, transactionalId, transactionTimeoutMs: txn.transactionTimeoutMs, producerId: request.bump ? producerId : -1, producerEpoch: request.bump ? producerEpoch : -1 };
      case 'AddPartitionsToTxn':
        return { type: 'AddPartitionsToTxn', correlationId, transactionalId, producerId, producerEpoch, partitions: request.partitions.map((partition) => ({ topic: this.config.topic, partition })) };
      case 'EndTxn':
        return { type: 'EndTxn', correlationId, transactionalId, producerId, producerEpoch, committed: request.committed };
    }
  }

  /** An answer of the transaction coordinator (or FindCoordinator's broker) to the transaction manager. */
  onTxnResponse(from: string, response: Extract<KafkaMessage, { type: 'FindCoordinatorResponse' | 'InitProducerIdResponse' | 'AddPartitionsToTxnResponse' | 'EndTxnResponse' }>): void {
    const txn = this.transactions.txn;
    const tracked = this.client.answer(from, response.correlationId, 'txn');
    if (tracked === null || txn === null) return;
    const request = tracked.request;
    const now = this.env.now();
    let failed = false;
    if (response.type === 'FindCoordinatorResponse' && request.kind === 'FindCoordinator') {
      failed = response.error !== 'NONE';
      txn.onFindCoordinator(request, response.error, response.node);
    } else if (response.type === 'InitProducerIdResponse' && request.kind === 'InitProducerId') {
      failed = response.error !== 'NONE';
      txn.onInitProducerId(request, response.error, () => {
        this.transactions.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
        this.transactions.resetSequences();
      });
    } else if (response.type === 'AddPartitionsToTxnResponse' && request.kind === 'AddPartitionsToTxn') {
      failed = response.partitions.some((p) => p.error !== 'NONE');
      txn.onAddPartitions(request, response.partitions);
    } else if (response.type === 'EndTxnResponse' && request.kind === 'EndTxn') {
      failed = response.error !== 'NONE';
      txn.onEndTxn(request, response.error);
    } else {
      invariant(false, () => `producer ${this.config.clientId}: ${response.type} answers a ${request.kind}`);
    }
    if (failed) this.txnRetryAtUs = now + this.backoffUs(0);
    this.afterCompletions();
  }

  onInitProducerIdResponse(from: string, response: Extract<KafkaMessage, { type: 'InitProducerIdResponse' }>): void {
    if (this.transactions.txn !== null) return this.onTxnResponse(from, response);
    if (this.client.answer(from, response.correlationId, 'init') === null) return;
    const now = this.env.now();
    if (response.error !== 'NONE') {
      this.initRetryAtUs = now + this.backoffUs(0);
      this.wakeAt(this.initRetryAtUs);
      return;
    }
    this.transactions.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
    this.run();
  }

  /** Sender.wakeup with a time: a pass at `atUs` unless one is due earlier. */
  wakeAt(atUs: number): void {
    this.alarm.wakeAt(atUs);
  }
}
