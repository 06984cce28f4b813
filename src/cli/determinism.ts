// `--check-determinism`: every seed runs twice (on two worker threads when there are several)
// and the two trace hashes must be equal. Same scenario and seed, same trace is the kernel's
// contract; a difference is a bug in ksim (ambient state, an unseeded random stream, iteration
// over something unordered), never a property of the scenario.
import type { JobOutcome } from './run-job.js';

/** Why two runs of one (scenario, seed) are not the same run, or null when they are. */
export function runsDiffer(first: JobOutcome, second: JobOutcome): string | null {
  if (first.kind === 'summary' && second.kind === 'summary') {
    const [a, b] = [first.summary.traceHash, second.summary.traceHash];
    return a === b ? null : `trace hash ${a} on the first run, ${b} on the second`;
  }
  if (first.kind === 'bug' && second.kind === 'bug') {
    return first.message === second.message ? null : `the first run threw "${first.message}", the second "${second.message}"`;
  }
  return `${describe(first)} on the first run, ${describe(second)} on the second`;
}

function describe(outcome: JobOutcome): string {
  return outcome.kind === 'summary' ? `trace hash ${outcome.summary.traceHash}` : `a simulator bug ("${outcome.message}")`;
}

/** Where the two runs happened, for the report: thread 0 is the main thread. */
export function threadsText(threads: readonly [number, number]): string {
  const [a, b] = threads;
  if (a === b) return a === 0 ? 'both in-process' : `both on worker thread ${a}`;
  return `on worker threads ${a} and ${b}`;
}
