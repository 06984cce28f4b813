// The follower's side of replication (ReplicaFetcherThread): one fetch session per leader
// (KIP-227), holding every partition this broker follows there; after its first, full fetch, a
// fetch lists only the partitions whose fetch offset or leader epoch changed. Before fetching, a
// new follower truncates its log: to its high watermark before 0.11, by leader epoch since
// (KIP-101), asking the leader where its own latest epoch ended; since 2.0 (KIP-279) the answer
// names the epoch too, and a follower that never had that epoch truncates in rounds, asking
// again with its new latest epoch until the answer is an epoch both know.
import { invariant } from '../../sim/index.js';
import type { FetchPartition, KafkaMessage, PartitionState, TopicPartitionRef } from '../kafka/protocol.js';
import { tpKey, type RecordBatch } from '../kafka/records.js';
import type { BrokerContext } from './context.js';
import type { HostedPartition, ReplicaManager } from './replica-manager.js';
import { UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './log.js';
import { ProducerStateTable } from './producer-state.js';

type FetchResponse = Extract<KafkaMessage, { type: 'FetchResponse' }>;
type EpochResponse = Extract<KafkaMessage, { type: 'OffsetsForLeaderEpochResponse' }>;

interface TruncationPoint {
  readonly offset: number;
  /** False: truncate there and ask again (KIP-279's intermediate offset). */
  readonly final: boolean;
  readonly reason: 'high-watermark' | 'leader-epoch';
}

interface Followed {
  readonly hosted: HostedPartition;
  readonly leaderEpoch: number;
  readonly leader: Leader;
  state: 'truncating' | 'fetching';
  /**
   * After an error, left out of truncation and fetches for replica.fetch.backoff.ms
   * (PartitionFetchState's delay, AbstractFetcherThread.delayPartitions).
   */
  delayed: boolean;
  /** Its partition in the leader's fetch session, once a fetch carried this entry. */
  session: SessionPartition | null;
}

/**
 * One leader this broker follows partitions on: the entries, in the order they were followed,
 * and our side of the fetch session there (FetchSessionHandler): the leader's session
 * partitions, in the leader's order, each with what we last asked for it.
 */
interface Leader {
  readonly node: string;
  readonly followed: Followed[];
  /** A fetch or an OffsetsForLeaderEpoch request is out. */
  inFlight: boolean;
  /** 0 while there is none: the next fetch is full and opens one. */
  sessionId: number;
  /** The epoch of the next incremental fetch. */
  sessionEpoch: number;
  readonly sessionPartitions: SessionPartition[];
  readonly sessionByKey: Map<string, SessionPartition>;
}

interface SessionPartition {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  /** The entry the leader reads this partition for (it changes when the partition is followed anew). */
  entry: Followed;
  fetchOffset: number;
  currentLeaderEpoch: number;
  /** The number of the last fetch that carried it: one not in the latest fetch is forgotten. */
  fetch: number;
}

const NOTHING_FORGOTTEN: readonly TopicPartitionRef[] = [];

export class ReplicaFetcher {
  private readonly followed = new Map<string, Followed>();
  private readonly leaders = new Map<string, Leader>();
  private fetchCount = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly replicas: ReplicaManager,
  ) {}

  /**
   * Starts following each partition's `state.leader` (after LeaderAndIsr made us its follower;
   * ReplicaFetcherManager.addFetcherForPartitions), then lets each leader's fetcher work on all
   * of them at once. Without `restart` (the same leader, in a release line whose
   * Partition.makeFollower keeps the fetcher then), a partition this broker already fetches
   * from that leader goes on as it was.
   */
  follow(partitions: readonly { readonly hosted: HostedPartition; readonly state: PartitionState; readonly leaderNode: string | null; readonly restart: boolean }[]): void {
    const leaders = new Set<Leader>();
    for (const { hosted, state, leaderNode, restart } of partitions) {
      const current = this.followed.get(hosted.partition.key);
      if (!restart && current !== undefined && current.hosted === hosted && current.leader.node === leaderNode) continue;
      this.unfollow(hosted.partition.key);
      if (state.leader < 0 || leaderNode === null) continue;
      const leader = this.leaderOf(leaderNode);
      const entry: Followed = { hosted, leaderEpoch: state.leaderEpoch, leader, state: 'truncating', delayed: false, session: null };
      this.followed.set(hosted.partition.key, entry);
      leader.followed.push(entry);
      leaders.add(leader);
      if (!this.ctx.behaviour.leaderEpochTruncation) {
        // Before KIP-101 a new follower trusts its high watermark and cuts everything above it.
        this.truncate(entry, entry.hosted.partition.highWatermark, 'high-watermark');
        entry.state = 'fetching';
      }
    }
    for (const leader of leaders) this.pump(leader);
  }

  /** Stops following (we became leader, or the partition left this broker). */
  unfollow(key: string): void {
    const entry = this.followed.get(key);
    if (entry === undefined) return;
    this.followed.delete(key);
    const list = entry.leader.followed;
    list.splice(list.indexOf(entry), 1);
  }

  private leaderOf(node: string): Leader {
    let leader = this.leaders.get(node);
    if (leader === undefined) {
      leader = { node, followed: [], inFlight: false, sessionId: 0, sessionEpoch: 0, sessionPartitions: [], sessionByKey: new Map() };
      this.leaders.set(node, leader);
    }
    return leader;
  }

  private pump(leader: Leader): void {
    if (leader.inFlight) return;
    let truncating: Followed[] | null = null;
    let fetching = false;
    for (const f of leader.followed) {
      if (f.delayed) continue;
      if (f.state === 'truncating') (truncating ??= []).push(f);
      else fetching = true;
    }
    if (truncating !== null) return this.askEpochEnds(leader, truncating);
    if (fetching) this.fetch(leader);
  }

  /**
   * One round of truncation by leader epoch: asks the leader where each partition's latest
   * cached epoch ended. Since 2.1.1 a follower with no cached epoch does not ask: it truncates
   * to its high watermark (AbstractFetcherThread.truncateToHighWatermark).
   */
  private askEpochEnds(leader: Leader, entries: Followed[]): void {
    let asking = entries;
    if (!this.ctx.behaviour.asksWithoutEpochs) {
      asking = entries.filter((f) => f.hosted.partition.log.latestEpoch !== UNDEFINED_EPOCH);
      for (const f of entries) {
        if (asking.includes(f)) continue;
        this.truncate(f, f.hosted.partition.highWatermark, 'high-watermark');
        f.state = 'fetching';
      }
      if (asking.length === 0) return this.pump(leader);
    }
    leader.inFlight = true;
    // KIP-320 (2.1+): the request carries the epoch this follower knows the leader by.
    const carriesEpoch = this.ctx.behaviour.fetchCarriesLeaderEpoch;
    const asked = asking.map((f) => ({ f, epoch: f.hosted.partition.log.latestEpoch }));
    this.ctx.request(leader.node, (correlationId) => ({
      type: 'OffsetsForLeaderEpoch',
      correlationId,
      replicaId: this.ctx.id,
      partitions: asked.map(({ f, epoch }) => ({ topic: f.hosted.partition.topic, partition: f.hosted.partition.partition, currentLeaderEpoch: carriesEpoch ? f.leaderEpoch : -1, leaderEpoch: epoch })),
    }), this.ctx.settings.replicaSocketTimeoutMs, (response) => {
      leader.inFlight = false;
      if (response === null || response.type !== 'OffsetsForLeaderEpochResponse') return this.backoff(asking, leader);
      for (const { f, epoch } of asked) this.onEpochEnd(f, epoch, response);
      // Partitions whose truncation is not complete ask again, with their new latest epoch.
      this.pump(leader);
    });
  }

  private onEpochEnd(f: Followed, askedEpoch: number, response: EpochResponse): void {
    const p = f.hosted.partition;
    if (this.followed.get(p.key) !== f || f.state !== 'truncating') return;
    const answer = response.partitions.find((r) => r.topic === p.topic && r.partition === p.partition);
    if (answer === undefined) return this.backoff([f], f.leader);
    if (answer.error === 'FENCED_LEADER_EPOCH') return this.fenced(f);
    if (answer.error !== 'NONE') return this.backoff([f], f.leader);
    const point = this.truncationPoint(f, answer);
    this.ctx.trace({
      kind: 'truncation.round', broker: this.ctx.id, leader: p.leader, topic: p.topic, partition: p.partition,
      askedEpoch, leaderEpoch: answer.leaderEpoch, endOffset: answer.endOffset, logEndOffset: p.log.logEndOffset, truncateTo: point.offset, final: point.final,
    });
    this.truncate(f, Math.max(0, point.offset), point.reason);
    if (point.final) f.state = 'fetching';
  }

  /**
   * Where the leader's answer says to truncate, and whether truncation is then complete: before
   * 2.0 ReplicaFetcherThread.maybeTruncate, since AbstractFetcherThread.getOffsetTruncationState.
   */
  private truncationPoint(f: Followed, answer: EpochResponse['partitions'][number]): TruncationPoint {
    const p = f.hosted.partition;
    const end = p.log.logEndOffset;
    // The leader cannot say (UNDEFINED_EPOCH_OFFSET): the initial fetch offset, our high watermark.
    if (answer.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: p.highWatermark, final: true, reason: 'high-watermark' };
    // Before KIP-279 the answer is an offset alone: cut there if our log runs past it.
    if (!this.ctx.behaviour.epochInTruncationAnswer || answer.leaderEpoch === UNDEFINED_EPOCH) return { offset: Math.min(answer.endOffset, end), final: true, reason: 'leader-epoch' };
    const ours = p.log.endOffsetForEpoch(answer.leaderEpoch, 'epoch-and-end-offset');
    // No epoch of ours that early: the leader's offset is safe to use, as before KIP-279.
    if (ours.endOffset === UNDEFINED_EPOCH_OFFSET) return { offset: Math.min(answer.endOffset, end), final: true, reason: 'leader-epoch' };
    // The leader's epoch is not one we had: cut back to where our epoch before it ends, and ask again.
    if (ours.leaderEpoch !== answer.leaderEpoch) return { offset: Math.min(ours.endOffset, end), final: false, reason: 'leader-epoch' };
    return { offset: Math.min(ours.endOffset, answer.endOffset, end), final: true, reason: 'leader-epoch' };
  }

  /**
   * FENCED_LEADER_EPOCH (KIP-320): the leader is in a newer epoch than the one we follow it in.
   * The partition stops until the LeaderAndIsr of that epoch arrives (onPartitionFenced).
   */
  private fenced(f: Followed): void {
    this.unfollow(f.hosted.partition.key);
  }

  private fetch(leader: Leader): void {
    leader.inFlight = true;
    const full = leader.sessionId === 0;
    const { partitions, forgotten } = this.buildFetch(leader);
    const sessionRequest = { id: leader.sessionId, epoch: leader.sessionEpoch, forgotten };
    this.ctx.request(leader.node, (correlationId) => ({
      type: 'Fetch',
      correlationId,
      replicaId: this.ctx.id,
      maxWaitMs: this.ctx.settings.replicaFetchWaitMaxMs,
      full,
      session: sessionRequest,
      partitions,
    }), this.ctx.settings.replicaSocketTimeoutMs + this.ctx.settings.replicaFetchWaitMaxMs, (response) => {
      leader.inFlight = false;
      if (response === null || response.type !== 'FetchResponse') {
        // An answer may be lost: the next fetch opens a new session, after the backoff.
        const entries = leader.sessionPartitions.map((part) => part.entry);
        this.closeSession(leader);
        return this.backoff(entries, leader);
      }
      if (response.error !== 'NONE') {
        this.closeSession(leader); // the leader lost or refused our session: open a new one now
        return this.pump(leader);
      }
      leader.sessionId = response.sessionId;
      leader.sessionEpoch = sessionRequest.epoch + 1;
      // The answer follows the session's order, which ours mirrors.
      let outOfRange: Followed[] | null = null;
      let i = 0;
      const parts = leader.sessionPartitions;
      for (const data of response.partitions) {
        while (i < parts.length && (parts[i]!.partition !== data.partition || parts[i]!.topic !== data.topic)) i += 1;
        if (i === parts.length) invariant(false, () => `broker ${this.ctx.id}: ${tpKey(data.topic, data.partition)} answered out of ${leader.node}'s fetch session order`);
        if (this.onFetched(parts[i]!.entry, parts[i]!.fetchOffset, data) === 'out-of-range') (outOfRange ??= []).push(parts[i]!.entry);
      }
      if (outOfRange !== null) return this.resetOutOfRange(leader, outOfRange);
      this.pump(leader);
    });
  }

  /**
   * FetchSessionHandler.Builder: a full fetch lists every fetching entry; an incremental one the
   * entries new to the session or whose fetch offset or leader epoch changed, and forgets the
   * partitions no longer fetched. Our session partitions change as the leader's will: updated
   * in place, added at the end, forgotten ones taken out.
   */
  private buildFetch(leader: Leader): { partitions: FetchPartition[]; forgotten: readonly TopicPartitionRef[] } {
    const fetch = ++this.fetchCount;
    if (leader.sessionId === 0) this.closeSession(leader);
    const partitions: FetchPartition[] = [];
    let carried = 0;
    for (const entry of leader.followed) {
      if (entry.state !== 'fetching' || entry.delayed) continue;
      carried += 1;
      const p = entry.hosted.partition;
      const fetchOffset = p.log.logEndOffset;
      const currentLeaderEpoch = this.ctx.behaviour.fetchCarriesLeaderEpoch ? entry.leaderEpoch : -1;
      let part = entry.session;
      if (part === null) {
        // New to the session, or following the partition anew (a new leader epoch).
        part = leader.sessionByKey.get(p.key) ?? null;
        if (part === null) {
          part = { key: p.key, topic: p.topic, partition: p.partition, entry, fetchOffset, currentLeaderEpoch, fetch };
          leader.sessionPartitions.push(part);
          leader.sessionByKey.set(p.key, part);
        }
        part.entry = entry;
        entry.session = part;
      } else if (part.fetchOffset === fetchOffset && part.currentLeaderEpoch === currentLeaderEpoch) {
        part.fetch = fetch;
        continue;
      }
      part.fetch = fetch;
      part.fetchOffset = fetchOffset;
      part.currentLeaderEpoch = currentLeaderEpoch;
      partitions.push({ topic: p.topic, partition: p.partition, fetchOffset, currentLeaderEpoch });
    }
    const parts = leader.sessionPartitions;
    if (parts.length === carried) return { partitions, forgotten: NOTHING_FORGOTTEN };
    const forgotten: TopicPartitionRef[] = [];
    let kept = 0;
    for (const part of parts) {
      if (part.fetch === fetch) {
        parts[kept++] = part;
        continue;
      }
      forgotten.push({ topic: part.topic, partition: part.partition });
      leader.sessionByKey.delete(part.key);
      if (part.entry.session === part) part.entry.session = null;
    }
    parts.length = kept;
    return { partitions, forgotten };
  }

  private closeSession(leader: Leader): void {
    for (const part of leader.sessionPartitions) if (part.entry.session === part) part.entry.session = null;
    leader.sessionId = 0;
    leader.sessionEpoch = 0;
    leader.sessionPartitions.length = 0;
    leader.sessionByKey.clear();
  }

  /** Appends what the leader sent; says when the fetch offset was out of the leader's range. */
  private onFetched(f: Followed, fetchOffset: number, data: FetchResponse['partitions'][number]): 'out-of-range' | void {
    const hosted = f.hosted;
    const p = hosted.partition;
    if (this.followed.get(p.key) !== f || f.state !== 'fetching' || f.delayed) return;
    if (data.error === 'OFFSET_OUT_OF_RANGE') return 'out-of-range';
    if (data.error === 'FENCED_LEADER_EPOCH') return this.fenced(f);
    if (data.error !== 'NONE') return this.backoff([f], f.leader);
    if (fetchOffset !== p.log.logEndOffset) return; // the log moved meanwhile (a truncation): refetch
    const batches = skipBelow(data.batches, fetchOffset);
    if (batches.length > 0) {
      p.log.appendAsFollower(batches, this.ctx.env.now());
      let count = 0;
      for (const batch of batches) {
        hosted.producers.record(batch);
        count += batch.records.length;
      }
      const first = batches[0]!;
      this.ctx.trace({ kind: 'log.append', broker: this.ctx.id, topic: p.topic, partition: p.partition, baseOffset: first.baseOffset, count, leaderEpoch: batches[batches.length - 1]!.leaderEpoch, role: 'follower' }, false);
    }
    if (p.updateFollowerHighWatermark(data.highWatermark)) {
      this.replicas.traceHighWatermark(p);
      this.replicas.onHighWatermarkMoved(hosted);
    }
    p.checkHighWatermark();
  }

  /**
   * OFFSET_OUT_OF_RANGE: our log runs past the leader's. We ask the leader for its log end offset
   * (ListOffsets, the latest, as a replica) and truncate to it if our log is longer, else fetch
   * on from our own end (ReplicaFetcherThread.handleOffsetOutOfRange to 2.0,
   * AbstractFetcherThread.fetchOffsetAndTruncate since). Before 2.0.1 (KAFKA-7414) a broker
   * whose topic disallows unclean elections exits there instead (FatalExitError): not modelled.
   */
  private resetOutOfRange(leader: Leader, entries: readonly Followed[]): void {
    leader.inFlight = true;
    this.ctx.request(leader.node, (correlationId) => ({
      type: 'ListOffsets',
      correlationId,
      replicaId: this.ctx.id,
      partitions: entries.map((f) => ({ topic: f.hosted.partition.topic, partition: f.hosted.partition.partition, timestamp: -1 as const })),
    }), this.ctx.settings.replicaSocketTimeoutMs, (response) => {
      leader.inFlight = false;
      if (response === null || response.type !== 'ListOffsetsResponse') return this.backoff(entries, leader);
      const failed: Followed[] = [];
      for (const f of entries) {
        const p = f.hosted.partition;
        if (this.followed.get(p.key) !== f || f.state !== 'fetching') continue;
        const answer = response.partitions.find((r) => r.topic === p.topic && r.partition === p.partition);
        if (answer === undefined || answer.error !== 'NONE') failed.push(f);
        else if (answer.offset < p.log.logEndOffset) this.truncate(f, answer.offset, 'out-of-range');
      }
      if (failed.length > 0) this.backoff(failed, leader);
      this.pump(leader);
    });
  }

  private truncate(f: Followed, offset: number, reason: 'high-watermark' | 'leader-epoch' | 'out-of-range'): void {
    const hosted = f.hosted;
    const p = hosted.partition;
    const before = p.log.logEndOffset;
    if (offset >= before) {
      // KAFKA-10706 (2.7+): an epoch cached at our log end, with no records, goes even so.
      if (this.ctx.behaviour.truncationAtEndClearsEpochs) p.log.truncateEpochsFromEnd(before);
      return;
    }
    p.log.truncateTo(offset);
    const hwBefore = p.highWatermark;
    p.clampHighWatermark();
    // The producer state and its aborted-transaction index are rebuilt from what is left (Log.truncateTo: truncateAndReload).
    hosted.producers = ProducerStateTable.fromBatches(p.log.batches.slice(), this.ctx.behaviour.producerState, p.highWatermark);
    this.ctx.trace({ kind: 'truncate', broker: this.ctx.id, topic: p.topic, partition: p.partition, fromOffset: before, toOffset: p.log.logEndOffset, highWatermark: hwBefore, reason });
    if (p.highWatermark !== hwBefore) this.replicas.traceHighWatermark(p);
    this.replicas.onHighWatermarkMoved(hosted);
    invariant(p.log.logEndOffset === offset, () => `${p.key}: truncated to ${p.log.logEndOffset}, asked ${offset}`);
  }

  private backoff(entries: readonly Followed[], leader: Leader): void {
    const waiting = entries.filter((f) => this.followed.get(f.hosted.partition.key) === f);
    for (const f of waiting) f.delayed = true;
    this.ctx.env.setTimer(this.ctx.settings.replicaFetchBackoffMs * 1000, () => {
      for (const f of waiting) f.delayed = false;
      this.pump(leader);
    });
  }
}

/**
 * A leader answers with whole batches, the first one holding the fetch offset. When a
 * truncation left this log's end inside one of the leader's batches, that batch starts below
 * the fetch offset: keep only its records from the fetch offset on.
 */
function skipBelow(batches: readonly RecordBatch[], fetchOffset: number): readonly RecordBatch[] {
  const first = batches[0];
  if (first === undefined || first.baseOffset >= fetchOffset) return batches;
  const skip = fetchOffset - first.baseOffset;
  const rest = batches.slice(1);
  if (skip >= first.records.length) return rest;
  const trimmed: RecordBatch = {
    ...first,
    baseOffset: fetchOffset,
    baseSequence: first.baseSequence < 0 ? first.baseSequence : first.baseSequence + skip,
    records: first.records.slice(skip),
  };
  return [trimmed, ...rest];
}
