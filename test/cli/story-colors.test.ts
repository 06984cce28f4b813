import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { TraceRecord } from '../../sim/index.js';
import { commitText, groupEvents, processingText, type ConsumerStoryContext } from '../../src/checker/consumer-stories.js';
import type { CommitEntry } from '../../src/checker/consumer-state.js';
import { eventText, type StoryEvent } from '../../src/checker/log-stories.js';
import { paintStory, storyKind } from '../../src/cli/story-colors.js';
import { ANSI, FIXTURES, ksim, removeTempDirs, tempDir, type Result } from './helpers.js';

afterAll(removeTempDirs);

// Lines written by the checker's own story builders, so a change of their wording fails here.
const ctx: ConsumerStoryContext = { records: [], endUs: 0, node: (id) => `b${id}`, memberOf: (id) => id };
const line = (e: StoryEvent): string => eventText(ctx, e);
const commit = (entry: Partial<CommitEntry>): string =>
  commitText(ctx, 'billing', 'orders-0', { us: 0, offset: 7, memberId: 'billing-1', generation: 3, error: 'NONE', mode: 'sync', source: 0, broker: 2, ...entry });

function groupLines(events: readonly StoryEvent[]): string[] {
  const records: TraceRecord[] = events.map((event, i) => ({ atUs: i, event }));
  return groupEvents({ ...ctx, records }, { name: 'billing', members: new Set(['billing-1']) }, 'orders-0', { atUs: 0 }, events.length).map((l) => l.text);
}

describe('cli: story colours: each story line by the kind of event it tells', () => {
  test('cli: story colours: faults and power losses, elections and ISR changes, truncations, by the log stories\' wording', () => {
    const kill = { kind: 'kill', node: 'b1' } as const;
    expect(storyKind(line({ kind: 'fault', source: 'scripted', action: kill, label: 'kill b1 (scenario line 12)' }))).toBe('fault');
    expect(storyKind(line({ kind: 'proc.power', node: 'b1', lostRecords: 3 }))).toBe('fault');
    expect(storyKind(line({ kind: 'election', controller: 1, controllerEpoch: 1, topic: 'orders', partition: 0, leader: 2, leaderEpoch: 4, isr: [2], unclean: true, reason: 'broker-failure' }))).toBe('leadership');
    expect(storyKind(line({ kind: 'offline', controller: 1, topic: 'orders', partition: 0, isr: [3] }))).toBe('leadership');
    expect(storyKind(line({ kind: 'isr.shrink', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 2, isr: [1], removed: [2, 3], lagMs: 30000 }))).toBe('leadership');
    expect(storyKind(line({ kind: 'isr.expand', broker: 1, topic: 'orders', partition: 0, leaderEpoch: 2, isr: [1, 2], added: [2] }))).toBe('leadership');
    expect(storyKind(line({ kind: 'controller.isr', controller: 1, topic: 'orders', partition: 0, leader: 2, leaderEpoch: 5, isr: [2], reason: 'broker-failure' }))).toBe('leadership');
    expect(storyKind(line({ kind: 'broker.bounced', controller: 1, broker: 2, previousEpoch: 13, brokerEpoch: 28 }))).toBe('leadership');
    expect(storyKind(line({ kind: 'truncate', broker: 1, topic: 'orders', partition: 0, fromOffset: 9, toOffset: 4, highWatermark: 4, reason: 'high-watermark' }))).toBe('truncation');
    expect(storyKind(line({ kind: 'producer.retry', producer: 'p1', topic: 'orders', partition: 0, firstSeq: 3, count: 2, error: 'NOT_LEADER_OR_FOLLOWER', attempt: 2 }))).toBeNull();
  });

  test('cli: story colours: commits, stored, refused or failed, and the group\'s rebalances and heals, by the consumer stories\' wording', () => {
    expect([commit({}), commit({ error: 'ILLEGAL_GENERATION' }), commit({ error: 'REQUEST_TIMED_OUT', broker: -1 })].map(storyKind)).toEqual(['commit', 'commit', 'commit']);
    const processed = processingText('billing', { atUs: 0, member: 'billing-1', generation: 3, topic: 'orders', partition: 0, offset: 7 }, 'p1#8');
    expect(storyKind(processed)).toBeNull();
    const lines = groupLines([
      { kind: 'fault.heal', source: 'scripted', action: { kind: 'kill', node: 'billing-1' }, label: 'kill billing-1 (scenario line 9)' },
      { kind: 'group.loaded', broker: 2, partition: 12, groups: ['billing'] },
      { kind: 'group.rebalance', broker: 2, group: 'billing', generation: 4, reason: 'member billing-2 joined' },
      { kind: 'consumer.join', group: 'billing', member: 'billing-1', memberId: 'billing-1', reason: 'rebalance in progress' },
      { kind: 'app.revoked', group: 'billing', member: 'billing-1', memberId: 'billing-1', generation: 3, partitions: ['orders-0'], lost: false },
      { kind: 'group.generation', broker: 2, group: 'billing', generation: 4, protocol: 'range', leader: 'billing-1', members: ['billing-1'] },
      { kind: 'group.stable', broker: 2, group: 'billing', generation: 4, assignment: [['billing-1', ['orders-0']]] },
      { kind: 'app.assigned', group: 'billing', member: 'billing-1', memberId: 'billing-1', generation: 4, partitions: ['orders-0'] },
      { kind: 'consumer.poll-timeout', group: 'billing', member: 'billing-1', memberId: 'billing-1', generation: 4, sinceLastPollMs: 300000 },
      { kind: 'group.member-removed', broker: 2, group: 'billing', memberId: 'billing-1', generation: 4, reason: 'session-timeout' },
      { kind: 'consumer.position', group: 'billing', member: 'billing-1', topic: 'orders', partition: 0, offset: 7, source: 'committed', reason: 'committed' },
    ]);
    // A fault's heal is red like the fault; where a member starts reading is plain.
    expect(lines).toHaveLength(11);
    expect(lines.map(storyKind)).toEqual(['fault', ...Array<string>(9).fill('rebalance'), null]);
  });

  test('cli: story colours: a line is painted only when colour is on, and only when its kind is known', () => {
    const fault = 'fault (scripted): kill b1';
    expect(paintStory(fault, new Chalk({ level: 1 }))).toBe(`\u001B[31m${fault}\u001B[39m`);
    expect(paintStory(fault, new Chalk({ level: 0 }))).toBe(fault);
    expect(paintStory('p1 sent p1#3 to orders-0', new Chalk({ level: 1 }))).toBe('p1 sent p1#3 to orders-0');
  });
});

describe('cli: story colours: ksim replay', () => {
  const failure = 'reports/failures/cli-loses-writes/seed-1.json';
  let forced: Result;
  let noColor: Result;

  beforeAll(async () => {
    const cwd = tempDir();
    const run = await ksim(['run', join(FIXTURES, 'loses-writes.yaml'), '--quiet'], { cwd });
    expect(run.code).toBe(1);
    expect(readFileSync(join(cwd, failure), 'utf8')).toContain('"lost"');
    [forced, noColor] = await Promise.all([
      ksim(['replay', failure], { cwd, env: { FORCE_COLOR: '1' } }),
      ksim(['replay', failure], { cwd, env: { NO_COLOR: '1', FORCE_COLOR: '1' } }),
    ]);
  });

  test('cli: story colours: with FORCE_COLOR the timeline is coloured by kind: the kill red, the takeover yellow, the truncation magenta', () => {
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/\u001B\[2mt=\d+\.\d{3}s\u001B\[22m {2}\u001B\[31mfault \(scripted\): kill n\d/);
    expect(forced.stdout).toMatch(/\u001B\[33mn\d became primary of view \d/);
    expect(forced.stdout).toMatch(/\u001B\[35mn\d truncated write \d+/);
    // The send and the ack are not turning points: plain.
    expect(forced.stdout).toMatch(/\u001B\[22m {2}client sent write \d+/);
  });

  test('cli: story colours: with NO_COLOR the same replay has no escape at all', () => {
    expect(noColor.code).toBe(0);
    expect(noColor.stdout).toMatch(/t=\d+\.\d{3}s {2}fault \(scripted\): kill n\d/);
    expect(noColor.stdout + noColor.stderr).not.toMatch(ANSI);
    expect(forced.stdout.replace(/\u001B\[[0-9;]*m/g, '')).toBe(noColor.stdout);
  });
});
