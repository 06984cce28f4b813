// ksim's programmatic API, for checks of your own (vitest or any test runner):
//
//   import { run, partitionForKey } from 'ksim';
//   const summary = run(`
//     cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
//     topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
//     producers: [{ name: p1, topic: orders, messages: 2000, rate: 200/s, keys: 10, config: { acks: all } }]
//     faults: [{ at: 5s, kill: leader(orders/0), heal: 10s }]
//     duration: 20s
//   `, { seed: 7 });
//   summary.anomalies.lost;            // 0: acks=all with min.insync.replicas=2 loses nothing
//
// `run` validates exactly as `ksim run` does and returns the `--json` summary of one seed.
// The assignors are Kafka's, as pure functions: (partitions per topic, subscriptions) -> assignment.
import { stringify } from 'yaml';
import { formatInputError, loadScenarioText } from './scenario/index.js';
import { runScenario, type RunOptions, type RunSummary } from './runner/index.js';

export type { RunSummary, RunOptions } from './runner/index.js';
export type { AnomalyName, AnomalyCounts, AnomalyInstance, StoryLine } from './checker/anomalies.js';
export { ANOMALY_NAMES } from './checker/anomalies.js';
export { COVERAGE_PROBES, PROBE_NAMES, type CoverageCounts, type ProbeName } from './checker/coverage.js';
export type { FailedStart } from './checker/start-failures.js';
export { partitionForKey, murmur2, toPositive } from './clients/partitioner.js';
export {
  ASSIGNORS, rangeAssign, roundRobinAssign, stickyAssign, cooperativeStickyAssign,
  type AssignorName, type GroupAssignment, type PartitionsPerTopic, type Subscription, type TopicPartition,
} from './clients/assignors/index.js';

/** A scenario's input was not valid; `message` lists every error as `file:line:column: ...`. */
export class ScenarioError extends Error {
  override readonly name = 'ScenarioError';
}

export interface RunRequest extends RunOptions {
  /** Default: the scenario's own `seed`. */
  readonly seed?: number;
  /** The name errors and the summary use for the input. Default: `scenario.yaml`. */
  readonly file?: string;
}

/** Runs one scenario, given as YAML text or as the object the YAML would parse to, with one seed. */
export function run(scenario: string | Readonly<Record<string, unknown>>, request: RunRequest = {}): RunSummary {
  const file = request.file ?? 'scenario.yaml';
  const text = typeof scenario === 'string' ? scenario : stringify(scenario);
  const loaded = loadScenarioText(text, file);
  if (!loaded.ok) throw new ScenarioError(loaded.errors.map(formatInputError).join('\n'));
  return runScenario(loaded.value, request.seed ?? loaded.value.scenario.seed, request);
}
