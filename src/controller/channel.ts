// The controller's channel to each broker (ControllerChannelManager): one queue per broker,
// requests sent in order, the head re-sent until the broker answers, for as long as the broker
// is live. A LeaderAndIsr lost to a network fault is therefore retried, not forgotten. A broker
// whose channel was removed (dead, or bounced until re-added) gets nothing: Kafka's
// ControllerChannelManager.sendRequest drops requests for a broker it has no channel to.
//
// Beside it, as in Kafka's ControllerChannelManager.scala, the requests themselves
// (ControllerBrokerRequestBatch): LeaderAndIsr, UpdateMetadata and StopReplica built from the
// controller's context and queued on each broker's channel.
import type { BrokerContext } from '../broker/context.js';
import type { BrokerEndpoint, KafkaMessage, PartitionState } from '../kafka/protocol.js';
import type { ControllerContext, PartitionInfo } from './controller-context.js';

const RETRY_BACKOFF_MS = 300;
const REQUEST_TIMEOUT_MS = 30_000; // controller.socket.timeout.ms

type Build = (correlationId: number) => KafkaMessage;

interface BrokerQueue {
  readonly node: string;
  readonly pending: Build[];
  sending: boolean;
}

export class ControllerChannels {
  private readonly queues = new Map<number, BrokerQueue>();
  private readonly removed = new Set<number>(); // brokers without a channel until added again
  private closed = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly isLive: (broker: number) => boolean,
  ) {}

  send(broker: number, node: string, build: Build): void {
    if (this.closed || this.removed.has(broker)) return;
    let queue = this.queues.get(broker);
    if (queue === undefined || queue.node !== node) {
      queue = { node, pending: [], sending: false };
      this.queues.set(broker, queue);
    }
    queue.pending.push(build);
    this.pump(broker, queue);
  }

  /** A broker (re)joined the cluster: requests for it are sent again, on a fresh queue. */
  add(broker: number): void {
    this.removed.delete(broker);
  }

  /** A broker left the cluster (or bounced): what was queued for it goes, and nothing more is sent until it is added. */
  remove(broker: number): void {
    this.queues.delete(broker);
    this.removed.add(broker);
  }

  /** The controller resigned: nothing more is sent. */
  close(): void {
    this.closed = true;
    this.queues.clear();
  }

  private pump(broker: number, queue: BrokerQueue): void {
    const build = queue.pending[0];
    // A retry timer may outlive its queue: the broker left, and perhaps came back with a new one.
    if (queue.sending || build === undefined || this.closed || this.queues.get(broker) !== queue) return;
    queue.sending = true;
    this.ctx.request(queue.node, build, REQUEST_TIMEOUT_MS, (response) => {
      queue.sending = false;
      if (this.closed || this.queues.get(broker) !== queue) return;
      if (response === null) {
        // No answer: try again while the broker is live (RequestSendThread's retry loop).
        if (!this.isLive(broker)) return this.remove(broker);
        this.ctx.env.setTimer(RETRY_BACKOFF_MS * 1000, () => this.pump(broker, queue));
        return;
      }
      queue.pending.shift();
      this.pump(broker, queue);
    });
  }
}

/**
 * The controller's requests to brokers (ControllerBrokerRequestBatch's add...RequestForBrokers and
 * sendRequestsToBrokers in one call): each is built from the controller's context when queued.
 */
export class ControllerBrokerRequestBatch {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly controllerContext: ControllerContext,
    private readonly channels: ControllerChannels,
  ) {}

  private state(p: PartitionInfo): PartitionState {
    return { topic: p.topic, partition: p.partition, controllerEpoch: this.controllerContext.epoch, leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, zkVersion: p.zkVersion, replicas: p.replicas };
  }

  /**
   * KIP-380: requests name the registration they are meant for, fixed when queued (not at each
   * re-send), so a restarted broker refuses the ones queued for its predecessor.
   */
  private brokerEpochOf(broker: number): number {
    return this.ctx.behaviour.brokerEpochs ? (this.controllerContext.brokerEpochs.get(broker) ?? -1) : -1;
  }

  private endpoints(): BrokerEndpoint[] {
    return [...this.controllerContext.live.entries()].map(([id, node]) => ({ id, node }));
  }

  /** Each live broker hosting one of `partitions` learns its role for them. */
  sendLeaderAndIsr(brokers: readonly number[], partitions: readonly PartitionInfo[]): void {
    for (const broker of brokers) {
      const node = this.controllerContext.live.get(broker);
      const states = partitions.filter((p) => p.replicas.includes(broker)).map((p) => this.state(p));
      if (node === undefined || states.length === 0) continue;
      const liveLeaders = this.endpoints();
      const brokerEpoch = this.brokerEpochOf(broker);
      this.channels.send(broker, node, (correlationId) => ({
        type: 'LeaderAndIsr', correlationId, controllerId: this.ctx.id, controllerEpoch: this.controllerContext.epoch, brokerEpoch, partitionStates: states, liveLeaders,
      }));
    }
  }

  sendStopReplica(broker: number, partitions: readonly PartitionInfo[]): void {
    const node = this.controllerContext.live.get(broker);
    if (node === undefined || partitions.length === 0) return;
    const stopped = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const brokerEpoch = this.brokerEpochOf(broker);
    this.channels.send(broker, node, (correlationId) => ({
      type: 'StopReplica', correlationId, controllerId: this.ctx.id, controllerEpoch: this.controllerContext.epoch, brokerEpoch, partitions: stopped,
    }));
  }

  sendUpdateMetadata(brokers: readonly number[], partitions: readonly PartitionInfo[]): void {
    const states = partitions.map((p) => this.state(p));
    for (const broker of brokers) {
      const node = this.controllerContext.live.get(broker);
      if (node === undefined) continue;
      const liveBrokers = this.endpoints();
      const brokerEpoch = this.brokerEpochOf(broker);
      this.channels.send(broker, node, (correlationId) => ({
        type: 'UpdateMetadata', correlationId, controllerId: this.ctx.id, controllerEpoch: this.controllerContext.epoch, brokerEpoch, partitionStates: states, liveBrokers,
      }));
    }
  }
}
