// Scenario objects for the kernel's example system, built without the YAML loader.
import type { FaultSpec, LoadedScenario, Scenario } from '../../src/scenario/types.js';

export function exampleScenario(over: Partial<Scenario> = {}, replication: 'async' | 'sync' = 'async'): LoadedScenario {
  const scenario: Scenario = {
    name: 'example', description: null, claim: null, seed: 1, judgedOver: 1, harmlessKeys: null, durationUs: 10_000_000, settleUs: 5_000_000,
    network: { latencyUs: { minUs: 1000, maxUs: 5000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 },
    cluster: null, example: { replicas: 3, replication, writes: 300, ratePerSec: 50, failoverUs: 300_000 },
    topics: [], producers: [], consumers: [],
    faults: [
      { atUs: 3_000_000, action: { kind: 'kill', target: 'primary' }, healAfterUs: 2_000_000, line: 1, mayMiss: false },
      { atUs: 6_000_000, action: { kind: 'isolate', target: 'primary' }, healAfterUs: 1_500_000, line: 2, mayMiss: false },
    ],
    nemesis: { faults: ['pause', 'one-way', 'slow-disk'], intervalUs: { minUs: 1_000_000, maxUs: 3_000_000 }, faultDurationUs: { minUs: 100_000, maxUs: 1_000_000 }, targets: null },
    expect: {},
    ...over,
  };
  return { file: 'example.yaml', text: '', scenario };
}

export type { FaultSpec };
