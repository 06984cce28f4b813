// Kafka's trace events: the checker's input and the raw material of every causal story.
// High-volume events (per batch or per message) are recorded unkept (hashed and observed,
// not stored); rare ones (elections, ISR changes, truncations) are kept for stories.
import type { KafkaError } from './errors.js';

/** What the producing application was told about one send (DESIGN: "maybe sent" = neither). */
export type AppEvent =
  | { kind: 'app.send'; producer: string; seq: number; key: string | null; topic: string; partition: number }
  | { kind: 'app.ack'; producer: string; seq: number; topic: string; partition: number; offset: number }
  /** partition -1 with MAX_BLOCK_TIMEOUT: send() gave up after max.block.ms (no metadata or no buffer memory). */
  | { kind: 'app.fail'; producer: string; seq: number; topic: string; partition: number; error: KafkaError | 'DELIVERY_TIMEOUT' | 'MAX_BLOCK_TIMEOUT' }
  /** The producer process died with these sends unacknowledged: buffered ones were never sent. */
  | { kind: 'app.crash'; producer: string; unsent: number; inFlight: number };

export type ProducerEvent =
  | { kind: 'producer.retry'; producer: string; topic: string; partition: number; firstSeq: number; count: number; error: KafkaError; attempt: number }
  | { kind: 'producer.metadata'; producer: string; topic: string; partition: number; leader: number; leaderEpoch: number };

export type BrokerEvent =
  | { kind: 'broker.started'; broker: number; recovered: number }
  | { kind: 'broker.registered'; broker: number; sessionId: number }
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
      reason: 'broker-failure' | 'new-topic' | 'preferred' | 'offline-recovered' | 'isr-change';
    }
  | { kind: 'offline'; controller: number; topic: string; partition: number; isr: number[] }
  /** The controller took dead replicas out of an ISR (leader unchanged, new leader epoch). */
  | { kind: 'controller.isr'; controller: number; topic: string; partition: number; leader: number; leaderEpoch: number; isr: number[] };

export type AdminEvent =
  | { kind: 'topic.created'; topic: string; assignment: number[][] }
  | { kind: 'admin.elect-preferred'; partitions: string[]; line: number };

export type ZooKeeperEvent =
  | { kind: 'zk.session'; node: string; sessionId: number; timeoutMs: number }
  | { kind: 'zk.expired'; sessionId: number; owner: string; ephemerals: string[] }
  /** The client closed its session (e.g. a controlled shutdown): its ephemerals were deleted at once. */
  | { kind: 'zk.closed'; sessionId: number; owner: string; ephemerals: string[] };

export type KafkaEvent = AppEvent | ProducerEvent | BrokerEvent | ControllerEvent | ZooKeeperEvent | AdminEvent;
