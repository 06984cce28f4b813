// The "did you mean" helper used for every unknown name.
import { describe, expect, it } from 'vitest';
import { editDistance, nearest } from '../../src/scenario/nearest.js';
import { BROKER_CONFIG, PRODUCER_CONFIG } from '../../src/scenario/kafka-config.js';

describe('scenario: nearest', () => {
  it('scenario: nearest: counts insertions, deletions, substitutions and swaps as one step each', () => {
    expect(editDistance('name', 'name')).toBe(0);
    expect(editDistance('nmae', 'name')).toBe(1);
    expect(editDistance('replica', 'replicas')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });

  it('scenario: nearest: finds misspelt Kafka keys', () => {
    const broker = Object.keys(BROKER_CONFIG);
    expect(nearest('min.insync.replica', broker)).toBe('min.insync.replicas');
    expect(nearest('unclean.leader.elections.enable', broker)).toBe('unclean.leader.election.enable');
    expect(nearest('replica.lag.max.time.ms', broker)).toBe('replica.lag.time.max.ms');
    expect(nearest('ACKS', Object.keys(PRODUCER_CONFIG))).toBe('acks');
    expect(nearest('enable.idempotency', Object.keys(PRODUCER_CONFIG))).toBe('enable.idempotence');
  });

  it('scenario: nearest: suggests nothing for names that are not typos', () => {
    expect(nearest('2', ['0', '1', 'all'])).toBeNull();
    expect(nearest('banana', ['acks', 'retries'])).toBeNull();
    expect(nearest('x'.repeat(500), ['x'])).toBeNull();
  });

  it('scenario: nearest: breaks ties by candidate order', () => {
    expect(nearest('abd', ['abc', 'abe'])).toBe('abc');
    expect(nearest('abd', ['abe', 'abc'])).toBe('abe');
  });
});
