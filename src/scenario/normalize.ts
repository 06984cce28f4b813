// From the validated raw scenario (units already in µs and ppm) to the `Scenario` the runner
// reads: defaults that depend on other fields, camelCase names, and one action per fault.
import { parse as parsePath } from 'node:path';
import { BROKER_CONFIG, type KafkaConfigValue } from './kafka-config.js';
import { harmlessNote } from './config-support.js';
import type { PathSegment } from './format.js';
import type { RawScenario } from './schema.js';
import type {
  ClusterSpec,
  ExampleSpec,
  FaultActionSpec,
  FaultSpec,
  KafkaConfig,
  NemesisSpec,
  Scenario,
  TopicSpec,
} from './types.js';

type RawFault = RawScenario['faults'][number];

/** `lineOf` gives the 1-based line of a node, so each fault remembers where it was written. */
export function normalize(raw: RawScenario, file: string, lineOf: (path: readonly PathSegment[]) => number): Scenario {
  const cluster = raw.cluster === undefined ? null : normalizeCluster(raw.cluster);
  return {
    name: raw.name ?? parsePath(file).name,
    description: raw.description ?? null,
    claim: raw.claim ?? null,
    seed: raw.seed,
    judgedOver: raw['judged-over'],
    harmlessKeys: harmlessNote([
      ...(raw.cluster === undefined ? [] : [
        { label: 'broker' as const, where: 'cluster.config', config: raw.cluster.config },
        { label: 'ZooKeeper' as const, where: 'cluster.zookeeper', config: raw.cluster.zookeeper },
      ]),
      ...raw.topics.map((t) => ({ label: 'topic' as const, where: `topic ${t.name}`, config: t.config })),
      ...raw.producers.map((p) => ({ label: 'producer' as const, where: `producer ${p.name}`, config: p.config })),
      ...raw.consumers.map((c) => ({ label: 'consumer' as const, where: `group ${c.group}`, config: c.config })),
    ]),
    durationUs: raw.duration,
    settleUs: raw.settle,
    network: {
      latencyUs: raw.network.latency,
      dropPpm: raw.network.drop,
      duplicatePpm: raw.network.duplicate,
      reorderPpm: raw.network.reorder,
    },
    cluster,
    example: raw.example === undefined ? null : normalizeExample(raw.example),
    topics: raw.topics.map((topic) => normalizeTopic(topic, cluster)),
    producers: raw.producers.map((p) => ({
      name: p.name,
      topic: p.topic,
      messages: p.messages,
      ratePerSec: p.rate,
      keys: p.keys ?? null,
      config: kafkaConfig(p.config),
      // A transactional.id alone runs transactions of 100 records, none aborted (DEFAULT_TRANSACTIONS).
      transactions: p.transactions === undefined ? null : { records: p.transactions.records, abortPpm: p.transactions.abort },
    })),
    consumers: raw.consumers.map((c) => ({
      group: c.group,
      members: c.members,
      topic: c.topic,
      processingUs: c.processing,
      commit: c.commit,
      config: kafkaConfig(c.config),
    })),
    faults: raw.faults.map((fault, index) => normalizeFault(fault, lineOf(['faults', index]))),
    nemesis: raw.nemesis === undefined ? null : normalizeNemesis(raw.nemesis),
    expect: Object.fromEntries(Object.entries(raw.expect).filter(([, value]) => value !== undefined)),
  };
}

/** Only the keys the file set: the model falls back to the tables' defaults for the rest. */
function kafkaConfig(config: Readonly<Record<string, unknown>>): KafkaConfig {
  const result: Record<string, KafkaConfigValue> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined) result[key] = value as KafkaConfigValue;
  }
  return result;
}

function normalizeCluster(cluster: NonNullable<RawScenario['cluster']>): ClusterSpec {
  return {
    brokers: cluster.brokers,
    kafka: cluster.kafka,
    config: kafkaConfig(cluster.config),
    zookeeper: kafkaConfig(cluster.zookeeper),
    supervisor: cluster.supervisor === undefined ? null : { restartAfterUs: cluster.supervisor['restart-after'] },
    startup: { baseUs: cluster.startup.time, recoveryBytesPerSec: cluster.startup['log-recovery'] },
  };
}

/** A topic without partitions or replication.factor gets the brokers' defaults, as Kafka does. */
function normalizeTopic(topic: RawScenario['topics'][number], cluster: ClusterSpec | null): TopicSpec {
  const brokerInt = (key: 'num.partitions' | 'default.replication.factor'): number => {
    const value = cluster?.config[key] ?? BROKER_CONFIG[key].default;
    return typeof value === 'number' ? value : 1;
  };
  return {
    name: topic.name,
    partitions: topic.partitions ?? brokerInt('num.partitions'),
    replicationFactor: topic['replication.factor'] ?? brokerInt('default.replication.factor'),
    config: kafkaConfig(topic.config),
  };
}

function normalizeExample(example: NonNullable<RawScenario['example']>): ExampleSpec {
  return {
    replicas: example.replicas,
    replication: example.replication,
    writes: example.writes,
    ratePerSec: example.rate,
    failoverUs: example.failover,
  };
}

function normalizeNemesis(nemesis: NonNullable<RawScenario['nemesis']>): NemesisSpec {
  return { faults: nemesis.faults, intervalUs: nemesis.interval, faultDurationUs: nemesis['fault-duration'], targets: nemesis.targets ?? null };
}

function normalizeFault(fault: RawFault, line: number): FaultSpec {
  return { atUs: fault.at, action: faultAction(fault), healAfterUs: fault.heal ?? null, line, mayMiss: fault['may-miss'] ?? false };
}

/** The fault's one action; crossChecks has already made sure there is exactly one. */
function faultAction(fault: RawFault): FaultActionSpec {
  if (fault.kill !== undefined) return { kind: 'kill', target: fault.kill };
  if (fault.stop !== undefined) return { kind: 'stop', target: fault.stop };
  if (fault.power !== undefined) return { kind: 'power', target: fault.power };
  if (fault.restart !== undefined) return { kind: 'restart', target: fault.restart };
  if (fault.pause !== undefined) return { kind: 'pause', target: fault.pause };
  if (fault.resume !== undefined) return { kind: 'resume', target: fault.resume };
  if (fault.isolate !== undefined) return { kind: 'isolate', target: fault.isolate };
  if (fault.partition !== undefined) return { kind: 'partition', groups: fault.partition };
  if (fault['one-way'] !== undefined) return { kind: 'one-way', from: fault['one-way'].from, to: fault['one-way'].to };
  if (fault['slow-disk'] !== undefined) return { kind: 'slow-disk', target: fault['slow-disk'], latencyUs: fault.latency ?? 0 };
  if (fault.hold !== undefined) return { kind: 'hold', from: fault.hold.from ?? null, to: fault.hold.to ?? null };
  if (fault['elect-preferred'] !== undefined) return { kind: 'elect-preferred', partition: fault['elect-preferred'] };
  if (fault['add-partitions'] !== undefined) return { kind: 'add-partitions', topic: fault['add-partitions'].topic, partitions: fault['add-partitions'].partitions };
  throw new Error('ksim bug: a fault without an action passed validation');
}
