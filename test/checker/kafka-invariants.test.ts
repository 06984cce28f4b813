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
});
