// One (scenario, seed) run, the same code in a worker thread and in-process, so the worker count
// cannot change a result. An exception out of the runner is a simulator bug (a broken model
// invariant), never bad input: the main thread already validated the scenario text.
import { formatInputError, loadScenarioText } from '../scenario/index.js';
import { runScenario, type RunOptions, type RunSummary } from '../runner/index.js';

export interface Job {
  readonly index: number; // position in (scenario order, seed) order
  readonly file: string;
  readonly text: string;
  readonly seed: number;
}

export type JobOutcome =
  | { readonly kind: 'summary'; readonly summary: RunSummary }
  | { readonly kind: 'bug'; readonly message: string; readonly stack: string | null };

export function runJob(job: Job, options: RunOptions = {}): JobOutcome {
  const loaded = loadScenarioText(job.text, job.file);
  if (!loaded.ok) {
    const errors = loaded.errors.map(formatInputError).join('; ');
    return { kind: 'bug', message: `the scenario parsed in the main thread but not again: ${errors}`, stack: null };
  }
  try {
    return { kind: 'summary', summary: runScenario(loaded.value, job.seed, options) };
  } catch (error) {
    return bugOutcome(error);
  }
}

export function bugOutcome(error: unknown): JobOutcome {
  if (error instanceof Error) return { kind: 'bug', message: error.message, stack: error.stack ?? null };
  return { kind: 'bug', message: String(error), stack: null };
}

/** Messages cross a thread boundary untyped; this checks a job before the worker trusts it. */
export function isJob(value: unknown): value is Job {
  if (typeof value !== 'object' || value === null) return false;
  const job = value as Record<string, unknown>;
  return (
    typeof job['index'] === 'number' &&
    typeof job['file'] === 'string' &&
    typeof job['text'] === 'string' &&
    typeof job['seed'] === 'number'
  );
}
