// The coordinator's storage (Kafka's GroupMetadataManager): which __consumer_offsets partitions
// this broker leads and so which groups it coordinates, the cache of groups and committed
// offsets, the records it appends (one per committed partition, one per stored generation), and
// the loading and unloading of a partition's groups when its leadership moves.
import type { KafkaError } from '../kafka/errors.js';
import { offsetsPartitionFor, offsetsTopicKey, type GroupMetadataValue, type OffsetCommitValue, type OffsetsTopicValue } from '../kafka/offsets-topic.js';
import type { TopicPartitionRef } from '../kafka/protocol.js';
import { tpKey, type KafkaRecord, type RecordBatch } from '../kafka/records.js';
import type { CoordinatorSettings } from './config.js';
import { GroupMetadata, MemberMetadata } from './group.js';

const COORDINATOR_PRODUCER = '__coordinator';

/** What the coordinator needs of the replica manager: its offsets partitions' logs and appends. */
export interface OffsetsLog {
  /** The local log of a __consumer_offsets partition (empty when not hosted). */
  read(partition: number): readonly RecordBatch[];
  /** Appends with acks=all; calls back once replicated or failed (see ReplicaManager.appendAsCoordinator). */
  append(partition: number, records: readonly KafkaRecord[], timeoutMs: number, onComplete: (error: KafkaError, baseOffset: number) => void): void;
}

export interface CommitRequest {
  readonly memberId: string;
  readonly generationId: number;
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number; readonly leaderEpoch: number }[];
}

export class GroupMetadataManager {
  private readonly ownedPartitions = new Set<number>();
  private readonly groups = new Map<string, GroupMetadata>(); // groupMetadataCache

  constructor(
    private readonly settings: CoordinatorSettings,
    private readonly log: OffsetsLog,
    private readonly now: () => number,
  ) {}

  partitionFor(groupId: string): number {
    return offsetsPartitionFor(groupId, this.settings.offsetsTopicNumPartitions);
  }

  isGroupLocal(groupId: string): boolean {
    return this.ownedPartitions.has(this.partitionFor(groupId));
  }

  getGroup(groupId: string): GroupMetadata | undefined {
    return this.groups.get(groupId);
  }

  /** A JoinGroup from an unknown member (memberId '') creates the group; any other finds it or not. */
  getOrMaybeCreateGroup(groupId: string, createIfMissing: boolean): GroupMetadata | undefined {
    const group = this.groups.get(groupId);
    if (group !== undefined || !createIfMissing) return group;
    return this.addGroup(new GroupMetadata(groupId, 'Empty'));
  }

  addGroup(group: GroupMetadata): GroupMetadata {
    const existing = this.groups.get(group.groupId);
    if (existing !== undefined) return existing;
    this.groups.set(group.groupId, group);
    return group;
  }

  // ---- writes -----------------------------------------------------------------------------

  /**
   * Appends the group's generation with `assignment` (GroupMetadataManager.storeGroup). Append
   * errors reach the caller as Kafka maps them for JoinGroup/SyncGroup answers.
   */
  storeGroup(group: GroupMetadata, assignment: ReadonlyMap<string, readonly TopicPartitionRef[]>, onComplete: (error: KafkaError) => void): void {
    const partition = this.partitionFor(group.groupId);
    if (!this.ownedPartitions.has(partition)) return onComplete('NOT_COORDINATOR');
    const protocol = group.protocolName;
    const value: GroupMetadataValue = {
      kind: 'group',
      group: group.groupId,
      generation: group.generationId,
      protocol,
      leader: group.leaderId,
      members: protocol === null ? [] : group.allMembers().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientNode: m.clientNode,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscription: m.metadata(protocol),
        assignment: assignment.get(m.memberId) ?? [],
      })),
    };
    this.log.append(partition, [record(value)], this.settings.offsetsCommitTimeoutMs, (error) => onComplete(storeGroupError(error)));
  }

  /** Appends one offset record per partition; the cache takes them only once replicated. */
  storeOffsets(group: GroupMetadata, commit: CommitRequest, onComplete: (error: KafkaError) => void): void {
    const partition = this.partitionFor(group.groupId);
    if (!this.ownedPartitions.has(partition)) return onComplete('NOT_COORDINATOR');
    if (commit.offsets.length === 0) return onComplete('NONE');
    const committedUs = this.now();
    const values: OffsetCommitValue[] = commit.offsets.map((o) => ({
      kind: 'offset', group: group.groupId, topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch,
      memberId: commit.memberId, generation: commit.generationId, committedUs,
    }));
    this.log.append(partition, values.map(record), this.settings.offsetsCommitTimeoutMs, (error, baseOffset) => {
      if (error !== 'NONE') return onComplete(offsetCommitError(error));
      if (!group.is('Dead')) for (const v of values) putOffset(group, v, baseOffset);
      onComplete('NONE');
    });
  }

  /** Committed offsets, -1 where none (the group need not exist: commits outside group management). */
  getOffsets(groupId: string, partitions: readonly TopicPartitionRef[]): { topic: string; partition: number; offset: number; leaderEpoch: number }[] {
    const group = this.groups.get(groupId);
    if (partitions.length === 0) {
      // No partitions named: every committed one.
      return group === undefined ? [] : [...group.offsets.entries()].map(([key, o]) => ({ ...splitTpKey(key), offset: o.offset, leaderEpoch: o.leaderEpoch }));
    }
    return partitions.map(({ topic, partition }) => {
      const committed = group?.offsets.get(tpKey(topic, partition));
      return { topic, partition, offset: committed?.offset ?? -1, leaderEpoch: committed?.leaderEpoch ?? -1 };
    });
  }

  // ---- leadership of offsets partitions -----------------------------------------------------

  /**
   * This broker now leads `partition`: rebuild its groups from the whole local log, the last
   * group record and the last offset record of each key winning. Loading is instant in this model
   * (Kafka loads on a background thread and answers COORDINATOR_LOAD_IN_PROGRESS meanwhile).
   */
  loadGroupsAndOffsets(partition: number): GroupMetadata[] {
    const groupValues = new Map<string, GroupMetadataValue | null>(); // null: offsets only
    const offsets: { value: OffsetCommitValue; recordOffset: number }[] = [];
    for (const batch of this.log.read(partition)) {
      for (const r of batch.records) {
        const value = r.value as OffsetsTopicValue | undefined;
        if (value === undefined) continue;
        if (value.kind === 'group') groupValues.set(value.group, value);
        else {
          if (!groupValues.has(value.group)) groupValues.set(value.group, null);
          offsets.push({ value, recordOffset: batch.baseOffset });
        }
      }
    }
    this.ownedPartitions.add(partition);
    const loaded: GroupMetadata[] = [];
    for (const [groupId, value] of groupValues) {
      const group = this.addGroup(value === null ? new GroupMetadata(groupId, 'Empty') : groupFromRecord(value));
      loaded.push(group);
    }
    for (const { value, recordOffset } of offsets) putOffset(this.groups.get(value.group)!, value, recordOffset);
    return loaded;
  }

  /** This broker no longer leads `partition`: its groups leave the cache (the caller fences them); null when it did not own it. */
  removeGroupsForPartition(partition: number): GroupMetadata[] | null {
    if (!this.ownedPartitions.delete(partition)) return null;
    const removed = [...this.groups.values()].filter((g) => this.partitionFor(g.groupId) === partition);
    for (const group of removed) this.groups.delete(group.groupId);
    return removed;
  }
}

function record(value: OffsetsTopicValue): KafkaRecord {
  return { key: offsetsTopicKey(value), producer: COORDINATOR_PRODUCER, seq: -1, value };
}

/** A newer record wins (GroupMetadata.onOffsetCommitAppend compares the appended batch offsets). */
function putOffset(group: GroupMetadata, value: OffsetCommitValue, recordOffset: number): void {
  const key = tpKey(value.topic, value.partition);
  const current = group.offsets.get(key);
  if (current === undefined || current.recordOffset <= recordOffset) group.offsets.set(key, { offset: value.offset, leaderEpoch: value.leaderEpoch, recordOffset });
}

/** A stored generation back in memory: Stable with its members and assignments, or Empty. */
function groupFromRecord(value: GroupMetadataValue): GroupMetadata {
  const group = new GroupMetadata(value.group, value.members.length === 0 ? 'Empty' : 'Stable');
  group.generationId = value.generation;
  group.protocolName = value.protocol;
  group.protocolType = 'consumer';
  group.leaderId = value.leader;
  for (const stored of value.members) {
    // Only the chosen protocol's subscription is stored, as in Kafka's group metadata record.
    const protocols = [{ name: value.protocol!, metadata: stored.subscription }];
    const member = new MemberMetadata(stored.memberId, stored.groupInstanceId, stored.clientNode, stored.rebalanceTimeoutMs, stored.sessionTimeoutMs, protocols);
    member.assignment = stored.assignment;
    group.add(member, null);
  }
  return group;
}

function splitTpKey(key: string): TopicPartitionRef {
  const dash = key.lastIndexOf('-');
  return { topic: key.slice(0, dash), partition: Number(key.slice(dash + 1)) };
}

/** How storeGroup's append errors reach JoinGroup/SyncGroup answers (GroupMetadataManager.storeGroup). */
function storeGroupError(error: KafkaError): KafkaError {
  return error === 'REQUEST_TIMED_OUT' ? 'REBALANCE_IN_PROGRESS' : offsetCommitError(error);
}

/**
 * How an offset commit's append errors reach the OffsetCommit answer
 * (GroupMetadataManager.maybeConvertOffsetCommitError). REQUEST_TIMED_OUT passes through as it
 * is: the consumer retries it after looking the coordinator up again.
 */
function offsetCommitError(error: KafkaError): KafkaError {
  switch (error) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
      return 'COORDINATOR_NOT_AVAILABLE';
    case 'NOT_LEADER_OR_FOLLOWER':
      return 'NOT_COORDINATOR';
    default:
      return error;
  }
}
