// The producer's view of its topic's partitions (Kafka's ProducerMetadata).
import type { PartitionQueue } from './producer-batch.js';
import type { Connection } from './network-client.js';

/** One partition: the accumulator's queue and, from metadata, its leader. */
export interface PartitionState extends PartitionQueue {
  leader: number; // broker id, -1 when unknown or offline
  /** The leader's connection; null while the leader is unknown. */
  connection: Connection | null;
}

export function newPartitionState(id: number): PartitionState {
  return { id, leader: -1, leaderEpoch: -1, connection: null, queue: [], muted: false };
}
