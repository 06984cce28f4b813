// The replica manager (Kafka's ReplicaManager): the partitions a broker hosts, Produce (acks 0, 1,
// all), the leader's side of Fetch (followers, and consumers below the high watermark or,
// read_committed, the last stable offset), ListOffsets, the purgatories where acks=all produces
// (and the coordinators' own appends) and empty fetches wait, LeaderAndIsr, and the ISR changes a
// leader asks for (sent by isr-change-manager.ts). The follower's side of replication is in
// fetcher.ts; the purgatories are in delayed-produce.ts (DelayedProduce) and delayed-fetch.ts
// (DelayedFetch); the followers' fetch sessions (KIP-227) in fetch-session.ts; transaction
// markers in write-txn-markers.ts; each partition's producer state and LSO in producer-state.ts.
import { invariant } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { BrokerEvent } from '../kafka/events.js';
import type { AbortedTransaction, AlterPartitionResult, FetchSessionRequest, KafkaMessage, PartitionState } from '../kafka/protocol.js';
import { NO_PRODUCER_ID, nextOffset, tpKey, type KafkaRecord, type RecordBatch } from '../kafka/records.js';
import { RECORD_BYTES, type TopicSettings } from './config.js';
import type { BrokerContext } from './context.js';
import { FetchPurgatory, hasFetchData, type DelayedFetch } from './delayed-fetch.js';
import { ProducePurgatory, type ProduceResult, type ProduceWait } from './delayed-produce.js';
import { FetchSessionCache, isIdle, unparkPartition, type FetchSession } from './fetch-session.js';
import { AlterPartitionManager, ZkIsrManager, type BrokerMetadata, type IsrChangeManager } from './isr-change-manager.js';
import type { Behaviour } from './profile.js';
import { PartitionLog } from './log.js';
import { Partition, type PendingIsrChange } from './partition.js';
import { lastStableOffset, ProducerStateTable, type AppendOrigin } from './producer-state.js';
import { writeTxnMarkers, type MarkerAppends, type MarkerWritten } from './write-txn-markers.js';

type Produce = Extract<KafkaMessage, { type: 'Produce' }>;
type Fetch = Extract<KafkaMessage, { type: 'Fetch' }>;
type LeaderAndIsr = Extract<KafkaMessage, { type: 'LeaderAndIsr' }>;
type ListOffsets = Extract<KafkaMessage, { type: 'ListOffsets' }>;
type WriteTxnMarkers = Extract<KafkaMessage, { type: 'WriteTxnMarkers' }>;
type FetchResult = Extract<KafkaMessage, { type: 'FetchResponse' }>['partitions'][number];
/** What a leader's append of one batch came to; requiredOffset: the HW that replicates it. */
export type AppendOutcome = { readonly error: KafkaError; readonly baseOffset: number; readonly requiredOffset?: number; readonly logStartOffset?: number };

const NO_BATCHES: readonly RecordBatch[] = [];
const NO_RESULTS: readonly FetchResult[] = [];
const NO_ABORTED: readonly AbortedTransaction[] = [];
const NOT_LEADER: AppendOutcome = { error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 };
const UNKNOWN_PRODUCER_ID: AppendOutcome = { error: 'UNKNOWN_PRODUCER_ID', baseOffset: -1, logStartOffset: 0 };

/** A broker with no metadata yet: no controller, every broker alive (tests that drive a broker by hand). */
const NO_METADATA: BrokerMetadata = { controllerNode: () => null, brokerEpoch: () => -1, isAliveBroker: () => true };

/** The group coordinator's append finished: NONE once replicated to the ISR, else why not. */
export type CoordinatorAppendCallback = (error: KafkaError, baseOffset: number) => void;

export interface HostedPartition {
  readonly partition: Partition;
  producers: ProducerStateTable;
  produceWaits: ProduceWait[];
  /** Fetches without a session (consumers') waiting on this partition, in the order they began to wait. */
  readonly fetchWaits: DelayedFetch[];
  /** The LSO as the trace last told it while behind the HW; -1 while the LSO is the HW. */
  lsoBehind: number;
}

export class ReplicaManager {
  readonly hosted = new Map<string, HostedPartition>();
  private readonly byTopic = new Map<string, HostedPartition[]>();
  /** Followers' fetch sessions (KIP-227). */
  private readonly sessions: FetchSessionCache;
  /** acks=all appends waiting for the high watermark. */
  private readonly producePurgatory: ProducePurgatory;
  /** Fetches waiting for data. */
  private readonly fetchPurgatory: FetchPurgatory;
  /** How a leader's ISR change is made: its own ZooKeeper write before 2.7, AlterIsr / AlterPartition since. */
  private readonly isrChanges: IsrChangeManager;
  /** What WriteTxnMarkers needs of this replica manager. */
  private readonly markerAppends: MarkerAppends;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly checkpointedHighWatermarks: ReadonlyMap<string, number>,
    private readonly metadata: BrokerMetadata = NO_METADATA,
  ) {
    this.sessions = new FetchSessionCache(ctx);
    this.producePurgatory = new ProducePurgatory(ctx, this.hosted, (p) => this.minIsr(p, this.ctx.topicSettings(p.topic)));
    this.fetchPurgatory = new FetchPurgatory(ctx, {
      get: (topic, partition) => this.get(topic, partition),
      readForFetch: (request) => this.readForFetch(request),
      readSession: (session, replica) => this.readSession(session, replica),
      sendFetchResponse: (from, request, session, results) => this.sendFetchResponse(from, request, session, results),
    });
    this.isrChanges = ctx.behaviour.alterIsr ? new AlterPartitionManager(ctx, metadata) : new ZkIsrManager(ctx);
    this.markerAppends = {
      get: (topic, partition) => this.get(topic, partition),
      appendToLeader: (hosted, batch, origin) => this.appendToLeader(hosted, batch, -1, origin),
      delayProduce: (results, waits, timeoutMs, onComplete) => this.producePurgatory.delayProduce(results, waits, timeoutMs, onComplete),
    };
  }

  get(topic: string, partition: number): HostedPartition | undefined {
    // Per topic, an array by partition: a fetch names every partition, and a lookup must not build a key string.
    return this.byTopic.get(topic)?.[partition];
  }

  /** The hosted partition, its log opened (recovered from disk, or created empty). */
  getOrCreate(topic: string, partition: number): HostedPartition {
    const key = tpKey(topic, partition);
    let hosted = this.hosted.get(key);
    if (hosted === undefined) {
      const settings = this.ctx.topicSettings(topic);
      const segmentRecords = Math.max(1, Math.floor(settings.segmentBytes / RECORD_BYTES));
      const log = new PartitionLog(topic, partition, this.ctx.env.disk, { intervalMessages: settings.flushMessages, intervalMs: settings.flushMs, segmentRecords }, this.ctx.env.now());
      const partitionState = new Partition(topic, partition, this.ctx.id, log, this.checkpointedHighWatermarks.get(key) ?? 0);
      if (this.ctx.behaviour.hwHeldUnderMinIsr) partitionState.minIsrForHighWatermark = settings.minInsyncReplicas;
      const producers = ProducerStateTable.fromBatches(log.batches.slice(), this.ctx.behaviour.producerState, partitionState.highWatermark);
      hosted = { partition: partitionState, producers, produceWaits: [], fetchWaits: [], lsoBehind: -1 };
      this.hosted.set(key, hosted);
      let partitions = this.byTopic.get(topic);
      if (partitions === undefined) {
        partitions = [];
        this.byTopic.set(topic, partitions);
      }
      partitions[partition] = hosted;
      // A log loaded with a transaction open below its checkpointed HW starts with its LSO behind.
      this.onHighWatermarkMoved(hosted);
    }
    return hosted;
  }

  // ---- Produce -------------------------------------------------------------------------

  handleProduce(from: string, request: Produce): void {
    const results: ProduceResult[] = [];
    let waits: { index: number; hosted: HostedPartition; requiredOffset: number }[] | null = null; // acks=all only
    for (const { topic, partition, batch } of request.partitions) {
      const hosted = this.get(topic, partition);
      const outcome = hosted === undefined || !hosted.partition.isLeader ? NOT_LEADER : this.appendToLeader(hosted, batch, request.acks);
      results.push(outcome.logStartOffset === undefined ? { topic, partition, error: outcome.error, baseOffset: outcome.baseOffset } : { topic, partition, error: outcome.error, baseOffset: outcome.baseOffset, logStartOffset: outcome.logStartOffset });
      if (outcome.error === 'NONE' && request.acks === -1 && hosted !== undefined) {
        (waits ??= []).push({ index: results.length - 1, hosted, requiredOffset: outcome.requiredOffset! });
      }
    }
    if (request.acks === 0) return; // the producer asked for no answer at all
    if (waits === null) return this.respondToProduce(from, request, results);
    // An argument, not a named const: tsx names every named closure (a defineProperty call) per request.
    this.producePurgatory.delayProduce(results, waits, request.timeoutMs, (partitions) => this.respondToProduce(from, request, partitions));
  }

  private respondToProduce(from: string, request: Produce, partitions: readonly ProduceResult[]): void {
    this.ctx.env.send(from, { type: 'ProduceResponse', correlationId: request.correlationId, partitions });
  }

  /**
   * The group coordinator's append to a __consumer_offsets partition it leads, with acks=all and
   * offsets.commit.timeout.ms (GroupMetadataManager.appendForGroup). `onComplete` hears NONE once
   * the high watermark covers the records; NOT_ENOUGH_REPLICAS when the ISR is already too small,
   * NOT_LEADER_OR_FOLLOWER when leadership is (or gets) lost, REQUEST_TIMED_OUT after the timeout.
   */
  appendAsCoordinator(
    topic: string, partition: number, records: readonly KafkaRecord[], timeoutMs: number, onComplete: CoordinatorAppendCallback,
    transactional?: { readonly producerId: number; readonly producerEpoch: number },
  ): void {
    const hosted = this.get(topic, partition);
    if (hosted === undefined || !hosted.partition.isLeader) return onComplete('NOT_LEADER_OR_FOLLOWER', -1);
    // A TxnOffsetCommit's records: a transactional batch of the producer, with no sequence (GroupMetadataManager.storeOffsets).
    const batch: RecordBatch = transactional === undefined
      ? { baseOffset: -1, leaderEpoch: -1, producerId: NO_PRODUCER_ID, producerEpoch: -1, baseSequence: -1, records }
      : { baseOffset: -1, leaderEpoch: -1, producerId: transactional.producerId, producerEpoch: transactional.producerEpoch, baseSequence: -1, records, isTransactional: true };
    const outcome = this.appendToLeader(hosted, batch, -1, 'coordinator');
    if (outcome.error !== 'NONE') return onComplete(outcome.error, -1);
    const results: ProduceResult[] = [{ topic, partition, error: 'NONE', baseOffset: outcome.baseOffset }];
    this.producePurgatory.delayProduce(results, [{ index: 0, hosted, requiredOffset: outcome.requiredOffset! }], timeoutMs, ([result]) => onComplete(result!.error, result!.baseOffset));
  }

  /**
   * WriteTxnMarkers (write-txn-markers.ts): each marker appended as a control batch with acks=all;
   * `onMarkerWritten` hears each one replicated to the ISR.
   */
  handleWriteTxnMarkers(from: string, request: WriteTxnMarkers, onMarkerWritten: MarkerWritten | null = null): void {
    writeTxnMarkers(this.ctx, this.markerAppends, from, request, onMarkerWritten);
  }

  private appendToLeader(hosted: HostedPartition, batch: RecordBatch, acks: -1 | 0 | 1, origin: AppendOrigin = 'client'): AppendOutcome {
    const p = hosted.partition;
    // acks=all refuses before writing when the committed ISR is already too small
    // (Partition.appendRecordsToLeader, every version: partitionState.isr, not the maximal ISR).
    if (acks === -1 && p.isr.length < this.minIsr(p, this.ctx.topicSettings(p.topic))) {
      this.ctx.trace({ kind: 'produce.rejected', broker: this.ctx.id, topic: p.topic, partition: p.partition, error: 'NOT_ENOUGH_REPLICAS', isr: [...p.isr] }, false);
      return { error: 'NOT_ENOUGH_REPLICAS', baseOffset: -1 };
    }
    // LogValidator refuses a client's control batch (InvalidRecordException): ksim's producers never make one.
    if (origin === 'client' && batch.control !== undefined) invariant(false, () => `${p.key} on broker ${this.ctx.id}: a Produce carried a control batch`);
    const sequence = hosted.producers.check(batch, this.ctx.behaviour.producerState, origin);
    if (sequence.kind === 'duplicate') return { error: 'NONE', baseOffset: sequence.baseOffset, requiredOffset: sequence.baseOffset + batch.records.length };
    // UNKNOWN_PRODUCER_ID carries the log start offset (ProduceResponse v5+, 1.0): the producer
    // compares it with its last acknowledged offset. No retention here: the log starts at 0.
    if (sequence.kind === 'error') return sequence.error === 'UNKNOWN_PRODUCER_ID' ? UNKNOWN_PRODUCER_ID : { error: sequence.error, baseOffset: -1 };
    const stored = p.log.appendAsLeader(batch, p.leaderEpoch, this.ctx.env.now());
    hosted.producers.record(stored);
    this.ctx.trace({ kind: 'log.append', broker: this.ctx.id, topic: p.topic, partition: p.partition, baseOffset: stored.baseOffset, count: stored.records.length, leaderEpoch: stored.leaderEpoch, role: 'leader' }, false);
    this.maybeIncrementHighWatermark(hosted);
    this.fetchPurgatory.wakeFetches(hosted, 'followers');
    return { error: 'NONE', baseOffset: stored.baseOffset, requiredOffset: nextOffset(stored) };
  }

  /** min.insync.replicas, from 3.7 counted as at most the replica count (Partition.effectiveMinIsr, KAFKA-15583). */
  private minIsr(p: Partition, settings: TopicSettings): number {
    const minIsr = settings.minInsyncReplicas;
    return this.ctx.behaviour.hwHeldUnderMinIsr ? Math.min(minIsr, p.replicas.length) : minIsr;
  }

  // ---- Fetch (leader side) -------------------------------------------------------------

  handleFetch(from: string, request: Fetch): void {
    if (request.replicaId >= 0 && request.session !== undefined) return this.handleSessionFetch(from, request, request.session);
    const results = this.readForFetch(request);
    if (hasFetchData(results) || request.maxWaitMs === 0) {
      this.sendFetchResponse(from, request, null, results);
      return;
    }
    this.fetchPurgatory.delayFetch(from, request, null);
  }

  /** A follower's fetch: it opens its session or updates it, then reads every session partition. */
  private handleSessionFetch(from: string, request: Fetch, sessionRequest: FetchSessionRequest): void {
    const session = this.sessions.updateSession(request, sessionRequest);
    if (typeof session === 'string') {
      this.ctx.env.send(from, { type: 'FetchResponse', correlationId: request.correlationId, error: session, sessionId: 0, partitions: [] });
      return;
    }
    const results = this.readSession(session, request.replicaId);
    if (hasFetchData(results) || request.maxWaitMs === 0) {
      this.sendFetchResponse(from, request, session, results);
      return;
    }
    this.fetchPurgatory.delayFetch(from, request, session);
  }

  /** A fetch with no session (a consumer's): every partition it names, each answered. */
  private readForFetch(request: Fetch): FetchResult[] {
    const now = this.ctx.env.now();
    const results: FetchResult[] = [];
    for (const { topic, partition, fetchOffset, currentLeaderEpoch } of request.partitions) {
      const hosted = this.get(topic, partition);
      const error = this.fetchError(hosted, fetchOffset, currentLeaderEpoch);
      if (error !== 'NONE') {
        results.push(errorResult(topic, partition, error, error === 'OFFSET_OUT_OF_RANGE' ? hosted!.partition.highWatermark : -1));
        continue;
      }
      if (request.replicaId >= 0) this.recordFollowerFetch(hosted!, request.replicaId, fetchOffset, now);
      const p = hosted!.partition;
      const read = p.log.read(fetchOffset, this.ctx.settings.replicaFetchMaxRecords);
      if (request.replicaId >= 0) results.push({ topic, partition, error: 'NONE', highWatermark: p.highWatermark, logStartOffset: 0, batches: read });
      else results.push(this.consumerRead(hosted!, fetchOffset, read, request.isolationLevel === 'read_committed'));
    }
    return results;
  }

  /**
   * What a consumer may read of `read` (ReplicaManager.readFromLocalLog, Log.read): below the high
   * watermark (FetchHighWatermark), or read_committed below the last stable offset
   * (FetchTxnCommitted), with the aborted transactions the returned batches overlap
   * (Log.addAbortedTransactions). From 0.11 (Fetch v4) every answer carries the LSO.
   */
  private consumerRead(hosted: HostedPartition, fetchOffset: number, read: readonly RecordBatch[], readCommitted: boolean): FetchResult {
    const p = hosted.partition;
    const { topic, partition, highWatermark } = p;
    if (!readCommitted) {
      // A consumer reads only what the ISR has: below the high watermark (FetchIsolation.HIGH_WATERMARK).
      const batches = belowOffset(read, highWatermark);
      if (!this.ctx.behaviour.transactions) return { topic, partition, error: 'NONE', highWatermark, logStartOffset: 0, batches };
      return { topic, partition, error: 'NONE', highWatermark, logStartOffset: 0, batches, lastStableOffset: lastStableOffset(hosted.producers, highWatermark) };
    }
    const stable = lastStableOffset(hosted.producers, highWatermark);
    const batches = belowOffset(read, stable);
    const last = batches[batches.length - 1];
    // The fetch's range ends after its last batch (Kafka takes the offset index's next entry, or the log end).
    const abortedTransactions = last === undefined ? NO_ABORTED : hosted.producers.abortedTxns.collect(fetchOffset, nextOffset(last));
    return { topic, partition, error: 'NONE', highWatermark, logStartOffset: 0, batches, lastStableOffset: stable, abortedTransactions };
  }

  /**
   * Reads every partition of a follower's session, each from its cached fetch offset, and records
   * the follower's fetch state for each (updateFollowerFetchState). Answered are only the
   * partitions with records, a high watermark other than the one last sent, or an error.
   */
  private readSession(session: FetchSession, replica: number): readonly FetchResult[] {
    const now = this.ctx.env.now();
    let results: FetchResult[] | null = null; // most reads of a session find nothing new
    for (const part of session.partitions) {
      if (isIdle(part)) continue;
      unparkPartition(part);
      const hosted = this.get(part.topic, part.partition);
      const error = this.fetchError(hosted, part.fetchOffset, part.currentLeaderEpoch);
      if (error !== 'NONE') {
        (results ??= []).push(errorResult(part.topic, part.partition, error, error === 'OFFSET_OUT_OF_RANGE' ? hosted!.partition.highWatermark : -1));
        continue;
      }
      this.recordFollowerFetch(hosted!, replica, part.fetchOffset, now);
      const p = hosted!.partition;
      const batches = part.fetchOffset === p.log.logEndOffset ? NO_BATCHES : p.log.read(part.fetchOffset, this.ctx.settings.replicaFetchMaxRecords);
      if (batches.length > 0 || part.highWatermark !== p.highWatermark) {
        (results ??= []).push({ topic: part.topic, partition: part.partition, error: 'NONE', highWatermark: p.highWatermark, logStartOffset: 0, batches });
        continue;
      }
      // Nothing new, and if the follower is caught up and in sync, nothing to do for it either.
      if (p.isLeader && part.fetchOffset === p.highWatermark && part.fetchOffset === p.log.logEndOffset && p.isr.includes(replica)) {
        const state = p.parkFollower(replica, session);
        if (state !== null) part.parked = { state, partition: p, leaderEpoch: p.leaderEpoch, isr: p.isr };
      }
    }
    session.lastFetchUs = now;
    return results ?? NO_RESULTS;
  }

  /** Why this broker cannot serve a fetch of the partition from `fetchOffset`, or NONE. */
  private fetchError(hosted: HostedPartition | undefined, fetchOffset: number, currentLeaderEpoch: number): KafkaError {
    if (hosted === undefined) return 'NOT_LEADER_OR_FOLLOWER';
    const p = hosted.partition;
    const epochError = this.leaderEpochError(p, currentLeaderEpoch);
    if (epochError !== 'NONE') return epochError;
    if (!p.isLeader) return 'NOT_LEADER_OR_FOLLOWER';
    if (fetchOffset > p.log.logEndOffset) return 'OFFSET_OUT_OF_RANGE';
    return 'NONE';
  }

  /**
   * KIP-320 (2.1+): a request's current leader epoch against this replica's, checked before
   * whether it leads (Partition.checkCurrentLeaderEpoch): older is FENCED_LEADER_EPOCH, newer
   * UNKNOWN_LEADER_EPOCH. Requests before 2.1 carry none (-1).
   */
  private leaderEpochError(p: Partition, currentLeaderEpoch: number): KafkaError {
    if (!this.ctx.behaviour.fetchCarriesLeaderEpoch || currentLeaderEpoch < 0) return 'NONE';
    if (currentLeaderEpoch < p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    if (currentLeaderEpoch > p.leaderEpoch) return 'UNKNOWN_LEADER_EPOCH';
    return 'NONE';
  }

  /**
   * Sends a fetch's answer. A session remembers the high watermark each partition was sent
   * (none after an error); the results follow the session's order, so one pass matches them.
   */
  private sendFetchResponse(from: string, request: Fetch, session: FetchSession | null, results: readonly FetchResult[]): void {
    if (session !== null) {
      let i = 0;
      for (const result of results) {
        while (session.partitions[i]!.partition !== result.partition || session.partitions[i]!.topic !== result.topic) i += 1;
        session.partitions[i]!.highWatermark = result.error === 'NONE' ? result.highWatermark : -1;
      }
    }
    this.ctx.env.send(from, { type: 'FetchResponse', correlationId: request.correlationId, error: 'NONE', sessionId: session?.id ?? 0, partitions: results });
  }

  private recordFollowerFetch(hosted: HostedPartition, replica: number, fetchOffset: number, nowUs: number): void {
    const p = hosted.partition;
    p.recordFollowerFetch(replica, fetchOffset, nowUs);
    // Partition.maybeExpandIsr; from 3.3 only a follower the metadata has alive (KAFKA-14140).
    if (p.followerToAdd(replica) && !p.isrUpdateInFlight && (!this.ctx.behaviour.ineligibleReplicas || this.metadata.isAliveBroker(replica))) {
      this.proposeIsr(hosted, p.prepareIsrExpand(replica));
    }
    this.maybeIncrementHighWatermark(hosted);
  }

  /**
   * ListOffsets: -2 the log start (always 0 here); -1 the LEO for a replica, for a consumer the high
   * watermark, read_committed the last stable offset (Partition.fetchOffsetForTimestamp, 0.11+).
   */
  handleListOffsets(from: string, request: ListOffsets): void {
    const partitions = request.partitions.map(({ topic, partition, timestamp }) => {
      const hosted = this.get(topic, partition);
      if (hosted === undefined || !hosted.partition.isLeader) return { topic, partition, error: 'NOT_LEADER_OR_FOLLOWER' as const, offset: -1, leaderEpoch: -1 };
      const p = hosted.partition;
      const latest = request.replicaId >= 0 ? p.log.logEndOffset : request.isolationLevel === 'read_committed' ? lastStableOffset(hosted.producers, p.highWatermark) : p.highWatermark;
      return { topic, partition, error: 'NONE' as const, offset: timestamp === -2 ? 0 : latest, leaderEpoch: p.leaderEpoch };
    });
    this.ctx.env.send(from, { type: 'ListOffsetsResponse', correlationId: request.correlationId, partitions });
  }

  /**
   * Where each asked epoch ended in this leader's log (Partition.lastOffsetForLeaderEpoch;
   * KIP-101, with KIP-279's epoch in the answer from 2.0 and KIP-320's epoch check from 2.1).
   */
  handleOffsetsForLeaderEpoch(from: string, request: Extract<KafkaMessage, { type: 'OffsetsForLeaderEpoch' }>): void {
    const answer = this.ctx.behaviour.epochInTruncationAnswer ? 'epoch-and-end-offset' : 'end-offset';
    const partitions = request.partitions.map(({ topic, partition, currentLeaderEpoch, leaderEpoch }) => {
      const hosted = this.get(topic, partition);
      const error = hosted === undefined ? 'NOT_LEADER_OR_FOLLOWER' : this.leaderEpochError(hosted.partition, currentLeaderEpoch);
      if (error !== 'NONE') return { topic, partition, error, leaderEpoch: -1, endOffset: -1 };
      const p = hosted!.partition;
      if (!p.isLeader) return { topic, partition, error: 'NOT_LEADER_OR_FOLLOWER' as const, leaderEpoch: -1, endOffset: -1 };
      const end = p.log.endOffsetForEpoch(leaderEpoch, answer);
      return { topic, partition, error: 'NONE' as const, leaderEpoch: end.leaderEpoch, endOffset: end.endOffset };
    });
    this.ctx.env.send(from, { type: 'OffsetsForLeaderEpochResponse', correlationId: request.correlationId, partitions });
  }

  // ---- High watermark and ISR ------------------------------------------------------------

  maybeIncrementHighWatermark(hosted: HostedPartition): void {
    const p = hosted.partition;
    if (!p.maybeIncrementHighWatermark()) {
      if (p.hwHeldNews) this.traceHighWatermarkHeld(p);
      return;
    }
    this.traceHighWatermark(p);
    this.onHighWatermarkMoved(hosted);
    this.producePurgatory.completeProduceWaits(hosted);
    this.fetchPurgatory.wakeFetches(hosted, 'consumers');
  }

  traceHighWatermark(p: Partition): void {
    this.ctx.trace({ kind: 'hw', broker: this.ctx.id, topic: p.topic, partition: p.partition, highWatermark: p.highWatermark }, false);
  }

  /**
   * The HW moved (or the log was loaded or rebuilt): completed transactions whose markers it
   * passed are stable (Log.updateHighWatermarkMetadata: onHighWatermarkUpdated,
   * maybeIncrementFirstUnstableOffset), and the LSO may move. The trace tells the LSO when it
   * falls behind the HW, moves while behind, and catches up; otherwise it is the HW. A partition
   * whose log holds no transaction has nothing to do.
   */
  onHighWatermarkMoved(hosted: HostedPartition): void {
    const producers = hosted.producers;
    if (!producers.hasTransactions && hosted.lsoBehind === -1) return;
    const p = hosted.partition;
    producers.onHighWatermarkUpdated(p.highWatermark);
    const stable = lastStableOffset(producers, p.highWatermark);
    if (stable > p.highWatermark || stable > p.log.logEndOffset) invariant(false, () => `${p.key} on broker ${this.ctx.id}: LSO ${stable} above HW ${p.highWatermark} or LEO ${p.log.logEndOffset}`);
    const behind = stable < p.highWatermark ? stable : -1;
    if (behind === hosted.lsoBehind) return;
    hosted.lsoBehind = behind;
    this.ctx.trace({ kind: 'lso', broker: this.ctx.id, topic: p.topic, partition: p.partition, lastStableOffset: stable, highWatermark: p.highWatermark }, false);
  }

  private traceHighWatermarkHeld(p: Partition): void {
    p.hwHeldNews = false;
    const minIsr = this.minIsr(p, this.ctx.topicSettings(p.topic));
    this.ctx.trace({ kind: 'hw.held', broker: this.ctx.id, topic: p.topic, partition: p.partition, highWatermark: p.highWatermark, logEndOffset: p.log.logEndOffset, isr: [...p.isr], minIsr });
  }

  /** Runs every replica.lag.time.max.ms / 2: drops followers that stopped catching up. */
  maybeShrinkIsrs(): void {
    const now = this.ctx.env.now();
    const lagMaxUs = this.ctx.settings.replicaLagTimeMaxMs * 1000;
    for (const hosted of this.hosted.values()) {
      const p = hosted.partition;
      if (!p.isLeader || p.isrUpdateInFlight) continue;
      const outOfSync = p.outOfSyncReplicas(now, lagMaxUs);
      if (outOfSync.length === 0) continue;
      const lagMs = Math.max(...outOfSync.map((r) => Math.floor((now - p.lastCaughtUpUs(r)) / 1000)));
      this.proposeIsr(hosted, p.prepareIsrShrink(outOfSync, lagMs));
    }
  }

  /**
   * The leader asks for an ISR change (Partition.submitAlterPartition; before 2.7 its own
   * ZooKeeper write). It is applied only from the answer; meanwhile the maximal ISR counts.
   */
  private proposeIsr(hosted: HostedPartition, change: PendingIsrChange): void {
    const p = hosted.partition;
    const via = !this.ctx.behaviour.alterIsr ? 'zookeeper' : this.ctx.behaviour.alterPartitionName ? 'AlterPartition' : 'AlterIsr';
    this.ctx.trace({ kind: 'isr.proposed', broker: this.ctx.id, topic: p.topic, partition: p.partition, leaderEpoch: change.leaderEpoch, zkVersion: change.zkVersion, isr: [...change.isr], maximalIsr: [...change.maximalIsr], via }, false);
    this.isrChanges.submit(p, change, (answer) => this.onIsrAnswer(hosted, change, answer));
  }

  private onIsrAnswer(hosted: HostedPartition, change: PendingIsrChange, answer: AlterPartitionResult): void {
    const p = hosted.partition;
    const outcome = p.handleIsrAnswer(change, answer, this.ctx.behaviour);
    if (outcome === 'committed') return this.isrChanged(hosted, change);
    if (outcome === 'ignored' || answer.error === 'NONE') return;
    // The leader's own refusal (a change already unsent) is not the controller's.
    if (this.ctx.behaviour.alterIsr && answer.error !== 'OPERATION_NOT_ATTEMPTED') {
      this.ctx.trace({ kind: 'isr.refused', broker: this.ctx.id, topic: p.topic, partition: p.partition, leaderEpoch: change.leaderEpoch, isr: [...change.isr], error: answer.error, then: outcome }, false);
    }
    if (outcome === 'retries') this.proposeIsr(hosted, change);
  }

  private isrChanged(hosted: HostedPartition, change: PendingIsrChange): void {
    const p = hosted.partition;
    const base = { broker: this.ctx.id, topic: p.topic, partition: p.partition, leaderEpoch: p.leaderEpoch, isr: [...p.isr] };
    const event: BrokerEvent = change.kind === 'shrink'
      ? { kind: 'isr.shrink', ...base, removed: [...change.removed], lagMs: change.lagMs }
      : { kind: 'isr.expand', ...base, added: [...change.added] };
    this.ctx.trace(event);
    // A smaller ISR may let the high watermark move, and waiting produces complete. Before 2.7 the
    // leader did so after its ZooKeeper write; from 2.7 to 3.0 nothing did until the next append or
    // follower fetch (fixed by KAFKA-13091 in 3.1).
    if (!this.ctx.behaviour.alterIsr || this.ctx.behaviour.hwAfterAlterIsr) this.maybeIncrementHighWatermark(hosted);
  }

  // ---- LeaderAndIsr ----------------------------------------------------------------------

  /**
   * Applies the controller's decisions; returns the partitions this broker now follows, and those
   * it newly leads (Partition.makeLeader's isNewLeader: a new epoch of a partition it already
   * led is not in `lead`). A followed partition whose leader stayed says whether its fetcher
   * starts over, truncating again (`restart`, see Behaviour.followerRestartsOn).
   */
  becomeLeaderOrFollower(request: LeaderAndIsr): { lead: HostedPartition[]; follow: { hosted: HostedPartition; state: PartitionState; restart: boolean }[] } {
    const lead: HostedPartition[] = [];
    const follow: { hosted: HostedPartition; state: PartitionState; restart: boolean }[] = [];
    for (const state of request.partitionStates) {
      if (!state.replicas.includes(this.ctx.id)) continue;
      const hosted = this.getOrCreate(state.topic, state.partition);
      const p = hosted.partition;
      if (state.leaderEpoch < p.leaderEpoch) continue; // stale: a newer controller decision already applied
      if (state.leaderEpoch === p.leaderEpoch && p.role !== 'offline') {
        p.adopt(state);
        continue;
      }
      // 2.7 and 2.8: a LeaderAndIsr drops the partition's unsent ISR change (AlterIsrManager.clearPending).
      if (!this.ctx.behaviour.alterIsrKeepsUnanswered) this.isrChanges.clearPending(hosted.partition.key);
      if (state.leader === this.ctx.id) {
        if (!p.isLeader) lead.push(hosted);
        p.makeLeader(state, this.ctx.env.now(), this.ctx.behaviour.epochStartOnElection);
        this.ctx.trace({ kind: 'leader', broker: this.ctx.id, topic: p.topic, partition: p.partition, leaderEpoch: p.leaderEpoch, isr: [...p.isr] });
        this.maybeIncrementHighWatermark(hosted);
      } else {
        const restart = followerRestarts(this.ctx.behaviour.followerRestartsOn, p, state);
        this.producePurgatory.failProduceWaits(hosted);
        this.fetchPurgatory.wakeFetches(hosted, 'all');
        p.makeFollower(state);
        this.ctx.trace({ kind: 'follower', broker: this.ctx.id, topic: p.topic, partition: p.partition, leader: p.leader, leaderEpoch: p.leaderEpoch });
        follow.push({ hosted, state, restart });
      }
    }
    return { lead, follow };
  }

  /** The replication-offset-checkpoint file's content: every hosted partition's HW. */
  highWatermarks(): [string, number][] {
    return [...this.hosted.entries()].map(([key, hosted]) => [key, hosted.partition.highWatermark]);
  }

  /** The recovery-point-offset-checkpoint file's content: where each hosted log was last flushed. */
  recoveryPoints(): [string, number][] {
    return [...this.hosted.entries()].map(([key, hosted]) => [key, hosted.partition.log.recoveryPoint]);
  }

  /** A clean shutdown flushes every log (LogManager.shutdown). */
  flushAll(): void {
    const now = this.ctx.env.now();
    for (const hosted of this.hosted.values()) hosted.partition.log.flush(now);
  }

  /** The log flusher: flushes logs whose flush.ms interval has passed. */
  flushDueLogs(): void {
    const now = this.ctx.env.now();
    for (const hosted of this.hosted.values()) {
      if (hosted.partition.log.flushIfDueByTime(now)) {
        const p = hosted.partition;
        this.ctx.trace({ kind: 'log.flush', broker: this.ctx.id, topic: p.topic, partition: p.partition, durableOffset: p.log.durableOffset }, false);
      }
    }
  }
}

/**
 * Whether a follower starts fetching over (Partition.makeFollower returning true): always for a
 * new leader; for the same leader in a new epoch only since 2.1, or in 2.0.1 when an epoch was
 * missed (KAFKA-7164: the leader may have truncated in the epoch this follower never saw).
 */
function followerRestarts(rule: Behaviour['followerRestartsOn'], p: Partition, state: PartitionState): boolean {
  if (p.role !== 'follower' || p.leader !== state.leader) return true;
  switch (rule) {
    case 'new-leader':
      return false;
    case 'missed-epoch':
      return state.leaderEpoch > p.leaderEpoch + 1;
    case 'new-epoch':
      return state.leaderEpoch !== p.leaderEpoch;
  }
}

/** The batches a consumer may read: those below the high watermark or the LSO (a straddling batch is cut there). */
function belowOffset(batches: readonly RecordBatch[], limit: number): RecordBatch[] {
  const out: RecordBatch[] = [];
  for (const batch of batches) {
    if (batch.baseOffset >= limit) break;
    out.push(nextOffset(batch) <= limit ? batch : { ...batch, records: batch.records.slice(0, limit - batch.baseOffset) });
  }
  return out;
}

function errorResult(topic: string, partition: number, error: KafkaError, highWatermark: number): FetchResult {
  return { topic, partition, error, highWatermark, logStartOffset: 0, batches: NO_BATCHES };
}
