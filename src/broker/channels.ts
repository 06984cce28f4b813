// Kafka's SocketServer mutes a connection while one of its requests is in the broker and unmutes
// it when the response is sent: a connection's requests are handled one at a time, in order,
// and answered in order. (A producer's max.in.flight.requests.per.connection=5 means five
// requests waiting in the socket, not five in the broker at once.) Each client connection is
// one of the kernel's TCP connections, the broker's end named `label#id`: controller,
// replication and client traffic come on separate connections, as Kafka's do, and so does a
// consumer's traffic to its group coordinator (AbstractCoordinator connects to node id
// Integer.MAX_VALUE - id), so that a JoinGroup parked in the coordinator does not hold up the
// same consumer's fetches.
//
// A response goes back on the connection its request came on (SocketServer routes it by the
// request's connection id). If that connection has closed meanwhile, the response is dropped
// (Processor.processNewResponses: no open channel), and the kernel resets anything sent to a
// closed end: a restarted client never hears its predecessor's answers.
import type { KafkaMessage } from '../kafka/protocol.js';

interface Connection {
  /** The response the request in the broker will get (null: none in the broker), and its correlation id. */
  awaiting: KafkaMessage['type'] | null;
  correlationId: number;
  readonly queue: KafkaMessage[];
}

const RESPONSE_OF: Partial<Record<KafkaMessage['type'], KafkaMessage['type']>> = {
  Produce: 'ProduceResponse',
  Fetch: 'FetchResponse',
  Metadata: 'MetadataResponse',
  InitProducerId: 'InitProducerIdResponse',
  OffsetsForLeaderEpoch: 'OffsetsForLeaderEpochResponse',
  LeaderAndIsr: 'LeaderAndIsrResponse',
  UpdateMetadata: 'UpdateMetadataResponse',
  StopReplica: 'StopReplicaResponse',
  ControlledShutdown: 'ControlledShutdownResponse',
  ListOffsets: 'ListOffsetsResponse',
  FindCoordinator: 'FindCoordinatorResponse',
  JoinGroup: 'JoinGroupResponse',
  SyncGroup: 'SyncGroupResponse',
  Heartbeat: 'HeartbeatResponse',
  LeaveGroup: 'LeaveGroupResponse',
  OffsetCommit: 'OffsetCommitResponse',
  OffsetFetch: 'OffsetFetchResponse',
};

export class Channels {
  /** Per peer, its open connections by the broker's end name. */
  private readonly connections = new Map<string, Map<string, Connection>>();

  constructor(private readonly handle: (from: string, request: KafkaMessage) => void) {}

  /** A request arrived on the broker's end `name`: handle it now, or after the ones before it. */
  receive(from: string, request: KafkaMessage, name: string): void {
    const connection = this.connection(from, name);
    if (connection.awaiting !== null) {
      connection.queue.push(request);
      return;
    }
    this.run(connection, from, request);
  }

  /** The connection closed (the client's FIN or reset reached us): what it queued goes with it. */
  closed(peer: string, name: string): void {
    const peerConnections = this.connections.get(peer);
    if (peerConnections === undefined) return;
    peerConnections.delete(name);
    if (peerConnections.size === 0) this.connections.delete(peer);
  }

  /**
   * The broker's end name of the connection whose request `response` answers, or null when that
   * connection has closed (the response is dropped). The caller sends the response on it, then
   * calls `responded` so the connection takes its next request.
   */
  route(to: string, response: KafkaMessage & { readonly correlationId: number }): string | null {
    const peerConnections = this.connections.get(to);
    if (peerConnections === undefined) return null;
    for (const [name, connection] of peerConnections) {
      if (connection.awaiting === response.type && connection.correlationId === response.correlationId) return name;
    }
    return null;
  }

  /** The response of the request in the broker went out on `name`: the connection takes its next request. */
  responded(to: string, name: string): void {
    const connection = this.connections.get(to)?.get(name);
    if (connection === undefined) return;
    connection.awaiting = null;
    const next = connection.queue.shift();
    if (next !== undefined) this.run(connection, to, next);
  }

  private run(connection: Connection, from: string, request: KafkaMessage): void {
    // acks=0 gets no response: the connection is free as soon as the request is handled.
    const noResponse = request.type === 'Produce' && request.acks === 0;
    connection.awaiting = noResponse ? null : (RESPONSE_OF[request.type] ?? null);
    connection.correlationId = 'correlationId' in request ? request.correlationId : -1;
    this.handle(from, request);
    if (connection.awaiting === null) {
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, from, next);
    }
  }

  private connection(from: string, name: string): Connection {
    let peerConnections = this.connections.get(from);
    if (peerConnections === undefined) {
      peerConnections = new Map();
      this.connections.set(from, peerConnections);
    }
    let connection = peerConnections.get(name);
    if (connection === undefined) {
      connection = { awaiting: null, correlationId: -1, queue: [] };
      peerConnections.set(name, connection);
    }
    return connection;
  }
}
