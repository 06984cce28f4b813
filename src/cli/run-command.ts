// `ksim run`: load every scenario (all input errors first, nothing runs on bad input), expand the
// seeds into jobs, run them on the pool, and report in (scenario order, seed) order.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { unsupportedReason } from '../runner/index.js';
import { loadScenarioPaths } from '../scenario/index.js';
import type { LoadedScenario } from '../scenario/types.js';
import { colorsFor, isTerminal } from './colors.js';
import { EXIT_USAGE, printError, printInputErrors } from './errors.js';
import { plural } from './format.js';
import { runJobs } from './pool.js';
import type { Job } from './run-job.js';
import { RunSession, type SessionOptions } from './session.js';
import { MAX_RUNS, parseSeedSelection, parseWorkers, seedsOf, UsageError, type SeedSelection } from './usage.js';

/** The options as commander hands them over: strings, validated here. */
export interface RunFlags {
  readonly seed?: string;
  readonly seeds?: string;
  readonly workers?: string;
  readonly json?: boolean;
  readonly junit?: string;
  readonly trace?: string;
  readonly quiet?: boolean;
}

interface Plan extends SessionOptions {
  readonly selection: SeedSelection;
  readonly workers: number;
  readonly trace: string | null;
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
    trace: flags.trace ?? null,
    json,
    quiet,
    junit: flags.junit ?? null,
    progress: isTerminal('stderr') && !quiet && !json,
  };
}

export async function runCommand(paths: readonly string[], flags: RunFlags): Promise<number> {
  const options = plan(flags);
  const scenarios = loadAll(paths);
  if (scenarios === null) return EXIT_USAGE;
  const jobs = buildJobs(scenarios, options.selection);
  if (jobs.length > MAX_RUNS) throw new UsageError(`${plural(jobs.length, 'run')} requested; at most ${MAX_RUNS} per invocation`);
  if (options.trace !== null && jobs.length !== 1) {
    throw new UsageError(`--trace writes the trace of one run, but this invocation has ${plural(jobs.length, 'run')}; pick one scenario and one --seed`);
  }
  const started = Date.now(); // wall clock: a timing figure for the user, never part of a result
  const session = new RunSession(scenarios, jobs, options);
  try {
    await runJobs(jobs, options.workers, (job, outcome) => session.deliver(job, outcome), options.trace === null ? {} : { traceFile: options.trace });
  } finally {
    session.stopProgress();
  }
  const exitCode = session.finish();
  if (!options.quiet) {
    const workers = Math.min(options.workers, jobs.length);
    const where = workers <= 1 ? 'in-process' : `on ${workers} worker threads`;
    process.stderr.write(colorsFor('stderr').dim(`ksim: ${plural(jobs.length, 'run')} in ${((Date.now() - started) / 1000).toFixed(1)}s ${where}\n`));
  }
  return exitCode;
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
  // A valid scenario this version cannot simulate is refused up front, before any run, rather
  // than reported seed by seed as if the simulator had crashed.
  const unsupported = loaded.scenarios.flatMap((s) => {
    const reason = unsupportedReason(s.scenario);
    return reason === null ? [] : [`${s.file}: ${reason}`];
  });
  if (unsupported.length > 0) {
    for (const line of unsupported) printError(line);
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
