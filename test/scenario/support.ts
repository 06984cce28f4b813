// Shared scenario texts and assertions for the scenario loader's tests.
import { expect } from 'vitest';
import { formatInputError, loadScenarioText, type InputError, type LoadedScenario } from '../../src/scenario/index.js';

/** The example of DESIGN.md "Scenario files", with `commit:` set to one strategy. */
export const DESIGN_EXAMPLE = `name: acks-1-leader-crash            # defaults to the file name
description: acks=1 loses acknowledged messages when the leader dies before followers fetch
claim: seeds 001 "ack = 1 ... 从节点没同步，主节点挂了，消息丢失"   # which documented claim this shows
seed: 1                              # default seed; --seed overrides
duration: 60s                        # time during which workload and faults run
settle: 60s                          # then faults heal, producers stop, consumers drain
cluster:
  brokers: 3
  kafka: "2.8"                       # behaviour profile: e.g. 0.10 = HW truncation, >= 0.11 leader epochs
  config: { min.insync.replicas: 2, unclean.leader.election.enable: false }
  zookeeper: { zookeeper.session.timeout.ms: 6000 }
network: { latency: 1ms..5ms }
topics:
  - { name: orders, partitions: 3, replication.factor: 3 }
producers:
  - { name: p1, topic: orders, messages: 5000, rate: 500/s, keys: 50,
      config: { acks: "1", retries: 3 } }
consumers:
  - { group: billing, members: 2, topic: orders, processing: 2ms,
      commit: after-processing,
      config: { enable.auto.commit: true } }
faults:                              # scripted; targets can be named by role
  - { at: 20s, kill: leader(orders/0) }
  - { at: 35s, restart: leader-was(orders/0) }
  - { at: 10s, partition: [[b1], [b2, b3, zk]], heal: 30s }
nemesis:                             # seeded random faults, for exploring many seeds
  { faults: [kill, power, partition, pause], interval: 5s..15s }
expect:                              # per anomaly: never | sometimes | always
  lost: sometimes
  inconsistent: never
`;

/** The smallest useful Kafka scenario, in block style so lines are easy to count. */
export const MINIMAL = `cluster:
  brokers: 3
topics:
  - name: orders
    partitions: 3
    replication.factor: 3
producers:
  - name: p1
    topic: orders
    messages: 100
    rate: 100/s
`;

export const EXAMPLE_SYSTEM = `name: primary-backup
example:
  replicas: 3
  replication: sync
  writes: 50
faults:
  - at: 2s
    pause: primary
    heal: 1s
expect:
  lost: never
`;

export function loaded(text: string, file = 's.yaml'): LoadedScenario {
  const result = loadScenarioText(text, file);
  if (!result.ok) throw new Error(`expected a valid scenario, got:\n${result.errors.map(formatInputError).join('\n')}`);
  return result.value;
}

export function errorsOf(text: string, file = 's.yaml'): InputError[] {
  const result = loadScenarioText(text, file);
  if (result.ok) throw new Error('expected errors, the scenario loaded');
  return result.errors;
}

export interface ExpectedError {
  readonly line: number | null;
  readonly column: number | null;
  readonly path: string;
  /** A fragment of the formatted message (expected, found or hint). */
  readonly text: string;
  readonly file?: string;
}

/** Exactly one error of `errors` is at this place with this path, and it says `text`. */
export function expectOneError(errors: readonly InputError[], want: ExpectedError): void {
  const formatted = errors.map(formatInputError).join('\n');
  const matches = errors.filter((e) => e.line === want.line && e.column === want.column && e.path === want.path);
  expect(matches, `no error at ${want.line}:${want.column} ${want.path} among:\n${formatted}`).toHaveLength(1);
  const [match] = matches;
  if (match === undefined) return;
  expect(match.file).toBe(want.file ?? 's.yaml');
  expect(formatInputError(match)).toContain(want.text);
}
