// One consumer group as the classic group coordinator keeps it (Kafka's GroupMetadata and
// MemberMetadata): its state machine, its members with their protocols, session and rebalance
// timeouts, the callbacks of their parked JoinGroup and SyncGroup requests, and its committed
// offsets. The rules of the protocol are in group-coordinator.ts; this file keeps the state.
import type { EventId } from '../../sim/index.js';
import { invariant } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { GroupProtocol, Subscription, TopicPartitionRef } from '../kafka/protocol.js';
import { ScalaHashMap, scalaImmutableHashMapOrder } from './scala-order.js';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

/** Each state's valid previous states (GroupMetadata's GroupState.validPreviousStates). */
const VALID_PREVIOUS: Record<GroupState, readonly GroupState[]> = {
  PreparingRebalance: ['Stable', 'CompletingRebalance', 'Empty'],
  CompletingRebalance: ['PreparingRebalance'],
  Stable: ['CompletingRebalance'],
  Dead: ['Stable', 'PreparingRebalance', 'CompletingRebalance', 'Empty', 'Dead'],
  Empty: ['PreparingRebalance'],
};

export interface JoinResult {
  readonly error: KafkaError;
  readonly memberId: string;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leader: string;
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null; readonly metadata: Subscription }[];
}

export interface SyncResult {
  readonly error: KafkaError;
  readonly assignment: readonly TopicPartitionRef[];
}

export type JoinCallback = (result: JoinResult) => void;
export type SyncCallback = (result: SyncResult) => void;

export function joinError(memberId: string, error: KafkaError): JoinResult {
  return { error, memberId, generationId: -1, protocolName: null, leader: '', members: [] };
}

export class MemberMetadata {
  awaitingJoin: JoinCallback | null = null;
  awaitingSync: SyncCallback | null = null;
  /** Joined and not yet through a join phase: its JoinGroup may expire (NewMemberJoinTimeoutMs). */
  isNew = false;
  assignment: readonly TopicPartitionRef[] = [];
  /** The pending session (or new-member join) expiry: Kafka's DelayedHeartbeat. */
  heartbeatTimer: EventId | null = null;

  constructor(
    public memberId: string,
    readonly groupInstanceId: string | null,
    readonly clientNode: string,
    public rebalanceTimeoutMs: number,
    public sessionTimeoutMs: number,
    public protocols: readonly GroupProtocol[],
  ) {}

  get isStatic(): boolean {
    return this.groupInstanceId !== null;
  }

  get isAwaitingJoin(): boolean {
    return this.awaitingJoin !== null;
  }

  get isAwaitingSync(): boolean {
    return this.awaitingSync !== null;
  }

  metadata(protocol: string): Subscription {
    const found = this.protocols.find((p) => p.name === protocol);
    invariant(found !== undefined, () => `member ${this.memberId} does not support protocol ${protocol}`);
    return found.metadata;
  }

  /** Same protocols, in the same order, with the same metadata (MemberMetadata.matches). */
  matches(protocols: readonly GroupProtocol[]): boolean {
    return protocols.length === this.protocols.length && protocols.every((p, i) => p.name === this.protocols[i]!.name && sameSubscription(p.metadata, this.protocols[i]!.metadata));
  }

  /** Its first protocol (in its order of preference) among the candidates. */
  vote(candidates: ReadonlySet<string>): string {
    const choice = this.protocols.find((p) => candidates.has(p.name));
    invariant(choice !== undefined, () => `member ${this.memberId} supports none of ${[...candidates]}`);
    return choice.name;
  }
}

export function sameSubscription(a: Subscription, b: Subscription): boolean {
  return a.generation === b.generation &&
    a.topics.length === b.topics.length && a.topics.every((t, i) => t === b.topics[i]) &&
    a.ownedPartitions.length === b.ownedPartitions.length &&
    a.ownedPartitions.every((tp, i) => tp.topic === b.ownedPartitions[i]!.topic && tp.partition === b.ownedPartitions[i]!.partition);
}

/** A committed offset as the cache keeps it, with where its record stands in the offsets log. */
export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly recordOffset: number; // the offset of the batch that stored it (Kafka's appendedBatchOffset)
}

/** A transactional offset commit (TxnOffsetCommit) waiting for its transaction's marker; recordOffset null until its record is replicated. */
export interface PendingTxnOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  recordOffset: number | null;
}

export class GroupMetadata {
  private stateValue: GroupState;
  generationId = 0;
  protocolName: string | null = null;
  protocolType: string | null = null;
  leaderId: string | null = null;
  private readonly members = new ScalaHashMap<MemberMetadata>();
  /** group.instance.id → member id (KIP-345). */
  private readonly staticMembers = new Map<string, string>();
  private readonly supportedProtocols = new Map<string, number>();
  private numMembersAwaitingJoin = 0;
  /** Members that have not sent SyncGroup since the join phase (KIP-814's pending sync). */
  readonly pendingSyncMembers = new Set<string>();
  /** A new member joined during the initial delayed join (InitialDelayedJoin extends the wait). */
  newMemberAdded = false;
  readonly offsets = new Map<string, CommittedOffset>(); // key: tpKey
  /** OffsetCommits whose records are not yet replicated, per partition (pendingOffsetCommits; counted, for OffsetFetch's requireStable). */
  readonly pendingOffsetCommits = new Map<string, number>();
  /** Transactional offset commits per producer id, until the transaction's marker decides them (pendingTransactionalOffsetCommits). */
  readonly pendingTransactionalOffsetCommits = new Map<number, Map<string, PendingTxnOffset>>();
  /** The delayed join of the current rebalance (DelayedJoin / InitialDelayedJoin). */
  joinTimer: EventId | null = null;
  /** The delayed join is an InitialDelayedJoin, which never completes early. */
  initialJoin = false;
  /** The delayed sync of the current generation (DelayedSync). */
  syncTimer: EventId | null = null;

  constructor(
    readonly groupId: string,
    initialState: GroupState,
  ) {
    this.stateValue = initialState;
  }

  get state(): GroupState {
    return this.stateValue;
  }

  is(state: GroupState): boolean {
    return this.stateValue === state;
  }

  transitionTo(state: GroupState): void {
    invariant(VALID_PREVIOUS[state].includes(this.stateValue), () => `group ${this.groupId}: no transition from ${this.stateValue} to ${state}`);
    this.stateValue = state;
  }

  /** PreparingRebalance is reachable (GroupMetadata.canRebalance). */
  get canRebalance(): boolean {
    return VALID_PREVIOUS.PreparingRebalance.includes(this.stateValue);
  }

  // ---- members ----------------------------------------------------------------------------

  get size(): number {
    return this.members.size;
  }

  has(memberId: string): boolean {
    return this.members.has(memberId);
  }

  get(memberId: string): MemberMetadata {
    const member = this.members.get(memberId);
    invariant(member !== undefined, () => `group ${this.groupId} has no member ${memberId}`);
    return member;
  }

  /** Members in Scala's HashMap order: the order of the leader's JoinGroup member list. */
  allMembers(): MemberMetadata[] {
    return this.members.values();
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  currentStaticMemberId(groupInstanceId: string): string | null {
    return this.staticMembers.get(groupInstanceId) ?? null;
  }

  add(member: MemberMetadata, callback: JoinCallback | null): void {
    if (member.groupInstanceId !== null) {
      invariant(!this.staticMembers.has(member.groupInstanceId), () => `group ${this.groupId}: static member ${member.groupInstanceId} added twice`);
      this.staticMembers.set(member.groupInstanceId, member.memberId);
    }
    if (this.members.size === 0) this.protocolType = 'consumer';
    if (this.leaderId === null) this.leaderId = member.memberId;
    this.members.set(member.memberId, member);
    this.countProtocols(member, +1);
    member.awaitingJoin = callback;
    if (callback !== null) this.numMembersAwaitingJoin += 1;
  }

  remove(memberId: string): void {
    const member = this.members.get(memberId);
    if (member !== undefined) {
      this.members.delete(memberId);
      this.countProtocols(member, -1);
      if (member.isAwaitingJoin) this.numMembersAwaitingJoin -= 1;
      if (member.groupInstanceId !== null) this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.isLeader(memberId)) this.leaderId = this.members.keys()[0] ?? null;
    this.pendingSyncMembers.delete(memberId);
  }

  /**
   * KIP-345: the static member `groupInstanceId` continues under a new member id. The old id's
   * parked JoinGroup or SyncGroup is answered FENCED_INSTANCE_ID (GroupMetadata.replaceStaticMember).
   */
  replaceStaticMember(groupInstanceId: string, oldMemberId: string, newMemberId: string): MemberMetadata {
    const member = this.get(oldMemberId);
    this.members.delete(oldMemberId);
    this.maybeInvokeJoinCallback(member, joinError(oldMemberId, 'FENCED_INSTANCE_ID'));
    this.maybeInvokeSyncCallback(member, { error: 'FENCED_INSTANCE_ID', assignment: [] });
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.isLeader(oldMemberId)) this.leaderId = newMemberId;
    this.staticMembers.set(groupInstanceId, newMemberId);
    return member;
  }

  updateMember(member: MemberMetadata, protocols: readonly GroupProtocol[], rebalanceTimeoutMs: number, sessionTimeoutMs: number, callback: JoinCallback | null): void {
    this.countProtocols(member, -1);
    member.protocols = protocols;
    this.countProtocols(member, +1);
    member.rebalanceTimeoutMs = rebalanceTimeoutMs;
    member.sessionTimeoutMs = sessionTimeoutMs;
    if (callback !== null && !member.isAwaitingJoin) this.numMembersAwaitingJoin += 1;
    else if (callback === null && member.isAwaitingJoin) this.numMembersAwaitingJoin -= 1;
    member.awaitingJoin = callback;
  }

  maybeInvokeJoinCallback(member: MemberMetadata, result: JoinResult): void {
    const callback = member.awaitingJoin;
    if (callback === null) return;
    member.awaitingJoin = null;
    this.numMembersAwaitingJoin -= 1;
    callback(result);
  }

  /** Returns true when the member had a parked SyncGroup, now answered. */
  maybeInvokeSyncCallback(member: MemberMetadata, result: SyncResult): boolean {
    const callback = member.awaitingSync;
    if (callback === null) return false;
    member.awaitingSync = null;
    callback(result);
    return true;
  }

  get numAwaitingJoin(): number {
    return this.numMembersAwaitingJoin;
  }

  hasAllMembersJoined(): boolean {
    return this.members.size === this.numMembersAwaitingJoin;
  }

  /** The largest rebalance timeout of the members: how long a join phase may last. */
  get rebalanceTimeoutMs(): number {
    return this.allMembers().reduce((max, m) => Math.max(max, m.rebalanceTimeoutMs), 0);
  }

  /**
   * When the leader did not rejoin, the first member that did becomes leader. False when no
   * member rejoined (or the group has none).
   */
  maybeElectNewJoinedLeader(): boolean {
    if (this.leaderId === null) return false;
    if (this.get(this.leaderId).isAwaitingJoin) return true;
    const joined = this.allMembers().find((m) => m.isAwaitingJoin);
    if (joined === undefined) return false;
    this.leaderId = joined.memberId;
    return true;
  }

  // ---- protocols ------------------------------------------------------------------------

  private countProtocols(member: MemberMetadata, delta: 1 | -1): void {
    for (const { name } of member.protocols) this.supportedProtocols.set(name, (this.supportedProtocols.get(name) ?? 0) + delta);
  }

  /** An Empty group takes any protocols; otherwise one of them must be supported by every member. */
  supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[]): boolean {
    if (this.is('Empty')) return protocolType !== '' && protocols.length > 0;
    return this.protocolType === protocolType && protocols.some((p) => this.supportedProtocols.get(p.name) === this.members.size);
  }

  /**
   * The protocol every member supports with the most votes, each member voting for its first
   * supported candidate (GroupMetadata.selectProtocol). A tie goes to the protocol Scala's
   * `groupBy(...).maxBy(...)` meets first: the first in immutable.HashMap order.
   */
  selectProtocol(): string {
    invariant(this.members.size > 0, () => `group ${this.groupId}: cannot select a protocol for an empty group`);
    const candidates = new Set([...this.supportedProtocols].filter(([, count]) => count === this.members.size).map(([name]) => name));
    const votes = new Map<string, number>();
    for (const member of this.allMembers()) {
      const choice = member.vote(candidates);
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    let best: string | null = null;
    for (const name of scalaImmutableHashMapOrder([...votes.keys()])) if (best === null || votes.get(name)! > votes.get(best)!) best = name;
    return best!;
  }

  /** The join phase is over: a new generation, its protocol, CompletingRebalance (or Empty). */
  initNextGeneration(): void {
    this.generationId += 1;
    if (this.members.size > 0) {
      this.protocolName = this.selectProtocol();
      this.transitionTo('CompletingRebalance');
    } else {
      this.protocolName = null;
      this.transitionTo('Empty');
    }
    this.pendingSyncMembers.clear();
  }

  /** Every member's subscription for the chosen protocol: the leader's JoinGroup members. */
  currentMemberMetadata(): JoinResult['members'] {
    invariant(!this.is('Dead') && !this.is('PreparingRebalance'), () => `group ${this.groupId}: no member metadata in state ${this.state}`);
    return this.allMembers().map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata(this.protocolName!) }));
  }

  /**
   * A Stable group's invariants: its leader is a member, no partition is assigned to two of its
   * members, and the count of parked JoinGroups matches the members that have one.
   */
  checkStable(): void {
    invariant(this.is('Stable'), () => `group ${this.groupId}: checked as Stable in state ${this.state}`);
    invariant(this.leaderId !== null && this.has(this.leaderId), () => `group ${this.groupId}: Stable with leader ${this.leaderId}, not a member`);
    const owner = new Map<string, string>();
    for (const member of this.allMembers()) {
      for (const { topic, partition } of member.assignment) {
        const key = `${topic}-${partition}`;
        const other = owner.get(key);
        invariant(other === undefined, () => `group ${this.groupId} generation ${this.generationId}: ${key} assigned to both ${other} and ${member.memberId}`);
        owner.set(key, member.memberId);
      }
    }
    this.checkAwaitingCount();
  }

  checkAwaitingCount(): void {
    const awaiting = this.allMembers().filter((m) => m.isAwaitingJoin).length;
    invariant(awaiting === this.numMembersAwaitingJoin, () => `group ${this.groupId}: ${this.numMembersAwaitingJoin} counted awaiting join, ${awaiting} are`);
  }
}
