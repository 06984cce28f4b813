// What the consumer half of the checker keeps while the run goes, per consumer group, in typed
// arrays: for each message (ledger producer index, seq) where and when the group first
// processed it and how many times it processed it there; per (group, partition) the commits
// the coordinator answered and the application was told about. Everything else a story needs
// (rebalances, assignments, positions, faults) is a kept trace event, read at the end.

const INITIAL_CAPACITY = 64;

/** A processing count saturates here; the top bit marks "reprocessed already counted". */
const COUNT_MAX = 0x7f;
const COUNTED = 0x80;

/**
 * One producer's messages as one group processed them, indexed by seq (the ledger's rows).
 * 21 bytes a message: first offset and partition, first time, who (a session index), count.
 */
export class GroupRows {
  capacity = 0;
  /** The offset of the first processing, -1: the group never processed it. */
  offset = new Int32Array(0);
  /** The checker's partition index of the first processing. */
  part = new Int32Array(0);
  firstUs = new Float64Array(0);
  /** Who processed it first: an index into the group's sessions (member, generation). */
  session = new Int32Array(0);
  /** Processings at that first (partition, offset), saturating; top bit: reprocessed counted. */
  count = new Uint8Array(0);

  ensure(seq: number): void {
    if (seq < this.capacity) return;
    let capacity = Math.max(INITIAL_CAPACITY, this.capacity);
    while (capacity <= seq) capacity *= 2;
    const offset = new Int32Array(capacity).fill(-1);
    offset.set(this.offset);
    this.offset = offset;
    this.part = grown(this.part, new Int32Array(capacity));
    this.firstUs = grown(this.firstUs, new Float64Array(capacity));
    this.session = grown(this.session, new Int32Array(capacity));
    this.count = grown(this.count, new Uint8Array(capacity));
    this.capacity = capacity;
  }

  processedAt(seq: number): number {
    return seq < this.capacity ? this.offset[seq]! : -1;
  }

  /** Notes one more processing at the first (partition, offset); true when it is the second. */
  again(seq: number): boolean {
    const count = this.count[seq]!;
    const times = count & COUNT_MAX;
    if (times < COUNT_MAX) this.count[seq] = (count & COUNTED) | (times + 1);
    return times === 1;
  }

  /** Marks the message as counted reprocessed; false if it already was (one per group and message). */
  markReprocessed(seq: number): boolean {
    const count = this.count[seq]!;
    if ((count & COUNTED) !== 0) return false;
    this.count[seq] = count | COUNTED;
    return true;
  }

  get bytes(): number {
    return this.offset.byteLength + this.part.byteLength + this.firstUs.byteLength + this.session.byteLength + this.count.byteLength;
  }
}

function grown<T extends Int32Array | Float64Array | Uint8Array>(old: T, fresh: T): T {
  fresh.set(old);
  return fresh;
}

/** A processing of a message at a (partition, offset) other than its first: rare (a duplicate or an inconsistency). */
export interface OtherProcessing {
  count: number;
  readonly firstUs: number;
  readonly session: number;
  readonly producer: number;
  readonly seq: number;
  readonly part: number;
  readonly offset: number;
}

export const SOURCE_COORDINATOR = 0; // a group.commit: what the coordinator answered
export const SOURCE_APP = 1; // an app.commit the coordinator's answer was not matched to

export const MODE_UNKNOWN = 0;
const MODES = ['', 'sync', 'async', 'auto'] as const;
export type CommitMode = (typeof MODES)[number];

export function modeCode(mode: 'sync' | 'async' | 'auto'): number {
  return MODES.indexOf(mode);
}

export function modeName(code: number): CommitMode {
  return MODES[code] ?? '';
}

/** One commit of one partition, as the history holds it. */
export interface CommitEntry {
  readonly us: number;
  readonly offset: number;
  readonly memberId: string;
  readonly generation: number;
  readonly error: string;
  readonly mode: CommitMode;
  readonly source: number;
  /** The coordinator that answered, -1 for an application-side entry. */
  readonly broker: number;
}

/**
 * The commits of one (group, partition), oldest first: each OffsetCommit the coordinator answered
 * (stored or refused), with the mode the application used once its app.commit is matched; an
 * app.commit with no coordinator answer to match (e.g. a timeout) is an entry of its own.
 */
export class CommitHistory {
  length = 0;
  private capacity = 0;
  private us = new Float64Array(0);
  /** The trace ordinal of the event (orders entries and processings recorded at one time). */
  private order = new Float64Array(0);
  private offset = new Float64Array(0);
  private member = new Int32Array(0); // index into the group's member ids
  private generation = new Int32Array(0);
  private broker = new Int32Array(0);
  private error = new Uint8Array(0); // index into the checker's error names; 0 is NONE
  private mode = new Uint8Array(0);
  private source = new Uint8Array(0);

  add(us: number, order: number, offset: number, member: number, generation: number, error: number, mode: number, source: number, broker: number): void {
    if (this.length === this.capacity) this.grow();
    const i = this.length++;
    this.us[i] = us;
    this.order[i] = order;
    this.offset[i] = offset;
    this.member[i] = member;
    this.generation[i] = generation;
    this.error[i] = error;
    this.mode[i] = mode;
    this.source[i] = source;
    this.broker[i] = broker;
  }

  /**
   * Gives the mode to the latest coordinator answer the application's app.commit was about (same
   * member, generation, offset and error, no mode yet), looking back a few entries; false if none.
   */
  matchApp(offset: number, member: number, generation: number, error: number, mode: number): boolean {
    const stop = Math.max(0, this.length - 64);
    for (let i = this.length - 1; i >= stop; i--) {
      if (this.source[i] !== SOURCE_COORDINATOR || this.mode[i] !== MODE_UNKNOWN) continue;
      if (this.offset[i] === offset && this.member[i] === member && this.generation[i] === generation && this.error[i] === error) {
        this.mode[i] = mode;
        return true;
      }
    }
    return false;
  }

  entry(i: number, memberIds: readonly string[], errors: readonly string[]): CommitEntry {
    return {
      us: this.us[i]!,
      offset: this.offset[i]!,
      memberId: memberIds[this.member[i]!] ?? '?',
      generation: this.generation[i]!,
      error: errors[this.error[i]!] ?? '?',
      mode: modeName(this.mode[i]!),
      source: this.source[i]!,
      broker: this.broker[i]!,
    };
  }

  usAt(i: number): number {
    return this.us[i]!;
  }

  orderAt(i: number): number {
    return this.order[i]!;
  }

  isStored(i: number): boolean {
    return this.error[i] === 0;
  }

  private grow(): void {
    const capacity = Math.max(16, this.capacity * 2);
    this.us = grown(this.us, new Float64Array(capacity));
    this.order = grown(this.order, new Float64Array(capacity));
    this.offset = grown(this.offset, new Float64Array(capacity));
    this.member = grown(this.member, new Int32Array(capacity));
    this.generation = grown(this.generation, new Int32Array(capacity));
    this.broker = grown(this.broker, new Int32Array(capacity));
    this.error = grown(this.error, new Uint8Array(capacity));
    this.mode = grown(this.mode, new Uint8Array(capacity));
    this.source = grown(this.source, new Uint8Array(capacity));
    this.capacity = capacity;
  }

  get bytes(): number {
    return this.capacity * (8 + 8 + 8 + 4 + 4 + 4 + 1 + 1 + 1);
  }
}

/** One consumer group as the checker follows it. */
export class GroupState {
  /** Per ledger producer index (rows made on first use). */
  readonly rows: (GroupRows | undefined)[] = [];
  /** Processings at a second (partition, offset) of a message: `${producer}:${seq}:${part}:${offset}`. */
  readonly others = new Map<string, OtherProcessing>();
  /** Per checker partition index. */
  readonly commits = new Map<number, CommitHistory>();
  /** Its members' process names: the layout's, then any seen in events. */
  readonly members: Set<string>;
  readonly memberIds: string[] = [];
  private readonly memberIdIndex = new Map<string, number>();
  /** (member, generation) pairs that processed records; a message keeps the index of its first. */
  readonly sessionMember: string[] = [];
  readonly sessionGeneration: number[] = [];
  private readonly sessionIndex = new Map<string, number>();
  private lastMember = '';
  private lastGeneration = Number.NaN;
  private lastSession = -1;

  /** isolation.level read_committed (the layout's word). */
  readCommitted = false;

  constructor(
    readonly name: string,
    /** The topic it consumes (the layout's, or learnt from its first event). */
    public topic: string | null,
    members: readonly string[],
  ) {
    this.members = new Set(members);
  }

  rowsOf(producer: number): GroupRows {
    let rows = this.rows[producer];
    if (rows === undefined) {
      rows = new GroupRows();
      this.rows[producer] = rows;
    }
    return rows;
  }

  session(member: string, generation: number): number {
    if (member === this.lastMember && generation === this.lastGeneration) return this.lastSession;
    const key = `${member}\u0000${generation}`;
    let index = this.sessionIndex.get(key);
    if (index === undefined) {
      index = this.sessionMember.length;
      this.sessionMember.push(member);
      this.sessionGeneration.push(generation);
      this.sessionIndex.set(key, index);
      this.members.add(member);
    }
    this.lastMember = member;
    this.lastGeneration = generation;
    this.lastSession = index;
    return index;
  }

  memberIdOf(memberId: string): number {
    let index = this.memberIdIndex.get(memberId);
    if (index === undefined) {
      index = this.memberIds.length;
      this.memberIds.push(memberId);
      this.memberIdIndex.set(memberId, index);
    }
    return index;
  }

  commitsOf(part: number): CommitHistory {
    let history = this.commits.get(part);
    if (history === undefined) {
      history = new CommitHistory();
      this.commits.set(part, history);
    }
    return history;
  }

  get bytes(): number {
    let total = 0;
    for (const rows of this.rows) total += rows?.bytes ?? 0;
    for (const history of this.commits.values()) total += history.bytes;
    return total;
  }
}
