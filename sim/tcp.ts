// TCP connections over the simulated links. A connection is (opener, acceptor, label): opened
// by the opener's first send on the label, it carries two ordered streams of messages, never
// duplicated, never reordered, and never lost while the connection lives:
//
//   - a segment that meets a cut link, a powered-off machine or a random drop is retransmitted
//     with exponential backoff (RTO from 200 ms, doubling, at most 120 s: Linux's TCP_RTO_MIN
//     and TCP_RTO_MAX; a SYN from 1 s, TCP_TIMEOUT_INIT); what was sent after it waits behind
//     it, and follows it in order once a retransmission gets through;
//   - a held link delays a stream in order, with no retransmission;
//   - `disconnect` closes one end: what that end already sent is still delivered, then a FIN,
//     and the peer's end closes when the FIN arrives (Kafka and ZooKeeper close a socket that
//     reads end-of-stream). A connection never accepted (its SYN still unanswered) is simply
//     dropped, with what was queued on it. Data that reaches a closed end is answered with a
//     reset, which closes the sender's end;
//   - a process that dies on a running machine has its ends closed by its OS (FINs after the
//     data); a machine that loses power keeps silent, and answers the first segment of a
//     previous life's connection after its reboot with a reset;
//   - TCP gives up on a segment no retransmission delivers: tcp_retries2 (15: 924.6 s) for an
//     open end, tcp_orphan_retries (8: 102.2 s) for a closed one, tcp_syn_retries (6: 127 s) for
//     a SYN; the owner of an open end hears it as a reset.
//
// The opener names its end by the label; the acceptor's end is named `label#id`, unique to
// that connection, so a server answers on the connection a request came on, and an answer
// meant for a closed connection never reaches a newer one with the same label.
import type { Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import type { Trace } from './trace.js';
import type { LinkConfig } from './network.js';

export const RTO_MIN_US = 200_000; // include/net/tcp.h: TCP_RTO_MIN
export const RTO_MAX_US = 120_000_000; // TCP_RTO_MAX
export const SYN_RTO_US = 1_000_000; // TCP_TIMEOUT_INIT
export const TCP_RETRIES2 = 15; // net.ipv4.tcp_retries2
export const TCP_ORPHAN_RETRIES = 8; // net.ipv4.tcp_orphan_retries (0 means 8)
export const TCP_SYN_RETRIES = 6; // net.ipv4.tcp_syn_retries

/** The separator of an acceptor's end name, `label#id`; an opener's label may not contain it. */
export const ACCEPTED = '#';

/** The label an end name was opened with: `replication#17` → `replication`. */
export function connectionLabel(name: string): string {
  const at = name.indexOf(ACCEPTED);
  return at < 0 ? name : name.slice(0, at);
}

/** A node's state as its connections see it: a process up, a running machine with no process, or no power. */
export type HostState = 'up' | 'down' | 'off';

export interface Host {
  readonly name: string;
  state: HostState;
  /** Bumped at each power loss: streams of an earlier life are never retransmitted. */
  life: number;
  /** Open ends by peer, then name. */
  readonly ends: Map<string, Map<string, End>>;
}

/** What the connections need of the links under them. */
export interface Links<M> {
  /** The link's latency and random loss (a segment lost is retransmitted; duplicate and reorder are a datagram's). */
  config(from: string, to: string): LinkConfig;
  isCut(from: string, to: string): boolean;
  /** False while no link is cut and none held: the fast path asks nothing more. */
  disturbed(): boolean;
  /** True when a hold takes the segment (the hold hands it back to `arrive` on release). */
  hold(from: string, to: string, segment: Segment<M>): boolean;
}

/** How the processes above hear of their connections. */
export interface TcpHooks<M> {
  /** `message` arrived on `to`'s end `name` of a connection with `from`. */
  deliver(from: string, to: string, message: M, name: string): void;
  /** `node`'s end `name` is gone: `peer` reset it when `message` reached it, or TCP gave up delivering `message`. */
  reset(node: string, peer: string, message: M, name: string): void;
  /** `node`'s end `name` is closed: `peer` closed the connection (its FIN arrived). */
  closed(node: string, peer: string, name: string): void;
}

export interface End {
  readonly host: Host;
  readonly peer: string;
  readonly name: string;
  readonly side: 0 | 1; // 0: the opener's end, 1: the acceptor's
  readonly connection: Connection;
  open: boolean;
}

interface Connection {
  readonly id: number;
  readonly label: string;
  readonly ends: [End, End | null]; // the acceptor's end exists once the first segment arrived
  readonly streams: [Stream, Stream]; // 0: opener → acceptor, 1: acceptor → opener
  aborted: boolean; // never to be accepted: closed by its opener first, its SYN refused, or given up
}

/** One direction of a connection: an ordered stream of segments. */
interface Stream {
  readonly connection: Connection;
  readonly side: 0 | 1; // the sending end
  readonly from: Host;
  readonly to: Host;
  life: number; // the sender's life when the stream began
  lastArrivalUs: number; // FIFO: no segment arrives before the one sent before it
  head: Segment<unknown> | null; // the segment being retransmitted or held
  waiting: Segment<unknown>[] | null; // while `head` is set: what arrived behind it, in order
  attempts: number; // expired retransmission timers of `head`
  dead: boolean; // reset, aborted, or given up: nothing more of it is delivered
}

export interface Segment<M> {
  readonly id: number;
  readonly stream: Stream;
  readonly message: M;
  readonly fin: boolean;
  lost: boolean; // a random drop: retransmitted after the RTO
}

interface Reset<M> {
  readonly id: number;
  readonly stream: Stream; // the refused stream; the reset travels against it
  readonly message: M;
  attempts: number;
}

export type ConnectionEvent =
  | { kind: 'net.connect'; conn: number; from: string; to: string; label: string }
  | { kind: 'net.close'; conn: number; from: string; to: string; name: string; how: 'fin' | 'abort' | 'reset' }
  | { kind: 'net.closed'; conn: number; from: string; to: string }
  | { kind: 'net.reset'; id: number; conn: number; from: string; to: string; type: string }
  | { kind: 'net.retransmit'; id: number; conn: number; from: string; to: string; attempt: number; why: 'cut' | 'power' | 'drop' }
  | { kind: 'net.give-up'; id: number; conn: number; from: string; to: string; type: string };

export class Tcp<M> {
  private nextConnection = 1;
  private readonly hosts = new Map<string, Host>();
  private readonly arriveFn = (segment: Segment<M>): void => this.arrive(segment);
  private readonly retryFn = (segment: Segment<M>): void => this.retry(segment);
  private readonly resetFn = (reset: Reset<M>): void => this.arriveReset(reset);

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly trace: Trace,
    private readonly links: Links<M>,
    private readonly hooks: TcpHooks<M>,
    private readonly nextId: () => number,
  ) {}

  addHost(name: string): Host {
    const host: Host = { name, state: 'up', life: 0, ends: new Map() };
    this.hosts.set(name, host);
    return host;
  }

  host(name: string): Host {
    const host = this.hosts.get(name);
    if (host === undefined) throw new Error(`network: no node named ${name}`);
    return host;
  }

  /** Sends on `from`'s end `name` to `to`, opening a connection if `name` is a label with no open end. */
  send(from: Host, to: string, name: string, message: M): void {
    let end = from.ends.get(to)?.get(name);
    if (end === undefined) {
      if (name.includes(ACCEPTED)) {
        // An acceptor's end that has closed: Kafka's SocketServer drops a response for a closed channel.
        this.trace.record(this.scheduler.now(), { kind: 'net.drop', id: this.nextId(), from: from.name, to, type: typeOf(message), why: 'closed' }, false);
        return;
      }
      end = this.open(from, to, name);
    }
    this.transmit(end.connection.streams[end.side], message, false);
  }

  /** Closes `from`'s end `name` (the application's close): a FIN after what it sent, or an abort if never accepted. */
  disconnect(from: Host, to: string, name: string): void {
    const end = from.ends.get(to)?.get(name);
    if (end !== undefined) this.close(end);
  }

  /**
   * `from`'s end `name` is closed abortively, answering `message` (which came on it) with a
   * reset: what it had queued is dropped, and the peer's end closes when the reset arrives
   * (a process that refuses a connection before it listens).
   */
  abort(from: Host, to: string, name: string, message: M): void {
    const end = from.ends.get(to)?.get(name);
    if (end === undefined || !end.open) return;
    end.open = false;
    unregister(end);
    const connection = end.connection;
    kill(connection.streams[end.side]);
    this.trace.record(this.scheduler.now(), { kind: 'net.close', conn: connection.id, from: from.name, to, name, how: 'reset' } satisfies ConnectionEvent, false);
    this.sendReset(connection.streams[end.side === 0 ? 1 : 0], this.nextId(), message);
  }

  /** The process died on a running machine: its OS closes every end it had open. */
  processDown(host: Host): void {
    host.state = 'down';
    for (const byName of [...host.ends.values()]) for (const end of [...byName.values()]) this.close(end);
  }

  processUp(host: Host): void {
    host.state = 'up';
  }

  /** Power loss: every end vanishes without a word; nothing of this life is retransmitted. */
  powerOff(host: Host): void {
    host.state = 'off';
    host.life += 1;
    for (const byName of host.ends.values()) for (const end of byName.values()) end.open = false;
    host.ends.clear();
  }

  /** A segment reaches its receiver (or a cut, a hold, a powered-off machine on the way). */
  arrive(segment: Segment<M>): void {
    const stream = segment.stream;
    if (stream.dead) return;
    if (stream.head !== null && stream.head !== segment) {
      stream.waiting!.push(segment);
      return;
    }
    if (segment.lost || stream.to.state === 'off' || this.links.disturbed()) {
      const from = stream.from.name;
      const to = stream.to.name;
      const lost = segment.lost ? 'drop' : this.links.isCut(from, to) ? 'cut' : stream.to.state === 'off' ? 'power' : null;
      if (lost !== null) return this.block(stream, segment, lost);
      if (this.links.hold(from, to, segment)) {
        if (stream.head === null) {
          stream.head = segment;
          stream.waiting = [];
        }
        return;
      }
    }
    this.receive(stream, segment);
    if (stream.head === segment) {
      // Through at last: what waited behind it follows, in order.
      const waiting = stream.waiting!;
      stream.head = null;
      stream.waiting = null;
      stream.attempts = 0;
      for (const next of waiting) {
        (next as Segment<M>).lost = false; // retransmitted meanwhile, like the head
        this.arrive(next as Segment<M>);
      }
    }
  }

  private open(from: Host, to: string, label: string): End {
    const toHost = this.host(to);
    const id = this.nextConnection++;
    const stream = (side: 0 | 1, sender: Host, receiver: Host): Stream => ({
      connection: undefined as unknown as Connection, side, from: sender, to: receiver, life: sender.life,
      lastArrivalUs: 0, head: null, waiting: null, attempts: 0, dead: false,
    });
    const streams: [Stream, Stream] = [stream(0, from, toHost), stream(1, toHost, from)];
    const connection: Connection = { id, label, ends: [undefined as unknown as End, null], streams, aborted: false };
    for (const s of streams) (s as { connection: Connection }).connection = connection;
    const end: End = { host: from, peer: to, name: label, side: 0, connection, open: true };
    connection.ends[0] = end;
    register(end);
    this.trace.record(this.scheduler.now(), { kind: 'net.connect', conn: id, from: from.name, to, label } satisfies ConnectionEvent, false);
    return end;
  }

  private close(end: End): void {
    if (!end.open) return;
    end.open = false;
    unregister(end);
    const connection = end.connection;
    const stream = connection.streams[end.side];
    const abort = connection.ends[1] === null;
    this.trace.record(this.scheduler.now(), { kind: 'net.close', conn: connection.id, from: end.host.name, to: end.peer, name: end.name, how: abort ? 'abort' : 'fin' } satisfies ConnectionEvent, false);
    if (abort) {
      connection.aborted = true;
      kill(stream);
      return;
    }
    if (!stream.dead) this.transmit(stream, undefined as M, true);
  }

  private transmit(stream: Stream, message: M, fin: boolean): void {
    const config = this.links.config(stream.from.name, stream.to.name);
    const segment: Segment<M> = { id: this.nextId(), stream, message, fin, lost: config.dropPpm > 0 && this.random.chance(config.dropPpm) };
    let arrivalUs = this.scheduler.now() + this.latencyUs(config);
    if (arrivalUs < stream.lastArrivalUs) arrivalUs = stream.lastArrivalUs;
    stream.lastArrivalUs = arrivalUs;
    this.scheduler.at(arrivalUs, this.arriveFn, segment);
  }

  /** The segment reached the receiving machine, which is up: its end takes it, or refuses it. */
  private receive(stream: Stream, segment: Segment<M>): void {
    const connection = stream.connection;
    let end: End | null = connection.ends[stream.side === 0 ? 1 : 0];
    if (end === null) {
      // The first segment of the connection: its SYN. A running machine with no process resets it.
      if (connection.aborted) return;
      if (stream.to.state !== 'up') {
        // Refused: the connection is never established, whatever follows its SYN.
        connection.aborted = true;
        return this.refuse(stream, segment);
      }
      end = { host: stream.to, peer: stream.from.name, name: `${connection.label}${ACCEPTED}${connection.id}`, side: 1, connection, open: true };
      connection.ends[1] = end;
      connection.streams[1].life = stream.to.life;
      register(end);
    }
    if (!end.open) {
      if (!segment.fin) this.refuse(stream, segment);
      return;
    }
    if (segment.fin) {
      end.open = false;
      unregister(end);
      this.trace.record(this.scheduler.now(), { kind: 'net.closed', conn: connection.id, from: stream.from.name, to: stream.to.name } satisfies ConnectionEvent, false);
      this.hooks.closed(stream.to.name, stream.from.name, end.name);
      return;
    }
    this.trace.recordDelivery(this.scheduler.now(), segment.id, stream.from.name, stream.to.name, typeOf(segment.message));
    this.hooks.deliver(stream.from.name, stream.to.name, segment.message, end.name);
  }

  /** Lost on the way: the head of its stream until a retransmission gets through. */
  private block(stream: Stream, segment: Segment<M>, why: 'cut' | 'power' | 'drop'): void {
    if (stream.life !== stream.from.life) return kill(stream); // its sender lost power: no one retransmits
    if (stream.head === null) {
      stream.head = segment;
      stream.waiting = [];
    }
    stream.attempts += 1;
    const connection = stream.connection;
    const syn = connection.ends[1] === null;
    const rtoUs = Math.min((syn ? SYN_RTO_US : RTO_MIN_US) * 2 ** Math.min(stream.attempts - 1, 30), RTO_MAX_US);
    this.trace.record(this.scheduler.now(), { kind: 'net.retransmit', id: segment.id, conn: connection.id, from: stream.from.name, to: stream.to.name, attempt: stream.attempts, why } satisfies ConnectionEvent, false);
    this.scheduler.after(rtoUs, this.retryFn, segment);
  }

  /**
   * A retransmission timer expired: the head is sent again, or TCP gives up. The timer runs from
   * the previous transmission, whose loss was seen a latency later: the retransmission arrives
   * (or is lost) now.
   */
  private retry(segment: Segment<M>): void {
    const stream = segment.stream;
    if (stream.dead || stream.head !== segment) return;
    if (stream.life !== stream.from.life) return kill(stream);
    const sender = senderEnd(stream);
    const limit = stream.connection.ends[1] === null ? TCP_SYN_RETRIES : sender.open ? TCP_RETRIES2 : TCP_ORPHAN_RETRIES;
    if (stream.attempts > limit) return this.giveUp(stream, segment);
    const { dropPpm } = this.links.config(stream.from.name, stream.to.name);
    segment.lost = dropPpm > 0 && this.random.chance(dropPpm);
    this.arrive(segment);
  }

  private giveUp(stream: Stream, segment: Segment<M>): void {
    kill(stream);
    const connection = stream.connection;
    const end = senderEnd(stream);
    if (connection.ends[1] === null) connection.aborted = true;
    this.trace.record(this.scheduler.now(), { kind: 'net.give-up', id: segment.id, conn: connection.id, from: stream.from.name, to: stream.to.name, type: typeOf(segment.message) } satisfies ConnectionEvent, false);
    if (!end.open) return;
    end.open = false;
    unregister(end);
    this.hooks.reset(end.host.name, end.peer, segment.message, end.name);
  }

  /** The receiving OS answers `segment` with a reset, which travels back to the sender. */
  private refuse(stream: Stream, segment: Segment<M>): void {
    this.sendReset(stream, segment.id, segment.message);
  }

  /** A reset against `stream`, for `message` (of id `id`), on its way back to the stream's sender. */
  private sendReset(stream: Stream, id: number, message: M): void {
    const reset: Reset<M> = { id, stream, message, attempts: 0 };
    this.scheduler.after(this.latencyUs(this.links.config(stream.to.name, stream.from.name)), this.resetFn, reset);
  }

  private latencyUs({ latencyUs: { minUs, maxUs } }: LinkConfig): number {
    return minUs === maxUs ? minUs : this.random.range(minUs, maxUs);
  }

  private arriveReset(reset: Reset<M>): void {
    const stream = reset.stream;
    if (stream.dead || stream.life !== stream.from.life) return;
    if (this.links.isCut(stream.to.name, stream.from.name)) {
      // Lost: the sender retransmits after its RTO and is reset again.
      reset.attempts += 1;
      if (reset.attempts <= TCP_RETRIES2) this.scheduler.after(Math.min(RTO_MIN_US * 2 ** (reset.attempts - 1), RTO_MAX_US), this.resetFn, reset);
      return;
    }
    kill(stream);
    const connection = stream.connection;
    const end = senderEnd(stream);
    if (!end.open) return;
    end.open = false;
    unregister(end);
    this.trace.record(this.scheduler.now(), { kind: 'net.reset', id: reset.id, conn: connection.id, from: stream.to.name, to: stream.from.name, type: typeOf(reset.message) } satisfies ConnectionEvent, false);
    this.hooks.reset(stream.from.name, stream.to.name, reset.message, end.name);
  }
}

function register(end: End): void {
  let byName = end.host.ends.get(end.peer);
  if (byName === undefined) {
    byName = new Map();
    end.host.ends.set(end.peer, byName);
  }
  byName.set(end.name, end);
}

function unregister(end: End): void {
  const byName = end.host.ends.get(end.peer);
  if (byName?.get(end.name) === end) byName.delete(end.name);
}

/** The end a stream is sent from: the opener's always exists, the acceptor's once it sends. */
function senderEnd(stream: Stream): End {
  return stream.connection.ends[stream.side]!;
}

function kill(stream: Stream): void {
  stream.dead = true;
  stream.head = null;
  stream.waiting = null;
}

export function typeOf(message: unknown): string {
  // A plain property read: `'type' in message` first would cost as much again, on every delivery.
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : typeof message;
}
