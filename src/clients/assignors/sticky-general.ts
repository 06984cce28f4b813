// AbstractStickyAssignor.GeneralAssignmentBuilder (KIP-54, KIP-341): members subscribe to
// different topics. It keeps every valid owned partition, gives each unassigned partition (topics
// with the fewest subscribers first) to the least loaded subscriber, then moves partitions from
// a member to one with at least two fewer while that is possible, preferring to return a
// partition to its owner of an older generation. If the moves do not lower the balance score
// (and not every member started empty), it keeps the assignment from before them.
import type { Group } from './group.js';
import { PartitionMovements } from './partition-movements.js';
import type { Ownership, PartitionInterner } from './sticky-core.js';
import type { TopicPartition } from './types.js';
import { compareStrings } from './types.js';

/** ConsumerGenerationPair: a partition's owner in the newest generation below the maximum. */
interface PreviousOwner {
  readonly consumer: string;
  readonly generation: number;
}

type Assignment = Map<string, Set<TopicPartition>>;

/**
 * The TreeSet `sortedCurrentSubscriptions`: members ordered by how many partitions they hold,
 * then by id. Kafka removes a member before changing its count and adds it back after; so do we.
 */
class SortedMembers {
  private readonly members: string[] = [];

  constructor(private readonly sizeOf: (member: string) => number) {}

  private compare(a: string, b: string): number {
    return this.sizeOf(a) - this.sizeOf(b) || compareStrings(a, b);
  }

  add(member: string): void {
    let low = 0;
    let high = this.members.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = this.compare(this.members[middle]!, member);
      if (order === 0) return;
      if (order < 0) low = middle + 1;
      else high = middle;
    }
    this.members.splice(low, 0, member);
  }

  remove(member: string): void {
    const at = this.members.indexOf(member);
    if (at >= 0) this.members.splice(at, 1);
  }

  first(): string {
    return this.members[0]!;
  }

  last(): string {
    return this.members[this.members.length - 1]!;
  }

  /** A snapshot: callers that change the set stop iterating right after, as Kafka's do. */
  values(): readonly string[] {
    return [...this.members];
  }
}

export function generalAssign(group: Group, ownership: Ownership, partitions: PartitionInterner): Map<string, Set<TopicPartition>> {
  return new GeneralAssignmentBuilder(group, ownership, partitions).build();
}

class GeneralAssignmentBuilder {
  private readonly topic2AllPotentialConsumers = new Map<string, string[]>();
  private readonly consumer2AllPotentialTopics = new Map<string, readonly string[]>();
  private currentAssignment: Assignment = new Map();
  private currentPartitionConsumer = new Map<TopicPartition, string>();
  private sortedAllPartitions: TopicPartition[];
  private readonly sortedCurrentSubscriptions = new SortedMembers((member) => this.sizeOf(member));
  private readonly partitionMovements = new PartitionMovements();
  private revocationRequired = false;
  private readonly totalPartitionsCount: number;

  constructor(
    private readonly group: Group,
    private readonly ownership: Ownership,
    private readonly partitions: PartitionInterner,
  ) {
    let total = 0;
    for (const [topic, count] of group.partitionsPerTopic) {
      this.topic2AllPotentialConsumers.set(topic, []);
      total += count;
    }
    this.totalPartitionsCount = total;
    for (const member of group.members) {
      const topics = member.topics.filter((topic) => group.partitionsPerTopic.has(topic));
      this.consumer2AllPotentialTopics.set(member.memberId, topics);
      for (const topic of topics) this.topic2AllPotentialConsumers.get(topic)!.push(member.memberId);
    }
    for (const [consumer, owned] of ownership.ownedPartitions) {
      this.currentAssignment.set(consumer, new Set(owned));
      for (const partition of owned) this.currentPartitionConsumer.set(partition, consumer);
    }
    // TopicComparator: topics with fewer potential consumers first, then by name.
    const sortedAllTopics = [...group.partitionsPerTopic.keys()].sort(
      (a, b) => this.topic2AllPotentialConsumers.get(a)!.length - this.topic2AllPotentialConsumers.get(b)!.length || compareStrings(a, b),
    );
    this.sortedAllPartitions = sortedAllTopics.flatMap((topic) =>
      Array.from({ length: group.partitionsPerTopic.get(topic)! }, (_, number) => partitions.get(topic, number)),
    );
  }

  build(): Assignment {
    const prevAssignment = this.prepopulateCurrentAssignments();
    const assignedPartitions = this.assignOwnedPartitions();
    const unassignedPartitions = this.sortedAllPartitions.filter((partition) => !assignedPartitions.has(partition));
    for (const consumer of this.currentAssignment.keys()) this.sortedCurrentSubscriptions.add(consumer);
    this.balance(prevAssignment, unassignedPartitions);
    return this.currentAssignment;
  }

  private sizeOf(consumer: string): number {
    const assigned = this.currentAssignment.get(consumer);
    if (assigned === undefined) throw new Error(`sticky assignor: ${consumer} is not in the current assignment`);
    return assigned.size;
  }

  /** Owners with a generation below the newest; for each partition the newest such owner wins. */
  private prepopulateCurrentAssignments(): Map<TopicPartition, PreviousOwner> {
    const prevAssignment = new Map<TopicPartition, PreviousOwner>();
    for (const member of this.group.members) {
      if (member.generation >= this.ownership.maxGeneration) continue;
      for (const claim of member.ownedPartitions) {
        const partition = this.partitions.of(claim);
        const previous = prevAssignment.get(partition);
        if (previous === undefined || member.generation > previous.generation) {
          prevAssignment.set(partition, { consumer: member.memberId, generation: member.generation });
        }
      }
    }
    return prevAssignment;
  }

  /** Keeps owned partitions of topics the owner still subscribes to; the others must be revoked. */
  private assignOwnedPartitions(): Set<TopicPartition> {
    const assignedPartitions = new Set<TopicPartition>();
    for (const [consumer, owned] of this.currentAssignment) {
      const topics = this.group.byId.get(consumer)!.topicSet;
      for (const partition of [...owned]) {
        if (topics.has(partition.topic)) assignedPartitions.add(partition);
        else {
          owned.delete(partition);
          this.revocationRequired = true;
        }
      }
    }
    return assignedPartitions;
  }

  private balance(prevAssignment: ReadonlyMap<TopicPartition, PreviousOwner>, unassigned: TopicPartition[]): void {
    const initializing = this.sizeOf(this.sortedCurrentSubscriptions.last()) === 0;
    for (const partition of unassigned) {
      if (this.topic2AllPotentialConsumers.get(partition.topic)!.length > 0) this.maybeAssignPartition(partition);
    }
    // Only topics with two or more potential consumers, and members that can gain or lose
    // partitions, take part in the reassignment.
    const fixedTopics = new Set([...this.topic2AllPotentialConsumers].filter(([, consumers]) => consumers.length < 2).map(([topic]) => topic));
    this.sortedAllPartitions = this.sortedAllPartitions.filter((partition) => !fixedTopics.has(partition.topic));
    const reassignableUnassigned = unassigned.filter((partition) => !fixedTopics.has(partition.topic));
    const fixedAssignments = new Map<string, Set<TopicPartition>>();
    for (const consumer of this.consumer2AllPotentialTopics.keys()) {
      if (this.canConsumerParticipateInReassignment(consumer)) continue;
      this.sortedCurrentSubscriptions.remove(consumer);
      fixedAssignments.set(consumer, this.currentAssignment.get(consumer)!);
      this.currentAssignment.delete(consumer);
    }
    const preBalanceAssignment = copyOf(this.currentAssignment);
    const preBalancePartitionConsumers = new Map(this.currentPartitionConsumer);
    // Without revocations forced by subscription changes, first try moving only new partitions.
    if (!this.revocationRequired) this.performReassignments(reassignableUnassigned, prevAssignment);
    const reassignmentPerformed = this.performReassignments(this.sortedAllPartitions, prevAssignment);
    if (!initializing && reassignmentPerformed && balanceScore(this.currentAssignment) >= balanceScore(preBalanceAssignment)) {
      this.currentAssignment = copyOf(preBalanceAssignment);
      this.currentPartitionConsumer = preBalancePartitionConsumers;
    }
    for (const [consumer, assigned] of fixedAssignments) this.currentAssignment.set(consumer, assigned);
  }

  /** To the least loaded member subscribed to the topic. */
  private maybeAssignPartition(partition: TopicPartition): void {
    for (const consumer of this.sortedCurrentSubscriptions.values()) {
      if (!this.consumer2AllPotentialTopics.get(consumer)!.includes(partition.topic)) continue;
      this.sortedCurrentSubscriptions.remove(consumer);
      this.currentAssignment.get(consumer)!.add(partition);
      this.currentPartitionConsumer.set(partition, consumer);
      this.sortedCurrentSubscriptions.add(consumer);
      return;
    }
  }

  private maxAssignmentSize(consumer: string): number {
    let size = 0;
    for (const topic of this.consumer2AllPotentialTopics.get(consumer)!) size += this.group.partitionsPerTopic.get(topic)!;
    return size;
  }

  private canConsumerParticipateInReassignment(consumer: string): boolean {
    const assigned = this.currentAssignment.get(consumer)!;
    if (assigned.size < this.maxAssignmentSize(consumer)) return true;
    for (const partition of assigned) if (this.topic2AllPotentialConsumers.get(partition.topic)!.length >= 2) return true;
    return false;
  }

  /** Balanced: sizes differ by at most one, or no partition could move to a member with 2+ fewer. */
  private isBalanced(): boolean {
    const min = this.sizeOf(this.sortedCurrentSubscriptions.first());
    const max = this.sizeOf(this.sortedCurrentSubscriptions.last());
    if (min >= max - 1) return true;
    for (const consumer of this.sortedCurrentSubscriptions.values()) {
      const assigned = this.currentAssignment.get(consumer)!;
      if (assigned.size === this.maxAssignmentSize(consumer)) continue;
      for (const topic of this.consumer2AllPotentialTopics.get(consumer)!) {
        const count = this.group.partitionsPerTopic.get(topic)!;
        for (let number = 0; number < count; number++) {
          const partition = this.partitions.get(topic, number);
          if (assigned.has(partition)) continue;
          const other = this.currentPartitionConsumer.get(partition)!;
          if (assigned.size + 1 < this.sizeOf(other)) return false;
        }
      }
    }
    return true;
  }

  private performReassignments(reassignable: readonly TopicPartition[], prevAssignment: ReadonlyMap<TopicPartition, PreviousOwner>): boolean {
    let reassignmentPerformed = false;
    let modified: boolean;
    do {
      modified = false;
      for (let i = 0; i < reassignable.length && !this.isBalanced(); i++) {
        const partition = reassignable[i]!;
        const consumer = this.currentPartitionConsumer.get(partition)!;
        const previous = prevAssignment.get(partition)?.consumer;
        if (previous !== undefined && this.canTakeBack(previous, partition) && this.sizeOf(consumer) > this.sizeOf(previous) + 1) {
          this.reassignPartition(partition, previous);
          reassignmentPerformed = modified = true;
          continue;
        }
        for (const otherConsumer of this.topic2AllPotentialConsumers.get(partition.topic)!) {
          if (this.sizeOf(consumer) > this.sizeOf(otherConsumer) + 1) {
            this.reassignPartition(partition, this.leastLoadedSubscriber(partition.topic));
            reassignmentPerformed = modified = true;
            break;
          }
        }
      }
    } while (modified);
    return reassignmentPerformed;
  }

  /**
   * Kafka returns a partition to its previous owner without asking whether that member still
   * takes part: if it is outside the reassignment it throws a NullPointerException, and if it no
   * longer subscribes to the topic it is given a partition it did not ask for. ksim skips the
   * return in both cases (a deliberate difference).
   */
  private canTakeBack(previous: string, partition: TopicPartition): boolean {
    return this.currentAssignment.has(previous) && this.consumer2AllPotentialTopics.get(previous)!.includes(partition.topic);
  }

  private leastLoadedSubscriber(topic: string): string {
    for (const consumer of this.sortedCurrentSubscriptions.values()) {
      if (this.consumer2AllPotentialTopics.get(consumer)!.includes(topic)) return consumer;
    }
    throw new Error(`sticky assignor: no member to take a partition of ${topic}`);
  }

  private reassignPartition(partition: TopicPartition, newConsumer: string): void {
    const consumer = this.currentPartitionConsumer.get(partition)!;
    const partitionToBeMoved = this.partitionMovements.getTheActualPartitionToBeMoved(partition, consumer, newConsumer);
    const oldConsumer = this.currentPartitionConsumer.get(partitionToBeMoved)!;
    this.sortedCurrentSubscriptions.remove(oldConsumer);
    this.sortedCurrentSubscriptions.remove(newConsumer);
    this.partitionMovements.movePartition(partitionToBeMoved, oldConsumer, newConsumer);
    this.currentAssignment.get(oldConsumer)!.delete(partitionToBeMoved);
    this.currentAssignment.get(newConsumer)!.add(partitionToBeMoved);
    this.currentPartitionConsumer.set(partitionToBeMoved, newConsumer);
    this.sortedCurrentSubscriptions.add(newConsumer);
    this.sortedCurrentSubscriptions.add(oldConsumer);
  }
}

function copyOf(assignment: Assignment): Assignment {
  return new Map([...assignment].map(([consumer, assigned]) => [consumer, new Set(assigned)]));
}

/** The sum over all pairs of members of the difference of their partition counts. */
function balanceScore(assignment: Assignment): number {
  const sizes = [...assignment.values()].map((assigned) => assigned.size);
  let score = 0;
  for (let i = 0; i < sizes.length; i++) for (let j = i + 1; j < sizes.length; j++) score += Math.abs(sizes[i]! - sizes[j]!);
  return score;
}
