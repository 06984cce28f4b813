// ConsumerMetadata (clients/consumer/internals/ConsumerMetadata.java over clients/Metadata.java,
// read at 2.8.2): the brokers and the subscribed topic's partition leaders with their leader
// epochs, refreshed from the least loaded broker when someone asks (not more often than
// retry.backoff.ms) and every metadata.max.age.ms. An answer with an older leader epoch than
// the one known is older news and is ignored (KIP-320, Metadata.updateLatestMetadata).
import type { Env } from '../../../sim/index.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import { Alarm } from '../alarm.js';
import type { NetworkClient } from '../network-client.js';
import { NEVER_US } from '../producer-config.js';
import type { ConsumerSettings } from './consumer-config.js';
import type { SubscriptionState } from './subscription-state.js';

type MetadataResponse = Extract<KafkaMessage, { type: 'MetadataResponse' }>;

export interface PartitionLeader {
  /** The leader's node; null while the partition has none. */
  readonly node: string | null;
  readonly leaderEpoch: number;
}

export class ConsumerMetadata {
  private readonly brokerNodes = new Map<number, string>();
  /** Per partition of the topic; replaced, never changed in place, by each answer. */
  private leaders: PartitionLeader[] = [];
  private inFlight = false;
  private lastRefreshUs = -NEVER_US;
  /** One timer for the next refresh, at the earliest time anyone asked (a retry, or metadata.max.age.ms). */
  private readonly alarm: Alarm;

  constructor(
    private readonly env: Env<unknown>,
    private readonly net: NetworkClient,
    private readonly settings: ConsumerSettings,
    private readonly bootstrap: readonly string[],
    private readonly subscriptions: SubscriptionState,
    /** After every usable answer: the coordinator and the Fetcher look again. */
    private readonly onUpdate: () => void,
  ) {
    this.alarm = new Alarm(env, () => this.refresh());
  }

  /** The brokers last heard of, else the bootstrap list. */
  brokers(): readonly string[] {
    return this.brokerNodes.size > 0 ? [...new Set(this.brokerNodes.values())] : this.bootstrap;
  }

  /** The topic's partition count; 0 until known. */
  get partitionCount(): number {
    return this.leaders.length;
  }

  leader(partition: number): PartitionLeader | undefined {
    return this.leaders[partition];
  }

  /** The partition's leader node, null when none is known. */
  leaderNode(partition: number): string | null {
    return this.leaders[partition]?.node ?? null;
  }

  /** The partition's leader epoch, -1 when unknown. */
  leaderEpoch(partition: number): number {
    return this.leaders[partition]?.leaderEpoch ?? -1;
  }

  /** Metadata.requestUpdate: a refresh as soon as retry.backoff.ms after the last one allows. */
  requestUpdate(): void {
    if (this.inFlight) return;
    const atUs = this.lastRefreshUs + this.settings.retryBackoffUs;
    if (atUs > this.env.now()) {
      this.alarm.wakeAt(atUs);
      return;
    }
    this.refresh();
  }

  /** A Metadata request now, to the least loaded broker (or a wake-up when every broker backs off). */
  refresh(): void {
    if (this.inFlight) return;
    const node = this.net.leastLoadedNode(this.brokers());
    const now = this.env.now();
    if (node === null) {
      this.alarm.wakeAt(now + Math.max(this.settings.retryBackoffUs, this.net.earliestReadyUs(this.brokers()) - now));
      return;
    }
    this.inFlight = true;
    this.lastRefreshUs = now;
    this.net.send<MetadataResponse>(node, 'default', (correlationId) => ({ type: 'Metadata', correlationId, topics: [this.subscriptions.topic] }), (answer) => {
      this.inFlight = false;
      if (!answer.ok) return this.requestUpdate();
      this.onMetadata(answer.response);
    });
  }

  private onMetadata(response: MetadataResponse): void {
    for (const broker of response.brokers) this.brokerNodes.set(broker.id, broker.node);
    const topic = response.topics.find((t) => t.name === this.subscriptions.topic);
    if (topic === undefined || topic.error !== 'NONE' || topic.partitions.length === 0) return this.requestUpdate();
    const leaders = this.leaders.slice();
    let stale = false;
    for (const p of topic.partitions) {
      const known = leaders[p.partition];
      if (known !== undefined && p.leaderEpoch < known.leaderEpoch) continue; // KIP-320: older news
      const node = p.leader >= 0 ? this.brokerNodes.get(p.leader) ?? null : null;
      if (node === null) stale = true;
      leaders[p.partition] = { node, leaderEpoch: p.leaderEpoch };
    }
    this.leaders = leaders;
    if (stale) this.requestUpdate();
    else this.alarm.wakeAt(this.env.now() + this.settings.metadataMaxAgeUs);
    this.onUpdate();
  }
}
