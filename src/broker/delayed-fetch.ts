// The fetch purgatory (Kafka's DelayedFetch, kept in a DelayedOperationPurgatory): a fetch that
// found nothing to send waits here up to its maxWaitMs, a follower's for an append to a partition
// of its session, a consumer's for a high watermark (read_committed: a last stable offset, which
// moves only with the high watermark) that gives it something to read; a lost
// leadership wakes all. A completed fetch is read again and answered through the replica manager,
// as DelayedFetch.onComplete calls ReplicaManager.readFromLocalLog and the response callback.
import type { EventId } from '../../sim/index.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import type { BrokerContext } from './context.js';
import { sessionPartition, type FetchSession } from './fetch-session.js';
import type { HostedPartition } from './replica-manager.js';

type Fetch = Extract<KafkaMessage, { type: 'Fetch' }>;
type FetchResult = Extract<KafkaMessage, { type: 'FetchResponse' }>['partitions'][number];

/** A fetch that found no data, waiting up to maxWaitMs for some (DelayedFetch): a follower's waits for an append, a consumer's for the high watermark. */
export interface DelayedFetch {
  readonly from: string;
  readonly request: Fetch;
  /** A follower's fetch reads its session's partitions; a consumer's, the request's. */
  readonly session: FetchSession | null;
  /** When it began to wait: waiting fetches complete in that order (a purgatory's watch list). */
  readonly sequence: number;
  timer: EventId | null;
  done: boolean;
}

/** What a waiting fetch needs of the replica manager to complete: its partitions, its reads, its answer. */
export interface FetchReads {
  get(topic: string, partition: number): HostedPartition | undefined;
  readForFetch(request: Fetch): FetchResult[];
  readSession(session: FetchSession, replica: number): readonly FetchResult[];
  sendFetchResponse(from: string, request: Fetch, session: FetchSession | null, results: readonly FetchResult[]): void;
}

export class FetchPurgatory {
  /** Followers' fetches waiting in purgatory, in the order they began to wait (one per follower at most). */
  private readonly followerFetchWaits: DelayedFetch[] = [];
  private fetchWaitSequence = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly reads: FetchReads,
  ) {}

  /** A fetch that found nothing begins to wait: a follower's on its session, a consumer's on each partition it names. */
  delayFetch(from: string, request: Fetch, session: FetchSession | null): void {
    const delayed: DelayedFetch = { from, request, session, sequence: this.fetchWaitSequence++, timer: null, done: false };
    if (session !== null) this.followerFetchWaits.push(delayed);
    else for (const part of request.partitions) this.reads.get(part.topic, part.partition)?.fetchWaits.push(delayed);
    delayed.timer = this.ctx.env.setTimer(request.maxWaitMs * 1000, () => this.completeFetch(delayed));
  }

  /**
   * Completes waiting fetches (DelayedFetch.tryComplete): an append wakes the followers whose
   * session holds the partition; a new high watermark wakes consumers that now have something to
   * read; a lost leadership wakes all. They complete in the order they began to wait.
   */
  wakeFetches(hosted: HostedPartition, which: 'followers' | 'consumers' | 'all'): void {
    // Appends are frequent and mostly wake nobody, or one fetch: nothing is allocated then. The
    // waiting fetches are listed first, since completing one may start the next request of its
    // connection, which may begin to wait in turn.
    let waiting: DelayedFetch[] | null = null;
    if (which !== 'consumers') {
      const p = hosted.partition;
      for (const delayed of this.followerFetchWaits) if (sessionPartition(delayed.session!, p.topic, p.partition) !== undefined) (waiting ??= []).push(delayed);
    }
    if (hosted.fetchWaits.length > 0) {
      const inSessions = waiting?.length ?? 0;
      for (const delayed of hosted.fetchWaits) (waiting ??= []).push(delayed);
      if (inSessions > 0) waiting!.sort(bySequence);
    }
    if (waiting === null) return;
    for (const delayed of waiting) {
      const consumer = delayed.request.replicaId < 0;
      if (which === 'followers' && consumer) continue;
      if (which === 'consumers' && (!consumer || !hasFetchData(this.reads.readForFetch(delayed.request)))) continue;
      this.completeFetch(delayed);
    }
  }

  private completeFetch(delayed: DelayedFetch): void {
    if (delayed.done) return;
    delayed.done = true;
    if (delayed.timer !== null) this.ctx.env.cancelTimer(delayed.timer);
    const session = delayed.session;
    if (session !== null) {
      this.followerFetchWaits.splice(this.followerFetchWaits.indexOf(delayed), 1);
      this.reads.sendFetchResponse(delayed.from, delayed.request, session, this.reads.readSession(session, delayed.request.replicaId));
      return;
    }
    for (const part of delayed.request.partitions) {
      const waits = this.reads.get(part.topic, part.partition)?.fetchWaits;
      const index = waits === undefined ? -1 : waits.indexOf(delayed);
      if (index >= 0) waits!.splice(index, 1);
    }
    this.reads.sendFetchResponse(delayed.from, delayed.request, null, this.reads.readForFetch(delayed.request));
  }
}

export function hasFetchData(results: readonly FetchResult[]): boolean {
  for (const result of results) if (result.batches.length > 0 || result.error !== 'NONE') return true;
  return false;
}

/** Waiting fetches in the order they began to wait. */
function bySequence(a: DelayedFetch, b: DelayedFetch): number {
  return a.sequence - b.sequence;
}
