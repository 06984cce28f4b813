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

/** A member's subscription, as the consumer protocol's metadata carries it (ConsumerProtocolSubscription). */
export interface Subscription {
  readonly topics: readonly string[];
  /** The partitions the member owns now (v1+, for sticky and cooperative assignors). */
  readonly ownedPartitions: readonly TopicPartitionRef[];
  /** The generation of that ownership (v2+, KIP-792); -1 when none. */
  readonly generation: number;
}

export interface TopicPartitionRef {
  readonly topic: string;
  readonly partition: number;
}

/** A JoinGroup protocol: an assignor's name and the member's subscription for it. */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Subscription;
}

/** One partition of a Fetch: where to read from, and the leader epoch the fetcher knows (KIP-320). */
export interface FetchPartition {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: number;
  readonly currentLeaderEpoch: number;
}

/**
 * Incremental fetch sessions (KIP-227). A follower's first fetch to a leader (`epoch` 0, `id` 0)
 * lists every partition and opens a session, in which the leader caches each partition's fetch
 * offset and leader epoch. Each later fetch carries the session's id and next epoch and lists only
 * the partitions added or whose fetch offset or leader epoch changed, plus those to forget. The
 * leader answers only the session's partitions with records, a new high watermark or an error.
 */
export interface FetchSessionRequest {
  readonly id: number;
  readonly epoch: number;
  readonly forgotten: readonly TopicPartitionRef[];
}

/** One partition of an AlterPartition request: the ISR the leader wants, and the state it starts from. */
export interface AlterPartitionData {
  readonly topic: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  readonly newIsr: readonly number[];
  /** The partition state znode's version the change is based on (2.7: currentIsrVersion; 3.x: partitionEpoch). */
  readonly zkVersion: number;
}

/** The controller's answer for one partition: the state it now has (error NONE), or why not. */
export interface AlterPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly error: KafkaError;
  /** The partition's state after the answer; -1 and [] with an error. */
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly isr: readonly number[];
  readonly zkVersion: number;
}

/** A consumer's isolation.level: what a Fetch may return (KIP-98). */
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

/** An aborted transaction a read_committed fetch overlaps: the consumer drops its producer's records from firstOffset until the ABORT marker. */
export interface AbortedTransaction {
  readonly producerId: number;
  readonly firstOffset: number;
}

/** A session the leader does not have (it restarted), or a fetch out of the session's order. */
export type FetchSessionError = Extract<KafkaError, 'FETCH_SESSION_ID_NOT_FOUND' | 'INVALID_FETCH_SESSION_EPOCH'>;

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
      /** logStartOffset: with UNKNOWN_PRODUCER_ID (ProduceResponse v5+, 1.0), where the partition's log starts. */
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly baseOffset: number; readonly logStartOffset?: number }[];
    }
  /**
   * Without a transactional id any broker answers from its block of producer ids (idempotence);
   * with one, the transaction coordinator of that id does (KIP-98), and from 2.5 (KIP-360) a
   * producer that already has an id and epoch passes them to have its epoch bumped.
   * transactionalId, transactionTimeoutMs, producerId and producerEpoch absent: null, -1, -1, -1.
   */
  | {
      readonly type: 'InitProducerId';
      readonly correlationId: number;
      readonly transactionalId?: string | null;
      readonly transactionTimeoutMs?: number;
      readonly producerId?: number;
      readonly producerEpoch?: number;
    }
  | { readonly type: 'InitProducerIdResponse'; readonly correlationId: number; readonly error: KafkaError; readonly producerId: number; readonly producerEpoch: number }
  | {
      readonly type: 'ListOffsets';
      readonly correlationId: number;
      readonly replicaId: number; // -1 for a consumer
      /** timestamp -2: the earliest offset (log start); -1: the latest (the high watermark, for a consumer). */
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly timestamp: -1 | -2 }[];
      /** v2+ (0.11): with read_committed, the latest offset is the last stable offset. Absent: read_uncommitted. */
      readonly isolationLevel?: IsolationLevel;
    }
  | {
      readonly type: 'ListOffsetsResponse';
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError; readonly offset: number; readonly leaderEpoch: number }[];
    }
  // consumers <-> group coordinator (the classic group protocol)
  /** key: the group id, or the transactional id with keyType 'transaction' (absent: 'group'). */
  | { readonly type: 'FindCoordinator'; readonly correlationId: number; readonly key: string; readonly keyType?: 'group' | 'transaction' }
  | { readonly type: 'FindCoordinatorResponse'; readonly correlationId: number; readonly error: KafkaError; readonly nodeId: number; readonly node: string }
  | {
      readonly type: 'JoinGroup';
      readonly correlationId: number;
      readonly groupId: string;
      readonly sessionTimeoutMs: number;
      readonly rebalanceTimeoutMs: number; // the consumer's max.poll.interval.ms
      readonly memberId: string; // '' on a first join
      readonly groupInstanceId: string | null;
      readonly protocolType: 'consumer';
      readonly protocols: readonly GroupProtocol[]; // in the member's order of preference
      readonly reason: string;
    }
  | {
      readonly type: 'JoinGroupResponse';
      readonly correlationId: number;
      readonly error: KafkaError;
      readonly generationId: number;
      readonly protocolName: string | null;
      readonly leader: string; // the leader's member id
      readonly memberId: string;
      /** Every member's subscription for the chosen protocol; empty except in the leader's answer. */
      readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null; readonly metadata: Subscription }[];
    }
  | {
      readonly type: 'SyncGroup';
      readonly correlationId: number;
      readonly groupId: string;
      readonly generationId: number;
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      /** The leader's assignment for every member; empty from the others. */
      readonly assignments: readonly { readonly memberId: string; readonly assignment: readonly TopicPartitionRef[] }[];
    }
  | { readonly type: 'SyncGroupResponse'; readonly correlationId: number; readonly error: KafkaError; readonly assignment: readonly TopicPartitionRef[] }
  | { readonly type: 'Heartbeat'; readonly correlationId: number; readonly groupId: string; readonly generationId: number; readonly memberId: string; readonly groupInstanceId: string | null }
  | { readonly type: 'HeartbeatResponse'; readonly correlationId: number; readonly error: KafkaError }
  | { readonly type: 'LeaveGroup'; readonly correlationId: number; readonly groupId: string; readonly memberId: string; readonly reason: string }
  | { readonly type: 'LeaveGroupResponse'; readonly correlationId: number; readonly error: KafkaError }
  | {
      readonly type: 'OffsetCommit';
      readonly correlationId: number;
      readonly groupId: string;
      readonly generationId: number; // -1 with memberId '' for a commit outside group management
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      /** offset: the next offset to read (the last processed + 1). */
      readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number; readonly leaderEpoch: number }[];
    }
  | {
      readonly type: 'OffsetCommitResponse';
      readonly correlationId: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[];
    }
  /** requireStable (v7, KIP-447, 2.5): a partition with an offset commit not yet decided is answered UNSTABLE_OFFSET_COMMIT. Absent: false. */
  | { readonly type: 'OffsetFetch'; readonly correlationId: number; readonly groupId: string; readonly partitions: readonly TopicPartitionRef[]; readonly requireStable?: boolean }
  | {
      readonly type: 'OffsetFetchResponse';
      readonly correlationId: number;
      readonly error: KafkaError;
      /** offset -1: the group has no committed offset for the partition. */
      readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly offset: number; readonly leaderEpoch: number; readonly error: KafkaError }[];
    }
  // transactional producers <-> transaction coordinator (KIP-98), and group coordinator for TxnOffsetCommit
  | {
      readonly type: 'AddPartitionsToTxn';
      readonly correlationId: number;
      readonly transactionalId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly partitions: readonly TopicPartitionRef[];
    }
  | { readonly type: 'AddPartitionsToTxnResponse'; readonly correlationId: number; readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[] }
  /** Adds the group's __consumer_offsets partition to the transaction (sendOffsetsToTransaction, first half). */
  | { readonly type: 'AddOffsetsToTxn'; readonly correlationId: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly groupId: string }
  | { readonly type: 'AddOffsetsToTxnResponse'; readonly correlationId: number; readonly error: KafkaError }
  /**
   * The offsets of a transaction, sent to the group coordinator (sendOffsetsToTransaction, second
   * half). From 2.5 (KIP-447) it carries the consumer's group metadata, which the coordinator
   * checks as it checks an OffsetCommit; before, generationId -1, memberId '' and no instance id.
   */
  | {
      readonly type: 'TxnOffsetCommit';
      readonly correlationId: number;
      readonly transactionalId: string;
      readonly groupId: string;
      readonly producerId: number;
      readonly producerEpoch: number;
      readonly generationId: number;
      readonly memberId: string;
      readonly groupInstanceId: string | null;
      readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number; readonly leaderEpoch: number }[];
    }
  | { readonly type: 'TxnOffsetCommitResponse'; readonly correlationId: number; readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[] }
  /** commitTransaction (committed true) or abortTransaction (false). */
  | { readonly type: 'EndTxn'; readonly correlationId: number; readonly transactionalId: string; readonly producerId: number; readonly producerEpoch: number; readonly committed: boolean }
  | { readonly type: 'EndTxnResponse'; readonly correlationId: number; readonly error: KafkaError }
  // transaction coordinator -> partition leaders
  /** The coordinator has each partition leader of a transaction append its COMMIT or ABORT marker. */
  | {
      readonly type: 'WriteTxnMarkers';
      readonly correlationId: number;
      readonly markers: readonly {
        readonly producerId: number;
        readonly producerEpoch: number;
        readonly coordinatorEpoch: number;
        readonly transactionResult: 'COMMIT' | 'ABORT';
        readonly partitions: readonly TopicPartitionRef[];
      }[];
    }
  | {
      readonly type: 'WriteTxnMarkersResponse';
      readonly correlationId: number;
      readonly markers: readonly { readonly producerId: number; readonly partitions: readonly { readonly topic: string; readonly partition: number; readonly error: KafkaError }[] }[];
    }
  // follower -> leader replication (and a consumer's reads)
  | {
      readonly type: 'Fetch';
      readonly correlationId: number;
      readonly replicaId: number; // broker.id of the follower; -1 for a consumer
      readonly maxWaitMs: number;
      /** Every partition listed, and every one answered: a session's first fetch, or a fetch with no session. */
      readonly full: boolean;
      /** A follower's fetch session (KIP-227); a consumer's fetch here has none. */
      readonly session?: FetchSessionRequest;
      /** A full fetch lists every partition; an incremental one only those added or changed. */
      readonly partitions: readonly FetchPartition[];
      /** A consumer's isolation.level (Fetch v4+, 0.11); absent: read_uncommitted (followers always). */
      readonly isolationLevel?: IsolationLevel;
    }
  | {
      readonly type: 'FetchResponse';
      readonly correlationId: number;
      /** NONE, or why the leader refused the session (no partitions then): the follower opens a new one. */
      readonly error: 'NONE' | FetchSessionError;
      /** The session the fetch opened or continued; 0 for a fetch with no session. */
      readonly sessionId: number;
      readonly partitions: readonly {
        readonly topic: string;
        readonly partition: number;
        readonly error: KafkaError;
        readonly highWatermark: number;
        readonly logStartOffset: number;
        readonly batches: readonly RecordBatch[];
        /** The partition's last stable offset: in every answer to a consumer from 0.11 (v4+); absent in a follower's and before 0.11. */
        readonly lastStableOffset?: number;
        /** read_committed only: the aborted transactions overlapping the returned batches (v4+); absent: none. */
        readonly abortedTransactions?: readonly AbortedTransaction[];
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
      /** The registration of the receiver the controller knows (KIP-380, 2.2+; -1 before): an older one is refused. */
      readonly brokerEpoch: number;
      readonly partitionStates: readonly PartitionState[];
      readonly liveLeaders: readonly BrokerEndpoint[];
    }
  | { readonly type: 'LeaderAndIsrResponse'; readonly correlationId: number; readonly error: KafkaError }
  | {
      readonly type: 'UpdateMetadata';
      readonly correlationId: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      /** The registration of the receiver the controller knows (KIP-380, 2.2+; -1 before): an older one is refused. */
      readonly brokerEpoch: number;
      readonly partitionStates: readonly PartitionState[];
      readonly liveBrokers: readonly BrokerEndpoint[];
    }
  | { readonly type: 'UpdateMetadataResponse'; readonly correlationId: number; readonly error: KafkaError }
  /** The controller tells a broker to stop replicating partitions (here: it is shutting down; nothing is deleted). */
  | {
      readonly type: 'StopReplica';
      readonly correlationId: number;
      readonly controllerId: number;
      readonly controllerEpoch: number;
      /** The registration of the receiver the controller knows (KIP-380, 2.2+; -1 before): an older one is refused. */
      readonly brokerEpoch: number;
      readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
    }
  | { readonly type: 'StopReplicaResponse'; readonly correlationId: number; readonly error: KafkaError }
  // broker -> controller
  /** A broker about to stop cleanly asks the controller to move its leaderships away (controlled shutdown). */
  | { readonly type: 'ControlledShutdown'; readonly correlationId: number; readonly brokerId: number }
  | {
      readonly type: 'ControlledShutdownResponse';
      readonly correlationId: number;
      readonly error: KafkaError;
      /** Partitions the broker still leads: no other live ISR member could take them. */
      readonly remainingPartitions: readonly { readonly topic: string; readonly partition: number }[];
    }
  /**
   * A leader asks the controller to change ISRs (KIP-497): AlterIsr from 2.7, AlterPartition from
   * 3.2. The controller writes the state znodes and answers each partition with its new state.
   */
  | { readonly type: 'AlterPartition'; readonly correlationId: number; readonly brokerId: number; readonly brokerEpoch: number; readonly partitions: readonly AlterPartitionData[] }
  /** error: a top-level error (NOT_CONTROLLER, STALE_BROKER_EPOCH, UNKNOWN_SERVER_ERROR) answers no partition. */
  | { readonly type: 'AlterPartitionResponse'; readonly correlationId: number; readonly error: KafkaError; readonly partitions: readonly AlterPartitionResult[] }

export type KafkaMessageType = KafkaMessage['type'];
