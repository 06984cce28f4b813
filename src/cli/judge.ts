// `ksim judge FILE...`: the suite's verdict from the `--json` lines of its shards. `never` and
// `always` are judged seed by seed, so each shard decides them for its own seeds; a `sometimes`
// needs every seed of the scenario at once. This reads the shards' lines, checks that no
// (scenario, seed) came twice, loads each scenario's `expect:` from its file, and judges all the
// seeds together with the same function as `ksim run`: the verdicts one machine would give.
import { readFileSync } from 'node:fs';
import { ANOMALY_NAMES, zeroCounts, type AnomalyCounts } from '../checker/anomalies.js';
import { PROBE_NAMES, zeroCoverage, type CoverageCounts } from '../checker/coverage.js';
import { judgedCounts, type JudgedCounts } from '../checker/judged.js';
import { judgeSeeds, type ScenarioVerdict } from '../checker/verdict.js';
import { formatInputError, loadScenarioPaths } from '../scenario/index.js';
import type { LoadedScenario } from '../scenario/types.js';
import { colorsFor } from './colors.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printError } from './errors.js';
import { formatSeeds, plural } from './format.js';
import { tableRow, verdictTable } from './verdict-table.js';

/** What judging needs of one `--json` line; `anomalies` (with the coverage probes) is null for a run that crashed. */
export interface ResultLine {
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  readonly anomalies: AnomalyCounts | null;
  readonly coverage: CoverageCounts | null; // null with anomalies
  readonly where: string; // FILE:LINE, for messages
}

export function parseResultLines(text: string, source: string): { lines: ResultLine[]; errors: string[] } {
  const lines: ResultLine[] = [];
  const errors: string[] = [];
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    const where = `${source}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      errors.push(`${where}: not a JSON line (expected the output of ksim run --json)`);
      return;
    }
    const line = resultLine(value, where);
    if (typeof line === 'string') errors.push(`${where}: ${line}`);
    else lines.push(line);
  });
  return { lines, errors };
}

function resultLine(value: unknown, where: string): ResultLine | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object of ksim run --json';
  const record = value as Record<string, unknown>;
  const { scenario, file, seed, anomalies, coverage, simulatorBug } = record;
  if (typeof scenario !== 'string' || typeof file !== 'string') return 'expected "scenario" and "file" strings (a line of ksim run --json)';
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) return 'expected "seed" to be a whole number';
  if (typeof simulatorBug === 'string') return { scenario, file, seed, anomalies: null, coverage: null, where };
  if (typeof anomalies !== 'object' || anomalies === null) return 'expected "anomalies" (or "simulatorBug")';
  const counts = zeroCounts();
  for (const name of ANOMALY_NAMES) {
    const count = (anomalies as Record<string, unknown>)[name];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return `expected "anomalies.${name}" to be a count`;
    counts[name] = count;
  }
  // The probes too: expect: may judge them.
  if (typeof coverage !== 'object' || coverage === null) return 'expected "coverage" (the probes ksim run --json reports)';
  const reached = zeroCoverage();
  for (const name of PROBE_NAMES) {
    const count = (coverage as Record<string, unknown>)[name];
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return `expected "coverage.${name}" to be a count`;
    reached[name] = count;
  }
  return { scenario, file, seed, anomalies: counts, coverage: reached, where };
}

export interface CombinedScenario {
  readonly name: string;
  readonly file: string;
  readonly seeds: readonly number[];
  readonly perSeed: readonly JudgedCounts[];
  readonly totals: AnomalyCounts;
  readonly bugs: number;
}

/** Groups lines by scenario, in the suite's order as far as the files show it (each shard's lines
 * keep the suite's order); refuses a (scenario, seed) given twice. */
export function combineLines(lines: readonly ResultLine[]): { scenarios: CombinedScenario[]; errors: string[] } {
  const errors: string[] = [];
  const seen = new Map<string, string>();
  const groups = new Map<string, { file: string; seeds: number[]; perSeed: JudgedCounts[]; totals: AnomalyCounts; bugs: number }>();
  for (const line of lines) {
    const key = `${line.scenario}\u0000${line.seed}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push(`${line.where}: ${line.scenario} seed ${line.seed} is also at ${earlier}: did two shards get the same --shard, or one file come twice?`);
      continue;
    }
    seen.set(key, line.where);
    let group = groups.get(line.scenario);
    if (group === undefined) {
      group = { file: line.file, seeds: [], perSeed: [], totals: zeroCounts(), bugs: 0 };
      groups.set(line.scenario, group);
    }
    group.seeds.push(line.seed);
    if (line.anomalies === null || line.coverage === null) group.bugs += 1;
    else {
      group.perSeed.push(judgedCounts(line.anomalies, line.coverage));
      for (const name of ANOMALY_NAMES) group.totals[name] += line.anomalies[name];
    }
  }
  const scenarios = suiteOrder(lines).map((name) => {
    const group = groups.get(name);
    if (group === undefined) throw new Error(`no lines for ${name}`);
    return { name, ...group };
  });
  return { scenarios, errors };
}

/** Each file lists scenarios in the suite's order; merge those orders (a topological sort), taking
 * the scenario seen first among the files when the files do not say which comes first. */
function suiteOrder(lines: readonly ResultLine[]): string[] {
  const firstSeen = new Map<string, number>();
  const after = new Map<string, Set<string>>(); // scenario -> the scenarios some file lists right after it
  const before = new Map<string, number>(); // scenario -> how many scenarios must come first
  let previous: { source: string; scenario: string } | null = null;
  for (const line of lines) {
    if (!firstSeen.has(line.scenario)) {
      firstSeen.set(line.scenario, firstSeen.size);
      after.set(line.scenario, new Set());
      before.set(line.scenario, 0);
    }
    const source = line.where.slice(0, line.where.lastIndexOf(':'));
    if (previous !== null && previous.source === source && previous.scenario !== line.scenario) {
      const next = after.get(previous.scenario);
      if (next !== undefined && !next.has(line.scenario)) {
        next.add(line.scenario);
        before.set(line.scenario, (before.get(line.scenario) ?? 0) + 1);
      }
    }
    previous = { source, scenario: line.scenario };
  }
  const order: string[] = [];
  const ready = () => [...before].filter(([name, count]) => count === 0 && !order.includes(name)).map(([name]) => name);
  for (let candidates = ready(); order.length < firstSeen.size; candidates = ready()) {
    // Files that disagree (a cycle) cannot happen with shards of one suite; fall back to first seen.
    const pool = candidates.length > 0 ? candidates : [...firstSeen.keys()].filter((name) => !order.includes(name));
    const name = pool.sort((a, b) => (firstSeen.get(a) ?? 0) - (firstSeen.get(b) ?? 0))[0];
    if (name === undefined) break;
    order.push(name);
    before.set(name, -1);
    for (const next of after.get(name) ?? []) before.set(next, (before.get(next) ?? 0) - 1);
  }
  return order;
}

export function judgeCombined(scenario: CombinedScenario, loaded: LoadedScenario): ScenarioVerdict {
  const verdict = judgeSeeds(loaded.scenario.expect, scenario.perSeed, loaded.scenario.judgedOver);
  return { ok: verdict.ok && scenario.bugs === 0, expectations: verdict.expectations };
}

export function judgeCommand(files: readonly string[]): number {
  const lines: ResultLine[] = [];
  const errors: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? '/dev/stdin' : file, 'utf8');
    } catch (error) {
      errors.push(`${file}: cannot read it (${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'})`);
      continue;
    }
    const parsed = parseResultLines(text, file === '-' ? 'stdin' : file);
    lines.push(...parsed.lines);
    errors.push(...parsed.errors);
  }
  const combined = combineLines(lines);
  errors.push(...combined.errors);
  if (lines.length === 0 && errors.length === 0) errors.push(`no result lines in ${files.join(' ')}`);
  const loaded = errors.length > 0 ? new Map<string, LoadedScenario>() : loadExpectations(combined.scenarios, errors);
  if (errors.length > 0) {
    for (const error of errors) printError(error);
    printError(`${plural(errors.length, 'error')} in the result lines; nothing was judged`);
    return EXIT_USAGE;
  }
  const c = colorsFor('stdout');
  const rows = combined.scenarios.map((scenario) => {
    const scenarioFile = loaded.get(scenario.name);
    if (scenarioFile === undefined) throw new Error(`${scenario.name} was not loaded`);
    const verdict = judgeCombined(scenario, scenarioFile);
    const open = new Set(verdict.expectations.filter((e) => e.open).map((e) => e.anomaly));
    return tableRow(scenario.name, scenarioFile.scenario.claim, scenario.seeds.length, scenario.bugs, scenario.totals, verdict, open);
  });
  process.stdout.write(verdictTable(rows, c));
  // Which seeds came in, so a shard file left out shows: one line when every scenario has the same.
  const seedSets = new Set(combined.scenarios.map((scenario) => formatSeeds(scenario.seeds)));
  const only = [...seedSets][0];
  if (seedSets.size === 1 && only !== undefined) process.stdout.write(`seeds ${only} of each scenario\n`);
  else for (const scenario of combined.scenarios) process.stdout.write(`${scenario.name}: seeds ${formatSeeds(scenario.seeds)}\n`);
  const failed = rows.filter((row) => !row.ok).length;
  const verdict = failed === 0 ? c.green.bold('all expectations held') : c.red.bold(`${failed} of ${plural(rows.length, 'scenario')} failed`);
  process.stdout.write(`${verdict}: ${plural(rows.length, 'scenario')}, ${plural(lines.length, 'run')} from ${plural(files.length, 'file')}\n`);
  return failed === 0 ? EXIT_OK : EXIT_FAILED;
}

/** Each scenario's `expect:` and claim, from the file its lines name (relative to this folder). */
function loadExpectations(scenarios: readonly CombinedScenario[], errors: string[]): Map<string, LoadedScenario> {
  const byName = new Map<string, LoadedScenario>();
  for (const scenario of scenarios) {
    const loaded = loadScenarioPaths([scenario.file]);
    if (loaded.errors.length > 0) {
      errors.push(`${scenario.name}: its scenario file does not load: ${loaded.errors.map(formatInputError).join('; ')}`);
      continue;
    }
    const found = loaded.scenarios[0];
    if (found === undefined || found.scenario.name !== scenario.name) {
      errors.push(`${scenario.file} is now scenario "${found?.scenario.name ?? '?'}", not "${scenario.name}" as the result lines say`);
      continue;
    }
    byName.set(scenario.name, found);
  }
  return byName;
}
