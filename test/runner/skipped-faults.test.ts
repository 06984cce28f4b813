// A scripted fault whose role names nobody when it comes due: the scenario did not run as
// written, so the seed fails, unless the fault says it may miss; either way the run says so.
import { describe, expect, test } from 'vitest';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { summaryLine } from '../../src/cli/json-line.js';

const scenario = (fault: string, nemesis = '') => {
  const loaded = loadScenarioText(`name: skipped-faults
duration: 10s
settle: 5s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
producers: [{ name: p1, topic: orders, messages: 100, rate: 20/s, config: { acks: all } }]
faults:
  - { at: 1s, pause: b1, heal: 1s }
  ${fault}
${nemesis}`, 'skipped-faults.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.value;
};

describe('runner: skipped faults', () => {
  // At 2 s orders/0 has had one leader only, so leader-was(orders/0) names nobody.
  test('runner: skipped faults: a scripted fault whose role names nobody when due fails the seed, with its line and why', () => {
    const summary = runScenario(scenario('- { at: 2s, kill: leader-was(orders/0) }'), 1);
    expect(summary.skippedFaults).toEqual([{ atMs: 2000, line: 9, action: 'kill', why: 'target leader-was(orders/0) names no node now', allowed: false }]);
    expect(summary.ok).toBe(false);
    expect(summary.broken).toEqual([expect.stringContaining('did not run as written: its kill at 2s (scenario line 9) was skipped')]);
    expect(JSON.parse(summaryLine(summary)).skippedFaults).toHaveLength(1);
  });

  test('runner: skipped faults: marked may-miss, the same fault is reported and the seed passes', () => {
    const summary = runScenario(scenario('- { at: 2s, kill: leader-was(orders/0), may-miss: true }'), 1);
    expect(summary.skippedFaults).toEqual([expect.objectContaining({ line: 9, allowed: true })]);
    expect(summary.ok).toBe(true);
  });

  test('runner: skipped faults: a fault whose role names somebody is applied and not reported', () => {
    const summary = runScenario(scenario('- { at: 2s, kill: leader(orders/0), heal: 1s }'), 1);
    expect(summary.skippedFaults).toEqual([]);
    expect(summary.ok).toBe(true);
  });

  test('runner: skipped faults: random faults that find no target are counted, not failed', () => {
    // leader-was(orders/0) names nobody until a second leader is elected, and nothing here moves the leader for good.
    const summary = runScenario(scenario('', 'nemesis: { faults: [pause], interval: 1s..2s, fault-duration: 100ms..200ms, targets: [leader-was(orders/0)] }'), 1);
    expect(summary.nemesisMisses).toBeGreaterThan(2);
    expect(summary.ok).toBe(true);
  });

  test('runner: skipped faults: may-miss on an admin request is refused at load', () => {
    const loaded = loadScenarioText(`name: x
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
faults:
  - { at: 1s, elect-preferred: orders/0, may-miss: true }
`, 'x.yaml');
    expect(loaded.ok ? [] : loaded.errors.map((e) => e.path)).toEqual(['faults[0].may-miss']);
  });
});
