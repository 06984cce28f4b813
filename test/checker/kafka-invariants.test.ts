import { describe, expect, test } from 'vitest';
import { InvariantViolation, Trace } from '../../sim/index.js';
import { watchKafkaInvariants } from '../../src/checker/kafka-invariants.js';

function watched(): Trace {
  const trace = new Trace();
  watchKafkaInvariants({ trace });
  trace.record(0, { kind: 'topic.created', topic: 'orders', assignment: [[1, 2, 3]] });
  return trace;
}

const election = (leader: number, isr: number[], unclean: boolean) => ({
  kind: 'election', controller: 1, controllerEpoch: 1, topic: 'orders', partition: 0, leader, leaderEpoch: 1, isr, unclean, reason: 'broker-failure',
});

describe('checker: kafka invariants', () => {
  test('checker: invariants: a clean election outside the ISR is a simulator bug; an unclean one is allowed', () => {
    expect(() => watched().record(1, election(3, [1, 2], false))).toThrow(InvariantViolation);
    expect(() => watched().record(1, election(3, [3], true))).not.toThrow();
  });

  test('checker: invariants: an ISR outside the assigned replicas is a simulator bug', () => {
    expect(() => watched().record(1, { kind: 'isr.shrink', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 0, isr: [1, 4], removed: [2], lagMs: 0 })).toThrow(/not a non-empty subset/);
  });

  test('checker: invariants: one controller per epoch, and epochs only grow', () => {
    const trace = watched();
    trace.record(1, { kind: 'controller.elected', broker: 1, controllerEpoch: 1 });
    expect(() => trace.record(2, { kind: 'controller.elected', broker: 2, controllerEpoch: 1 })).toThrow(/claimed by broker 2 and broker 1/);
    const other = watched();
    other.record(1, { kind: 'controller.elected', broker: 1, controllerEpoch: 3 });
    expect(() => other.record(2, { kind: 'controller.elected', broker: 2, controllerEpoch: 2 })).toThrow(/went from 3 to 2/);
  });

  // Every event that carries an ISR is checked, the controller's writes and expansions too; an
  // empty ISR is no subset Kafka allows (the controller keeps the last member).
  test('checker: invariants: every ISR the trace carries is a non-empty subset of the replicas', () => {
    const controllerIsr = (isr: number[]) => ({ kind: 'controller.isr', controller: 1, topic: 'orders', partition: 0, leader: 1, leaderEpoch: 2, isr, reason: 'broker-failure' });
    expect(() => watched().record(1, controllerIsr([1, 5]))).toThrow(/not a non-empty subset/);
    expect(() => watched().record(1, controllerIsr([1, 3]))).not.toThrow();
    expect(() => watched().record(1, { kind: 'isr.expand', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 1, isr: [1, 2, 7], added: [7] })).toThrow(/not a non-empty subset/);
    expect(() => watched().record(1, { kind: 'isr.shrink', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 1, isr: [], removed: [1], lagMs: 0 })).toThrow(/not a non-empty subset/);
    // A partition the trace never showed created has no replica list to check against.
    expect(() => watched().record(1, { kind: 'isr.shrink', broker: 9, topic: 'other', partition: 0, leaderEpoch: 1, isr: [9], removed: [], lagMs: 0 })).not.toThrow();
    // An unclean election may choose a leader outside the ISR it read.
    expect(() => watched().record(1, election(3, [1, 2], true))).not.toThrow();
  });
});
