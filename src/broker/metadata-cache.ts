// What a broker knows of the cluster from its controller (Kafka's MetadataCache, ZkMetadataCache
// in ZooKeeper mode): the live brokers and each partition's state as the last UpdateMetadata
// gave them, and which broker is the controller. Filled by the request handling (kafka-apis.ts);
// read there (Metadata, FindCoordinator) and by the server (broker.ts: controlled shutdown,
// controller election, and the BrokerMetadata its replica manager's ISR changes ask).
import type { BrokerEndpoint, PartitionState } from '../kafka/protocol.js';

export class MetadataCache {
  /** The controller as last heard of: from /controller, or from a controller's request; -1 when unknown. */
  controllerId = -1;
  liveBrokers: readonly BrokerEndpoint[] = [];
  /** Partition states by tpKey. */
  readonly partitionStates = new Map<string, PartitionState>();
}
