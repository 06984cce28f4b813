// The random nemesis's targets (nodes, roles resolved at each fault, named sets) and its
// brokers-versus-ZooKeeper split.
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioText } from '../../src/scenario/index.js';

const text = (nemesis: string) => `name: nemesis-targets
duration: 40s
settle: 20s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
producers: [{ name: p1, topic: orders, messages: 4000, rate: 100/s, keys: 10, config: { acks: all } }]
consumers: [{ group: billing, members: 2, topic: orders, commit: after-processing, config: { auto.offset.reset: earliest, session.timeout.ms: 10000 } }]
nemesis: ${nemesis}
`;

const scenario = (nemesis: string) => {
  const loaded = loadScenarioText(text(nemesis), 'nemesis-targets.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.value;
};

const killsAndPauses = (targets: string) => `{ faults: [kill, pause], interval: 2s..4s, fault-duration: 1s..3s, targets: ${targets} }`;

type RandomFault = { node?: string; groups?: string[][] };

/** The random faults of seed 1, and the run's summary. */
function randomFaults(nemesis: string): { faults: RandomFault[]; summary: ReturnType<typeof runScenario> } {
  const faults: RandomFault[] = [];
  const summary = runScenario(scenario(nemesis), 1, {
    observer: (_atUs: number, event: TraceEvent) => {
      const e = event as { kind: string; source?: string; action?: RandomFault };
      if (e.kind === 'fault' && e.source === 'random' && e.action !== undefined) faults.push(e.action);
    },
  });
  return { faults, summary };
}

describe('runner: nemesis targets', () => {
  test('runner: nemesis targets: the consumers set hits only the group members', () => {
    const nodes = randomFaults(killsAndPauses('[consumers]')).faults.map((f) => f.node);
    expect(nodes.length).toBeGreaterThan(5);
    expect(new Set(nodes)).toEqual(new Set(['billing-1', 'billing-2']));
  });

  test('runner: nemesis targets: a role names a broker, whichever holds it when the fault comes', () => {
    const nodes = randomFaults(killsAndPauses('[coordinator(billing)]')).faults.map((f) => f.node);
    expect(nodes.length).toBeGreaterThan(5);
    expect(nodes.every((n) => n !== undefined && /^b\d$/.test(n))).toBe(true);
  });

  test('runner: nemesis targets: zookeeper-split cuts every broker from ZooKeeper and leaves the clients be', () => {
    const { faults, summary } = randomFaults('{ faults: [zookeeper-split], interval: 3s..6s, fault-duration: 1s..3s }');
    expect(faults.length).toBeGreaterThan(2);
    for (const fault of faults) expect(fault.groups).toEqual([['b1', 'b2', 'b3'], ['zk']]);
    expect(summary.anomalies.lost).toBe(0);
  });

  test('runner: nemesis targets: a name that is no node, role or set is refused when the file is loaded', () => {
    const refused = loadScenarioText(text(killsAndPauses('[brokers, consumer]')), 'nemesis-targets.yaml');
    expect(refused.ok ? [] : refused.errors.map((e) => `${e.path}: ${e.found}`)).toEqual(['nemesis.targets[1]: "consumer"']);
    expect(loadScenarioText(text(killsAndPauses('[b1, zk, billing-2, p1, "leader(orders/0)"]')), 'nemesis-targets.yaml').ok).toBe(true);
  });
});
