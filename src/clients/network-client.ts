// The consumer's NetworkClient: requests to brokers over the kernel's TCP connections, which
// answer in order, one timer per connection on its oldest request (request.timeout.ms), and a
// disconnect that closes the connection, fails every request on it, and backs off before
// reconnecting (reconnect.backoff.ms, doubling to reconnect.backoff.max.ms, ±20%). A
// connection also ends when the broker closes it (its process died: a FIN) or resets it (it
// restarted, or its machine rebooted). Like Kafka's consumer, it keeps the connection to the
// group coordinator (labelled `coordinator`) apart from the one it fetches on (`default`):
// AbstractCoordinator connects to node id Integer.MAX_VALUE - coordinator id, so a JoinGroup
// parked in the coordinator does not hold up fetches from the same broker, and each of the two
// ends on its own.
import type { Env, EventId } from '../../sim/index.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { NEVER_US } from './producer-config.js';

export type Channel = 'default' | 'coordinator';
export type Disconnected = 'NETWORK_EXCEPTION' | 'REQUEST_TIMED_OUT';
/** A response, or why none will come. */
export type Answer<T> = { readonly ok: true; readonly response: T } | { readonly ok: false; readonly error: Disconnected };

interface Pending {
  readonly correlationId: number;
  readonly sentUs: number;
  readonly deadlineUs: number;
  readonly onAnswer: (answer: Answer<KafkaMessage>) => void;
}

interface Connection {
  readonly channel: Channel; // the kernel's label for it
  readonly node: string;
  readonly pending: Pending[];
  blockedUntilUs: number;
  failures: number;
  timer: EventId;
  /** Its request timer's callback, made once: the timer is re-armed on every answer. */
  readonly onTimer: () => void;
}

export interface NetworkClientSettings {
  readonly requestTimeoutUs: number;
  readonly reconnectBackoffUs: number;
  readonly reconnectBackoffMaxUs: number;
}

export class NetworkClient {
  /** The connections by channel, then node: a lookup on the hot path builds no key string. */
  private readonly byChannel: Readonly<Record<Channel, Map<string, Connection>>> = { default: new Map(), coordinator: new Map() };
  private readonly byCorrelationId = new Map<number, Connection>();
  private correlationId: number;

  constructor(
    private readonly env: Env<unknown>,
    private readonly settings: NetworkClientSettings,
    /** Called after a disconnect, so the owner can look for fresh metadata or a new coordinator. */
    private readonly onDisconnect: (node: string, channel: Channel) => void,
  ) {
    // A restarted client has new connections: no answer meant for its previous incarnation may
    // match one of its requests, so correlation ids start from the clock.
    this.correlationId = env.now() * 1000;
  }

  /** timeoutUs: this request's own timeout (a JoinGroup waits out a rebalance), default request.timeout.ms. */
  send<T extends KafkaMessage>(node: string, channel: Channel, build: (correlationId: number) => KafkaMessage, onAnswer: (answer: Answer<T>) => void, timeoutUs = this.settings.requestTimeoutUs): void {
    const connection = this.connection(node, channel);
    const correlationId = ++this.correlationId;
    const now = this.env.now();
    connection.pending.push({ correlationId, sentUs: now, deadlineUs: now + timeoutUs, onAnswer: onAnswer as (answer: Answer<KafkaMessage>) => void });
    this.byCorrelationId.set(correlationId, connection);
    if (connection.timer < 0) this.rearm(connection);
    // ConsumerNetworkClient keeps a request unsent until NetworkClient.ready(node): a connection
    // backing off (reconnect.backoff.ms) is not opened again before its time, whatever the channel.
    const waitUs = connection.blockedUntilUs - now;
    if (waitUs <= 0) this.env.send(node, build(correlationId), channel);
    else this.env.setTimer(waitUs, () => {
      if (this.byCorrelationId.get(correlationId) === connection) this.env.send(node, build(correlationId), channel);
    });
  }

  /** Routes a response to its request; false when it answers nothing of ours (stale, or not a response). */
  receive(from: string, message: KafkaMessage): boolean {
    // A plain property read, not `'correlationId' in message`: this runs for every message the client gets.
    const correlationId = (message as { readonly correlationId?: unknown }).correlationId;
    if (typeof correlationId !== 'number') return false;
    const connection = this.byCorrelationId.get(correlationId);
    if (connection === undefined || connection.node !== from) return false;
    // One TCP stream, one request at a time on the broker: an answer that overtakes an older
    // request means that one's answer was lost; NetworkClient closes the connection then.
    if (connection.pending[0]?.correlationId !== correlationId) {
      this.disconnect(connection, 'NETWORK_EXCEPTION');
      return true;
    }
    const request = connection.pending.shift()!;
    this.byCorrelationId.delete(request.correlationId);
    connection.failures = 0;
    this.rearm(connection);
    request.onAnswer({ ok: true, response: message });
    return true;
  }

  /**
   * The broker closed our connection `label` (its process died: its OS sent the FIN), or reset
   * it (a request met a closed end: the broker restarted, or its machine rebooted). Requests on
   * it fail at once; with none, the next request simply opens a new connection.
   */
  connectionLost(peer: string, label: string): void {
    if (label !== 'default' && label !== 'coordinator') return;
    const connection = this.byChannel[label].get(peer);
    if (connection !== undefined && connection.pending.length > 0) this.disconnect(connection, 'NETWORK_EXCEPTION');
  }

  /** Requests waiting on this node's connection. */
  inFlight(node: string, channel: Channel): number {
    return this.byChannel[channel].get(node)?.pending.length ?? 0;
  }

  /** When this node may be connected to again (0: now). */
  readyAtUs(node: string, channel: Channel): number {
    return this.byChannel[channel].get(node)?.blockedUntilUs ?? 0;
  }

  /** NetworkClient.leastLoadedNode: the node with the fewest requests in flight, not backing off; null if none. */
  leastLoadedNode(nodes: readonly string[]): string | null {
    const now = this.env.now();
    let best: string | null = null;
    let bestLoad = Number.MAX_SAFE_INTEGER;
    const start = nodes.length === 0 ? 0 : this.env.random.int(nodes.length);
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[(start + i) % nodes.length]!;
      if (now < this.readyAtUs(node, 'default')) continue;
      const load = this.inFlight(node, 'default');
      if (load < bestLoad) {
        best = node;
        bestLoad = load;
      }
    }
    return best;
  }

  /** The earliest time a node of these comes out of its reconnect backoff. */
  earliestReadyUs(nodes: readonly string[]): number {
    let earliest = NEVER_US;
    for (const node of nodes) earliest = Math.min(earliest, this.readyAtUs(node, 'default'));
    return earliest;
  }

  private onTimer(connection: Connection): void {
    connection.timer = -1;
    const oldest = connection.pending[0];
    if (oldest === undefined) return;
    if (this.env.now() < oldest.deadlineUs) this.rearm(connection);
    else this.disconnect(connection, 'REQUEST_TIMED_OUT');
  }

  private rearm(connection: Connection): void {
    if (connection.timer >= 0) this.env.cancelTimer(connection.timer);
    connection.timer = -1;
    const oldest = connection.pending[0];
    if (oldest === undefined) return;
    const delay = Math.max(0, oldest.deadlineUs - this.env.now());
    connection.timer = this.env.setTimer(delay, connection.onTimer);
  }

  /** NetworkClient.close / processDisconnection: the connection is closed (what it sent is still delivered). */
  private disconnect(connection: Connection, error: Disconnected): void {
    this.env.disconnect(connection.node, connection.channel);
    const dropped = connection.pending.splice(0);
    if (connection.timer >= 0) this.env.cancelTimer(connection.timer);
    connection.timer = -1;
    connection.failures += 1;
    connection.blockedUntilUs = this.env.now() + this.backoffUs(connection.failures);
    for (const request of dropped) this.byCorrelationId.delete(request.correlationId);
    for (const request of dropped) request.onAnswer({ ok: false, error });
    this.onDisconnect(connection.node, connection.channel);
  }

  private backoffUs(failures: number): number {
    const base = this.settings.reconnectBackoffUs;
    const max = Math.max(base, this.settings.reconnectBackoffMaxUs);
    const term = failures > 52 || base * 2 ** (failures - 1) >= max ? max : base * 2 ** (failures - 1);
    return Math.floor((term * (800_000 + this.env.random.int(400_000))) / 1_000_000);
  }

  private connection(node: string, channel: Channel): Connection {
    let connection = this.byChannel[channel].get(node);
    if (connection === undefined) {
      const created: Connection = { channel, node, pending: [], blockedUntilUs: 0, failures: 0, timer: -1, onTimer: () => this.onTimer(created) };
      this.byChannel[channel].set(node, created);
      connection = created;
    }
    return connection;
  }
}
