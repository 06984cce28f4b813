// Kafka's producer partitioners: murmur2 of the key for keyed records, and for records without
// a key the strategy of the profile's Kafka line (round-robin, KIP-480 sticky, KIP-794 uniform
// sticky). Keyed placement must match the Java client bit for bit: a key goes where a Java
// producer would put it (DESIGN: "Fidelity to Kafka"; claim 16).
import type { Random } from '../../sim/index.js';

// Kafka's Utils.murmur2 constants: seed, mixing multiplier and shift.
const MURMUR2_SEED = 0x9747b28c;
const MURMUR2_M = 0x5bd1e995;
const MURMUR2_R = 24;

/** Kafka's `Utils.murmur2(byte[])`: a signed 32-bit murmur2 hash, as Java's int returns it. */
export function murmur2(data: Uint8Array): number {
  const length = data.length;
  let h = MURMUR2_SEED ^ length;
  const words = length >>> 2;
  for (let i = 0; i < words; i++) {
    const i4 = i << 2;
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24);
    k = Math.imul(k, MURMUR2_M);
    k ^= k >>> MURMUR2_R;
    k = Math.imul(k, MURMUR2_M);
    h = Math.imul(h, MURMUR2_M);
    h ^= k;
  }
  // The last 1-3 bytes, as Java's fall-through switch on length % 4 takes them.
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2]! << 16;
  if (rest >= 2) h ^= data[tail + 1]! << 8;
  if (rest >= 1) {
    h ^= data[tail]!;
    h = Math.imul(h, MURMUR2_M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, MURMUR2_M);
  h ^= h >>> 15;
  return h | 0;
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not Math.abs: MIN_VALUE stays in range). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The UTF-8 bytes of a string, as Kafka's StringSerializer (default encoding UTF-8) writes them. */
export function utf8(text: string): Uint8Array {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
    if (c >= 0xd800 && c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
      i += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      bytes.push(0x3f); // a lone surrogate: Java's UTF-8 encoder writes '?'
      continue;
    }
    if (c < 0x80) bytes.push(c);
    else if (c < 0x800) bytes.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else if (c < 0x10000) bytes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
    else bytes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 0x3f), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Uint8Array.from(bytes);
}

/** The positive murmur2 hash of a string key; `% numPartitions` gives its partition. */
export function keyHash(key: string): number {
  return toPositive(murmur2(utf8(key)));
}

/** Kafka's keyed partition: `toPositive(murmur2(utf8(key))) % numPartitions` (BuiltInPartitioner.partitionForKey). */
export function partitionForKey(key: string, numPartitions: number): number {
  if (!Number.isInteger(numPartitions) || numPartitions <= 0) throw new Error(`partitioner: ${numPartitions} partitions`);
  return keyHash(key) % numPartitions;
}

/**
 * How records without a key (or every record, for key-blind partitioners) are spread:
 * - `round-robin`: DefaultPartitioner before 2.4, and RoundRobinPartitioner: a per-topic
 *   counter over the partitions that have a leader.
 * - `sticky`: KIP-480 (2.4 to 3.2, DefaultPartitioner and UniformStickyPartitioner): stay on one
 *   partition, chosen at random among those with a leader, until a new batch has to be created
 *   on it; then switch to another one at random.
 * - `uniform-sticky`: KIP-794 (3.3+, the built-in partitioner): stay on one partition until
 *   batch.size bytes went to it and its last batch is full (or 2 × batch.size bytes in any
 *   case), then pick one at random, the same one allowed. Adaptive weighting by queue size
 *   (partitioner.adaptive.partitioning.enable) is not modelled: the choice is uniform.
 */
export type KeylessStrategy = 'round-robin' | 'sticky' | 'uniform-sticky';

export class KeylessPartitioner {
  private current = -1; // the sticky partition, -1 before the first choice
  private producedBytes = 0; // uniform-sticky: bytes appended to `current` since it was chosen
  private counter: number; // round-robin

  constructor(
    readonly strategy: KeylessStrategy,
    private readonly random: Random,
    private readonly stickyBatchBytes: number,
    roundRobinStart: 'random' | 'zero',
  ) {
    // DefaultPartitioner (< 2.4) starts its counter at a random int; RoundRobinPartitioner at 0.
    this.counter = roundRobinStart === 'random' ? random.int(0x7fffffff) : 0;
  }

  /** The partition of the next keyless record. `available`: partitions with a known leader. */
  partition(available: readonly number[], numPartitions: number): number {
    if (this.strategy === 'round-robin') {
      const n = this.counter;
      this.counter = (this.counter + 1) | 0;
      if (available.length > 0) return available[toPositive(n) % available.length]!;
      return toPositive(n) % numPartitions;
    }
    if (this.current < 0 || this.current >= numPartitions) this.current = this.choose(available, numPartitions, -1);
    return this.current;
  }

  /** KIP-480: a new batch is needed on `partition`; if it is the sticky one, move on. */
  onNewBatch(partition: number, available: readonly number[], numPartitions: number): void {
    if (this.strategy !== 'sticky' || partition !== this.current) return;
    this.current = this.choose(available, numPartitions, partition);
  }

  /** KIP-794: `bytes` went to the sticky partition; `lastBatchFull` = its queue ends in a full batch. */
  onAppend(partition: number, bytes: number, lastBatchFull: boolean, available: readonly number[], numPartitions: number): void {
    if (this.strategy !== 'uniform-sticky' || partition !== this.current) return;
    this.producedBytes += bytes;
    const limit = this.stickyBatchBytes;
    if ((this.producedBytes >= limit && lastBatchFull) || this.producedBytes >= 2 * limit) {
      this.current = this.choose(available, numPartitions, -1);
      this.producedBytes = 0;
    }
  }

  /** The current sticky partition (-1 before the first record); for tests and stories. */
  get stickyPartition(): number {
    return this.current;
  }

  private choose(available: readonly number[], numPartitions: number, previous: number): number {
    if (available.length === 0) return this.random.int(numPartitions);
    if (this.strategy === 'uniform-sticky' || available.length === 1 || previous < 0) return this.random.pick(available);
    // StickyPartitionCache.nextPartition: a different partition whenever there is one.
    for (;;) {
      const next = this.random.pick(available);
      if (next !== previous) return next;
    }
  }
}
