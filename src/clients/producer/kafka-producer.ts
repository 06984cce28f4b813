// The producer client's face: Kafka's KafkaProducer
// (clients/src/main/java/org/apache/kafka/clients/producer/KafkaProducer.java, read at 2.8.2),
// modelled per batch. It builds the parts Kafka's constructor builds and keeps send() and close():
//
//   application ── send() ──▶ RecordAccumulator: per partition a queue of batches (batch.size, linger.ms)
//     ▲                        │  Sender: the ready batches of every partition a broker leads, one
//     │ callback               ▼  Produce request, at most max.in.flight.requests.per.connection
//     │          broker ◀── Produce ────── requests in flight per broker (network-client.ts);
//     │                 ─── ProduceResponse ▶ request.timeout.ms disconnects
//     └── ack per record, or retry (retries, retry.backoff.ms, delivery.timeout.ms), or fail
//
//   kafka-producer.ts      send (partition, append, max.block.ms), close, the parts wired together
//   record-accumulator.ts  batches per partition, buffer.memory, ready, drain, expiry before 2.1
//   sender.ts              the I/O loop: Produce requests and answers, retries, InitProducerId
//   transaction-manager.ts the idempotent producer's producer id, epoch and sequences
//   transactional.ts       with a transactional.id: the transaction's states and coordinator requests
//   producer-metadata.ts   partitions, leaders and leader epochs; when to refresh
//   network-client.ts      the connection per broker, requests in flight, request.timeout.ms
//   producer-batch.ts      one batch (ProducerBatch)
//
// The application (../producer-app.ts) uses only what is exported here as public: send(),
// close(), the callback, and the routing of its process's messages and connection events.
import type { Env, EventId } from '../../../sim/index.js';
import { invariant } from '../../../sim/index.js';
import type { ProducerEvent } from '../../kafka/events.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import type { KafkaRecord } from '../../kafka/records.js';
import { KeylessPartitioner, keyHash } from '../partitioner.js';
import type { ProducerSettings } from '../producer-config.js';
import { ProducerNetworkClient } from './network-client.js';
import { ProducerMetadata } from './producer-metadata.js';
import { RecordAccumulator } from './record-accumulator.js';
import { Sender } from './sender.js';
import { TransactionManager, idempotenceRules, type BatchFailure, type SequenceReset } from './transaction-manager.js';
import { TransactionalState, type TransactionCallback, type TransactionOutcome } from './transactional.js';

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

export type { TransactionCallback, TransactionOutcome };

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

type Inbound = Extract<KafkaMessage, { type: 'MetadataResponse' | 'ProduceResponse' | 'InitProducerIdResponse' | 'FindCoordinatorResponse' | 'AddPartitionsToTxnResponse' | 'EndTxnResponse' }>;
const INBOUND_TYPES: ReadonlySet<string> = new Set(['MetadataResponse', 'ProduceResponse', 'InitProducerIdResponse', 'FindCoordinatorResponse', 'AddPartitionsToTxnResponse', 'EndTxnResponse']);

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
  /** close() was called: this is called once every record has its answer. */
  private onClosed: (() => void) | null = null;

  private readonly metadata: ProducerMetadata;
  private readonly transactions: TransactionManager;
  /** With a transactional.id: the transaction's state (transactional.ts); null otherwise. */
  private readonly txn: TransactionalState | null;
  private readonly accumulator: RecordAccumulator;
  private readonly client: ProducerNetworkClient;
  private readonly sender: Sender;

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
    this.txn = settings.transactionalId === null ? null : new TransactionalState(settings.transactionalId, settings.transactionTimeoutMs);
    this.transactions = new TransactionManager(idempotenceRules(config.profile), (reset) => this.traceSequenceReset(reset), this.txn);
    invariant(config.bootstrap.length > 0, () => `producer ${config.clientId}: no bootstrap brokers`);
    this.name = config.clientId;
    this.topic = config.topic;
    // A request lost with its connection goes back to its owner: the metadata's, or the Sender's.
    this.client = new ProducerNetworkClient(env, settings, {
      onRequestFailed: (request, error, now) => {
        if (request.kind === 'metadata') this.metadata.onRequestFailed();
        else this.sender.onRequestFailed(request, error, now);
      },
      onDisconnected: (connection) => this.sender.onDisconnected(connection),
    });
    this.metadata = new ProducerMetadata(env, config, settings, this.client, () => this.sender.afterCompletions());
    this.accumulator = new RecordAccumulator(settings, this.metadata.partitions, this.transactions);
    this.sender = new Sender(env, config, settings, this.client, this.metadata, this.accumulator, this.transactions, callback, {
      unblock: () => {
        if (this.blockedHead < this.blocked.length) this.drainBlocked();
      },
      maybeClosed: () => this.maybeClosed(),
    });
    this.keyless = new KeylessPartitioner(settings.keyless, env.random, settings.batchSizeBytes, settings.roundRobinStart);
    this.metadata.maybeUpdate();
  }

  /**
   * KafkaProducer.send(record, callback): the record goes to its partition's batch and send()
   * returns (onSendReturned); the callback hears the outcome later. Without metadata for the
   * topic, or without buffer.memory for a new batch, send() blocks (here: waits in order behind
   * earlier blocked sends) up to max.block.ms.
   */
  send(record: KafkaRecord): string | null {
    // failIfNotReadyForSend: outside a transaction, or after an error, send() throws.
    if (this.txn !== null && this.txn.state !== 'IN_TRANSACTION') return this.txn.lastError ?? 'INVALID_TXN_STATE';
    const now = this.env.now();
    if (this.blockedHead < this.blocked.length || !this.metadata.topicKnown || !this.append(record, now)) {
      if (this.blockedHead === this.blocked.length) {
        if (this.blockTimer >= 0) this.env.cancelTimer(this.blockTimer);
        this.blockTimer = this.env.setTimer(this.settings.maxBlockUs, this.onBlockTimer);
      }
      this.blocked.push({ record, sinceUs: now });
      if (!this.metadata.topicKnown) this.metadata.requestUpdate();
    }
    return null;
  }

  // ---------------------------------------------------------------- transactions (KIP-98)

  /** KafkaProducer.initTransactions: the coordinator found, the producer id and epoch got (older epochs fenced). */
  initTransactions(done: TransactionCallback): void {
    this.transactional().initializeTransactions(done);
    this.sender.run();
  }

  /** KafkaProducer.beginTransaction: local; throws (here: invariant) outside READY. */
  beginTransaction(): void {
    this.transactional().beginTransaction();
  }

  /**
   * KafkaProducer.commitTransaction: flushes, then EndTxn(commit) once every batch is done; an
   * abortable or fatal error is told instead (the application must abort, or close).
   */
  commitTransaction(done: TransactionCallback): void {
    this.answer(this.transactional().beginCommit(done), done);
  }

  /** KafkaProducer.abortTransaction: unsent batches fail, in-flight ones are awaited, then EndTxn(abort). */
  abortTransaction(done: TransactionCallback): void {
    this.answer(this.transactional().beginAbort(done), done);
  }

  /** The transaction's state, for the application's trace. */
  get producerIdAndEpoch(): { readonly producerId: number; readonly producerEpoch: number } {
    return { producerId: this.transactions.producerId, producerEpoch: this.transactions.producerEpoch };
  }

  private transactional(): TransactionalState {
    const txn = this.txn;
    invariant(txn !== null, () => `producer ${this.name}: transactional method without a transactional.id`);
    return txn;
  }

  /** The call threw at once (refused), or its request goes when the Sender runs. */
  private answer(refused: TransactionOutcome | null, done: TransactionCallback): void {
    if (refused === null) {
      this.sender.run();
      return;
    }
    this.env.setTimer(0, () => done(refused));
  }

  /**
   * KafkaProducer.close() (no timeout): the Sender makes every batch ready at once (linger.ms no
   * longer waits) and keeps going until every record has its answer; then onClosed is called.
   */
  close(onClosed: () => void): void {
    this.onClosed = onClosed;
    this.accumulator.close();
    this.sender.run();
    this.maybeClosed();
  }

  /** A message to the host process: the client's responses go to the part that asked (NetworkClient.poll). */
  receive(from: string, message: unknown): void {
    if (!isInbound(message)) return;
    switch (message.type) {
      case 'ProduceResponse':
        return this.sender.onProduceResponse(from, message);
      case 'MetadataResponse':
        return this.metadata.onResponse(from, message);
      case 'InitProducerIdResponse':
        return this.sender.onInitProducerIdResponse(from, message);
      case 'FindCoordinatorResponse':
      case 'AddPartitionsToTxnResponse':
      case 'EndTxnResponse':
        return this.sender.onTxnResponse(from, message);
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

  /** close() returns once every batch is done and no send() waits. */
  private maybeClosed(): void {
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

  // ---------------------------------------------------------------- send

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
    // maybeAddPartitionToTransaction: a new partition of the transaction wakes the Sender for AddPartitionsToTxn.
    if (this.txn !== null && this.txn.maybeAddPartition(partition)) this.sender.wakeAt(now);
    if (batch === null) {
      batch = accumulator.newBatch(state, bytes, now);
      if (batch === null) return false;
      this.sender.onNewBatch(now);
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
      if (connection === null || connection.pending.length < this.settings.maxInFlight || accumulator.memoryExhausted) this.sender.run();
    }
    return true;
  }

  /** The TransactionManager gave up sequence numbers it could not trust. */
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

  // ---------------------------------------------------------------- max.block.ms

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
    this.maybeClosed();
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
}
