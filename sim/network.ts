// The simulated network: a message bus between named nodes. Generic over the message type;
// the domain reaches it only through `send` and the delivery callback it attaches per node.
//
// Links are FIFO, like the TCP connections Kafka runs on, unless a reorder is drawn. Partitions
// are sets of blocked one-way links, each block tagged with who made it: a scripted fault from
// the scenario or a random one from the nemesis. A link is cut while any block holds it, so a
// random heal never undoes a scripted partition.
import { PPM, type Random } from './random.js';
import type { Scheduler } from './scheduler.js';
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

/** Called when a message reaches `to`; the process layer decides whether anyone is listening. */
export type DeliverFn<M> = (from: string, to: string, message: M) => void;

/** Called when a connection reset for `message` (sent by `to` to `from`) gets back to its sender. */
export type ResetFn<M> = (unreachable: string, sender: string, message: M) => void;

/** Called when `peer`'s OS closes its connections (its process died) and the FIN reaches `node`. */
export type ClosedFn = (peer: string, node: string) => void;

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
  readonly waiting: Envelope<unknown>[];
  released: boolean;
}

interface Envelope<M> {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: M;
  /** A TCP reset travelling back: `from` refused `message`, which `to` had sent it. */
  readonly reset?: true;
  /** `from`'s process died and its OS closed the connection to `to`. */
  readonly closed?: true;
}

interface BlockCount {
  scripted: number;
  random: number;
}

export type NetworkEvent =
  | { kind: 'net.deliver'; id: number; from: string; to: string; type: string }
  | { kind: 'net.drop'; id: number; from: string; to: string; type: string; why: 'random' | 'partition' }
  | { kind: 'net.duplicate'; id: number; from: string; to: string }
  | { kind: 'net.reset'; id: number; from: string; to: string; type: string }
  | { kind: 'net.closed'; id: number; from: string; to: string }
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
  private readonly arrive = (envelope: Envelope<M>): void => this.onArrival(envelope);

  constructor(
    private readonly scheduler: Scheduler,
    private readonly random: Random,
    private readonly trace: Trace,
    private readonly deliver: DeliverFn<M>,
    private defaults: LinkConfig,
    private readonly onReset: ResetFn<M> | null = null,
    private readonly onClosed: ClosedFn | null = null,
  ) {
    assertLinkConfig(defaults);
  }

  addNode(name: string): void {
    if (this.nodes.includes(name)) throw new Error(`network: node ${name} added twice`);
    this.nodes.push(name);
  }

  get nodeNames(): readonly string[] {
    return this.nodes;
  }

  /** Overrides the link from `from` to `to` (one direction). */
  configureLink(from: string, to: string, config: LinkConfig): void {
    assertLinkConfig(config);
    this.linkOverrides.set(linkKey(from, to), config);
  }

  send(from: string, to: string, message: M): void {
    const config = this.linkOverrides.size === 0 ? this.defaults : (this.linkOverrides.get(linkKey(from, to)) ?? this.defaults);
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

  /**
   * The OS of `from` answers `message` (from `to`) with a connection reset: the process it was
   * meant for is dead, the machine is not. The reset crosses the network like any packet.
   */
  reset(from: string, to: string, message: M): void {
    const config = this.linkOverrides.size === 0 ? this.defaults : (this.linkOverrides.get(linkKey(from, to)) ?? this.defaults);
    this.schedule({ id: this.nextId++, from, to, message, reset: true }, config);
  }

  /** `from`'s process died: its OS closes the connection to `to` (a FIN crossing the network). */
  close(from: string, to: string): void {
    const config = this.linkOverrides.size === 0 ? this.defaults : (this.linkOverrides.get(linkKey(from, to)) ?? this.defaults);
    this.schedule({ id: this.nextId++, from, to, message: undefined as M, closed: true }, config);
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
    for (const envelope of hold.waiting) this.scheduler.after(0, this.arrive, envelope as Envelope<M>);
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
        hold.waiting.push(envelope);
        return;
      }
    }
    if (envelope.closed === true) {
      this.trace.record(now, { kind: 'net.closed', id: envelope.id, from: envelope.from, to: envelope.to } satisfies NetworkEvent, false);
      this.onClosed?.(envelope.from, envelope.to);
      return;
    }
    if (envelope.reset === true) {
      this.trace.record(now, { kind: 'net.reset', id: envelope.id, from: envelope.from, to: envelope.to, type: typeOf(envelope.message) } satisfies NetworkEvent, false);
      this.onReset?.(envelope.from, envelope.to, envelope.message);
      return;
    }
    this.trace.recordDelivery(now, envelope.id, envelope.from, envelope.to, typeOf(envelope.message));
    this.deliver(envelope.from, envelope.to, envelope.message);
  }
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function typeOf(message: unknown): string {
  // A plain property read: `'type' in message` first would cost as much again, on every delivery.
  const type = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? type : typeof message;
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
