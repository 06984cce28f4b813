// The producer's metadata: Kafka's ProducerMetadata and the Metadata it extends
// (clients/src/main/java/org/apache/kafka/clients/producer/internals/ProducerMetadata.java and
// clients/.../clients/Metadata.java, read at 2.8.2), with the part of NetworkClient's
// DefaultMetadataUpdater that decides when to ask and whom (maybeUpdate: the least loaded node).
// It knows the topic's partitions, each one's leader and leader epoch, and the brokers' nodes;
// it refreshes when asked to (an unknown leader, a metadata error, a disconnect) after
// retry.backoff.ms, and otherwise every metadata.max.age.ms.
import type { Env } from '../../../sim/index.js';
import type { ProducerEvent } from '../../kafka/events.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import { Alarm } from '../alarm.js';
import { NEVER_US as NEVER, type ProducerSettings } from '../producer-config.js';
import type { PartitionQueue } from './producer-batch.js';
import type { Connection, ProducerNetworkClient } from './network-client.js';

/** "Never" as a time; a module constant (an imported binding can cost a getter call per use under tsx). */
const NEVER_US = NEVER;

/**
 * One partition: the accumulator's queue and, from metadata, its leader. One object holds both,
 * so that the Sender's pass over the partitions touches one object per partition.
 */
export interface PartitionState extends PartitionQueue {
  leader: number; // broker id, -1 when unknown or offline
  /** The leader's connection; null while the leader is unknown. */
  connection: Connection | null;
}

function newPartitionState(id: number): PartitionState {
  return { id, leader: -1, leaderEpoch: -1, connection: null, queue: [], muted: false };
}

export interface ProducerMetadataConfig {
  readonly clientId: string;
  readonly topic: string;
  readonly bootstrap: readonly string[];
}

export class ProducerMetadata {
  // Read by the KafkaProducer, the accumulator and the Sender; written only by a response.
  /** The topic has partitions and leaders: send() need not wait (KafkaProducer.waitOnMetadata). */
  topicKnown = false;
  numPartitions = 0;
  /** Every partition of the topic, by id. */
  readonly partitions: PartitionState[] = [];
  /** Partitions with a known leader (Cluster.availablePartitionsForTopic). */
  available: number[] = [];

  private readonly brokerNodes = new Map<number, string>();
  private needed = true;
  private failures = 0;
  private lastAttemptUs = -NEVER_US;
  private lastSuccessUs = -NEVER_US;
  private readonly alarm: Alarm;

  constructor(
    private readonly env: Env<unknown>,
    private readonly config: ProducerMetadataConfig,
    private readonly settings: ProducerSettings,
    private readonly client: ProducerNetworkClient,
    /** Called after a successful update: sends waiting for metadata, and batches waiting for a leader, may go on. */
    private readonly onUpdate: () => void,
  ) {
    this.alarm = new Alarm(env, () => this.maybeUpdate());
  }

  /** Metadata.requestUpdate, and NetworkClient's poll acting on it at once. */
  requestUpdate(): void {
    this.needed = true;
    this.maybeUpdate();
  }

  /** A refresh's request was lost with its connection: ask again after the backoff. */
  onRequestFailed(): void {
    this.failures += 1;
    this.needed = true;
  }

  /** DefaultMetadataUpdater.maybeUpdate, with Metadata.timeToNextUpdate: now if needed and not backing off, else at metadata.max.age.ms. */
  maybeUpdate(): void {
    if (this.client.inFlight('metadata') > 0) return;
    const now = this.env.now();
    const atUs = this.needed ? this.lastAttemptUs + this.backoffUs() : this.lastSuccessUs + this.settings.metadataMaxAgeUs;
    if (atUs > now) {
      this.alarm.wakeAt(atUs);
      return;
    }
    const node = this.client.leastLoadedNode(this.nodes(), now);
    if (node === null) {
      this.alarm.wakeAt(this.client.earliestReconnectUs());
      return;
    }
    this.lastAttemptUs = now;
    this.client.sendRequest(node, 'metadata', (correlationId) => ({ type: 'Metadata', correlationId, topics: [this.config.topic] }));
  }

  /** The brokers metadata named, or the bootstrap servers before any did. */
  nodes(): readonly string[] {
    return this.brokerNodes.size > 0 ? [...new Set(this.brokerNodes.values())] : this.config.bootstrap;
  }

  /** Metadata.update (DefaultMetadataUpdater.handleSuccessfulResponse). */
  onResponse(from: string, response: Extract<KafkaMessage, { type: 'MetadataResponse' }>): void {
    if (this.client.answer(from, response.correlationId, 'metadata') === null) return;
    const now = this.env.now();
    for (const broker of response.brokers) this.brokerNodes.set(broker.id, broker.node);
    const topic = response.topics.find((t) => t.name === this.config.topic);
    if (topic === undefined || topic.error !== 'NONE' || topic.partitions.length === 0) {
      // Not created yet (or no leader anywhere): ask again after retry.backoff.ms.
      this.failures += 1;
      this.needed = true;
      this.maybeUpdate();
      return;
    }
    const partitions = this.partitions;
    for (const p of topic.partitions) {
      while (partitions.length <= p.partition) partitions.push(newPartitionState(partitions.length));
      const state = partitions[p.partition]!;
      // KIP-320: metadata from a broker that has not heard of the newer leader is ignored.
      if (this.settings.rejectStaleLeaderEpoch && p.leaderEpoch >= 0 && p.leaderEpoch < state.leaderEpoch) continue;
      const leaderNode = p.leader >= 0 ? this.brokerNodes.get(p.leader) ?? null : null;
      const leader = leaderNode === null ? -1 : p.leader;
      if (leader !== state.leader || p.leaderEpoch !== state.leaderEpoch) {
        this.env.trace({ kind: 'producer.metadata', producer: this.config.clientId, topic: this.config.topic, partition: p.partition, leader, leaderEpoch: p.leaderEpoch } satisfies ProducerEvent);
      }
      state.leader = leader;
      state.leaderEpoch = p.leaderEpoch;
      state.connection = leaderNode === null ? null : this.client.connection(leaderNode);
    }
    this.numPartitions = partitions.length;
    this.available = partitions.filter((s) => s.connection !== null).map((s) => s.id);
    for (const connection of this.client.connectionList) connection.partitions = [];
    for (const state of partitions) state.connection?.partitions.push(state);
    this.topicKnown = true;
    this.needed = false;
    this.failures = 0;
    this.lastSuccessUs = now;
    this.maybeUpdate(); // schedules the metadata.max.age.ms refresh
    this.onUpdate();
  }

  /** Metadata's refresh backoff: retry.backoff.ms, doubling per failed refresh from 3.7 (KIP-580; no jitter here). */
  private backoffUs(): number {
    const base = this.settings.retryBackoffUs;
    if (!this.settings.exponentialBackoff || this.failures <= 1) return Math.min(base, this.settings.retryBackoffMaxUs);
    const doublings = Math.min(this.failures - 1, 52);
    return Math.min(base * 2 ** doublings, this.settings.retryBackoffMaxUs);
  }
}
