// The coordinator's pure parts: which __consumer_offsets partition holds a group (Java's
// String.hashCode), the Scala hash-map orders Kafka's coordinator iterates in, and protocol
// selection. Expected hashes were computed with Java's formula outside this code.
import { describe, expect, test } from 'vitest';
import { GroupMetadata, MemberMetadata } from '../../src/coordinator/group.js';
import { ScalaHashMap, scalaImmutableHashMapOrder } from '../../src/coordinator/scala-order.js';
import { javaStringHashCode, offsetsPartitionFor } from '../../src/kafka/offsets-topic.js';
import { subscription } from './support.js';

describe('coordinator: offsets partition', () => {
  test('coordinator: offsets partition: String.hashCode as Java computes it', () => {
    expect(javaStringHashCode('hello')).toBe(99162322);
    expect(javaStringHashCode('billing')).toBe(-109829509);
    expect(javaStringHashCode('orders')).toBe(-1008770331);
    expect(javaStringHashCode('')).toBe(0);
    // The well-known string whose hashCode is Integer.MIN_VALUE.
    expect(javaStringHashCode('polygenelubricants')).toBe(-2147483648);
  });

  test('coordinator: offsets partition: Utils.abs(hashCode) % offsets.topic.num.partitions', () => {
    expect(offsetsPartitionFor('hello', 50)).toBe(22);
    // A negative hash is negated (Utils.abs, every version), not masked as Utils.toPositive would:
    // |-109829509| % 50 = 9, where (-109829509 & 0x7fffffff) % 50 would be 39.
    expect(offsetsPartitionFor('billing', 50)).toBe(9);
    expect(offsetsPartitionFor('billing', 3)).toBe(1);
    expect(offsetsPartitionFor('analytics', 50)).toBe(10);
    // Utils.abs(Integer.MIN_VALUE) is 0 (Math.abs would stay negative).
    expect(offsetsPartitionFor('polygenelubricants', 50)).toBe(0);
  });
});

describe('coordinator: scala order', () => {
  test('coordinator: scala order: mutable.HashMap iterates by bucket, then by improved hash', () => {
    // Improved hashes (h ^ h >>> 16): billing-1-2.1 → bucket 5, billing-2-2.2 → 9, billing-3-2.3 → 4.
    const map = new ScalaHashMap<number>();
    for (const [i, key] of ['billing-1-2.1', 'billing-2-2.2', 'billing-3-2.3'].entries()) map.set(key, i);
    expect(map.keys()).toEqual(['billing-3-2.3', 'billing-1-2.1', 'billing-2-2.2']);
    map.delete('billing-3-2.3');
    expect(map.keys()).toEqual(['billing-1-2.1', 'billing-2-2.2']);
  });

  test('coordinator: scala order: immutable.HashMap (CHAMP) puts lone slots first, then shared slots', () => {
    // Improved hashes' low 5 bits: cooperative-sticky 1, roundrobin 7, range 20, sticky 20 (a
    // sub-node, ordered by the next 5 bits: range 10, sticky 26).
    expect(scalaImmutableHashMapOrder(['sticky', 'range', 'roundrobin', 'cooperative-sticky'])).toEqual(['cooperative-sticky', 'roundrobin', 'range', 'sticky']);
  });
});

describe('coordinator: protocol selection', () => {
  function groupOf(...preferences: string[][]): GroupMetadata {
    const group = new GroupMetadata('g', 'Empty');
    preferences.forEach((names, i) => group.add(new MemberMetadata(`m${i}`, null, `c${i}`, 1000, 1000, names.map((n) => subscription(n, ['t']))), null));
    return group;
  }

  test('coordinator: protocol selection: the most votes among protocols every member supports', () => {
    // sticky is not supported by m2, so m0 votes for its next choice, range.
    expect(groupOf(['sticky', 'range'], ['range', 'roundrobin'], ['roundrobin', 'range']).selectProtocol()).toBe('range');
    expect(groupOf(['roundrobin', 'range'], ['roundrobin', 'range'], ['range', 'roundrobin']).selectProtocol()).toBe('roundrobin');
  });

  test('coordinator: protocol selection: a tie goes to the first protocol in Scala immutable.HashMap order', () => {
    // One vote each; roundrobin (slot 7) comes before range (slot 20) in the CHAMP trie.
    expect(groupOf(['range', 'roundrobin'], ['roundrobin', 'range']).selectProtocol()).toBe('roundrobin');
    expect(groupOf(['roundrobin', 'range'], ['range', 'roundrobin']).selectProtocol()).toBe('roundrobin');
  });

  test('coordinator: protocol selection: a member sharing no protocol with the group is refused', () => {
    const group = groupOf(['range']);
    group.transitionTo('PreparingRebalance');
    expect(group.supportsProtocols('consumer', [subscription('roundrobin', ['t'])])).toBe(false);
    expect(group.supportsProtocols('consumer', [subscription('roundrobin', ['t']), subscription('range', ['t'])])).toBe(true);
  });
});
