// One partition as one broker hosts it: leader or follower, the ISR, the high watermark.
// This is where ISR shrink, ISR expand and high-watermark advance live (Kafka's Partition).
import { invariant } from '../../sim/index.js';
import { tpKey } from '../kafka/records.js';
import type { PartitionState } from '../kafka/protocol.js';
import type { PartitionLog } from './log.js';

/** What the leader knows of one follower (Kafka's ReplicaState). */
export interface FollowerState {
  logEndOffset: number; // -1 until the follower's first fetch to this leader
  lastCaughtUpUs: number; // the last time its fetch offset reached the leader's LEO (as of then)
  lastFetchLeaderLogEndOffset: number;
  lastFetchUs: number;
  /**
   * Set while the follower sits caught up in its fetch session: each fetch of the session would
   * only move lastCaughtUpUs and lastFetchUs to its own time, so the leader skips the partition
   * and these two read the session's last fetch time instead (see `settle`).
   */
  parkedIn: FetchClock | null;
}

/** The time of a fetch session's latest fetch (ReplicaManager's FetchSession). */
export interface FetchClock {
  readonly lastFetchUs: number;
}

export type Role = 'leader' | 'follower' | 'offline';

export class Partition {
  readonly key: string;
  role: Role = 'offline';
  leader = -1;
  leaderEpoch = -1;
  controllerEpoch = -1;
  zkVersion = -1;
  replicas: readonly number[] = [];
  isr: readonly number[] = [];
  highWatermark = 0;
  /** The first offset of the current leader epoch (leader only). */
  leaderEpochStartOffset = 0;
  readonly followers = new Map<number, FollowerState>();
  /** An ISR change written to ZooKeeper and not yet answered: no other change starts meanwhile. */
  pendingIsr: readonly number[] | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly brokerId: number,
    readonly log: PartitionLog,
    highWatermark: number,
  ) {
    this.key = tpKey(topic, partition);
    this.highWatermark = Math.min(highWatermark, log.logEndOffset);
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /**
   * Becomes leader for `state` (LeaderAndIsr). With `cacheEpochStart` (2.0.1+, KAFKA-7415) the
   * new epoch is cached at once, so a follower asking about an epoch this log never had learns
   * where it diverges; before, the first append in the epoch caches it.
   */
  makeLeader(state: PartitionState, nowUs: number, cacheEpochStart = true): void {
    this.adopt(state);
    const isNewLeader = this.role !== 'leader';
    this.role = 'leader';
    this.leaderEpochStartOffset = this.log.logEndOffset;
    if (cacheEpochStart) this.log.assignEpochStartOffset(state.leaderEpoch, this.leaderEpochStartOffset);
    const leaderEnd = this.log.logEndOffset;
    for (const replica of this.replicas) {
      if (replica === this.brokerId) continue;
      const previous = this.followers.get(replica);
      this.followers.set(replica, {
        logEndOffset: isNewLeader || previous === undefined ? -1 : previous.logEndOffset,
        lastCaughtUpUs: this.isr.includes(replica) ? nowUs : 0,
        lastFetchLeaderLogEndOffset: leaderEnd,
        lastFetchUs: nowUs,
        parkedIn: null,
      });
    }
    this.pendingIsr = null;
  }

  get isrUpdateInFlight(): boolean {
    return this.pendingIsr !== null;
  }

  makeFollower(state: PartitionState): void {
    this.adopt(state);
    this.role = 'follower';
    this.followers.clear();
    this.pendingIsr = null;
  }

  /** The controller's view changed without a new role for us (ISR or zkVersion). */
  adopt(state: PartitionState): void {
    this.leader = state.leader;
    this.leaderEpoch = state.leaderEpoch;
    this.controllerEpoch = state.controllerEpoch;
    this.zkVersion = state.zkVersion;
    this.replicas = state.replicas;
    this.isr = state.isr;
    invariant(this.isr.every((r) => this.replicas.includes(r)), () => `${this.key}: ISR ${this.isr} is not a subset of replicas ${this.replicas}`);
  }

  /** A follower fetched from `fetchOffset` (Kafka's updateFollowerFetchState). */
  recordFollowerFetch(replica: number, fetchOffset: number, nowUs: number): void {
    const state = this.followers.get(replica);
    if (state === undefined) return;
    unpark(state);
    const leaderEnd = this.log.logEndOffset;
    if (fetchOffset >= leaderEnd) state.lastCaughtUpUs = Math.max(state.lastCaughtUpUs, nowUs);
    else if (fetchOffset >= state.lastFetchLeaderLogEndOffset) state.lastCaughtUpUs = Math.max(state.lastCaughtUpUs, state.lastFetchUs);
    state.logEndOffset = fetchOffset;
    state.lastFetchLeaderLogEndOffset = leaderEnd;
    state.lastFetchUs = nowUs;
  }

  /**
   * The follower just fetched, caught up, in sync, with nothing new for it: until something
   * changes, its session's fetches need not record it (ReplicaManager checks what could change).
   */
  parkFollower(replica: number, clock: FetchClock): FollowerState | null {
    const state = this.followers.get(replica);
    if (state === undefined) return null;
    state.parkedIn = clock;
    return state;
  }

  /** A follower outside the ISR that reached the HW and this epoch's start may rejoin it. */
  followerToAdd(replica: number): boolean {
    if (!this.isLeader || this.isr.includes(replica)) return false;
    const state = this.followers.get(replica);
    return state !== undefined && state.logEndOffset >= this.highWatermark && state.logEndOffset >= this.leaderEpochStartOffset;
  }

  /** Followers in the ISR that have not caught up for longer than `lagMaxUs`. */
  outOfSyncReplicas(nowUs: number, lagMaxUs: number): number[] {
    if (!this.isLeader) return [];
    const leaderEnd = this.log.logEndOffset;
    return this.isr.filter((replica) => {
      if (replica === this.brokerId) return false;
      const state = this.followers.get(replica);
      if (state === undefined) return true;
      settle(state);
      return state.logEndOffset !== leaderEnd && nowUs - state.lastCaughtUpUs > lagMaxUs;
    });
  }

  /** When the follower last caught up to this leader's log end (0 if unknown). */
  lastCaughtUpUs(replica: number): number {
    const state = this.followers.get(replica);
    if (state === undefined) return 0;
    settle(state);
    return state.lastCaughtUpUs;
  }

  /**
   * The HW is the smallest LEO in the ISR; it never moves back. Returns true when it moved.
   * While an ISR change is pending, the maximal ISR counts (KIP-497): a follower being added
   * holds the HW back from the moment it is proposed, so the ISR it joins never claims records
   * it lacks. (Before 2.7 the ZooKeeper write blocked appends instead, to the same effect.)
   */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let candidate = this.log.logEndOffset;
    if (candidate <= this.highWatermark) return false; // the usual case: everything is replicated
    const maximalIsr = this.pendingIsr === null ? this.isr : [...this.isr, ...this.pendingIsr.filter((r) => !this.isr.includes(r))];
    // An index loop: ISR lists come frozen from ZooKeeper, and for-of over a frozen array is slow.
    for (let i = 0; i < maximalIsr.length; i++) {
      const replica = maximalIsr[i]!;
      if (replica === this.brokerId) continue;
      const state = this.followers.get(replica);
      const end = state === undefined ? -1 : state.logEndOffset;
      if (end < candidate) candidate = end;
    }
    if (candidate <= this.highWatermark) return false;
    this.highWatermark = candidate;
    this.checkHighWatermark();
    return true;
  }

  /** A follower's HW: the leader's, capped by its own LEO. Returns true when it moved. */
  updateFollowerHighWatermark(leaderHighWatermark: number): boolean {
    const next = Math.min(leaderHighWatermark, this.log.logEndOffset);
    if (next === this.highWatermark) return false;
    this.highWatermark = next;
    return true;
  }

  /** After a truncation the HW cannot stand above the log end. */
  clampHighWatermark(): void {
    if (this.highWatermark > this.log.logEndOffset) this.highWatermark = this.log.logEndOffset;
  }

  checkHighWatermark(): void {
    // Runs per fetch: the message closure is made only when the check fails.
    if (this.highWatermark > this.log.logEndOffset) invariant(false, () => `${this.key} on broker ${this.brokerId}: HW ${this.highWatermark} > LEO ${this.log.logEndOffset}`);
  }
}

/** A parked follower's fetch times are its session's last fetch: every fetch caught it up. */
function settle(state: FollowerState): void {
  const clock = state.parkedIn;
  if (clock === null) return;
  if (clock.lastFetchUs > state.lastCaughtUpUs) state.lastCaughtUpUs = clock.lastFetchUs;
  if (clock.lastFetchUs > state.lastFetchUs) state.lastFetchUs = clock.lastFetchUs;
}

/** Its fetches are recorded one by one again. */
export function unpark(state: FollowerState): void {
  settle(state);
  state.parkedIn = null;
}
