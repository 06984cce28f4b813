// What the parts of one broker process share: its identity, environment, ZooKeeper session and
// settings. It lives inside one process; nothing here crosses the network.
import type { Env, EventId } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import type { ZkClient } from '../zookeeper/api.js';
import type { BrokerSettings, TopicSettings } from './config.js';
import type { Behaviour } from './profile.js';

export interface BrokerContext {
  readonly id: number;
  readonly node: string;
  readonly env: Env<unknown>;
  readonly zk: ZkClient;
  readonly settings: BrokerSettings;
  readonly behaviour: Behaviour;
  topicSettings(topic: string): TopicSettings;
  trace(event: KafkaEvent, keep?: boolean): void;
  /** Sends a request and calls back with its response, or with null after `timeoutMs`. */
  request(to: string, build: (correlationId: number) => KafkaMessage, timeoutMs: number, onResponse: (response: KafkaMessage | null) => void): void;
}

/** Correlates requests with responses by correlation id; times out the ones never answered. */
export class InFlightRequests {
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, { readonly to: string; readonly onResponse: (response: KafkaMessage | null) => void; readonly timer: EventId }>();

  constructor(private readonly env: Env<unknown>) {}

  send(to: string, build: (correlationId: number) => KafkaMessage, timeoutMs: number, onResponse: (response: KafkaMessage | null) => void): void {
    const correlationId = this.nextCorrelationId++;
    const timer = this.env.setTimer(timeoutMs * 1000, () => {
      this.pending.delete(correlationId);
      onResponse(null);
    });
    this.pending.set(correlationId, { to, onResponse, timer });
    this.env.send(to, build(correlationId));
  }

  /** The connection reset under a request: its callback hears null at once, as on a timeout. */
  fail(request: KafkaMessage): void {
    if (!('correlationId' in request)) return;
    const entry = this.pending.get(request.correlationId);
    if (entry === undefined) return;
    this.pending.delete(request.correlationId);
    this.env.cancelTimer(entry.timer);
    entry.onResponse(null);
  }

  /** The connection to `node` closed: every request on it hears null now. */
  failAllTo(node: string): void {
    for (const [correlationId, entry] of [...this.pending]) {
      if (entry.to !== node) continue;
      this.pending.delete(correlationId);
      this.env.cancelTimer(entry.timer);
      entry.onResponse(null);
    }
  }

  /** Routes a response to its request's callback; false when nobody waits for it. */
  complete(response: KafkaMessage & { readonly correlationId: number }): boolean {
    const entry = this.pending.get(response.correlationId);
    if (entry === undefined) return false;
    this.pending.delete(response.correlationId);
    this.env.cancelTimer(entry.timer);
    entry.onResponse(response);
    return true;
  }
}
