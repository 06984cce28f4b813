// Kafka's ZooKeeper layout (ZK mode), with the JSON each znode holds.

export const BROKER_IDS = '/brokers/ids';
export const BROKER_TOPICS = '/brokers/topics';
export const CONTROLLER = '/controller';
export const CONTROLLER_EPOCH = '/controller_epoch';
export const ISR_CHANGE_NOTIFICATION = '/isr_change_notification';
export const ISR_CHANGE_PREFIX = `${ISR_CHANGE_NOTIFICATION}/isr_change_`;
export const PREFERRED_REPLICA_ELECTION = '/admin/preferred_replica_election';

/** Persistent paths every broker makes sure exist at startup (KafkaZkClient.createTopLevelPaths). */
export const PERSISTENT_PATHS = ['/brokers', BROKER_IDS, BROKER_TOPICS, ISR_CHANGE_NOTIFICATION, '/admin'] as const;

export const brokerPath = (id: number): string => `${BROKER_IDS}/${id}`;
export const topicPath = (topic: string): string => `${BROKER_TOPICS}/${topic}`;
export const partitionsPath = (topic: string): string => `${topicPath(topic)}/partitions`;
export const partitionPath = (topic: string, partition: number): string => `${partitionsPath(topic)}/${partition}`;
export const partitionStatePath = (topic: string, partition: number): string => `${partitionPath(topic, partition)}/state`;

/** /brokers/ids/<id> */
export interface BrokerRegistration {
  readonly node: string;
  readonly version: 5;
}

/** /controller */
export interface ControllerZnode {
  readonly version: 1;
  readonly brokerid: number;
}

/** /brokers/topics/<topic>: partition -> assigned replicas, preferred replica first. */
export interface TopicAssignment {
  readonly version: 2;
  readonly partitions: Readonly<Record<string, readonly number[]>>;
}

/** /brokers/topics/<topic>/partitions/<p>/state */
export interface PartitionStateZnode {
  readonly version: 1;
  readonly leader: number;
  readonly leader_epoch: number;
  readonly isr: readonly number[];
  readonly controller_epoch: number;
}

/** /isr_change_notification/isr_change_<seq> */
export interface IsrChangeNotification {
  readonly version: 1;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

/** /admin/preferred_replica_election: the partitions whose preferred replica should lead again. */
export interface PreferredReplicaElection {
  readonly version: 1;
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
}

/** Whether a partition state znode holds exactly what a write meant to put there. */
export function sameState(a: PartitionStateZnode, b: PartitionStateZnode): boolean {
  return a.leader === b.leader && a.leader_epoch === b.leader_epoch && a.controller_epoch === b.controller_epoch && a.isr.length === b.isr.length && a.isr.every((r, i) => r === b.isr[i]);
}
