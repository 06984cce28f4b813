// CooperativeStickyAssignor ("cooperative-sticky", KIP-429): the sticky assignment, less every
// partition that would pass from one member to another. Members keep consuming what they keep;
// the owner first revokes a moving partition, and the follow-up rebalance, where nobody owns it
// any more, assigns it. So no partition is ever owned by two members at once.
import { groupOf, type Group, toGroupAssignment } from './group.js';
import { abstractStickyAssign, PartitionInterner } from './sticky-core.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from './types.js';

export function cooperativeStickyAssign(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): GroupAssignment {
  const group = groupOf(partitionsPerTopic, subscriptions);
  if (group.members.length === 0) return {};
  const partitions = new PartitionInterner();
  const sticky = abstractStickyAssign(group, partitions);
  const assignment = new Map([...sticky.assignment].map(([consumer, assigned]) => [consumer, new Set(assigned)]));
  const transferring = sticky.partitionsTransferringOwnership ?? computePartitionsTransferringOwnership(group, assignment, partitions);
  for (const [partition, consumer] of transferring) assignment.get(consumer)?.delete(partition);
  return toGroupAssignment(group, assignment);
}

/**
 * After the general algorithm: partitions assigned to a member that did not claim them while
 * some member that claimed them (in any generation) is not assigned them.
 */
function computePartitionsTransferringOwnership(
  group: Group,
  assignment: ReadonlyMap<string, ReadonlySet<TopicPartition>>,
  partitions: PartitionInterner,
): Map<TopicPartition, string> {
  const allAddedPartitions = new Map<TopicPartition, string>();
  const allRevokedPartitions = new Set<TopicPartition>();
  for (const [consumer, assigned] of assignment) {
    const owned = new Set(group.byId.get(consumer)!.ownedPartitions.map((claim) => partitions.of(claim)));
    for (const partition of assigned) if (!owned.has(partition)) allAddedPartitions.set(partition, consumer);
    for (const partition of owned) if (!assigned.has(partition)) allRevokedPartitions.add(partition);
  }
  return new Map([...allAddedPartitions].filter(([partition]) => allRevokedPartitions.has(partition)));
}
