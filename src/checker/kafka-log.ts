// The log half of the Kafka checker: a pure function of what the run recorded (the trace, seen
// through an observer) and of the brokers' disks, read, never written.
//
// Online, it keeps the ledger (what each application was told about each message) and, on each
// high-watermark advance of a replica, notes which record that replica holds at each newly
// committed offset: two different records committed at one offset are `inconsistent`, even if
// a later truncation hides one of them from the final logs.
//
// At the end it takes each partition's final log (its final leader's log below that leader's
// high watermark) and finds what the application was told succeeded and is not there (`lost`),
// what stands there twice (`duplicated`) or out of send order (`reordered`), and which live
// replicas disagree with it below the high watermark (`divergent`). A control batch (a
// transaction's COMMIT or ABORT marker) holds no application record: it takes an offset, and
// counts as an identity there for `inconsistent`, but is never a message of the final log.
//
// When the layout names consumer groups, the consumer half (consumer-checker.ts) sees the
// events this half does not follow and, at the end, reads the same final logs: `unprocessed`,
// `reprocessed`, `dirty-read`, `unconsumed`, the consumer side of `inconsistent`, and the
// `processed` count. With no groups it is not made at all: nothing kept, nothing observed.
import type { Disk, DiskFile, ProcessEvent, TraceEvent, World } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { CONSUMER_OFFSETS, hasLog, logFile, nextOffset, type KafkaRecord, type RecordBatch } from '../kafka/records.js';
import { ANOMALY_NAMES, zeroCounts, type AnomalyInstance, type AnomalyName, type StoryLine } from './anomalies.js';
import { ConsumerChecker, type AddFinding, type FinalPartitionLog, type GroupLayout, type OffsetsTopicLayout } from './consumer-checker.js';
import { Ledger, STATE_ACKED, STATE_FAILED, STATE_NONE, type ProducerLedger } from './ledger.js';
import {
  duplicatedStory, lostStory, messageId, partitionStory, reorderedStory,
  type FinalFacts, type MessageFacts, type StoryContext,
} from './log-stories.js';
import { STORIES_PER_ANOMALY, type CheckOutcome } from './outcome.js';
import { firstBatchEndingAfter, logEndOffset, PartitionState, type Conflict, type RecordRef, type ReplicaState } from './partition-state.js';

export type { CheckOutcome } from './outcome.js';

/** The cluster's shape, as the scenario made it. */
export interface KafkaLayout {
  readonly topics: readonly {
    readonly name: string;
    readonly partitions: number;
    /** Per partition, the broker ids of its replicas in assignment order. */
    readonly replicas: readonly (readonly number[])[];
  }[];
  /** A broker id's node name: 1 → `b1`. */
  readonly brokerNode: (id: number) => string;
  /** The scenario's consumer groups; none (or absent): no consumer half, processed 0. */
  readonly groups?: readonly GroupLayout[];
  /**
   * __consumer_offsets (offsets.topic.num.partitions, and its replicas if known), where a group's
   * final committed offsets are read; absent, they are the last the coordinator said it stored.
   */
  readonly offsetsTopic?: OffsetsTopicLayout;
}

type ObservedEvent = KafkaEvent | ProcessEvent;

/** What the checker touches of the world: any `World<M>` fits (the members used do not involve M). */
export type CheckedWorld = Pick<World<unknown>, 'trace' | 'nodeNames' | 'disk' | 'state' | 'now'>;

/** A replica's log below its high watermark, one identity per offset (-1: no record there). */
interface LogView {
  readonly broker: number;
  readonly highWatermark: number; // its last reported one, clamped to its log end
  readonly producer: Int32Array; // ledger producer index
  readonly seq: Int32Array;
}

interface FinalLog {
  readonly part: PartitionState;
  readonly view: LogView;
  readonly sourceIndex: number; // in part.replicas, -1 when the partition has none
  readonly facts: FinalFacts;
}

/** A replica's log file as the checker reads it online, and where its next read likely starts. */
interface ReplicaLog {
  readonly file: DiskFile<RecordBatch>;
  nextBatch: number;
}

type Report = (anomaly: AnomalyName, instance: () => Omit<AnomalyInstance, 'anomaly'>) => void;

const EMPTY_VIEW: LogView = { broker: -1, highWatermark: 0, producer: new Int32Array(0), seq: new Int32Array(0) };

export class LogChecker {
  private readonly ledger = new Ledger();
  private readonly partitions: PartitionState[] = [];
  private readonly topics = new Map<string, PartitionState[]>();
  private readonly brokerOfNode = new Map<string, number>();
  /** The first few inconsistencies, for stories; every one is counted in its partition's set. */
  private readonly conflicts: Conflict[] = [];
  /** Acknowledged messages found at the end on a final log above its high watermark (see findLost). */
  private unreadableAtEnd = 0;
  private readonly consumers: ConsumerChecker | null = null;
  private readonly logs = new Map<ReplicaState, ReplicaLog>();
  private lastRow: ProducerLedger | null = null;

  constructor(
    private readonly world: CheckedWorld,
    private readonly layout: KafkaLayout,
  ) {
    for (const topic of layout.topics) {
      for (let p = 0; p < topic.partitions; p++) {
        const part = this.partitionOf(topic.name, p);
        for (const broker of topic.replicas[p] ?? []) this.replicaOf(part, broker);
      }
    }
    const groups = layout.groups ?? [];
    if (groups.length > 0) {
      const offsets = layout.offsetsTopic;
      for (let p = 0; offsets !== undefined && p < offsets.partitions; p++) {
        const part = this.partitionOf(CONSUMER_OFFSETS, p);
        for (const broker of offsets.replicas?.[p] ?? []) this.replicaOf(part, broker);
      }
      const access = {
        ledger: this.ledger,
        ordinal: () => world.trace.count,
        partitionOf: (topic: string, partition: number) => this.partitionOf(topic, partition),
        partitionsOf: (topic: string) => (this.topics.get(topic) ?? []).filter((part): part is PartitionState => part !== undefined),
      };
      this.consumers = new ConsumerChecker(access, groups, offsets);
    }
    world.trace.observe((atUs, event) => this.observe(atUs, event), { deliveries: false });
  }

  /** After finish(): acknowledged messages kept on a final log above its high watermark, so unreadable at the end. */
  acknowledgedAboveHighWatermark(): number {
    return this.unreadableAtEnd;
  }

  /** Bytes held in the checker's typed arrays (the ledger and the committed identities). */
  retainedBytes(): number {
    let total = this.ledger.bytes;
    for (const part of this.partitions) total += part.committed.bytes;
    if (this.consumers !== null) total += this.consumers.bytes;
    return total;
  }

  // Runs on every trace event of the run: a switch on the kind first, nothing allocated for
  // the kinds it does not follow.
  private observe(atUs: number, event: TraceEvent): void {
    // A third of all events are deliveries, and many are appends: neither half follows them.
    if (event.kind === 'net.deliver' || event.kind === 'log.append') return;
    const e = event as ObservedEvent;
    switch (e.kind) {
      case 'app.send':
        this.ledger.send(atUs, e.producer, e.seq, e.key, this.partitionOf(e.topic, e.partition).index);
        return;
      case 'app.ack':
        this.ledger.ack(atUs, e.producer, e.seq, this.partitionOf(e.topic, e.partition).index, e.offset);
        return;
      case 'app.fail':
        // A send that failed before it had a partition (MAX_BLOCK_TIMEOUT) belongs to none.
        this.ledger.fail(e.producer, e.seq, e.partition < 0 ? -1 : this.partitionOf(e.topic, e.partition).index);
        return;
      case 'hw':
        this.onHighWatermark(atUs, e.broker, this.partitionOf(e.topic, e.partition), e.highWatermark);
        return;
      case 'truncate': {
        const replica = this.replicaOf(this.partitionOf(e.topic, e.partition), e.broker);
        replica.cursor = Math.min(replica.cursor, e.toOffset);
        // A log cut below its high watermark takes the high watermark with it (Log.truncateTo).
        replica.highWatermark = Math.min(replica.highWatermark, e.toOffset);
        return;
      }
      case 'election': {
        const part = this.partitionOf(e.topic, e.partition);
        this.replicaOf(part, e.leader);
        part.leader = e.leader;
        part.leaderEpoch = e.leaderEpoch;
        part.offline = false;
        return;
      }
      case 'leader': {
        const part = this.partitionOf(e.topic, e.partition);
        this.replicaOf(part, e.broker);
        // A broker taking the lead it was given; a stale epoch (a late LeaderAndIsr) changes nothing.
        if (e.leaderEpoch > part.leaderEpoch || (e.leaderEpoch === part.leaderEpoch && !part.offline)) {
          part.leader = e.broker;
          part.leaderEpoch = e.leaderEpoch;
          part.offline = false;
        }
        return;
      }
      case 'controller.isr': {
        // The controller shrank the ISR: same leader, a new leader epoch.
        const part = this.partitionOf(e.topic, e.partition);
        if (e.leader >= 0 && e.leaderEpoch >= part.leaderEpoch && !part.offline) {
          part.leader = e.leader;
          part.leaderEpoch = e.leaderEpoch;
        }
        return;
      }
      case 'topic.created':
        for (const [partition, replicas] of e.assignment.entries()) {
          const part = this.partitionOf(e.topic, partition);
          for (const broker of replicas) this.replicaOf(part, broker);
        }
        return;
      case 'offline': {
        const part = this.partitionOf(e.topic, e.partition);
        part.offline = true;
        part.offlineAtUs = atUs;
        return;
      }
      case 'proc.power':
        this.onPowerLoss(e.node);
        return;
      default:
        if (this.consumers !== null) this.consumers.observe(atUs, event);
        return;
    }
  }

  /** Reads the replica's newly committed offsets and notes which record stands at each. */
  private onHighWatermark(atUs: number, broker: number, part: PartitionState, highWatermark: number): void {
    const replica = this.replicaOf(part, broker);
    replica.highWatermark = highWatermark;
    if (highWatermark <= replica.cursor) return;
    const log = this.logOf(part, replica);
    if (log === null) return;
    const file = log.file;
    const from = replica.cursor;
    // A high watermark past the log end (never in Kafka) is read as far as the log goes.
    const until = Math.min(highWatermark, logEndOffset(file));
    if (until <= from) return;
    part.committed.ensure(until - 1);
    let i = batchEndingAfter(file, from, log.nextBatch);
    for (; i < file.length; i++) {
      const batch = file.at(i);
      if (batch.baseOffset >= until) break;
      const records = batch.records;
      for (let j = 0; j < records.length; j++) {
        const offset = batch.baseOffset + j;
        if (offset < from) continue;
        if (offset >= until) break;
        this.commit(atUs, part, offset, records[j]!, replica);
      }
    }
    // The next read most likely starts in the batch where this one stopped.
    log.nextBatch = i > 0 && nextOffset(file.at(i - 1)) > until ? i - 1 : i;
    replica.cursor = until;
  }

  /** The replica's log file, once it exists (a log file, once made, stays the same object). */
  private logOf(part: PartitionState, replica: ReplicaState): ReplicaLog | null {
    const known = this.logs.get(replica);
    if (known !== undefined) return known;
    const disk = this.diskOf(replica);
    if (disk === null || !hasLog(disk, part.topic, part.partition)) return null;
    const log: ReplicaLog = { file: logFile(disk, part.topic, part.partition), nextBatch: 0 };
    this.logs.set(replica, log);
    return log;
  }

  private commit(atUs: number, part: PartitionState, offset: number, record: KafkaRecord, replica: ReplicaState): void {
    // Runs for every record each replica commits; consecutive records mostly share a producer.
    let row = this.lastRow;
    if (row === null || row.name !== record.producer) row = this.lastRow = this.ledger.producer(record.producer);
    const committed = part.committed;
    const held = committed.producer[offset]!;
    if (held === -1) {
      committed.producer[offset] = row.index;
      committed.seq[offset] = record.seq;
      committed.by[offset] = replica.broker;
      if (record.seq >= 0) {
        row.ensure(record.seq);
        if (row.committedAt[record.seq] === -1) row.committedAt[record.seq] = offset;
      }
      return;
    }
    if (held === row.index && committed.seq[offset] === record.seq) return;
    const first: RecordRef = { producer: this.ledger.producers[held]!.name, seq: committed.seq[offset]!, broker: committed.by[offset]!, highWatermark: -1 };
    const second: RecordRef = { producer: record.producer, seq: record.seq, broker: replica.broker, highWatermark: replica.highWatermark };
    this.noteConflict({ partition: part, atUs, offset, first, second, where: 'online' });
  }

  private noteConflict(conflict: Conflict): void {
    const inconsistent = conflict.partition.inconsistent;
    if (inconsistent.has(conflict.offset)) return;
    inconsistent.add(conflict.offset);
    if (this.conflicts.length < STORIES_PER_ANOMALY) this.conflicts.push(conflict);
  }

  /** A power loss shortened the node's logs: what it read past the new ends must be read again. */
  private onPowerLoss(node: string): void {
    const broker = this.brokerOfNode.get(node);
    if (broker === undefined) return;
    for (const part of this.partitions) {
      const replica = part.replica(broker);
      const disk = replica === undefined ? null : this.diskOf(replica);
      if (replica === undefined || disk === null || !hasLog(disk, part.topic, part.partition)) continue;
      replica.cursor = Math.min(replica.cursor, logEndOffset(logFile(disk, part.topic, part.partition)));
    }
  }

  private partitionOf(topic: string, partition: number): PartitionState {
    let parts = this.topics.get(topic);
    if (parts === undefined) {
      parts = [];
      this.topics.set(topic, parts);
    }
    const known = parts[partition];
    if (known !== undefined) return known;
    // A partition the layout did not name (partitions added during the run): learnt from events.
    const part = new PartitionState(this.partitions.length, topic, partition);
    this.partitions.push(part);
    parts[partition] = part;
    return part;
  }

  private replicaOf(part: PartitionState, broker: number): ReplicaState {
    const known = part.replica(broker);
    if (known !== undefined) return known;
    const node = this.layout.brokerNode(broker);
    const replica: ReplicaState = { broker, node, cursor: 0, highWatermark: 0, disk: null };
    part.replicas.push(replica);
    this.brokerOfNode.set(node, broker);
    return replica;
  }

  private diskOf(replica: ReplicaState): Disk | null {
    if (replica.disk === null && this.world.nodeNames.includes(replica.node)) replica.disk = this.world.disk(replica.node);
    return replica.disk;
  }

  private isUp(node: string): boolean {
    return this.world.nodeNames.includes(node) && this.world.state(node) === 'up';
  }

  // ---------------------------------------------------------------- after the settle phase

  finish(): CheckOutcome {
    const anomalies = zeroCounts();
    const instances: AnomalyInstance[] = [];
    const told = zeroCounts();
    const add: AddFinding = (anomaly, weight, instance) => {
      anomalies[anomaly] += weight;
      if (instance === null || told[anomaly] >= STORIES_PER_ANOMALY) return;
      told[anomaly] += 1;
      instances.push({ anomaly, ...instance() });
    };
    const report: Report = (anomaly, instance) => add(anomaly, 1, instance);
    const ctx: StoryContext = { records: this.world.trace.records, endUs: this.world.now(), node: (id) => this.layout.brokerNode(id) };
    // Reading every view first makes the ledger cover every record in them.
    const views = this.partitions.map((part) => part.replicas.map((replica) => this.readView(part, replica)));
    const finals = this.partitions.map((part, i) => this.finalOf(part, views[i]!));
    const occurrences = this.ledger.producers.map((row) => new Uint8Array(row.capacity));
    let inLog = 0;
    const deferred: (() => void)[] = [];
    for (const final of finals) inLog += this.walkFinal(ctx, final, occurrences, report, deferred);
    for (const final of finals) this.compareReplicas(ctx, final, views[final.part.index]!, report, deferred);
    this.findLost(ctx, finals, occurrences, report);
    for (const run of deferred) run();
    // After every replica comparison: the consumer half leaves out the offsets counted above.
    const forEachFinalRecord = (final: FinalPartitionLog, visit: (offset: number, record: KafkaRecord) => void): void =>
      this.forEachFinalRecord(finals[final.part.index]!, visit);
    const consumed = this.consumers === null ? null : this.consumers.finish({ ctx, finals, forEachFinalRecord, add });
    let inconsistent = consumed?.inconsistent ?? 0;
    for (const part of this.partitions) inconsistent += part.inconsistent.size;
    anomalies.inconsistent = inconsistent;
    for (const conflict of this.conflicts) instances.push(this.conflictInstance(ctx, conflict, finals[conflict.partition.index]!));
    if (consumed !== null) instances.push(...consumed.inconsistentInstances.slice(0, Math.max(0, STORIES_PER_ANOMALY - this.conflicts.length)));
    const order: readonly string[] = ANOMALY_NAMES;
    instances.sort((a, b) => order.indexOf(a.anomaly) - order.indexOf(b.anomaly));
    const messages = {
      sent: this.ledger.sent,
      acked: this.ledger.count(STATE_ACKED),
      failed: this.ledger.count(STATE_FAILED),
      inLog,
      processed: consumed?.processed ?? 0,
    };
    return { anomalies, instances, messages };
  }

  /** The replica's log below its last high watermark (clamped to its log end). */
  private readView(part: PartitionState, replica: ReplicaState): LogView {
    const disk = this.diskOf(replica);
    if (disk === null || !hasLog(disk, part.topic, part.partition)) return { ...EMPTY_VIEW, broker: replica.broker };
    const file = logFile(disk, part.topic, part.partition);
    const highWatermark = Math.max(0, Math.min(replica.highWatermark, logEndOffset(file)));
    const producer = new Int32Array(highWatermark).fill(-1);
    const seq = new Int32Array(highWatermark).fill(-1);
    for (let i = 0; i < file.length; i++) {
      const batch = file.at(i);
      if (batch.baseOffset >= highWatermark) break;
      if (batch.control !== undefined) continue; // a transaction marker: no application record
      for (let j = 0; j < batch.records.length; j++) {
        const offset = batch.baseOffset + j;
        const record = batch.records[j]!;
        if (offset >= highWatermark) break;
        if (offset < 0 || record.seq < 0) continue;
        const row = this.ledger.producer(record.producer);
        row.ensure(record.seq);
        producer[offset] = row.index;
        seq[offset] = record.seq;
      }
    }
    return { broker: replica.broker, highWatermark, producer, seq };
  }

  /** Each record of the final log's source replica below the final high watermark, in offset order. */
  private forEachFinalRecord(final: FinalLog, visit: (offset: number, record: KafkaRecord) => void): void {
    const replica = final.part.replicas[final.sourceIndex];
    const disk = replica === undefined ? null : this.diskOf(replica);
    if (disk === null || !hasLog(disk, final.part.topic, final.part.partition)) return;
    const file = logFile(disk, final.part.topic, final.part.partition);
    const highWatermark = final.view.highWatermark;
    for (let i = 0; i < file.length; i++) {
      const batch = file.at(i);
      if (batch.baseOffset >= highWatermark) break;
      if (batch.control !== undefined) continue;
      for (let j = 0; j < batch.records.length && batch.baseOffset + j < highWatermark; j++) visit(batch.baseOffset + j, batch.records[j]!);
    }
  }

  /**
   * The final leader's view; with no leader at the end (offline), the replica with the highest
   * high watermark, which the stories say.
   */
  private finalOf(part: PartitionState, views: readonly LogView[]): FinalLog {
    const replicaNodes = new Set(part.replicas.map((r) => r.node));
    const led = !part.offline && part.leader >= 0;
    let sourceIndex = led ? part.replicas.findIndex((r) => r.broker === part.leader) : -1;
    if (!led) {
      for (let i = 0; i < views.length; i++) if (sourceIndex < 0 || views[i]!.highWatermark > views[sourceIndex]!.highWatermark) sourceIndex = i;
    }
    const view = views[sourceIndex] ?? EMPTY_VIEW;
    const source = part.replicas[sourceIndex];
    if (source === undefined) {
      const facts = { description: `the final log of ${part.name} (no replica of it is known)`, note: null, replicaNodes };
      return { part, view, sourceIndex, facts };
    }
    if (led) {
      const description = `the final log of ${part.name} (leader ${source.node}, epoch ${part.leaderEpoch}, high watermark ${view.highWatermark})`;
      return { part, view, sourceIndex, facts: { description, note: null, replicaNodes } };
    }
    const why = part.offline
      ? `${part.name} is offline at the end (last leader ${this.layout.brokerNode(part.leader)}, epoch ${part.leaderEpoch})`
      : `${part.name} never had a leader elected`;
    const note: StoryLine = {
      atUs: part.offline ? part.offlineAtUs : 0,
      text: `${why}: with no leader to read, its final log is ${source.node}'s, the replica with the highest high watermark (${view.highWatermark})`,
    };
    const description = `the final log of ${part.name} (no leader; ${source.node}'s, high watermark ${view.highWatermark})`;
    return { part, view, sourceIndex, facts: { description, note, replicaNodes } };
  }

  /** Counts the distinct messages of one final log; finds duplicates and send-order breaks. */
  private walkFinal(ctx: StoryContext, final: FinalLog, occurrences: Uint8Array[], report: Report, deferred: (() => void)[]): number {
    const { view, part } = final;
    const producers = this.ledger.producers;
    // Per producer, the highest seq among first occurrences so far, and where it stands.
    const highestSeq = new Int32Array(producers.length).fill(-1);
    const highestAt = new Int32Array(producers.length);
    let distinct = 0;
    for (let offset = 0; offset < view.highWatermark; offset++) {
      const p = view.producer[offset]!;
      if (p < 0) continue;
      const seq = view.seq[offset]!;
      const seen = occurrences[p]!;
      const count = seen[seq]!;
      if (count < 255) seen[seq] = count + 1;
      if (count === 1) {
        // Reported at the end: its story lists every offset it stands at.
        deferred.push(() => report('duplicated', () => this.duplicatedInstance(ctx, final, producers[p]!, seq)));
      }
      if (count !== 0) continue;
      distinct += 1;
      // A message's first copy standing after a higher seq of its producer breaks send order;
      // later copies are duplicates, counted as such and not again as reordered.
      if (seq < highestSeq[p]!) {
        const higherSeq = highestSeq[p]!;
        const higherAt = highestAt[p]!;
        report('reordered', () => {
          const m = this.factsOf(producers[p]!, seq, part);
          const higher = this.factsOf(producers[p]!, higherSeq, part);
          return {
            summary: `${messageId(m.producer, seq)} stands at offset ${offset}, after ${messageId(m.producer, higherSeq)} at offset ${higherAt}, in the final log of ${part.name}`,
            story: reorderedStory(ctx, m, offset, higher, higherAt, final.facts),
          };
        });
      } else {
        highestSeq[p] = seq;
        highestAt[p] = offset;
      }
    }
    return distinct;
  }

  private duplicatedInstance(ctx: StoryContext, final: FinalLog, row: ProducerLedger, seq: number): Omit<AnomalyInstance, 'anomaly'> {
    const offsets: number[] = [];
    const { view } = final;
    for (let o = 0; o < view.highWatermark; o++) if (view.producer[o] === row.index && view.seq[o] === seq) offsets.push(o);
    const m = this.factsOf(row, seq, final.part);
    return {
      summary: `${messageId(row.name, seq)} stands at ${offsets.length} offsets (${offsets.join(', ')}) of the final log of ${final.part.name}`,
      story: duplicatedStory(ctx, m, final.facts, offsets),
    };
  }

  /**
   * Replicas' final logs against each other (inconsistent: two records at one offset below both
   * high watermarks) and live replicas against the final log (divergent).
   */
  private compareReplicas(ctx: StoryContext, final: FinalLog, views: readonly LogView[], report: Report, deferred: (() => void)[]): void {
    const { part } = final;
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) {
        const va = views[a]!;
        const vb = views[b]!;
        const offset = firstDifference(va, vb, 0);
        for (let o = offset; o >= 0; o = firstDifference(va, vb, o + 1)) {
          const first = this.refOf(va, o);
          const second = this.refOf(vb, o);
          this.noteConflict({ partition: part, atUs: ctx.endUs, offset: o, first, second, where: 'final' });
        }
      }
    }
    for (let i = 0; i < views.length; i++) {
      const replica = part.replicas[i]!;
      if (i === final.sourceIndex || !this.isUp(replica.node)) continue;
      const view = views[i]!;
      const first = firstDifference(view, final.view, 0);
      if (first < 0) continue;
      let differing = 0;
      for (let o = first; o >= 0; o = firstDifference(view, final.view, o + 1)) differing += 1;
      const below = Math.min(view.highWatermark, final.view.highWatermark);
      deferred.push(() =>
        report('divergent', () => {
          const source = part.replicas[final.sourceIndex]!.node;
          const text =
            `${replica.node}'s log of ${part.name} (high watermark ${view.highWatermark}) disagrees with ${final.facts.description} ` +
            `at ${differing} offsets below ${below}; first at offset ${first}: ${replica.node} has ${this.nameAt(view, first)}, ${source} has ${this.nameAt(final.view, first)}`;
          return {
            summary: `at the end ${replica.node}'s log of ${part.name} disagrees with ${source}'s at ${differing} offsets below the high watermark ${below}`,
            story: partitionStory(ctx, part.topic, part.partition, ctx.endUs, final.facts, { atUs: ctx.endUs, text }),
          };
        }),
      );
    }
  }

  /**
   * Told success, and in no final log; unless retention or compaction removed it after it was
   * committed, or it still stands on the final log above its high watermark: kept, but no consumer
   * can read it when the run ends (a leader holding its high watermark, or an ISR that never grew
   * back). That is counted apart (`unreadableAtEnd`, the probe acked-above-high-watermark), not as
   * `lost`: nothing removed it.
   */
  private findLost(ctx: StoryContext, finals: readonly FinalLog[], occurrences: readonly Uint8Array[], report: Report): void {
    const above = new Map<number, Set<string>>(); // per partition index: producer#seq on its final log above the high watermark
    for (const row of this.ledger.producers) {
      const seen = occurrences[row.index]!;
      for (let seq = 0; seq <= row.highestSeq; seq++) {
        if (row.state[seq] !== STATE_ACKED || seen[seq] !== 0) continue;
        const final = finals[row.partition[seq]!];
        const committedAt = row.committedAt[seq]!;
        // A hole below the high watermark where it was committed: removed, not lost.
        if (final !== undefined && committedAt >= 0 && committedAt < final.view.highWatermark && final.view.producer[committedAt] === -1) continue;
        if (final !== undefined && this.aboveHighWatermark(final, above).has(`${row.name}#${seq}`)) {
          this.unreadableAtEnd += 1;
          continue;
        }
        report('lost', () => this.lostInstance(ctx, row, seq, final));
      }
    }
  }

  /** The records of the final log's source replica at or above its high watermark, as producer#seq. */
  private aboveHighWatermark(final: FinalLog, cache: Map<number, Set<string>>): Set<string> {
    let set = cache.get(final.part.index);
    if (set !== undefined) return set;
    set = new Set();
    cache.set(final.part.index, set);
    const replica = final.part.replicas[final.sourceIndex];
    const disk = replica === undefined ? null : this.diskOf(replica);
    if (disk === null || !hasLog(disk, final.part.topic, final.part.partition)) return set;
    const file = logFile(disk, final.part.topic, final.part.partition);
    const highWatermark = final.view.highWatermark;
    for (let i = file.length - 1; i >= 0; i--) {
      const batch = file.at(i);
      if (nextOffset(batch) <= highWatermark) break;
      if (batch.control !== undefined) continue;
      for (let j = 0; j < batch.records.length; j++) {
        const record = batch.records[j]!;
        if (batch.baseOffset + j >= highWatermark && record.seq >= 0) set.add(`${record.producer}#${record.seq}`);
      }
    }
    return set;
  }

  private lostInstance(ctx: StoryContext, row: ProducerLedger, seq: number, final: FinalLog | undefined): Omit<AnomalyInstance, 'anomaly'> {
    const id = messageId(row.name, seq);
    const m = this.factsOf(row, seq, final?.part);
    const tp = final?.part.name ?? 'its partition';
    if (final === undefined) return { summary: `${id} was acknowledged and its partition is unknown`, story: [] };
    const offset = m.ackOffset;
    const { view } = final;
    let closing: string;
    if (offset < 0) closing = `${final.facts.description} does not hold ${id} at any offset`;
    else if (offset < view.highWatermark && view.producer[offset]! >= 0) closing = `${final.facts.description} has ${this.nameAt(view, offset)} at offset ${offset}`;
    else closing = `${final.facts.description} has no record at offset ${offset} from ${id}`;
    const at = offset >= 0 ? ` at offset ${offset}` : ' (acks=0)';
    return { summary: `${id} was acknowledged${at} and is not in the final log of ${tp}`, story: lostStory(ctx, m, final.facts, closing) };
  }

  private conflictInstance(ctx: StoryContext, conflict: Conflict, final: FinalLog): AnomalyInstance {
    const { partition: part, offset, first, second } = conflict;
    const b = (id: number): string => this.layout.brokerNode(id);
    const firstId = messageId(first.producer, first.seq);
    const secondId = messageId(second.producer, second.seq);
    const text =
      conflict.where === 'online'
        ? `${b(second.broker)} holds ${secondId} at offset ${offset} of ${part.name} below its high watermark ${second.highWatermark}, ` +
          `where ${b(first.broker)} had held ${firstId} below its high watermark: two records committed at one offset`
        : `at the end ${b(first.broker)} holds ${firstId} and ${b(second.broker)} holds ${secondId} at offset ${offset} of ${part.name}, ` +
          `below both their high watermarks (${first.highWatermark} and ${second.highWatermark})`;
    return {
      anomaly: 'inconsistent',
      summary: `two different records at offset ${offset} of ${part.name}: ${firstId} (${b(first.broker)}) and ${secondId} (${b(second.broker)})`,
      story: partitionStory(ctx, part.topic, part.partition, conflict.atUs, final.facts, { atUs: conflict.atUs, text }),
    };
  }

  private factsOf(row: ProducerLedger, seq: number, part: PartitionState | undefined): MessageFacts {
    const state = row.state[seq]!;
    const sent = state !== STATE_NONE;
    const acked = state === STATE_ACKED;
    return {
      producer: row.name,
      seq,
      topic: part?.topic ?? '?',
      partition: part?.partition ?? -1,
      key: this.ledger.keyName(row.key[seq]!),
      sendUs: sent ? row.sendUs[seq]! : null,
      ackUs: acked ? row.ackUs[seq]! : null,
      ackOffset: row.ackOffset[seq]!,
    };
  }

  private refOf(view: LogView, offset: number): RecordRef {
    const row = this.ledger.producers[view.producer[offset]!]!;
    return { producer: row.name, seq: view.seq[offset]!, broker: view.broker, highWatermark: view.highWatermark };
  }

  private nameAt(view: LogView, offset: number): string {
    const p = view.producer[offset];
    if (p === undefined || p < 0) return 'no record';
    return messageId(this.ledger.producers[p]!.name, view.seq[offset]!);
  }
}

/** The first offset ≥ `from`, below both high watermarks, where both views hold different records; -1 if none. */
function firstDifference(a: LogView, b: LogView, from: number): number {
  const limit = Math.min(a.highWatermark, b.highWatermark);
  for (let o = from; o < limit; o++) {
    const pa = a.producer[o]!;
    const pb = b.producer[o]!;
    if (pa < 0 || pb < 0) continue; // a hole (retention, compaction) on either side is no disagreement
    if (pa !== pb || a.seq[o] !== b.seq[o]) return o;
  }
  return -1;
}

/**
 * Index of the first batch that ends after `offset`: `hint` when it is that batch (reads go
 * forward, mostly from where the last one stopped), else by binary search.
 */
function batchEndingAfter(file: DiskFile<RecordBatch>, offset: number, hint: number): number {
  if (hint < file.length && nextOffset(file.at(hint)) > offset && (hint === 0 || nextOffset(file.at(hint - 1)) <= offset)) return hint;
  return firstBatchEndingAfter(file, offset);
}
