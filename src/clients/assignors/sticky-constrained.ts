// AbstractStickyAssignor.ConstrainedAssignmentBuilder (KAFKA-9987): every member subscribes to
// the same topics, so each must end with minQuota = floor(P / M) or maxQuota = ceil(P / M)
// partitions, and exactly P % M of them with maxQuota.
//   1. Members keep owned partitions, lowest partition numbers first (KAFKA-16277): all of them
//      under minQuota; maxQuota while fewer than P % M members have reached it; minQuota after.
//   2. The rest go round-robin, in topic and partition order, first to members under minQuota
//      (sorted by member id), then one each to members at minQuota until P % M hold maxQuota.
import type { Group } from './group.js';
import type { Ownership, PartitionInterner, StickyResult } from './sticky-core.js';
import type { TopicPartition } from './types.js';
import { compareStrings } from './types.js';

interface Quotas {
  readonly minQuota: number;
  readonly maxQuota: number;
  /** Members that must end with maxQuota (zero when minQuota === maxQuota). */
  readonly expectedNumMembersWithOverMinQuotaPartitions: number;
}

interface State {
  readonly assignment: Map<string, TopicPartition[]>;
  readonly maybeRevokedPartitions: Map<TopicPartition, string>;
  readonly partitionsTransferringOwnership: Map<TopicPartition, string>;
  readonly unfilledMembersWithUnderMinQuotaPartitions: string[];
  readonly unfilledMembersWithExactlyMinQuotaPartitions: string[];
  currentNumMembersWithOverMinQuotaPartitions: number;
}

export function constrainedAssign(group: Group, ownership: Ownership, partitions: PartitionInterner): StickyResult {
  let total = 0;
  for (const count of group.partitionsPerTopic.values()) total += count;
  const members = ownership.ownedPartitions.size;
  const quotas: Quotas = {
    minQuota: Math.floor(total / members),
    maxQuota: Math.ceil(total / members),
    expectedNumMembersWithOverMinQuotaPartitions: total % members,
  };
  const state: State = {
    assignment: new Map([...ownership.ownedPartitions.keys()].map((memberId) => [memberId, []])),
    maybeRevokedPartitions: new Map(),
    partitionsTransferringOwnership: new Map(),
    unfilledMembersWithUnderMinQuotaPartitions: [],
    unfilledMembersWithExactlyMinQuotaPartitions: [],
    currentNumMembersWithOverMinQuotaPartitions: 0,
  };
  const assigned = assignOwnedPartitions(ownership, quotas, state);
  const unassigned: TopicPartition[] = [];
  for (const topic of [...group.partitionsPerTopic.keys()].sort(compareStrings)) {
    const count = group.partitionsPerTopic.get(topic)!;
    for (let number = 0; number < count; number++) {
      const partition = partitions.get(topic, number);
      if (!assigned.has(partition)) unassigned.push(partition);
    }
  }
  state.unfilledMembersWithUnderMinQuotaPartitions.sort(compareStrings);
  state.unfilledMembersWithExactlyMinQuotaPartitions.sort(compareStrings);
  assignRoundRobin(unassigned, ownership, quotas, state);
  verifyUnfilledMembers(quotas, state);
  return { assignment: state.assignment, partitionsTransferringOwnership: state.partitionsTransferringOwnership };
}

/** Step 1. Members in subscription-map (Java HashMap) order, which decides who keeps maxQuota. */
function assignOwnedPartitions(ownership: Ownership, quotas: Quotas, state: State): Set<TopicPartition> {
  const { minQuota, maxQuota, expectedNumMembersWithOverMinQuotaPartitions: expected } = quotas;
  const assigned = new Set<TopicPartition>();
  for (const [consumer, claimed] of ownership.ownedPartitions) {
    const owned = claimed
      .filter((partition) => !ownership.partitionsWithMultiplePreviousOwners.has(partition))
      .sort((a, b) => a.partition - b.partition || compareStrings(a.topic, b.topic));
    let keep: number;
    if (owned.length < minQuota) {
      keep = owned.length;
      state.unfilledMembersWithUnderMinQuotaPartitions.push(consumer);
    } else if (owned.length >= maxQuota && state.currentNumMembersWithOverMinQuotaPartitions < expected) {
      keep = maxQuota;
      state.currentNumMembersWithOverMinQuotaPartitions++;
      if (state.currentNumMembersWithOverMinQuotaPartitions === expected) state.unfilledMembersWithExactlyMinQuotaPartitions.length = 0;
    } else {
      keep = minQuota;
      if (state.currentNumMembersWithOverMinQuotaPartitions < expected) state.unfilledMembersWithExactlyMinQuotaPartitions.push(consumer);
    }
    for (const partition of owned.slice(0, keep)) {
      state.assignment.get(consumer)!.push(partition);
      assigned.add(partition);
    }
    for (const partition of owned.slice(keep)) state.maybeRevokedPartitions.set(partition, consumer);
  }
  return assigned;
}

/** Step 2: ConstrainedAssignmentBuilder.assignRoundRobin, its list iterator kept as a cursor. */
function assignRoundRobin(unassigned: readonly TopicPartition[], ownership: Ownership, quotas: Quotas, state: State): void {
  const under = state.unfilledMembersWithUnderMinQuotaPartitions;
  const exact = state.unfilledMembersWithExactlyMinQuotaPartitions;
  let cursor = 0;
  for (const partition of unassigned) {
    let consumer: string;
    let fromUnder = true;
    if (cursor < under.length) consumer = under[cursor++]!;
    else if (under.length > 0) {
      cursor = 0;
      consumer = under[cursor++]!;
    } else if (exact.length > 0) {
      consumer = exact.shift()!;
      fromUnder = false;
    } else throw new Error('sticky assignor: no more unfilled consumers to be assigned (a bug in the constrained assignment)');
    const assignment = state.assignment.get(consumer)!;
    assignment.push(partition);
    // Kafka's assignNewPartition: a partition leaving its owner, or one nobody may keep.
    const revokedFrom = state.maybeRevokedPartitions.get(partition);
    if ((revokedFrom !== undefined && revokedFrom !== consumer) || ownership.partitionsWithMultiplePreviousOwners.has(partition)) {
      state.partitionsTransferringOwnership.set(partition, consumer);
    }
    if (assignment.length === quotas.minQuota && fromUnder) {
      under.splice(--cursor, 1);
      exact.push(consumer);
    } else if (assignment.length === quotas.maxQuota) {
      state.currentNumMembersWithOverMinQuotaPartitions++;
    }
  }
}

/** Kafka throws IllegalStateException here: the quotas were computed so that this cannot happen. */
function verifyUnfilledMembers(quotas: Quotas, state: State): void {
  if (state.unfilledMembersWithUnderMinQuotaPartitions.length === 0) return;
  if (state.currentNumMembersWithOverMinQuotaPartitions !== quotas.expectedNumMembersWithOverMinQuotaPartitions) {
    throw new Error('sticky assignor: members are left under minQuota with no partitions to give them');
  }
  for (const member of state.unfilledMembersWithUnderMinQuotaPartitions) {
    if (state.assignment.get(member)!.length !== quotas.minQuota) throw new Error(`sticky assignor: member ${member} did not reach minQuota`);
  }
}
