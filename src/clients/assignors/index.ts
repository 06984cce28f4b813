// Kafka's consumer partition assignors (clients 3.9), as pure functions of the partition counts
// and the members' subscriptions. Names are partition.assignment.strategy's short names.
import { cooperativeStickyAssign } from './cooperative-sticky.js';
import { rangeAssign } from './range.js';
import { roundRobinAssign } from './round-robin.js';
import { stickyAssign } from './sticky.js';
import type { Assignor } from './types.js';

export type { Assignor, GroupAssignment, PartitionsPerTopic, Subscription, TopicPartition } from './types.js';
export { compareTopicPartitions, DEFAULT_GENERATION } from './types.js';
export { cooperativeStickyAssign, rangeAssign, roundRobinAssign, stickyAssign };

export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky';

export const ASSIGNORS: Readonly<Record<AssignorName, Assignor>> = Object.freeze({
  range: rangeAssign,
  roundrobin: roundRobinAssign,
  sticky: stickyAssign,
  'cooperative-sticky': cooperativeStickyAssign,
});
