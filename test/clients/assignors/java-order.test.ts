// The Java iteration order ksim reproduces where Kafka's assignors iterate a HashMap or HashSet.
// Every expected value below was printed by OpenJDK 17 (String.hashCode, TopicPartition.hashCode,
// and HashMap/HashSet keySet() after the same inserts).
import { describe, expect, test } from 'vitest';
import { JavaHashTable, javaHashMapOrder, javaStringHash, javaTopicPartitionHash } from '../../../src/clients/assignors/java-order.js';

describe('clients: assignors: java order', () => {
  test("clients: assignors: java order: String.hashCode over UTF-16 code units, with int overflow", () => {
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(javaStringHash('consumer1')).toBe(-421004549);
    expect(javaStringHash('héllo')).toBe(103094734);
    expect(javaStringHash('😀')).toBe(1772899);
    expect(javaStringHash('a-very-long-member-id-0123456789')).toBe(961043402);
  });

  test("clients: assignors: java order: Kafka's TopicPartition.hashCode", () => {
    expect(javaTopicPartitionHash('topic', 0)).toBe(110547184);
    expect(javaTopicPartitionHash('orders', 17)).toBe(-1008768843);
  });

  test('clients: assignors: java order: a HashMap of member ids iterates by bucket, not by insertion or name', () => {
    expect(javaHashMapOrder(['consumer1', 'consumer2', 'consumer3', 'consumer4'])).toEqual(['consumer4', 'consumer3', 'consumer2', 'consumer1']);
    expect(javaHashMapOrder(['consumer0', 'consumer1', 'consumer2'])).toEqual(['consumer2', 'consumer1', 'consumer0']);
  });

  test('clients: assignors: java order: the table doubles past 12 and 24 entries', () => {
    const ids = Array.from({ length: 20 }, (_, i) => `c${i + 1}`);
    expect(javaHashMapOrder(ids).join(',')).toBe('c20,c11,c10,c13,c12,c15,c14,c17,c16,c19,c18,c1,c2,c3,c4,c5,c6,c7,c8,c9');
  });

  test('clients: assignors: java order: colliding keys keep insertion order, and nine in a bucket double a small table', () => {
    // "Aa" and "BB" have the same hashCode, so every 8-letter mix of them collides. With 14
    // keys the table has 32 buckets; the 15th key is the ninth in its bucket (eight colliding
    // keys and m6), so treeifyBin doubles the table to 64 and the order changes.
    expect(javaHashMapOrder(['Aa', 'BB', 'zz', 'AaAa', 'BBBB', 'AaBB', 'BBAa'])).toEqual(['Aa', 'BB', 'zz', 'AaAa', 'BBBB', 'AaBB', 'BBAa']);
    const keys = 'AaAaAaAa,m0,AaAaAaBB,m1,AaAaBBAa,m2,AaAaBBBB,m3,AaBBAaAa,m4,AaBBAaBB,m5,AaBBBBAa,m6,AaBBBBBB,m7'.split(',');
    expect(javaHashMapOrder(keys.slice(0, 14)).join(',')).toBe('m0,m1,m2,m3,m4,m5,AaAaAaAa,AaAaAaBB,AaAaBBAa,AaAaBBBB,AaBBAaAa,AaBBAaBB,AaBBBBAa,m6');
    expect(javaHashMapOrder(keys).join(',')).toBe('AaAaAaAa,AaAaAaBB,AaAaBBAa,AaAaBBBB,AaBBAaAa,AaBBAaBB,AaBBBBAa,AaBBBBBB,m0,m1,m2,m3,m4,m5,m6,m7');
  });

  test('clients: assignors: java order: a HashSet of partitions after removals, as PartitionMovements iterates it', () => {
    const set = new JavaHashTable<number>(String, (partition) => javaTopicPartitionHash('t', partition));
    for (let partition = 0; partition < 30; partition++) set.add(partition);
    set.delete(0);
    set.delete(5);
    expect(set.keys().join(',')).toBe('21,19,17,15,13,11,9,7,3,1,28,26,24,22,20,18,16,14,12,10,8,6,4,2,29,27,25,23');
    expect(set.first()).toBe(21);
    expect(set.size).toBe(28);
  });
});
