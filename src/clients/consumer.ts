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
import type { ConsumerAppEvent } from '../kafka/events.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { tpKey, type KafkaRecord } from '../kafka/records.js';
import type { ConsumerSpec } from '../scenario/types.js';
import { ConsumerMetadata } from './consumer/consumer-metadata.js';
import { Fetcher, type PartitionRecords } from './consumer/fetcher.js';
import { consumerSettings, type ConsumerSettings } from './consumer/consumer-config.js';
import { NetworkClient } from './network-client.js';
import { SubscriptionState } from './consumer/subscription-state.js';
import { ConsumerCoordinator } from './consumer/consumer-coordinator.js';

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

  private readonly metadata: ConsumerMetadata;

  private readonly fetcher: Fetcher;

  private readonly coordinator: ConsumerCoordinator;
  private readonly subscriptions: SubscriptionState;

  // The application.
  private readonly steps: Step[] = [];
  private stepIndex = 0;
  private busy = false; // a step waits on a timer or a response
  private pollTimer: EventId = -1;
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
    const instanceId = settings.groupInstanceId === null ? null : `${settings.groupInstanceId}-${options.memberIndex}`;
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
    this.coordinator = new ConsumerCoordinator(env, this.net, settings, this.metadata, this.subscriptions, this.fetcher, this.group, member, instanceId);
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
    if (this.stopped || this.coordinator.fatalError !== null) return exit(); // the loop already ended on a fatal error
    if (this.coordinator.waitingInPoll) this.wakeApp();
  }

  /**
   * KafkaConsumer.close (ConsumerCoordinator.close): with enable.auto.commit, a synchronous
   * commit of the positions; then a dynamic member leaves the group (a static one does not,
   * KIP-345), so the group rebalances at once instead of after session.timeout.ms.
   */
  private close(): void {
    this.stopped = true;
    const exit = this.exitWhenClosed!;
    this.coordinator.close(this.env.now() + CLOSE_TIMEOUT_US, exit);
  }

  private trace(event: ConsumerAppEvent, keep = true): void {
    this.env.trace(event, keep);
  }

  private onDisconnect(node: string, channel: 'default' | 'coordinator'): void {
    if (channel !== 'coordinator' || !this.coordinator.coordinatorConnectionLost(node)) this.metadata.requestUpdate();
  }

  // ================================================================ the application's loop

  /** Runs steps until one has to wait (a processing timer, a commit's answer, an empty poll). */
  private runApp(): void {
    if (this.busy || this.stopped || this.coordinator.fatalError !== null) return;
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
        this.coordinator.commitAsync(step.offsets, 'async');
        continue;
      }
      this.busy = true;
      this.coordinator.commitSync(step.offsets, this.env.now() + this.settings.defaultApiTimeoutUs, (error) => {
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
      generation: this.coordinator.generationId,
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
    this.cancelPollTimer();
    this.coordinator.poll(this.env.now());
    const records = this.coordinator.rejoining ? null : this.fetcher.fetchedRecords();
    if (records === null) {
      this.coordinator.waitingInPoll = true;
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
    if (!this.coordinator.waitingInPoll) return;
    this.coordinator.waitingInPoll = false;
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

  private onMetadataUpdate(): void {
    this.coordinator.onMetadataUpdate();
    this.fetcher.sendFetches();
  }

  // ================================================================ the rebalance listener

  private onPartitionsRevoked(partitions: readonly number[], lost: boolean): void {
    this.trace({ kind: 'app.revoked', group: this.group, member: this.member, memberId: this.coordinator.currentMemberId, generation: this.coordinator.generationId, partitions: partitions.map((p) => tpKey(this.topic, p)), lost });
  }

  private onPartitionsAssigned(partitions: readonly number[]): void {
    this.trace({ kind: 'app.assigned', group: this.group, member: this.member, memberId: this.coordinator.currentMemberId, generation: this.coordinator.generationId, partitions: partitions.map((p) => tpKey(this.topic, p)) });
  }
}
