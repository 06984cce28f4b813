// What the controller knows of the cluster (Kafka's ControllerContext): its own epoch and the
// version of /controller_epoch it wrote, the live brokers with their broker epochs, those shutting
// down, and each partition's replicas, leader and ISR as it last read or wrote them. One object,
// shared by the controller's parts (controller.ts, partition-state-machine.ts, the request batch in
// channel.ts, alter-partition.ts through the controller); it lives inside one controller and
// nothing here crosses the network.

export interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  leader: number;
  leaderEpoch: number;
  isr: readonly number[];
  zkVersion: number;
  controllerEpoch: number;
}

export class ControllerContext {
  epoch = 0;
  epochZkVersion = -1;
  readonly live = new Map<number, string>(); // broker id -> node
  readonly brokerEpochs = new Map<number, number>(); // broker id -> czxid of its registration
  readonly shuttingDown = new Set<number>(); // live, but stopping cleanly: never elected
  readonly partitions = new Map<string, PartitionInfo>();

  /** Brokers that may lead: live and not shutting down (ControllerContext.liveBrokerIds). */
  electable(): Set<number> {
    return new Set([...this.live.keys()].filter((id) => !this.shuttingDown.has(id)));
  }
}
