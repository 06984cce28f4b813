// Stories for the consumer half's anomalies: the processings and commits the checker kept in
// its typed arrays, told among the kept trace events of the group (rebalances, generations,
// assignments, revocations, positions, poll timeouts, removed members), the faults on its
// members and its coordinator, and the partition's elections and truncations.
import type { FaultAction, FaultEvent, ProcessEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { tpKey } from '../kafka/records.js';
import type { StoryLine } from './anomalies.js';
import type { CommitEntry } from './consumer-state.js';
import { closeStory, dedupe, eventText, faultText, partitionEvents, type FinalFacts, type StoryContext } from './log-stories.js';

type ConsumerStoryEvent = KafkaEvent | FaultEvent | ProcessEvent;

export interface ConsumerStoryContext extends StoryContext {
  /** A member id's process name (`billing-1`), or the id itself when no event tied them. */
  memberOf(memberId: string): string;
}

/** The group a story is about. */
export interface GroupFacts {
  readonly name: string;
  /** Its members' process names: faults on them belong to its stories. */
  readonly members: ReadonlySet<string>;
}

/** One processing of one record by a group's application. */
export interface Processing {
  readonly atUs: number;
  readonly member: string;
  readonly generation: number;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** The group's last processing of a record of the partition below some offset, and the record. */
export interface LastProcessed {
  readonly processing: Processing;
  readonly id: string;
}

function lastProcessedLine(group: string, last: LastProcessed, below: number): StoryLine {
  return { atUs: last.processing.atUs, text: `${processingText(group, last.processing, last.id)}: the group's last processed record below offset ${below}` };
}

const MODE_TEXT = { '': '', sync: ' (commitSync)', async: ' (commitAsync)', auto: ' (auto-commit)' } as const;

export function processingText(group: string, p: Processing, id: string): string {
  return `${p.member} (group ${group}, generation ${p.generation}) processed ${id} at offset ${p.offset} of ${tpKey(p.topic, p.partition)}`;
}

export function commitText(ctx: ConsumerStoryContext, group: string, tp: string, c: CommitEntry): string {
  const who = `${ctx.memberOf(c.memberId)} (generation ${c.generation})`;
  const how = MODE_TEXT[c.mode];
  if (c.error === 'NONE') {
    const by = c.broker >= 0 ? `, stored by coordinator ${ctx.node(c.broker)}` : '';
    return `${who} committed offset ${c.offset} of ${tp} for group ${group}${how}${by}`;
  }
  if (c.broker >= 0) return `coordinator ${ctx.node(c.broker)} refused ${who}'s commit of offset ${c.offset} of ${tp}${how}: ${c.error}`;
  return `${who} was told its commit of offset ${c.offset} of ${tp}${how} failed: ${c.error}`;
}

/**
 * A re-processing: the first processing, the last commit stored before the re-processing (which
 * did not cover the record), the failed commits and the group's events between (faults on its
 * members, poll timeouts, removals, the rebalance and its generation, revocations, assignments,
 * where the re-processing member started), then the re-processing.
 */
export function reprocessedStory(
  ctx: ConsumerStoryContext,
  group: GroupFacts,
  id: string,
  first: Processing,
  again: Processing,
  lastStored: CommitEntry | null,
  failures: readonly CommitEntry[],
): StoryLine[] {
  const tp = tpKey(again.topic, again.partition);
  const story: StoryLine[] = [{ atUs: first.atUs, text: processingText(group.name, first, id) }];
  if (lastStored === null) {
    story.push({ atUs: again.atUs, text: `no commit of ${tp} for group ${group.name} had been stored before this` });
  } else {
    const covered =
      lastStored.offset <= again.offset
        ? `the last offset stored before the re-processing: the next offset to read ${lastStored.offset} ≤ ${again.offset}, so it did not cover ${id}`
        : `the last offset stored before the re-processing: past offset ${again.offset}, so it covered ${id}`;
    story.push({ atUs: lastStored.us, text: `${commitText(ctx, group.name, tp, lastStored)}: ${covered}` });
  }
  for (const failure of failures) story.push({ atUs: failure.us, text: commitText(ctx, group.name, tp, failure) });
  story.push(...groupEvents(ctx, group, tp, { atUs: first.atUs }, again.atUs));
  return closeStory(story, { atUs: again.atUs, text: `${processingText(group.name, again, id)} again` });
}

/**
 * An unprocessed message: the commit that moved the group's offset past it and the group's
 * events around it: from where the committing reader started (a committed offset, or an
 * auto.offset.reset past the message) to where the next reader started (the committed offset,
 * past the message), with the faults on its members meanwhile.
 */
export function unprocessedStory(
  ctx: ConsumerStoryContext,
  group: GroupFacts,
  id: string,
  topic: string,
  partition: number,
  offset: number,
  crossing: CommitEntry,
  previousOffset: number | null,
  lastProcessed: LastProcessed | null,
  closing: string,
  note: StoryLine | null,
): StoryLine[] {
  const tp = tpKey(topic, partition);
  // From the position the committing reader started at (its record, not just its time) to the next.
  let fromIndex = 0;
  let toUs = ctx.endUs;
  const records = ctx.records;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const e = record.event as ConsumerStoryEvent;
    if (e.kind !== 'consumer.position' || e.group !== group.name || e.topic !== topic || e.partition !== partition) continue;
    if (record.atUs <= crossing.us) fromIndex = i;
    else {
      toUs = record.atUs;
      break;
    }
  }
  const moved =
    previousOffset === null ? `its first commit of ${tp} in the final log` : `moving its committed offset of ${tp} from ${previousOffset} to ${crossing.offset}`;
  const story: StoryLine[] = [
    { atUs: crossing.us, text: `${commitText(ctx, group.name, tp, crossing)}, ${moved}: past offset ${offset}, which the group had not processed` },
    ...groupEvents(ctx, group, tp, { index: fromIndex }, toUs),
  ];
  if (lastProcessed !== null) story.push(lastProcessedLine(group.name, lastProcessed, offset));
  if (note !== null) story.push(note);
  return closeStory(dedupe(story), { atUs: ctx.endUs, text: closing });
}

/**
 * Where a group left a partition it never finished: its last generation, owner, assignment,
 * position and commit, the faults on its members since, and the later commits the coordinator
 * stored that the final offsets log no longer holds (`lostCommits`, with where they went).
 */
export function unconsumedStory(
  ctx: ConsumerStoryContext,
  group: GroupFacts,
  topic: string,
  partition: number,
  lastStored: CommitEntry | null,
  lostCommits: readonly CommitEntry[],
  lostWhere: string,
  lastProcessed: LastProcessed | null,
  firstUnconsumed: number,
  closing: string,
  note: StoryLine | null,
): StoryLine[] {
  const tp = tpKey(topic, partition);
  const last = new Map<string, StoryLine>();
  let assignedUs = -1;
  for (const record of ctx.records) {
    const e = record.event as ConsumerStoryEvent;
    const text = groupEventText(ctx, group, tp, e, null);
    if (text === null || e.kind === 'fault' || e.kind === 'fault.heal') continue;
    // The last of each kind (per member for positions): the state the group was left in.
    const key = e.kind === 'consumer.position' ? `${e.kind}:${e.member}` : e.kind;
    last.set(key, { atUs: record.atUs, text });
    if (e.kind === 'app.assigned') assignedUs = record.atUs;
  }
  const story = [...last.values()];
  if (assignedUs < 0) story.push({ atUs: ctx.endUs, text: `no member of group ${group.name} was ever assigned ${tp}` });
  else story.push(...groupEvents(ctx, group, tp, { atUs: assignedUs }, ctx.endUs).filter((line) => line.text.startsWith('fault') || line.text.startsWith('healed')));
  if (lastStored !== null) story.push({ atUs: lastStored.us, text: `${commitText(ctx, group.name, tp, lastStored)}: its last commit of ${tp} in the final log` });
  for (const lost of lostCommits) story.push({ atUs: lost.us, text: `${commitText(ctx, group.name, tp, lost)}, which ${lostWhere} no longer holds` });
  if (lastProcessed !== null) story.push(lastProcessedLine(group.name, lastProcessed, firstUnconsumed));
  if (note !== null) story.push(note);
  return closeStory(dedupe(story), { atUs: ctx.endUs, text: closing });
}

/**
 * A record processed at or above the high watermark its fetch carried: the processing, then the
 * partition's elections, offline periods and truncations from the last election before it.
 */
export function dirtyReadStory(
  ctx: ConsumerStoryContext, group: string, id: string, p: Processing, highWatermark: number, why: 'above-hw' | 'above-lso' | 'aborted' | 'undecided', final: FinalFacts, closing: string,
): StoryLine[] {
  const text = why === 'above-hw'
    ? `${processingText(group, p, id)}, from a fetch whose high watermark was ${highWatermark}: a record the leader had not committed`
    : why === 'above-lso'
    ? `${processingText(group, p, id)} under isolation.level read_committed, from a fetch whose last stable offset was ${highWatermark}: a record of a transaction not yet decided`
    : `${processingText(group, p, id)} under isolation.level read_committed, which returns only records of committed transactions`;
  return partitionAround(ctx, p, { atUs: p.atUs, text }, final, closing);
}

/** A record a group processed where the final log holds another: the processing, then what removed it. */
export function consumerConflictStory(ctx: ConsumerStoryContext, group: string, id: string, p: Processing, final: FinalFacts, closing: string): StoryLine[] {
  return partitionAround(ctx, p, { atUs: p.atUs, text: processingText(group, p, id) }, final, closing);
}

function partitionAround(ctx: ConsumerStoryContext, p: Processing, line: StoryLine, final: FinalFacts, closing: string): StoryLine[] {
  let fromUs = 0;
  for (const record of ctx.records) {
    if (record.atUs > p.atUs) break;
    const e = record.event as ConsumerStoryEvent;
    if (e.kind === 'election' && e.topic === p.topic && e.partition === p.partition) fromUs = record.atUs;
  }
  const story = [line, ...partitionEvents(ctx, p.topic, p.partition, fromUs, ctx.endUs, ['election', 'offline', 'truncate'])];
  for (const record of ctx.records) {
    if (record.atUs < fromUs) continue;
    const e = record.event as ConsumerStoryEvent;
    if (e.kind === 'proc.power' && final.replicaNodes.has(e.node)) story.push({ atUs: record.atUs, text: eventText(ctx, e) });
  }
  if (final.note !== null) story.push(final.note);
  return closeStory(story, { atUs: ctx.endUs, text: closing });
}

/**
 * The group's kept events from `from` (a time, or a kept record's index) to `toUs` that bear on
 * partition `tp`; plus, when a rebalance was under way at `from` (begun, not yet stable), the
 * line that began it.
 */
export function groupEvents(ctx: ConsumerStoryContext, group: GroupFacts, tp: string, from: { atUs: number } | { index: number }, toUs: number): StoryLine[] {
  const lines: StoryLine[] = [];
  let coordinator: string | null = null;
  let underWay: StoryLine | null = null;
  const records = ctx.records;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (record.atUs > toUs) break;
    const e = record.event as ConsumerStoryEvent;
    if (e.kind === 'group.loaded' && e.groups.includes(group.name)) coordinator = ctx.node(e.broker);
    const text = groupEventText(ctx, group, tp, e, coordinator);
    if (text === null) continue;
    if ('index' in from ? i >= from.index : record.atUs >= from.atUs) {
      lines.push({ atUs: record.atUs, text });
    } else if (e.kind === 'group.rebalance') {
      underWay = { atUs: record.atUs, text };
    } else if (e.kind === 'group.stable') {
      underWay = null;
    }
  }
  if (underWay !== null) lines.unshift(underWay);
  return lines;
}

/** The line for one kept event, if it belongs to the group's story about `tp`; null otherwise. */
function groupEventText(ctx: ConsumerStoryContext, group: GroupFacts, tp: string, e: ConsumerStoryEvent, coordinator: string | null): string | null {
  const g = group.name;
  const b = (id: number): string => ctx.node(id);
  switch (e.kind) {
    case 'fault':
      return touches(e.action, group.members, coordinator) ? faultText(e) : null;
    case 'fault.heal':
      return touches(e.action, group.members, null) ? `healed (${e.source}): ${e.label}` : null;
    case 'broker.start-failed':
      return coordinator === b(e.broker) ? eventText(ctx, e) : null;
    case 'group.loaded':
      return e.groups.includes(g) ? `${b(e.broker)} became the coordinator of group ${g} (it loaded __consumer_offsets-${e.partition})` : null;
    case 'group.unloaded':
      return e.groups.includes(g) ? `${b(e.broker)} stopped coordinating group ${g} (it unloaded __consumer_offsets-${e.partition})` : null;
    case 'group.rebalance':
      return e.group === g ? `coordinator ${b(e.broker)} began a rebalance of group ${g} (generation ${e.generation}): ${e.reason}` : null;
    case 'group.generation': {
      if (e.group !== g) return null;
      const members = e.members.map((id) => ctx.memberOf(id)).join(', ');
      const protocol = e.protocol === null ? '' : `, ${e.protocol}`;
      if (members === '') return `coordinator ${b(e.broker)} started generation ${e.generation} of group ${g} with no members: the group is empty`;
      return `coordinator ${b(e.broker)} started generation ${e.generation} of group ${g} with ${members} (leader ${ctx.memberOf(e.leader)}${protocol})`;
    }
    case 'group.stable': {
      if (e.group !== g) return null;
      const owner = e.assignment.find(([, partitions]) => partitions.includes(tp));
      return `group ${g} is stable in generation ${e.generation}: ${owner === undefined ? `nobody owns ${tp}` : `${tp} is ${ctx.memberOf(owner[0])}'s`}`;
    }
    case 'group.member-removed':
      return e.group === g ? `coordinator ${b(e.broker)} removed ${ctx.memberOf(e.memberId)} from group ${g} (generation ${e.generation}): ${e.reason}` : null;
    case 'app.assigned':
      return e.group === g && e.partitions.includes(tp) ? `${e.member} (generation ${e.generation}) was assigned ${e.partitions.join(', ')}` : null;
    case 'app.revoked':
      if (e.group !== g || !e.partitions.includes(tp)) return null;
      return `${e.member} (generation ${e.generation}) ${e.lost ? 'lost' : 'gave up'} ${e.partitions.join(', ')}${e.lost ? ' (a fatal group error: lost, not revoked)' : ''}`;
    case 'consumer.position':
      if (e.group !== g || tpKey(e.topic, e.partition) !== tp) return null;
      return `${e.member} starts reading ${tp} at offset ${e.offset} (${positionSource(e.source, e.reason)})`;
    case 'consumer.poll-timeout':
      return e.group === g
        ? `${e.member} did not poll for ${e.sinceLastPollMs} ms (max.poll.interval.ms): it leaves group ${g} (generation ${e.generation})`
        : null;
    case 'consumer.join':
      return e.group === g ? `${e.member} joins group ${g}: ${e.reason}` : null;
    default:
      return null;
  }
}

function positionSource(source: 'committed' | 'reset-earliest' | 'reset-latest' | 'truncation-detected', reason: 'committed' | 'no-committed-offset' | 'out-of-range' | 'log-truncation'): string {
  if (source === 'committed') return 'the group\'s committed offset';
  if (source === 'truncation-detected') return 'where the new leader\'s log diverges: it detected a truncation (KIP-320)';
  const why = reason === 'out-of-range' ? 'its position was out of the log\'s range' : 'no committed offset';
  return `auto.offset.reset=${source === 'reset-latest' ? 'latest' : 'earliest'}: ${why}`;
}

/** Whether a fault acts on one of the nodes (a member, or the group's coordinator). */
function touches(action: FaultAction, members: ReadonlySet<string>, coordinator: string | null): boolean {
  const hit = (node: string | null): boolean => node !== null && (members.has(node) || node === coordinator);
  switch (action.kind) {
    case 'partition':
      return action.groups.some((nodes) => nodes.some(hit));
    case 'one-way':
      return hit(action.from) || hit(action.to);
    case 'hold':
      return hit(action.from) || hit(action.to);
    default:
      return hit(action.node);
  }
}
