// The data every consumer partition assignor reads and writes: Kafka's TopicPartition, the
// members' subscriptions as the group leader receives them in the JoinGroup response, and the
// assignment it sends back in SyncGroup (ConsumerPartitionAssignor.Subscription / GroupAssignment).

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface Subscription {
  readonly memberId: string;
  /** `group.instance.id` of a static member (KIP-345), null for a dynamic one. */
  readonly groupInstanceId: string | null;
  readonly topics: readonly string[];
  /** What the member held before this rebalance (sticky and cooperative-sticky read it). */
  readonly ownedPartitions: readonly TopicPartition[];
  /** The generation it owned them in; negative means unknown (Kafka's DEFAULT_GENERATION, -1). */
  readonly generationId: number;
}

/** Partition count per topic, from the leader's metadata. */
export type PartitionsPerTopic = Readonly<Record<string, number>>;

/** memberId -> assigned partitions, each list sorted by (topic, partition). */
export type GroupAssignment = Readonly<Record<string, readonly TopicPartition[]>>;

/** Kafka's AbstractStickyAssignor.DEFAULT_GENERATION: the owner's generation is unknown. */
export const DEFAULT_GENERATION = -1;

export type Assignor = (partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]) => GroupAssignment;

/** Java's String.compareTo: UTF-16 code units, then length (the same order as JS `<`). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Kafka's TopicPartitionComparator: by topic, then by partition. */
export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}
