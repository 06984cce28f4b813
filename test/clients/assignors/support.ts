// Helpers for the assignor tests, in the vocabulary of Kafka's own assignor tests
// (AbstractPartitionAssignorTest, AbstractStickyAssignorTest) so the ported cases read alike.
import { expect } from 'vitest';
import type { GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from '../../../src/clients/assignors/index.js';

export const DEFAULT_GENERATION = -1;

export function tp(topic: string, partition: number): TopicPartition {
  return { topic, partition };
}

/** "t1-0, t1-3" -> partitions, the notation of Kafka's rack-aware assignor tests. */
export function parse(list: string): TopicPartition[] {
  if (list.trim() === '') return [];
  return list.split(',').map((item) => {
    const at = item.trim().lastIndexOf('-');
    return tp(item.trim().slice(0, at), Number(item.trim().slice(at + 1)));
  });
}

/** partitions -> "t1-0, t1-3" (in the order given: the assignors sort their lists). */
export function show(partitions: readonly TopicPartition[]): string {
  return partitions.map((partition) => `${partition.topic}-${partition.partition}`).join(', ');
}

export function shown(assignment: GroupAssignment): Record<string, string> {
  return Object.fromEntries(Object.entries(assignment).map(([memberId, partitions]) => [memberId, show(partitions)]));
}

interface MemberOptions {
  readonly owned?: readonly TopicPartition[] | string;
  readonly generation?: number;
  readonly instance?: string;
}

/**
 * Kafka's `subscription(topics, i)` (nothing owned, DEFAULT_GENERATION) or, with `owned` and
 * `generation`, its `buildSubscriptionV2Above(topics, owned, generation, i)`.
 */
export function member(memberId: string, topics: readonly string[], options: MemberOptions = {}): Subscription {
  const owned = typeof options.owned === 'string' ? parse(options.owned) : (options.owned ?? []);
  return { memberId, groupInstanceId: options.instance ?? null, topics, ownedPartitions: owned, generationId: options.generation ?? DEFAULT_GENERATION };
}

/** The next rebalance: every member now owns what it was assigned, in `generation`. */
export function owning(subscriptions: readonly Subscription[], assignment: GroupAssignment, generation: number): Subscription[] {
  return subscriptions.map((subscription) => ({ ...subscription, ownedPartitions: assignment[subscription.memberId] ?? [], generationId: generation }));
}

export function sizes(assignment: GroupAssignment): number[] {
  return Object.values(assignment).map((partitions) => partitions.length);
}

/** AbstractStickyAssignorTest.isFullyBalanced: partition counts differ by at most one. */
export function isFullyBalanced(assignment: GroupAssignment): boolean {
  const counts = sizes(assignment);
  return counts.length === 0 || Math.max(...counts) - Math.min(...counts) <= 1;
}

export function partitionsOfTopic(partitions: readonly TopicPartition[], topic: string): number {
  return partitions.filter((partition) => partition.topic === topic).length;
}

/**
 * AbstractStickyAssignorTest.verifyValidityAndBalance: a partition only to a subscriber of its
 * topic and to one member, and two members whose counts differ by two or more share no topic
 * (else a partition could move to balance them). Also: every member has an entry, and every
 * partition of a subscribed topic is assigned.
 */
export function verifyValidityAndBalance(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[], assignment: GroupAssignment): void {
  expect(Object.keys(assignment).sort()).toEqual(subscriptions.map((subscription) => subscription.memberId).sort());
  const owner = new Map<string, string>();
  for (const subscription of subscriptions) {
    for (const partition of assignment[subscription.memberId]!) {
      expect(subscription.topics, `${show([partition])} is assigned to ${subscription.memberId}, which does not subscribe to it`).toContain(partition.topic);
      const key = show([partition]);
      expect(owner.get(key), `${key} is assigned twice`).toBeUndefined();
      owner.set(key, subscription.memberId);
    }
  }
  const subscribed = new Set(subscriptions.flatMap((subscription) => subscription.topics));
  const expected = Object.entries(partitionsPerTopic)
    .filter(([topic]) => subscribed.has(topic))
    .reduce((sum, [, count]) => sum + count, 0);
  expect(owner.size, 'every subscribed partition is assigned').toBe(expected);
  for (const a of subscriptions) {
    for (const b of subscriptions) {
      const more = assignment[a.memberId]!;
      const fewer = assignment[b.memberId]!;
      if (more.length - fewer.length < 2) continue;
      const shared = more.filter((partition) => fewer.some((other) => other.topic === partition.topic));
      expect(shared, `${a.memberId} has ${more.length} partitions and ${b.memberId} ${fewer.length}, on common topics`).toEqual([]);
    }
  }
}
