// StickyAssignor ("sticky", KIP-54): balanced like roundrobin, and keeps as many of the
// partitions each member held as it can. With the eager protocol every member gives up all its
// partitions before the rebalance; its subscription's user data tells the leader what it held
// and in which generation (ksim's Subscription.ownedPartitions and generationId).
import { groupOf, toGroupAssignment } from './group.js';
import { abstractStickyAssign, PartitionInterner } from './sticky-core.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription } from './types.js';

export function stickyAssign(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): GroupAssignment {
  const group = groupOf(partitionsPerTopic, subscriptions);
  if (group.members.length === 0) return {};
  return toGroupAssignment(group, abstractStickyAssign(group, new PartitionInterner()).assignment);
}
