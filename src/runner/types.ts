import type { TraceObserver } from '../../sim/index.js';
import type { AnomalyCounts, AnomalyInstance } from '../checker/anomalies.js';
import type { CoverageCounts } from '../checker/coverage.js';
import type { GroupLag } from '../checker/outcome.js';
import type { FailedStart } from '../checker/start-failures.js';

/** A scripted fault that could not be applied: the scenario did not run as written, unless `allowed` (may-miss). */
export interface SkippedFault {
  readonly atMs: number;
  readonly line: number; // the fault's line in the scenario file
  readonly action: string; // kill, pause, partition, ...
  readonly why: string; // e.g. "target leader(orders/0) names no node now"
  readonly allowed: boolean;
}

export interface MessageCounts {
  readonly sent: number; // the application called send()
  readonly acked: number; // the application was told: success
  readonly failed: number; // the application was told: failure
  readonly inLog: number; // distinct messages in the final log
  readonly processed: number; // distinct messages the consuming applications processed
}

/** What one (scenario, seed) run produced: the `--json` line, plus the stories. */
export interface RunSummary {
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  readonly traceHash: string; // 16 hex digits
  readonly simulatedMs: number;
  readonly events: number; // scheduler events run
  readonly messages: MessageCounts;
  /** Each consumer group's lag at the end: to the high watermark and to the last stable offset. */
  readonly lag: readonly GroupLag[];
  readonly anomalies: AnomalyCounts; // every name, zero included
  /** How often the run reached each rare Kafka situation (COVERAGE_PROBES): every probe, zero included. */
  readonly coverage: CoverageCounts;
  /** Brokers whose start failed (e.g. restarted while their previous process's session still held their registration). */
  readonly failedStarts: readonly FailedStart[];
  /** Scripted faults whose target named nobody when they came due (in time order). */
  readonly skippedFaults: readonly SkippedFault[];
  /** Random faults that found no target when drawn: shown, not failed (the nemesis is random by design). */
  readonly nemesisMisses: number;
  /** This seed broke no `never` and no `always` expectation, and ran every scripted fault not marked may-miss. */
  readonly ok: boolean;
  /** The expectations this seed broke, e.g. `lost: expected never, found 3`. */
  readonly broken: readonly string[];
  /** Instances with their stories, at most a few per anomaly. */
  readonly instances: readonly AnomalyInstance[];
  /** The run stopped because it spent its event budget, not because it finished. */
  readonly budgetExhausted: boolean;
  /** Bytes the checker kept for this run (its ledger and offset tables), for the benchmark. */
  readonly checkerBytes: number;
}

export interface RunOptions {
  /** Write every trace event to this file as JSON lines (atomically: temp file, then rename). */
  readonly traceFile?: string;
  /** Stop after this many scheduler events (default: 50 million). */
  readonly eventBudget?: number;
  /** Sees every trace event as it happens (for tests and tools); it must only observe. */
  readonly observer?: TraceObserver;
}
