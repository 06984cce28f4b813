// The ZooKeeper-mode group coordinator is Scala (Kafka 3.9 builds with Scala 2.13), and where it
// iterates a hash map the order reaches the clients: the member list of the leader's JoinGroup
// response (the leader's assignor input), which member becomes leader when the leader leaves,
// and which protocol wins a tied vote. Those orders follow from the keys' hashes, so ksim
// computes them as Scala would rather than using insertion order.
import { javaStringHashCode } from '../kafka/offsets-topic.js';

const INITIAL_CAPACITY = 16; // mutable.HashMap.defaultInitialCapacity
const LOAD_FACTOR = 0.75; // mutable.HashMap.defaultLoadFactor

/** mutable.HashMap.improveHash: the high 16 bits folded into the low ones (as java.util.HashMap). */
function improveMutable(hash: number): number {
  return hash ^ (hash >>> 16);
}

/**
 * A string-keyed scala.collection.mutable.HashMap (2.13): values iterate by bucket
 * (improved hash & (capacity - 1)), within a bucket by ascending improved hash (buckets are kept
 * sorted), and keys with equal hashes in insertion order. The table doubles when an insert would
 * reach capacity × 0.75 and never shrinks.
 */
export class ScalaHashMap<V> {
  private readonly entries = new Map<string, V>(); // insertion order: the tie-break
  private capacity = INITIAL_CAPACITY;
  private ordered: string[] | null = null; // cached iteration order

  get size(): number {
    return this.entries.size;
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (!this.entries.has(key)) {
      if (this.entries.size + 1 >= Math.floor(this.capacity * LOAD_FACTOR)) this.capacity *= 2;
      this.ordered = null;
    }
    this.entries.set(key, value);
  }

  delete(key: string): boolean {
    this.ordered = null;
    return this.entries.delete(key);
  }

  keys(): string[] {
    if (this.ordered === null) {
      const mask = this.capacity - 1;
      const hashed = [...this.entries.keys()].map((key, seq) => ({ key, seq, hash: improveMutable(javaStringHashCode(key)) }));
      hashed.sort((a, b) => (a.hash & mask) - (b.hash & mask) || a.hash - b.hash || a.seq - b.seq);
      this.ordered = hashed.map((h) => h.key);
    }
    return this.ordered;
  }

  values(): V[] {
    return this.keys().map((key) => this.entries.get(key)!);
  }
}

/** scala.collection.Hashing.improve, used by immutable.HashMap (CHAMP). */
function improveImmutable(hash: number): number {
  let h = (hash + ~(hash << 9)) | 0;
  h ^= h >>> 14;
  h = (h + (h << 4)) | 0;
  return h ^ (h >>> 10);
}

/**
 * The iteration order of a scala.collection.immutable.HashMap (2.13, a CHAMP trie) with these
 * keys: at each level keys are split by 5 bits of the improved hash (lowest first); the keys
 * alone in their slot come first, in slot order, then the sub-tries of shared slots, in slot
 * order. Keys whose hashes are equal in all 32 bits keep the given order.
 */
export function scalaImmutableHashMapOrder(keys: readonly string[]): string[] {
  const hashed = keys.map((key) => ({ key, hash: improveImmutable(javaStringHashCode(key)) }));
  return champOrder(hashed, 0).map((h) => h.key);
}

function champOrder<T extends { hash: number }>(entries: readonly T[], shift: number): T[] {
  if (entries.length <= 1 || shift >= 32) return [...entries];
  const slots = new Map<number, T[]>();
  for (const entry of entries) {
    const slot = (entry.hash >>> shift) & 31;
    const list = slots.get(slot) ?? [];
    list.push(entry);
    slots.set(slot, list);
  }
  const bySlot = [...slots.entries()].sort((a, b) => a[0] - b[0]);
  const data = bySlot.filter(([, list]) => list.length === 1).map(([, list]) => list[0]!);
  const nodes = bySlot.filter(([, list]) => list.length > 1).flatMap(([, list]) => champOrder(list, shift + 5));
  return [...data, ...nodes];
}
