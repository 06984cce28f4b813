// The trace: every structured event of a run, folded into a rolling hash (`traceHash`).
// Same seed, same scenario, same ksim: the same sequence of lines, hence the same hash.
// Events that explain anomalies are also kept in memory; high-volume ones (deliveries) are
// only hashed. Writing every line to a file is opt-in (a sink).

/** A trace event: a plain value with a `kind`; each layer defines its own union of kinds. */
export interface TraceEvent {
  readonly kind: string;
}

export interface TraceRecord {
  readonly atUs: number;
  readonly event: TraceEvent;
}

export type TraceSink = (line: string) => void;

/** A checker's hook: sees every event as it is recorded, kept or not. It must only observe. */
export type TraceObserver = (atUs: number, event: TraceEvent) => void;

// Two independent FNV-1a lanes give a 64-bit hash without BigInt on the hot path.
const FNV_OFFSET_A = 0x811c9dc5;
const FNV_OFFSET_B = 0x01000193 ^ 0x5bd1e995;
const FNV_PRIME = 0x01000193;

export class Trace {
  private laneA = FNV_OFFSET_A;
  private laneB = FNV_OFFSET_B;
  private eventCount = 0;
  private readonly kept: TraceRecord[] = [];
  private readonly observers: TraceObserver[] = [];
  /** Whether a sink writes `net.deliver` events or an observer reads them. */
  private deliveriesSeen: boolean;

  constructor(private readonly sink: TraceSink | null = null) {
    this.deliveriesSeen = sink !== null;
  }

  /** Hashes the event at `atUs`; keeps it for stories unless `keep` is false. */
  record<E extends TraceEvent>(atUs: number, event: E, keep = true): void {
    // The event's field values are folded in as they are, with no JSON on the hot path; field
    // order is the event's construction order, itself deterministic.
    this.foldEvent(atUs, event);
    this.eventCount += 1;
    if (keep) this.kept.push({ atUs, event });
    if (this.sink !== null) {
      const json = JSON.stringify(event);
      this.sink(json.length > 2 ? `{"t":${atUs},${json.slice(1)}` : `{"t":${atUs}}`);
    }
    for (let i = 0; i < this.observers.length; i++) this.observers[i]!(atUs, event);
  }

  /**
   * `record({ kind: 'net.deliver', id, from, to, type }, false)`, the same fold, without making the
   * event when nobody would see it. Deliveries are about half of a run's events, and every
   * checker ignores them.
   */
  recordDelivery(atUs: number, id: number, from: string, to: string, type: string): void {
    if (this.deliveriesSeen) {
      this.record(atUs, { kind: 'net.deliver', id, from, to, type }, false);
      return;
    }
    this.beginEvent(atUs);
    // foldValue's steps for each field, without its switch on the type.
    this.foldInt(2);
    this.foldString('net.deliver');
    this.foldInt(1);
    this.foldNumber(id);
    this.foldInt(2);
    this.foldString(from);
    this.foldInt(2);
    this.foldString(to);
    this.foldInt(2);
    this.foldString(type);
    this.endEvent(this.laneA, this.laneB);
    this.eventCount += 1;
  }

  /**
   * Adds an observer (an online checker). Observers run in the order added. One that does nothing
   * with `net.deliver` events says so (`deliveries: false`): while every observer does, the
   * deliveries are folded into the hash without being made.
   */
  observe(observer: TraceObserver, options: { readonly deliveries?: boolean } = {}): void {
    this.observers.push(observer);
    if (options.deliveries !== false) this.deliveriesSeen = true;
  }

  /** 16 hex digits summarising every event recorded so far, in order. */
  get hash(): string {
    return hex8(this.laneA) + hex8(this.laneB);
  }

  get count(): number {
    return this.eventCount;
  }

  /** The kept events, oldest first. */
  get records(): readonly TraceRecord[] {
    return this.kept;
  }

  /**
   * `foldNumber(atUs)`, `foldValue(event)` and an end-of-event separator, with the lanes in
   * locals and the event's flat fields (strings, integers: nearly all of them) folded in place.
   * This is the hottest loop of a run; the arithmetic, hence the hash, is the general fold's.
   */
  private foldEvent(atUs: number, event: TraceEvent): void {
    this.beginEvent(atUs);
    let a = this.laneA;
    let b = this.laneB;
    for (const key in event) {
      const value = (event as unknown as Record<string, unknown>)[key];
      if (typeof value === 'string') {
        a = mixA(a, 2);
        b = mixB(b, 2);
        for (let i = 0; i < value.length; i++) {
          const c = value.charCodeAt(i);
          a = mixA(a, c);
          b = mixB(b, c);
        }
        a = mixA(a, -1 - value.length);
        b = mixB(b, -1 - value.length);
      } else if (typeof value === 'number' && Number.isInteger(value)) {
        const low = value | 0;
        const high = Math.floor(value / 4294967296) | 0;
        a = mixA(mixA(mixA(a, 1), low), high);
        b = mixB(mixB(mixB(b, 1), low), high);
      } else {
        this.laneA = a;
        this.laneB = b;
        this.foldValue(value);
        a = this.laneA;
        b = this.laneB;
      }
    }
    this.endEvent(a, b);
  }

  /** An event's time and its opening mark (what foldValue folds before an object's values). */
  private beginEvent(atUs: number): void {
    if (Number.isInteger(atUs)) {
      const low = atUs | 0;
      const high = Math.floor(atUs / 4294967296) | 0;
      this.laneA = mixA(mixA(mixA(this.laneA, low), high), 9);
      this.laneB = mixB(mixB(mixB(this.laneB, low), high), 9);
    } else {
      this.foldNumber(atUs);
      this.foldInt(9);
    }
  }

  /** The closing mark and the line separator, from lanes a and b. */
  private endEvent(a: number, b: number): void {
    this.laneA = mixA(mixA(a, 10), 0x0a0a0a0a);
    this.laneB = mixB(mixB(b, 10), 0x0a0a0a0a);
  }

  private foldInt(value: number): void {
    this.laneA = mixA(this.laneA, value);
    this.laneB = mixB(this.laneB, value);
  }

  private foldNumber(value: number): void {
    if (Number.isInteger(value)) {
      this.foldInt(value | 0);
      this.foldInt(Math.floor(value / 4294967296) | 0);
    } else {
      this.foldString(String(value)); // rare: the exact decimal text of a fraction
    }
  }

  private foldString(value: string): void {
    let a = this.laneA;
    let b = this.laneB;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      a = mixA(a, c);
      b = mixB(b, c);
    }
    this.laneA = a;
    this.laneB = b;
    this.foldInt(-1 - value.length); // a separator, so ("ab","c") and ("a","bc") differ
  }

  private foldValue(value: unknown): void {
    switch (typeof value) {
      case 'number':
        this.foldInt(1);
        return this.foldNumber(value);
      case 'string':
        this.foldInt(2);
        return this.foldString(value);
      case 'boolean':
        return this.foldInt(value ? 3 : 4);
      case 'undefined':
        return this.foldInt(5);
      case 'object':
        if (value === null) return this.foldInt(6);
        if (Array.isArray(value)) {
          this.foldInt(7);
          for (const item of value) this.foldValue(item);
          return this.foldInt(8);
        }
        // Values only, in construction order: an event's keys follow from its kind (folded first),
        // and folding every key name again would double the cost of the hottest loop of a run.
        this.foldInt(9);
        for (const key in value) this.foldValue((value as Record<string, unknown>)[key]);
        return this.foldInt(10);
      default:
        throw new Error(`trace: an event holds a ${typeof value}, which has no stable form`);
    }
  }
}

/** One step of lane A: FNV-1a. */
function mixA(lane: number, value: number): number {
  return Math.imul(lane ^ value, FNV_PRIME);
}

/** One step of lane B: FNV-1a with murmur's multiplier and a shift, so the lanes do not track each other. */
function mixB(lane: number, value: number): number {
  return Math.imul(lane ^ value, 0x5bd1e995) ^ (lane >>> 15);
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
