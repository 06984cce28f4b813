// The last checks of a scenario, on its normalized form: the rules each client's config keeps for
// itself (Kafka's ConfigException cases, where the config lives: src/clients/*-config.ts), and
// what the example system cannot do. Each finding is put at its key in the file, so everything a
// scenario is refused for has a position and the runner only ever receives one that can run.
import { validateConsumerConfig } from '../clients/consumer/consumer-config.js';
import { validateProducerConfig } from '../clients/producer-config.js';
import { validateZooKeeperConfig, zookeeperServerConfig } from '../zookeeper/server.js';
import type { PathSegment } from './format.js';
import { DEFAULT_KAFKA_PROFILE } from './kafka-config.js';
import type { ConfigFinding, Scenario } from './types.js';

export interface RunnableFinding {
  readonly path: readonly PathSegment[];
  /** The finding is about the key at `path` (the key itself is pointed at), not its value. */
  readonly key: boolean;
  readonly expected: string;
  readonly found: string;
  readonly hint: string | null;
}

export function runnableFindings(scenario: Scenario): RunnableFinding[] {
  const profile = scenario.cluster?.kafka ?? DEFAULT_KAFKA_PROFILE;
  const at = (base: readonly PathSegment[], config: Readonly<Record<string, unknown>>) => (f: ConfigFinding): RunnableFinding =>
    Object.hasOwn(config, f.key)
      ? { path: [...base, f.key], key: false, expected: f.expected, found: f.found, hint: f.hint }
      : { path: base, key: false, expected: f.expected, found: `${f.found} (the default of ${f.key})`, hint: f.hint };
  return [
    ...scenario.producers.flatMap((p, i) => validateProducerConfig(p.config, profile).map(at(['producers', i, 'config'], p.config))),
    ...scenario.producers.flatMap((p, i) => transactionsFindings(p, i)),
    ...scenario.consumers.flatMap((c, i) => validateConsumerConfig(c.config, c.commit, profile).map(at(['consumers', i, 'config'], c.config))),
    ...(scenario.cluster === null ? [] : validateZooKeeperConfig(zookeeperServerConfig(scenario.cluster.zookeeper)).map(at(['cluster', 'zookeeper'], scenario.cluster.zookeeper))),
    ...exampleFindings(scenario),
  ];
}

/** The example system (a replicated register, not Kafka) has no controller and no ZooKeeper. */
function exampleFindings(scenario: Scenario): RunnableFinding[] {
  if (scenario.example === null) return [];
  const admin = scenario.faults.flatMap((f, i) => (f.action.kind === 'elect-preferred' || f.action.kind === 'add-partitions' ? [{ kind: f.action.kind, i }] : []));
  const zookeeper = (scenario.nemesis?.faults ?? []).flatMap((kind, i) => (kind.startsWith('zookeeper-') ? [{ kind, i }] : []));
  return [
    ...admin.map(({ kind, i }) => ({ path: ['faults', i, kind], key: true, expected: 'a fault the example system can take', found: JSON.stringify(kind), hint: `${kind} is a Kafka admin request: the example system has no controller` })),
    ...zookeeper.map(({ kind, i }) => ({ path: ['nemesis', 'faults', i], key: false, expected: 'a nemesis fault the example system can take', found: JSON.stringify(kind), hint: `${kind} needs a Kafka cluster: the example system has no ZooKeeper` })),
  ];
}

/** `transactions:` describes a transactional producer's application: without a transactional.id there is none. */
function transactionsFindings(producer: Scenario['producers'][number], index: number): RunnableFinding[] {
  if (producer.transactions === null || producer.transactions === undefined || typeof producer.config['transactional.id'] === 'string') return [];
  return [{
    path: ['producers', index, 'transactions'],
    key: true,
    expected: 'transactions with a producer config transactional.id',
    found: 'no transactional.id',
    hint: 'a producer runs transactions only with a transactional.id (KIP-98); add one under config, or remove transactions',
  }];
}
