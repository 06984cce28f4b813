// AbstractCoordinator (clients/consumer/internals/AbstractCoordinator.java, read at 2.8.2, with
// its Heartbeat and HeartbeatThread): the group membership of the classic protocol. It finds the
// group coordinator (FindCoordinator), joins (JoinGroup, then SyncGroup with the leader's
// assignment), and runs the heartbeat thread beside the application: a Heartbeat every
// heartbeat.interval.ms answers for the member's liveness (session.timeout.ms), and the thread
// is the one that notices a poll loop slower than max.poll.interval.ms: the member then leaves
// the group, and the application, still processing, finds its next commit refused and its
// partitions given to someone else. What a join means for partitions (the assignor, the
// rebalance listener, committed offsets) is ConsumerCoordinator's, through the hooks below.
import type { Env, EventId } from '../../../sim/index.js';
import type { KafkaError } from '../../kafka/errors.js';
import type { ConsumerAppEvent } from '../../kafka/events.js';
import type { GroupProtocol, KafkaMessage, TopicPartitionRef } from '../../kafka/protocol.js';
import type { Answer, NetworkClient } from '../network-client.js';
import type { ConsumerSettings } from './consumer-config.js';
import type { ConsumerMetadata } from './consumer-metadata.js';

/** AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup may wait the rebalance out. */
const JOIN_GROUP_TIMEOUT_LAPSE_US = 5_000_000;

export type Response<T extends KafkaMessage['type']> = Extract<KafkaMessage, { type: T }>;
/** MemberState, with its REBALANCING split in two: JoinGroup sent (preparing), SyncGroup sent (completing). */
type MemberState = 'unjoined' | 'preparing' | 'completing' | 'stable';

export abstract class AbstractCoordinator {
  /** The group coordinator's node; null while unknown. */
  protected coordinator: string | null = null;
  private findingCoordinator = false;
  protected state: MemberState = 'unjoined';
  protected memberId = '';
  protected generation = -1;
  protected protocol: string | null = null;
  protected isLeader = false;
  protected rejoinNeeded = true;
  private rejoinReason = 'the consumer subscribed';
  /** onJoinPrepare ran for the rebalance in hand: the next ensureGroup sends the JoinGroup. */
  private joinPrepared = false;
  /** close() began: no more joins. */
  protected closing = false;
  /** A JoinGroup error KafkaConsumer cannot go on after (poll() throws it): no more joins either. */
  protected fatal: KafkaError | null = null;

  // The heartbeat thread and its Heartbeat (timers).
  private heartbeatTimer: EventId = -1;
  private heartbeatInFlight = false;
  private nextHeartbeatUs = 0;
  /** Heartbeat.poll: when the application last called poll() (max.poll.interval.ms runs from it). */
  protected lastPollUs: number;
  /**
   * The application is blocked in poll(): the poll timer does not run out (Kafka's poll loop
   * calls the coordinator while it waits), and a rejoin may go on outside a poll() call.
   */
  waitingInPoll = false;

  constructor(
    protected readonly env: Env<unknown>,
    protected readonly net: NetworkClient,
    protected readonly settings: ConsumerSettings,
    protected readonly metadata: ConsumerMetadata,
    protected readonly group: string,
    /** The member's name in the trace (the simulated process). */
    protected readonly member: string,
    /** group.instance.id (a static member, KIP-345), null for a dynamic one. */
    protected readonly instanceId: string | null,
  ) {
    this.lastPollUs = env.now();
  }

  // ================================================================ hooks (ConsumerCoordinator)

  /** The last chance before a JoinGroup to commit and give partitions up; calls ensureGroup() again when done. */
  protected abstract onJoinPrepare(): void;
  /** The protocols (assignors) and their metadata the JoinGroup offers. */
  protected abstract joinProtocols(): GroupProtocol[];
  /** The leader's assignment of every member's partitions (performAssignment). */
  protected abstract onLeaderElected(response: Response<'JoinGroupResponse'>): { memberId: string; assignment: TopicPartitionRef[] }[];
  /** The SyncGroup's assignment: this member's partitions in the new generation. */
  protected abstract onJoinComplete(assignment: readonly TopicPartitionRef[]): void;
  /** Whatever waited for a coordinator or a generation (the committed offsets of partitions with no position). */
  protected abstract refreshCommittedOffsetsIfNeeded(): void;
  /** What the JoinGroup needs known first (the leader needs partition counts: metadata calls again). */
  protected abstract readyToJoin(): boolean;

  /** A connection on the coordinator channel broke; true if it was the coordinator's (then it is looked for again). */
  coordinatorConnectionLost(node: string): boolean {
    if (node !== this.coordinator) return false;
    this.markCoordinatorUnknown();
    return true;
  }

  /** What a coordinator's error means for the membership (AbstractCoordinator's handlers). */
  protected onCoordinatorError(error: KafkaError, generation: number): void {
    switch (error) {
      case 'NOT_COORDINATOR':
      case 'COORDINATOR_NOT_AVAILABLE':
      case 'NETWORK_EXCEPTION':
      case 'REQUEST_TIMED_OUT':
        this.markCoordinatorUnknown();
        return;
      case 'REBALANCE_IN_PROGRESS':
        this.requestRejoin('the coordinator is rebalancing the group');
        return;
      case 'UNKNOWN_MEMBER_ID':
      case 'ILLEGAL_GENERATION':
      case 'FENCED_INSTANCE_ID':
        if (generation === this.generation) this.resetGeneration(error, error === 'UNKNOWN_MEMBER_ID' || error === 'FENCED_INSTANCE_ID');
        return;
      default:
        return;
    }
  }

  protected trace(event: ConsumerAppEvent, keep = true): void {
    this.env.trace(event, keep);
  }

  // ================================================================ group membership

  protected requestRejoin(reason: string): void {
    if (!this.rejoinNeeded) this.rejoinReason = reason;
    this.rejoinNeeded = true;
  }

  /** resetStateAndGeneration: the member is out of the group; its partitions are lost at the next join. */
  protected resetGeneration(reason: string, resetMemberId: boolean): void {
    this.generation = -1;
    this.protocol = null;
    if (resetMemberId) this.memberId = '';
    this.state = 'unjoined';
    this.stopHeartbeats();
    this.requestRejoin(reason);
  }

  private markCoordinatorUnknown(): void {
    this.coordinator = null;
    this.findCoordinator();
  }

  /** ensureCoordinatorReady: FindCoordinator to the least loaded broker, retried every retry.backoff.ms. */
  protected findCoordinator(): void {
    if (this.findingCoordinator || this.coordinator !== null) return;
    const node = this.net.leastLoadedNode(this.metadata.brokers());
    if (node === null) {
      this.findingCoordinator = true;
      this.env.setTimer(Math.max(this.settings.retryBackoffUs, this.net.earliestReadyUs(this.metadata.brokers()) - this.env.now()), () => {
        this.findingCoordinator = false;
        this.findCoordinator();
      });
      return;
    }
    this.findingCoordinator = true;
    this.net.send<Response<'FindCoordinatorResponse'>>(node, 'default', (correlationId) => ({ type: 'FindCoordinator', correlationId, key: this.group }), (answer) => {
      if (answer.ok && answer.response.error === 'NONE') {
        this.findingCoordinator = false;
        this.coordinator = answer.response.node;
        this.ensureGroup();
        if (this.state === 'stable' || this.state === 'completing') this.scheduleHeartbeat(0);
        this.refreshCommittedOffsetsIfNeeded();
        return;
      }
      this.env.setTimer(this.settings.retryBackoffUs, () => {
        this.findingCoordinator = false;
        this.findCoordinator();
      });
    });
  }

  /**
   * ConsumerCoordinator.poll: (re)join when needed. Joins start only inside poll(): a member
   * told to rejoin while its application processes a batch rejoins at its next poll, and the
   * coordinator waits for it up to the rebalance timeout (max.poll.interval.ms).
   */
  protected ensureGroup(fromPoll = false): void {
    if (this.closing || this.fatal !== null || !this.rejoinNeeded || this.state === 'preparing' || this.state === 'completing') return;
    if (!fromPoll && !this.waitingInPoll && !this.joinPrepared) return;
    if (this.coordinator === null) {
      this.findCoordinator();
      return;
    }
    if (!this.readyToJoin()) return;
    if (!this.joinPrepared) {
      this.joinPrepared = true;
      this.onJoinPrepare();
      return; // onJoinPrepare calls back here once its commit is done
    }
    this.sendJoinGroup();
  }

  private sendJoinGroup(): void {
    const coordinator = this.coordinator!;
    this.state = 'preparing';
    this.stopHeartbeats();
    const reason = this.rejoinReason;
    this.trace({ kind: 'consumer.join', group: this.group, member: this.member, memberId: this.memberId, reason });
    const protocols = this.joinProtocols();
    const rebalanceTimeoutUs = this.settings.maxPollIntervalMs * 1000;
    this.net.send<Response<'JoinGroupResponse'>>(coordinator, 'coordinator', (correlationId) => ({
      type: 'JoinGroup',
      correlationId,
      groupId: this.group,
      sessionTimeoutMs: this.settings.sessionTimeoutMs,
      rebalanceTimeoutMs: this.settings.maxPollIntervalMs,
      memberId: this.memberId,
      groupInstanceId: this.instanceId,
      protocolType: 'consumer',
      protocols,
      reason,
    }), (answer) => this.onJoinGroupResponse(answer), Math.max(this.settings.requestTimeoutUs, rebalanceTimeoutUs + JOIN_GROUP_TIMEOUT_LAPSE_US));
  }

  private onJoinGroupResponse(answer: Answer<Response<'JoinGroupResponse'>>): void {
    if (this.state !== 'preparing') return;
    const error = answer.ok ? answer.response.error : answer.error;
    if (error !== 'NONE' || !answer.ok) return this.joinFailed(error);
    const response = answer.response;
    this.memberId = response.memberId;
    this.generation = response.generationId;
    this.protocol = response.protocolName;
    this.isLeader = response.leader === response.memberId;
    this.state = 'completing';
    this.nextHeartbeatUs = this.env.now() + this.settings.heartbeatIntervalUs;
    this.scheduleHeartbeat(this.settings.heartbeatIntervalUs);
    const assignments = this.isLeader ? this.onLeaderElected(response) : [];
    const generation = this.generation;
    this.net.send<Response<'SyncGroupResponse'>>(this.coordinator!, 'coordinator', (correlationId) => ({
      type: 'SyncGroup',
      correlationId,
      groupId: this.group,
      generationId: generation,
      memberId: this.memberId,
      groupInstanceId: this.instanceId,
      assignments,
    }), (sync) => this.onSyncGroupResponse(sync, generation));
  }

  private joinFailed(error: KafkaError): void {
    this.state = 'unjoined';
    this.joinPrepared = true; // partitions were already given up for this rebalance
    switch (error) {
      case 'UNKNOWN_MEMBER_ID':
      case 'FENCED_INSTANCE_ID':
        this.memberId = '';
        this.generation = -1;
        break;
      case 'ILLEGAL_GENERATION':
        this.generation = -1;
        break;
      case 'INCONSISTENT_GROUP_PROTOCOL':
      case 'INVALID_SESSION_TIMEOUT':
      case 'GROUP_MAX_SIZE_REACHED':
        // Fatal in KafkaConsumer: poll() throws and the application's loop ends.
        this.fatal = error;
        return;
      default:
        this.onCoordinatorError(error, this.generation);
    }
    this.requestRejoin(`the JoinGroup failed with ${error}`);
    this.env.setTimer(this.settings.retryBackoffUs, () => this.ensureGroup());
  }

  private onSyncGroupResponse(answer: Answer<Response<'SyncGroupResponse'>>, generation: number): void {
    if (this.state !== 'completing' || generation !== this.generation) return;
    const error = answer.ok ? answer.response.error : answer.error;
    if (error !== 'NONE' || !answer.ok) return this.joinFailed(error);
    this.state = 'stable';
    this.rejoinNeeded = false;
    this.joinPrepared = false;
    this.onJoinComplete(answer.response.assignment);
    this.heartbeat();
    this.refreshCommittedOffsetsIfNeeded();
    if (this.rejoinNeeded) this.ensureGroup();
  }

  /** maybeLeaveGroup: a dynamic member says LeaveGroup; a static one does not (KIP-345). False when nothing was sent. */
  protected maybeLeaveGroup(reason: string, onAnswer: () => void): boolean {
    if (this.instanceId !== null || this.coordinator === null || this.memberId === '') return false;
    const memberId = this.memberId;
    this.net.send(this.coordinator, 'coordinator', (correlationId) => ({
      type: 'LeaveGroup', correlationId, groupId: this.group, memberId, reason,
    }), onAnswer);
    return true;
  }

  // ================================================================ the heartbeat thread

  private scheduleHeartbeat(delayUs: number): void {
    if (this.heartbeatTimer >= 0) this.env.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = this.env.setTimer(delayUs, () => {
      this.heartbeatTimer = -1;
      this.heartbeat();
    });
  }

  private stopHeartbeats(): void {
    if (this.heartbeatTimer >= 0) this.env.cancelTimer(this.heartbeatTimer);
    this.heartbeatTimer = -1;
  }

  /**
   * The heartbeat thread's loop: leave the group once the poll timeout has passed, heartbeat
   * every heartbeat.interval.ms, and wake again at whichever comes first.
   */
  private heartbeat(): void {
    if (this.state !== 'stable' && this.state !== 'completing') return;
    const now = this.env.now();
    const maxPollIntervalUs = this.settings.maxPollIntervalMs * 1000;
    const sinceLastPollUs = now - this.lastPollUs;
    if (sinceLastPollUs > maxPollIntervalUs && !this.waitingInPoll) return this.pollTimedOut(sinceLastPollUs);
    const coordinator = this.coordinator;
    const due = now >= this.nextHeartbeatUs && !this.heartbeatInFlight && coordinator !== null;
    if (due) this.nextHeartbeatUs = now + this.settings.heartbeatIntervalUs;
    const wakeUs = Math.min(this.nextHeartbeatUs, this.lastPollUs + maxPollIntervalUs + 1);
    // Overdue but unable to send (one in flight, no coordinator): HeartbeatThread waits retry.backoff.ms.
    this.scheduleHeartbeat(wakeUs > now ? wakeUs - now : this.settings.retryBackoffUs);
    if (!due) return;
    this.heartbeatInFlight = true;
    const generation = this.generation;
    this.net.send<Response<'HeartbeatResponse'>>(coordinator, 'coordinator', (correlationId) => ({
      type: 'Heartbeat',
      correlationId,
      groupId: this.group,
      generationId: generation,
      memberId: this.memberId,
      groupInstanceId: this.instanceId,
    }), (answer) => {
      this.heartbeatInFlight = false;
      const error = answer.ok ? answer.response.error : answer.error;
      if (error !== 'NONE') this.onCoordinatorError(error, generation);
    });
  }

  /** max.poll.interval.ms passed without a poll(): the heartbeat thread leaves the group (maybeLeaveGroup). */
  private pollTimedOut(sinceLastPollUs: number): void {
    this.trace({ kind: 'consumer.poll-timeout', group: this.group, member: this.member, memberId: this.memberId, generation: this.generation, sinceLastPollMs: Math.floor(sinceLastPollUs / 1000) });
    this.maybeLeaveGroup('consumer poll timeout has expired.', () => {}); // a static member's session timeout decides (KIP-345)
    this.resetGeneration('the consumer poll timeout has expired', true);
  }
}
