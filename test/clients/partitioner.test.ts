import { describe, expect, test } from 'vitest';
import { Random } from '../../sim/index.js';
import { KeylessPartitioner, murmur2, partitionForKey, toPositive, utf8 } from '../../src/clients/partitioner.js';

describe('clients: partitioner', () => {
  test("clients: partitioner: murmur2 matches Kafka's test vectors", () => {
    // apache/kafka clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
    const kafka: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [key, hash] of kafka) expect(murmur2(utf8(key)), key).toBe(hash);
  });

  test('clients: partitioner: murmur2 matches the Java results librdkafka checks, every tail length included', () => {
    // confluentinc/librdkafka src/rdmurmur2.c, unittest_murmur2: java_murmur2_results. The four
    // suffixes of "1234" cover tails of 0, 3, 2 and 1 bytes; "" is the empty key.
    const java: [string, number][] = [
      ['kafka', 0xd067cf64],
      ['giberish123456789', 0x8f552b0c],
      ['1234', 0x9fc97b14],
      ['234', 0xe7c009ca],
      ['34', 0x873930da],
      ['4', 0x5a4b5ca1],
      ['PreAmbleWillBeRemoved,ThePrePartThatIs', 0x78424f1c],
      ['', 0x106e08d9],
    ];
    for (const [key, hash] of java) expect(murmur2(utf8(key)) >>> 0, key).toBe(hash);
  });

  test('clients: partitioner: keys go to the partitions the Java client gives (1000 partitions)', () => {
    // dpkp/kafka-python test/test_partitioner.py, test_murmur2_java_compatibility: "compare with
    // output from Kafka's org.apache.kafka.clients.producer.Partitioner", 1000 partitions.
    const java: [string, number][] = [
      ['', 681],
      ['a', 524],
      ['ab', 434],
      ['abc', 107],
      ['123456789', 566],
      ['\u0000 ', 742],
    ];
    for (const [key, partition] of java) expect(partitionForKey(key, 1000), JSON.stringify(key)).toBe(partition);
  });

  test('clients: partitioner: toPositive clears the sign bit (Integer.MIN_VALUE becomes 0, unlike Math.abs)', () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(-973932308)).toBe(1173551340); // murmur2("21"): 2^31 - 973932308
    expect(toPositive(479470107)).toBe(479470107);
  });

  test("clients: partitioner: keys are hashed as UTF-8 bytes (Kafka's StringSerializer)", () => {
    expect([...utf8('é€😀')]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
    expect([...utf8('k7')]).toEqual([0x6b, 0x37]);
    expect(partitionForKey('é', 7)).toBe(toPositive(murmur2(Uint8Array.from([0xc3, 0xa9]))) % 7);
  });

  test('clients: partitioner: adding partitions moves keys (claim 16: murmur2 mod the partition count)', () => {
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    const moved = keys.filter((key) => partitionForKey(key, 3) !== partitionForKey(key, 4));
    // With 3 → 4 partitions a key stays only if hash % 3 == hash % 4: about a quarter of them.
    expect(moved.length).toBeGreaterThan(50);
    for (const key of keys) expect(partitionForKey(key, 3)).toBe(partitionForKey(key, 3));
  });

  test('clients: partitioner: KIP-480 sticky stays on one partition until it needs a new batch, then moves to another', () => {
    const sticky = new KeylessPartitioner('sticky', new Random('t'), 16384, 'random');
    const available = [0, 1, 2];
    const first = sticky.partition(available, 3);
    for (let i = 0; i < 10; i++) expect(sticky.partition(available, 3)).toBe(first);
    sticky.onNewBatch((first + 1) % 3, available, 3); // another partition's new batch changes nothing
    expect(sticky.partition(available, 3)).toBe(first);
    sticky.onNewBatch(first, available, 3);
    const second = sticky.partition(available, 3);
    // StickyPartitionCache.nextPartition never picks the old partition while another is available.
    expect(second).not.toBe(first);
    expect(available).toContain(second);
  });

  test('clients: partitioner: sticky picks only partitions with a leader', () => {
    const sticky = new KeylessPartitioner('sticky', new Random('t'), 16384, 'random');
    for (let i = 0; i < 20; i++) {
      const p = sticky.partition([2], 3);
      expect(p).toBe(2);
      sticky.onNewBatch(p, [2], 3);
    }
  });

  test('clients: partitioner: KIP-794 uniform sticky switches after batch.size bytes once the batch is full, or 2 × batch.size', () => {
    const uniform = new KeylessPartitioner('uniform-sticky', new Random('u'), 1000, 'random');
    const available = [0, 1, 2, 3, 4, 5, 6, 7];
    const first = uniform.partition(available, 8);
    uniform.onAppend(first, 999, true, available, 8);
    expect(uniform.partition(available, 8)).toBe(first); // 999 < batch.size
    uniform.onAppend(first, 1, false, available, 8);
    expect(uniform.partition(available, 8)).toBe(first); // 1000 bytes but the batch is not full
    let switched = 0;
    for (let trial = 0; trial < 20; trial++) {
      const current = uniform.partition(available, 8);
      uniform.onAppend(current, 2000, false, available, 8); // 2 × batch.size: switch regardless
      if (uniform.partition(available, 8) !== current) switched += 1;
    }
    // The next partition is uniform among all available ones, the same one included (BuiltInPartitioner.nextPartition).
    expect(switched).toBeGreaterThan(10);
  });

  test('clients: partitioner: round-robin cycles over the partitions with a leader (DefaultPartitioner before 2.4)', () => {
    const rr = new KeylessPartitioner('round-robin', new Random('r'), 16384, 'zero');
    expect(Array.from({ length: 6 }, () => rr.partition([0, 1, 2], 3))).toEqual([0, 1, 2, 0, 1, 2]);
    expect(Array.from({ length: 4 }, () => rr.partition([0, 2], 3))).toEqual([0, 2, 0, 2]);
  });
});
