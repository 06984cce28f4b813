// Kafka's SocketServer mutes a connection while one of its requests is in the broker and unmutes
// it when the response is sent: a connection's requests are handled one at a time, in order,
// and answered in order. (A producer's max.in.flight.requests.per.connection=5 means five
// requests waiting in the socket, not five in the broker at once.) Controller, replication and
// client traffic use separate connections, as Kafka's do.
import type { KafkaMessage } from '../kafka/protocol.js';

type Channel = 'controller' | 'replication' | 'client';

interface Connection {
  awaiting: KafkaMessage['type'] | null; // the response type the request in the broker will get
  readonly queue: { readonly from: string; readonly request: KafkaMessage }[];
}

const RESPONSE_OF: Partial<Record<KafkaMessage['type'], KafkaMessage['type']>> = {
  Produce: 'ProduceResponse',
  Fetch: 'FetchResponse',
  Metadata: 'MetadataResponse',
  InitProducerId: 'InitProducerIdResponse',
  OffsetsForLeaderEpoch: 'OffsetsForLeaderEpochResponse',
  LeaderAndIsr: 'LeaderAndIsrResponse',
  UpdateMetadata: 'UpdateMetadataResponse',
};

export class Channels {
  private readonly connections = new Map<string, Connection>();

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

  /** A response went out: its connection takes its next request. */
  responded(to: string, response: KafkaMessage): void {
    for (const channel of ['client', 'replication', 'controller'] as const) {
      const connection = this.connections.get(`${to}|${channel}`);
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
    this.handle(from, request);
    if (connection.awaiting === null) {
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, next.from, next.request);
    }
  }

  private connection(from: string, channel: Channel): Connection {
    const key = `${from}|${channel}`;
    let connection = this.connections.get(key);
    if (connection === undefined) {
      connection = { awaiting: null, queue: [] };
      this.connections.set(key, connection);
    }
    return connection;
  }
}

function channelOf(request: KafkaMessage): Channel {
  switch (request.type) {
    case 'LeaderAndIsr':
    case 'UpdateMetadata':
      return 'controller';
    case 'Fetch':
      return request.replicaId >= 0 ? 'replication' : 'client';
    case 'OffsetsForLeaderEpoch':
      return 'replication';
    default:
      return 'client';
  }
}
