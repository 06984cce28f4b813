// The coordinator's storage (Kafka's GroupMetadataManager): which __consumer_offsets partitions
// this broker leads and so which groups it coordinates, the cache of groups and committed
// offsets, the records it appends (one per committed partition, one per stored generation), and
// the loading and unloading of a partition's groups when its leadership moves. A transactional
// offset commit (TxnOffsetCommit, KIP-98) is written as a transactional batch of its producer and
// stays pending per producer id until the transaction's marker reaches the offsets partition:
// COMMIT makes it the committed offset, ABORT drops it (handleTxnCompletion).
import type { KafkaError } from '../kafka/errors.js';
import { offsetsPartitionFor, offsetsTopicKey, type GroupMetadataValue, type OffsetCommitValue, type OffsetsTopicValue } from '../kafka/offsets-topic.js';
import type { TopicPartitionRef } from '../kafka/protocol.js';
import { invariant } from '../../sim/index.js';
import { tpKey, type KafkaRecord, type RecordBatch } from '../kafka/records.js';
import type { CoordinatorSettings } from './config.js';
import { GroupMetadata, MemberMetadata } from './group.js';

const COORDINATOR_PRODUCER = '__coordinator';

/** What the coordinator needs of the replica manager: its offsets partitions' logs and appends. */
export interface OffsetsLog {
  /** The local log of a __consumer_offsets partition (empty when not hosted). */
  read(partition: number): readonly RecordBatch[];
  /**
   * Appends with acks=all; calls back once replicated or failed (see ReplicaManager.appendAsCoordinator).
   * With `producer`, a transactional batch of that producer id and epoch (a TxnOffsetCommit's):
   * the log refuses an epoch older than one it has seen (INVALID_PRODUCER_EPOCH).
   */
  append(partition: number, records: readonly KafkaRecord[], timeoutMs: number, onComplete: (error: KafkaError, baseOffset: number) => void, producer?: TransactionalProducer): void;
}

/** The producer of a transactional offset commit. */
export interface TransactionalProducer {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export interface CommitRequest {
  readonly memberId: string;
  readonly generationId: number;
  readonly offsets: readonly { readonly topic: string; readonly partition: number; readonly offset: number; readonly leaderEpoch: number }[];
}

export class GroupMetadataManager {
  private readonly ownedPartitions = new Set<number>();
  private readonly groups = new Map<string, GroupMetadata>(); // groupMetadataCache
  /** The groups each producer id has transactional offsets pending in (openGroupsForProducer). */
  private readonly openGroupsForProducer = new Map<number, Set<string>>();

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

  /**
   * Appends one offset record per partition; the cache takes them only once replicated. With
   * `producer` (a TxnOffsetCommit), they are pending for that producer id until its transaction
   * ends (GroupMetadataManager.storeOffsets with a producer id).
   */
  storeOffsets(group: GroupMetadata, commit: CommitRequest, onComplete: (error: KafkaError) => void, producer?: TransactionalProducer): void {
    const partition = this.partitionFor(group.groupId);
    if (!this.ownedPartitions.has(partition)) return onComplete('NOT_COORDINATOR');
    if (commit.offsets.length === 0) return onComplete('NONE');
    const committedUs = this.now();
    const values: OffsetCommitValue[] = commit.offsets.map((o) => ({
      kind: 'offset', group: group.groupId, topic: o.topic, partition: o.partition, offset: o.offset, leaderEpoch: o.leaderEpoch,
      memberId: commit.memberId, generation: commit.generationId, committedUs,
    }));
    if (producer !== undefined) return this.storeTxnOffsets(group, partition, values, producer, onComplete);
    for (const v of values) countPending(group.pendingOffsetCommits, tpKey(v.topic, v.partition), +1);
    this.log.append(partition, values.map(record), this.settings.offsetsCommitTimeoutMs, (error, baseOffset) => {
      for (const v of values) countPending(group.pendingOffsetCommits, tpKey(v.topic, v.partition), -1);
      if (error !== 'NONE') return onComplete(offsetCommitError(error));
      if (!group.is('Dead')) for (const v of values) putOffset(group, v, baseOffset);
      onComplete('NONE');
    });
  }

  private storeTxnOffsets(group: GroupMetadata, partition: number, values: readonly OffsetCommitValue[], producer: TransactionalProducer, onComplete: (error: KafkaError) => void): void {
    const { producerId } = producer;
    // prepareTxnOffsetCommit: pending before the append, so OffsetFetch with requireStable sees them.
    this.addProducerGroup(producerId, group.groupId);
    let pending = group.pendingTransactionalOffsetCommits.get(producerId);
    if (pending === undefined) {
      pending = new Map();
      group.pendingTransactionalOffsetCommits.set(producerId, pending);
    }
    for (const v of values) pending.set(tpKey(v.topic, v.partition), { offset: v.offset, leaderEpoch: v.leaderEpoch, recordOffset: null });
    this.log.append(partition, values.map(record), this.settings.offsetsCommitTimeoutMs, (error, baseOffset) => {
      const current = group.pendingTransactionalOffsetCommits.get(producerId);
      if (error === 'NONE') {
        // onTxnOffsetCommitAppend: the pending entry learns where its record stands (if it is still this commit's).
        if (!group.is('Dead')) {
          for (const v of values) {
            const entry = current?.get(tpKey(v.topic, v.partition));
            if (entry !== undefined && entry.offset === v.offset && entry.leaderEpoch === v.leaderEpoch) entry.recordOffset = baseOffset;
          }
        }
        return onComplete('NONE');
      }
      if (!group.is('Dead')) {
        if (current === undefined) this.removeProducerGroup(producerId, group.groupId);
        // failPendingTxnOffsetCommit: the record is not in the log; the producer retries.
        for (const v of values) current?.delete(tpKey(v.topic, v.partition));
        if (current !== undefined && current.size === 0) group.pendingTransactionalOffsetCommits.delete(producerId);
      }
      onComplete(offsetCommitError(error));
    }, producer);
  }

  /**
   * A producer's transaction marker is in the offsets partitions `completedPartitions`: its pending
   * offsets there become committed (a newer committed offset wins) or are dropped
   * (GroupMetadataManager.handleTxnCompletion). Returns what each group got, for the trace.
   */
  handleTxnCompletion(producerId: number, completedPartitions: ReadonlySet<number>, isCommit: boolean): { group: string; offsets: [string, number, number][] }[] {
    const completed: { group: string; offsets: [string, number, number][] }[] = [];
    const groups = [...(this.openGroupsForProducer.get(producerId) ?? [])].filter((g) => completedPartitions.has(this.partitionFor(g)));
    for (const groupId of groups) {
      const group = this.groups.get(groupId);
      // Moved away after the marker was written: the new coordinator loads the outcome from the log.
      if (group === undefined || group.is('Dead')) continue;
      const pending = group.pendingTransactionalOffsetCommits.get(producerId);
      group.pendingTransactionalOffsetCommits.delete(producerId);
      this.removeProducerGroup(producerId, groupId);
      const offsets: [string, number, number][] = [];
      for (const [key, entry] of pending ?? []) {
        const { topic, partition } = splitTpKey(key);
        offsets.push([topic, partition, entry.offset]);
        if (!isCommit) continue;
        invariant(entry.recordOffset !== null, () => `group ${groupId}: the commit of producer ${producerId} completes ${key} before its offset record was appended`);
        const current = group.offsets.get(key);
        if (current === undefined || current.recordOffset < entry.recordOffset) group.offsets.set(key, { offset: entry.offset, leaderEpoch: entry.leaderEpoch, recordOffset: entry.recordOffset });
      }
      completed.push({ group: groupId, offsets });
    }
    return completed;
  }

  private addProducerGroup(producerId: number, groupId: string): void {
    const groups = this.openGroupsForProducer.get(producerId) ?? new Set<string>();
    groups.add(groupId);
    this.openGroupsForProducer.set(producerId, groups);
  }

  private removeProducerGroup(producerId: number, groupId: string): void {
    const groups = this.openGroupsForProducer.get(producerId);
    groups?.delete(groupId);
    if (groups !== undefined && groups.size === 0) this.openGroupsForProducer.delete(producerId);
  }

  /**
   * Committed offsets, -1 where none (the group need not exist: commits outside group management).
   * With `requireStable` (KIP-447), a partition with a commit not yet decided (an OffsetCommit not
   * replicated, or a transaction's not yet ended) is UNSTABLE_OFFSET_COMMIT instead.
   */
  getOffsets(groupId: string, partitions: readonly TopicPartitionRef[], requireStable = false): { topic: string; partition: number; offset: number; leaderEpoch: number; error: KafkaError }[] {
    const group = this.groups.get(groupId);
    const offsetOf = (key: string): { offset: number; leaderEpoch: number; error: KafkaError } => {
      if (requireStable && group !== undefined && hasPendingOffsetCommits(group, key)) return { offset: -1, leaderEpoch: -1, error: 'UNSTABLE_OFFSET_COMMIT' };
      const committed = group?.offsets.get(key);
      return { offset: committed?.offset ?? -1, leaderEpoch: committed?.leaderEpoch ?? -1, error: 'NONE' };
    };
    if (partitions.length === 0) {
      // No partitions named: every committed one.
      return group === undefined ? [] : [...group.offsets.keys()].map((key) => ({ ...splitTpKey(key), ...offsetOf(key) }));
    }
    return partitions.map(({ topic, partition }) => ({ topic, partition, ...offsetOf(tpKey(topic, partition)) }));
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
    // Transactional offsets by producer id, until a marker of that producer decides them.
    const pendingOffsets = new Map<number, Map<string, { value: OffsetCommitValue; recordOffset: number }>>();
    for (const batch of this.log.read(partition)) {
      if (batch.control !== undefined) {
        // COMMIT: the producer's pending offsets count, as if written at their own batches; ABORT: dropped.
        if (batch.control.type === 'COMMIT') for (const pending of pendingOffsets.get(batch.producerId)?.values() ?? []) offsets.push(pending);
        pendingOffsets.delete(batch.producerId);
        continue;
      }
      for (const r of batch.records) {
        const value = r.value as OffsetsTopicValue | undefined;
        if (value === undefined) continue;
        if (value.kind === 'group') groupValues.set(value.group, value);
        else {
          if (!groupValues.has(value.group)) groupValues.set(value.group, null);
          if (batch.isTransactional === true) {
            const pending = pendingOffsets.get(batch.producerId) ?? new Map<string, { value: OffsetCommitValue; recordOffset: number }>();
            pending.set(`${value.group}:${tpKey(value.topic, value.partition)}`, { value, recordOffset: batch.baseOffset });
            pendingOffsets.set(batch.producerId, pending);
          } else offsets.push({ value, recordOffset: batch.baseOffset });
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
    // Transactions still open in the log: their offsets stay pending, as they were (loadGroup's pendingTxnOffsets).
    for (const [producerId, pending] of pendingOffsets) {
      for (const { value, recordOffset } of pending.values()) {
        const group = this.groups.get(value.group)!;
        const byProducer = group.pendingTransactionalOffsetCommits.get(producerId) ?? new Map();
        byProducer.set(tpKey(value.topic, value.partition), { offset: value.offset, leaderEpoch: value.leaderEpoch, recordOffset });
        group.pendingTransactionalOffsetCommits.set(producerId, byProducer);
        this.addProducerGroup(producerId, value.group);
      }
    }
    return loaded;
  }

  /** This broker no longer leads `partition`: its groups leave the cache (the caller fences them); null when it did not own it. */
  removeGroupsForPartition(partition: number): GroupMetadata[] | null {
    if (!this.ownedPartitions.delete(partition)) return null;
    const removed = [...this.groups.values()].filter((g) => this.partitionFor(g.groupId) === partition);
    for (const group of removed) {
      this.groups.delete(group.groupId);
      for (const producerId of [...this.openGroupsForProducer.keys()]) this.removeProducerGroup(producerId, group.groupId); // removeGroupFromAllProducers
    }
    return removed;
  }
}

/** A commit of the partition is not yet decided: an OffsetCommit not yet replicated, or a transaction's not yet ended (hasPendingOffsetCommitsForTopicPartition). */
function hasPendingOffsetCommits(group: GroupMetadata, key: string): boolean {
  if ((group.pendingOffsetCommits.get(key) ?? 0) > 0) return true;
  for (const pending of group.pendingTransactionalOffsetCommits.values()) if (pending.has(key)) return true;
  return false;
}

function countPending(counts: Map<string, number>, key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
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
