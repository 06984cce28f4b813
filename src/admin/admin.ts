// The admin tool, as a simulated process: it creates the scenario's topics by writing their
// replica assignment to /brokers/topics/<topic> (ZooKeeper-mode topic creation) once every
// broker has registered; the controller takes it from there.
import type { ProcessFactory } from '../../sim/index.js';
import { BROKER_IDS, PERSISTENT_PATHS, topicPath, type TopicAssignment } from '../broker/zk-paths.js';
import { createZkClient } from '../zookeeper/client.js';

export interface AdminSpec {
  readonly zookeeperNode: string;
  readonly brokers: number;
  readonly topics: readonly { readonly name: string; readonly assignment: readonly (readonly number[])[] }[];
}

export function admin(spec: AdminSpec): ProcessFactory<unknown> {
  return (env) => {
    let created = false;
    const zk = createZkClient(env, {
      server: spec.zookeeperNode,
      sessionTimeoutMs: 30_000,
      listener: { onConnected: () => ensurePaths() },
    });
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
    return { onMessage: (from, message) => void zk.handle(from, message) };
  };
}
