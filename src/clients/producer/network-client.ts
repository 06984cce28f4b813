// The producer's NetworkClient: Kafka's NetworkClient with its InFlightRequests and
// ClusterConnectionStates (clients/src/main/java/org/apache/kafka/clients/NetworkClient.java,
// read at 2.8.2), as the Sender uses it. One TCP connection of the kernel per broker, labelled
// `producer`; requests in flight on it, oldest first, answered in order; one timer per
// connection on its oldest request (request.timeout.ms, NetworkClient.handleTimedOutRequests);
// a disconnect closes the connection, fails every request on it, oldest first, and backs off
// before reconnecting (reconnect.backoff.ms, doubling to reconnect.backoff.max.ms, ±20%).
//
// The connection is ordered, and retransmitted across short cuts. A broker is lost to the
// producer in one of three ways: its process dies and its OS closes the connection, a request
// reaches a closed end and is reset (a restarted broker, a rebooted machine), or nothing answers
// at all (a cut or a hold outlasting request.timeout.ms, a powered-off machine): the oldest
// request times out and the producer closes the connection. Either way every request on it
// fails and is retried, and fresh metadata is asked for. A closed connection's requests may still
// reach the broker (TCP delivers what was sent before the close) and be appended, while their
// retries go out on a new connection.
//
// Not the consumer's ../network-client.ts: the producer's keeps per broker what its Sender and
// RecordAccumulator need on the hot path (the partitions the broker leads, the drain position,
// the ready pass), arms its request timer lazily, and hands a failed request to its owner by
// kind rather than through a closure per request.
import type { Env, EventId } from '../../../sim/index.js';
import type { KafkaMessage } from '../../kafka/protocol.js';
import { NEVER_US as NEVER, type ProducerSettings } from '../producer-config.js';
import type { Batch } from './producer-batch.js';
import type { PartitionState } from './producer-metadata.js';
import type { TxnRequest } from './transactional.js';

/** "Never" as a time; a module constant (an imported binding can cost a getter call per use under tsx). */
const NEVER_US = NEVER;

/** The producer's connection to each broker, as the kernel labels it. */
export const CONNECTION = 'producer';

/** One broker as the producer sees it: its connection, and the Sender's and accumulator's state for it. */
export interface Connection {
  readonly node: string;
  blockedUntilUs: number; // reconnect.backoff.ms after a disconnect
  failures: number; // consecutive disconnects, for the reconnect backoff
  /** RecordAccumulator.drainIndex: the partition the next drain for this broker starts at. */
  drainIndex: number;
  partitions: PartitionState[]; // the partitions this broker leads
  /** The Sender's pass in which one of its partitions was ready (RecordAccumulator.ready's readyNodes). */
  readyPass: number;
  /** Requests in flight, oldest first; one timer watches the oldest (NetworkClient.handleTimedOutRequests). */
  readonly pending: Request[];
  timer: EventId;
  readonly onTimer: () => void;
}

export type ProduceRequest = { readonly kind: 'produce'; readonly correlationId: number; readonly node: string; readonly sentUs: number; readonly batches: readonly Batch[] };
export type Request =
  | ProduceRequest
  | { readonly kind: 'metadata'; readonly correlationId: number; readonly node: string; readonly sentUs: number }
  | { readonly kind: 'init'; readonly correlationId: number; readonly node: string; readonly sentUs: number }
  | { readonly kind: 'txn'; readonly correlationId: number; readonly node: string; readonly sentUs: number; readonly request: TxnRequest };

/** Why a request in flight failed without an answer. */
export type Disconnected = 'REQUEST_TIMED_OUT' | 'NETWORK_EXCEPTION';

/** Who hears of a disconnect (in Kafka, each request's callback, with a disconnected response). */
export interface DisconnectListener {
  /** A request in flight on the closed connection fails, oldest first. */
  onRequestFailed(request: Request, error: Disconnected, now: number): void;
  /** Then: the connection is closed, and may reconnect at connection.blockedUntilUs. */
  onDisconnected(connection: Connection): void;
}

export class ProducerNetworkClient {
  private readonly connections = new Map<string, Connection>();
  /** Every broker the producer has had a connection to, in the order it first did. */
  readonly connectionList: Connection[] = [];
  private readonly requests = new Map<number, Request>();
  private correlationId: number;
  private readonly inFlightOf = { produce: 0, metadata: 0, init: 0, txn: 0 };

  constructor(
    private readonly env: Env<unknown>,
    private readonly settings: ProducerSettings,
    private readonly listener: DisconnectListener,
  ) {
    // A restarted producer has new connections: no response to its previous incarnation may
    // match one of its requests, so correlation ids start from the clock (≤ 1000 requests per µs).
    this.correlationId = env.now() * 1000;
  }

  nextCorrelationId(): number {
    return ++this.correlationId;
  }

  /** Sends on the broker's connection; a request expecting an answer is then tracked. */
  send(node: string, message: KafkaMessage): void {
    this.env.send(node, message, CONNECTION);
  }

  /** Sends a request of the transactional producer to `node` and tracks it. */
  sendTxnRequest(node: string, request: TxnRequest, build: (correlationId: number) => KafkaMessage): void {
    const correlationId = this.nextCorrelationId();
    this.env.send(node, build(correlationId), CONNECTION);
    this.track(this.connection(node), { kind: 'txn', correlationId, node, sentUs: this.env.now(), request });
  }

  /** Sends a Metadata or InitProducerId request to `node` and tracks it. */
  sendRequest(node: string, kind: 'metadata' | 'init', build: (correlationId: number) => KafkaMessage): void {
    const correlationId = this.nextCorrelationId();
    this.env.send(node, build(correlationId), CONNECTION);
    this.track(this.connection(node), { kind, correlationId, node, sentUs: this.env.now() });
  }

  track(connection: Connection, request: Request): void {
    this.requests.set(request.correlationId, request);
    connection.pending.push(request);
    this.inFlightOf[request.kind] += 1;
    if (connection.timer < 0) connection.timer = this.env.setTimer(this.settings.requestTimeoutUs, connection.onTimer);
  }

  /** Requests of this kind in flight, on every connection. */
  inFlight(kind: Request['kind']): number {
    return this.inFlightOf[kind];
  }

  /**
   * The request of ours that a response from `from` answers, now done; null for a late answer
   * (after a disconnect), or one that overtook an older request (then the connection is closed).
   */
  answer<K extends Request['kind']>(from: string, correlationId: number, kind: K): Extract<Request, { kind: K }> | null {
    const request = this.requests.get(correlationId);
    if (request === undefined || request.kind !== kind || request.node !== from) return null;
    if (this.answeredOutOfOrder(request)) return null;
    // A response came back: the connection works (its reconnect backoff starts over).
    this.connection(request.node).failures = 0;
    this.finish(request);
    return request as Extract<Request, { kind: K }>;
  }

  /** The host heard that our connection `label` to `peer` closed or was reset: its requests fail now. */
  connectionLost(peer: string, label: string): void {
    if (label === CONNECTION && this.connections.has(peer)) this.disconnect(peer, 'NETWORK_EXCEPTION');
  }

  connection(node: string): Connection {
    let connection = this.connections.get(node);
    if (connection === undefined) {
      const onTimer = (): void => this.onConnectionTimer(created);
      const created: Connection = {
        node,
        blockedUntilUs: 0,
        failures: 0,
        drainIndex: 0,
        partitions: [],
        readyPass: 0,
        pending: [],
        timer: -1,
        onTimer,
      };
      connection = created;
      this.connections.set(node, connection);
      this.connectionList.push(connection);
    }
    return connection;
  }

  /** NetworkClient.leastLoadedNode: the broker of `nodes` with the fewest requests in flight, not in reconnect backoff. */
  leastLoadedNode(nodes: readonly string[], now: number): string | null {
    let best: string | null = null;
    let bestLoad = Number.MAX_SAFE_INTEGER;
    const offset = this.env.random.int(nodes.length); // Kafka starts at a random node too
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[(offset + i) % nodes.length]!;
      const connection = this.connection(node);
      if (now < connection.blockedUntilUs) continue;
      if (connection.pending.length < bestLoad) {
        best = node;
        bestLoad = connection.pending.length;
      }
    }
    return best;
  }

  /** When the first connection in reconnect backoff may connect again (never if none is). */
  earliestReconnectUs(): number {
    let earliest = NEVER_US;
    for (const connection of this.connectionList) if (connection.blockedUntilUs > this.env.now()) earliest = Math.min(earliest, connection.blockedUntilUs);
    return earliest;
  }

  /**
   * A connection answers in request order (one TCP stream, one request at a time on the
   * broker). A response that overtakes an older request means that one's answer was lost: like
   * NetworkClient on a correlation-id mismatch, close the connection, failing all its requests.
   */
  private answeredOutOfOrder(request: Request): boolean {
    const oldest = this.connection(request.node).pending[0];
    if (oldest === undefined || oldest === request) return false;
    this.disconnect(request.node, 'NETWORK_EXCEPTION');
    return true;
  }

  private finish(request: Request): void {
    this.requests.delete(request.correlationId);
    const connection = this.connection(request.node);
    const pending = connection.pending;
    if (pending[0] === request) pending.shift();
    else pending.splice(pending.indexOf(request), 1);
    this.inFlightOf[request.kind] -= 1;
  }

  /** NetworkClient: the oldest request timed out, so the connection is closed and all its requests fail. */
  private onConnectionTimer(connection: Connection): void {
    connection.timer = -1;
    const oldest = connection.pending[0];
    if (oldest === undefined) return;
    const deadline = oldest.sentUs + this.settings.requestTimeoutUs;
    const now = this.env.now();
    if (now < deadline) connection.timer = this.env.setTimer(deadline - now, connection.onTimer);
    else this.disconnect(connection.node, 'REQUEST_TIMED_OUT');
  }

  /**
   * NetworkClient.close / processDisconnection: the connection is closed (what it already sent
   * is still delivered), every request in flight on it fails; reconnect after a backoff.
   */
  private disconnect(node: string, error: Disconnected): void {
    const now = this.env.now();
    const connection = this.connection(node);
    this.env.disconnect(node, CONNECTION);
    connection.failures += 1;
    connection.blockedUntilUs = now + this.reconnectBackoffUs(connection.failures);
    // Oldest first, as NetworkClient.cancelInFlightRequests completes them; each retried batch
    // goes to the front of its queue, so the newest ends up first (Kafka reorders them too).
    const dropped = [...connection.pending];
    for (const request of dropped) {
      this.finish(request);
      this.listener.onRequestFailed(request, error, now);
    }
    this.listener.onDisconnected(connection);
  }

  /** reconnect.backoff.ms, doubling per consecutive failure up to reconnect.backoff.max.ms, ±20% (KIP-144). */
  private reconnectBackoffUs(failures: number): number {
    const base = this.settings.reconnectBackoffUs;
    const max = Math.max(base, this.settings.reconnectBackoffMaxUs);
    const term = failures > 52 || base * 2 ** (failures - 1) >= max ? max : base * 2 ** (failures - 1);
    return Math.floor((term * (800_000 + this.env.random.int(400_000))) / 1_000_000);
  }
}
