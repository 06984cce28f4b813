// A consumer group member: an application running a poll loop, and Kafka's consumer client under
// it, modelled on KafkaConsumer 3.9 (classic protocol): ConsumerCoordinator (group membership,
// commits), Fetcher and SubscriptionState (positions), and the heartbeat thread.
//
//   application: poll() ─▶ records ─▶ process each (processing time) ─▶ commit, by strategy:
//     before-processing  commitSync(positions) right after poll, then process
//     after-processing   process the poll's records, then commitSync(positions)
//     per-batch          per partition of the poll: process its records, then commitSync(that partition)
//     async              process the poll's records, then commitAsync(positions)
//     auto               enable.auto.commit: poll() commits the positions every auto.commit.interval.ms
//
// The position moves when poll() returns records, before they are processed; a commit stores
// the position: the next offset to read. So a crash after a commit and before processing loses
// the rest of the batch (unprocessed); a crash after processing and before the commit makes the
// next owner process them again (reprocessed).
//
// The heartbeat thread runs beside the application. It answers for the member's liveness
// (session.timeout.ms), and it is the one that notices a poll loop slower than
// max.poll.interval.ms: then the member leaves the group, and the application, still
// processing, finds its next commit refused and its partitions given to someone else.
//
// A clean stop (SIGTERM) ends the loop after the batch in hand and its commit, then close():
// an auto-commit, and LeaveGroup, so the group rebalances without waiting for the session.
import { invariant, type Env, type EventId, type Process, type ProcessFactory } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { ConsumerAppEvent } from '../kafka/events.js';
import type { GroupProtocol, KafkaMessage, TopicPartitionRef } from '../kafka/protocol.js';
import { tpKey, type KafkaRecord } from '../kafka/records.js';
import type { ConsumerSpec } from '../scenario/types.js';
import { ConsumerMetadata } from './consumer/consumer-metadata.js';
import { Fetcher, type PartitionRecords } from './consumer/fetcher.js';
import { ASSIGNORS, type AssignorName, type Subscription as AssignorSubscription } from './assignors/index.js';
import { consumerSettings, type ConsumerSettings } from './consumer/consumer-config.js';
import { NetworkClient, type Answer } from './network-client.js';
import { SubscriptionState } from './consumer/subscription-state.js';

export interface ConsumerOptions {
  readonly bootstrap: readonly string[];
  readonly profile: string;
  /** 1-based index of this member in its group's entry (a static member's group.instance.id gets it as a suffix). */
  readonly memberIndex: number;
}

/** poll(Duration.ofMillis(100)): how long an empty poll waits for records before returning. */
const POLL_TIMEOUT_US = 100_000;
/** KafkaConsumer.close()'s default timeout (DEFAULT_CLOSE_TIMEOUT_MS). */
const CLOSE_TIMEOUT_US = 30_000_000;
/** AbstractCoordinator.JOIN_GROUP_TIMEOUT_LAPSE: a JoinGroup may wait the rebalance out. */
const JOIN_GROUP_TIMEOUT_LAPSE_US = 5_000_000;

type Response<T extends KafkaMessage['type']> = Extract<KafkaMessage, { type: T }>;
type MemberState = 'unjoined' | 'preparing' | 'completing' | 'stable';
type CommitError = KafkaError | 'COMMIT_FAILED';

/** One step of the application's loop. */
type Step =
  /** The records poll() returned from one partition: offsets [fromOffset, toOffset) of these batches, processed in order. */
  | { readonly kind: 'process'; readonly records: PartitionRecords }
  | { readonly kind: 'commit'; readonly offsets: readonly [number, number][]; readonly mode: 'sync' | 'async' }
  | { readonly kind: 'poll' };

export function consumerProcess(spec: ConsumerSpec, member: string, options: ConsumerOptions): ProcessFactory<unknown> {
  const settings = consumerSettings(spec.config, spec.commit, options.profile);
  return (env) => new Consumer(env, spec, member, options, settings);
}

class Consumer implements Process<unknown> {
  private readonly net: NetworkClient;
  private readonly group: string;
  private readonly topic: string;
  private readonly instanceId: string | null;

  private readonly metadata: ConsumerMetadata;

  private readonly fetcher: Fetcher;

  // Group membership (AbstractCoordinator).
  private coordinator: string | null = null;
  private findingCoordinator = false;
  private state: MemberState = 'unjoined';
  private memberId = '';
  private generation = -1;
  private protocol: string | null = null;
  private isLeader = false;
  private rejoinNeeded = true;
  private rejoinReason = 'the consumer subscribed';
  private joinPrepared = false;
  /** onJoinPrepare's auto-commit is in flight: poll() returns nothing until the join is sent. */
  private preparingJoin = false;
  private assignedPartitionCount = -1;
  private readonly subscriptions: SubscriptionState;
  private heartbeatTimer: EventId = -1;
  private heartbeatInFlight = false;
  private nextHeartbeatUs = 0;

  // The application.
  private readonly steps: Step[] = [];
  private stepIndex = 0;
  private busy = false; // a step waits on a timer or a response
  private waitingInPoll = false;
  private pollTimer: EventId = -1;
  private lastPollUs: number;
  private nextAutoCommitUs: number;
  private stopped = false;
  /** SIGTERM came: the loop closes the consumer at its next poll, then the process exits. */
  private exitWhenClosed: (() => void) | null = null;
  /** Where processing stands inside the current process step. */
  private readonly cursor: { step: Step | null; batchIndex: number; offset: number } = { step: null, batchIndex: 0, offset: 0 };

  constructor(
    private readonly env: Env<unknown>,
    private readonly spec: ConsumerSpec,
    private readonly member: string,
    private readonly options: ConsumerOptions,
    private readonly settings: ConsumerSettings,
  ) {
    invariant(options.bootstrap.length > 0, () => `consumer ${member}: no bootstrap brokers`);
    this.group = spec.group;
    this.topic = spec.topic;
    this.instanceId = settings.groupInstanceId === null ? null : `${settings.groupInstanceId}-${options.memberIndex}`;
    this.subscriptions = new SubscriptionState((state, source, reason) => this.trace({
      kind: 'consumer.position', group: this.group, member: this.member, topic: this.topic, partition: state.partition, offset: state.position!, source, reason,
    }));
    this.subscriptions.subscribe(this.topic, {
      onPartitionsRevoked: (partitions) => this.onPartitionsRevoked(partitions, false),
      onPartitionsLost: (partitions) => this.onPartitionsRevoked(partitions, true),
      onPartitionsAssigned: (partitions) => this.onPartitionsAssigned(partitions),
    });
    this.net = new NetworkClient(env, settings, (node, channel) => this.onDisconnect(node, channel));
    this.metadata = new ConsumerMetadata(env, this.net, settings, options.bootstrap, this.subscriptions, () => this.onMetadataUpdate());
    this.fetcher = new Fetcher(env, this.net, settings, options.profile, this.metadata, this.subscriptions, () => this.wakeApp());
    this.lastPollUs = env.now();
    this.nextAutoCommitUs = env.now() + settings.autoCommitIntervalUs;
    this.metadata.refresh();
    this.steps.push({ kind: 'poll' });
    this.runApp();
  }

  onMessage(from: string, message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    this.net.receive(from, message as KafkaMessage); // ignores what has no correlation id
  }

  onUnreachable(to: string, _message: unknown, connection: string): void {
    this.net.connectionLost(to, connection);
  }

  onConnectionClosed(peer: string, connection: string): void {
    this.net.connectionLost(peer, connection);
  }

  /**
   * SIGTERM. The application's shutdown hook clears its loop's running flag (and wakes a waiting
   * poll): the loop finishes the current batch and that batch's commit, by its strategy, and
   * then calls close() instead of polling again.
   */
  onTerminate(exit: () => void): void {
    this.exitWhenClosed = exit;
    if (this.stopped) return exit(); // the loop already ended on a fatal error
    if (this.waitingInPoll) this.wakeApp();
  }

  /**
   * KafkaConsumer.close (ConsumerCoordinator.close): with enable.auto.commit, a synchronous
   * commit of the positions; then a dynamic member leaves the group (a static one does not,
   * KIP-345), so the group rebalances at once instead of after session.timeout.ms.
   */
  private close(): void {
    this.stopped = true;
    const exit = this.exitWhenClosed!;
    const deadlineUs = this.env.now() + CLOSE_TIMEOUT_US;
    const leave = (): void => {
      if (this.instanceId !== null || this.coordinator === null || this.memberId === '' || this.env.now() >= deadlineUs) return exit();
      const memberId = this.memberId;
      this.net.send(this.coordinator, 'coordinator', (correlationId) => ({
        type: 'LeaveGroup', correlationId, groupId: this.group, memberId, reason: 'the consumer is being closed',
      }), () => exit());
    };
    if (this.settings.enableAutoCommit && this.state === 'stable') this.commitSync(this.subscriptions.allConsumed(), deadlineUs, () => leave(), 'auto');
    else leave();
  }

  private trace(event: ConsumerAppEvent, keep = true): void {
    this.env.trace(event, keep);
  }

  private onDisconnect(node: string, channel: 'default' | 'coordinator'): void {
    if (channel === 'coordinator' && node === this.coordinator) this.markCoordinatorUnknown();
    else this.metadata.requestUpdate();
  }

  // ================================================================ the application's loop

  /** Runs steps until one has to wait (a processing timer, a commit's answer, an empty poll). */
  private runApp(): void {
    if (this.busy || this.stopped) return;
    while (this.stepIndex < this.steps.length) {
      const step = this.steps[this.stepIndex++]!;
      if (step.kind === 'poll') {
        if (this.exitWhenClosed !== null) return this.close();
        this.steps.length = 0;
        this.stepIndex = 0;
        if (!this.poll()) return; // nothing yet: poll() wakes the loop when records come or its timeout passes
        continue;
      }
      if (step.kind === 'process') {
        if (this.process(step)) continue;
        this.stepIndex -= 1; // a record is being processed: this step resumes after it
        return;
      }
      if (step.mode === 'async') {
        this.commitAsync(step.offsets, 'async');
        continue;
      }
      this.busy = true;
      this.commitSync(step.offsets, this.env.now() + this.settings.defaultApiTimeoutUs, (error) => {
        this.busy = false;
        // commitSync threw (CommitFailedException, RebalanceInProgressException, TimeoutException):
        // the loop's iteration ends there; the application catches it and polls again.
        if (error !== 'NONE') this.stepIndex = this.steps.length - 1;
        this.runApp();
      });
      return;
    }
  }

  private processingUs(): number {
    const { minUs, maxUs } = this.spec.processingUs;
    return maxUs <= minUs ? minUs : minUs + this.env.random.int(maxUs - minUs + 1);
  }

  /**
   * Processes the step's records from the cursor on; false when one takes time (a timer will
   * finish it and run the loop again), true when the step is done.
   */
  private process(step: Extract<Step, { kind: 'process' }>): boolean {
    const cursor = this.cursor;
    const records = step.records;
    if (cursor.step !== step) {
      cursor.step = step;
      cursor.batchIndex = 0;
      cursor.offset = records.fromOffset;
    }
    while (cursor.offset < records.toOffset) {
      let batch = records.batches[cursor.batchIndex]!;
      while (cursor.offset >= batch.baseOffset + batch.records.length) batch = records.batches[++cursor.batchIndex]!;
      const offset = cursor.offset;
      const record = batch.records[offset - batch.baseOffset]!;
      cursor.offset += 1;
      const durationUs = this.processingUs();
      if (durationUs === 0) {
        this.processed(records, offset, record);
        continue;
      }
      this.busy = true;
      this.env.setTimer(durationUs, () => {
        this.busy = false;
        this.processed(records, offset, record);
        this.runApp();
      });
      return false;
    }
    cursor.step = null;
    return true;
  }

  private processed(records: PartitionRecords, offset: number, record: KafkaRecord): void {
    this.trace({
      kind: 'app.processed',
      group: this.group,
      member: this.member,
      generation: this.generation,
      topic: this.topic,
      partition: records.partition,
      offset,
      producer: record.producer,
      seq: record.seq,
      highWatermark: records.highWatermark,
    }, false);
  }

  /** KafkaConsumer.poll: false when it returned nothing and will wake the loop later. */
  private poll(): boolean {
    const now = this.env.now();
    this.lastPollUs = now;
    this.cancelPollTimer();
    if (this.settings.enableAutoCommit && now >= this.nextAutoCommitUs) {
      this.nextAutoCommitUs = now + this.settings.autoCommitIntervalUs;
      if (this.state === 'stable') this.commitAsync(this.subscriptions.allConsumed(), 'auto');
    }
    this.ensureGroup(true);
    const records = this.preparingJoin ? null : this.fetcher.fetchedRecords();
    if (records === null) {
      this.waitingInPoll = true;
      this.pollTimer = this.env.setTimer(POLL_TIMEOUT_US, () => {
        this.pollTimer = -1;
        this.wakeApp();
      });
      this.steps.push({ kind: 'poll' });
      this.stepIndex = 0;
      this.steps.length = 1;
      return false;
    }
    this.planBatch(records);
    return true;
  }

  private cancelPollTimer(): void {
    if (this.pollTimer >= 0) this.env.cancelTimer(this.pollTimer);
    this.pollTimer = -1;
  }

  /** A poll waiting for records: records came, or its timeout passed. */
  private wakeApp(): void {
    if (!this.waitingInPoll) return;
    this.waitingInPoll = false;
    this.cancelPollTimer();
    this.stepIndex = 0;
    this.runApp();
  }

  /** Arranges the commits around the process steps poll() just added, by the commit strategy. */
  private planBatch(records: readonly PartitionRecords[]): void {
    const work = records.map((r): Extract<Step, { kind: 'process' }> => ({ kind: 'process', records: r }));
    switch (this.spec.commit) {
      case 'before-processing':
        this.steps.push({ kind: 'commit', offsets: this.subscriptions.allConsumed(), mode: 'sync' }, ...work);
        break;
      case 'after-processing':
        this.steps.push(...work, { kind: 'commit', offsets: this.subscriptions.allConsumed(), mode: 'sync' });
        break;
      case 'async':
        this.steps.push(...work, { kind: 'commit', offsets: this.subscriptions.allConsumed(), mode: 'async' });
        break;
      case 'per-batch':
        for (const step of work) this.steps.push(step, { kind: 'commit', offsets: [[step.records.partition, step.records.toOffset]], mode: 'sync' });
        break;
      case 'auto':
        this.steps.push(...work);
        break;
    }
    this.steps.push({ kind: 'poll' });
    this.stepIndex = 0;
  }

  // ================================================================ commits

  /** commitSync: retried on retriable errors until the deadline (default.api.timeout.ms). */
  private commitSync(offsets: readonly [number, number][], deadlineUs: number, done: (error: CommitError) => void, mode: 'sync' | 'auto' = 'sync'): void {
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

  private commitAsync(offsets: readonly [number, number][], mode: 'async' | 'auto'): void {
    this.sendCommit(offsets, mode, () => {});
  }

  /** One OffsetCommit (ConsumerCoordinator.sendOffsetCommitRequest); `done` hears the outcome once. */
  private sendCommit(offsets: readonly [number, number][], mode: 'sync' | 'async' | 'auto', done: (error: CommitError) => void): void {
    const report = (error: CommitError, memberId: string, generation: number): void => {
      this.trace({ kind: 'app.commit', group: this.group, member: this.member, memberId, generation, mode, offsets: offsets.map(([p, o]) => [this.topic, p, o]), error }, false);
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
      offsets: offsets.map(([partition, offset]) => ({ topic: this.topic, partition, offset, leaderEpoch: this.subscriptions.stateOf(partition)?.positionEpoch ?? -1 })),
    }), (answer) => {
      const error: KafkaError = answer.ok ? (answer.response.partitions.find((p) => p.error !== 'NONE')?.error ?? 'NONE') : answer.error;
      this.onCoordinatorError(error, generation);
      report(error, memberId, generation);
    });
  }

  /** What a coordinator's error means for the membership (AbstractCoordinator's handlers). */
  private onCoordinatorError(error: KafkaError, generation: number): void {
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

  // ================================================================ group membership

  private requestRejoin(reason: string): void {
    if (!this.rejoinNeeded) this.rejoinReason = reason;
    this.rejoinNeeded = true;
  }

  /** resetStateAndGeneration: the member is out of the group; its partitions are lost at the next join. */
  private resetGeneration(reason: string, resetMemberId: boolean): void {
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

  private findCoordinator(): void {
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
        this.lookUpPositions();
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
  private ensureGroup(fromPoll = false): void {
    if (this.stopped || !this.rejoinNeeded || this.state === 'preparing' || this.state === 'completing') return;
    if (!fromPoll && !this.waitingInPoll && !this.joinPrepared) return;
    if (this.coordinator === null) {
      this.findCoordinator();
      return;
    }
    if (this.metadata.partitionCount === 0) return; // the leader needs partition counts; metadata will call again
    if (!this.joinPrepared) {
      this.joinPrepared = true;
      this.onJoinPrepare();
      return; // onJoinPrepare calls back here once its commit is done
    }
    this.sendJoinGroup();
  }

  /**
   * ConsumerCoordinator.onJoinPrepare: auto-commit what was consumed (synchronously), then give
   * up partitions: all of them under the eager protocol; under the cooperative one only when
   * the generation was lost (then they are "lost", not revoked).
   */
  private onJoinPrepare(): void {
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

  private sendJoinGroup(): void {
    const coordinator = this.coordinator!;
    this.state = 'preparing';
    this.stopHeartbeats();
    const reason = this.rejoinReason;
    this.trace({ kind: 'consumer.join', group: this.group, member: this.member, memberId: this.memberId, reason });
    const owned = this.subscriptions.assignedPartitions().map((partition) => ({ topic: this.topic, partition }));
    const protocols: GroupProtocol[] = this.settings.assignors.map((name) => ({
      name,
      metadata: { topics: [this.topic], ownedPartitions: owned, generation: this.generation },
    }));
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
    const assignments = this.isLeader ? this.assign(response) : [];
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
        this.stopped = true;
        return;
      default:
        this.onCoordinatorError(error, this.generation);
    }
    this.requestRejoin(`the JoinGroup failed with ${error}`);
    this.env.setTimer(this.settings.retryBackoffUs, () => this.ensureGroup());
  }

  /** The leader runs the chosen assignor over every member's subscription (ConsumerCoordinator.onLeaderElected). */
  private assign(response: Response<'JoinGroupResponse'>): { memberId: string; assignment: TopicPartitionRef[] }[] {
    const assignor = ASSIGNORS[(response.protocolName ?? this.settings.assignors[0]!) as AssignorName];
    const subscriptions: AssignorSubscription[] = response.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      topics: m.metadata.topics,
      ownedPartitions: m.metadata.ownedPartitions,
      generationId: m.metadata.generation,
    }));
    this.assignedPartitionCount = this.metadata.partitionCount;
    const assignment = assignor({ [this.topic]: this.metadata.partitionCount }, subscriptions);
    return response.members.map((m) => ({ memberId: m.memberId, assignment: [...(assignment[m.memberId] ?? [])] }));
  }

  private onSyncGroupResponse(answer: Answer<Response<'SyncGroupResponse'>>, generation: number): void {
    if (this.state !== 'completing' || generation !== this.generation) return;
    const error = answer.ok ? answer.response.error : answer.error;
    if (error !== 'NONE' || !answer.ok) return this.joinFailed(error);
    this.state = 'stable';
    this.rejoinNeeded = false;
    this.joinPrepared = false;
    const assigned = new Set(answer.response.assignment.filter((tp) => tp.topic === this.topic).map((tp) => tp.partition));
    const revoked = this.subscriptions.assignedPartitions().filter((p) => !assigned.has(p));
    const added = [...assigned].filter((p) => !this.subscriptions.isAssigned(p)).sort((a, b) => a - b);
    if (revoked.length > 0) {
      this.revoke(revoked, false);
      // Cooperative: a second rebalance hands the revoked partitions to their new owners.
      this.requestRejoin('partitions were revoked in the cooperative rebalance');
    }
    for (const partition of added) this.subscriptions.assign(partition);
    this.subscriptions.listener.onPartitionsAssigned(added);
    this.heartbeat();
    this.lookUpPositions();
    if (this.rejoinNeeded) this.ensureGroup();
  }

  /** invokePartitionsRevoked / invokePartitionsLost, then the partitions leave the assignment. */
  private revoke(partitions: readonly number[], lost: boolean): void {
    if (partitions.length === 0) return;
    if (lost) this.subscriptions.listener.onPartitionsLost(partitions);
    else this.subscriptions.listener.onPartitionsRevoked(partitions);
    this.subscriptions.remove(partitions);
  }

  private onPartitionsRevoked(partitions: readonly number[], lost: boolean): void {
    this.trace({ kind: 'app.revoked', group: this.group, member: this.member, memberId: this.memberId, generation: this.generation, partitions: partitions.map((p) => tpKey(this.topic, p)), lost });
  }

  private onPartitionsAssigned(partitions: readonly number[]): void {
    this.trace({ kind: 'app.assigned', group: this.group, member: this.member, memberId: this.memberId, generation: this.generation, partitions: partitions.map((p) => tpKey(this.topic, p)) });
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
    // A static member does not send LeaveGroup: its session timeout decides (KIP-345).
    if (this.instanceId === null && this.coordinator !== null && this.memberId !== '') {
      const memberId = this.memberId;
      this.net.send(this.coordinator, 'coordinator', (correlationId) => ({
        type: 'LeaveGroup', correlationId, groupId: this.group, memberId, reason: 'consumer poll timeout has expired.',
      }), () => {});
    }
    this.resetGeneration('the consumer poll timeout has expired', true);
  }

  // ================================================================ positions

  /** Finds where each new partition starts: its committed offset, else auto.offset.reset. */
  private lookUpPositions(): void {
    const missing = this.subscriptions.missingPositions();
    if (missing.length === 0 || this.state !== 'stable') return;
    if (this.coordinator === null) return this.findCoordinator();
    for (const owned of missing) owned.lookingUp = true;
    const generation = this.generation;
    this.net.send<Response<'OffsetFetchResponse'>>(this.coordinator, 'coordinator', (correlationId) => ({
      type: 'OffsetFetch',
      correlationId,
      groupId: this.group,
      partitions: missing.map((o) => ({ topic: this.topic, partition: o.partition })),
    }), (answer) => {
      for (const owned of missing) owned.lookingUp = false;
      const error = answer.ok ? answer.response.error : answer.error;
      if (error !== 'NONE' || !answer.ok) {
        this.onCoordinatorError(error, generation);
        this.env.setTimer(this.settings.retryBackoffUs, () => this.lookUpPositions());
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

  // ================================================================ metadata

  private onMetadataUpdate(): void {
    // The leader watches the partition count: a change means a new assignment (ConsumerCoordinator.rejoinNeededOrPending).
    const partitions = this.metadata.partitionCount;
    if (this.isLeader && this.state === 'stable' && this.assignedPartitionCount >= 0 && this.assignedPartitionCount !== partitions) {
      this.requestRejoin(`the partition count of ${this.topic} changed from ${this.assignedPartitionCount} to ${partitions}`);
    }
    this.ensureGroup();
    this.fetcher.sendFetches();
  }
}
