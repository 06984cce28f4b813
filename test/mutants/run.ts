// `npm run mutants`: plants each bug of planted-bugs.ts, one at a time, in a scratch copy of the
// sources (never the working tree), runs the catalog scenarios that should catch it with the
// ksim CLI of that copy, and prints one line per bug and a last line `N of M planted bugs caught`.
// Exit 0 when every bug was caught, 1 when one survived, 2 when the tool cannot do its job (a
// fragment not found exactly once, a scenario missing, the unmutated copy not green, a run that
// did not report every scenario it was given).
//
//   npm run mutants                       every bug, against its own scenarios
//   npm run mutants -- --only 'min.insync'   the bugs whose name contains the text
//   npm run mutants -- --catalog --seeds 3   every bug against the whole catalog: which scenarios catch it
//   npm run mutants -- --seeds 10          every bug against its own scenarios, at 10 seeds instead of its own count
//   npm run mutants -- --scenarios a,b     every bug against these catalog scenarios: which of them catch it
//   npm run mutants -- --jobs 1            one bug at a time (default: one per core)
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PLANTED_BUGS, type PlantedBug } from './planted-bugs.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** What a scratch copy holds: enough to run the CLI (node_modules is linked, not copied). */
const COPIED = ['src', 'sim', 'scenarios', 'package.json', 'tsconfig.json'];

export class ToolError extends Error {}

/** How many times `fragment` occurs in `text` (non-overlapping). */
export function occurrences(text: string, fragment: string): number {
  if (fragment.length === 0) return 0;
  let count = 0;
  for (let at = text.indexOf(fragment); at >= 0; at = text.indexOf(fragment, at + fragment.length)) count += 1;
  return count;
}

/** Why the bug cannot be planted in the sources under `root`, or null. */
export function plantingProblem(root: string, bug: PlantedBug): string | null {
  const path = join(root, bug.file);
  if (!existsSync(path)) return `${bug.file} does not exist`;
  const found = occurrences(readFileSync(path, 'utf8'), bug.find);
  if (found !== 1) return `its fragment occurs ${found} times in ${bug.file}, not exactly once: ${JSON.stringify(bug.find)}`;
  if (bug.find === bug.replace) return 'its replacement is its fragment: nothing would change';
  return null;
}

export function scenarioFile(name: string): string {
  return `scenarios/${name}.yaml`;
}

/** Plants `bug` in the copy under `root` (its fragment checked again there). */
function plant(root: string, bug: PlantedBug): void {
  const problem = plantingProblem(root, bug);
  if (problem !== null) throw new ToolError(`planted bug "${bug.name}": ${problem}`);
  const path = join(root, bug.file);
  writeFileSync(path, readFileSync(path, 'utf8').replace(bug.find, () => bug.replace));
}

function scratchCopy(base: string, label: string): string {
  const dir = join(base, label);
  mkdirSync(dir);
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(realpathSync(join(ROOT, 'node_modules')), join(dir, 'node_modules'), 'dir');
  return dir;
}

interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

/** The ksim runs under way, stopped with us on Ctrl-C. */
const running = new Set<ChildProcess>();

function runCli(dir: string, files: readonly string[], seeds: number, workers: number): Promise<CliRun> {
  const args = ['--single-threaded-gc', 'src/cli/ksim.mjs', 'run', ...files, '--seeds', String(seeds), '--quiet', '--workers', String(workers)];
  const start = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    running.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('close', (code) => {
      running.delete(child);
      done({ code, stdout, stderr, seconds: (performance.now() - start) / 1000 });
    });
  });
}

/** How one scenario of a run ended. */
export interface ScenarioOutcome {
  readonly scenario: string;
  readonly passed: boolean;
  /** The expectations that failed, as the report labels them, with why: `` `lost: never` (seen in 1 of 3 seeds (2 in all)) ``. */
  readonly failedExpectations: readonly string[];
  /** The first broken model invariant, as `seed N: message`. */
  readonly invariant: string | null;
  /** Another error a run threw (not an invariant), as `seed N: message`. */
  readonly crash: string | null;
  /** The scenario failed because a seed did not run as written (a scripted fault skipped, the event budget spent). */
  readonly notAsWritten: boolean;
}

/**
 * Reads the CLI's text report (--quiet, no colour): a `PASS name  file ...` line per passing
 * scenario; a `FAIL name  file` block per failing one, with its `  expect X  FAIL  why` lines; and
 * on stderr `ksim: SIMULATOR BUG in NAME seed N`, then the error's stack.
 */
export function parseReport(stdout: string, stderr: string, files: readonly string[]): Map<string, ScenarioOutcome> {
  const outcomes = new Map<string, ScenarioOutcome>();
  const byFile = new Map(files.map((file) => [file, file.replace(/^scenarios\//, '').replace(/\.yaml$/, '')]));
  let current: { scenario: string; failed: string[]; notAsWritten: boolean } | null = null;
  const close = (): void => {
    if (current === null) return;
    outcomes.set(current.scenario, { scenario: current.scenario, passed: false, failedExpectations: current.failed, invariant: null, crash: null, notAsWritten: current.notAsWritten });
    current = null;
  };
  for (const line of stdout.split('\n')) {
    const head = /^(PASS|FAIL) (\S+)\s+(\S+)/.exec(line);
    if (head !== null) {
      close();
      const scenario = byFile.get(head[3]!) ?? head[2]!;
      if (head[1] === 'PASS') outcomes.set(scenario, { scenario, passed: true, failedExpectations: [], invariant: null, crash: null, notAsWritten: false });
      else current = { scenario, failed: [], notAsWritten: false };
      continue;
    }
    if (current === null) continue;
    const expectation = /^ {2}expect (.+?)\s+FAIL\s+(.*)$/.exec(line);
    if (expectation !== null) current.failed.push(`\`${expectation[1]!.trim()}\` (${expectation[2]!.trim()})`);
    if (/^ {2}did not run as written/.test(line)) current.notAsWritten = true;
    if (!line.startsWith(' ') && line.trim() !== '') close();
  }
  close();
  // Simulator bugs: the scenario's name, the seed, and the first line of the stack.
  const lines = stderr.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const bug = /ksim: SIMULATOR BUG in (\S+) seed (\d+)/.exec(lines[i]!);
    if (bug === null) continue;
    const scenario = bug[1]!;
    const first = (lines[i + 1] ?? '').trim();
    const invariant = /^InvariantViolation: (.*)$/.exec(first);
    const outcome = outcomes.get(scenario) ?? { scenario, passed: false, failedExpectations: [], invariant: null, crash: null, notAsWritten: false };
    if (invariant !== null && outcome.invariant === null) outcomes.set(scenario, { ...outcome, passed: false, invariant: `seed ${bug[2]}: ${invariant[1]}` });
    else if (invariant === null && outcome.crash === null) outcomes.set(scenario, { ...outcome, passed: false, crash: `seed ${bug[2]}: ${first}` });
  }
  return outcomes;
}

/** How a bug was caught, in one phrase, or null when every scenario passed. */
export function caughtBy(outcomes: readonly ScenarioOutcome[]): string | null {
  const invariant = outcomes.find((o) => o.invariant !== null);
  // A seed that threw judges nothing: the expectations of its scenario fail with it, so its catch is the throw.
  const expectation = outcomes.find((o) => o.failedExpectations.length > 0 && o.invariant === null && o.crash === null);
  if (expectation !== undefined) {
    const also = invariant !== undefined ? `; invariant in ${invariant.scenario} (${invariant.invariant})` : '';
    return `expectation ${expectation.failedExpectations.join(', ')} in ${expectation.scenario}${also}`;
  }
  if (invariant !== undefined) return `invariant in ${invariant.scenario} (${invariant.invariant})`;
  const crash = outcomes.find((o) => o.crash !== null);
  if (crash !== undefined) return `crash in ${crash.scenario} (${crash.crash})`;
  const notAsWritten = outcomes.find((o) => o.notAsWritten);
  if (notAsWritten !== undefined) return `not as written: ${notAsWritten.scenario} did not run as its file says`;
  const failed = outcomes.find((o) => !o.passed);
  return failed === undefined ? null : `a failure of ${failed.scenario} (see its report)`;
}

/** Runs `files` in the copy under `dir`; every file must be reported, and the exit code must be 0 or 1. */
async function judge(dir: string, files: readonly string[], seeds: number, workers: number, what: string): Promise<{ outcomes: ScenarioOutcome[]; seconds: number; run: CliRun }> {
  const run = await runCli(dir, files, seeds, workers);
  if (run.code !== 0 && run.code !== 1) throw new ToolError(`${what}: ksim exited with ${run.code}\n${run.stderr.trim() || run.stdout.trim()}`);
  const parsed = parseReport(run.stdout, run.stderr, files);
  const outcomes: ScenarioOutcome[] = [];
  for (const file of files) {
    const name = file.replace(/^scenarios\//, '').replace(/\.yaml$/, '');
    const outcome = parsed.get(name);
    if (outcome === undefined) throw new ToolError(`${what}: the report has no verdict for ${file}\n${run.stdout.trim()}\n${run.stderr.trim()}`);
    outcomes.push(outcome);
  }
  if ((run.code === 0) !== outcomes.every((o) => o.passed)) throw new ToolError(`${what}: exit code ${run.code} disagrees with the verdicts read from the report\n${run.stdout.trim()}`);
  return { outcomes, seconds: run.seconds, run };
}

/** Runs `tasks` with at most `jobs` at a time; results in task order. */
async function pool<T>(tasks: readonly (() => Promise<T>)[], jobs: number, onDone: (index: number, result: T) => void): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await tasks[index]!();
      onDone(index, results[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

interface Options {
  readonly only: string | null;
  readonly catalog: boolean;
  /** --scenarios: these instead of each bug's own (reported as --catalog does). */
  readonly scenarios: readonly string[] | null;
  readonly seeds: number | null;
  readonly jobs: number;
}

function parseArgs(argv: readonly string[]): Options {
  let only: string | null = null;
  let catalog = false;
  let scenarios: string[] | null = null;
  let seeds: number | null = null;
  let jobs = Math.max(1, availableParallelism());
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new ToolError(`${arg} needs a value`);
      return v;
    };
    const count = (): number => {
      const v = value();
      if (!/^[1-9]\d*$/.test(v)) throw new ToolError(`${arg}: expected a positive whole number, found ${JSON.stringify(v)}`);
      return Number(v);
    };
    if (arg === '--only') only = value();
    else if (arg === '--catalog') catalog = true;
    else if (arg === '--scenarios') scenarios = value().split(',').map((name) => name.trim().replace(/^scenarios\//, '').replace(/\.yaml$/, ''));
    else if (arg === '--seeds') seeds = count();
    else if (arg === '--jobs') jobs = count();
    else throw new ToolError(`unknown argument ${JSON.stringify(arg)} (expected --only TEXT, --catalog, --scenarios A,B, --seeds N, --jobs N)`);
  }
  if (catalog && scenarios !== null) throw new ToolError('--catalog runs every scenario; --scenarios names some: one or the other');
  for (const name of scenarios ?? []) if (!existsSync(join(ROOT, scenarioFile(name)))) throw new ToolError(`--scenarios: no catalog scenario ${scenarioFile(name)}`);
  return { only, catalog, scenarios, seeds, jobs };
}

const seconds = (s: number): string => `${s.toFixed(1)} s`;

/** Checks every bug's fragment and scenarios against the working tree before anything runs. */
function checkBugs(bugs: readonly PlantedBug[]): void {
  const problems: string[] = [];
  for (const bug of bugs) {
    const problem = plantingProblem(ROOT, bug);
    if (problem !== null) problems.push(`planted bug "${bug.name}": ${problem}`);
    for (const scenario of bug.scenarios) if (!existsSync(join(ROOT, scenarioFile(scenario)))) problems.push(`planted bug "${bug.name}": no catalog scenario ${scenarioFile(scenario)}`);
    if (bug.scenarios.length === 0) problems.push(`planted bug "${bug.name}": names no scenario`);
  }
  if (problems.length > 0) throw new ToolError(problems.join('\n'));
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const bugs = options.only === null ? PLANTED_BUGS : PLANTED_BUGS.filter((bug) => bug.name.includes(options.only!));
  if (bugs.length === 0) throw new ToolError(`no planted bug's name contains ${JSON.stringify(options.only)}`);
  checkBugs(bugs);
  const base = mkdtempSync(join(tmpdir(), 'ksim-mutants-'));
  // Interrupted: the ksim runs stop, and the scratch copies go with us.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      for (const child of running) child.kill('SIGTERM');
      rmSync(base, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
  const wall = performance.now();
  try {
    const catalog = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort().map((f) => `scenarios/${f}`);
    const survey = options.catalog || options.scenarios !== null;
    const filesOf = (bug: PlantedBug): string[] => (options.catalog ? catalog : (options.scenarios ?? bug.scenarios).map(scenarioFile));
    const seedsOf = (bug: PlantedBug): number => options.seeds ?? (options.catalog ? 3 : bug.seeds);

    // The unmutated copy must be green on every scenario at every seed count used, or a catch means nothing.
    const groups = new Map<number, Set<string>>();
    for (const bug of bugs) {
      const set = groups.get(seedsOf(bug)) ?? new Set<string>();
      for (const file of filesOf(bug)) set.add(file);
      groups.set(seedsOf(bug), set);
    }
    const clean = scratchCopy(base, 'unmutated');
    for (const [seeds, files] of [...groups].sort((a, b) => a[0] - b[0])) {
      const { outcomes, seconds: took } = await judge(clean, [...files].sort(), seeds, options.jobs, 'the unmutated copy');
      const failing = outcomes.filter((o) => !o.passed);
      if (failing.length > 0) throw new ToolError(`the unmutated copy is not green at ${seeds} seeds: ${failing.map((o) => `${o.scenario} (${caughtBy([o])})`).join('; ')}; fix that first`);
      console.log(`unmutated: ${files.size} scenarios at ${seeds} ${seeds === 1 ? 'seed' : 'seeds'} all pass (${seconds(took)})`);
    }

    const width = Math.max(...bugs.map((bug) => bug.name.length));
    const lines: (string | null)[] = bugs.map(() => null);
    let printed = 0;
    const tasks = bugs.map((bug, index) => async (): Promise<boolean> => {
      const dir = scratchCopy(base, `bug-${index + 1}`);
      try {
        plant(dir, bug);
        const files = filesOf(bug);
        const { outcomes, seconds: took } = await judge(dir, files, seedsOf(bug), survey ? options.jobs : 1, `planted bug "${bug.name}"`);
        const by = survey ? catalogCatchers(outcomes) : caughtBy(outcomes);
        const ran = survey ? `${files.length} scenarios` : bug.scenarios.join(', ');
        lines[index] = `${by === null ? 'SURVIVED' : 'caught  '}  ${bug.name.padEnd(width)}  ${by ?? `(${ran} at ${seedsOf(bug)} ${seedsOf(bug) === 1 ? 'seed' : 'seeds'}: all passed)`}  ${seconds(took)}`;
        return by !== null;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
    // Lines come out in list order, each as soon as it and those before it are known.
    const results = await pool(tasks, survey ? 1 : options.jobs, () => {
      while (printed < lines.length && lines[printed] !== null) console.log(lines[printed++]);
    });
    const caught = results.filter(Boolean).length;
    console.log(`total wall time ${seconds((performance.now() - wall) / 1000)}`);
    console.log(`${caught} of ${bugs.length} planted bugs caught`);
    return caught === bugs.length ? 0 : 1;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

/** --catalog, --scenarios: every scenario that failed, with how. */
function catalogCatchers(outcomes: readonly ScenarioOutcome[]): string | null {
  const failing = outcomes.filter((o) => !o.passed);
  if (failing.length === 0) return null;
  return failing.map((o) => `${o.scenario} [${caughtBy([o])!.replace(` in ${o.scenario}`, '')}]`).join('; ');
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      if (error instanceof ToolError) {
        console.error(`mutants: error: ${error.message}`);
        process.exit(2);
      }
      throw error;
    },
  );
}
