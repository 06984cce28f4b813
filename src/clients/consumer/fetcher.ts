// Fetcher (clients/consumer/internals/Fetcher.java, read at 2.8.2): Fetch requests, one per
// leader with the assigned partitions that have a position and nothing buffered
// (sendFetches, at most one in flight per broker); the records poll() returns, up to
// max.poll.records, moving the positions (fetchedRecords); auto.offset.reset by ListOffsets
// (resetOffsetsIfNeeded); and, from 2.3, checking a position against a new leader's log
// with OffsetsForLeaderEpoch before fetching from it (validateOffsetsIfNeeded, KIP-320),
// which finds a log truncated under the position.
//
// From 0.11 (KIP-98) fetches and ListOffsets carry isolation.level, and what poll() returns of a
// fetch answer is what Fetcher.PartitionRecords (0.11.0) / CompletedFetch (2.8.2, 3.5.0) return:
// never a control record (a transaction marker), and under read_committed no batch of an
// aborted transaction (the answer's abortedTransactions, by producer id, until that producer's
// ABORT marker). The position moves past what is left out, also when nothing is returned.
import { invariant, type Env } from '../../../sim/index.js';
import type { AbortedTransaction, IsolationLevel, KafkaMessage } from '../../kafka/protocol.js';
import { lastOffset, nextOffset, type RecordBatch } from '../../kafka/records.js';
import { Alarm } from '../alarm.js';
import type { Answer, NetworkClient } from '../network-client.js';
import { profileAtLeast } from '../producer-config.js';
import type { ConsumerSettings } from './consumer-config.js';
import type { ConsumerMetadata } from './consumer-metadata.js';
import type { SubscriptionState, TopicPartitionState as Owned } from './subscription-state.js';

type Response<T extends KafkaMessage['type']> = Extract<KafkaMessage, { type: T }>;

/**
 * What poll() returns of one partition: the records of these batches at offsets in
 * [fromOffset, toOffset), in order. Only batches poll() may return are here (no control batch,
 * no aborted one under read_committed), so offsets in between that no batch holds were left out.
 * toOffset is one past the last record returned; the position may have moved further (past a
 * marker after it).
 */
export interface PartitionRecords {
  readonly partition: number;
  readonly batches: readonly RecordBatch[];
  readonly fromOffset: number;
  readonly toOffset: number;
  /** The high watermark of the fetch response that brought them. */
  readonly highWatermark: number;
  /** That response's last stable offset (0.11+); -1 when it carried none (before 0.11). */
  readonly lastStableOffset: number;
}

export class Fetcher {
  /** Wakes the fetcher when a leader's connection comes out of its reconnect backoff. */
  private readonly fetchAlarm: Alarm;
  /** KIP-320's position validation (2.3+). */
  private readonly validatesPositions: boolean;
  /** Fetches carry the leader epoch the consumer knows (KIP-320, 2.1+). */
  private readonly fetchesCarryEpoch: boolean;
  /** Fetch v4 and ListOffsets v2 (0.11+) carry isolation.level; null before (read_uncommitted). */
  private readonly isolationLevel: IsolationLevel | null;
  private readonly readCommitted: boolean;
  /** Fetcher.nodesWithPendingFetchRequests: brokers with a fetch of ours in flight. */
  private readonly nodesWithPendingFetches = new Set<string>();

  constructor(
    private readonly env: Env<unknown>,
    private readonly net: NetworkClient,
    private readonly settings: ConsumerSettings,
    profile: string,
    private readonly metadata: ConsumerMetadata,
    private readonly subscriptions: SubscriptionState,
    /** A fetch brought records: a poll waiting for them may return. */
    private readonly onRecordsReady: () => void,
  ) {
    this.fetchAlarm = new Alarm(env, () => this.sendFetches());
    this.validatesPositions = profileAtLeast(profile, '2.3');
    this.fetchesCarryEpoch = profileAtLeast(profile, '2.1');
    this.isolationLevel = profileAtLeast(profile, '0.11') ? settings.isolationLevel : null;
    this.readCommitted = this.isolationLevel === 'read_committed';
  }

  /**
   * fetchedRecords: up to max.poll.records of what is buffered, per partition in assignment
   * order, moving each position past what it returns; null when nothing is. A partition whose
   * buffered answer is used up moves on to the answer's end, past the markers and aborted
   * batches that close it, even when it returns nothing. Then the next fetches go out, while the
   * application works on these.
   */
  fetchedRecords(): PartitionRecords[] | null {
    let polled: PartitionRecords[] | null = null;
    let taken = 0;
    let moved = false;
    const max = this.settings.maxPollRecords;
    for (const owned of this.subscriptions.states()) {
      if (owned.position === null || owned.fetchedEnd < 0) continue;
      const batches = owned.batches;
      const fromOffset = owned.position;
      let toOffset = fromOffset;
      while (taken < max && owned.batchIndex < batches.length) {
        const batch = batches[owned.batchIndex]!;
        const end = nextOffset(batch);
        // A batch after a gap (left-out batches) starts at its base offset.
        const start = Math.max(batch.baseOffset, toOffset);
        const take = Math.min(end - start, max - taken);
        if (take > 0) {
          toOffset = start + take;
          taken += take;
          owned.positionEpoch = batch.leaderEpoch;
        }
        if (toOffset >= end || take <= 0) owned.batchIndex += 1;
      }
      if (toOffset > fromOffset) {
        (polled ??= []).push({ partition: owned.partition, batches, fromOffset, toOffset, highWatermark: owned.highWatermark, lastStableOffset: owned.lastStableOffset });
        owned.position = toOffset;
      }
      // Used up: the position moves to the answer's last batch's next offset (nextFetchedRecord
      // finding no next batch, KAFKA-5443). Kafka does it at the next poll when this one filled
      // max.poll.records exactly, and fetches the partition only then; ksim (as before
      // transactions) lets it go at once.
      if (owned.batchIndex >= batches.length) {
        if (owned.fetchedEnd > owned.position) {
          owned.position = owned.fetchedEnd;
          owned.positionEpoch = owned.fetchedEndEpoch;
          moved = true;
        }
        owned.batches = NO_BATCHES;
        owned.batchIndex = 0;
        owned.fetchedEnd = -1;
      }
      if (taken >= max) break;
    }
    if (taken > 0 || moved) this.sendFetches();
    return polled;
  }

  /** auto.offset.reset: ListOffsets to the leader for the earliest or the latest offset (resetOffsetsIfNeeded). */
  resetOffset(owned: Owned, reason: 'no-committed-offset' | 'out-of-range'): void {
    const policy = this.settings.autoOffsetReset;
    if (policy === 'none') return; // NoOffsetForPartitionException: ksim leaves the partition unread
    const leader = this.metadata.leaderNode(owned.partition);
    if (leader === null) {
      this.metadata.requestUpdate();
      this.env.setTimer(this.settings.retryBackoffUs, () => this.subscriptions.isCurrent(owned) && owned.position === null && this.resetOffset(owned, reason));
      return;
    }
    owned.position = null;
    owned.lookingUp = true;
    const epoch = ++owned.epoch;
    this.net.send<Response<'ListOffsetsResponse'>>(leader, 'default', (correlationId) => ({
      type: 'ListOffsets',
      correlationId,
      replicaId: -1,
      partitions: [{ topic: this.subscriptions.topic, partition: owned.partition, timestamp: policy === 'earliest' ? -2 : -1 }],
      // ListOffsets v2 (0.11): latest under read_committed is the LSO (Fetcher.resetOffsets, forConsumer).
      ...(this.isolationLevel === null ? {} : { isolationLevel: this.isolationLevel }),
    }), (answer) => {
      owned.lookingUp = false;
      if (!this.subscriptions.isCurrent(owned) || owned.epoch !== epoch) return;
      const part = answer.ok ? answer.response.partitions[0] : undefined;
      if (part === undefined || part.error !== 'NONE') {
        this.metadata.requestUpdate();
        this.env.setTimer(this.settings.retryBackoffUs, () => this.subscriptions.isCurrent(owned) && owned.position === null && this.resetOffset(owned, reason));
        return;
      }
      // The offset came from the current leader: no validation needed.
      this.subscriptions.seek(owned, part.offset, -1, this.metadata.leaderEpoch(owned.partition), policy === 'earliest' ? 'reset-earliest' : 'reset-latest', reason);
      this.sendFetches();
    });
  }

  /** sendFetches: one Fetch per leader for the partitions with a position and nothing buffered. */
  sendFetches(): void {
    let byLeader: Map<string, Owned[]> | null = null; // most calls find nothing to fetch
    for (const owned of this.subscriptions.states()) {
      if (owned.position === null || owned.fetching || owned.validating || owned.fetchedEnd >= 0) continue;
      if (this.needsValidation(owned)) {
        this.validatePosition(owned);
        continue;
      }
      const leader = this.metadata.leaderNode(owned.partition);
      if (leader === null) {
        this.metadata.requestUpdate();
        continue;
      }
      // Its leader's connection is backing off: try again then (a dead leader's reset then asks for metadata).
      const readyAtUs = this.net.readyAtUs(leader, 'default');
      if (this.env.now() < readyAtUs) {
        this.fetchAlarm.wakeAt(readyAtUs);
        continue;
      }
      byLeader ??= new Map();
      const list = byLeader.get(leader);
      if (list === undefined) byLeader.set(leader, [owned]);
      else list.push(owned);
    }
    if (byLeader === null) return;
    const withEpoch = this.fetchesCarryEpoch;
    const isolation = this.isolationLevel === null ? null : { isolationLevel: this.isolationLevel };
    for (const [leader, list] of byLeader) {
      if (this.nodesWithPendingFetches.has(leader)) continue; // one fetch per broker at a time
      const sent = list.map((owned) => ({ owned, epoch: owned.epoch, fetchOffset: owned.position! }));
      for (const { owned } of sent) owned.fetching = true;
      this.nodesWithPendingFetches.add(leader);
      this.net.send<Response<'FetchResponse'>>(leader, 'default', (correlationId) => ({
        type: 'Fetch',
        correlationId,
        replicaId: -1,
        maxWaitMs: this.settings.fetchMaxWaitMs,
        full: true,
        partitions: sent.map((s) => ({ topic: this.subscriptions.topic, partition: s.owned.partition, fetchOffset: s.fetchOffset, currentLeaderEpoch: withEpoch ? this.metadata.leaderEpoch(s.owned.partition) : -1 })),
        ...isolation, // Fetch v4 (0.11)
      }), (answer) => {
        this.nodesWithPendingFetches.delete(leader);
        this.onFetchResponse(answer, sent);
      });
    }
  }

  /** KIP-320 (2.3+, KAFKA-7747): after a leader change, check the position against the new leader's log first. */
  private needsValidation(owned: Owned): boolean {
    if (!this.validatesPositions || owned.positionEpoch < 0) return false;
    const current = this.metadata.leader(owned.partition);
    return current !== undefined && current.node !== null && current.leaderEpoch > owned.validatedEpoch;
  }

  /**
   * Asks the leader where the position's epoch ends in its log (OffsetsForLeaderEpoch). If it
   * ends below the position, the log was truncated under it (an unclean election): the position
   * moves back to where the logs diverge, instead of waiting for OFFSET_OUT_OF_RANGE and
   * auto.offset.reset, or reading on past records that were replaced.
   */
  private validatePosition(owned: Owned): void {
    const current = this.metadata.leader(owned.partition)!;
    const leader = current.node!;
    if (this.env.now() < this.net.readyAtUs(leader, 'default')) {
      this.fetchAlarm.wakeAt(this.net.readyAtUs(leader, 'default'));
      return;
    }
    owned.validating = true;
    const epoch = owned.epoch;
    const position = owned.position!;
    this.net.send<Response<'OffsetsForLeaderEpochResponse'>>(leader, 'default', (correlationId) => ({
      type: 'OffsetsForLeaderEpoch',
      correlationId,
      replicaId: -1,
      partitions: [{ topic: this.subscriptions.topic, partition: owned.partition, currentLeaderEpoch: current.leaderEpoch, leaderEpoch: owned.positionEpoch }],
    }), (answer) => {
      owned.validating = false;
      if (!this.subscriptions.isCurrent(owned) || owned.epoch !== epoch) return;
      const part = answer.ok ? answer.response.partitions[0] : undefined;
      if (part === undefined || part.error !== 'NONE') {
        this.metadata.requestUpdate();
        this.fetchAlarm.wakeAt(this.env.now() + this.settings.retryBackoffUs);
        return;
      }
      if (part.endOffset >= 0 && part.endOffset < position) {
        this.subscriptions.seek(owned, part.endOffset, part.leaderEpoch, this.metadata.leaderEpoch(owned.partition), 'truncation-detected', 'log-truncation');
      }
      owned.validatedEpoch = current.leaderEpoch;
      this.sendFetches();
    });
  }

  /**
   * Buffers a fetch answer's batches (Fetcher's CompletedFetch), keeping those poll() may return.
   * As PartitionRecords.nextFetchedRecord (0.11.0) and CompletedFetch.nextFetchedRecord (2.8.2,
   * 3.5.0): a control batch is never returned, in any isolation level. Under read_committed, a
   * batch with a producer id first adds the producers of the aborted transactions that began at
   * or before its last offset; an ABORT marker takes its producer off again; a transactional
   * batch of a producer on the list is aborted, and left out. The decision is per batch and
   * depends only on the answer, so it is made here once rather than record by record in poll().
   */
  private buffer(owned: Owned, batches: readonly RecordBatch[], abortedTransactions: readonly AbortedTransaction[] | undefined): void {
    const last = batches[batches.length - 1]!;
    // The broker bounds a read_committed fetch by the LSO (Log.read, FetchTxnCommitted): nothing at or above it.
    if (this.readCommitted && owned.lastStableOffset >= 0) {
      invariant(nextOffset(last) <= owned.lastStableOffset, () => `consumer: a read_committed fetch of ${this.subscriptions.topic}-${owned.partition} returned offset ${lastOffset(last)}, at or above its LSO ${owned.lastStableOffset}`);
    }
    const aborted = this.readCommitted ? byFirstOffset(abortedTransactions) : null;
    let abortedProducerIds: Set<number> | null = null;
    let nextAborted = 0;
    let kept: RecordBatch[] | null = null; // made only when a batch is left out
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      let keep = batch.control === undefined;
      if (aborted !== null && batch.producerId >= 0) {
        const upTo = lastOffset(batch);
        while (nextAborted < aborted.length && aborted[nextAborted]!.firstOffset <= upTo) (abortedProducerIds ??= new Set()).add(aborted[nextAborted++]!.producerId);
        if (batch.control?.type === 'ABORT') abortedProducerIds?.delete(batch.producerId);
        else if (batch.isTransactional === true && abortedProducerIds?.has(batch.producerId) === true) keep = false;
      }
      if (keep) kept?.push(batch);
      else kept ??= batches.slice(0, i);
    }
    owned.batches = kept ?? batches;
    owned.batchIndex = 0;
    owned.fetchedEnd = nextOffset(last);
    owned.fetchedEndEpoch = last.leaderEpoch;
  }

  private onFetchResponse(answer: Answer<Response<'FetchResponse'>>, sent: readonly { owned: Owned; epoch: number; fetchOffset: number }[]): void {
    for (const { owned } of sent) owned.fetching = false;
    if (!answer.ok) {
      this.metadata.requestUpdate();
      this.env.setTimer(this.settings.retryBackoffUs, () => this.sendFetches());
      return;
    }
    let data = false;
    for (const part of answer.response.partitions) {
      const request = sentFor(sent, part.partition);
      if (request === undefined) continue;
      const owned = request.owned;
      if (!this.subscriptions.isCurrent(owned) || owned.epoch !== request.epoch || owned.position !== request.fetchOffset) continue;
      switch (part.error) {
        case 'NONE':
          owned.highWatermark = part.highWatermark;
          owned.lastStableOffset = part.lastStableOffset ?? -1;
          if (part.batches.length > 0) {
            this.buffer(owned, part.batches, part.abortedTransactions);
            data = true;
          }
          break;
        case 'OFFSET_OUT_OF_RANGE':
          this.resetOffset(owned, 'out-of-range');
          break;
        default:
          this.metadata.requestUpdate();
      }
    }
    if (data) this.onRecordsReady();
    this.sendFetches();
  }
}

const NO_BATCHES: readonly RecordBatch[] = [];

/** The aborted transactions by first offset (CompletedFetch's priority queue); null when none. */
function byFirstOffset(aborted: readonly AbortedTransaction[] | undefined): readonly AbortedTransaction[] | null {
  if (aborted === undefined || aborted.length === 0) return null;
  return aborted.length === 1 ? aborted : [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
}

/** The fetched partition's entry of the request (a loop: this runs per partition of every response). */
function sentFor<S extends { readonly owned: Owned }>(sent: readonly S[], partition: number): S | undefined {
  for (let i = 0; i < sent.length; i++) if (sent[i]!.owned.partition === partition) return sent[i];
  return undefined;
}
