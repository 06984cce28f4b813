// Wires the example system into a world: servers n1..nN and one client.
import type { World } from '../../sim/index.js';
import type { ExampleSpec } from '../scenario/types.js';
import { zeroCoverage } from '../checker/coverage.js';
import type { SystemUnderTest } from '../runner/system.js';
import { checkExample } from './checker.js';
import { client, primaryFromTrace, server, serverNames, type ExampleMessage } from './system.js';

export function buildExample(world: World<unknown>, spec: ExampleSpec, stopAtUs: number): SystemUnderTest {
  const typed = world as World<ExampleMessage>;
  const servers = serverNames(spec);
  for (const name of servers) typed.spawn(name, server(spec));
  typed.spawn('client', client(spec, stopAtUs));
  return {
    nemesisTargets: servers,
    nodeSets: {},
    nemesisKinds: {},
    resolve(target) {
      const primary = primaryFromTrace(typed.trace.records, servers);
      if (target === 'primary') return primary;
      if (target === 'backup') return servers.find((s) => s !== primary) ?? null;
      return typed.nodeNames.includes(target) ? target : null;
    },
    check: () => checkExample(typed, servers),
    retainedBytes: () => 0,
    coverage: zeroCoverage, // the example is not Kafka: none of the probes applies
    failedStarts: () => [],
  };
}

