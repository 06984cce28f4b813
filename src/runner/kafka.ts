// Wires a `cluster:` scenario into a world: ZooKeeper, brokers b1..bN, the admin tool that
// creates the topics, and the producers; the log checker, the coverage probes and the role
// tracker observe.
import type { World } from '../../sim/index.js';
import { admin } from '../admin/admin.js';
import { assignAddedPartitions, assignReplicas } from '../admin/assignment.js';
import { broker } from '../broker/broker.js';
import { numberSetting } from '../broker/config.js';
import { olderBrokerDefaults, profileNumber } from '../broker/profile.js';
import { CoverageProbes } from '../checker/coverage.js';
import { LogChecker } from '../checker/kafka-log.js';
import { StartFailures } from '../checker/start-failures.js';
import { watchKafkaInvariants } from '../checker/kafka-invariants.js';
import { producerProcess } from '../clients/producer-app.js';
import { consumerProcess } from '../clients/consumer-app.js';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, tpKey } from '../kafka/records.js';
import { transactionTopicConfigs } from '../coordinator/transaction-config.js';
import { BROKER_CONFIG, ZOOKEEPER_CONFIG } from '../scenario/kafka-config.js';
import type { ClusterSpec, KafkaConfig, Scenario } from '../scenario/types.js';
import { zookeeperServer, zookeeperServerConfig } from '../zookeeper/server.js';
import { KafkaRoles, brokerNode } from './kafka-roles.js';
import { kafkaNemesisKinds } from './kafka-nemesis.js';
import type { SystemUnderTest } from './system.js';

export const ZOOKEEPER_NODE = 'zk';
const ADMIN_NODE = 'admin';

/** A group's members run as processes `<group>-1` … `<group>-N`: fault targets by those names. */
export function consumerNodes(group: string, members: number): string[] {
  return Array.from({ length: members }, (_, i) => `${group}-${i + 1}`);
}

export function buildKafka(world: World<unknown>, scenario: Scenario, given: ClusterSpec): SystemUnderTest {
  // An older release line brings its older defaults back; what the scenario sets still wins.
  const older = olderBrokerDefaults(given.kafka);
  const cluster: ClusterSpec = { ...given, config: { ...older.broker, ...given.config }, zookeeper: { ...older.zookeeper, ...given.zookeeper } };
  const brokerIds = Array.from({ length: cluster.brokers }, (_, i) => i + 1);
  watchKafkaInvariants(world);
  const adminRandom = world.random.stream('admin');
  const topics = scenario.topics.map((t) => ({
    name: t.name,
    assignment: assignReplicas(t.partitions, t.replicationFactor, brokerIds, { startIndex: adminRandom.int(brokerIds.length), replicaShift: adminRandom.int(brokerIds.length) }),
  }));
  // Kafka creates __consumer_offsets at the first FindCoordinator; ksim has the admin create it
  // with the others, once every broker has registered, when the scenario has consumer groups (and
  // not at all when it has none). 0.10 gave it as many replicas as there were live brokers if
  // fewer than offsets.topic.replication.factor (KafkaApis.createGroupMetadataTopic, 0.10.2);
  // since 0.11 the loader refuses such a scenario (KIP-115).
  const offsetsReplicationFactor = numberSetting(cluster.config, BROKER_CONFIG, 'offsets.topic.replication.factor');
  const offsetsTopic = scenario.consumers.length === 0 ? null : {
    name: CONSUMER_OFFSETS,
    assignment: assignReplicas(
      numberSetting(cluster.config, BROKER_CONFIG, 'offsets.topic.num.partitions'),
      profileNumber(given.kafka) < 11 ? Math.min(offsetsReplicationFactor, brokerIds.length) : offsetsReplicationFactor,
      brokerIds,
      { startIndex: adminRandom.int(brokerIds.length), replicaShift: adminRandom.int(brokerIds.length) },
    ),
  };
  if (offsetsTopic !== null) topics.push(offsetsTopic);
  // Likewise __transaction_state (Kafka creates it at the first FindCoordinator for a transactional
  // id), only when a producer has a transactional.id, with the topic configs Kafka gives it.
  const transactional = scenario.producers.some((p) => p.config['transactional.id'] !== undefined);
  const transactionTopic = !transactional ? null : {
    name: TRANSACTION_STATE,
    assignment: assignReplicas(
      numberSetting(cluster.config, BROKER_CONFIG, 'transaction.state.log.num.partitions'),
      numberSetting(cluster.config, BROKER_CONFIG, 'transaction.state.log.replication.factor'),
      brokerIds,
      { startIndex: adminRandom.int(brokerIds.length), replicaShift: adminRandom.int(brokerIds.length) },
    ),
  };
  if (transactionTopic !== null) topics.push(transactionTopic);
  const initial = topics.map((t) => ({ name: t.name, assignment: t.assignment }));
  for (const topic of initial) world.record({ kind: 'topic.created', topic: topic.name, assignment: topic.assignment.map((r) => [...r]) });
  // Partitions an admin adds later: their replicas are fixed now, so the checker and the role
  // tracker know every partition the run will have.
  const addedPartitions = scenario.faults.flatMap((f) => {
    if (f.action.kind !== 'add-partitions') return [];
    const topic = topics.find((t) => t.name === (f.action as { topic: string }).topic)!;
    const added = assignAddedPartitions(topic.assignment, f.action.partitions, brokerIds);
    topic.assignment = [...topic.assignment, ...added];
    return [{ atUs: f.atUs, topic: topic.name, added, line: f.line }];
  });
  const assignment = new Map<string, readonly number[]>();
  for (const topic of topics) topic.assignment.forEach((replicas, p) => assignment.set(tpKey(topic.name, p), replicas));

  const dataTopics = topics.filter((t) => t !== offsetsTopic && t !== transactionTopic);
  const groups = scenario.consumers.map((c) => ({
    name: c.group, topic: c.topic, members: consumerNodes(c.group, c.members), readCommitted: c.config['isolation.level'] === 'read_committed',
  }));
  const transactionalProducers = scenario.producers.filter((p) => typeof p.config['transactional.id'] === 'string').map((p) => p.name);
  const checker = new LogChecker(world, {
    topics: dataTopics.map((t) => ({ name: t.name, partitions: t.assignment.length, replicas: t.assignment })),
    brokerNode,
    transactionalProducers,
    ...(offsetsTopic === null ? {} : { groups, offsetsTopic: { partitions: offsetsTopic.assignment.length, replicas: offsetsTopic.assignment } }),
  });
  const probes = new CoverageProbes(world);
  const startFailures = new StartFailures(world, brokerNode);
  const nodes = [ZOOKEEPER_NODE, ...brokerIds.map(brokerNode), ...scenario.producers.map((p) => p.name), ...groups.flatMap((g) => g.members)];
  const roles = new KafkaRoles(world, assignment, nodes, offsetsTopic?.assignment.length ?? 0, transactionTopic?.assignment.length ?? 0);

  const zookeeperConfig = zookeeperServerConfig(cluster.zookeeper);
  world.spawn(ZOOKEEPER_NODE, zookeeperServer(zookeeperConfig));
  const topicConfigs = new Map<string, KafkaConfig>(scenario.topics.map((t) => [t.name, t.config]));
  if (transactionTopic !== null) topicConfigs.set(TRANSACTION_STATE, transactionTopicConfigs(cluster.config));
  for (const id of brokerIds) {
    world.spawn(brokerNode(id), broker({ id, node: brokerNode(id), zookeeperNode: ZOOKEEPER_NODE, profile: cluster.kafka, config: cluster.config, zookeeper: cluster.zookeeper, topicConfigs, startup: cluster.startup }));
    // systemd's Restart=on-failure: a broker whose start failed (it exits with status 1) is started again.
    if (cluster.supervisor !== null) world.supervise(brokerNode(id), cluster.supervisor.restartAfterUs);
  }
  const preferredElections = scenario.faults.flatMap((f) => (f.action.kind === 'elect-preferred' ? [{ atUs: f.atUs, partition: f.action.partition, line: f.line }] : []));
  world.spawn(ADMIN_NODE, admin({ zookeeperNode: ZOOKEEPER_NODE, brokers: brokerIds.length, topics: initial, preferredElections, addedPartitions }));
  const bootstrap = brokerIds.map(brokerNode);
  for (const producer of scenario.producers) {
    world.spawn(producer.name, producerProcess(producer, { bootstrap, stopAtUs: scenario.durationUs, profile: cluster.kafka }));
  }
  for (const consumer of scenario.consumers) {
    consumerNodes(consumer.group, consumer.members).forEach((member, i) => {
      world.spawn(member, consumerProcess(consumer, member, { bootstrap, profile: cluster.kafka, memberIndex: i + 1 }));
    });
  }
  return {
    resolve: (target) => roles.resolve(target),
    nemesisTargets: [...brokerIds.map(brokerNode), ZOOKEEPER_NODE],
    nodeSets: {
      brokers: brokerIds.map(brokerNode),
      zookeeper: [ZOOKEEPER_NODE],
      producers: scenario.producers.map((p) => p.name),
      consumers: groups.flatMap((g) => g.members),
    },
    nemesisKinds: kafkaNemesisKinds({
      brokers: brokerIds.map(brokerNode),
      zookeeper: ZOOKEEPER_NODE,
      sessionTimeoutMs: numberSetting(cluster.zookeeper, ZOOKEEPER_CONFIG, 'zookeeper.session.timeout.ms'),
      tickTimeMs: zookeeperConfig.tickTimeMs,
    }),
    check: () => {
      const outcome = checker.finish();
      probes.reachedAtEnd('acked-above-high-watermark', checker.acknowledgedAboveHighWatermark());
      probes.reachedAtEnd('aborted-read', checker.abortedReads());
      return outcome;
    },
    retainedBytes: () => checker.retainedBytes(),
    coverage: () => probes.counts(),
    failedStarts: () => startFailures.list(),
  };
}
