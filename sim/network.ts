// The simulated network: a message bus between named nodes. Generic over the message type;
// the domain reaches it only through `send`, `sendOn` and `disconnect`, and hears back through
// the hooks the world attaches.
//
// Two kinds of traffic share the links. A datagram (`send`) may be dropped, duplicated or
// reordered at the link's rates, and a cut loses it; otherwise links are FIFO. A connection
// (`sendOn`, sim/tcp.ts) is TCP: ordered, never duplicated, and retransmitted across cuts,
// drops and power losses while it lives. Partitions are sets of blocked one-way links, each
// block tagged with who made it: a scripted fault from the scenario or a random one from the
// nemesis. A link is cut while any block holds it, so a random heal never undoes a scripted
// partition.
import { PPM, type Random } from './random.js';
import type { Scheduler } from './scheduler.js';
import { Tcp, typeOf, type ConnectionEvent, type Host, type Segment } from './tcp.js';
import type { Trace } from './trace.js';

export interface LatencyRange {
  readonly minUs: number;
  readonly maxUs: number;
}

export interface LinkConfig {
  readonly latencyUs: LatencyRange;
  readonly dropPpm: number;
  readonly duplicatePpm: number;
  readonly reorderPpm: number;
}

export type FaultSource = 'scripted' | 'random';

/** How the process layer hears what the network brings. */
export interface NetworkHooks<M> {
  /** `message` reached `to`: a datagram (no `connection`), or on `to`'s end `connection`. The process layer decides whether anyone listens to a datagram. */
  deliver(from: string, to: string, message: M, connection: string | undefined): void;
  /** `node`'s end `connection` is gone: `peer` reset it when `message` reached it, or TCP gave up delivering `message`. */
  reset(node: string, peer: string, message: M, connection: string): void;
  /** `node`'s end `connection` is closed: `peer` closed it (a FIN arrived). */
  closed(node: string, peer: string, connection: string): void;
}

/** A set of one-way link blocks made by one fault; healing it removes exactly those blocks. */
export interface Cut {
  readonly links: readonly (readonly [string, string])[];
  readonly source: FaultSource;
  healed: boolean;
}

/** A filter of links whose messages wait instead of arriving, until released. */
export interface Hold {
  readonly from: string | null;
  readonly to: string | null;
  /** Datagrams, and the head segment of each held connection stream (the rest wait behind it). */
  readonly waiting: (Envelope<unknown> | Segment<unknown>)[];
  released: boolean;
}

interface Envelope<M> {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: M;
}

interface BlockCount {
  scripted: number;
  random: number;
}

export type NetworkEvent =
  | { kind: 'net.deliver'; id: number; from: string; to: string; type: string }
  | { kind: 'net.drop'; id: number; from: string; to: string; type: string; why: 'random' | 'partition' | 'closed' }
  | { kind: 'net.duplicate'; id: number; from: string; to: string }
  | ConnectionEvent
  | { kind: 'net.cut'; source: FaultSource; links: number }
  | { kind: 'net.heal'; source: FaultSource; links: number }
  | { kind: 'net.hold'; from: string | null; to: string | null }
  | { kind: 'net.release'; from: string | null; to: string | null; messages: number };

export class Network<M> {
  private nextId = 1;
  private readonly nodes: string[] = [];
  private readonly linkOverrides = new Map<string, LinkConfig>();
  private readonly blocks = new Map<string, BlockCount>();
  private blockedLinks = 0;
  /** Per sender, per receiver: when the last FIFO message on that link arrives (a box, so a send reads and writes it with one lookup). */
  private readonly lastArrivalUs = new Map<string, Map<string, { atUs: number }>>();
  private readonly holds: Hold[] = [];
  private readonly cuts: Cut[] = [];
  private readonly tcp: Tcp<M>;
  private readonly arrive = (envelope: Envelope<M>): void => this.onArrival(envelope);
  private readonly arriveHeld = (item: Envelope<M> | Segment<M>): void => {
    if ('stream' in item) this.tcp.arrive(item);
    else this.onArrival(item);
  };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly trace: Trace,
    private readonly hooks: NetworkHooks<M>,
    private readonly defaults: LinkConfig,
  ) {
    assertLinkConfig(defaults);
    const links = {
      config: (from: string, to: string): LinkConfig => this.config(from, to),
      isCut: (from: string, to: string): boolean => this.isCut(from, to),
      disturbed: (): boolean => this.blockedLinks > 0 || this.holds.length > 0,
      hold: (from: string, to: string, segment: Segment<M>): boolean => this.holdSegment(from, to, segment),
    };
    this.tcp = new Tcp<M>(scheduler, random, trace, links, hooks, () => this.nextId++);
  }

  addNode(name: string): void {
    if (this.nodes.includes(name)) throw new Error(`network: node ${name} added twice`);
    this.nodes.push(name);
    this.tcp.addHost(name);
  }

  get nodeNames(): readonly string[] {
    return this.nodes;
  }

  /** Overrides the link from `from` to `to` (one direction). */
  configureLink(from: string, to: string, config: LinkConfig): void {
    assertLinkConfig(config);
    this.linkOverrides.set(linkKey(from, to), config);
  }

  /** A datagram: dropped, duplicated or reordered at the link's rates, lost on a cut. */
  send(from: string, to: string, message: M): void {
    const config = this.config(from, to);
    const envelope: Envelope<M> = { id: this.nextId++, from, to, message };
    if (config.dropPpm > 0 && this.random.chance(config.dropPpm)) {
      this.trace.record(this.scheduler.now(), dropEvent(envelope, 'random'), false);
      return;
    }
    this.schedule(envelope, config);
    if (config.duplicatePpm > 0 && this.random.chance(config.duplicatePpm)) {
      const copy: Envelope<M> = { id: this.nextId++, from, to, message };
      this.trace.record(this.scheduler.now(), { kind: 'net.duplicate', id: envelope.id, from, to } satisfies NetworkEvent, false);
      this.schedule(copy, config);
    }
  }

  /** Sends on `from`'s connection `connection` to `to` (a label opens one if none is open; see sim/tcp.ts). */
  sendOn(from: string | Host, to: string, connection: string, message: M): void {
    this.tcp.send(typeof from === 'string' ? this.tcp.host(from) : from, to, connection, message);
  }

  /** A node's handle, for a sender that sends often (its process's environment). */
  host(node: string): Host {
    return this.tcp.host(node);
  }

  /** Closes `from`'s end `connection` to `to`: what it sent is delivered, then the peer hears the close. */
  disconnect(from: string, to: string, connection: string): void {
    this.tcp.disconnect(this.tcp.host(from), to, connection);
  }

  /** `from` refuses `message`, which came on its end `connection`: an abortive close; `to` hears a reset with `message`. */
  abort(from: string, to: string, connection: string, message: M): void {
    this.tcp.abort(this.tcp.host(from), to, connection, message);
  }

  /** `node`'s process died on a running machine: its OS closes its connections. */
  processDown(node: string): void {
    this.tcp.processDown(this.tcp.host(node));
  }

  /** `node` runs a process again: it accepts connections. */
  processUp(node: string): void {
    this.tcp.processUp(this.tcp.host(node));
  }

  /** `node` lost power: its connections vanish without a word. */
  powerOff(node: string): void {
    this.tcp.powerOff(this.tcp.host(node));
  }

  isCut(from: string, to: string): boolean {
    return this.blockedLinks > 0 && this.blocks.has(linkKey(from, to));
  }

  /** Splits the nodes into groups; links between different groups are cut both ways. */
  partition(groups: readonly (readonly string[])[], source: FaultSource): Cut {
    const links: (readonly [string, string])[] = [];
    for (let i = 0; i < groups.length; i++) {
      for (let j = 0; j < groups.length; j++) {
        if (i === j) continue;
        for (const from of groups[i]!) for (const to of groups[j]!) links.push([from, to]);
      }
    }
    return this.cut(links, source);
  }

  /** Cuts `node` off from every other node, both ways. */
  isolate(node: string, source: FaultSource): Cut {
    return this.partition([[node], this.nodes.filter((n) => n !== node)], source);
  }

  /** Cuts only the direction `from` → `to`. */
  oneWay(from: string, to: string, source: FaultSource): Cut {
    return this.cut([[from, to]], source);
  }

  heal(cut: Cut): void {
    if (cut.healed) return;
    cut.healed = true;
    for (const [from, to] of cut.links) {
      const key = linkKey(from, to);
      const count = this.blocks.get(key)!;
      count[cut.source] -= 1;
      if (count.scripted === 0 && count.random === 0) {
        this.blocks.delete(key);
        this.blockedLinks -= 1;
      }
    }
    this.cuts.splice(this.cuts.indexOf(cut), 1);
    this.trace.record(this.scheduler.now(), { kind: 'net.heal', source: cut.source, links: cut.links.length } satisfies NetworkEvent);
  }

  /** Heals every cut made by `source`, or every cut when no source is given. */
  healAll(source?: FaultSource): void {
    for (const cut of this.cuts.slice()) if (source === undefined || cut.source === source) this.heal(cut);
  }

  /** Messages matching (from, to) wait on arrival until the hold is released; null matches any node. */
  hold(from: string | null, to: string | null): Hold {
    const hold: Hold = { from, to, waiting: [], released: false };
    this.holds.push(hold);
    this.trace.record(this.scheduler.now(), { kind: 'net.hold', from, to } satisfies NetworkEvent);
    return hold;
  }

  /** Lets the held messages arrive now, in the order they were held. */
  release(hold: Hold): void {
    if (hold.released) return;
    hold.released = true;
    this.holds.splice(this.holds.indexOf(hold), 1);
    const { from, to } = hold;
    this.trace.record(this.scheduler.now(), { kind: 'net.release', from, to, messages: hold.waiting.length } satisfies NetworkEvent);
    for (const item of hold.waiting) this.scheduler.after(0, this.arriveHeld, item as Envelope<M> | Segment<M>);
  }

  releaseAll(): void {
    for (const hold of this.holds.slice()) this.release(hold);
  }

  private cut(links: (readonly [string, string])[], source: FaultSource): Cut {
    for (const [from, to] of links) {
      const key = linkKey(from, to);
      let count = this.blocks.get(key);
      if (count === undefined) {
        count = { scripted: 0, random: 0 };
        this.blocks.set(key, count);
        this.blockedLinks += 1;
      }
      count[source] += 1;
    }
    const cut: Cut = { links, source, healed: false };
    this.cuts.push(cut);
    this.trace.record(this.scheduler.now(), { kind: 'net.cut', source, links: links.length } satisfies NetworkEvent);
    return cut;
  }

  private config(from: string, to: string): LinkConfig {
    return this.linkOverrides.size === 0 ? this.defaults : (this.linkOverrides.get(linkKey(from, to)) ?? this.defaults);
  }

  private holdSegment(from: string, to: string, segment: Segment<M>): boolean {
    for (const hold of this.holds) {
      if ((hold.from === null || hold.from === from) && (hold.to === null || hold.to === to)) {
        hold.waiting.push(segment as Segment<unknown>);
        return true;
      }
    }
    return false;
  }

  private schedule(envelope: Envelope<M>, config: LinkConfig): void {
    const { minUs, maxUs } = config.latencyUs;
    let arrivalUs = this.scheduler.now() + (minUs === maxUs ? minUs : this.random.range(minUs, maxUs));
    const reordered = config.reorderPpm > 0 && this.random.chance(config.reorderPpm);
    if (!reordered) {
      // FIFO per link: never arrive before a message sent earlier on the same link.
      let lastByReceiver = this.lastArrivalUs.get(envelope.from);
      if (lastByReceiver === undefined) {
        lastByReceiver = new Map();
        this.lastArrivalUs.set(envelope.from, lastByReceiver);
      }
      let last = lastByReceiver.get(envelope.to);
      if (last === undefined) {
        last = { atUs: 0 };
        lastByReceiver.set(envelope.to, last);
      }
      if (arrivalUs < last.atUs) arrivalUs = last.atUs;
      last.atUs = arrivalUs;
    }
    this.scheduler.at(arrivalUs, this.arrive, envelope);
  }

  private onArrival(envelope: Envelope<M>): void {
    const now = this.scheduler.now();
    // A cut made while the message was in flight drops it, as a broken connection would.
    if (this.isCut(envelope.from, envelope.to)) {
      this.trace.record(now, dropEvent(envelope, 'partition'), false);
      return;
    }
    for (const hold of this.holds) {
      if ((hold.from === null || hold.from === envelope.from) && (hold.to === null || hold.to === envelope.to)) {
        hold.waiting.push(envelope as Envelope<unknown>);
        return;
      }
    }
    this.trace.recordDelivery(now, envelope.id, envelope.from, envelope.to, typeOf(envelope.message));
    this.hooks.deliver(envelope.from, envelope.to, envelope.message, undefined);
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function dropEvent<M>(envelope: Envelope<M>, why: 'random' | 'partition'): NetworkEvent {
  return { kind: 'net.drop', id: envelope.id, from: envelope.from, to: envelope.to, type: typeOf(envelope.message), why };
}

function assertLinkConfig(config: LinkConfig): void {
  const { minUs, maxUs } = config.latencyUs;
  const ok =
    Number.isSafeInteger(minUs) && Number.isSafeInteger(maxUs) && minUs >= 0 && maxUs >= minUs &&
    [config.dropPpm, config.duplicatePpm, config.reorderPpm].every((p) => Number.isInteger(p) && p >= 0 && p <= PPM);
  if (!ok) throw new Error(`network: bad link config ${JSON.stringify(config)}`);
}
