// The consumer half of the Kafka checker: what each consumer group's application processed,
// against the final logs and the group's final committed offsets. Like the log half, a pure
// function of what the run recorded (the trace, through the log half's observer) and of the
// brokers' disks, read at the end, never written.
//
// Online it keeps, per group, where and when each message (producer, seq) was first processed
// and how many times it was processed there (typed arrays beside the ledger's rows), every
// commit the coordinator answered or the application was told about (per group and
// partition), and the first few re-processings and dirty reads with what their stories need.
//
// At the end, per group and partition of its topic, it takes the final committed offset C: the
// last `offset` value for (group, topic, partition) in the final log of the group's
// __consumer_offsets partition (that partition's final leader's log below its high watermark,
// chosen as the log half chooses a data partition's). Then:
//   unprocessed   a message in the final data log at an offset below C the group never processed
//   unconsumed    one at or above C (all of them when nothing was committed) never processed
//   inconsistent  the group processed M at offset X, and the final log holds another record at X
// and online:
//   reprocessed   the group processed one record (message, partition, offset) a second time
//   dirty-read    a record processed at or above the high watermark of the fetch that returned it
//
// Choices where the definitions are silent:
// - "Never processed" means at no offset: a message the producer duplicated, processed at one
//   of its offsets, is neither unprocessed nor unconsumed at the other.
// - unprocessed and unconsumed count once per (group, message), at the first offset met (the
//   topic's partitions in order, offsets ascending); unconsumed is told once per (group,
//   partition) and counts its messages.
// - reprocessed counts once per (group, message), whichever of its (partition, offset) records
//   was processed twice first; a duplicated message processed once at each of its offsets is
//   `duplicated` (the log half's), not reprocessed.
// - A negative high watermark in app.processed is taken as unknown: no dirty read is judged.
// - A read_committed group's dirty read is also a record it processed that the final log shows
//   aborted or undecided (its transaction's marker not below the high watermark), judged at the
//   end; read_uncommitted groups may process those (the `aborted-read` probe counts them). Such
//   records are no messages of the final log: never unprocessed or unconsumed.
// - The consumer side of inconsistent compares each (partition, offset) a group processed a
//   message at with the final log below its high watermark; a hole there (retention) is no
//   disagreement, and an offset the log half counted is not counted again.
// - C is the last value in offset order, even if it moved backwards; the commit that moved it
//   past a message is the first of the final run of stored values above the message's offset.
// - Without `offsetsTopic` in the layout, C is the last offset the coordinator answered NONE for.
// - A group the layout does not name is learnt from its events (its topic: the first it reads).
import type { ProcessEvent, TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { offsetsPartitionFor, type OffsetsTopicValue } from '../kafka/offsets-topic.js';
import { CONSUMER_OFFSETS, type KafkaRecord } from '../kafka/records.js';
import type { AnomalyInstance, AnomalyName } from './anomalies.js';
import {
  CommitHistory, GroupState, MODE_UNKNOWN, modeCode, modeName, SOURCE_APP, SOURCE_COORDINATOR,
  type CommitEntry, type GroupRows,
} from './consumer-state.js';
import {
  consumerConflictStory, dirtyReadStory, reprocessedStory, unconsumedStory, unprocessedStory,
  type ConsumerStoryContext, type GroupFacts, type LastProcessed, type Processing,
} from './consumer-stories.js';
import type { Ledger } from './ledger.js';
import { messageId, type FinalFacts, type StoryContext } from './log-stories.js';
import { STORIES_PER_ANOMALY, type GroupLag } from './outcome.js';
import type { PartitionState } from './partition-state.js';
import { TXN_ABORTED, TXN_COMMITTED, type TransactionOutcomes } from './transactions.js';

/** A consumer group of the scenario. */
export interface GroupLayout {
  readonly name: string;
  /** The topic it subscribes to. */
  readonly topic: string;
  /** Its members' process (node) names, e.g. `billing-1`: faults on them belong to its stories. */
  readonly members: readonly string[];
  /** isolation.level read_committed (KIP-98); absent: read_uncommitted. */
  readonly readCommitted?: boolean;
}

/** Kafka's __consumer_offsets topic: its partition count (offsets.topic.num.partitions) and, if known, its replicas. */
export interface OffsetsTopicLayout {
  readonly partitions: number;
  /** Per partition, the broker ids of its replicas in assignment order (else learnt from events). */
  readonly replicas?: readonly (readonly number[])[];
}

/** What the consumer half uses of the log half while the run goes. */
export interface LogAccess {
  readonly ledger: Ledger;
  /** The ordinal of the trace event being observed (orders events recorded at one time). */
  ordinal(): number;
  partitionOf(topic: string, partition: number): PartitionState;
  /** The partitions of a topic the log half knows, in partition order. */
  partitionsOf(topic: string): readonly PartitionState[];
}

/** A partition's final log, as the log half chose it. */
export interface FinalPartitionLog {
  readonly part: PartitionState;
  readonly view: { readonly highWatermark: number; readonly producer: Int32Array; readonly seq: Int32Array; readonly txn: TransactionOutcomes | null };
  readonly facts: FinalFacts;
}

/** Counts `weight` instances of an anomaly; `instance` (when given) tells one of them, if few are told yet. */
export type AddFinding = (anomaly: AnomalyName, weight: number, instance: (() => Omit<AnomalyInstance, 'anomaly'>) | null) => void;

export interface ConsumerFinishInput {
  readonly ctx: StoryContext;
  /** Indexed by the partition's index. */
  readonly finals: readonly (FinalPartitionLog | undefined)[];
  /** Calls `visit` for each record of a final log below its high watermark, in offset order (transaction markers' control records excepted). */
  forEachFinalRecord(final: FinalPartitionLog, visit: (offset: number, record: KafkaRecord) => void): void;
  readonly add: AddFinding;
}

export interface ConsumerFindings {
  /** Distinct messages at least one group's application processed. */
  readonly processed: number;
  /** (partition, offset) pairs where a group processed a record the final log does not hold there, not counted by the log half. */
  readonly inconsistent: number;
  /** The first few of them, told. */
  readonly inconsistentInstances: readonly AnomalyInstance[];
  /** Each group's lag at the end, in group order. */
  readonly lag: readonly GroupLag[];
}

type ObservedEvent = KafkaEvent | ProcessEvent;

/** A re-processing, kept for its story (the first few only). */
interface Reprocessing {
  readonly group: GroupState;
  readonly producer: number;
  readonly seq: number;
  readonly part: PartitionState;
  readonly first: Processing;
  readonly again: Processing;
  /** The trace ordinal of the re-processing. */
  readonly againOrder: number;
}

type DirtyReadCause = 'above-hw' | 'above-lso' | 'aborted' | 'undecided';

interface DirtyRead {
  readonly group: GroupState;
  readonly producer: string;
  readonly seq: number;
  readonly part: PartitionState;
  readonly processing: Processing;
  readonly highWatermark: number;
  /**
   * above-hw: at or above its fetch's high watermark (`highWatermark`); above-lso: read_committed, at
   * or above its fetch's last stable offset (in `highWatermark`); aborted / undecided: read_committed,
   * and the final log shows its transaction so.
   */
  readonly why: DirtyReadCause;
}

/** A group's committed offsets per partition of its topic, oldest first, and where they were read. */
interface Committed {
  readonly values: Map<number, StoredOffset[]>;
  /** For closing lines: `in the final log of __consumer_offsets-12 (leader b1, …)`. */
  readonly description: string;
  /** `the final log of __consumer_offsets-12`, or '' when read from the coordinator's answers. */
  readonly where: string;
  readonly fromLog: boolean;
}

/** A committed offset as the final __consumer_offsets log holds it (or the coordinator stored it). */
interface StoredOffset {
  readonly offset: number;
  readonly memberId: string;
  readonly generation: number;
  readonly committedUs: number;
}

export class ConsumerChecker {
  private readonly groups = new Map<string, GroupState>();
  /** The last group touched: consecutive app.processed events are mostly one group's. */
  private lastGroup: GroupState | null = null;
  /** Member id → process name, from every event that names both. */
  private readonly memberNames = new Map<string, string>();
  private readonly errorNames: string[] = ['NONE'];
  private readonly errorIndex = new Map<string, number>([['NONE', 0]]);
  private reprocessedCount = 0;
  private readonly reprocessings: Reprocessing[] = [];
  private dirtyReadCount = 0;
  private readonly dirtyReads: DirtyRead[] = [];
  /** Records of aborted or undecided transactions read_uncommitted groups processed (the aborted-read probe). */
  private abortedReadCount = 0;

  constructor(
    private readonly log: LogAccess,
    groups: readonly GroupLayout[],
    private readonly offsetsTopic: OffsetsTopicLayout | undefined,
  ) {
    for (const group of groups) {
      const state = new GroupState(group.name, group.topic, group.members);
      state.readCommitted = group.readCommitted === true;
      this.groups.set(group.name, state);
    }
  }

  /** After finish(): records of aborted or undecided transactions that read_uncommitted groups processed. */
  get abortedReads(): number {
    return this.abortedReadCount;
  }

  get bytes(): number {
    let total = 0;
    for (const group of this.groups.values()) total += group.bytes;
    return total;
  }

  /** Sees every trace event the log half does not follow; a switch on the kind first. */
  observe(atUs: number, event: TraceEvent): void {
    const e = event as ObservedEvent;
    switch (e.kind) {
      case 'app.processed':
        this.onProcessed(atUs, e);
        return;
      case 'group.commit':
        this.onGroupCommit(atUs, e);
        return;
      case 'app.commit':
        this.onAppCommit(atUs, e);
        return;
      case 'app.assigned':
      case 'app.revoked':
      case 'consumer.poll-timeout':
      case 'consumer.join':
        this.noteMember(this.groupOf(e.group, null), e.memberId, e.member);
        return;
      case 'consumer.position':
        this.groupOf(e.group, e.topic).members.add(e.member);
        return;
      default:
        return;
    }
  }

  private groupOf(name: string, topic: string | null): GroupState {
    const last = this.lastGroup;
    if (last !== null && last.name === name && (last.topic !== null || topic === null)) return last;
    let group = this.groups.get(name);
    if (group === undefined) {
      // A group the layout did not name: its topic is the first one it is seen reading.
      group = new GroupState(name, topic, []);
      this.groups.set(name, group);
    }
    if (group.topic === null) group.topic = topic;
    this.lastGroup = group;
    return group;
  }

  private noteMember(group: GroupState, memberId: string, member: string): void {
    group.members.add(member);
    if (memberId !== '' && !this.memberNames.has(memberId)) this.memberNames.set(memberId, member);
  }

  private onProcessed(atUs: number, e: Extract<ObservedEvent, { kind: 'app.processed' }>): void {
    const group = this.groupOf(e.group, e.topic);
    const part = this.log.partitionOf(e.topic, e.partition);
    const session = group.session(e.member, e.generation);
    // A fetch's high watermark is never negative in Kafka; a negative one is taken as unknown, not
    // judged. Under read_committed the bound is the fetch's last stable offset (-1 before 0.11).
    const aboveLso = group.readCommitted && e.lastStableOffset >= 0 && e.offset >= e.lastStableOffset;
    if ((e.offset >= e.highWatermark && e.highWatermark >= 0) || aboveLso) {
      this.dirtyReadCount += 1;
      if (this.dirtyReads.length < STORIES_PER_ANOMALY) {
        const processing = processingOf(atUs, e.member, e.generation, part, e.offset);
        const bound = aboveLso ? { highWatermark: e.lastStableOffset, why: 'above-lso' as const } : { highWatermark: e.highWatermark, why: 'above-hw' as const };
        this.dirtyReads.push({ group, producer: e.producer, seq: e.seq, part, processing, ...bound });
      }
    }
    if (e.seq < 0) return; // not an application message: nothing to follow
    const producer = this.log.ledger.producer(e.producer).index;
    const rows = group.rowsOf(producer);
    const seq = e.seq;
    rows.ensure(seq);
    const first = rows.offset[seq]!;
    if (first === -1) {
      rows.offset[seq] = e.offset;
      rows.part[seq] = part.index;
      rows.firstUs[seq] = atUs;
      rows.session[seq] = session;
      rows.count[seq] = 1;
      return;
    }
    if (first === e.offset && rows.part[seq] === part.index) {
      if (rows.again(seq)) this.onReprocessed(group, rows, producer, seq, part, e.offset, rows.firstUs[seq]!, rows.session[seq]!, atUs, session);
      return;
    }
    // The same message at another (partition, offset): a copy the producer duplicated, or a
    // record that replaced it there. Processing each copy once is no re-processing.
    const key = `${producer}:${seq}:${part.index}:${e.offset}`;
    const other = group.others.get(key);
    if (other === undefined) {
      group.others.set(key, { count: 1, firstUs: atUs, session, producer, seq, part: part.index, offset: e.offset });
      return;
    }
    other.count += 1;
    if (other.count === 2) this.onReprocessed(group, rows, producer, seq, part, e.offset, other.firstUs, other.session, atUs, session);
  }

  /** Counted once per (group, message), whichever of its offsets was processed twice first. */
  private onReprocessed(
    group: GroupState, rows: GroupRows, producer: number, seq: number, part: PartitionState, offset: number,
    firstUs: number, firstSession: number, atUs: number, session: number,
  ): void {
    if (!rows.markReprocessed(seq)) return;
    this.reprocessedCount += 1;
    if (this.reprocessings.length >= STORIES_PER_ANOMALY) return;
    const first = processingOf(firstUs, group.sessionMember[firstSession]!, group.sessionGeneration[firstSession]!, part, offset);
    const again = processingOf(atUs, group.sessionMember[session]!, group.sessionGeneration[session]!, part, offset);
    this.reprocessings.push({ group, producer, seq, part, first, again, againOrder: this.log.ordinal() });
  }

  private onGroupCommit(atUs: number, e: Extract<ObservedEvent, { kind: 'group.commit' }>): void {
    const group = this.groupOf(e.group, null);
    const member = group.memberIdOf(e.memberId);
    const error = this.errorOf(e.error);
    for (const [topic, partition, offset] of e.offsets) {
      const part = this.log.partitionOf(topic, partition);
      group.commitsOf(part.index).add(atUs, this.log.ordinal(), offset, member, e.generation, error, MODE_UNKNOWN, SOURCE_COORDINATOR, e.broker);
    }
  }

  /** The application's side of a commit: its mode goes on the coordinator's answer it matches. */
  private onAppCommit(atUs: number, e: Extract<ObservedEvent, { kind: 'app.commit' }>): void {
    const group = this.groupOf(e.group, null);
    this.noteMember(group, e.memberId, e.member);
    // A member out of the group commits with no member id: its process name tells who it was.
    const member = group.memberIdOf(e.memberId === '' ? e.member : e.memberId);
    const error = this.errorOf(e.error);
    const mode = modeCode(e.mode);
    for (const [topic, partition, offset] of e.offsets) {
      const history = group.commitsOf(this.log.partitionOf(topic, partition).index);
      if (!history.matchApp(offset, member, e.generation, error, mode)) history.add(atUs, this.log.ordinal(), offset, member, e.generation, error, mode, SOURCE_APP, -1);
    }
  }

  private errorOf(name: string): number {
    let index = this.errorIndex.get(name);
    if (index === undefined) {
      index = this.errorNames.length;
      this.errorNames.push(name);
      this.errorIndex.set(name, index);
    }
    return index;
  }

  // ---------------------------------------------------------------- after the settle phase

  finish(input: ConsumerFinishInput): ConsumerFindings {
    const ctx: ConsumerStoryContext = { ...input.ctx, memberOf: (id) => this.memberNames.get(id) ?? id };
    for (const group of this.groups.values()) this.judgeTransactions(input, group);
    this.reportOnline(ctx, input);
    const lag: GroupLag[] = [];
    for (const group of this.groups.values()) {
      const groupLag = this.checkGroup(ctx, input, group);
      if (groupLag !== null) lag.push(groupLag);
    }
    const conflicts = this.findConflicts(ctx, input);
    return { processed: this.countProcessed(), ...conflicts, lag };
  }

  /**
   * Each message the group first processed at an offset whose final record is it, of a transaction
   * the final log shows aborted or undecided: a dirty read under read_committed (Fetcher drops
   * aborted records and never reads past the LSO), an aborted read under read_uncommitted.
   */
  private judgeTransactions(input: ConsumerFinishInput, group: GroupState): void {
    const readCommitted = group.readCommitted;
    group.rows.forEach((rows, p) => {
      if (rows === undefined) return;
      for (let seq = 0; seq < rows.capacity; seq++) {
        const offset = rows.offset[seq]!;
        if (offset < 0) continue;
        const final = input.finals[rows.part[seq]!];
        const txn = final?.view.txn;
        if (final === undefined || txn === null || txn === undefined || offset >= final.view.highWatermark) continue;
        const outcome = txn.status[offset]!;
        if (outcome === TXN_COMMITTED || final.view.producer[offset] !== p || final.view.seq[offset] !== seq) continue;
        if (!readCommitted) {
          this.abortedReadCount += 1;
          continue;
        }
        if (this.dirtyReads.some((d) => d.group === group && d.seq === seq && this.log.ledger.producer(d.producer).index === p)) continue;
        this.dirtyReadCount += 1;
        if (this.dirtyReads.length < STORIES_PER_ANOMALY) {
          const part = final.part;
          const session = rows.session[seq]!;
          const processing = processingOf(rows.firstUs[seq]!, group.sessionMember[session]!, group.sessionGeneration[session]!, part, offset);
          this.dirtyReads.push({ group, producer: this.log.ledger.producers[p]!.name, seq, part, processing, highWatermark: -1, why: outcome === TXN_ABORTED ? 'aborted' : 'undecided' });
        }
      }
    });
  }

  private reportOnline(ctx: ConsumerStoryContext, input: ConsumerFinishInput): void {
    const { add } = input;
    for (const r of this.reprocessings) add('reprocessed', 1, () => this.reprocessedInstance(ctx, r));
    add('reprocessed', this.reprocessedCount - this.reprocessings.length, null);
    for (const d of this.dirtyReads) add('dirty-read', 1, () => this.dirtyReadInstance(ctx, input, d));
    add('dirty-read', this.dirtyReadCount - this.dirtyReads.length, null);
  }

  private reprocessedInstance(ctx: ConsumerStoryContext, r: Reprocessing): Omit<AnomalyInstance, 'anomaly'> {
    const { group, first, again, part } = r;
    const id = messageId(this.log.ledger.producers[r.producer]!.name, r.seq);
    const history = group.commits.get(part.index);
    let lastStored: CommitEntry | null = null;
    const failures: CommitEntry[] = [];
    // Before the re-processing in trace order; failures since the first processing's time. Of
    // a run of stored commits of one offset (a member re-committing the position it started
    // from), the first: the one that set the offset the re-processing started from.
    for (let i = 0; history !== undefined && i < history.length; i++) {
      if (history.orderAt(i) >= r.againOrder) break;
      if (history.isStored(i)) {
        const c = this.entryOf(group, history, i);
        if (lastStored === null || c.offset !== lastStored.offset) lastStored = c;
      } else if (history.usAt(i) >= first.atUs) {
        failures.push(this.entryOf(group, history, i));
      }
    }
    const who = again.member === first.member ? `${again.member} again` : again.member;
    return {
      summary:
        `group ${group.name} processed ${id} (offset ${again.offset} of ${part.name}) twice: ` +
        `${first.member} in generation ${first.generation}, then ${who} in generation ${again.generation}`,
      story: reprocessedStory(ctx, this.factsOf(group), id, first, again, lastStored, failures),
    };
  }

  private dirtyReadInstance(ctx: ConsumerStoryContext, input: ConsumerFinishInput, d: DirtyRead): Omit<AnomalyInstance, 'anomaly'> {
    const id = d.seq < 0 ? `a record of ${d.producer}` : messageId(d.producer, d.seq);
    const offset = d.processing.offset;
    const final = input.finals[d.part.index];
    const facts = final?.facts ?? { description: `the final log of ${d.part.name}`, note: null, replicaNodes: new Set<string>() };
    const now = final === undefined ? 'no record' : this.nameAt(final, offset);
    return {
      summary: d.why === 'above-hw'
        ? `${d.processing.member} (group ${d.group.name}) processed ${id} at offset ${offset} of ${d.part.name}, at or above the high watermark ${d.highWatermark} of its fetch`
        : d.why === 'above-lso'
        ? `${d.processing.member} (group ${d.group.name}, read_committed) processed ${id} at offset ${offset} of ${d.part.name}, at or above the last stable offset ${d.highWatermark} of its fetch`
        : `${d.processing.member} (group ${d.group.name}, read_committed) processed ${id} at offset ${offset} of ${d.part.name}, a record of ${d.why === 'aborted' ? 'an aborted' : 'an undecided'} transaction`,
      story: dirtyReadStory(ctx, d.group.name, id, d.processing, d.highWatermark, d.why, facts, `${facts.description} has ${now} at offset ${offset}${d.why === 'above-hw' || d.why === 'above-lso' ? '' : `, of a transaction ${d.why === 'aborted' ? 'its ABORT marker closes' : 'with no marker below the high watermark'}`}`),
    };
  }

  /** unprocessed and unconsumed, per partition of the group's topic; and the group's lag at the end. */
  private checkGroup(ctx: ConsumerStoryContext, input: ConsumerFinishInput, group: GroupState): GroupLag | null {
    if (group.topic === null) return null;
    const committed = this.committedOf(input, group, group.topic);
    let highWatermarkLag = 0;
    let lastStableLag = 0;
    const lagged: GroupLag['partitions'][number][] = [];
    // One finding per (group, message), whichever of its offsets is met first.
    const met: (Uint8Array | undefined)[] = [];
    for (const part of this.log.partitionsOf(group.topic)) {
      const final = input.finals[part.index];
      if (final === undefined) continue;
      const stored = committed.values.get(part.partition) ?? [];
      const committedOffset = stored.length === 0 ? -1 : stored[stored.length - 1]!.offset;
      const { view } = final;
      const lastStableOffset = view.txn?.lastStableOffset ?? view.highWatermark;
      highWatermarkLag += Math.max(0, view.highWatermark - Math.max(0, committedOffset));
      lastStableLag += Math.max(0, lastStableOffset - Math.max(0, committedOffset));
      lagged.push({
        topic: part.topic, partition: part.partition, committed: committedOffset < 0 ? null : committedOffset, highWatermark: view.highWatermark, lastStableOffset,
      });
      let unconsumed = 0;
      let firstUnconsumed = -1;
      let lastUnconsumed = -1;
      const txn = view.txn?.status;
      for (let offset = 0; offset < view.highWatermark; offset++) {
        const p = view.producer[offset]!;
        if (p < 0) continue;
        if (txn !== undefined && txn[offset] !== TXN_COMMITTED) continue; // aborted or undecided: not a message of the final log
        const seq = view.seq[offset]!;
        if ((group.rows[p]?.processedAt(seq) ?? -1) >= 0) continue;
        let marks = met[p];
        if (marks === undefined) {
          marks = new Uint8Array(this.log.ledger.producers[p]!.capacity);
          met[p] = marks;
        }
        if (marks[seq] !== 0) continue;
        marks[seq] = 1;
        if (offset < committedOffset) {
          input.add('unprocessed', 1, () => this.unprocessedInstance(ctx, group, final, committed.description, stored, p, seq, offset));
        } else {
          unconsumed += 1;
          if (firstUnconsumed < 0) firstUnconsumed = offset;
          lastUnconsumed = offset;
        }
      }
      if (unconsumed === 0) continue;
      input.add('unconsumed', unconsumed, () => {
        const range = firstUnconsumed === lastUnconsumed ? `offset ${firstUnconsumed}` : `offsets ${firstUnconsumed}..${lastUnconsumed}`;
        const from = committedOffset < 0 ? `and the group committed nothing for ${part.name}` : `at or above its committed offset ${committedOffset}`;
        const last = stored.length === 0 ? null : this.storedEntry(group, part, stored[stored.length - 1]!);
        const lost = committed.fromLog ? this.lostCommits(group, part, last) : [];
        const closing = `${unconsumed} ${unconsumed === 1 ? 'message' : 'messages'} of ${final.facts.description} at ${range}, ${from}, were never processed by group ${group.name}`;
        return {
          summary: `group ${group.name} never processed ${unconsumed} ${unconsumed === 1 ? 'message' : 'messages'} of ${part.name} at ${range}, ${from}`,
          story: unconsumedStory(
            ctx, this.factsOf(group), part.topic, part.partition, last, lost, committed.where,
            this.lastProcessedBefore(group, final, firstUnconsumed), firstUnconsumed, closing, final.facts.note,
          ),
        };
      });
    }
    const isolationLevel = group.readCommitted ? 'read_committed' : 'read_uncommitted';
    return { group: group.name, isolationLevel, highWatermarkLag, lastStableLag, partitions: lagged };
  }

  private unprocessedInstance(
    ctx: ConsumerStoryContext, group: GroupState, final: FinalPartitionLog, committedDescription: string,
    stored: readonly StoredOffset[], producer: number, seq: number, offset: number,
  ): Omit<AnomalyInstance, 'anomaly'> {
    const { part } = final;
    const id = messageId(this.log.ledger.producers[producer]!.name, seq);
    // The commit that moved the offset past it for good: the first of the final run of stored
    // offsets above it (offsets can move back, e.g. a member committing an older position).
    let k = stored.length - 1;
    while (k > 0 && stored[k - 1]!.offset > offset) k -= 1;
    const crossing = this.storedEntry(group, part, stored[k]!);
    const previous = k === 0 ? null : stored[k - 1]!.offset;
    const committedOffset = stored[stored.length - 1]!.offset;
    const closing =
      `${id} stands at offset ${offset} of ${final.facts.description}, below group ${group.name}'s committed offset ${committedOffset} ` +
      `(${committedDescription}), and the group's application never processed it`;
    return {
      summary: `group ${group.name} never processed ${id} (offset ${offset} of ${part.name}), below its committed offset ${committedOffset}`,
      story: unprocessedStory(ctx, this.factsOf(group), id, part.topic, part.partition, offset, crossing, previous, this.lastProcessedBefore(group, final, offset), closing, final.facts.note),
    };
  }

  /**
   * The group's stored offsets per partition of `topic`, oldest first, from the final log of its
   * __consumer_offsets partition. Without the offsets topic in the layout, from the commits the
   * coordinator answered NONE (what it stored, whatever became of the offsets log after).
   */
  private committedOf(input: ConsumerFinishInput, group: GroupState, topic: string): Committed {
    const values = new Map<number, StoredOffset[]>();
    const push = (partition: number, value: StoredOffset): void => {
      let list = values.get(partition);
      if (list === undefined) {
        list = [];
        values.set(partition, list);
      }
      list.push(value);
    };
    if (this.offsetsTopic === undefined) {
      for (const part of this.log.partitionsOf(topic)) {
        const history = group.commits.get(part.index);
        for (let i = 0; history !== undefined && i < history.length; i++) {
          if (!history.isStored(i)) continue;
          const c = this.entryOf(group, history, i);
          push(part.partition, { offset: c.offset, memberId: c.memberId, generation: c.generation, committedUs: c.us });
        }
      }
      return { values, description: `as the coordinator last stored it`, where: '', fromLog: false };
    }
    const offsetsPart = this.log.partitionOf(CONSUMER_OFFSETS, offsetsPartitionFor(group.name, this.offsetsTopic.partitions));
    const where = `the final log of ${offsetsPart.name}`;
    const final = input.finals[offsetsPart.index];
    if (final === undefined) return { values, description: `no final log of ${offsetsPart.name}`, where, fromLog: true };
    input.forEachFinalRecord(final, (_offset, record) => {
      const value = record.value as OffsetsTopicValue | undefined;
      if (typeof value !== 'object' || value === null || value.kind !== 'offset') return;
      if (value.group !== group.name || value.topic !== topic) return;
      push(value.partition, value);
    });
    return { values, description: `in ${final.facts.description}`, where, fromLog: true };
  }

  /** The last few commits the coordinator stored after `last` (or at all) that moved past it: gone from the final offsets log. */
  private lostCommits(group: GroupState, part: PartitionState, last: CommitEntry | null): CommitEntry[] {
    const history = group.commits.get(part.index);
    const lost: CommitEntry[] = [];
    for (let i = 0; history !== undefined && i < history.length; i++) {
      if (!history.isStored(i)) continue;
      const c = this.entryOf(group, history, i);
      if (c.source !== SOURCE_COORDINATOR) continue;
      if (last === null || (c.us >= last.us && c.offset > last.offset)) lost.push(c);
    }
    return lost.slice(-3);
  }

  /** A stored offset as a commit entry, with the mode and coordinator of the commit it came from, when matched. */
  private storedEntry(group: GroupState, part: PartitionState, value: StoredOffset): CommitEntry {
    const history = group.commits.get(part.index);
    let match: CommitEntry | null = null;
    for (let i = 0; history !== undefined && i < history.length; i++) {
      if (!history.isStored(i) || history.usAt(i) < value.committedUs) continue;
      const c = this.entryOf(group, history, i);
      if (c.offset === value.offset && c.memberId === value.memberId && c.generation === value.generation) {
        match = c;
        break;
      }
    }
    return {
      us: value.committedUs,
      offset: value.offset,
      memberId: value.memberId,
      generation: value.generation,
      error: 'NONE',
      mode: match?.mode ?? modeName(MODE_UNKNOWN),
      source: SOURCE_COORDINATOR,
      broker: match?.broker ?? -1,
    };
  }

  /**
   * A group processed message M at offset X, and the final log holds another record at X (below
   * its high watermark): once per (partition, offset), leaving out those the log half counted.
   */
  private findConflicts(ctx: ConsumerStoryContext, input: ConsumerFinishInput): Pick<ConsumerFindings, 'inconsistent' | 'inconsistentInstances'> {
    const seen = new Map<number, Set<number>>();
    const instances: AnomalyInstance[] = [];
    let count = 0;
    const check = (group: GroupState, producer: number, seq: number, partIndex: number, offset: number, firstUs: number, session: number): void => {
      const final = input.finals[partIndex];
      if (final === undefined || offset >= final.view.highWatermark) return;
      const held = final.view.producer[offset]!;
      if (held < 0 || (held === producer && final.view.seq[offset] === seq)) return; // a hole (retention) is no disagreement
      if (final.part.inconsistent.has(offset)) return;
      let offsets = seen.get(partIndex);
      if (offsets === undefined) {
        offsets = new Set();
        seen.set(partIndex, offsets);
      }
      if (offsets.has(offset)) return;
      offsets.add(offset);
      count += 1;
      if (instances.length >= STORIES_PER_ANOMALY) return;
      const p = processingOf(firstUs, group.sessionMember[session]!, group.sessionGeneration[session]!, final.part, offset);
      const id = messageId(this.log.ledger.producers[producer]!.name, seq);
      const now = this.nameAt(final, offset);
      instances.push({
        anomaly: 'inconsistent',
        summary: `group ${group.name} processed ${id} at offset ${offset} of ${final.part.name}, where the final log holds ${now}`,
        story: consumerConflictStory(ctx, group.name, id, p, final.facts, `${final.facts.description} holds ${now} at offset ${offset}, where ${p.member} had processed ${id}`),
      });
    };
    for (const group of this.groups.values()) {
      for (let producer = 0; producer < group.rows.length; producer++) {
        const rows = group.rows[producer];
        if (rows === undefined) continue;
        for (let seq = 0; seq < rows.capacity; seq++) {
          const offset = rows.offset[seq]!;
          if (offset >= 0) check(group, producer, seq, rows.part[seq]!, offset, rows.firstUs[seq]!, rows.session[seq]!);
        }
      }
      for (const other of group.others.values()) check(group, other.producer, other.seq, other.part, other.offset, other.firstUs, other.session);
    }
    return { inconsistent: count, inconsistentInstances: instances };
  }

  private countProcessed(): number {
    let total = 0;
    const producers = this.log.ledger.producers.length;
    for (let producer = 0; producer < producers; producer++) {
      const all: GroupRows[] = [];
      let capacity = 0;
      for (const group of this.groups.values()) {
        const rows = group.rows[producer];
        if (rows === undefined) continue;
        all.push(rows);
        capacity = Math.max(capacity, rows.capacity);
      }
      for (let seq = 0; seq < capacity; seq++) if (all.some((rows) => rows.processedAt(seq) >= 0)) total += 1;
    }
    return total;
  }

  /** The group's processing of the nearest record below `offset` in the final log that it processed (looking back a bounded way). */
  private lastProcessedBefore(group: GroupState, final: FinalPartitionLog, offset: number): LastProcessed | null {
    const { view } = final;
    const stop = Math.max(0, offset - 100_000);
    for (let o = Math.min(offset, view.highWatermark) - 1; o >= stop; o--) {
      const p = view.producer[o]!;
      if (p < 0) continue;
      const seq = view.seq[o]!;
      const rows = group.rows[p];
      if (rows === undefined || rows.processedAt(seq) < 0) continue;
      const session = rows.session[seq]!;
      const processing = processingOf(rows.firstUs[seq]!, group.sessionMember[session]!, group.sessionGeneration[session]!, final.part, rows.offset[seq]!);
      return { processing, id: messageId(this.log.ledger.producers[p]!.name, seq) };
    }
    return null;
  }

  private entryOf(group: GroupState, history: CommitHistory, i: number): CommitEntry {
    return history.entry(i, group.memberIds, this.errorNames);
  }

  private factsOf(group: GroupState): GroupFacts {
    return { name: group.name, members: group.members };
  }

  private nameAt(final: FinalPartitionLog, offset: number): string {
    const p = offset < final.view.highWatermark ? final.view.producer[offset]! : -1;
    if (p < 0) return 'no record';
    return messageId(this.log.ledger.producers[p]!.name, final.view.seq[offset]!);
  }
}

function processingOf(atUs: number, member: string, generation: number, part: PartitionState, offset: number): Processing {
  return { atUs, member, generation, topic: part.topic, partition: part.partition, offset };
}

