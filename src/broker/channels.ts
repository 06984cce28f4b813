// Kafka's SocketServer mutes a connection while one of its requests is in the broker and unmutes
// it when the response is sent: a connection's requests are handled one at a time, in order,
// and answered in order. (A producer's max.in.flight.requests.per.connection=5 means five
// requests waiting in the socket, not five in the broker at once.) Controller, replication and
// client traffic use separate connections, as Kafka's do; so does a consumer's traffic to its
// group coordinator (AbstractCoordinator connects to node id Integer.MAX_VALUE - id), so that a
// JoinGroup parked in the coordinator does not hold up the same consumer's fetches.
import type { KafkaMessage } from '../kafka/protocol.js';

type Channel = 'controller' | 'replication' | 'client' | 'coordinator';
// A peer's connections, by channel, in this order (the order `responded` looks them up in).
const CHANNEL_INDEX: Readonly<Record<Channel, number>> = { client: 0, replication: 1, controller: 2, coordinator: 3 };
const CHANNEL_COUNT = 4;

interface Connection {
  awaiting: KafkaMessage['type'] | null; // the response type the request in the broker will get
  correlationId: number; // the request's, while one is in the broker
  readonly queue: { readonly from: string; readonly request: KafkaMessage }[];
}

/** A response whose connection closed while its request was in the broker: it is never sent. */
interface Orphan {
  readonly to: string;
  readonly type: KafkaMessage['type'];
  readonly correlationId: number;
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
  AlterPartition: 'AlterPartitionResponse',
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
  /** Per peer, its connections by channel index (undefined until used). */
  private readonly connections = new Map<string, (Connection | undefined)[]>();
  private orphans: Orphan[] = [];

  constructor(private readonly handle: (from: string, request: KafkaMessage) => void) {}

  /** A request arrived: handle it now, or after the ones before it on its connection. */
  receive(from: string, request: KafkaMessage): void {
    const connection = this.connection(from, channelOf(request));
    if (connection.awaiting !== null) {
      connection.queue.push({ from, request });
      return;
    }
    this.run(connection, from, request);
  }

  /**
   * `peer`'s process died and its OS closed its connections. Its coordinator connection is
   * dropped with the requests queued on it, and the answer to the one parked in the broker (a
   * JoinGroup or SyncGroup) will not be sent: a restarted consumer starts on a fresh connection
   * instead of waiting behind its dead predecessor's JoinGroup. (Only the coordinator connection,
   * where requests wait long; the others keep their behaviour.)
   */
  closed(peer: string): void {
    const peerConnections = this.connections.get(peer);
    const connection = peerConnections?.[CHANNEL_INDEX.coordinator];
    if (peerConnections === undefined || connection === undefined) return;
    peerConnections[CHANNEL_INDEX.coordinator] = undefined;
    if (connection.awaiting !== null) this.orphans.push({ to: peer, type: connection.awaiting, correlationId: connection.correlationId });
  }

  /** True when `response` answers a request of a closed connection: drop it instead of sending. */
  isOrphan(to: string, response: KafkaMessage): boolean {
    if (this.orphans.length === 0 || !('correlationId' in response)) return false;
    const index = this.orphans.findIndex((o) => o.to === to && o.type === response.type && o.correlationId === response.correlationId);
    if (index < 0) return false;
    this.orphans.splice(index, 1);
    return true;
  }

  /** A response went out: its connection takes its next request. */
  responded(to: string, response: KafkaMessage): void {
    const peerConnections = this.connections.get(to);
    if (peerConnections === undefined) return;
    for (let i = 0; i < CHANNEL_COUNT; i++) {
      const connection = peerConnections[i];
      if (connection === undefined || connection.awaiting !== response.type) continue;
      connection.awaiting = null;
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, next.from, next.request);
      return;
    }
  }

  private run(connection: Connection, from: string, request: KafkaMessage): void {
    // acks=0 gets no response: the connection is free as soon as the request is handled.
    const noResponse = request.type === 'Produce' && request.acks === 0;
    connection.awaiting = noResponse ? null : (RESPONSE_OF[request.type] ?? null);
    connection.correlationId = 'correlationId' in request ? request.correlationId : -1;
    this.handle(from, request);
    if (connection.awaiting === null) {
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, next.from, next.request);
    }
  }

  private connection(from: string, channel: Channel): Connection {
    let peerConnections = this.connections.get(from);
    if (peerConnections === undefined) {
      peerConnections = new Array<Connection | undefined>(CHANNEL_COUNT).fill(undefined);
      this.connections.set(from, peerConnections);
    }
    const index = CHANNEL_INDEX[channel];
    let connection = peerConnections[index];
    if (connection === undefined) {
      connection = { awaiting: null, correlationId: -1, queue: [] };
      peerConnections[index] = connection;
    }
    return connection;
  }
}

function channelOf(request: KafkaMessage): Channel {
  switch (request.type) {
    case 'LeaderAndIsr':
    case 'UpdateMetadata':
    case 'StopReplica':
    // A leader's ISR change to the controller (BrokerToControllerChannelManager's own connection in
    // Kafka); here it shares the controller connection, whose other traffic flows the other way.
    case 'AlterPartition':
      return 'controller';
    case 'Fetch':
      return request.replicaId >= 0 ? 'replication' : 'client';
    case 'OffsetsForLeaderEpoch':
      return request.replicaId >= 0 ? 'replication' : 'client'; // a consumer validating its position (KIP-320)
    case 'ListOffsets':
      return request.replicaId >= 0 ? 'replication' : 'client'; // a follower out of the leader's range asks its log end
    case 'JoinGroup':
    case 'SyncGroup':
    case 'Heartbeat':
    case 'LeaveGroup':
    case 'OffsetCommit':
    case 'OffsetFetch':
      return 'coordinator';
    // ListOffsets and FindCoordinator too (it goes to the least loaded node), and a broker's
    // ControlledShutdown, sent on a connection of its own.
    default:
      return 'client';
  }
}
