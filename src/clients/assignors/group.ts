// The input every assignor starts from, built the way Kafka's group leader builds it:
// AbstractPartitionAssignor.assign(Cluster, GroupSubscription) keeps only the topics that some
// member subscribes to and that have partitions in the metadata, and ConsumerCoordinator puts
// the members into a HashMap in JoinGroup response order, which the assignors then iterate.
import { javaHashMapOrder } from './java-order.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from './types.js';
import { compareStrings, compareTopicPartitions, DEFAULT_GENERATION } from './types.js';

export interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** Subscribed topics without repeats (Kafka's consumer subscribes to a Set). */
  readonly topics: readonly string[];
  readonly topicSet: ReadonlySet<string>;
  /** As received, unfiltered. */
  readonly ownedPartitions: readonly TopicPartition[];
  /** DEFAULT_GENERATION when unknown: Kafka's Subscription maps any negative generation to Optional.empty(). */
  readonly generation: number;
}

export interface Group {
  /** In the order Kafka's leader iterates its subscription HashMap. */
  readonly members: readonly Member[];
  readonly byId: ReadonlyMap<string, Member>;
  /** Subscribed topics with at least one partition. */
  readonly partitionsPerTopic: ReadonlyMap<string, number>;
  /** The members as given, for the order of the result's keys. */
  readonly inputOrder: readonly string[];
}

export function groupOf(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): Group {
  const given = new Map<string, Member>();
  for (const subscription of subscriptions) {
    if (given.has(subscription.memberId)) throw new Error(`assignor: member ${JSON.stringify(subscription.memberId)} is subscribed twice`);
    const topics = [...new Set(subscription.topics)];
    given.set(subscription.memberId, {
      memberId: subscription.memberId,
      groupInstanceId: subscription.groupInstanceId,
      topics,
      topicSet: new Set(topics),
      ownedPartitions: subscription.ownedPartitions,
      generation: subscription.generationId < 0 ? DEFAULT_GENERATION : subscription.generationId,
    });
  }
  const inputOrder = [...given.keys()];
  const members = javaHashMapOrder(inputOrder).map((memberId) => given.get(memberId)!);
  const subscribed = [...new Set(members.flatMap((member) => member.topics))].sort();
  const counts = new Map<string, number>();
  for (const topic of subscribed) {
    const count = Object.hasOwn(partitionsPerTopic, topic) ? partitionsPerTopic[topic] : undefined;
    if (count === undefined) continue; // no metadata for the topic: skipped, as Kafka's leader does
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`assignor: topic ${JSON.stringify(topic)} has ${count} partitions`);
    if (count > 0) counts.set(topic, count);
  }
  return { members, byId: given, partitionsPerTopic: counts, inputOrder };
}

/** The result, keyed in the input's member order, each member's partitions sorted. */
export function toGroupAssignment(group: Group, assigned: ReadonlyMap<string, Iterable<TopicPartition>>): GroupAssignment {
  return Object.fromEntries(
    group.inputOrder.map((memberId) => {
      const partitions = [...(assigned.get(memberId) ?? [])].map(({ topic, partition }) => ({ topic, partition }));
      return [memberId, partitions.sort(compareTopicPartitions)];
    }),
  );
}

/**
 * AbstractPartitionAssignor.MemberInfo.compareTo: two static members by group.instance.id, a
 * static member before a dynamic one, two dynamic members by member.id (KIP-345). Used with a
 * stable sort, as Java's Collections.sort is.
 */
export function compareMemberInfo(a: Member, b: Member): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return compareStrings(a.groupInstanceId, b.groupInstanceId);
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return compareStrings(a.memberId, b.memberId);
}
