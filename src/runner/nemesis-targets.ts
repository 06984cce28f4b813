// What the random nemesis may hit: the scenario's `nemesis.targets`, resolved at each fault, so a
// role such as leader(orders/0) or coordinator(billing) names whoever holds it at that moment.
// The loader has checked that each names a node, a set (NEMESIS_SETS) or a role of the scenario.
import type { SystemUnderTest } from './system.js';

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
