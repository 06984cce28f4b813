// What the group coordinator writes to __consumer_offsets, and which of its partitions holds a
// group. The record values are structured (not Kafka's binary schemas), one record per commit
// of one partition and one per stored group.
import type { Subscription, TopicPartitionRef } from './protocol.js';

export type OffsetsTopicValue = OffsetCommitValue | GroupMetadataValue;

/** One partition's committed offset for a group (the key is group, topic, partition). */
export interface OffsetCommitValue {
  readonly kind: 'offset';
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read. */
  readonly offset: number;
  readonly leaderEpoch: number;
  /** Who committed it, in which generation (ksim keeps these for stories). */
  readonly memberId: string;
  readonly generation: number;
  readonly committedUs: number;
}

export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientNode: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly subscription: Subscription;
  readonly assignment: readonly TopicPartitionRef[];
}

/** A group's generation as stored after its leader's assignment (the key is the group); no members: the group is empty. */
export interface GroupMetadataValue {
  readonly kind: 'group';
  readonly group: string;
  readonly generation: number;
  readonly protocol: string | null;
  readonly leader: string | null;
  readonly members: readonly StoredMember[];
}

/** The record key the coordinator uses, so that a compacted log would keep the latest per key. */
export function offsetsTopicKey(value: OffsetsTopicValue): string {
  return value.kind === 'offset' ? `offset:${value.group}:${value.topic}-${value.partition}` : `group:${value.group}`;
}

/** Java's String.hashCode, on UTF-16 code units, as a 32-bit int. */
export function javaStringHashCode(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's Utils.abs: Math.abs, except Integer.MIN_VALUE gives 0 (not Utils.toPositive's bit mask). */
export function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/**
 * The __consumer_offsets partition of a group: Utils.abs(groupId.hashCode) % partitions
 * (GroupMetadataManager.partitionFor, 0.10.2 to 3.x). Not toPositive: a group whose hash is
 * negative lands elsewhere (billing: 9 of 50, not 39).
 */
export function offsetsPartitionFor(groupId: string, partitions: number): number {
  return kafkaAbs(javaStringHashCode(groupId)) % partitions;
}
