// What the random nemesis may hit: the scenario's `nemesis.targets`, resolved at each fault, so a
// role such as leader(orders/0) or coordinator(billing) names whoever holds it at that moment.
import type { Scenario } from '../scenario/types.js';
import type { SystemUnderTest } from './system.js';

/** Named sets of nodes a nemesis target may name. */
export const NODE_SETS = ['brokers', 'zookeeper', 'producers', 'consumers'] as const;

/** A role or set name, with no node behind it now, yields nothing; duplicates are dropped. */
export function nemesisTargets(spec: readonly string[] | null, system: SystemUnderTest): () => readonly string[] {
  if (spec === null) return () => system.nemesisTargets;
  return () => {
    const nodes: string[] = [];
    for (const target of spec) {
      const set = system.nodeSets[target];
      const resolved = set ?? [system.resolve(target)].filter((node): node is string => node !== null);
      for (const node of resolved) if (!nodes.includes(node)) nodes.push(node);
    }
    return nodes;
  };
}

/**
 * Plain names in `nemesis.targets` that name no node or set of the scenario: a typo there would
 * leave the nemesis nothing to hit and the suite green for nothing. Roles (with parentheses, or
 * `controller`, `primary`) are resolved during the run.
 */
export function unknownNemesisTargets(scenario: Scenario): string[] {
  const targets = scenario.nemesis?.targets ?? [];
  const known = new Set<string>(['controller', 'primary', ...NODE_SETS]);
  if (scenario.cluster !== null) {
    known.add('zk');
    for (let id = 1; id <= scenario.cluster.brokers; id++) known.add(`b${id}`);
    for (const producer of scenario.producers) known.add(producer.name);
    for (const consumer of scenario.consumers) for (let i = 1; i <= consumer.members; i++) known.add(`${consumer.group}-${i}`);
  }
  if (scenario.example !== null) {
    for (let i = 1; i <= scenario.example.replicas; i++) known.add(`n${i}`);
    known.add('client');
  }
  return targets.filter((target) => !target.includes('(') && !known.has(target));
}
