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

/** One client connection as the broker's socket server sees it. */
export interface ChannelConnection {
  readonly name: string; // the broker's end of it
  /** The response the request in the broker will get (null: none in the broker), and its correlation id. */
  awaiting: KafkaMessage['type'] | null;
  correlationId: number;
  readonly queue: KafkaMessage[];
}

/** A peer's open connections: by the broker's end name, and as a list (read on every response). */
interface Peer {
  readonly byName: Map<string, ChannelConnection>;
  readonly list: ChannelConnection[];
}

/** A connection whose next request is about to be taken (`responded`): it takes no other meanwhile. */
const PENDING = 'pending' as KafkaMessage['type'];

export class Channels {
  private readonly peers = new Map<string, Peer>();
  private readonly responseTypes = new Map<KafkaMessage['type'], KafkaMessage['type']>();

  constructor(
    private readonly handle: (from: string, request: KafkaMessage) => void,
    /** Runs `fn` in an event of its own, after the current one (the broker's timer at 0). */
    private readonly later: (fn: () => void) => void,
  ) {}

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
    const connections = this.peers.get(peer);
    const connection = connections?.byName.get(name);
    if (connections === undefined || connection === undefined) return;
    connections.byName.delete(name);
    connections.list.splice(connections.list.indexOf(connection), 1);
    if (connections.list.length === 0) this.peers.delete(peer);
  }

  /**
   * The connection whose request `response` answers (the response goes on its `name`), or null
   * when that connection has closed (the response is dropped). The caller sends the response on
   * it, then calls `responded` so the connection takes its next request.
   */
  route(to: string, response: KafkaMessage & { readonly correlationId: number }): ChannelConnection | null {
    const list = this.peers.get(to)?.list;
    if (list === undefined) return null;
    for (let i = 0; i < list.length; i++) {
      const connection = list[i]!;
      if (connection.awaiting === response.type && connection.correlationId === response.correlationId) return connection;
    }
    return null;
  }

  /**
   * The response of the request in the broker went out: the connection takes its next request,
   * in an event of its own. A response is often sent from inside a completion (a group's stored
   * generation, a purgatory's); Kafka's network processor unmutes the channel and a request
   * handler takes the next request later (SocketServer.Processor, KafkaRequestHandler), never
   * inside the completion that answered the previous one.
   */
  responded(connection: ChannelConnection, to: string): void {
    connection.awaiting = null;
    if (connection.queue.length === 0) return;
    connection.awaiting = PENDING;
    this.later(() => {
      if (connection.awaiting !== PENDING) return;
      connection.awaiting = null;
      if (this.peers.get(to)?.byName.get(connection.name) !== connection) return; // closed meanwhile: its queue went with it
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, to, next);
    });
  }

  private run(connection: ChannelConnection, from: string, request: KafkaMessage): void {
    // acks=0 gets no response: the connection is free as soon as the request is handled.
    const noResponse = request.type === 'Produce' && request.acks === 0;
    // Every request but that is answered by its type's Response (protocol.ts names them so), so a
    // request type added later is routed too.
    const answered = !noResponse && 'correlationId' in request;
    connection.awaiting = answered ? this.responseOf(request.type) : null;
    connection.correlationId = answered ? request.correlationId : -1;
    this.handle(from, request);
    if (connection.awaiting === null) {
      const next = connection.queue.shift();
      if (next !== undefined) this.run(connection, from, next);
    }
  }

  private responseOf(type: KafkaMessage['type']): KafkaMessage['type'] {
    let response = this.responseTypes.get(type);
    if (response === undefined) {
      response = `${type}Response` as KafkaMessage['type'];
      this.responseTypes.set(type, response);
    }
    return response;
  }

  private connection(from: string, name: string): ChannelConnection {
    let connections = this.peers.get(from);
    if (connections === undefined) {
      connections = { byName: new Map(), list: [] };
      this.peers.set(from, connections);
    }
    let connection = connections.byName.get(name);
    if (connection === undefined) {
      connection = { name, awaiting: null, correlationId: -1, queue: [] };
      connections.byName.set(name, connection);
      connections.list.push(connection);
    }
    return connection;
  }
}
