// ConsumerCoordinator (clients/consumer/internals/ConsumerCoordinator.java, read at 2.8.2): what
// group membership means for a consumer's partitions. Before a join, an auto-commit and the
// partitions given up (all of them under the eager protocol; under the cooperative one only
// when the generation was lost); the leader runs the assignor over every member's
// subscription; after the SyncGroup, the rebalance listener hears what was revoked and
// assigned. Also the offsets: OffsetCommit (commitSync retried until its deadline,
// commitAsync, auto-commit every auto.commit.interval.ms from poll()), OffsetFetch for the
// partitions with no position, and close(): a last auto-commit, then LeaveGroup.
import type { Env } from '../../../sim/index.js';
import type { KafkaError } from '../../kafka/errors.js';
import type { GroupProtocol, TopicPartitionRef } from '../../kafka/protocol.js';
import { ASSIGNORS, type AssignorName, type Subscription as AssignorSubscription } from '../assignors/index.js';
import type { NetworkClient } from '../network-client.js';
import { AbstractCoordinator, type Response } from './abstract-coordinator.js';
import type { ConsumerSettings } from './consumer-config.js';
import type { ConsumerMetadata } from './consumer-metadata.js';
import type { Fetcher } from './fetcher.js';
import type { SubscriptionState } from './subscription-state.js';

/** What a commit is told: COMMIT_FAILED when refused before it is sent (CommitFailedException). */
export type CommitError = KafkaError | 'COMMIT_FAILED';
/** How a commit was made, as the trace says it: commitSync, commitAsync, or auto-commit. */
type CommitMode = 'sync' | 'async' | 'auto';

export class ConsumerCoordinator extends AbstractCoordinator {
  /** onJoinPrepare's auto-commit is in flight: poll() returns nothing until the join is sent. */
  private preparingJoin = false;
  /** The partition count the leader last assigned (-1: not the leader of an assignment yet). */
  private assignedPartitionCount = -1;
  private nextAutoCommitUs: number;
  constructor(
    env: Env<unknown>,
    net: NetworkClient,
    settings: ConsumerSettings,
    metadata: ConsumerMetadata,
    private readonly subscriptions: SubscriptionState,
    /** Told of the OffsetFetch's answers: it resets or fetches from them. */
    private readonly fetcher: Fetcher,
    group: string,
    member: string,
    instanceId: string | null,
  ) {
    super(env, net, settings, metadata, group, member, instanceId);
    this.nextAutoCommitUs = env.now() + settings.autoCommitIntervalUs;
  }

  /** A rejoin is under way and poll() must return nothing until its JoinGroup is sent. */
  get rejoining(): boolean {
    return this.preparingJoin;
  }

  /** The group's generation and this member's id now (-1 and '' while out of the group). */
  get generationId(): number {
    return this.generation;
  }

  get currentMemberId(): string {
    return this.memberId;
  }

  get fatalError(): KafkaError | null {
    return this.fatal;
  }

  /**
   * ConsumerCoordinator.poll, from KafkaConsumer.poll: the poll timer restarts (Heartbeat.poll),
   * auto-commit when its interval has passed (maybeAutoCommitOffsetsAsync), and (re)join.
   */
  poll(now: number): void {
    this.lastPollUs = now;
    if (this.settings.enableAutoCommit && now >= this.nextAutoCommitUs) {
      this.nextAutoCommitUs = now + this.settings.autoCommitIntervalUs;
      if (this.state === 'stable') this.commitAsync(this.subscriptions.allConsumed(), 'auto');
    }
    this.ensureGroup(true);
  }

  onMetadataUpdate(): void {
    // The leader watches the partition count: a change means a new assignment (rejoinNeededOrPending).
    const partitions = this.metadata.partitionCount;
    if (this.isLeader && this.state === 'stable' && this.assignedPartitionCount >= 0 && this.assignedPartitionCount !== partitions) {
      this.requestRejoin(`the partition count of ${this.subscriptions.topic} changed from ${this.assignedPartitionCount} to ${partitions}`);
    }
    this.ensureGroup();
  }

  /**
   * ConsumerCoordinator.close: with enable.auto.commit, a synchronous commit of the positions;
   * then a dynamic member leaves the group (a static one does not, KIP-345), so the group
   * rebalances at once instead of after session.timeout.ms.
   */
  close(deadlineUs: number, onClosed: () => void): void {
    this.closing = true;
    const leave = (): void => {
      if (this.env.now() >= deadlineUs || !this.maybeLeaveGroup('the consumer is being closed', () => onClosed())) onClosed();
    };
    if (this.settings.enableAutoCommit && this.state === 'stable') this.commitSync(this.subscriptions.allConsumed(), deadlineUs, () => leave(), 'auto');
    else leave();
  }

  // ================================================================ commits

  /** commitSync: retried on retriable errors until the deadline (default.api.timeout.ms). */
  commitSync(offsets: readonly [number, number][], deadlineUs: number, done: (error: CommitError) => void, mode: 'sync' | 'auto' = 'sync'): void {
    this.sendCommit(offsets, mode, (error) => {
      const retriable = error === 'NOT_COORDINATOR' || error === 'COORDINATOR_NOT_AVAILABLE' || error === 'COORDINATOR_LOAD_IN_PROGRESS'
        || error === 'REQUEST_TIMED_OUT' || error === 'NETWORK_EXCEPTION';
      const retryAtUs = this.env.now() + this.settings.retryBackoffUs;
      if (!retriable || retryAtUs >= deadlineUs) {
        done(error);
        return;
      }
      this.env.setTimer(this.settings.retryBackoffUs, () => this.commitSync(offsets, deadlineUs, done, mode));
    });
  }

  commitAsync(offsets: readonly [number, number][], mode: 'async' | 'auto'): void {
    this.sendCommit(offsets, mode, () => {});
  }

  /** One OffsetCommit (sendOffsetCommitRequest); `done` hears the outcome once. The trace tells every attempt. */
  private sendCommit(offsets: readonly [number, number][], mode: CommitMode, done: (error: CommitError) => void): void {
    const topic = this.subscriptions.topic;
    const report = (error: CommitError, memberId: string, generation: number): void => {
      this.trace({ kind: 'app.commit', group: this.group, member: this.member, memberId, generation, mode, offsets: offsets.map(([p, o]) => [topic, p, o]), error }, false);
      done(error);
    };
    if (offsets.length === 0) {
      done('NONE');
      return;
    }
    // Not in a stable generation: the commit fails before it is sent (generationIfStable() is null).
    if (this.state !== 'stable') {
      report(this.state === 'unjoined' ? 'COMMIT_FAILED' : 'REBALANCE_IN_PROGRESS', this.memberId, this.generation);
      return;
    }
    const coordinator = this.coordinator;
    if (coordinator === null) {
      this.findCoordinator();
      report('COORDINATOR_NOT_AVAILABLE', this.memberId, this.generation);
      return;
    }
    const memberId = this.memberId;
    const generation = this.generation;
    this.net.send<Response<'OffsetCommitResponse'>>(coordinator, 'coordinator', (correlationId) => ({
      type: 'OffsetCommit',
      correlationId,
      groupId: this.group,
      generationId: generation,
      memberId,
      groupInstanceId: this.instanceId,
      // The leader epoch of the last record returned (OffsetAndMetadata.leaderEpoch), for KIP-320 checks after a restart.
      offsets: offsets.map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: this.subscriptions.stateOf(partition)?.positionEpoch ?? -1 })),
    }), (answer) => {
      const error: KafkaError = answer.ok ? (answer.response.partitions.find((p) => p.error !== 'NONE')?.error ?? 'NONE') : answer.error;
      this.onCoordinatorError(error, generation);
      report(error, memberId, generation);
    });
  }

  // ================================================================ joining (AbstractCoordinator's hooks)

  protected readyToJoin(): boolean {
    return this.metadata.partitionCount > 0;
  }

  /**
   * onJoinPrepare: auto-commit what was consumed (synchronously), then give up partitions: all
   * of them under the eager protocol; under the cooperative one only when the generation was
   * lost (then they are "lost", not revoked).
   */
  protected onJoinPrepare(): void {
    const proceed = (): void => {
      this.preparingJoin = false;
      const lost = this.generation < 0;
      if (this.settings.rebalanceProtocol === 'eager' || lost) this.revoke(this.subscriptions.assignedPartitions(), lost);
      this.ensureGroup();
    };
    if (!this.settings.enableAutoCommit || this.state !== 'stable' || this.subscriptions.size === 0) {
      proceed();
      return;
    }
    this.preparingJoin = true;
    this.commitSync(this.subscriptions.allConsumed(), this.env.now() + this.settings.maxPollIntervalMs * 1000, () => proceed());
  }

  /** metadata(): every assignor the member has, each with its subscription and owned partitions. */
  protected joinProtocols(): GroupProtocol[] {
    const topic = this.subscriptions.topic;
    const owned = this.subscriptions.assignedPartitions().map((partition) => ({ topic, partition }));
    return this.settings.assignors.map((name) => ({
      name,
      metadata: { topics: [topic], ownedPartitions: owned, generation: this.generation },
    }));
  }

  /** performAssignment: the leader runs the chosen assignor over every member's subscription. */
  protected onLeaderElected(response: Response<'JoinGroupResponse'>): { memberId: string; assignment: TopicPartitionRef[] }[] {
    const assignor = ASSIGNORS[(response.protocolName ?? this.settings.assignors[0]!) as AssignorName];
    const subscriptions: AssignorSubscription[] = response.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      topics: m.metadata.topics,
      ownedPartitions: m.metadata.ownedPartitions,
      generationId: m.metadata.generation,
    }));
    this.assignedPartitionCount = this.metadata.partitionCount;
    const assignment = assignor({ [this.subscriptions.topic]: this.metadata.partitionCount }, subscriptions);
    return response.members.map((m) => ({ memberId: m.memberId, assignment: [...(assignment[m.memberId] ?? [])] }));
  }

  /** onJoinComplete: the revoked partitions go (cooperative), the new ones come, the listener hears both. */
  protected onJoinComplete(assignment: readonly TopicPartitionRef[]): void {
    const topic = this.subscriptions.topic;
    const assigned = new Set(assignment.filter((tp) => tp.topic === topic).map((tp) => tp.partition));
    const revoked = this.subscriptions.assignedPartitions().filter((p) => !assigned.has(p));
    const added = [...assigned].filter((p) => !this.subscriptions.isAssigned(p)).sort((a, b) => a - b);
    if (revoked.length > 0) {
      this.revoke(revoked, false);
      // Cooperative: a second rebalance hands the revoked partitions to their new owners.
      this.requestRejoin('partitions were revoked in the cooperative rebalance');
    }
    for (const partition of added) this.subscriptions.assign(partition);
    this.subscriptions.listener.onPartitionsAssigned(added);
  }

  /** invokePartitionsRevoked / invokePartitionsLost, then the partitions leave the assignment. */
  private revoke(partitions: readonly number[], lost: boolean): void {
    if (partitions.length === 0) return;
    if (lost) this.subscriptions.listener.onPartitionsLost(partitions);
    else this.subscriptions.listener.onPartitionsRevoked(partitions);
    this.subscriptions.remove(partitions);
  }

  // ================================================================ committed offsets

  /** refreshCommittedOffsetsIfNeeded: OffsetFetch for the partitions with no position; none committed means auto.offset.reset. */
  protected refreshCommittedOffsetsIfNeeded(): void {
    const missing = this.subscriptions.missingPositions();
    if (missing.length === 0 || this.state !== 'stable') return;
    if (this.coordinator === null) return this.findCoordinator();
    for (const owned of missing) owned.lookingUp = true;
    const generation = this.generation;
    this.net.send<Response<'OffsetFetchResponse'>>(this.coordinator, 'coordinator', (correlationId) => ({
      type: 'OffsetFetch',
      correlationId,
      groupId: this.group,
      partitions: missing.map((o) => ({ topic: this.subscriptions.topic, partition: o.partition })),
    }), (answer) => {
      for (const owned of missing) owned.lookingUp = false;
      const error = answer.ok ? answer.response.error : answer.error;
      if (error !== 'NONE' || !answer.ok) {
        this.onCoordinatorError(error, generation);
        this.env.setTimer(this.settings.retryBackoffUs, () => this.refreshCommittedOffsetsIfNeeded());
        return;
      }
      for (const part of answer.response.partitions) {
        const owned = this.subscriptions.stateOf(part.partition);
        if (owned === undefined || owned !== missing.find((o) => o.partition === part.partition) || owned.position !== null) continue;
        if (part.offset >= 0) this.subscriptions.seek(owned, part.offset, part.leaderEpoch, -1, 'committed', 'committed'); // validated against the leader first
        else this.fetcher.resetOffset(owned, 'no-committed-offset');
      }
      this.fetcher.sendFetches();
    });
  }
}
