// The Kafka requests and responses that travel on the simulated network, by Kafka's API names.
// Every message is a plain immutable value. ZooKeeper's own messages are in src/zookeeper/.
import type { KafkaError } from './errors.js';
import type { RecordBatch } from './records.js';

export interface BrokerEndpoint {
  readonly id: number; // broker.id
  readonly node: string; // its node name on the simulated network, e.g. "b1"
}

export interface PartitionMetadata {
  readonly partition: number;
  readonly error: KafkaError;
  readonly leader: number; // -1 when offline
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

/** The state the controller hands brokers for one partition (LeaderAndIsr / UpdateMetadata). */
export interface PartitionState {
  readonly topic: string;
  readonly partition: number;
  readonly controllerEpoch: number;
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly zkVersion: number;
  readonly replicas: readonly number[];
}

export type KafkaMessage =
  // clients <-> brokers
  | { readonly type: 'Metadata'; readonly correlationId: number; readonly topics: readonly string[] | null }
  | {
      readonly type: 'MetadataResponse';
      readonly correlationId: number;
      readonly controllerId: number;
      readonly brokers: readonly BrokerEndpoint[];
      readonly topics: readonly { readonly name: string; readonly error: KafkaError; readonly partitions: readonly PartitionMetadata[] }[];
    }
  | {
      readonly type: 'Produce';
      readonly correlationId: number;
      readonly acks: -1 | 0 | 1;
      readonly timeoutMs: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly batch: RecordBatch }[];
    }
  | {
      readonly type: 'ProduceResponse';
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly baseOffset: number }[];
    }
  | { readonly type: 'InitProducerId'; readonly correlationId: number }
  | { readonly type: 'InitProducerIdResponse'; readonly correlationId: number; readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number }
  // follower -> leader replication
  | {
      readonly type: 'Fetch';
      readonly correlationId: number;
      readonly replicaId: number; // broker.id of the follower; -1 for a consumer
      readonly maxWaitMs: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly fetchOffset: number; readonly currentLeaderEpoch: number }[];
    }
  | {
      readonly type: 'FetchResponse';
      readonly correlationId: number;
      readonly partitions: readonly {
        readonly topic: string;
        readonly partition: number;
        readonly error: KafkaError;
        readonly highWatermark: number;
        readonly logStartOffset: number;
        readonly batches: readonly RecordBatch[];
      }[];
    }
  | {
      readonly type: 'OffsetsForLeaderEpoch';
      readonly correlationId: number;
      readonly replicaId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly currentLeaderEpoch: number; readonly leaderEpoch: number }[];
    }
  | {
      readonly type: 'OffsetsForLeaderEpochResponse';
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly leaderEpoch: number; readonly endOffset: number }[];
    }
  // controller -> brokers
  | {
      readonly type: 'LeaderAndIsr';
      readonly correlationId: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      readonly partitionStates: readonly PartitionState[];
      readonly liveLeaders: readonly BrokerEndpoint[];
    }
  | { readonly type: 'LeaderAndIsrResponse'; readonly correlationId: number; readonly error: KafkaError }
  | {
      readonly type: 'UpdateMetadata';
      readonly correlationId: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      readonly partitionStates: readonly PartitionState[];
      readonly liveBrokers: readonly BrokerEndpoint[];
    }
  | { readonly type: 'UpdateMetadataResponse'; readonly correlationId: number; readonly error: KafkaError };

export type KafkaMessageType = KafkaMessage['type'];
