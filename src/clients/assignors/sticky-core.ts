// AbstractStickyAssignor, shared by "sticky" (StickyAssignor, KIP-54) and "cooperative-sticky"
// (CooperativeStickyAssignor, KIP-429). First it settles who owns what: each member's claimed
// partitions, a partition claimed twice going to the higher generation and to nobody when the
// generations are equal (KAFKA-12984). Then, if every member subscribes to the same topics, the
// "constrained" algorithm (KAFKA-9987) fills quotas; otherwise the "general" one (KIP-341)
// keeps what it can and moves partitions until no move improves the balance.
import type { Group } from './group.js';
import { constrainedAssign } from './sticky-constrained.js';
import { generalAssign } from './sticky-general.js';
import type { TopicPartition } from './types.js';
import { DEFAULT_GENERATION } from './types.js';

/** One object per partition, so that partitions compare by identity in Sets and Maps. */
export class PartitionInterner {
  private readonly known = new Map<string, TopicPartition>();

  get(topic: string, partition: number): TopicPartition {
    const key = `${partition}:${topic}`;
    let found = this.known.get(key);
    if (found === undefined) {
      found = Object.freeze({ topic, partition });
      this.known.set(key, found);
    }
    return found;
  }

  of(partition: TopicPartition): TopicPartition {
    return this.get(partition.topic, partition.partition);
  }
}

export interface Ownership {
  /** Each member's still-valid claims (consumerToOwnedPartitions), in subscription-map order. */
  readonly ownedPartitions: ReadonlyMap<string, TopicPartition[]>;
  /** Claimed by two members of one generation: nobody keeps them. */
  readonly partitionsWithMultiplePreviousOwners: ReadonlySet<TopicPartition>;
  readonly allSubscriptionsEqual: boolean;
  /**
   * The newest generation the members report. Kafka keeps it in the assignor object and never
   * lowers it, so a long-lived leader remembers generations of members that have since left;
   * this pure function starts afresh each time, as a newly elected leader does.
   */
  readonly maxGeneration: number;
}

export interface StickyResult {
  readonly assignment: ReadonlyMap<string, Iterable<TopicPartition>>;
  /**
   * Partitions handed to a member other than their owner, as the constrained algorithm records
   * them; null after the general algorithm, whose caller computes them from the result.
   */
  readonly partitionsTransferringOwnership: ReadonlyMap<TopicPartition, string> | null;
}

export function abstractStickyAssign(group: Group, partitions: PartitionInterner): StickyResult {
  const ownership = ownershipOf(group, partitions);
  if (ownership.allSubscriptionsEqual) return constrainedAssign(group, ownership, partitions);
  return { assignment: generalAssign(group, ownership, partitions), partitionsTransferringOwnership: null };
}

/**
 * AbstractStickyAssignor.allSubscriptionsEqual: are all subscriptions equal, and who still owns
 * what. Claims on topics outside the assignment are dropped. ksim also drops claims on partition
 * numbers the topic does not have, which Kafka would keep (a topic never shrinks in Kafka).
 */
function ownershipOf(group: Group, partitions: PartitionInterner): Ownership {
  const ownedPartitions = new Map<string, TopicPartition[]>();
  const partitionsWithMultiplePreviousOwners = new Set<TopicPartition>();
  const previousOwner = new Map<TopicPartition, string>();
  const subscribedTopics = new Set<string>();
  let allSubscriptionsEqual = true;
  let maxGeneration = DEFAULT_GENERATION;
  for (const member of group.members) {
    // As in Kafka, the first member with a non-empty subscription sets the reference, so members
    // with no topics met before it do not make the subscriptions unequal.
    if (subscribedTopics.size === 0) for (const topic of member.topics) subscribedTopics.add(topic);
    else if (member.topics.length !== subscribedTopics.size || !member.topics.every((topic) => subscribedTopics.has(topic))) allSubscriptionsEqual = false;
    maxGeneration = Math.max(maxGeneration, member.generation);
    const owned: TopicPartition[] = [];
    ownedPartitions.set(member.memberId, owned);
    for (const claim of member.ownedPartitions) {
      const count = group.partitionsPerTopic.get(claim.topic);
      if (count === undefined || !Number.isInteger(claim.partition) || claim.partition < 0 || claim.partition >= count) continue;
      const partition = partitions.of(claim);
      const other = previousOwner.get(partition);
      const otherGeneration = other === undefined ? DEFAULT_GENERATION : group.byId.get(other)!.generation;
      if (other !== undefined && member.generation < otherGeneration) continue; // the other keeps it
      if (other !== undefined) removeFirst(ownedPartitions.get(other)!, partition);
      if (other !== undefined && member.generation === otherGeneration) partitionsWithMultiplePreviousOwners.add(partition);
      else owned.push(partition);
      previousOwner.set(partition, member.memberId);
    }
  }
  return { ownedPartitions, partitionsWithMultiplePreviousOwners, allSubscriptionsEqual, maxGeneration };
}

/** Java's List.remove(Object): the first occurrence, if any. */
function removeFirst<T>(list: T[], item: T): void {
  const at = list.indexOf(item);
  if (at >= 0) list.splice(at, 1);
}
