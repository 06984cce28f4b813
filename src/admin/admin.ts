// The admin tool, as a simulated process: it creates the scenario's topics by writing their
// replica assignment to /brokers/topics/<topic> (ZooKeeper-mode topic creation) once every
// broker has registered; the controller takes it from there. At the scenario's times it asks for
// preferred-leader elections by writing /admin/preferred_replica_election, as the ZooKeeper-mode
// tool did; the controller deletes the znode when done.
import type { ProcessFactory } from '../../sim/index.js';
import { BROKER_IDS, PERSISTENT_PATHS, PREFERRED_REPLICA_ELECTION, topicPath, type PreferredReplicaElection, type TopicAssignment } from '../broker/zk-paths.js';
import { createZkClient } from '../zookeeper/client.js';
import { retryingZk } from '../broker/zk-retry.js';

export interface AdminSpec {
  readonly zookeeperNode: string;
  readonly brokers: number;
  readonly topics: readonly { readonly name: string; readonly assignment: readonly (readonly number[])[] }[];
  /** When to ask for preferred-leader elections (kafka-leader-election.sh): `topic/partition` or `all`. */
  readonly preferredElections: readonly { readonly atUs: number; readonly partition: string; readonly line: number }[];
  /** When to add partitions (kafka-topics.sh --alter --partitions): the new partitions' replicas, decided up front. */
  readonly addedPartitions?: readonly { readonly atUs: number; readonly topic: string; readonly added: readonly (readonly number[])[]; readonly line: number }[];
}

export function admin(spec: AdminSpec): ProcessFactory<unknown> {
  return (env) => {
    let created = false;
    const zk = retryingZk(createZkClient(env, {
      server: spec.zookeeperNode,
      sessionTimeoutMs: 30_000,
      listener: { onConnected: () => ensurePaths() },
    }));
    const ensurePaths = (): void => {
      let pending = PERSISTENT_PATHS.length;
      for (const path of PERSISTENT_PATHS) zk.create(path, null, 'PERSISTENT', () => {
        if (--pending === 0) waitForBrokers();
      });
    };
    const waitForBrokers = (): void => {
      zk.getChildren(BROKER_IDS, () => waitForBrokers(), (children) => {
        if (!created && children.ok && children.value.length >= spec.brokers) createTopics();
      });
    };
    const createTopics = (): void => {
      created = true;
      for (const topic of spec.topics) {
        const partitions: Record<string, number[]> = {};
        topic.assignment.forEach((replicas, p) => (partitions[String(p)] = [...replicas]));
        const data: TopicAssignment = { version: 2, partitions };
        zk.create(topicPath(topic.name), data, 'PERSISTENT', () => {});
      }
    };
    const electPreferred = (request: AdminSpec['preferredElections'][number]): void => {
      const partitions = request.partition === 'all'
        ? spec.topics.flatMap((t) => t.assignment.map((_, p) => ({ topic: t.name, partition: p })))
        : [{ topic: request.partition.slice(0, request.partition.lastIndexOf('/')), partition: Number(request.partition.slice(request.partition.lastIndexOf('/') + 1)) }];
      const znode: PreferredReplicaElection = { version: 1, partitions };
      env.trace({ kind: 'admin.elect-preferred', partitions: partitions.map((p) => `${p.topic}/${p.partition}`), line: request.line });
      zk.create(PREFERRED_REPLICA_ELECTION, znode, 'PERSISTENT', (result) => {
        // One election at a time: while the previous request's znode is there, retry.
        if (!result.ok && result.code === 'NODEEXISTS') env.setTimer(1_000_000, () => electPreferred(request));
      });
    };
    // The topic znode gets the whole new assignment; the controller's watch on it creates the new partitions.
    const addPartitions = (request: NonNullable<AdminSpec['addedPartitions']>[number]): void => {
      zk.getData(topicPath(request.topic), null, (data) => {
        if (!data.ok) return void env.setTimer(1_000_000, () => addPartitions(request));
        const current = data.value.data as TopicAssignment;
        const existing = Object.keys(current.partitions).length;
        const partitions: Record<string, readonly number[]> = { ...current.partitions };
        request.added.forEach((replicas, i) => (partitions[String(existing + i)] = [...replicas]));
        env.trace({ kind: 'admin.add-partitions', topic: request.topic, from: existing, to: existing + request.added.length, line: request.line });
        zk.setData(topicPath(request.topic), { ...current, partitions }, data.value.stat.version, (result) => {
          if (!result.ok) env.setTimer(1_000_000, () => addPartitions(request));
        });
      });
    };
    for (const request of spec.preferredElections) env.setTimer(Math.max(0, request.atUs - env.now()), () => electPreferred(request));
    for (const request of spec.addedPartitions ?? []) env.setTimer(Math.max(0, request.atUs - env.now()), () => addPartitions(request));
    return {
      onMessage: (from, message) => void zk.handle(from, message),
      onConnectionClosed: (peer, connection) => void zk.connectionLost(peer, connection),
      onUnreachable: (peer, _message, connection) => void zk.connectionLost(peer, connection),
    };
  };
}
