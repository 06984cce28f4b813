// Where Kafka's assignors iterate a java.util.HashMap or HashSet and the order changes the
// result, ksim iterates in the order Java would. That order is deterministic: it follows from the
// keys' hashCode(), the table's capacity and, within one bucket, the insertion order. So the same
// member ids give the same assignment as a Java group leader would compute, not merely "an" order.
//
// The leader builds its subscription map as `new HashMap<>()` filled in JoinGroup response order
// (ConsumerCoordinator.onLeaderElected); the callers pass members in that order.
//
// One approximation: when a bucket reaches nine keys and the table already has 64 buckets,
// Java turns the bucket into a red-black tree (HashMap.treeifyBin) and moves the tree's root to
// the front; ksim keeps such a bucket in insertion order. It takes nine member ids whose spread
// hashes agree in their low six bits (or more), which distinct hashes practically never do.
// Below 64 buckets, treeifyBin doubles the table instead, and that is modelled.

const DEFAULT_CAPACITY = 16; // HashMap.DEFAULT_INITIAL_CAPACITY
const TREEIFY_THRESHOLD = 8; // a bucket reaching 9 entries is treeified, or the table grows
const MIN_TREEIFY_CAPACITY = 64; // below this, HashMap.treeifyBin resizes instead

/** Java's String.hashCode(): s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int arithmetic. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(31, hash) + text.charCodeAt(i)) | 0;
  return hash;
}

/** Kafka's TopicPartition.hashCode(): 31 * (31 + partition) + topic.hashCode(). */
export function javaTopicPartitionHash(topic: string, partition: number): number {
  return (Math.imul(31, (31 + partition) | 0) + javaStringHash(topic)) | 0;
}

interface Entry<K> {
  readonly key: K;
  /** The spread hash, as HashMap.Node.hash keeps it. */
  readonly hash: number;
}

/** HashMap.hash(): folds the high 16 bits into the low ones, which pick the bucket. */
function spread(hashCode: number): number {
  return hashCode ^ (hashCode >>> 16);
}

/**
 * The bucket layout of a java.util.HashMap (or HashSet) with default capacity and load factor:
 * add, remove, and iteration in Java's order. Keys are told apart by `id`.
 */
export class JavaHashTable<K> {
  private buckets: Entry<K>[][] = [];
  private readonly ids = new Set<string>();

  constructor(
    private readonly id: (key: K) => string,
    private readonly hashOf: (key: K) => number,
  ) {}

  get size(): number {
    return this.ids.size;
  }

  /** HashMap.putVal for a new key (an existing key keeps its place). */
  add(key: K): void {
    const id = this.id(key);
    if (this.ids.has(id)) return;
    if (this.buckets.length === 0) this.buckets = Array.from({ length: DEFAULT_CAPACITY }, () => []);
    const hash = spread(this.hashOf(key));
    const bucket = this.bucketFor(hash);
    bucket.push({ key, hash });
    this.ids.add(id);
    if (bucket.length > TREEIFY_THRESHOLD && this.buckets.length < MIN_TREEIFY_CAPACITY) this.resize();
    if (this.ids.size > this.buckets.length * 0.75) this.resize();
  }

  /** HashMap.removeNode: unlinks the key; the table never shrinks. */
  delete(key: K): void {
    const id = this.id(key);
    if (!this.ids.delete(id)) return;
    const bucket = this.bucketFor(spread(this.hashOf(key)));
    const at = bucket.findIndex((entry) => this.id(entry.key) === id);
    bucket.splice(at, 1);
  }

  /** The first key a Java iterator returns. */
  first(): K | undefined {
    for (const bucket of this.buckets) if (bucket[0] !== undefined) return bucket[0].key;
    return undefined;
  }

  /** Every key, in Java's iteration order: bucket by bucket, each bucket in insertion order. */
  keys(): K[] {
    return this.buckets.flatMap((bucket) => bucket.map((entry) => entry.key));
  }

  /** A key's bucket: the low bits of its spread hash. */
  private bucketFor(hash: number): Entry<K>[] {
    const bucket = this.buckets[hash & (this.buckets.length - 1)];
    if (bucket === undefined) throw new Error('JavaHashTable: bucket index out of range');
    return bucket;
  }

  /** HashMap.resize: doubles the table; each bucket splits in two, keeping its order. */
  private resize(): void {
    const oldCapacity = this.buckets.length;
    const low: Entry<K>[][] = [];
    const high: Entry<K>[][] = [];
    for (const bucket of this.buckets) {
      low.push(bucket.filter((entry) => (entry.hash & oldCapacity) === 0));
      high.push(bucket.filter((entry) => (entry.hash & oldCapacity) !== 0));
    }
    this.buckets = [...low, ...high];
  }
}

/** The order in which a `new HashMap<String, V>()` filled with `keys` (in this order) iterates. */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const table = new JavaHashTable<string>((key) => key, javaStringHash);
  for (const key of keys) table.add(key);
  return table.keys();
}
