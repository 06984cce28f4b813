// The follower's side of replication (ReplicaFetcherThread): one fetch session per leader,
// carrying every partition this broker follows there. Before fetching, a new follower truncates
// its log: to its high watermark before 0.11, by leader epoch since (KIP-101), asking the
// leader where its own latest epoch ended (with KIP-279's epoch in the answer since 2.0).
import { invariant } from '../../sim/index.js';
import type { KafkaMessage, PartitionState } from '../kafka/protocol.js';
import type { RecordBatch } from '../kafka/records.js';
import type { BrokerContext } from './context.js';
import type { HostedPartition, ReplicaManager } from './replica-manager.js';
import { ProducerStateTable } from './producer-state.js';

type FetchResponse = Extract<KafkaMessage, { type: 'FetchResponse' }>;
type EpochResponse = Extract<KafkaMessage, { type: 'OffsetsForLeaderEpochResponse' }>;

interface Followed {
  readonly hosted: HostedPartition;
  readonly leaderEpoch: number;
  readonly leaderNode: string;
  state: 'truncating' | 'fetching' | 'backoff';
}

export class ReplicaFetcher {
  private readonly followed = new Map<string, Followed>();
  private readonly inFlight = new Set<string>(); // leader nodes with a fetch or epoch request out
  /** Leaders whose next fetch must be full: a new session, or the last one failed. */
  private readonly fullFetchNeeded = new Set<string>();

  constructor(
    private readonly ctx: BrokerContext,
    private readonly replicas: ReplicaManager,
  ) {}

  /** Starts following `state.leader` for this partition (after LeaderAndIsr made us a follower). */
  follow(hosted: HostedPartition, state: PartitionState, leaderNode: string | null): void {
    this.followed.delete(hosted.partition.key);
    if (state.leader < 0 || leaderNode === null) return;
    const entry: Followed = { hosted, leaderEpoch: state.leaderEpoch, leaderNode, state: 'truncating' };
    this.followed.set(hosted.partition.key, entry);
    this.fullFetchNeeded.add(leaderNode);
    if (!this.ctx.behaviour.leaderEpochTruncation) {
      // Before KIP-101 a new follower trusts its high watermark and cuts everything above it.
      this.truncate(entry, entry.hosted.partition.highWatermark, 'high-watermark');
      entry.state = 'fetching';
    }
    this.pump(leaderNode);
  }

  /** Stops following (we became leader, or the partition left this broker). */
  unfollow(key: string): void {
    this.followed.delete(key);
  }

  private pump(leaderNode: string): void {
    if (this.inFlight.has(leaderNode)) return;
    const entries = [...this.followed.values()].filter((f) => f.leaderNode === leaderNode);
    const truncating = entries.filter((f) => f.state === 'truncating');
    if (truncating.length > 0) return this.askEpochEnds(leaderNode, truncating);
    const fetching = entries.filter((f) => f.state === 'fetching');
    if (fetching.length > 0) this.fetch(leaderNode, fetching);
  }

  private askEpochEnds(leaderNode: string, entries: Followed[]): void {
    this.inFlight.add(leaderNode);
    const asked = entries.map((f) => ({ f, epoch: f.hosted.partition.log.latestEpoch }));
    this.ctx.request(leaderNode, (correlationId) => ({
      type: 'OffsetsForLeaderEpoch',
      correlationId,
      replicaId: this.ctx.id,
      partitions: asked.map(({ f, epoch }) => ({ topic: f.hosted.partition.topic, partition: f.hosted.partition.partition, currentLeaderEpoch: f.leaderEpoch, leaderEpoch: epoch })),
    }), this.ctx.settings.replicaSocketTimeoutMs, (response) => {
      this.inFlight.delete(leaderNode);
      if (response === null || response.type !== 'OffsetsForLeaderEpochResponse') return this.backoff(entries, leaderNode);
      for (const { f, epoch } of asked) this.onEpochEnd(f, epoch, response);
      this.pump(leaderNode);
    });
  }

  private onEpochEnd(f: Followed, askedEpoch: number, response: EpochResponse): void {
    const p = f.hosted.partition;
    if (this.followed.get(p.key) !== f || f.state !== 'truncating') return;
    const answer = response.partitions.find((r) => r.topic === p.topic && r.partition === p.partition);
    if (answer === undefined || answer.error !== 'NONE') return this.backoff([f], f.leaderNode);
    const log = p.log;
    let target: number;
    if (answer.leaderEpoch < 0 || askedEpoch < 0) {
      target = p.highWatermark; // no epoch to compare: fall back to the high watermark
    } else if (!this.ctx.behaviour.epochInTruncationAnswer || answer.leaderEpoch === askedEpoch) {
      target = Math.min(answer.endOffset, log.logEndOffset);
    } else {
      // KIP-279: the leader never had our epoch; truncate where the epoch it did have ends for us.
      target = Math.min(answer.endOffset, log.endOffsetForEpoch(answer.leaderEpoch).endOffset);
    }
    this.truncate(f, Math.max(0, target), 'leader-epoch');
    f.state = 'fetching';
  }

  private fetch(leaderNode: string, entries: Followed[]): void {
    this.inFlight.add(leaderNode);
    const asked = entries.map((f) => ({ f, fetchOffset: f.hosted.partition.log.logEndOffset }));
    const full = this.fullFetchNeeded.delete(leaderNode);
    this.ctx.request(leaderNode, (correlationId) => ({
      type: 'Fetch',
      correlationId,
      replicaId: this.ctx.id,
      maxWaitMs: this.ctx.settings.replicaFetchWaitMaxMs,
      full,
      partitions: asked.map(({ f, fetchOffset }) => ({
        topic: f.hosted.partition.topic,
        partition: f.hosted.partition.partition,
        fetchOffset,
        currentLeaderEpoch: this.ctx.behaviour.fetchCarriesLeaderEpoch ? f.leaderEpoch : -1,
      })),
    }), this.ctx.settings.replicaSocketTimeoutMs + this.ctx.settings.replicaFetchWaitMaxMs, (response) => {
      this.inFlight.delete(leaderNode);
      if (response === null || response.type !== 'FetchResponse') {
        this.fullFetchNeeded.add(leaderNode); // an answer may be lost: start the session again
        return this.backoff(entries, leaderNode);
      }
      // The leader answers in request order, leaving out partitions with nothing new.
      let j = 0;
      for (const { f, fetchOffset } of asked) {
        const data = response.partitions[j];
        const p = f.hosted.partition;
        if (data === undefined || data.topic !== p.topic || data.partition !== p.partition) continue;
        j += 1;
        this.onFetched(f, fetchOffset, data);
      }
      this.pump(leaderNode);
    });
  }

  private onFetched(f: Followed, fetchOffset: number, data: FetchResponse['partitions'][number]): void {
    const hosted = f.hosted;
    const p = hosted.partition;
    if (this.followed.get(p.key) !== f || f.state !== 'fetching') return;
    if (data.error === 'OFFSET_OUT_OF_RANGE') {
      // Our log runs past the leader's: cut back to what the leader has committed, refetch the rest.
      this.truncate(f, Math.min(data.highWatermark, p.log.logEndOffset), 'high-watermark');
      return;
    }
    if (data.error !== 'NONE') return this.backoff([f], f.leaderNode);
    if (fetchOffset !== p.log.logEndOffset) return; // the log moved meanwhile (a truncation): refetch
    const batches = skipBelow(data.batches, fetchOffset);
    if (batches.length > 0) {
      p.log.appendAsFollower(batches, this.ctx.env.now());
      for (const batch of batches) hosted.producers.record(batch);
      const first = batches[0]!;
      const count = batches.reduce((n, b) => n + b.records.length, 0);
      this.ctx.trace({ kind: 'log.append', broker: this.ctx.id, topic: p.topic, partition: p.partition, baseOffset: first.baseOffset, count, leaderEpoch: batches[batches.length - 1]!.leaderEpoch, role: 'follower' }, false);
    }
    if (p.updateFollowerHighWatermark(data.highWatermark)) this.replicas.traceHighWatermark(p);
    p.checkHighWatermark();
  }

  private truncate(f: Followed, offset: number, reason: 'high-watermark' | 'leader-epoch'): void {
    const hosted = f.hosted;
    const p = hosted.partition;
    const before = p.log.logEndOffset;
    if (offset >= before) return;
    p.log.truncateTo(offset);
    hosted.producers = ProducerStateTable.fromBatches(p.log.batches.slice());
    const hwBefore = p.highWatermark;
    p.clampHighWatermark();
    this.ctx.trace({ kind: 'truncate', broker: this.ctx.id, topic: p.topic, partition: p.partition, fromOffset: before, toOffset: p.log.logEndOffset, highWatermark: hwBefore, reason });
    if (p.highWatermark !== hwBefore) this.replicas.traceHighWatermark(p);
    invariant(p.log.logEndOffset === offset, () => `${p.key}: truncated to ${p.log.logEndOffset}, asked ${offset}`);
  }

  private backoff(entries: Followed[], leaderNode: string): void {
    const waiting = entries.filter((f) => this.followed.get(f.hosted.partition.key) === f);
    for (const f of waiting) if (f.state === 'fetching') f.state = 'backoff';
    this.ctx.env.setTimer(this.ctx.settings.replicaFetchBackoffMs * 1000, () => {
      for (const f of waiting) if (f.state === 'backoff') f.state = 'fetching';
      this.pump(leaderNode);
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
