// Kafka's producer client under the scenario's application (../producer-app.ts), modelled per
// batch as KafkaProducer's RecordAccumulator + Sender + Metadata (3.9,
// clients/src/main/java/org/apache/kafka/clients/producer/internals/).
//
//   application ── send() ──▶ accumulator: per partition a queue of batches (batch.size, linger.ms)
//                             │  sender: the ready batches of every partition a broker leads, one
//                             ▼  Produce request, at most max.in.flight.requests.per.connection
//   broker ◀── Produce ────── requests in flight per broker; request.timeout.ms disconnects
//          ─── ProduceResponse ▶ ack per record, or retry (retries, retry.backoff.ms,
//                                 delivery.timeout.ms), or fail
//
// The producer talks to each broker on one TCP connection of the kernel, labelled `producer`:
// ordered, and retransmitted across short cuts. A broker is lost to the producer in one of
// three ways: its process dies and its OS closes the connection (onConnectionClosed), a request
// reaches a closed end and is reset (onUnreachable: a restarted broker, a rebooted machine),
// or nothing answers at all (a cut or a hold outlasting request.timeout.ms, a powered-off
// machine): the oldest request times out and the producer closes the connection. Either way
// every request on it fails and is retried, and fresh metadata is asked for. A closed
// connection's requests may still reach the broker (TCP delivers what was sent before the
// close) and be appended, while their retries go out on a new connection.
//
// The idempotent producer's producer id, epoch and sequence numbers, and what a batch failing for
// good does to them per release line, are the TransactionManager's (transaction-manager.ts).
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
import { Alarm } from '../alarm.js';
import { invariant, type Env, type EventId } from '../../../sim/index.js';
import { RETRIABLE_ERRORS, type KafkaError } from '../../kafka/errors.js';
import type { ProducerEvent } from '../../kafka/events.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import type { KafkaRecord } from '../../kafka/records.js';
import { KeylessPartitioner, keyHash } from '../partitioner.js';
import type { Batch } from './producer-batch.js';
import { RecordAccumulator } from './record-accumulator.js';
import { ProducerNetworkClient, type Connection, type Disconnected, type Request } from './network-client.js';
import { ProducerMetadata, type PartitionState } from './producer-metadata.js';
import { NEVER_US as NEVER, type ProducerSettings } from '../producer-config.js';
import { TransactionManager, idempotenceRules, type BatchFailure, type SequenceReset } from './transaction-manager.js';

/** What the KafkaProducer is built with, besides its settings. */
export interface KafkaProducerConfig {
  /** client.id: the name the trace knows the producer by (the scenario's producer name). */
  readonly clientId: string;
  /** The one topic this model's producer writes (Kafka's takes it per record). */
  readonly topic: string;
  /** Broker node names to ask for metadata first (bootstrap.servers). */
  readonly bootstrap: readonly string[];
  /** Behaviour profile (Kafka release line), e.g. "3.9". */
  readonly profile: string;
}

/** app.fail's error when send() itself gave up after max.block.ms (no metadata, or no buffer memory). */
export const MAX_BLOCK_TIMEOUT = 'MAX_BLOCK_TIMEOUT';

/** Why a send failed: a batch's failure, or send() giving up after max.block.ms. */
export type SendFailure = BatchFailure | typeof MAX_BLOCK_TIMEOUT;

/**
 * What the application hears, per record (Kafka's Callback, one object for every send rather
 * than one per record). The model runs the Sender inside send() (there is no I/O thread), so the
 * moment send() returns is told through onSendReturned, before the Sender goes on; a send that
 * waits for metadata or memory (max.block.ms) returns later, when its record is appended.
 */
export interface ProducerCallback {
  /** send() returned: the record is in a batch of `partition`. */
  onSendReturned(record: KafkaRecord, partition: number): void;
  /** Callback.onCompletion: `offset` (-1 when unknown: acks=0, a duplicate) and no error, or the error. */
  onCompletion(record: KafkaRecord, partition: number, offset: number, error: SendFailure | null): void;
}

/**
 * Bytes a record counts for in batch.size and buffer.memory: a fixed 50 (a v2 record's length,
 * attributes, timestamp and offset deltas, and a small value) plus the key's length. The
 * workload's messages carry no payload, so a real producer's batches would be about this size.
 */
export const RECORD_OVERHEAD_BYTES = 50;
export { BATCH_OVERHEAD_BYTES } from './producer-batch.js';

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

type Inbound = Extract<KafkaMessage, { type: 'MetadataResponse' | 'ProduceResponse' | 'InitProducerIdResponse' }>;
const INBOUND_TYPES: ReadonlySet<string> = new Set(['MetadataResponse', 'ProduceResponse', 'InitProducerIdResponse']);

function isInbound(message: unknown): message is Inbound {
  if (typeof message !== 'object' || message === null) return false;
  const type = (message as { readonly type?: unknown }).type;
  return typeof type === 'string' && INBOUND_TYPES.has(type);
}

/** A send() waiting for metadata or buffer memory (KafkaProducer.send blocks up to max.block.ms). */
interface Blocked {
  readonly record: KafkaRecord;
  readonly sinceUs: number;
}

export class KafkaProducer {
  private readonly name: string;
  private readonly topic: string;
  /** murmur2 of each key, computed once per distinct key (the key serializer's bytes do not change). */
  private readonly keyHashes = new Map<string, number>();
  private readonly keyless: KeylessPartitioner;
  /** close() was called: called once every record has its answer. */
  private onClosed: (() => void) | null = null;

  private readonly metadata: ProducerMetadata;

  // Idempotence.
  private readonly transactions: TransactionManager;
  private initRetryAtUs = 0;

  private readonly accumulator: RecordAccumulator;

  // Sender.
  private readonly client: ProducerNetworkClient;
  private senderRunning = false;
  private senderAgain = false;
  private senderPass = 0;
  private readonly senderAlarm: Alarm;

  // delivery.timeout.ms: one timer, for the oldest incomplete batch.
  private expiryTimer: EventId = -1;
  private readonly onExpiryTimer = (): void => {
    this.expiryTimer = -1;
    this.expireBatches();
  };

  // max.block.ms.
  private readonly blocked: Blocked[] = [];
  private blockedHead = 0;
  private blockTimer: EventId = -1;
  private drainingBlocked = false;
  private readonly onBlockTimer = (): void => {
    this.blockTimer = -1;
    this.expireBlocked();
  };

  /** Starts the client: its Sender asks for metadata at once. */
  constructor(
    private readonly env: Env<unknown>,
    private readonly config: KafkaProducerConfig,
    private readonly settings: ProducerSettings,
    private readonly callback: ProducerCallback,
  ) {
    this.transactions = new TransactionManager(idempotenceRules(config.profile), (reset) => this.traceSequenceReset(reset));
    this.senderAlarm = new Alarm(env, () => this.runSender());
    invariant(config.bootstrap.length > 0, () => `producer ${config.clientId}: no bootstrap brokers`);
    this.name = config.clientId;
    this.topic = config.topic;
    this.client = new ProducerNetworkClient(env, settings, {
      onRequestFailed: (request, error, now) => this.onRequestFailed(request, error, now),
      onDisconnected: (connection) => this.onDisconnected(connection),
    });
    this.metadata = new ProducerMetadata(env, config, settings, this.client, () => this.afterCompletions());
    this.accumulator = new RecordAccumulator(settings, this.metadata.partitions, this.transactions);
    this.keyless = new KeylessPartitioner(settings.keyless, env.random, settings.batchSizeBytes, settings.roundRobinStart);
    this.metadata.maybeUpdate();
  }

  /**
   * KafkaProducer.send(record, callback): the record goes to its partition's batch and send()
   * returns (onSendReturned); the callback hears the outcome later. Without metadata for the
   * topic, or without buffer.memory for a new batch, send() blocks (here: waits in order behind
   * earlier blocked sends) up to max.block.ms.
   */
  send(record: KafkaRecord): void {
    const now = this.env.now();
    if (this.blockedHead < this.blocked.length || !this.metadata.topicKnown || !this.append(record, now)) {
      if (this.blockedHead === this.blocked.length) {
        if (this.blockTimer >= 0) this.env.cancelTimer(this.blockTimer);
        this.blockTimer = this.env.setTimer(this.settings.maxBlockUs, this.onBlockTimer);
      }
      this.blocked.push({ record, sinceUs: now });
      if (!this.metadata.topicKnown) this.metadata.requestUpdate();
    }
  }

  /**
   * KafkaProducer.close() (no timeout): the Sender makes every batch ready at once (linger.ms no
   * longer waits) and keeps going until every record has its answer; then onClosed is called.
   */
  close(onClosed: () => void): void {
    this.onClosed = onClosed;
    this.accumulator.close();
    this.runSender();
    this.maybeExit();
  }

  /** A message to the host process: the client's responses go to the part that asked (NetworkClient.poll). */
  receive(from: string, message: unknown): void {
    if (!isInbound(message)) return;
    switch (message.type) {
      case 'ProduceResponse':
        return this.onProduceResponse(from, message);
      case 'MetadataResponse':
        return this.metadata.onResponse(from, message);
      case 'InitProducerIdResponse':
        return this.onInitProducerIdResponse(from, message);
    }
  }

  /**
   * The host heard that its connection `label` to `peer` closed (the broker's process died) or
   * was reset (a request met a closed end: a restarted broker, a rebooted machine): every
   * request on it fails now, with NETWORK_EXCEPTION, instead of after request.timeout.ms.
   */
  connectionLost(peer: string, label: string): void {
    this.client.connectionLost(peer, label);
  }

  private maybeExit(): void {
    if (this.onClosed === null) return;
    if (this.accumulator.hasIncomplete() || this.blockedHead < this.blocked.length) return;
    this.onClosed();
  }

  private keyHash(key: string): number {
    let hash = this.keyHashes.get(key);
    if (hash === undefined) {
      hash = keyHash(key);
      this.keyHashes.set(key, hash);
    }
    return hash;
  }

  // ---------------------------------------------------------------- the accumulator

  /**
   * KafkaProducer.doSend once metadata is known: the partition (partition(), and KIP-480's
   * abortOnNewBatch), then RecordAccumulator.append; false when buffer.memory has no room for a
   * new batch. Wakes the Sender when a batch is full or linger.ms is 0.
   */
  private append(record: KafkaRecord, now: number): boolean {
    const metadata = this.metadata;
    const accumulator = this.accumulator;
    const key = record.key;
    const keyed = key !== null && this.settings.hashKeys;
    const bytes = RECORD_OVERHEAD_BYTES + (key === null ? 0 : key.length);
    let partition = keyed ? this.keyHash(key) % metadata.numPartitions : this.keyless.partition(metadata.available, metadata.numPartitions);
    let batch = accumulator.tryAppend(metadata.partitions[partition]!, bytes);
    if (batch === null && this.keyless.strategy === 'sticky') {
      // KIP-480 (abortOnNewBatch): a new batch on the sticky partition moves the sticky partition.
      this.keyless.onNewBatch(partition, metadata.available, metadata.numPartitions);
      if (!keyed) {
        partition = this.keyless.partition(metadata.available, metadata.numPartitions);
        batch = accumulator.tryAppend(metadata.partitions[partition]!, bytes);
      }
    }
    const state = metadata.partitions[partition]!;
    if (batch === null) {
      batch = accumulator.newBatch(state, bytes, now);
      if (batch === null) return false;
      this.onNewBatch(now);
    }
    accumulator.append(batch, record, bytes, now);
    this.callback.onSendReturned(record, partition);
    if (!keyed && this.keyless.strategy === 'uniform-sticky') {
      const last = state.queue[state.queue.length - 1];
      this.keyless.onAppend(partition, bytes, last === undefined || !last.appendable, metadata.available, metadata.numPartitions);
    }
    if (!batch.appendable || this.settings.lingerUs === 0 || state.queue.length > 1) {
      // A broker with no room for another request is looked at again when a response frees one.
      const connection = state.connection;
      if (connection === null || connection.pending.length < this.settings.maxInFlight || accumulator.memoryExhausted) this.runSender();
    }
    return true;
  }

  /** A batch was created: delivery.timeout.ms runs from now (2.1+), and the Sender looks at it after linger.ms. */
  private onNewBatch(now: number): void {
    if (this.expiryTimer < 0 && !this.settings.accumulatorExpiry) this.expiryTimer = this.env.setTimer(this.settings.deliveryTimeoutUs, this.onExpiryTimer);
    if (this.settings.lingerUs > 0) this.wakeSenderAt(now + this.settings.lingerUs);
  }

  // ---------------------------------------------------------------- the sender

  private runSender(): void {
    if (this.senderRunning) {
      this.senderAgain = true;
      return;
    }
    this.senderRunning = true;
    try {
      do {
        this.senderAgain = false;
        this.sendProducerData();
      } while (this.senderAgain);
    } finally {
      this.senderRunning = false;
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
      if (!transactions.hasProducerId()) {
        this.maybeInitProducerId(now);
        return;
      }
    }
    const pass = ++this.senderPass;
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
        this.senderAgain = true; // like Sender's poll(0): look again while anything is ready
      }
    }
    if (this.settings.accumulatorExpiry) nextCheckUs = Math.min(nextCheckUs, this.failExpiredInAccumulator(now));
    this.wakeSenderAt(nextCheckUs);
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
    if (this.blockedHead < this.blocked.length) this.drainBlocked();
    this.maybeExit();
    return nextUs;
  }

  private sendProduce(connection: Connection, batches: readonly Batch[]): void {
    const correlationId = this.client.nextCorrelationId();
    const partitions = batches.map((batch) => ({
      topic: this.topic,
      partition: batch.partition.id,
      batch: {
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

  private onProduceResponse(from: string, response: Extract<KafkaMessage, { type: 'ProduceResponse' }>): void {
    const request = this.client.answer(from, response.correlationId, 'produce');
    if (request === null) return; // late, after a disconnect
    const now = this.env.now();
    for (let i = 0; i < request.batches.length; i++) {
      const batch = request.batches[i]!;
      let answer = response.partitions[i];
      if (answer === undefined || answer.partition !== batch.partition.id || answer.topic !== this.topic) {
        answer = response.partitions.find((p) => p.topic === this.topic && p.partition === batch.partition.id);
      }
      if (answer === undefined) invariant(false, () => `producer ${this.name}: ProduceResponse ${response.correlationId} lacks ${this.topic}-${batch.partition.id}`);
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
      producer: this.name,
      topic: this.topic,
      partition: state.id,
      firstSeq: first.seq,
      count: batch.records.length,
      error,
      attempt: batch.attempts,
    } satisfies ProducerEvent);
    this.wakeSenderAt(now + batch.backoffUs);
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
    if (this.settings.idempotence) this.transactions.handleFailedBatch(batch, error, adjustSequences);
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

  /** A fatal error (RecordAccumulator.abortBatches): every batch not done fails with it, in flight or not. */
  private abortBatches(error: KafkaError): void {
    const incomplete = this.accumulator.incompleteBatches;
    for (let i = this.accumulator.incompleteHead; i < incomplete.length; i++) {
      const batch = incomplete[i]!;
      if (!batch.done) this.abort(batch, error);
    }
    this.accumulator.compactIncomplete();
    if (this.blockedHead < this.blocked.length) this.drainBlocked();
    this.maybeExit();
  }

  private traceSequenceReset(reset: SequenceReset): void {
    this.env.trace({
      kind: 'producer.sequence-reset',
      producer: this.name,
      topic: this.topic,
      reason: reset.reason,
      producerId: reset.producerId,
      producerEpoch: reset.producerEpoch,
      partitions: [...reset.partitions],
    } satisfies ProducerEvent);
  }

  /** After responses or expiries: blocked sends may fit now, and the sender may have room. */
  private afterCompletions(): void {
    if (this.blockedHead < this.blocked.length) this.drainBlocked();
    this.runSender();
    this.maybeExit();
  }

  /**
   * A request in flight on a connection that closed (NetworkClient.cancelInFlightRequests):
   * its batches are completed with the error (Sender.handleProduceResponse, disconnected), a
   * metadata refresh failed, an InitProducerId is asked again after retry.backoff.ms.
   */
  private onRequestFailed(request: Request, error: Disconnected, now: number): void {
    if (request.kind === 'produce') {
      for (const batch of request.batches) this.completeBatch(batch, error, -1, now);
    } else if (request.kind === 'metadata') {
      this.metadata.onRequestFailed();
    } else {
      this.initRetryAtUs = now + this.backoffUs(0);
    }
  }

  /** After a disconnect: fresh metadata (handleServerDisconnect), a sender pass once it may reconnect. */
  private onDisconnected(connection: Connection): void {
    this.metadata.requestUpdate();
    this.wakeSenderAt(connection.blockedUntilUs);
    this.afterCompletions();
  }

  // ---------------------------------------------------------------- delivery.timeout.ms, max.block.ms

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

  private drainBlocked(): void {
    if (this.drainingBlocked || !this.metadata.topicKnown) return;
    this.drainingBlocked = true;
    try {
      const now = this.env.now();
      while (this.blockedHead < this.blocked.length) {
        const waiting = this.blocked[this.blockedHead]!;
        if (!this.append(waiting.record, now)) break;
        this.blockedHead += 1;
      }
      if (this.blockedHead === this.blocked.length) this.accumulator.memoryExhausted = false;
      this.compactBlocked();
    } finally {
      this.drainingBlocked = false;
    }
  }

  private expireBlocked(): void {
    const now = this.env.now();
    while (this.blockedHead < this.blocked.length) {
      const waiting = this.blocked[this.blockedHead]!;
      if (now - waiting.sinceUs < this.settings.maxBlockUs) break;
      this.blockedHead += 1;
      // KafkaProducer.doSend: the TimeoutException goes to the callback, with no partition.
      this.callback.onCompletion(waiting.record, -1, -1, MAX_BLOCK_TIMEOUT);
    }
    if (this.blockedHead === this.blocked.length) this.accumulator.memoryExhausted = false;
    this.compactBlocked();
    this.maybeExit();
  }

  private compactBlocked(): void {
    if (this.blockTimer >= 0) this.env.cancelTimer(this.blockTimer);
    this.blockTimer = -1;
    if (this.blockedHead === this.blocked.length) {
      this.blocked.length = 0;
      this.blockedHead = 0;
      return;
    }
    if (this.blockedHead > 1024) {
      this.blocked.splice(0, this.blockedHead);
      this.blockedHead = 0;
    }
    const head = this.blocked[this.blockedHead]!;
    this.blockTimer = this.env.setTimer(Math.max(0, head.sinceUs + this.settings.maxBlockUs - this.env.now()), this.onBlockTimer);
  }

  // ---------------------------------------------------------------- idempotence

  private maybeInitProducerId(now: number): void {
    if (this.client.inFlight('init') > 0) return;
    if (now < this.initRetryAtUs) {
      this.wakeSenderAt(this.initRetryAtUs);
      return;
    }
    const node = this.client.leastLoadedNode(this.metadata.nodes(), now);
    if (node === null) {
      this.wakeSenderAt(this.client.earliestReconnectUs());
      return;
    }
    this.client.sendRequest(node, 'init', (correlationId) => ({ type: 'InitProducerId', correlationId }));
  }

  private onInitProducerIdResponse(from: string, response: Extract<KafkaMessage, { type: 'InitProducerIdResponse' }>): void {
    if (this.client.answer(from, response.correlationId, 'init') === null) return;
    const now = this.env.now();
    if (response.error !== 'NONE') {
      this.initRetryAtUs = now + this.backoffUs(0);
      this.wakeSenderAt(this.initRetryAtUs);
      return;
    }
    this.transactions.setProducerIdAndEpoch(response.producerId, response.producerEpoch);
    this.runSender();
  }

  private wakeSenderAt(atUs: number): void {
    this.senderAlarm.wakeAt(atUs);
  }
}
