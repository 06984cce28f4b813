// The controller's channel to each broker (ControllerChannelManager): one queue per broker,
// requests sent in order, the head re-sent until the broker answers, for as long as the broker
// is live. A LeaderAndIsr lost to a network fault is therefore retried, not forgotten.
import type { BrokerContext } from '../broker/context.js';
import type { KafkaMessage } from '../kafka/protocol.js';

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
  private closed = false;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly isLive: (broker: number) => boolean,
  ) {}

  send(broker: number, node: string, build: Build): void {
    if (this.closed) return;
    let queue = this.queues.get(broker);
    if (queue === undefined || queue.node !== node) {
      queue = { node, pending: [], sending: false };
      this.queues.set(broker, queue);
    }
    queue.pending.push(build);
    this.pump(broker, queue);
  }

  /** A broker left the cluster: what was queued for it goes. */
  remove(broker: number): void {
    this.queues.delete(broker);
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
