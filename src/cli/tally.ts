// What the CLI keeps of one scenario's runs while they arrive: per-seed anomaly counts (all that
// judging needs), per-probe coverage sums, and full summaries only for the first few failing
// seeds (their stories), so a run of many seeds holds little memory.
import { ANOMALY_NAMES, zeroCounts, type AnomalyCounts, type AnomalyInstance, type AnomalyName } from '../checker/anomalies.js';
import { PROBE_NAMES, zeroCoverage, type CoverageCounts } from '../checker/coverage.js';
import { judgedCounts, type JudgedCounts } from '../checker/judged.js';
import { judgeSeeds, type ExpectationVerdict, type ScenarioVerdict } from '../checker/verdict.js';
import type { FailedStart } from '../checker/start-failures.js';
import type { RunSummary } from '../runner/types.js';
import type { LoadedScenario } from '../scenario/types.js';
import { shellQuote } from './format.js';

/** Failing seeds whose stories are kept and printed (the first); the rest are listed by their replay command. */
export const STORY_SEEDS = 1;

export interface FailingSeed {
  readonly seed: number;
  readonly broken: readonly string[];
  readonly failureFile: string;
  readonly summary: RunSummary | null; // kept for the first STORY_SEEDS failing seeds only
}

export interface BugRun {
  readonly seed: number;
  readonly message: string;
  readonly stack: string | null;
  readonly reproduce: string;
}

export class ScenarioTally {
  readonly seeds: number[] = [];
  readonly perSeed: JudgedCounts[] = []; // anomalies and coverage probes
  readonly totals: AnomalyCounts = zeroCounts();
  readonly failing: FailingSeed[] = [];
  readonly bugs: BugRun[] = [];
  readonly exhausted: number[] = []; // seeds that stopped at their event budget
  /** The first instance of each anomaly, with its seed: a `sometimes` that held shows one story. */
  readonly examples = new Map<AnomalyName, { readonly seed: number; readonly instance: AnomalyInstance }>();
  /** Per coverage probe: how many of the seeds that ran reached it, and how often in all. */
  readonly reachedSeeds: CoverageCounts = zeroCoverage();
  readonly reachedTimes: CoverageCounts = zeroCoverage();
  /** Seeds with a failed broker start, how many in all, and the first such seed's (the report tells them). */
  failedStartSeeds = 0;
  failedStartTotal = 0;
  failedStartExample: { readonly seed: number; readonly failedStarts: readonly FailedStart[] } | null = null;
  /** Scripted faults skipped with may-miss (the others fail their seed and show there), and random faults that found no target. */
  /** Seeds that did not run as written (a scripted fault skipped without may-miss, or the event budget spent): each fails the scenario. */
  readonly notAsWritten: number[] = [];
  allowedSkipSeeds = 0;
  allowedSkipTotal = 0;
  /** Per group, in first-seen order: its lag at the end, least and most over the seeds, both ways. */
  readonly lag = new Map<string, { isolationLevel: string; highWatermark: [number, number]; lastStable: [number, number] }>();
  nemesisMissSeeds = 0;
  nemesisMissTotal = 0;

  constructor(
    readonly loaded: LoadedScenario,
    readonly expectedRuns: number,
  ) {}

  get name(): string {
    return this.loaded.scenario.name;
  }

  get complete(): boolean {
    return this.seeds.length === this.expectedRuns;
  }

  addSummary(summary: RunSummary, failureFile: string | null): void {
    this.seeds.push(summary.seed);
    this.perSeed.push(judgedCounts(summary.anomalies, summary.coverage));
    for (const name of ANOMALY_NAMES) this.totals[name] += summary.anomalies[name];
    for (const g of summary.lag) {
      const seen = this.lag.get(g.group);
      if (seen === undefined) {
        this.lag.set(g.group, { isolationLevel: g.isolationLevel, highWatermark: [g.highWatermarkLag, g.highWatermarkLag], lastStable: [g.lastStableLag, g.lastStableLag] });
        continue;
      }
      seen.highWatermark = [Math.min(seen.highWatermark[0], g.highWatermarkLag), Math.max(seen.highWatermark[1], g.highWatermarkLag)];
      seen.lastStable = [Math.min(seen.lastStable[0], g.lastStableLag), Math.max(seen.lastStable[1], g.lastStableLag)];
    }
    for (const name of PROBE_NAMES) {
      const times = summary.coverage[name];
      if (times > 0) this.reachedSeeds[name] += 1;
      this.reachedTimes[name] += times;
    }
    if (summary.failedStarts.length > 0) {
      this.failedStartSeeds += 1;
      this.failedStartTotal += summary.failedStarts.length;
      if (this.failedStartExample === null || summary.seed < this.failedStartExample.seed) this.failedStartExample = { seed: summary.seed, failedStarts: summary.failedStarts };
    }
    const allowed = summary.skippedFaults.filter((s) => s.allowed).length;
    if (allowed > 0) {
      this.allowedSkipSeeds += 1;
      this.allowedSkipTotal += allowed;
    }
    if (summary.nemesisMisses > 0) {
      this.nemesisMissSeeds += 1;
      this.nemesisMissTotal += summary.nemesisMisses;
    }
    if (summary.budgetExhausted) this.exhausted.push(summary.seed);
    if (summary.budgetExhausted || summary.skippedFaults.some((s) => !s.allowed)) this.notAsWritten.push(summary.seed);
    for (const instance of summary.instances) {
      if (!this.examples.has(instance.anomaly)) this.examples.set(instance.anomaly, { seed: summary.seed, instance });
    }
    if (failureFile !== null) {
      const keep = this.failing.length < STORY_SEEDS ? summary : null;
      this.failing.push({ seed: summary.seed, broken: summary.broken, failureFile, summary: keep });
    }
  }

  addBug(seed: number, message: string, stack: string | null): BugRun {
    this.seeds.push(seed);
    const bug = { seed, message, stack, reproduce: reproduceCommand(this.loaded.file, seed) };
    this.bugs.push(bug);
    return bug;
  }

  /** judgeSeeds over the seeds that ran; a seed that crashed the simulator, or did not run as written, fails the scenario. */
  verdict(): ScenarioVerdict {
    const judged = judgeSeeds(this.loaded.scenario.expect, this.perSeed, this.loaded.scenario.judgedOver);
    return this.verdictOf(judged.expectations);
  }

  /** The scenario's verdict with these expectation verdicts (a shard may leave some open). */
  verdictOf(expectations: readonly ExpectationVerdict[]): ScenarioVerdict {
    return { ok: expectations.every((e) => e.ok) && this.bugs.length === 0 && this.notAsWritten.length === 0, expectations };
  }
}

export function reproduceCommand(file: string, seed: number): string {
  return `npx ksim run ${shellQuote(file)} --seed ${seed}`;
}
