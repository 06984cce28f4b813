// What the log checker keeps per partition while the run goes: its replicas' high-watermark
// cursors, the identity of the record seen committed at each offset, the offsets where two
// different records were seen committed, and who leads it.
import type { Disk, DiskFile } from '../../sim/index.js';
import { nextOffset, tpKey, type RecordBatch } from '../kafka/records.js';

/** One replica of one partition, as the checker follows it. */
export interface ReplicaState {
  readonly broker: number;
  readonly node: string;
  /** Offsets below this were read from this replica's log below its high watermark. */
  cursor: number;
  /** The last high watermark it reported (clamped by truncations), 0 before any. */
  highWatermark: number;
  /** Its disk, once the node exists. */
  disk: Disk | null;
}

const INITIAL_OFFSETS = 256;

/**
 * "The record committed at offset o", per offset: ledger producer index and seq, and the broker
 * that first showed it below its high watermark. 10 bytes an offset, grown by doubling.
 */
export class CommittedOffsets {
  capacity = 0;
  producer = new Int32Array(0); // -1: nothing seen committed here yet
  seq = new Int32Array(0);
  by = new Int32Array(0);

  ensure(offset: number): void {
    if (offset < this.capacity) return;
    let capacity = Math.max(INITIAL_OFFSETS, this.capacity);
    while (capacity <= offset) capacity *= 2;
    const producer = new Int32Array(capacity).fill(-1);
    producer.set(this.producer);
    const seq = new Int32Array(capacity);
    seq.set(this.seq);
    const by = new Int32Array(capacity);
    by.set(this.by);
    this.producer = producer;
    this.seq = seq;
    this.by = by;
    this.capacity = capacity;
  }

  get bytes(): number {
    return this.producer.byteLength + this.seq.byteLength + this.by.byteLength;
  }
}

/** A record seen committed where a different one had been: the raw material of a story. */
export interface Conflict {
  readonly partition: PartitionState;
  readonly atUs: number;
  readonly offset: number;
  readonly first: RecordRef;
  readonly second: RecordRef;
  readonly where: 'online' | 'final';
}

export interface RecordRef {
  readonly producer: string;
  readonly seq: number;
  readonly broker: number;
  /** The broker's high watermark when it showed the record, -1 when not known. */
  readonly highWatermark: number;
}

export class PartitionState {
  readonly name: string;
  readonly replicas: ReplicaState[] = [];
  readonly committed = new CommittedOffsets();
  /** Offsets where two different records were seen (committed online, or in the final logs). */
  readonly inconsistent = new Set<number>();
  leader = -1;
  leaderEpoch = -1;
  offline = false;
  offlineAtUs = 0;

  constructor(
    readonly index: number,
    readonly topic: string,
    readonly partition: number,
  ) {
    this.name = tpKey(topic, partition);
  }

  replica(broker: number): ReplicaState | undefined {
    const replicas = this.replicas;
    for (let i = 0; i < replicas.length; i++) if (replicas[i]!.broker === broker) return replicas[i];
    return undefined;
  }
}

export function logEndOffset(file: DiskFile<RecordBatch>): number {
  return file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
}

/** Index of the first batch that ends after `offset` (batches are in offset order). */
export function firstBatchEndingAfter(file: DiskFile<RecordBatch>, offset: number): number {
  let low = 0;
  let high = file.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (nextOffset(file.at(mid)) > offset) high = mid;
    else low = mid + 1;
  }
  return low;
}
