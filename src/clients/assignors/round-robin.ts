// RoundRobinAssignor ("roundrobin"): every subscribed partition, topics in name order and
// partitions in number order, dealt in turn to the members sorted as MemberInfo sorts them; a
// member not subscribed to the partition's topic is passed over (Kafka's CircularIterator).
import { compareMemberInfo, groupOf, toGroupAssignment } from './group.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from './types.js';

export function roundRobinAssign(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): GroupAssignment {
  const group = groupOf(partitionsPerTopic, subscriptions);
  const assigned = new Map<string, TopicPartition[]>(group.members.map((member) => [member.memberId, []]));
  const members = [...group.members].sort(compareMemberInfo);
  let next = 0; // the member CircularIterator.peek() would return
  // group.partitionsPerTopic holds the subscribed topics in name order (RoundRobinAssignor's TreeSet).
  for (const [topic, count] of group.partitionsPerTopic) {
    for (let partition = 0; partition < count; partition++) {
      while (!members[next]!.topicSet.has(topic)) next = (next + 1) % members.length;
      assigned.get(members[next]!.memberId)!.push({ topic, partition });
      next = (next + 1) % members.length;
    }
  }
  return toGroupAssignment(group, assigned);
}
