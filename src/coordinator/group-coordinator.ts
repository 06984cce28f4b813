// The classic group coordinator of a ZooKeeper-mode broker (Kafka 3.9's GroupCoordinator): one
// per broker, coordinating the groups whose __consumer_offsets partition this broker leads.
// It runs the join phase (PreparingRebalance: wait for every member's JoinGroup, or the rebalance
// timeout), hands the leader the members' subscriptions, stores the leader's assignment
// (CompletingRebalance → Stable), expires members whose session lapses, fences replaced static
// members (KIP-345), and stores and serves committed offsets.
//
// Kafka's purgatories become timers here: a member's DelayedHeartbeat is its `heartbeatTimer`,
// the group's DelayedJoin / InitialDelayedJoin its `joinTimer`, its DelayedSync its `syncTimer`.
// Parked JoinGroup and SyncGroup requests are callbacks on their members, answered later.
import { invariant } from '../../sim/index.js';
import type { BrokerContext } from '../broker/context.js';
import type { KafkaError } from '../kafka/errors.js';
import type { GroupEvent } from '../kafka/events.js';
import type { KafkaMessage, TopicPartitionRef } from '../kafka/protocol.js';
import type { CoordinatorSettings } from './config.js';
import { GroupMetadata, MemberMetadata, joinError, type JoinCallback, type JoinResult, type SyncResult } from './group.js';
import { GroupMetadataManager, type OffsetsLog } from './group-metadata-manager.js';

type Request<T extends KafkaMessage['type']> = Extract<KafkaMessage, { type: T }>;
type JoinGroup = Request<'JoinGroup'>;
type RemovalReason = Extract<GroupEvent, { kind: 'group.member-removed' }>['reason'];

/** A new member's JoinGroup expires after 5 minutes (GroupCoordinator.NewMemberJoinTimeoutMs). */
const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;
const MEMBER_ID_FILE = 'coordinator-member-id-block';
const MEMBER_ID_BLOCK = 1000;

export class GroupCoordinator {
  private readonly manager: GroupMetadataManager;
  private nextMemberNumber = 0;
  private memberNumberLimit = 0;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly settings: CoordinatorSettings,
    log: OffsetsLog,
  ) {
    this.manager = new GroupMetadataManager(settings, log, () => ctx.env.now());
  }

  partitionFor(groupId: string): number {
    return this.manager.partitionFor(groupId);
  }

  // ---- leadership of __consumer_offsets partitions (GroupCoordinator.onElection / onResignation)

  onElection(partition: number): void {
    const groups = this.manager.loadGroupsAndOffsets(partition);
    this.trace({ kind: 'group.loaded', broker: this.ctx.id, partition, groups: groups.map((g) => g.groupId) });
    for (const group of groups) this.onGroupLoaded(group);
  }

  onResignation(partition: number): void {
    const groups = this.manager.removeGroupsForPartition(partition);
    if (groups === null) return; // not ours: nothing to unload
    this.trace({ kind: 'group.unloaded', broker: this.ctx.id, partition, groups: groups.map((g) => g.groupId) });
    for (const group of groups) this.onGroupUnloaded(group);
  }

  /** A loaded group's members start their sessions afresh (onGroupLoaded). */
  private onGroupLoaded(group: GroupMetadata): void {
    for (const member of group.allMembers()) this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
    if (group.size > this.settings.groupMaxSize) this.prepareRebalance(group, `loaded group is over group.max.size (${this.settings.groupMaxSize})`);
  }

  /** The group moved away: it is Dead here, and its parked requests are told NOT_COORDINATOR. */
  private onGroupUnloaded(group: GroupMetadata): void {
    group.transitionTo('Dead');
    this.cancelJoinTimer(group);
    this.cancelSyncTimer(group);
    for (const member of group.allMembers()) {
      this.cancelHeartbeat(member);
      group.maybeInvokeJoinCallback(member, joinError(member.memberId, 'NOT_COORDINATOR'));
      group.maybeInvokeSyncCallback(member, { error: 'NOT_COORDINATOR', assignment: [] });
    }
  }

  /** Requests for groups of partitions this broker does not lead (validateGroupStatus). */
  private groupStatusError(groupId: string): KafkaError | null {
    return this.manager.isGroupLocal(groupId) ? null : 'NOT_COORDINATOR';
  }

  // ---- JoinGroup ----------------------------------------------------------------------------

  handleJoinGroup(from: string, request: JoinGroup): void {
    const respond: JoinCallback = (r) => this.ctx.env.send(from, { type: 'JoinGroupResponse', correlationId: request.correlationId, ...r });
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return respond(joinError(request.memberId, statusError));
    if (request.sessionTimeoutMs < this.settings.groupMinSessionTimeoutMs || request.sessionTimeoutMs > this.settings.groupMaxSessionTimeoutMs) {
      return respond(joinError(request.memberId, 'INVALID_SESSION_TIMEOUT'));
    }
    const isUnknownMember = request.memberId === '';
    const group = this.manager.getOrMaybeCreateGroup(request.groupId, isUnknownMember);
    if (group === undefined) return respond(joinError(request.memberId, 'UNKNOWN_MEMBER_ID'));
    if (!this.acceptJoiningMember(group, request.memberId)) {
      group.remove(request.memberId);
      respond(joinError('', 'GROUP_MAX_SIZE_REACHED'));
    } else if (isUnknownMember) {
      this.doNewMemberJoinGroup(group, from, request, respond);
    } else {
      this.doCurrentMemberJoinGroup(group, request, respond);
    }
    if (group.is('PreparingRebalance')) this.tryCompleteJoin(group);
  }

  /** group.max.size: known members always; new ones while there is room (acceptJoiningMember). */
  private acceptJoiningMember(group: GroupMetadata, memberId: string): boolean {
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return (group.has(memberId) && group.get(memberId).isAwaitingJoin) || group.numAwaitingJoin < this.settings.groupMaxSize;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < this.settings.groupMaxSize;
    }
  }

  private doNewMemberJoinGroup(group: GroupMetadata, from: string, request: JoinGroup, respond: JoinCallback): void {
    if (group.is('Dead')) return respond(joinError('', 'COORDINATOR_NOT_AVAILABLE'));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) return respond(joinError('', 'INCONSISTENT_GROUP_PROTOCOL'));
    // Kafka ≥ 2.2 first answers MEMBER_ID_REQUIRED with the new id and waits for a second
    // JoinGroup carrying it (KIP-394); ksim admits the member on its first JoinGroup.
    const newMemberId = this.generateMemberId(from);
    const instanceId = request.groupInstanceId;
    const oldMemberId = instanceId === null ? null : group.currentStaticMemberId(instanceId);
    if (instanceId !== null && oldMemberId !== null) this.updateStaticMemberAndRebalance(group, instanceId, oldMemberId, newMemberId, request, respond);
    else this.addMemberAndRebalance(group, newMemberId, from, request, respond);
  }

  private doCurrentMemberJoinGroup(group: GroupMetadata, request: JoinGroup, respond: JoinCallback): void {
    const { memberId } = request;
    if (group.is('Dead')) return respond(joinError(memberId, 'COORDINATOR_NOT_AVAILABLE'));
    if (!group.supportsProtocols(request.protocolType, request.protocols)) return respond(joinError(memberId, 'INCONSISTENT_GROUP_PROTOCOL'));
    const memberError = this.validateCurrentMember(group, memberId, request.groupInstanceId);
    if (memberError !== null) return respond(joinError(memberId, memberError));
    const member = group.get(memberId);
    const rejoined = `member ${memberId} rejoined${request.reason === '' ? '' : `: ${request.reason}`}`;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, request, rejoined, respond);
      case 'CompletingRebalance':
        // The same metadata: it lost our JoinGroup answer; it gets the current generation again.
        if (member.matches(request.protocols)) return respond(this.currentGeneration(group, memberId, group.isLeader(memberId)));
        return this.updateMemberAndRebalance(group, member, request, rejoined, respond);
      case 'Stable':
        // The leader's JoinGroup always rebalances (it may have seen metadata change); a
        // follower's only when its subscription changed.
        if (group.isLeader(memberId) || !member.matches(request.protocols)) return this.updateMemberAndRebalance(group, member, request, rejoined, respond);
        return respond(this.currentGeneration(group, memberId, false));
      case 'Empty':
      case 'Dead':
        return respond(joinError(memberId, 'UNKNOWN_MEMBER_ID'));
    }
  }

  private currentGeneration(group: GroupMetadata, memberId: string, withMembers: boolean): JoinResult {
    return {
      error: 'NONE',
      memberId,
      generationId: group.generationId,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      members: withMembers ? group.currentMemberMetadata() : [],
    };
  }

  private addMemberAndRebalance(group: GroupMetadata, memberId: string, clientNode: string, request: JoinGroup, respond: JoinCallback): void {
    const member = new MemberMetadata(memberId, request.groupInstanceId, clientNode, request.rebalanceTimeoutMs, request.sessionTimeoutMs, request.protocols);
    member.isNew = true;
    // A member joining a brand-new group's initial delay extends it (InitialDelayedJoin).
    if (group.is('PreparingRebalance') && group.generationId === 0) group.newMemberAdded = true;
    group.add(member, respond);
    // A new member cannot heartbeat before its JoinGroup is answered; its join expires instead.
    this.scheduleHeartbeatExpiration(group, member, NEW_MEMBER_JOIN_TIMEOUT_MS);
    this.maybePrepareRebalance(group, `member ${memberId} joined`);
  }

  private updateMemberAndRebalance(group: GroupMetadata, member: MemberMetadata, request: JoinGroup, reason: string, respond: JoinCallback): void {
    group.updateMember(member, request.protocols, request.rebalanceTimeoutMs, request.sessionTimeoutMs, respond);
    this.maybePrepareRebalance(group, reason);
  }

  /**
   * KIP-345: a known group.instance.id joins with no member id (a restarted static member). It
   * takes over under a new member id and the old one is fenced. In a Stable group whose selected
   * protocol would not change, it gets the current generation and its old assignment back
   * without a rebalance: the group is stored again with the new id (updateStaticMemberAndRebalance).
   */
  private updateStaticMemberAndRebalance(group: GroupMetadata, instanceId: string, oldMemberId: string, newMemberId: string, request: JoinGroup, respond: JoinCallback): void {
    const currentLeader = group.leaderId ?? '';
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    const fenced = (): void => this.trace({ kind: 'group.member-removed', broker: this.ctx.id, group: group.groupId, memberId: oldMemberId, generation: group.generationId, reason: 'fenced' });
    this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
    const old = { protocols: member.protocols, rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs };
    group.updateMember(member, request.protocols, request.rebalanceTimeoutMs, request.sessionTimeoutMs, respond);
    switch (group.state) {
      case 'Stable':
        if (group.protocolName !== group.selectProtocol()) {
          fenced();
          return this.maybePrepareRebalance(group, `static member ${newMemberId} (${instanceId}) rejoined with other protocols`);
        }
        return this.manager.storeGroup(group, assignmentsOf(group), (error) => {
          // Answered meanwhile (the group rebalanced or moved away): nothing is left to do.
          if (member.awaitingJoin !== respond) return;
          if (error !== 'NONE') {
            // Not stored: the old member id stays the instance's.
            group.updateMember(member, old.protocols, old.rebalanceTimeoutMs, old.sessionTimeoutMs, null);
            const restored = group.replaceStaticMember(instanceId, newMemberId, oldMemberId);
            this.scheduleHeartbeatExpiration(group, restored, restored.sessionTimeoutMs);
            return respond({ ...this.currentGeneration(group, '', false), error, leader: currentLeader });
          }
          fenced();
          // Before JoinGroup v9 the answer names the old leader id, so that a rejoining static
          // leader does not run the assignor in a Stable group; it syncs and gets its assignment.
          group.maybeInvokeJoinCallback(member, { ...this.currentGeneration(group, newMemberId, false), leader: currentLeader });
          this.traceStable(group);
        });
      case 'CompletingRebalance':
        // The leader may already be assigning to the old member id: start over.
        fenced();
        return this.prepareRebalance(group, `static member ${newMemberId} (${instanceId}) rejoined during CompletingRebalance`);
      case 'PreparingRebalance':
        return fenced(); // it is simply one more member that has joined
      case 'Empty':
      case 'Dead':
        invariant(false, () => `group ${group.groupId}: static member ${instanceId} rejoined a group in state ${group.state}`);
    }
  }

  /** A member id from this broker: `${clientNode}-${brokerId}.${n}`, n from a durable counter. */
  private generateMemberId(clientNode: string): string {
    if (this.nextMemberNumber >= this.memberNumberLimit) {
      // Blocks of numbers reserved on disk, like producer ids, so a restarted broker never
      // hands out an id its previous incarnation gave (Kafka uses a random UUID).
      const file = this.ctx.env.disk.file<number>(MEMBER_ID_FILE);
      const start = file.length === 0 ? 0 : file.at(file.length - 1);
      file.overwrite([start + MEMBER_ID_BLOCK]);
      file.flush();
      this.nextMemberNumber = start;
      this.memberNumberLimit = start + MEMBER_ID_BLOCK;
    }
    this.nextMemberNumber += 1;
    return `${clientNode}-${this.ctx.id}.${this.nextMemberNumber}`;
  }

  // ---- the join phase -------------------------------------------------------------------------

  private maybePrepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.canRebalance) this.prepareRebalance(group, reason);
  }

  /**
   * PreparingRebalance: members awaiting a SyncGroup answer are told REBALANCE_IN_PROGRESS; the
   * join phase ends when every member has joined, or after the rebalance timeout. An Empty
   * group first waits group.initial.rebalance.delay.ms for more members (KIP-134).
   */
  private prepareRebalance(group: GroupMetadata, reason: string): void {
    if (group.is('CompletingRebalance')) this.resetAndPropagateAssignmentError(group, 'REBALANCE_IN_PROGRESS');
    this.removeSyncExpiration(group);
    const initial = group.is('Empty');
    group.transitionTo('PreparingRebalance');
    this.trace({ kind: 'group.rebalance', broker: this.ctx.id, group: group.groupId, generation: group.generationId, reason });
    const delayMs = this.settings.groupInitialRebalanceDelayMs;
    if (initial && delayMs !== null) this.scheduleInitialDelayedJoin(group, delayMs, delayMs, Math.max(group.rebalanceTimeoutMs - delayMs, 0));
    else this.scheduleDelayedJoin(group);
  }

  /** DelayedJoin: completes as soon as every member has joined, else at the rebalance timeout. */
  private scheduleDelayedJoin(group: GroupMetadata): void {
    group.initialJoin = false;
    if (group.hasAllMembersJoined()) return this.onCompleteJoin(group);
    group.joinTimer = this.ctx.env.setTimer(group.rebalanceTimeoutMs * 1000, () => {
      group.joinTimer = null;
      this.onCompleteJoin(group);
    });
  }

  /**
   * InitialDelayedJoin: never completes early; when it expires and members joined meanwhile, it
   * waits again, up to the rebalance timeout in all (its arithmetic is Kafka's).
   */
  private scheduleInitialDelayedJoin(group: GroupMetadata, configuredDelayMs: number, delayMs: number, remainingMs: number): void {
    group.initialJoin = true;
    group.joinTimer = this.ctx.env.setTimer(delayMs * 1000, () => {
      group.joinTimer = null;
      if (group.newMemberAdded && remainingMs !== 0) {
        group.newMemberAdded = false;
        const delay = Math.min(configuredDelayMs, remainingMs);
        return this.scheduleInitialDelayedJoin(group, configuredDelayMs, delay, Math.max(remainingMs - delayMs, 0));
      }
      this.onCompleteJoin(group);
    });
  }

  /** A join arrived or a member went: the join phase may be complete (DelayedJoin.tryComplete). */
  private tryCompleteJoin(group: GroupMetadata): void {
    if (!group.is('PreparingRebalance') || group.initialJoin || group.joinTimer === null || !group.hasAllMembersJoined()) return;
    this.cancelJoinTimer(group);
    this.onCompleteJoin(group);
  }

  /**
   * The join phase is over. Dynamic members that did not rejoin are removed (static ones stay
   * until their session expires); then a new generation, every JoinGroup answered (the leader's
   * with the members' subscriptions), and CompletingRebalance until the leader's SyncGroup.
   */
  private onCompleteJoin(group: GroupMetadata): void {
    for (const member of group.allMembers()) {
      if (member.isAwaitingJoin || member.isStatic) continue;
      this.cancelHeartbeat(member);
      group.remove(member.memberId);
      this.trace({ kind: 'group.member-removed', broker: this.ctx.id, group: group.groupId, memberId: member.memberId, generation: group.generationId, reason: 'rebalance-timeout' });
    }
    if (group.is('Dead')) return;
    group.checkAwaitingCount();
    // Only static members are left and none rejoined: wait another rebalance timeout.
    if (!group.maybeElectNewJoinedLeader() && group.size > 0) return this.scheduleDelayedJoin(group);
    group.initNextGeneration();
    this.trace({
      kind: 'group.generation', broker: this.ctx.id, group: group.groupId, generation: group.generationId,
      protocol: group.protocolName, leader: group.leaderId ?? '', members: group.allMembers().map((m) => m.memberId),
    });
    if (group.is('Empty')) {
      // Failing to store an empty generation is harmless: it has no members to mislead.
      return this.manager.storeGroup(group, new Map(), () => {});
    }
    for (const member of group.allMembers()) {
      group.maybeInvokeJoinCallback(member, this.currentGeneration(group, member.memberId, group.isLeader(member.memberId)));
      this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
      member.isNew = false;
      group.pendingSyncMembers.add(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ---- SyncGroup --------------------------------------------------------------------------

  handleSyncGroup(from: string, request: Request<'SyncGroup'>): void {
    const respond = (r: SyncResult): void => this.ctx.env.send(from, { type: 'SyncGroupResponse', correlationId: request.correlationId, ...r });
    const fail = (error: KafkaError): void => respond({ error, assignment: [] });
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return fail(statusError);
    const group = this.manager.getGroup(request.groupId);
    if (group === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (group.is('Dead')) return fail('COORDINATOR_NOT_AVAILABLE');
    const memberError = this.validateCurrentMember(group, request.memberId, request.groupInstanceId);
    if (memberError !== null) return fail(memberError);
    if (request.generationId !== group.generationId) return fail('ILLEGAL_GENERATION');
    const member = group.get(request.memberId);
    switch (group.state) {
      case 'Empty':
        return fail('UNKNOWN_MEMBER_ID');
      case 'PreparingRebalance':
        return fail('REBALANCE_IN_PROGRESS');
      case 'CompletingRebalance':
        member.awaitingSync = respond;
        this.removePendingSyncMember(group, member.memberId);
        if (group.isLeader(member.memberId)) this.storeLeaderAssignment(group, request);
        return;
      case 'Stable':
        this.removePendingSyncMember(group, member.memberId);
        respond({ error: 'NONE', assignment: member.assignment });
        return this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
      case 'Dead':
        return fail('COORDINATOR_NOT_AVAILABLE');
    }
  }

  /** The leader's assignment (members it left out get none) is stored; then the group is Stable. */
  private storeLeaderAssignment(group: GroupMetadata, request: Request<'SyncGroup'>): void {
    const given = new Map(request.assignments.map((a) => [a.memberId, a.assignment] as const));
    const assignment = new Map(group.allMembers().map((m) => [m.memberId, given.get(m.memberId) ?? []] as const));
    const generationId = group.generationId;
    this.manager.storeGroup(group, assignment, (error) => {
      // Another member may have joined meanwhile: then this generation is already over.
      if (!group.is('CompletingRebalance') || group.generationId !== generationId) return;
      if (error !== 'NONE') {
        this.resetAndPropagateAssignmentError(group, error);
        return this.maybePrepareRebalance(group, `error ${error} storing the assignment of generation ${generationId}`);
      }
      for (const member of group.allMembers()) member.assignment = assignment.get(member.memberId) ?? [];
      this.propagateAssignment(group, 'NONE');
      group.transitionTo('Stable');
      this.traceStable(group);
    });
  }

  private resetAndPropagateAssignmentError(group: GroupMetadata, error: KafkaError): void {
    invariant(group.is('CompletingRebalance'), () => `group ${group.groupId}: assignment error in state ${group.state}`);
    for (const member of group.allMembers()) member.assignment = [];
    this.propagateAssignment(group, error);
  }

  /** Answers every parked SyncGroup; their sessions restart from now. */
  private propagateAssignment(group: GroupMetadata, error: KafkaError): void {
    for (const member of group.allMembers()) {
      if (group.maybeInvokeSyncCallback(member, { error, assignment: member.assignment })) this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
    }
  }

  /** DelayedSync: members that send no SyncGroup within the rebalance timeout are removed. */
  private schedulePendingSync(group: GroupMetadata): void {
    const generationId = group.generationId;
    group.syncTimer = this.ctx.env.setTimer(group.rebalanceTimeoutMs * 1000, () => {
      group.syncTimer = null;
      if (generationId !== group.generationId || !(group.is('CompletingRebalance') || group.is('Stable')) || group.pendingSyncMembers.size === 0) return;
      const late = group.allMembers().filter((m) => group.pendingSyncMembers.has(m.memberId));
      for (const member of late) this.removeMember(group, member, 'rebalance-timeout');
      this.prepareRebalance(group, `members ${late.map((m) => m.memberId).join(', ')} sent no SyncGroup within the rebalance timeout`);
    });
  }

  private removePendingSyncMember(group: GroupMetadata, memberId: string): void {
    group.pendingSyncMembers.delete(memberId);
    if (group.pendingSyncMembers.size === 0) this.cancelSyncTimer(group);
  }

  private removeSyncExpiration(group: GroupMetadata): void {
    group.pendingSyncMembers.clear();
    this.cancelSyncTimer(group);
  }

  // ---- Heartbeat, sessions, LeaveGroup -----------------------------------------------------

  handleHeartbeat(from: string, request: Request<'Heartbeat'>): void {
    const error = this.heartbeat(request);
    this.ctx.env.send(from, { type: 'HeartbeatResponse', correlationId: request.correlationId, error });
  }

  private heartbeat(request: Request<'Heartbeat'>): KafkaError {
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return statusError;
    const group = this.manager.getGroup(request.groupId);
    if (group === undefined) return 'UNKNOWN_MEMBER_ID';
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    const memberError = this.validateCurrentMember(group, request.memberId, request.groupInstanceId);
    if (memberError !== null) return memberError;
    if (request.generationId !== group.generationId) return 'ILLEGAL_GENERATION';
    if (group.is('Empty')) return 'UNKNOWN_MEMBER_ID';
    const member = group.get(request.memberId);
    this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
    // PreparingRebalance: the member learns it must rejoin.
    return group.is('PreparingRebalance') ? 'REBALANCE_IN_PROGRESS' : 'NONE';
  }

  /** The member's session restarts: it expires `timeoutMs` from now unless renewed (DelayedHeartbeat). */
  private scheduleHeartbeatExpiration(group: GroupMetadata, member: MemberMetadata, timeoutMs: number): void {
    this.cancelHeartbeat(member);
    member.heartbeatTimer = this.ctx.env.setTimer(timeoutMs * 1000, () => {
      member.heartbeatTimer = null;
      this.onExpireHeartbeat(group, member);
    });
  }

  /**
   * A member that waits for its JoinGroup or SyncGroup answer counts as alive (its requests are
   * parked here), unless it is new: a new member's JoinGroup can expire (MemberMetadata.hasSatisfiedHeartbeat).
   */
  private onExpireHeartbeat(group: GroupMetadata, member: MemberMetadata): void {
    if (group.is('Dead') || !group.has(member.memberId) || group.get(member.memberId) !== member) return;
    if (!member.isNew && (member.isAwaitingJoin || member.isAwaitingSync)) return;
    this.removeMemberAndUpdateGroup(group, member, `member ${member.memberId}'s session timed out`, 'session-timeout');
  }

  handleLeaveGroup(from: string, request: Request<'LeaveGroup'>): void {
    const error = this.leaveGroup(request);
    this.ctx.env.send(from, { type: 'LeaveGroupResponse', correlationId: request.correlationId, error });
  }

  private leaveGroup(request: Request<'LeaveGroup'>): KafkaError {
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return statusError;
    const group = this.manager.getGroup(request.groupId);
    if (group === undefined) return 'UNKNOWN_MEMBER_ID';
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    const memberError = request.memberId === '' ? 'UNKNOWN_MEMBER_ID' : this.validateCurrentMember(group, request.memberId, null);
    if (memberError !== null) return memberError;
    const reason = `member ${request.memberId} left${request.reason === '' ? '' : `: ${request.reason}`}`;
    this.removeMemberAndUpdateGroup(group, group.get(request.memberId), reason, 'leave');
    return 'NONE';
  }

  /** A member is gone: a Stable or CompletingRebalance group rebalances; a joining one may be complete. */
  private removeMemberAndUpdateGroup(group: GroupMetadata, member: MemberMetadata, reason: string, kind: RemovalReason): void {
    this.removeMember(group, member, kind);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        return this.maybePrepareRebalance(group, reason);
      case 'PreparingRebalance':
        return this.tryCompleteJoin(group);
      case 'Empty':
      case 'Dead':
        return;
    }
  }

  private removeMember(group: GroupMetadata, member: MemberMetadata, kind: RemovalReason): void {
    // A parked JoinGroup (a new member timing out) is told to join again.
    group.maybeInvokeJoinCallback(member, joinError('', 'UNKNOWN_MEMBER_ID'));
    group.maybeInvokeSyncCallback(member, { error: 'UNKNOWN_MEMBER_ID', assignment: [] });
    this.cancelHeartbeat(member);
    group.remove(member.memberId);
    this.trace({ kind: 'group.member-removed', broker: this.ctx.id, group: group.groupId, memberId: member.memberId, generation: group.generationId, reason: kind });
  }

  /**
   * The member id must be in the group and, for a static member, be the instance's current id
   * (else FENCED_INSTANCE_ID: an older incarnation of a replaced static member).
   */
  private validateCurrentMember(group: GroupMetadata, memberId: string, groupInstanceId: string | null): KafkaError | null {
    if (groupInstanceId !== null) {
      const current = group.currentStaticMemberId(groupInstanceId);
      if (current === null) return 'UNKNOWN_MEMBER_ID';
      if (current !== memberId) return 'FENCED_INSTANCE_ID';
      return null;
    }
    return group.has(memberId) ? null : 'UNKNOWN_MEMBER_ID';
  }

  // ---- offsets ----------------------------------------------------------------------------

  handleCommitOffsets(from: string, request: Request<'OffsetCommit'>): void {
    const respond = (error: KafkaError): void => {
      const partitions = request.offsets.map(({ topic, partition }) => ({ topic, partition, error }));
      this.ctx.env.send(from, { type: 'OffsetCommitResponse', correlationId: request.correlationId, partitions });
      this.trace({
        kind: 'group.commit', broker: this.ctx.id, group: request.groupId, memberId: request.memberId, generation: request.generationId,
        offsets: request.offsets.map((o) => [o.topic, o.partition, o.offset]), error,
      }, false);
    };
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return respond(statusError);
    let group = this.manager.getGroup(request.groupId);
    if (group === undefined) {
      // A commit from a consumer outside group management creates an Empty group; any other
      // names a generation this coordinator does not know.
      if (request.generationId >= 0) return respond('ILLEGAL_GENERATION');
      group = this.manager.addGroup(new GroupMetadata(request.groupId, 'Empty'));
    }
    const validationError = this.validateOffsetCommit(group, request);
    if (validationError !== null) return respond(validationError);
    switch (group.state) {
      case 'Empty':
        return this.manager.storeOffsets(group, request, respond);
      case 'Stable':
      case 'PreparingRebalance': {
        // Commits of the current generation still count while it rebalances; the heartbeat
        // answer tells the member to rejoin.
        const member = group.get(request.memberId);
        this.scheduleHeartbeatExpiration(group, member, member.sessionTimeoutMs);
        return this.manager.storeOffsets(group, request, respond);
      }
      case 'CompletingRebalance':
        return respond('REBALANCE_IN_PROGRESS');
      case 'Dead':
        return respond('COORDINATOR_NOT_AVAILABLE');
    }
  }

  private validateOffsetCommit(group: GroupMetadata, request: Request<'OffsetCommit'>): KafkaError | null {
    if (group.is('Dead')) return 'COORDINATOR_NOT_AVAILABLE';
    if (request.generationId < 0 && group.is('Empty')) return null;
    if (request.generationId >= 0 || request.memberId !== '' || request.groupInstanceId !== null) {
      const memberError = this.validateCurrentMember(group, request.memberId, request.groupInstanceId);
      if (memberError !== null) return memberError;
      return request.generationId !== group.generationId ? 'ILLEGAL_GENERATION' : null;
    }
    // Only members may commit to a group that has some.
    return group.is('Empty') ? null : 'UNKNOWN_MEMBER_ID';
  }

  handleFetchOffsets(from: string, request: Request<'OffsetFetch'>): void {
    const statusError = this.groupStatusError(request.groupId);
    // requireStable is OffsetFetch v7 (KIP-447, 2.5): before, offsets are returned as they are.
    const requireStable = this.settings.txnOffsetCommitGroupMetadata && request.requireStable === true;
    const partitions = statusError !== null ? [] : this.manager.getOffsets(request.groupId, request.partitions, requireStable);
    this.ctx.env.send(from, { type: 'OffsetFetchResponse', correlationId: request.correlationId, error: statusError ?? 'NONE', partitions });
  }

  // ---- transactional offsets (KIP-98) --------------------------------------------------------

  /**
   * A transactional producer's offsets (sendOffsetsToTransaction): stored as a transactional batch
   * of its producer id and epoch, pending until the transaction ends. From 2.5 (KIP-447) the
   * consumer's member id, instance id and generation are checked when given; before, not at all
   * (GroupCoordinator.handleTxnCommitOffsets / doTxnCommitOffsets, 0.11, 2.4.1, 2.5.0, 2.8.2).
   */
  handleTxnCommitOffsets(from: string, request: Request<'TxnOffsetCommit'>): void {
    const respond = (error: KafkaError): void => {
      const partitions = request.offsets.map(({ topic, partition }) => ({ topic, partition, error }));
      this.ctx.env.send(from, { type: 'TxnOffsetCommitResponse', correlationId: request.correlationId, partitions });
      this.trace({
        kind: 'group.txn-commit', broker: this.ctx.id, group: request.groupId, transactionalId: request.transactionalId, producerId: request.producerId,
        producerEpoch: request.producerEpoch, memberId: request.memberId, generation: request.generationId, offsets: request.offsets.map((o) => [o.topic, o.partition, o.offset]), error,
      });
    };
    const statusError = this.groupStatusError(request.groupId);
    if (statusError !== null) return respond(statusError);
    const group = this.manager.getGroup(request.groupId) ?? this.manager.addGroup(new GroupMetadata(request.groupId, 'Empty'));
    if (group.is('Dead')) return respond('COORDINATOR_NOT_AVAILABLE');
    if (this.settings.txnOffsetCommitGroupMetadata) {
      const instanceMember = request.groupInstanceId === null ? null : group.currentStaticMemberId(request.groupInstanceId);
      if (instanceMember !== null && instanceMember !== request.memberId) return respond('FENCED_INSTANCE_ID');
      if (request.memberId !== '' && !group.has(request.memberId)) return respond('UNKNOWN_MEMBER_ID');
      if (request.generationId >= 0 && request.generationId !== group.generationId) return respond('ILLEGAL_GENERATION');
    }
    this.manager.storeOffsets(group, request, respond, { producerId: request.producerId, producerEpoch: request.producerEpoch });
  }

  /**
   * The marker of `producerId`'s transaction was written to these __consumer_offsets partitions
   * (the broker's WriteTxnMarkers handling calls this): pending offsets become committed or are
   * dropped. Kafka runs it on its scheduler thread, after the marker's append (scheduleHandleTxnCompletion).
   */
  scheduleHandleTxnCompletion(producerId: number, offsetsPartitions: readonly number[], result: 'COMMIT' | 'ABORT'): void {
    this.ctx.env.setTimer(0, () => this.handleTxnCompletion(producerId, offsetsPartitions, result));
  }

  handleTxnCompletion(producerId: number, offsetsPartitions: readonly number[], result: 'COMMIT' | 'ABORT'): void {
    for (const { group, offsets } of this.manager.handleTxnCompletion(producerId, new Set(offsetsPartitions), result === 'COMMIT')) {
      this.trace({ kind: 'group.txn-completed', broker: this.ctx.id, group, producerId, result, offsets });
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private traceStable(group: GroupMetadata): void {
    group.checkStable();
    this.trace({
      kind: 'group.stable', broker: this.ctx.id, group: group.groupId, generation: group.generationId,
      assignment: group.allMembers().map((m) => [m.memberId, m.assignment.map((tp) => `${tp.topic}-${tp.partition}`)]),
    });
  }

  private cancelHeartbeat(member: MemberMetadata): void {
    if (member.heartbeatTimer === null) return;
    this.ctx.env.cancelTimer(member.heartbeatTimer);
    member.heartbeatTimer = null;
  }

  private cancelJoinTimer(group: GroupMetadata): void {
    if (group.joinTimer === null) return;
    this.ctx.env.cancelTimer(group.joinTimer);
    group.joinTimer = null;
  }

  private cancelSyncTimer(group: GroupMetadata): void {
    if (group.syncTimer === null) return;
    this.ctx.env.cancelTimer(group.syncTimer);
    group.syncTimer = null;
  }

  private trace(event: GroupEvent, keep = true): void {
    this.ctx.trace(event, keep);
  }
}

function assignmentsOf(group: GroupMetadata): Map<string, readonly TopicPartitionRef[]> {
  return new Map(group.allMembers().map((m) => [m.memberId, m.assignment] as const));
}
