// Stories for the log checker's anomalies: short incident reports made of the kept trace
// records (elections, truncations, faults, retries, power losses) and of the ledger's own
// send and ack times (app.send and app.ack are recorded unkept, so only the ledger has them).
import type { FaultEvent, ProcessEvent, TraceRecord } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { tpKey } from '../kafka/records.js';
import type { StoryLine } from './anomalies.js';

export type StoryEvent = KafkaEvent | FaultEvent | ProcessEvent;

/** Past this many lines a story keeps its beginning and its end. */
const MAX_STORY_LINES = 40;
const STORY_HEAD_LINES = 10;

export interface StoryContext {
  readonly records: readonly TraceRecord[];
  /** The end of the run: the time of every story's closing line. */
  readonly endUs: number;
  node(broker: number): string;
}

/** One message as the ledger knows it. */
export interface MessageFacts {
  readonly producer: string;
  readonly seq: number;
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly sendUs: number | null; // null: the application never called send() for it
  readonly ackUs: number | null; // null: not told success
  readonly ackOffset: number; // ≥ 0, or -1 under acks=0; meaningless when ackUs is null
}

/** How the final log of a partition was chosen, for the closing lines. */
export interface FinalFacts {
  /** `the final log of orders-0 (leader b2, epoch 3, high watermark 1200)` */
  readonly description: string;
  /** Why there is no leader to read, when the partition is offline at the end. */
  readonly note: StoryLine | null;
  /** The partition's replicas' nodes, for power losses. */
  readonly replicaNodes: ReadonlySet<string>;
}

export function messageId(producer: string, seq: number): string {
  return `${producer}#${seq}`;
}

/** The send, the ack, then every fault, election, ISR change, deep truncation and power loss since the send. */
export function lostStory(ctx: StoryContext, m: MessageFacts, final: FinalFacts, closing: string): StoryLine[] {
  const story = sendAndAck(ctx, m);
  const fromUs = m.sendUs ?? m.ackUs ?? 0;
  for (const record of ctx.records) {
    if (record.atUs < fromUs) continue;
    const e = record.event as StoryEvent;
    let text: string | null = null;
    switch (e.kind) {
      case 'fault':
        text = faultText(e);
        break;
      case 'election':
      case 'offline':
        if (e.topic === m.topic && e.partition === m.partition) text = eventText(ctx, e);
        break;
      case 'isr.shrink':
      case 'isr.expand':
      case 'controller.isr':
      case 'hw.held':
        if (e.topic === m.topic && e.partition === m.partition) text = eventText(ctx, e);
        break;
      case 'truncate':
        // Under acks=0 there is no offset to cut below: every truncation of the partition counts.
        if (e.topic === m.topic && e.partition === m.partition && (m.ackUs === null || m.ackOffset < 0 || (e.toOffset <= m.ackOffset && e.fromOffset > m.ackOffset))) {
          text = eventText(ctx, e);
        }
        break;
      case 'proc.power':
        if (final.replicaNodes.has(e.node)) text = eventText(ctx, e);
        break;
      case 'broker.bounced':
      case 'broker.start-failed':
        if (final.replicaNodes.has(ctx.node(e.broker))) text = eventText(ctx, e);
        break;
      default:
        break;
    }
    if (text !== null) story.push({ atUs: record.atUs, text });
  }
  return close(story, final, { atUs: ctx.endUs, text: closing });
}

/** The send, the ack, the retries of its batch and the partition's elections meanwhile, then where it stands. */
export function duplicatedStory(ctx: StoryContext, m: MessageFacts, final: FinalFacts, offsets: readonly number[]): StoryLine[] {
  const story = sendAndAck(ctx, m);
  const retries = retriesOf(ctx, m);
  story.push(...retries);
  const fromUs = m.sendUs ?? 0;
  const toUs = Math.max(m.ackUs ?? 0, ...retries.map((r) => r.atUs));
  story.push(...partitionEvents(ctx, m.topic, m.partition, fromUs, toUs, ['election', 'offline']));
  const at = offsets.length === 2 ? `${offsets[0]} and ${offsets[1]}` : `${offsets.slice(0, -1).join(', ')} and ${offsets.at(-1)}`;
  return close(story, final, { atUs: ctx.endUs, text: `${messageId(m.producer, m.seq)} stands at offsets ${at} of ${final.description}` });
}

/** Both sends, the retries of either batch, then where each stands. */
export function reorderedStory(
  ctx: StoryContext,
  m: MessageFacts,
  offset: number,
  higher: MessageFacts,
  higherOffset: number,
  final: FinalFacts,
): StoryLine[] {
  const story = [...sendAndAck(ctx, m), ...sendAndAck(ctx, higher), ...retriesOf(ctx, m), ...retriesOf(ctx, higher)];
  const fromUs = Math.min(m.sendUs ?? 0, higher.sendUs ?? 0);
  const toUs = Math.max(...story.map((line) => line.atUs));
  story.push(...partitionEvents(ctx, m.topic, m.partition, fromUs, toUs, ['election', 'offline']));
  const text =
    `${messageId(m.producer, m.seq)} stands at offset ${offset}, after ${messageId(higher.producer, higher.seq)} ` +
    `at offset ${higherOffset}, in ${final.description}`;
  return close(dedupe(story), final, { atUs: ctx.endUs, text });
}

/** The partition's elections, truncations and its replicas' power losses up to `untilUs`, then the finding. */
export function partitionStory(
  ctx: StoryContext,
  topic: string,
  partition: number,
  untilUs: number,
  final: FinalFacts,
  finding: StoryLine,
): StoryLine[] {
  const story = partitionEvents(ctx, topic, partition, 0, untilUs, ['election', 'offline', 'truncation.round', 'truncate']);
  for (const record of ctx.records) {
    if (record.atUs > untilUs) break;
    const e = record.event as StoryEvent;
    if (e.kind === 'proc.power' && final.replicaNodes.has(e.node)) story.push({ atUs: record.atUs, text: eventText(ctx, e) });
    if (e.kind === 'broker.start-failed' && final.replicaNodes.has(ctx.node(e.broker))) story.push({ atUs: record.atUs, text: eventText(ctx, e) });
  }
  return close(story, final, finding);
}

function sendAndAck(ctx: StoryContext, m: MessageFacts): StoryLine[] {
  const id = messageId(m.producer, m.seq);
  const tp = tpKey(m.topic, m.partition);
  const lines: StoryLine[] = [];
  if (m.sendUs !== null) lines.push({ atUs: m.sendUs, text: `${m.producer} sent ${id}${m.key === null ? '' : ` (key ${m.key})`} to ${tp}` });
  if (m.ackUs !== null) {
    const at = m.ackOffset >= 0 ? `at offset ${m.ackOffset}` : 'with no offset (acks=0: nobody waited for the broker)';
    lines.push({ atUs: m.ackUs, text: `${m.producer} was told ${id} succeeded ${at}${leaderAt(ctx, m, m.ackUs)}` });
  }
  return lines;
}

/**
 * Who led the partition when the ack came: the producer's own metadata if it was traced (the
 * leader it sent to), otherwise the last election or leader change before the ack.
 */
function leaderAt(ctx: StoryContext, m: MessageFacts, atUs: number): string {
  let metadata: string | null = null;
  let cluster: string | null = null;
  for (const record of ctx.records) {
    if (record.atUs > atUs) break;
    const e = record.event as StoryEvent;
    if (e.kind === 'producer.metadata' && e.producer === m.producer && e.topic === m.topic && e.partition === m.partition) {
      metadata = `, from leader ${ctx.node(e.leader)} (epoch ${e.leaderEpoch}, as ${m.producer}'s metadata had it)`;
    } else if (e.kind === 'election' && e.topic === m.topic && e.partition === m.partition) {
      cluster = `; the leader then was ${ctx.node(e.leader)} (epoch ${e.leaderEpoch})`;
    } else if (e.kind === 'leader' && e.topic === m.topic && e.partition === m.partition) {
      cluster = `; the leader then was ${ctx.node(e.broker)} (epoch ${e.leaderEpoch})`;
    } else if (e.kind === 'offline' && e.topic === m.topic && e.partition === m.partition) {
      cluster = `; the partition was offline then`;
    }
  }
  return metadata ?? cluster ?? '';
}

/**
 * The producer's retries of batches that held this message, and the sequence resets of its
 * partition (an epoch bump renumbers a batch in flight) from the send to its last retry or ack.
 */
function retriesOf(ctx: StoryContext, m: MessageFacts): StoryLine[] {
  const lines: StoryLine[] = [];
  const resets: StoryLine[] = [];
  const fromUs = m.sendUs ?? 0;
  for (const record of ctx.records) {
    if (record.atUs < fromUs) continue;
    const e = record.event as StoryEvent;
    if (e.kind === 'producer.sequence-reset' && e.producer === m.producer && e.topic === m.topic && e.partitions.includes(m.partition)) {
      resets.push({ atUs: record.atUs, text: eventText(ctx, e) });
    }
    if (e.kind !== 'producer.retry' || e.producer !== m.producer || e.topic !== m.topic || e.partition !== m.partition) continue;
    if (m.seq < e.firstSeq || m.seq >= e.firstSeq + e.count) continue;
    lines.push({ atUs: record.atUs, text: eventText(ctx, e) });
  }
  const toUs = Math.max(m.ackUs ?? 0, ...lines.map((line) => line.atUs));
  return [...lines, ...resets.filter((line) => line.atUs <= toUs)];
}

export function partitionEvents(
  ctx: StoryContext,
  topic: string,
  partition: number,
  fromUs: number,
  toUs: number,
  kinds: readonly ('election' | 'offline' | 'truncation.round' | 'truncate')[],
): StoryLine[] {
  const lines: StoryLine[] = [];
  for (const record of ctx.records) {
    if (record.atUs < fromUs) continue;
    if (record.atUs > toUs) break;
    const e = record.event as StoryEvent;
    if (e.kind !== 'election' && e.kind !== 'offline' && e.kind !== 'truncate' && e.kind !== 'truncation.round') continue;
    if (e.topic !== topic || e.partition !== partition || !kinds.includes(e.kind)) continue;
    // A truncation round tells why its truncation cut where it did; one that cut nothing says nothing.
    if (e.kind === 'truncation.round' && e.truncateTo >= e.logEndOffset) continue;
    lines.push({ atUs: record.atUs, text: eventText(ctx, e) });
  }
  return lines;
}

export function faultText(e: Extract<StoryEvent, { kind: 'fault' }>): string {
  return `fault (${e.source}): ${e.label}`;
}

export function eventText(ctx: StoryContext, e: StoryEvent): string {
  const b = (id: number): string => ctx.node(id);
  const isr = (ids: readonly number[]): string => `[${ids.map(b).join(' ')}]`;
  switch (e.kind) {
    case 'election':
      return (
        `controller ${b(e.controller)} elected ${b(e.leader)} leader of ${tpKey(e.topic, e.partition)} ` +
        `(epoch ${e.leaderEpoch}, ${e.unclean ? 'unclean' : 'clean'}, ISR ${isr(e.isr)}, ${e.reason})`
      );
    case 'offline':
      return `${tpKey(e.topic, e.partition)} went offline: no replica of ISR ${isr(e.isr)} is alive to lead (controller ${b(e.controller)})`;
    case 'truncate':
      return (
        `${b(e.broker)} truncated ${tpKey(e.topic, e.partition)} from ${e.fromOffset} to ${e.toOffset} ` +
        `(${e.reason}; its high watermark ${e.highWatermark})`
      );
    case 'truncation.round': {
      const asked = `${b(e.broker)} asked ${b(e.leader)} where its epoch ${e.askedEpoch} of ${tpKey(e.topic, e.partition)} ended`;
      if (e.endOffset < 0) return `${asked}: ${b(e.leader)} could not say, so ${b(e.broker)} keeps its log up to its high watermark`;
      if (e.leaderEpoch < 0) return `${asked}: at ${e.endOffset} (an end offset alone, before KIP-279)`;
      const answer = `${asked}: ${b(e.leader)}'s epoch ${e.leaderEpoch} ended at ${e.endOffset}`;
      return e.final ? answer : `${answer}, an epoch ${b(e.broker)} never had: it cuts back to ${e.truncateTo}, where its own epoch before that ends, and asks again (KIP-279)`;
    }
    case 'isr.shrink':
      return `${b(e.broker)} shrank the ISR of ${tpKey(e.topic, e.partition)} to ${isr(e.isr)} (removed ${isr(e.removed)}, lagging ${e.lagMs} ms; epoch ${e.leaderEpoch})`;
    case 'isr.expand':
      return `${b(e.broker)} grew the ISR of ${tpKey(e.topic, e.partition)} to ${isr(e.isr)} (added ${isr(e.added)}; epoch ${e.leaderEpoch})`;
    case 'controller.isr':
      return `controller ${b(e.controller)} set the ISR of ${tpKey(e.topic, e.partition)} to ${isr(e.isr)} (leader ${e.leader < 0 ? 'none' : b(e.leader)}, epoch ${e.leaderEpoch}, ${e.reason})`;
    case 'broker.bounced':
      return (
        `controller ${b(e.controller)} found ${b(e.broker)} registered again (broker epoch ${e.previousEpoch} → ${e.brokerEpoch}): ` +
        'failed it before starting it again (KIP-380)'
      );
    case 'hw.held':
      return `${b(e.broker)} held the high watermark of ${tpKey(e.topic, e.partition)} at ${e.highWatermark} below its log end ${e.logEndOffset}: ISR ${isr(e.isr)} smaller than min.insync.replicas ${e.minIsr}`;
    case 'proc.power':
      return `power loss on ${e.node}: ${e.lostRecords} unflushed disk ${e.lostRecords === 1 ? 'write' : 'writes'} gone`;
    case 'broker.start-failed':
      return e.reason === 'registration-exists'
        ? `${b(e.broker)} failed to start and exited: ${e.path} is still held by session ${e.heldBySessionId}, its previous process's, not yet expired`
        : `${b(e.broker)} failed to start and exited: no ZooKeeper connection within ${e.timeoutMs} ms`;
    case 'producer.retry': {
      const last = e.firstSeq + e.count - 1;
      const seqs = e.count === 1 ? `#${e.firstSeq}` : `#${e.firstSeq}..${last}`;
      return `${e.producer} retried ${seqs} to ${tpKey(e.topic, e.partition)} after ${e.error} (attempt ${e.attempt})`;
    }
    case 'producer.sequence-reset':
      return e.reason === 'epoch-bump'
        ? `${e.producer} bumped its producer epoch to ${e.producerEpoch} and renumbered its batches in flight to ${e.partitions.map((p) => tpKey(e.topic, p)).join(', ')} from sequence 0`
        : `${e.producer} discarded its producer id: every partition starts again at sequence 0 under a new one`;
    case 'fault':
      return faultText(e);
    default:
      return e.kind;
  }
}

/** Adds the offline note and the closing line, orders by time (stably) and caps the length. */
function close(story: StoryLine[], final: FinalFacts, closing: StoryLine): StoryLine[] {
  if (final.note !== null) story.push(final.note);
  return closeStory(story, closing);
}

/** Orders the lines by time (stably), adds the closing line and caps the length. */
export function closeStory(story: readonly StoryLine[], closing: StoryLine): StoryLine[] {
  const ordered = story.map((line, i) => ({ line, i })).sort((a, b) => a.line.atUs - b.line.atUs || a.i - b.i).map((x) => x.line);
  ordered.push(closing);
  if (ordered.length <= MAX_STORY_LINES) return ordered;
  const tail = MAX_STORY_LINES - STORY_HEAD_LINES - 1;
  const omitted = ordered.length - STORY_HEAD_LINES - tail;
  const head = ordered.slice(0, STORY_HEAD_LINES);
  const gapUs = ordered[STORY_HEAD_LINES]!.atUs;
  return [...head, { atUs: gapUs, text: `… ${omitted} more lines like these …` }, ...ordered.slice(-tail)];
}

/** The lines without repeats of one text at one time. */
export function dedupe(lines: StoryLine[]): StoryLine[] {
  const seen = new Set<string>();
  return lines.filter((line) => {
    const key = `${line.atUs}|${line.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
