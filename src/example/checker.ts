// The example system's checker: a pure function of the trace and the final disks.
// It reports only what it observed: an acknowledgement it saw, a log it read.
import type { TraceRecord, World } from '../../sim/index.js';
import { zeroCounts, type AnomalyCounts, type AnomalyInstance, type StoryLine } from '../checker/anomalies.js';
import { STORIES_PER_ANOMALY, type CheckOutcome } from '../checker/outcome.js';
import { LOG_FILE, primaryFromTrace, type ExampleEvent, type ExampleMessage } from './system.js';

export function checkExample(world: World<ExampleMessage>, servers: readonly string[]): CheckOutcome {
  const records = world.trace.records;
  const events = exampleEvents(records);
  const sent = new Set<number>();
  const acks = new Map<number, TraceRecord>();
  for (const { record, event } of events) {
    if (event.kind === 'example.send') sent.add(event.id);
    if (event.kind === 'example.ack' && !acks.has(event.id)) acks.set(event.id, record);
  }
  const finalPrimary = primaryFromTrace(records, servers);
  const finalLog = world.disk(finalPrimary).file<number>(LOG_FILE).slice();
  const inLog = new Set(finalLog);

  const anomalies = zeroCounts();
  const instances: AnomalyInstance[] = [];
  const report = (instance: AnomalyInstance): void => {
    anomalies[instance.anomaly] += 1;
    if (instances.filter((i) => i.anomaly === instance.anomaly).length < STORIES_PER_ANOMALY) instances.push(instance);
  };

  for (const [id, ack] of acks) {
    if (!inLog.has(id)) report({ anomaly: 'lost', summary: `write ${id} was acknowledged and is not in the final log of ${finalPrimary}`, story: lostStory(id, ack, records, finalPrimary) });
  }
  const seen = new Set<number>();
  let highest = 0;
  finalLog.forEach((id, index) => {
    if (seen.has(id)) report({ anomaly: 'duplicated', summary: `write ${id} stands twice in the final log (again at index ${index})`, story: [] });
    if (id < highest) report({ anomaly: 'reordered', summary: `write ${id} stands after write ${highest} in the final log`, story: [] });
    seen.add(id);
    highest = Math.max(highest, id);
  });
  for (const node of servers) {
    const log = world.disk(node).file<number>(LOG_FILE).slice();
    const same = log.length === finalLog.length && log.every((id, i) => id === finalLog[i]);
    if (!same) report({ anomaly: 'divergent', summary: `after the settle phase ${node}'s log (${log.length} writes) differs from ${finalPrimary}'s (${finalLog.length})`, story: [] });
  }
  return { anomalies, instances, messages: { sent: sent.size, acked: acks.size, failed: 0, inLog: inLog.size, processed: 0 } };
}

interface ExampleRecord {
  readonly record: TraceRecord;
  readonly event: ExampleEvent;
}

function exampleEvents(records: readonly TraceRecord[]): ExampleRecord[] {
  const out: ExampleRecord[] = [];
  for (const record of records) if (record.event.kind.startsWith('example.')) out.push({ record, event: record.event as ExampleEvent });
  return out;
}

/** The send, the append, the ack, then every fault, view change and truncation of that write. */
function lostStory(id: number, ack: TraceRecord, records: readonly TraceRecord[], finalPrimary: string): StoryLine[] {
  const story: StoryLine[] = [];
  // Faults and view changes matter from the write's first send on.
  const first = records.find((r) => r.event.kind === 'example.send' && (r.event as ExampleEvent & { id: number }).id === id);
  const fromUs = first?.atUs ?? ack.atUs;
  for (const record of records) {
    const line = storyLine(id, record, fromUs);
    if (line !== null) story.push({ atUs: record.atUs, text: line });
  }
  story.push({ atUs: records.at(-1)?.atUs ?? ack.atUs, text: `the final log, ${finalPrimary}'s, does not hold write ${id}` });
  return story;
}

function storyLine(id: number, record: TraceRecord, fromUs: number): string | null {
  const event = record.event as ExampleEvent | { kind: string; label?: string; source?: string };
  switch (event.kind) {
    case 'example.send':
      return 'id' in event && event.id === id ? `client sent write ${id} to ${event.to} (attempt ${event.attempt})` : null;
    case 'example.append':
      return 'id' in event && event.id === id ? `${event.node} appended write ${id} at index ${event.index} in view ${event.view}` : null;
    case 'example.ack':
      return 'id' in event && event.id === id ? `client was told write ${id} succeeded (ack from ${event.by}, view ${event.view})` : null;
    case 'example.truncate':
      return 'dropped' in event && event.dropped.includes(id) ? `${event.node} truncated write ${id} from its log to follow ${event.primary} in view ${event.view}` : null;
    case 'example.primary':
      return record.atUs >= fromUs && 'node' in event ? `${event.node} became primary of view ${event.view}` : null;
    case 'fault':
      return record.atUs >= fromUs && 'label' in event ? `fault (${event.source}): ${event.label}` : null;
    default:
      return null;
  }
}
