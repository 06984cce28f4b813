// KafkaConsumer (clients/consumer/KafkaConsumer.java, read at 2.8.2; the classic group protocol
// as 3.9 still has it): the client library's face, what an application calls. subscribe,
// poll(timeout), commitSync / commitAsync, the positions, groupMetadata, wakeup and close. Under
// it, as in Kafka: SubscriptionState (positions), ConsumerMetadata (leaders), the Fetcher, the
// ConsumerCoordinator (group membership, commits) and the NetworkClient (connections,
// reconnect backoff, request.timeout.ms) that ConsumerNetworkClient wraps in Kafka.
//
// A simulation cannot block, so a poll that finds nothing returns null and keeps the
// application parked "inside" it: when records arrive, its timeout passes, or wakeup() is
// called, the consumer calls the application back, and the application polls again at once
// (that poll returns the records). The position moves when poll() returns records, before the
// application processes them; a commit stores the position: the next offset to read.
import { invariant, type Env, type EventId } from '../../../sim/index.js';
import type { KafkaError } from '../../kafka/errors.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import { NetworkClient } from '../network-client.js';
import type { ConsumerSettings } from './consumer-config.js';
import { ConsumerCoordinator, type CommitError } from './consumer-coordinator.js';
import { ConsumerMetadata } from './consumer-metadata.js';
import { Fetcher, type PartitionRecords } from './fetcher.js';
import { SubscriptionState, type ConsumerRebalanceListener } from './subscription-state.js';

/** KafkaConsumer.close()'s default timeout (DEFAULT_CLOSE_TIMEOUT_MS). */
const CLOSE_TIMEOUT_US = 30_000_000;

export type { CommitError, ConsumerRebalanceListener, PartitionRecords };

export interface KafkaConsumerOptions {
  readonly bootstrap: readonly string[];
  /** The release line whose consumer this is (which KIPs it has). */
  readonly profile: string;
  readonly groupId: string;
  /** group.instance.id as this member's application set it (static membership), or null. */
  readonly groupInstanceId: string | null;
  /** The member's name in the trace (the simulated process hosting it). */
  readonly member: string;
}

/** ConsumerGroupMetadata (2.5+, KIP-447): the generation and member id a commit is made under. */
export interface ConsumerGroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
}

const NOTHING = (): void => {};

export class KafkaConsumer {
  private readonly net: NetworkClient;
  private readonly subscriptions: SubscriptionState;
  private readonly metadata: ConsumerMetadata;
  private readonly fetcher: Fetcher;
  private readonly coordinator: ConsumerCoordinator;
  /** The timeout of a poll that found nothing. */
  private pollTimer: EventId = -1;
  /** Who is parked in poll(): called once when it returns. */
  private onPollReturn: () => void = NOTHING;
  private readonly onPollTimeout = (): void => {
    this.pollTimer = -1;
    this.wake();
  };
  /** The last groupMetadata() answer, kept while the generation and member id stay (the application asks per record). */
  private groupMetadataNow: ConsumerGroupMetadata;

  constructor(
    private readonly env: Env<unknown>,
    private readonly options: KafkaConsumerOptions,
    private readonly settings: ConsumerSettings,
  ) {
    invariant(options.bootstrap.length > 0, () => `consumer ${options.member}: no bootstrap brokers`);
    const { groupId: group, member } = options;
    this.subscriptions = new SubscriptionState((state, source, reason) => env.trace({
      kind: 'consumer.position', group, member, topic: this.subscriptions.topic, partition: state.partition, offset: state.position!, source, reason,
    }));
    this.net = new NetworkClient(env, settings, (node, channel) => this.onDisconnect(node, channel));
    this.metadata = new ConsumerMetadata(env, this.net, settings, options.bootstrap, this.subscriptions, () => this.onMetadataUpdate());
    this.fetcher = new Fetcher(env, this.net, settings, options.profile, this.metadata, this.subscriptions, () => this.wake());
    this.coordinator = new ConsumerCoordinator(env, this.net, settings, this.metadata, this.subscriptions, this.fetcher, group, member, options.groupInstanceId);
    this.groupMetadataNow = { groupId: group, generationId: -1, memberId: '', groupInstanceId: options.groupInstanceId };
  }

  /** subscribe(topics, listener): the group assigns this topic's partitions; the listener hears of each rebalance. Asks for its metadata at once. */
  subscribe(topic: string, listener: ConsumerRebalanceListener): void {
    this.subscriptions.subscribe(topic, listener);
    this.metadata.refresh();
  }

  /**
   * poll(timeout): the records ready now, per partition, up to max.poll.records; null when there
   * are none yet: the application is then blocked in poll() until records arrive, the timeout
   * passes or wakeup() is called, and `onReturn` runs once then. Each call is a poll for
   * max.poll.interval.ms, runs a due auto-commit, and (re)joins the group when needed.
   */
  poll(timeoutUs: number, onReturn: () => void): readonly PartitionRecords[] | null {
    invariant(this.subscriptions.topic !== '', () => `consumer ${this.options.member}: poll() before subscribe()`);
    this.cancelPollTimer();
    this.coordinator.poll(this.env.now());
    const records = this.coordinator.rejoining ? null : this.fetcher.fetchedRecords();
    if (records !== null) return records;
    this.onPollReturn = onReturn;
    this.coordinator.waitingInPoll = true;
    this.pollTimer = this.env.setTimer(timeoutUs, this.onPollTimeout);
    return null;
  }

  /**
   * wakeup(): a poll blocked now returns (Kafka's throws WakeupException). Called outside a
   * poll, Kafka's next poll would throw; the loops here check their flag before polling instead.
   */
  wakeup(): void {
    this.wake();
  }

  /** commitSync(offsets): [partition, next offset to read]; retried until default.api.timeout.ms. `done` hears how it ended. */
  commitSync(offsets: readonly [number, number][], done: (error: CommitError) => void): void {
    this.coordinator.commitSync(offsets, this.env.now() + this.settings.defaultApiTimeoutUs, done);
  }

  /** commitAsync(offsets): sent once, never retried; the outcome is in the trace only. */
  commitAsync(offsets: readonly [number, number][]): void {
    this.coordinator.commitAsync(offsets, 'async');
  }

  /** Every assigned partition's position where one is known, as [partition, offset] (what commitSync() with no offsets commits). */
  positions(): [number, number][] {
    return this.subscriptions.allConsumed();
  }

  /** groupMetadata(): the current generation and member id (-1 and '' while out of the group). */
  groupMetadata(): ConsumerGroupMetadata {
    const now = this.groupMetadataNow;
    const generationId = this.coordinator.generationId;
    const memberId = this.coordinator.currentMemberId;
    if (now.generationId === generationId && now.memberId === memberId) return now;
    return (this.groupMetadataNow = { ...now, generationId, memberId });
  }

  /** A fatal group error (poll() would throw it: INCONSISTENT_GROUP_PROTOCOL, GROUP_MAX_SIZE_REACHED, ...); null if none. */
  get fatalError(): KafkaError | null {
    return this.coordinator.fatalError;
  }

  /**
   * close(): with enable.auto.commit, a last synchronous commit of the positions, then a
   * dynamic member's LeaveGroup (ConsumerCoordinator.close), within 30 s; `onClosed` then.
   */
  close(onClosed: () => void): void {
    this.coordinator.close(this.env.now() + CLOSE_TIMEOUT_US, onClosed);
  }

  // ================================================================ from the hosting process

  /** A message for the client: responses are matched to their requests; anything else is ignored. */
  receive(from: string, message: KafkaMessage): void {
    this.net.receive(from, message);
  }

  /** The peer closed or reset the connection `label`. */
  connectionLost(peer: string, label: string): void {
    this.net.connectionLost(peer, label);
  }

  // ================================================================ inside

  private wake(): void {
    if (!this.coordinator.waitingInPoll) return;
    this.coordinator.waitingInPoll = false;
    this.cancelPollTimer();
    const onReturn = this.onPollReturn;
    this.onPollReturn = NOTHING;
    onReturn();
  }

  private cancelPollTimer(): void {
    if (this.pollTimer >= 0) this.env.cancelTimer(this.pollTimer);
    this.pollTimer = -1;
  }

  private onDisconnect(node: string, channel: 'default' | 'coordinator'): void {
    if (channel !== 'coordinator' || !this.coordinator.coordinatorConnectionLost(node)) this.metadata.requestUpdate();
  }

  private onMetadataUpdate(): void {
    this.coordinator.onMetadataUpdate();
    this.fetcher.sendFetches();
  }
}
