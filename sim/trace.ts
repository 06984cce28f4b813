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

  constructor(private readonly sink: TraceSink | null = null) {}

  /** Hashes the event at `atUs`; keeps it for stories unless `keep` is false. */
  record<E extends TraceEvent>(atUs: number, event: E, keep = true): void {
    const json = JSON.stringify(event);
    // Field order is the construction order of the event, which is itself deterministic.
    const line = json.length > 2 ? `{"t":${atUs},${json.slice(1)}` : `{"t":${atUs}}`;
    this.fold(line);
    this.eventCount += 1;
    if (keep) this.kept.push({ atUs, event });
    if (this.sink !== null) this.sink(line);
    for (let i = 0; i < this.observers.length; i++) this.observers[i]!(atUs, event);
  }

  /** Adds an observer (an online checker). Observers run in the order added. */
  observe(observer: TraceObserver): void {
    this.observers.push(observer);
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

  private fold(line: string): void {
    let a = this.laneA;
    let b = this.laneB;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      a = Math.imul(a ^ c, FNV_PRIME);
      b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
    }
    // A separator, so that ("ab","c") and ("a","bc") hash differently.
    this.laneA = Math.imul(a ^ 0x0a, FNV_PRIME);
    this.laneB = Math.imul(b ^ 0x0a, 0x5bd1e995) ^ (b >>> 15);
  }
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, '0');
}
