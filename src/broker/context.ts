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

/**
 * The connection a broker's own request goes on: the controller's channel to each broker
 * (ControllerChannelManager), the replica fetcher's to each leader (ReplicaFetcherBlockingSend),
 * and the NetworkClient KafkaServer.controlledShutdown opens to the controller; the transaction
 * coordinator's markers on TransactionMarkerChannelManager's own NetworkClient; any other
 * broker-to-controller request (AlterIsr / AlterPartition) on BrokerToControllerChannelManager's (KIP-497).
 */
export function connectionOf(request: KafkaMessage): string {
  switch (request.type) {
    case 'LeaderAndIsr':
    case 'UpdateMetadata':
    case 'StopReplica':
      return 'controller';
    case 'Fetch':
    case 'OffsetsForLeaderEpoch':
    case 'ListOffsets': // a follower out of its leader's range asks the leader's log end
      return 'replication';
    case 'ControlledShutdown':
      return 'controlled-shutdown';
    case 'WriteTxnMarkers':
      return 'txn-marker';
    default:
      return 'broker-to-controller';
  }
}

const CONNECTIONS: ReadonlySet<string> = new Set(['controller', 'replication', 'controlled-shutdown', 'broker-to-controller', 'txn-marker']);

interface Pending {
  readonly to: string;
  readonly connection: string;
  readonly onResponse: (response: KafkaMessage | null) => void;
  readonly timer: EventId;
}

/**
 * Correlates the broker's own requests with their responses. A request not answered within its
 * timeout closes its connection, and every request on it fails (NetworkClient.close, as the
 * controller's RequestSendThread and the replica fetcher do on a failed send): a late answer
 * can never be taken for the answer to a newer request.
 */
export class InFlightRequests {
  private nextCorrelationId: number;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly env: Env<unknown>) {
    // A restarted broker's requests must not share a correlation id with its predecessor's, which
    // a peer may still be answering on a connection it has not yet seen closed (its Channels
    // route a response by peer and correlation id).
    this.nextCorrelationId = env.now() * 1000 + 1;
  }

  send(to: string, build: (correlationId: number) => KafkaMessage, timeoutMs: number, onResponse: (response: KafkaMessage | null) => void): void {
    const correlationId = this.nextCorrelationId++;
    const request = build(correlationId);
    const connection = connectionOf(request);
    const timer = this.env.setTimer(timeoutMs * 1000, () => this.timedOut(correlationId));
    this.pending.set(correlationId, { to, connection, onResponse, timer });
    this.env.send(to, request, connection);
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

  /** One of our connections closed or was reset: every request on it hears null now. False when `connection` is not ours. */
  connectionLost(peer: string, connection: string): boolean {
    if (!CONNECTIONS.has(connection)) return false;
    this.failConnection(peer, connection);
    return true;
  }

  private timedOut(correlationId: number): void {
    const entry = this.pending.get(correlationId);
    if (entry === undefined) return;
    this.env.disconnect(entry.to, entry.connection);
    this.failConnection(entry.to, entry.connection);
  }

  private failConnection(to: string, connection: string): void {
    for (const [correlationId, entry] of [...this.pending]) {
      if (entry.to !== to || entry.connection !== connection) continue;
      this.pending.delete(correlationId);
      this.env.cancelTimer(entry.timer);
      entry.onResponse(null);
    }
  }
}
