// A follower's incremental fetch sessions on this leader (KIP-227; Kafka's FetchSession.scala:
// the FetchSession, the cache of them, FetchManager.newContext): which partitions each session
// holds, with the fetch offset, leader epoch and high watermark last seen for each, and which are
// parked as idle. Reading a session's partitions is the replica manager's (replica-manager.ts).
import type { FetchSessionError, FetchSessionRequest, KafkaMessage } from '../kafka/protocol.js';
import type { BrokerContext } from './context.js';
import { unpark, type FetchClock, type FollowerState, type Partition } from './partition.js';

type Fetch = Extract<KafkaMessage, { type: 'Fetch' }>;

/**
 * A follower's incremental fetch session on this leader (KIP-227's FetchSession): each of its
 * partitions, in session order, with the fetch offset and leader epoch it last asked for and the
 * high watermark it was last sent. Its fetches list only what changed; every fetch still reads
 * every session partition, so an idle partition costs a few comparisons and no message bytes.
 */
export interface FetchSession extends FetchClock {
  readonly id: number;
  /** The epoch its next incremental fetch must carry. */
  epoch: number;
  readonly partitions: SessionPartition[];
  /** Per topic, by partition number: requests name partitions by topic, and a lookup must not build a key string. */
  readonly byTopic: Map<string, (SessionPartition | undefined)[]>;
  /** When its partitions were last read (the parked ones' fetch time). */
  lastFetchUs: number;
}

export interface SessionPartition {
  readonly topic: string;
  readonly partition: number;
  fetchOffset: number;
  currentLeaderEpoch: number;
  /** The high watermark last sent; -1 before any, and after an error, so the next answer includes it. */
  highWatermark: number;
  /**
   * Idle: the follower's state, parked (Partition.parkFollower) when a read found it caught up,
   * in the ISR and with nothing to send; with the leader epoch and ISR of then. While the leader
   * stays so, a read of it would change nothing but fetch times, and is skipped.
   */
  parked: { readonly state: FollowerState; readonly partition: Partition; readonly leaderEpoch: number; readonly isr: readonly number[] } | null;
}

/** The leader's fetch sessions, one per follower (FetchSessionCache). */
export class FetchSessionCache {
  /** Fetch sessions by follower id: a follower fetches from a leader in one session at a time. */
  private readonly sessions = new Map<number, FetchSession>();
  /**
   * Session ids start from the clock, one per fetch at most: a restarted broker never hands out
   * an id of its previous incarnation, so a follower's stale session is never taken for a new one.
   */
  private nextSessionId: number;

  constructor(private readonly ctx: BrokerContext) {
    this.nextSessionId = ctx.env.now() + 1;
  }

  /**
   * FetchManager.newContext: a full fetch (epoch 0) opens a new session, replacing the
   * follower's old one; an incremental fetch must name the follower's session and its next
   * epoch, and updates it: listed partitions added or changed, forgotten ones removed.
   */
  updateSession(request: Fetch, sessionRequest: FetchSessionRequest): FetchSession | FetchSessionError {
    let session: FetchSession | undefined;
    if (sessionRequest.epoch === 0) {
      session = { id: this.nextSessionId++, epoch: 1, partitions: [], byTopic: new Map(), lastFetchUs: this.ctx.env.now() };
      this.sessions.set(request.replicaId, session);
    } else {
      session = this.sessions.get(request.replicaId);
      if (session === undefined || session.id !== sessionRequest.id) return 'FETCH_SESSION_ID_NOT_FOUND';
      if (session.epoch !== sessionRequest.epoch) return 'INVALID_FETCH_SESSION_EPOCH';
      session.epoch += 1;
    }
    for (const { topic, partition, fetchOffset, currentLeaderEpoch } of request.partitions) {
      const cached = sessionPartition(session, topic, partition);
      if (cached !== undefined) {
        unparkPartition(cached);
        cached.fetchOffset = fetchOffset;
        cached.currentLeaderEpoch = currentLeaderEpoch;
        continue;
      }
      const added: SessionPartition = { topic, partition, fetchOffset, currentLeaderEpoch, highWatermark: -1, parked: null };
      session.partitions.push(added);
      let byPartition = session.byTopic.get(topic);
      if (byPartition === undefined) {
        byPartition = [];
        session.byTopic.set(topic, byPartition);
      }
      byPartition[partition] = added;
    }
    if (sessionRequest.forgotten.length > 0) {
      for (const { topic, partition } of sessionRequest.forgotten) {
        const forgotten = sessionPartition(session, topic, partition);
        if (forgotten === undefined) continue;
        unparkPartition(forgotten); // no longer fetched: its time stops here
        session.byTopic.get(topic)![partition] = undefined;
        session.partitions.splice(session.partitions.indexOf(forgotten), 1);
      }
    }
    return session;
  }
}

/**
 * A parked partition whose leader is as it was: still leading in the same epoch with the same
 * ISR, its log end and high watermark still the follower's fetch offset and the high watermark
 * it was sent. Reading it would find nothing to send, record a fetch that moves only the
 * follower's fetch times (which its session's clock gives), move no high watermark and add no
 * replica to the ISR.
 */
export function isIdle(part: SessionPartition): boolean {
  const parked = part.parked;
  if (parked === null) return false;
  const p = parked.partition;
  const offset = part.fetchOffset;
  return p.isLeader && p.leaderEpoch === parked.leaderEpoch && p.isr === parked.isr && p.log.logEndOffset === offset && p.highWatermark === offset && part.highWatermark === offset;
}

export function sessionPartition(session: FetchSession, topic: string, partition: number): SessionPartition | undefined {
  return session.byTopic.get(topic)?.[partition];
}

export function unparkPartition(part: SessionPartition): void {
  if (part.parked === null) return;
  unpark(part.parked.state);
  part.parked = null;
}
