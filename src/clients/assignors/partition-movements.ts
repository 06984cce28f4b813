// AbstractStickyAssignor.PartitionMovements: the moves the general sticky algorithm has made in
// this rebalance, per topic and (from, to) pair of members. When a partition is to move from B
// to A and some partition of the same topic already moved from A to B, that one moves back
// instead, so that partitions of one topic do not cross between two members (KIP-54).
import { JavaHashTable, javaTopicPartitionHash } from './java-order.js';
import type { TopicPartition } from './types.js';

interface ConsumerPair {
  readonly srcMemberId: string;
  readonly dstMemberId: string;
}

function pairKey(src: string, dst: string): string {
  return JSON.stringify([src, dst]);
}

function newPartitionSet(): JavaHashTable<TopicPartition> {
  return new JavaHashTable<TopicPartition>(
    (partition) => `${partition.partition}:${partition.topic}`,
    (partition) => javaTopicPartitionHash(partition.topic, partition.partition),
  );
}

export class PartitionMovements {
  // Kafka keeps each pair's partitions in a HashSet and moves back the first its iterator
  // returns, so the sets keep Java's iteration order.
  private readonly partitionMovementsByTopic = new Map<string, Map<string, JavaHashTable<TopicPartition>>>();
  private readonly partitionMovements = new Map<TopicPartition, ConsumerPair>();

  movePartition(partition: TopicPartition, oldConsumer: string, newConsumer: string): void {
    const existing = this.partitionMovements.get(partition);
    if (existing === undefined) {
      this.addRecord(partition, { srcMemberId: oldConsumer, dstMemberId: newConsumer });
      return;
    }
    this.removeRecord(partition);
    // a partition moving back to where it started leaves no record
    if (existing.srcMemberId !== newConsumer) this.addRecord(partition, { srcMemberId: existing.srcMemberId, dstMemberId: newConsumer });
  }

  getTheActualPartitionToBeMoved(partition: TopicPartition, oldConsumer: string, newConsumer: string): TopicPartition {
    const byPair = this.partitionMovementsByTopic.get(partition.topic);
    if (byPair === undefined) return partition;
    const source = this.partitionMovements.get(partition)?.srcMemberId ?? oldConsumer;
    return byPair.get(pairKey(newConsumer, source))?.first() ?? partition;
  }

  private removeRecord(partition: TopicPartition): void {
    const pair = this.partitionMovements.get(partition)!;
    this.partitionMovements.delete(partition);
    const byPair = this.partitionMovementsByTopic.get(partition.topic)!;
    const key = pairKey(pair.srcMemberId, pair.dstMemberId);
    const moved = byPair.get(key)!;
    moved.delete(partition);
    if (moved.size === 0) byPair.delete(key);
    if (byPair.size === 0) this.partitionMovementsByTopic.delete(partition.topic);
  }

  private addRecord(partition: TopicPartition, pair: ConsumerPair): void {
    this.partitionMovements.set(partition, pair);
    let byPair = this.partitionMovementsByTopic.get(partition.topic);
    if (byPair === undefined) this.partitionMovementsByTopic.set(partition.topic, (byPair = new Map()));
    const key = pairKey(pair.srcMemberId, pair.dstMemberId);
    let moved = byPair.get(key);
    if (moved === undefined) byPair.set(key, (moved = newPartitionSet()));
    moved.add(partition);
  }
}
