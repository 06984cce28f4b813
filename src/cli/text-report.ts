// The human report: one verdict block per scenario, then one total line. Everything printed
// here depends only on the results, never on timing or the worker count (timing goes to stderr).
import type { ChalkInstance } from 'chalk';
import { isAnomalyName, type AnomalyInstance } from '../checker/anomalies.js';
import type { FailedStart } from '../checker/start-failures.js';
import { PROBE_NAMES } from '../checker/coverage.js';
import type { ScenarioVerdict } from '../checker/verdict.js';
import type { Expectations } from '../checker/verdict.js';
import { replayCommand } from './failure-file.js';
import { formatAt, formatCounts, formatSeeds, plural } from './format.js';
import { paintStory } from './story-colors.js';
import { reproduceCommand, type BugRun, type FailingSeed, type ScenarioTally } from './tally.js';

/** Caps, so a scenario that fails in 500 seeds still prints a readable block (Jepsen caps too). */
const MAX_INSTANCES = 2;
const MAX_STORY_LINES = 40;
const MAX_REPLAYS = 10;
/** The coverage line wraps at this width, its continuation lines aligned under the first probe. */
const COVERAGE_WIDTH = 100;
/** Failed starts told of the example seed. */
const MAX_FAILED_STARTS = 3;

export function scenarioBlock(tally: ScenarioTally, verdict: ScenarioVerdict, c: ChalkInstance, quiet: boolean): string {
  const scenario = tally.loaded.scenario;
  const status = verdict.ok ? c.green.bold('PASS') : c.red.bold('FAIL');
  const head = `${status} ${c.bold(scenario.name)}  ${c.dim(tally.loaded.file)}`;
  const seeds = tally.seeds.length === 1 ? `seed ${formatSeeds(tally.seeds)}` : `seeds ${formatSeeds(tally.seeds)} (${plural(tally.seeds.length, 'run')})`;
  const note = scenario.harmlessKeys === null ? [] : [c.dim(`  note: ${scenario.harmlessKeys}`)];
  if (quiet && verdict.ok) return [`${head}  ${seeds}`, ...note, ''].join('\n');
  const lines = [head, ...note];
  if (scenario.claim !== null) lines.push(`  claim: ${scenario.claim}`);
  lines.push(`  ${seeds}`);
  lines.push(...expectationLines(verdict, c));
  lines.push(`  anomalies: ${formatCounts(tally.totals)}`);
  lines.push(...coverageLines(tally, c));
  lines.push(...lagLines(tally));
  lines.push(...failedStartLines(tally, c));
  lines.push(...missedFaultLines(tally));
  if (tally.exhausted.length > 0) {
    lines.push(c.yellow(`  warning: seeds ${formatSeeds(tally.exhausted)} stopped at the event budget before the scenario's end`));
  }
  if (tally.notAsWritten.length > 0) {
    lines.push(c.red(`  did not run as written: ${tally.notAsWritten.length === 1 ? 'seed' : 'seeds'} ${formatSeeds(tally.notAsWritten)} (each fails the scenario; why, below)`));
  }
  lines.push(...exampleLines(tally, verdict, c));
  lines.push(...failingLines(tally, c));
  for (const bug of tally.bugs) lines.push(...bugLines(bug, c));
  return `${lines.join('\n')}\n`;
}

/**
 * Each group's lag at the end (the seed's "how is lag counted under read_uncommitted and
 * read_committed"): committed offset to high watermark, and to last stable offset; over several
 * seeds, least..most. `lag at the end: billing 0 to the high watermark, 0 to the last stable offset`.
 */
function lagLines(tally: ScenarioTally): string[] {
  if (tally.lag.size === 0) return [];
  const range = ([least, most]: [number, number]): string => (least === most ? `${least}` : `${least}..${most}`);
  const items = [...tally.lag].map(([group, lag]) =>
    `${group} (${lag.isolationLevel}) ${range(lag.highWatermark)} to the high watermark, ${range(lag.lastStable)} to the last stable offset`);
  return [`  lag at the end: ${items.join('; ')}`];
}

/**
 * Which rare situations the seeds reached, in probe order: `reached: unclean-election 5/5 seeds
 * (7×), isr-shrunk-to-one 3/5 (3×)` (one seed: `unclean-election 7×`), then how many were not.
 */
function coverageLines(tally: ScenarioTally, c: ChalkInstance): string[] {
  const runs = tally.perSeed.length;
  if (runs === 0 || tally.loaded.scenario.example !== null) return []; // the example system is not Kafka: no probes
  const reached = PROBE_NAMES.filter((name) => tally.reachedSeeds[name] > 0);
  if (reached.length === 0) return [`  reached: ${c.dim(`none of the ${PROBE_NAMES.length} coverage probes`)}`];
  const items = reached.map((name, i) => {
    const times = `${tally.reachedTimes[name]}×`;
    if (runs === 1) return `${name} ${times}`;
    return `${name} ${tally.reachedSeeds[name]}/${runs}${i === 0 ? ' seeds' : ''} (${times})`;
  });
  const rest = PROBE_NAMES.length - reached.length;
  const tail = rest === 0 ? [] : [c.dim(`(${rest} other ${rest === 1 ? 'probe' : 'probes'} not reached)`)];
  return wrapItems('  reached: ', items.map((item, i) => (i < items.length - 1 ? `${item},` : item)).concat(tail), COVERAGE_WIDTH);
}

/**
 * Brokers whose start failed: in how many seeds, then the example seed's, each with why and
 * what started it again (`b2 failed to start at t=27.102s: /brokers/ids/2 still held by ...`).
 */
function failedStartLines(tally: ScenarioTally, c: ChalkInstance): string[] {
  const example = tally.failedStartExample;
  if (example === null) return [];
  const runs = tally.perSeed.length;
  const seeds = runs === 1 ? `seed ${example.seed}` : `${tally.failedStartSeeds} of ${plural(runs, 'seed')} (${tally.failedStartTotal} in all); seed ${example.seed}`;
  const lines = [`  failed starts: ${seeds}:`];
  for (const f of example.failedStarts.slice(0, MAX_FAILED_STARTS)) lines.push(`    ${c.yellow(failedStartText(f))}`);
  const more = example.failedStarts.length - MAX_FAILED_STARTS;
  if (more > 0) lines.push(`    ... and ${plural(more, 'more failed start')} in seed ${example.seed}`);
  return lines;
}

/** Faults that found nobody to hit: scripted ones marked may-miss, and the nemesis's draws. */
function missedFaultLines(tally: ScenarioTally): string[] {
  const runs = tally.perSeed.length;
  const seeds = (n: number): string => (runs === 1 ? '' : ` (in ${n} of ${plural(runs, 'seed')})`);
  const lines: string[] = [];
  if (tally.allowedSkipTotal > 0) lines.push(`  skipped (may-miss): ${plural(tally.allowedSkipTotal, 'scripted fault')} found no target when due${seeds(tally.allowedSkipSeeds)}`);
  if (tally.nemesisMissTotal > 0) lines.push(`  nemesis: ${plural(tally.nemesisMissTotal, 'random fault')} found no target when drawn${seeds(tally.nemesisMissSeeds)}`);
  return lines;
}

/** One failed start, why, and what (if anything) started the broker again. */
export function failedStartText(f: FailedStart): string {
  const at = (ms: number): string => formatAt(ms * 1000);
  const why = f.reason === 'registration-exists'
    ? `${f.path} still held by the session of its previous process (${f.sessionExpiredAtMs === null ? 'which outlived the run' : `expires at ${at(f.sessionExpiredAtMs)}`})`
    : 'no ZooKeeper connection within zookeeper.connection.timeout.ms';
  let then: string;
  if (f.nextStartAtMs !== null) then = f.restartAtMs === f.nextStartAtMs ? `the supervisor started it again at ${at(f.nextStartAtMs)}` : `it was started again at ${at(f.nextStartAtMs)}`;
  else if (f.restartAtMs !== null) then = `the supervisor would start it at ${at(f.restartAtMs)}, after the run`;
  else then = 'nothing started it again (no supervisor): it stayed down';
  return `${f.broker} failed to start at ${at(f.atMs)}: ${why}; ${then}`;
}

/** Items separated by spaces after `head`, wrapped at `width` visible characters. */
function wrapItems(head: string, items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = head;
  let visible = head.length;
  for (const item of items) {
    const length = visibleLength(item);
    if (visible > head.length && visible + 1 + length > width) {
      lines.push(line);
      line = ' '.repeat(head.length) + item;
      visible = head.length + length;
    } else {
      line = visible > head.length ? `${line} ${item}` : line + item;
      visible += (visible > head.length ? 1 : 0) + length;
    }
  }
  lines.push(line);
  return lines;
}

function visibleLength(text: string): number {
  return text.replace(/\x1b\[[0-9;]*m/g, '').length;
}

function expectationLines(verdict: ScenarioVerdict, c: ChalkInstance): string[] {
  if (verdict.expectations.length === 0) return ['  expect: nothing (anomalies are reported, not judged)'];
  const width = Math.max(...verdict.expectations.map((e) => `${e.anomaly}: ${e.expectation}`.length));
  return verdict.expectations.map((e) => {
    const label = `${e.anomaly}: ${e.expectation}`.padEnd(width);
    return `  expect ${label}  ${e.open ? c.yellow('open') : e.ok ? c.green('ok  ') : c.red.bold('FAIL')}  ${e.why}`;
  });
}

/** A `sometimes` or `always` that held demonstrates an anomaly: show one story of it. */
function exampleLines(tally: ScenarioTally, verdict: ScenarioVerdict, c: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const e of verdict.expectations) {
    const example = isAnomalyName(e.anomaly) ? tally.examples.get(e.anomaly) : undefined; // a probe has no story
    if (!e.ok || e.expectation === 'never' || example === undefined) continue;
    lines.push(`  ${e.anomaly}, as expected; seed ${example.seed} shows it:`);
    lines.push(...storyLines([example.instance], c, '    '));
    lines.push(`    its trace: ${c.cyan(`${reproduceCommand(tally.loaded.file, example.seed)} --trace trace.jsonl`)}`);
  }
  return lines;
}

function failingLines(tally: ScenarioTally, c: ChalkInstance): string[] {
  const lines: string[] = [];
  const expect = tally.loaded.scenario.expect;
  for (const failing of tally.failing.slice(0, MAX_REPLAYS)) {
    lines.push(`  seed ${failing.seed} broke ${c.red(failing.broken.join('; '))}`);
    if (failing.summary !== null) lines.push(...storyLines(brokenInstances(failing, expect), c, '    '));
    lines.push(`    replay: ${c.cyan(replayCommand(failing.failureFile))}`);
  }
  const more = tally.failing.length - MAX_REPLAYS;
  if (more > 0) lines.push(`  ... and ${plural(more, 'more failing seed')}: ${formatSeeds(tally.failing.slice(MAX_REPLAYS).map((f) => f.seed))}, failure files beside the ones above`);
  return lines;
}

/** The instances that explain a failing seed: those of anomalies expected `never`. */
function brokenInstances(failing: FailingSeed, expect: Expectations): AnomalyInstance[] {
  const instances = failing.summary?.instances ?? [];
  return instances.filter((instance) => expect[instance.anomaly] === 'never');
}

/** Anomaly instances with their causal stories, capped unless `all` (as `ksim replay` asks). */
export function storyLines(instances: readonly AnomalyInstance[], c: ChalkInstance, indent: string, all = false): string[] {
  const maxInstances = all ? instances.length : MAX_INSTANCES;
  const lines: string[] = [];
  for (const instance of instances.slice(0, maxInstances)) {
    const maxLines = all ? instance.story.length : MAX_STORY_LINES;
    lines.push(`${indent}${c.bold(instance.anomaly)}: ${instance.summary}`);
    for (const line of instance.story.slice(0, maxLines)) lines.push(`${indent}  ${c.dim(formatAt(line.atUs))}  ${paintStory(line.text, c)}`);
    const hidden = instance.story.length - maxLines;
    if (hidden > 0) lines.push(`${indent}  ... ${plural(hidden, 'more line')} (ksim replay shows them)`);
  }
  const hidden = instances.length - maxInstances;
  if (hidden > 0) lines.push(`${indent}... and ${plural(hidden, "more instance")} (the replay tells every story)`);
  return lines;
}

function bugLines(bug: BugRun, c: ChalkInstance): string[] {
  return [
    c.red.bold(`  SIMULATOR BUG in seed ${bug.seed}: ${bug.message}`),
    `    this is a bug in ksim, not in the scenario; reproduce with: ${c.cyan(bug.reproduce)}`,
  ];
}

export interface Totals {
  readonly scenarios: number;
  readonly passed: number;
  readonly runs: number;
  readonly failingRuns: number;
  readonly bugs: number;
}

export function totalLine(totals: Totals, c: ChalkInstance): string {
  const failed = totals.scenarios - totals.passed;
  const verdict = failed === 0 ? c.green.bold('all expectations held') : c.red.bold(`${failed} of ${plural(totals.scenarios, 'scenario')} failed`);
  const bugs = totals.bugs > 0 ? c.red.bold(`, ${plural(totals.bugs, 'simulator bug')}`) : '';
  return `${verdict}: ${plural(totals.scenarios, 'scenario')}, ${plural(totals.runs, 'run')}, ${plural(totals.failingRuns, 'failing seed')}${bugs}\n`;
}
