// One partition as one broker hosts it: leader or follower, the ISR, the high watermark.
// This is where ISR shrink, ISR expand and high-watermark advance live (Kafka's Partition).
import { invariant } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import { tpKey } from '../kafka/records.js';
import type { AlterPartitionResult, PartitionState } from '../kafka/protocol.js';
import type { PartitionLog } from './log.js';
import type { Behaviour } from './profile.js';

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

/** The time of a fetch session's latest fetch (FetchSession, fetch-session.ts). */
export interface FetchClock {
  readonly lastFetchUs: number;
}

export type Role = 'leader' | 'follower' | 'offline';

/**
 * An ISR change the leader asked for and has not seen answered (Kafka's PendingExpandIsr /
 * PendingShrinkIsr, 2.7+; before 2.7 the ZooKeeper write in flight). Meanwhile no other change
 * starts, and the HW and acks=all count the maximal ISR.
 */
export interface PendingIsrChange {
  readonly kind: 'expand' | 'shrink';
  /** The ISR asked for. */
  readonly isr: readonly number[];
  /**
   * The committed ISR plus a replica being added (KIP-497): adding one only makes the HW wait
   * longer, so it counts at once; a replica being removed counts until the change is committed.
   */
  readonly maximalIsr: readonly number[];
  readonly added: readonly number[];
  readonly removed: readonly number[];
  /** For a shrink: how long the slowest removed follower had not caught up. */
  readonly lagMs: number;
  /** The leader epoch and state znode version the change is based on. */
  readonly leaderEpoch: number;
  readonly zkVersion: number;
}

/**
 * What the leader did with the answer to its ISR change (Partition.handleAlterPartitionUpdate /
 * handleAlterPartitionError): committed it; ignored it (an answer for another change, or one it
 * cannot apply: the change stays pending); or, refused, kept the change pending until a
 * LeaderAndIsr, went back to the committed ISR, or asks again.
 */
export type IsrAnswerOutcome = 'committed' | 'ignored' | 'stays-pending' | 'back-to-committed' | 'retries';

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
  /** An ISR change asked for and not yet answered: no other change starts meanwhile. */
  pendingIsrChange: PendingIsrChange | null = null;
  /**
   * min.insync.replicas when the HW may not advance with a smaller ISR (KAFKA-15583, 3.7+); 0 when
   * the profile has no such rule. Counts as at most the replica count (Partition.effectiveMinIsr).
   */
  minIsrForHighWatermark = 0;
  /** Set when the HW was first held under min.insync.replicas with the current ISR (the trace tells it once a stay). */
  hwHeldNews = false;
  private hwHeldIsr: readonly number[] | null = null;

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
    this.pendingIsrChange = null;
    this.hwHeldIsr = null;
  }

  get isrUpdateInFlight(): boolean {
    return this.pendingIsrChange !== null;
  }

  /** The ISR the HW and the acks=all check count: with a replica being added, it counts already (KIP-497). */
  get maximalIsr(): readonly number[] {
    return this.pendingIsrChange?.maximalIsr ?? this.isr;
  }

  /**
   * How many replicas an acks=all write reached the HW with (Partition.checkEnoughReplicasReachOffset):
   * the maximal ISR from 2.7 (KIP-497), the ISR before.
   */
  isrSizeAfterAppend(behaviour: Behaviour): number {
    return behaviour.alterIsr ? this.maximalIsr.length : this.isr.length;
  }

  makeFollower(state: PartitionState): void {
    this.adopt(state);
    this.role = 'follower';
    this.followers.clear();
    this.pendingIsrChange = null;
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
   * changes, its session's fetches need not record it (isIdle, in fetch-session.ts, checks what
   * could change).
   */
  parkFollower(replica: number, clock: FetchClock): FollowerState | null {
    const state = this.followers.get(replica);
    if (state === undefined) return null;
    state.parkedIn = clock;
    return state;
  }

  /**
   * The leader asks to add `replica` (Partition.prepareIsrExpand): the ISR in replica order, and at
   * once the maximal ISR, so the HW waits for the new member from now on.
   */
  prepareIsrExpand(replica: number): PendingIsrChange {
    invariant(this.isLeader && this.pendingIsrChange === null, () => `${this.key} on broker ${this.brokerId}: an ISR expansion while not leader or with a change pending`);
    const isr = this.replicas.filter((r) => r === replica || this.isr.includes(r));
    const change: PendingIsrChange = { kind: 'expand', isr, maximalIsr: isr, added: [replica], removed: [], lagMs: 0, leaderEpoch: this.leaderEpoch, zkVersion: this.zkVersion };
    this.pendingIsrChange = change;
    return change;
  }

  /** The leader asks to remove out-of-sync followers (Partition.prepareIsrShrink); they count until it is committed. */
  prepareIsrShrink(outOfSync: readonly number[], lagMs: number): PendingIsrChange {
    invariant(this.isLeader && this.pendingIsrChange === null, () => `${this.key} on broker ${this.brokerId}: an ISR shrink while not leader or with a change pending`);
    const isr = this.isr.filter((r) => !outOfSync.includes(r));
    const change: PendingIsrChange = { kind: 'shrink', isr, maximalIsr: this.isr, added: [], removed: [...outOfSync], lagMs, leaderEpoch: this.leaderEpoch, zkVersion: this.zkVersion };
    this.pendingIsrChange = change;
    return change;
  }

  /**
   * The answer to `change` (Partition.scala 2.7+: handleAlterIsrResponse; 3.1+:
   * handleAlterPartitionUpdate / handleAlterPartitionError). Before 2.7 the answer is the
   * leader's own ZooKeeper write, and any failure leaves the committed ISR (Partition.scala 2.6).
   */
  handleIsrAnswer(change: PendingIsrChange, answer: AlterPartitionResult, behaviour: Behaviour): IsrAnswerOutcome {
    // Leadership, or another change, came since: the answer is for a state we left.
    if (this.pendingIsrChange !== change || !this.isLeader) return 'ignored';
    if (answer.error !== 'NONE') {
      const outcome = refusalOutcome(answer.error, behaviour);
      if (outcome === 'back-to-committed') this.pendingIsrChange = null;
      return outcome;
    }
    // An answer for an older leader epoch, or an older state than ours, is not applied: the change
    // stays pending until a LeaderAndIsr resets it. 2.7 also ignored one at our own version.
    if (answer.leaderEpoch !== this.leaderEpoch) return 'ignored';
    if (answer.zkVersion < this.zkVersion || (answer.zkVersion === this.zkVersion && !behaviour.alterIsrSameVersionCommits && behaviour.alterIsr)) return 'ignored';
    this.pendingIsrChange = null;
    this.isr = answer.isr;
    this.zkVersion = answer.zkVersion;
    invariant(this.isr.includes(this.brokerId) && this.isr.every((r) => this.replicas.includes(r)), () => `${this.key} on broker ${this.brokerId}: committed ISR ${this.isr} without the leader or outside replicas ${this.replicas}`);
    return 'committed';
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
   * From 3.7 the HW does not move at all while the ISR is smaller than min.insync.replicas
   * (KAFKA-15583, Partition.maybeIncrementLeaderHW / isUnderMinIsr): `hwHeldNews` says so once.
   */
  maybeIncrementHighWatermark(): boolean {
    if (!this.isLeader) return false;
    let candidate = this.log.logEndOffset;
    if (candidate <= this.highWatermark) return false; // the usual case: everything is replicated
    // effectiveMinIsr: min.insync.replicas, but never more than the replicas there are.
    if (this.isr.length < this.minIsrForHighWatermark && this.isr.length < this.replicas.length) {
      if (this.hwHeldIsr !== this.isr) {
        this.hwHeldIsr = this.isr;
        this.hwHeldNews = true;
      }
      return false;
    }
    const maximalIsr = this.pendingIsrChange === null ? this.isr : this.pendingIsrChange.maximalIsr;
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

/**
 * What the leader does with a refused ISR change. Before 2.7 (its own ZooKeeper write failed) it
 * keeps its committed ISR. Since 2.7: an answer that says the controller's state moved on
 * (FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, UNKNOWN_TOPIC_OR_PARTITION) keeps the change
 * pending until a LeaderAndIsr; one that says nothing was done (OPERATION_NOT_ATTEMPTED 3.0+,
 * INELIGIBLE_REPLICA 3.3+) goes back to the committed ISR; anything else is sent again.
 */
function refusalOutcome(error: KafkaError, behaviour: Behaviour): IsrAnswerOutcome {
  if (!behaviour.alterIsr) return 'back-to-committed';
  switch (error) {
    case 'OPERATION_NOT_ATTEMPTED':
    case 'INELIGIBLE_REPLICA':
      return 'back-to-committed';
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'FENCED_LEADER_EPOCH':
    case 'INVALID_UPDATE_VERSION':
      return 'stays-pending';
    default:
      return 'retries';
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
