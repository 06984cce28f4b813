// RangeAssignor ("range", the default partition.assignment.strategy before 3.0 and the first of
// the default list [range, cooperative-sticky] since): each topic on its own, its subscribers
// sorted as MemberInfo sorts them, its partitions cut into contiguous ranges; the first
// (partitions % subscribers) members take one partition more. Rack-aware assignment (KIP-881)
// needs consumer racks, which ksim does not have.
import { compareMemberInfo, groupOf, toGroupAssignment } from './group.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from './types.js';

export function rangeAssign(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): GroupAssignment {
  const group = groupOf(partitionsPerTopic, subscriptions);
  const assigned = new Map<string, TopicPartition[]>(group.members.map((member) => [member.memberId, []]));
  for (const [topic, count] of group.partitionsPerTopic) {
    // RangeAssignor.consumersPerTopic collects in subscription-map order; the sort is stable.
    const consumers = group.members.filter((member) => member.topicSet.has(topic)).sort(compareMemberInfo);
    const perConsumer = Math.floor(count / consumers.length);
    const withExtra = count % consumers.length;
    let next = 0;
    consumers.forEach((consumer, index) => {
      const take = perConsumer + (index < withExtra ? 1 : 0);
      for (let partition = next; partition < next + take; partition++) assigned.get(consumer.memberId)!.push({ topic, partition });
      next += take;
    });
  }
  return toGroupAssignment(group, assigned);
}
