// The `--json` contract: exactly one object per (scenario, seed), one per line, fields in a
// fixed order so that two runs can be compared with diff.
import type { RunSummary } from '../runner/types.js';
import type { Job } from './run-job.js';

export function summaryLine(summary: RunSummary): string {
  return JSON.stringify({
    scenario: summary.scenario,
    file: summary.file,
    seed: summary.seed,
    traceHash: summary.traceHash,
    simulatedMs: summary.simulatedMs,
    events: summary.events,
    messages: summary.messages,
    lag: summary.lag,
    anomalies: summary.anomalies,
    coverage: summary.coverage,
    failedStarts: summary.failedStarts,
    skippedFaults: summary.skippedFaults,
    nemesisMisses: summary.nemesisMisses,
    ok: summary.ok,
    broken: summary.broken,
    budgetExhausted: summary.budgetExhausted,
    instances: summary.instances,
  });
}

/** A run that threw (a simulator bug) still gets its line, marked by `simulatorBug`, with `ok: false`. */
export function bugLine(scenario: string, job: Job, message: string, reproduce: string): string {
  return JSON.stringify({ scenario, file: job.file, seed: job.seed, ok: false, simulatorBug: message, reproduce });
}
