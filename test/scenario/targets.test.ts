// Fault and nemesis targets are checked when the file is loaded: a target that names nothing in
// the scenario is bad input with its position, never a fault skipped in silence during the run.
import { describe, expect, test } from 'vitest';
import { errorsOf, expectOneError, loaded } from './support.js';

const scenario = (faults: string, nemesis = '') => `name: targets
cluster: { brokers: 3 }
topics:
  - { name: orders, partitions: 3, replication.factor: 3 }
producers:
  - { name: p1, topic: orders, messages: 100, rate: 10/s }
consumers:
  - { group: billing, members: 2, topic: orders }
faults:
${faults}
${nemesis}`;

// The fault is on line 10 of the text above; its target starts after "  - { at: 1s, kill: ".
const one = (fault: string) => errorsOf(scenario(`  - { at: 1s, ${fault} }`));

describe('scenario: targets', () => {
  test('scenario: targets: a broker id beyond cluster.brokers is refused, with the nearest name', () => {
    expectOneError(one('kill: b7'), { line: 10, column: 21, path: 'faults[0].kill', text: 'found "b7" (did you mean "b1"?)' });
  });

  test('scenario: targets: a role of an unknown topic or of a partition the topic does not have is refused', () => {
    expectOneError(one('kill: leader(nosuch/0)'), { line: 10, column: 21, path: 'faults[0].kill', text: 'expected a topic declared under topics (orders, __consumer_offsets)' });
    expectOneError(one('kill: leader(orders/3)'), { line: 10, column: 21, path: 'faults[0].kill', text: 'expected a partition of orders from 0 to 2' });
  });

  test('scenario: targets: a misspelt or unknown role is refused, with the nearest role', () => {
    expectOneError(one('pause: folower(orders/0), heal: 1s'), { line: 10, column: 22, path: 'faults[0].pause', text: 'did you mean "follower"?' });
    expectOneError(one('kill: boss(orders/0)'), { line: 10, column: 21, path: 'faults[0].kill', text: 'expected a partition role' });
  });

  test('scenario: targets: an n-th follower or replica beyond the replication factor is refused', () => {
    // rf 3: two followers, three replicas.
    expectOneError(one('pause: "follower(orders/0,3)", heal: 1s'), { line: 10, column: 22, path: 'faults[0].pause', text: 'expected an n-th from 1 to 2' });
    expectOneError(one('kill: "replica(orders/0,4)"'), { line: 10, column: 21, path: 'faults[0].kill', text: 'expected an n-th from 1 to 3' });
    expectOneError(one('kill: "leader(orders/0,1)"'), { line: 10, column: 21, path: 'faults[0].kill', text: 'without an n-th' });
    expect(loaded(scenario('  - { at: 1s, pause: "follower(orders/0,2)", heal: 1s }\n  - { at: 2s, kill: "replica(orders/2,3)" }')).scenario.faults).toHaveLength(2);
  });

  test('scenario: targets: a coordinator of an unknown group, and a not-controller beyond the other brokers, are refused', () => {
    expectOneError(one('kill: coordinator(nogroup)'), { line: 10, column: 21, path: 'faults[0].kill', text: 'of a group declared under consumers (billing)' });
    expectOneError(one('kill: "not-controller(3)"'), { line: 10, column: 21, path: 'faults[0].kill', text: 'not-controller(1) to not-controller(2)' });
  });

  test('scenario: targets: txn-coordinator(ID) must name a producer\'s transactional.id', () => {
    // p1 has no transactional.id here: there is no transaction coordinator to name.
    expectOneError(one('kill: txn-coordinator(orders-writer)'), { line: 10, column: 21, path: 'faults[0].kill', text: 'expected a transactional.id of a producer (none has one)' });
    const transactional = (target: string) => scenario(`  - { at: 1s, kill: ${target} }`).replace('rate: 10/s }', 'rate: 10/s, config: { transactional.id: orders-writer } }');
    expectOneError(errorsOf(transactional('txn-coordinator(orders-writr)')), { line: 10, column: 21, path: 'faults[0].kill', text: "of a producer's transactional.id (orders-writer), found \"txn-coordinator(orders-writr)\" (did you mean \"orders-writer\"?)" });
    expect(loaded(transactional('txn-coordinator(orders-writer)')).scenario.faults).toHaveLength(1);
  });

  test('scenario: targets: partition groups, hold and one-way ends, and elect-preferred are checked too', () => {
    const errors = errorsOf(scenario([
      '  - { at: 1s, partition: [[leader(orders/0)], [b4]], heal: 1s }',
      '  - { at: 2s, hold: { from: p2, to: zk }, heal: 1s }',
      '  - { at: 3s, one-way: { from: zk, to: billing-3 }, heal: 1s }',
      '  - { at: 4s, elect-preferred: orders/9 }',
    ].join('\n')));
    expect(errors.map((e) => e.path)).toEqual(['faults[0].partition[1][0]', 'faults[1].hold.from', 'faults[2].one-way.to', 'faults[3].elect-preferred']);
  });

  test('scenario: targets: a nemesis target that is no node, set or role is refused; sets are for the nemesis only', () => {
    const nemesis = 'nemesis: { faults: [kill], interval: 2s..3s, fault-duration: 1s..2s, targets: [brokers, consumer, leader(orders/0)] }';
    expectOneError(errorsOf(scenario('  - { at: 1s, kill: b1 }', nemesis)), { line: 11, column: 89, path: 'nemesis.targets[1]', text: 'found "consumer" (did you mean "consumers"?)' });
    expectOneError(one('kill: brokers'), { line: 10, column: 21, path: 'faults[0].kill', text: 'found "brokers"' });
  });

  test('scenario: targets: every name and role a scenario has is accepted, __consumer_offsets partitions and added partitions included', () => {
    const faults = [
      '  - { at: 1s, kill: zk, heal: 1s }',
      '  - { at: 2s, pause: billing-2, heal: 1s }',
      '  - { at: 3s, partition: [[controller], [not-controller, "not-controller(2)"]], heal: 1s }',
      '  - { at: 4s, kill: coordinator(billing), heal: 1s }',
      '  - { at: 5s, kill: leader(__consumer_offsets/49), heal: 1s }',
      '  - { at: 6s, add-partitions: { topic: orders, partitions: 5 } }',
      '  - { at: 7s, stop: leader(orders/4), heal: 1s }',
      '  - { at: 8s, restart: leader-was(orders/0) }',
      '  - { at: 9s, hold: { from: p1, to: preferred(orders/1) }, heal: 1s }',
    ].join('\n');
    expect(loaded(scenario(faults, 'nemesis: { faults: [kill], interval: 2s..3s, fault-duration: 1s..2s, targets: [brokers, zookeeper, producers, consumers, controller] }')).scenario.faults).toHaveLength(9);
  });
});
