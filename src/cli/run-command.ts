// `ksim run`: load every scenario (all input errors first, nothing runs on bad input), expand the
// seeds into jobs (keeping this shard's share under --shard), run them on the pool, and report in
// (scenario order, seed) order. Ctrl-C (SIGINT) or SIGTERM stops the pool and reports what was
// found (exit 130 or 143).
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { loadScenarioPaths } from '../scenario/index.js';
import type { LoadedScenario } from '../scenario/types.js';
import { colorsFor, isTerminal } from './colors.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor, printError, printInputErrors, STOP_SIGNALS, type StopSignal } from './errors.js';
import { plural } from './format.js';
import { runJobs, type PoolResult } from './pool.js';
import type { Job } from './run-job.js';
import { RunSession, type SessionOptions, type ShardPlan } from './session.js';
import { MAX_RUNS, parseSeedSelection, parseShard, parseWorkers, seedsOf, shardOf, UsageError, type SeedSelection, type Shard } from './usage.js';

/** The options as commander hands them over: strings, validated here. */
export interface RunFlags {
  readonly seed?: string;
  readonly seeds?: string;
  readonly workers?: string;
  readonly shard?: string;
  readonly checkDeterminism?: boolean;
  readonly json?: boolean;
  readonly junit?: string;
  readonly trace?: string;
  readonly quiet?: boolean;
}

interface Plan extends SessionOptions {
  readonly selection: SeedSelection;
  readonly workers: number;
  readonly trace: string | null;
  readonly shardFlag: Shard | null;
  readonly checkDeterminism: boolean;
}

export function defaultWorkers(): number {
  return Math.min(2, availableParallelism());
}

function plan(flags: RunFlags): Plan {
  const json = flags.json === true;
  const quiet = flags.quiet === true;
  return {
    selection: parseSeedSelection(flags.seed, flags.seeds),
    workers: parseWorkers(flags.workers, defaultWorkers()),
    shardFlag: parseShard(flags.shard),
    checkDeterminism: flags.checkDeterminism === true,
    trace: flags.trace ?? null,
    json,
    quiet,
    junit: flags.junit ?? null,
    progress: isTerminal('stderr') && !quiet && !json,
  };
}

export async function runCommand(paths: readonly string[], flags: RunFlags): Promise<number> {
  const options = plan(flags);
  const loaded = loadAll(paths);
  if (loaded === null) return EXIT_USAGE;
  const suite = buildJobs(loaded, options.selection);
  const { jobs, scenarios, shard } = shardPlan(loaded, suite, options.shardFlag);
  if (jobs.length > MAX_RUNS) throw new UsageError(`${plural(jobs.length, 'run')} requested; at most ${MAX_RUNS} per invocation`);
  if (options.trace !== null && jobs.length !== 1) {
    throw new UsageError(`--trace writes the trace of one run, but this invocation has ${plural(jobs.length, 'run')}; pick one scenario and one --seed`);
  }
  if (shard !== null) {
    const { index, count } = shard.shard;
    const share = count === 1 ? 'all of them' : `every ${ordinal(count)} run from the ${ordinal(index)}`;
    if (!options.quiet) process.stderr.write(colorsFor('stderr').dim(`ksim: shard ${index}/${count}: ${jobs.length} of the suite's ${plural(suite.length, 'run')} (${share})\n`));
    if (jobs.length === 0) {
      // More shards than runs: this machine's share is empty, which is no failure of the suite.
      const text = `shard ${index}/${count}: nothing to run (the suite has ${plural(suite.length, 'run')})\n`;
      if (options.json) process.stderr.write(text);
      else process.stdout.write(text);
      return EXIT_OK;
    }
  }
  const started = Date.now(); // wall clock: a timing figure for the user, never part of a result
  const session = new RunSession(scenarios, jobs, { ...options, shard });
  const result = await runInterruptibly(session, jobs, options);
  if (result.interrupted && result.stoppedBy !== null) return session.interrupted(result.stoppedBy);
  const exitCode = session.finish();
  if (!options.quiet) {
    const runs = jobs.length * (options.checkDeterminism ? 2 : 1);
    const workers = options.trace === null ? Math.min(options.workers, runs) : 1; // a traced run is in-process (pool.ts)
    const where = workers <= 1 ? 'in-process' : `on ${workers} worker threads`;
    const twice = options.checkDeterminism ? ', each run twice,' : '';
    process.stderr.write(colorsFor('stderr').dim(`ksim: ${plural(jobs.length, 'run')}${twice} in ${((Date.now() - started) / 1000).toFixed(1)}s ${where}\n`));
  }
  return exitCode;
}

interface StoppableResult extends PoolResult {
  /** The signal that stopped the run early, if one did. */
  readonly stoppedBy: StopSignal | null;
}

/** Runs the jobs; the first SIGINT (Ctrl-C) or SIGTERM (a CI runner cancelling the job, `timeout`)
 * stops the workers and lets the session report what was found; a second signal quits at once. */
async function runInterruptibly(session: RunSession, jobs: readonly Job[], options: Plan): Promise<StoppableResult> {
  const stop = new AbortController();
  let stoppedBy: StopSignal | null = null;
  const onSignal = (signal: StopSignal): void => {
    session.stopProgress();
    if (stoppedBy !== null) process.exit(exitCodeFor(signal));
    stoppedBy = signal;
    process.stderr.write(colorsFor('stderr').yellow(`\n${stoppingNotice(signal)}\n`));
    stop.abort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const runOptions = options.trace === null ? {} : { traceFile: options.trace };
    const result = await runJobs(jobs, options.workers, (job, outcome, rerun) => session.deliver(job, outcome, rerun), runOptions, {
      twice: options.checkDeterminism,
      signal: stop.signal,
    });
    return { ...result, stoppedBy };
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    session.stopProgress();
  }
}

function stoppingNotice(signal: StopSignal): string {
  if (signal === 'SIGINT') return 'ksim: interrupted: stopping the runs (Ctrl-C again quits at once)';
  return 'ksim: interrupted by SIGTERM: stopping the runs (a second signal quits at once)';
}

/** Without --shard, the whole suite. With it, this shard's jobs (indexed 0..n-1 again, as the pool
 * wants), the scenarios that have any, and the scenario files whose seeds other shards share. */
function shardPlan(scenarios: readonly LoadedScenario[], suite: readonly Job[], shard: Shard | null): { jobs: Job[]; scenarios: LoadedScenario[]; shard: ShardPlan | null } {
  if (shard === null) return { jobs: [...suite], scenarios: [...scenarios], shard: null };
  const jobs = shardOf(suite, shard).map((job, index) => ({ ...job, index }));
  const here = new Map<string, number>();
  const all = new Map<string, number>();
  for (const job of jobs) here.set(job.file, (here.get(job.file) ?? 0) + 1);
  for (const job of suite) all.set(job.file, (all.get(job.file) ?? 0) + 1);
  const split = new Set([...here].filter(([file, mine]) => mine < (all.get(file) ?? 0)).map(([file]) => file));
  return { jobs, scenarios: scenarios.filter((loaded) => here.has(loaded.file)), shard: { shard, split } };
}

/** The scenarios to run, or null after printing why not (every error, then exit 2). */
function loadAll(paths: readonly string[]): LoadedScenario[] | null {
  const loaded = loadScenarioPaths(paths);
  if (loaded.errors.length > 0) {
    printInputErrors(loaded.errors, 'nothing was run');
    return null;
  }
  if (loaded.scenarios.length === 0) {
    printError(`no scenario files (*.yaml, *.yml) in ${paths.join(' ')}`);
    return null;
  }
  return distinctScenarios(loaded.scenarios);
}

/** The same file named twice runs once. Two files with one scenario name would share failure
 * files and a JUnit testcase, so that is refused. */
function distinctScenarios(scenarios: readonly LoadedScenario[]): LoadedScenario[] | null {
  const byFile = new Map<string, LoadedScenario>();
  for (const loaded of scenarios) if (!byFile.has(resolve(loaded.file))) byFile.set(resolve(loaded.file), loaded);
  const byName = new Map<string, LoadedScenario>();
  for (const loaded of byFile.values()) {
    const other = byName.get(loaded.scenario.name);
    if (other !== undefined) {
      printError(`two scenarios are named "${loaded.scenario.name}" (${other.file} and ${loaded.file}); give one a different name: (scenario names key the failure files and JUnit testcases)`);
      return null;
    }
    byName.set(loaded.scenario.name, loaded);
  }
  return [...byFile.values()];
}

function buildJobs(scenarios: readonly LoadedScenario[], selection: SeedSelection): Job[] {
  const jobs: Job[] = [];
  for (const loaded of scenarios) {
    for (const seed of seedsOf(selection, loaded.scenario.seed)) {
      jobs.push({ index: jobs.length, file: loaded.file, text: loaded.text, seed });
    }
  }
  return jobs;
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return n === 1 ? 'first' : `${n}${suffix}`;
}
