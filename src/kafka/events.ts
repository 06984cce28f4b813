// Kafka's trace events: the checker's input and the raw material of every causal story.
// High-volume events (per batch or per message) are recorded unkept (hashed and observed,
// not stored); rare ones (elections, ISR changes, truncations) are kept for stories.
import type { KafkaError } from './errors.js';

/** What the producing application was told about one send (DESIGN: "maybe sent" = neither). */
export type AppEvent =
  | { kind: 'app.send'; producer: string; seq: number; key: string | null; topic: string; partition: number }
  | { kind: 'app.ack'; producer: string; seq: number; topic: string; partition: number; offset: number }
  /** partition -1 with MAX_BLOCK_TIMEOUT: send() gave up after max.block.ms (no metadata or no buffer memory). */
  /** DELIVERY_TIMEOUT: delivery.timeout.ms (2.1+, KIP-91); BATCH_EXPIRED: before 2.1, a batch waited request.timeout.ms in the accumulator. */
  | { kind: 'app.fail'; producer: string; seq: number; topic: string; partition: number; error: KafkaError | 'DELIVERY_TIMEOUT' | 'BATCH_EXPIRED' | 'MAX_BLOCK_TIMEOUT' };

export type ProducerEvent =
  | { kind: 'producer.retry'; producer: string; topic: string; partition: number; firstSeq: number; count: number; error: KafkaError; attempt: number }
  | { kind: 'producer.metadata'; producer: string; topic: string; partition: number; leader: number; leaderEpoch: number }
  /**
   * The idempotent producer gave up sequence numbers it could not trust: `epoch-bump` (2.5+,
   * KIP-360) renumbers the in-flight batches of `partitions` from 0 under the new epoch;
   * `new-producer-id` (before 2.5, or an exhausted epoch) discards the producer id, so every
   * partition starts again at 0 once InitProducerId answers (producerId -1 until then).
   */
  | { kind: 'producer.sequence-reset'; producer: string; topic: string; reason: 'epoch-bump' | 'new-producer-id'; producerId: number; producerEpoch: number; partitions: number[] };

export type BrokerEvent =
  | { kind: 'broker.started'; broker: number; recovered: number }
  | { kind: 'broker.registered'; broker: number; sessionId: number; brokerEpoch: number }
  /** A controller request meant for an older registration of this broker was refused (STALE_BROKER_EPOCH, KIP-380). */
  | { kind: 'broker.stale-request'; broker: number; request: string; requestBrokerEpoch: number; brokerEpoch: number }
  /**
   * A clean stop (SIGTERM): `controlled-shutdown` when the controller answered (remaining: the
   * partitions it could not move away), `unclean` when every attempt failed or it was off,
   * `stopped` once logs are flushed and the ZooKeeper session is closed, just before the exit.
   */
  | { kind: 'broker.shutdown'; broker: number; phase: 'controlled-shutdown' | 'unclean' | 'stopped'; attempt: number; remaining: string[] }
  | { kind: 'log.append'; broker: number; topic: string; partition: number; baseOffset: number; count: number; leaderEpoch: number; role: 'leader' | 'follower' }
  | { kind: 'hw'; broker: number; topic: string; partition: number; highWatermark: number }
  | { kind: 'leader'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[] }
  | { kind: 'follower'; broker: number; topic: string; partition: number; leader: number; leaderEpoch: number }
  | { kind: 'isr.shrink'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[]; removed: number[]; lagMs: number }
  | { kind: 'isr.expand'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[]; added: number[] }
  | {
      kind: 'truncate';
      broker: number;
      topic: string;
      partition: number;
      fromOffset: number; // log end offset before
      toOffset: number; // log end offset after
      highWatermark: number;
      reason: 'high-watermark' | 'leader-epoch' | 'power-loss';
    }
  | { kind: 'produce.rejected'; broker: number; topic: string; partition: number; error: KafkaError; isr: number[] }
  | { kind: 'log.flush'; broker: number; topic: string; partition: number; durableOffset: number };

export type ControllerEvent =
  | { kind: 'controller.elected'; broker: number; controllerEpoch: number }
  | { kind: 'controller.resigned'; broker: number; controllerEpoch: number }
  | { kind: 'controller.fenced'; broker: number; staleEpoch: number; currentEpoch: number }
  | { kind: 'broker.failed'; controller: number; broker: number }
  | { kind: 'broker.joined'; controller: number; broker: number }
  /** A broker asked to stop cleanly: the controller no longer elects it and moves its leaderships away. */
  | { kind: 'controller.shutting-down'; controller: number; broker: number }
  | {
      kind: 'election';
      controller: number;
      controllerEpoch: number;
      topic: string;
      partition: number;
      leader: number;
      leaderEpoch: number;
      isr: number[];
      unclean: boolean;
      reason: 'broker-failure' | 'new-topic' | 'preferred' | 'offline-recovered' | 'isr-change' | 'controlled-shutdown';
    }
  | { kind: 'offline'; controller: number; topic: string; partition: number; isr: number[] }
  /** The controller took dead replicas out of an ISR (leader unchanged, new leader epoch). */
  | { kind: 'controller.isr'; controller: number; topic: string; partition: number; leader: number; leaderEpoch: number; isr: number[] };

export type AdminEvent =
  | { kind: 'topic.created'; topic: string; assignment: number[][] }
  | { kind: 'admin.elect-preferred'; partitions: string[]; line: number }
  | { kind: 'admin.add-partitions'; topic: string; from: number; to: number; line: number };

export type ZooKeeperEvent =
  | { kind: 'zk.session'; node: string; sessionId: number; timeoutMs: number }
  | { kind: 'zk.expired'; sessionId: number; owner: string; ephemerals: string[] }
  /** The client closed its session (e.g. a controlled shutdown): its ephemerals were deleted at once. */
  | { kind: 'zk.closed'; sessionId: number; owner: string; ephemerals: string[] };

/**
 * What a consuming application did and was told. `member` is the consumer's process (node) name,
 * e.g. `billing-1`; `memberId` the id the coordinator gave it; `generation` the group generation
 * the member was in when it did it (-1 outside one).
 */
export type ConsumerAppEvent =
  /** Unkept (one per record): the application finished processing one record. */
  | {
      kind: 'app.processed';
      group: string;
      member: string;
      generation: number;
      topic: string;
      partition: number;
      offset: number;
      producer: string;
      seq: number;
      /** The high watermark the fetch response that delivered the record carried (dirty read if offset >= it). */
      highWatermark: number;
    }
  /** Unkept: a commit the application made, and what it was told. offsets: the next offsets to read. */
  | {
      kind: 'app.commit';
      group: string;
      member: string;
      memberId: string;
      generation: number;
      mode: 'sync' | 'async' | 'auto';
      offsets: [topic: string, partition: number, offset: number][];
      /** COMMIT_FAILED: refused before sending, the member not being in a stable generation (CommitFailedException). */
      error: KafkaError | 'COMMIT_FAILED';
    }
  /** Kept: the member was given partitions (after a SyncGroup), and where it starts reading each. */
  | { kind: 'app.assigned'; group: string; member: string; memberId: string; generation: number; partitions: string[] }
  /** Kept: the member gave up partitions (eager: all of them before rejoining; cooperative: the revoked ones; lost: after a fatal group error). */
  | { kind: 'app.revoked'; group: string; member: string; memberId: string; generation: number; partitions: string[]; lost: boolean }
  /** Kept: where the consumer starts reading a partition: a committed offset, or auto.offset.reset. */
  | {
      kind: 'consumer.position';
      group: string;
      member: string;
      topic: string;
      partition: number;
      offset: number;
      source: 'committed' | 'reset-earliest' | 'reset-latest' | 'truncation-detected';
      /**
       * Why: a reset when there is no committed offset or the position fell out of the log's
       * range; log-truncation when a new leader's log ends below the position (KIP-320, 2.3+).
       */
      reason: 'committed' | 'no-committed-offset' | 'out-of-range' | 'log-truncation';
    }
  /** Kept: max.poll.interval.ms passed without a poll: the consumer leaves the group (its heartbeat thread does). */
  | { kind: 'consumer.poll-timeout'; group: string; member: string; memberId: string; generation: number; sinceLastPollMs: number }
  /** Kept: the consumer (re)joins the group, and why. */
  | { kind: 'consumer.join'; group: string; member: string; memberId: string; reason: string };

/** The group coordinator's decisions, all kept (rare; the stories of rebalances and commits). */
export type GroupEvent =
  /** The coordinator became (loaded) or stopped being (unloaded) the coordinator of an __consumer_offsets partition. */
  | { kind: 'group.loaded'; broker: number; partition: number; groups: string[] }
  | { kind: 'group.unloaded'; broker: number; partition: number; groups: string[] }
  /** A rebalance starts (the group enters PreparingRebalance). */
  | { kind: 'group.rebalance'; broker: number; group: string; generation: number; reason: string }
  /** The join phase is over: a new generation with its members, leader and protocol (assignor). */
  | { kind: 'group.generation'; broker: number; group: string; generation: number; protocol: string | null; leader: string; members: string[] }
  /** The leader's assignment was stored: the group is Stable. assignment: member id → partitions (`t-p`). */
  | { kind: 'group.stable'; broker: number; group: string; generation: number; assignment: [memberId: string, partitions: string[]][] }
  | { kind: 'group.member-removed'; broker: number; group: string; memberId: string; generation: number; reason: 'session-timeout' | 'leave' | 'rebalance-timeout' | 'fenced' }
  /** Unkept: an OffsetCommit the coordinator answered; error NONE means stored (replicated to the offsets partition's ISR). */
  | { kind: 'group.commit'; broker: number; group: string; memberId: string; generation: number; offsets: [topic: string, partition: number, offset: number][]; error: KafkaError };

export type KafkaEvent = AppEvent | ProducerEvent | BrokerEvent | ControllerEvent | ZooKeeperEvent | AdminEvent | ConsumerAppEvent | GroupEvent;
