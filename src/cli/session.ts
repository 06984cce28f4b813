// One `ksim run` while its outcomes arrive (in job order, see pool.ts): prints each `--json` line,
// writes or clears each seed's failure file, and prints a scenario's verdict block as soon as its
// last seed is in. Human text goes to stdout, or to stderr under --json so stdout stays pure JSON.
import type { ChalkInstance } from 'chalk';
import type { JudgedName } from '../checker/judged.js';
import type { ExpectationVerdict, ScenarioVerdict } from '../checker/verdict.js';
import type { RunSummary } from '../runner/types.js';
import type { LoadedScenario } from '../scenario/types.js';
import { writeFileAtomic } from './atomic-write.js';
import { colorsFor, type Stream } from './colors.js';
import { runsDiffer, threadsText } from './determinism.js';
import { EXIT_FAILED, EXIT_OK, exitCodeFor, type StopSignal } from './errors.js';
import { removeFailureFile, replayCommand, writeFailureFile } from './failure-file.js';
import { formatCounts, formatSeeds, plural } from './format.js';
import { bugLine, summaryLine } from './json-line.js';
import { junitXml, type JudgedScenario } from './junit.js';
import type { Rerun } from './pool.js';
import { startProgress, type Progress } from './progress.js';
import type { Job, JobOutcome } from './run-job.js';
import { reproduceCommand, ScenarioTally } from './tally.js';
import { scenarioBlock, totalLine } from './text-report.js';
import type { Shard } from './usage.js';
import { tableRow, verdictTable, type TableRow } from './verdict-table.js';

/** This invocation's share of a sharded suite, and the scenario files whose seeds it shares. */
export interface ShardPlan {
  readonly shard: Shard;
  readonly split: ReadonlySet<string>;
}

export interface SessionOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly junit: string | null;
  readonly progress: boolean;
  readonly shard?: ShardPlan | null;
  readonly checkDeterminism?: boolean;
}

/** Failing seeds listed for a scenario the interruption left unfinished. */
const MAX_PARTIAL_FAILURES = 5;

interface Nondeterministic {
  readonly scenario: string;
  readonly seed: number;
  readonly why: string;
}

export class RunSession {
  private readonly tallies: ScenarioTally[];
  private readonly byFile = new Map<string, ScenarioTally>();
  private readonly judged: JudgedScenario[] = [];
  private readonly rows: TableRow[] = [];
  private readonly nondeterministic: Nondeterministic[] = [];
  private readonly textStream: Stream;
  private readonly c: ChalkInstance;
  private readonly progress: Progress;
  private failingRuns = 0;
  private delivered = 0;
  private rerunsCompared = 0;
  private openExpectations = 0;
  private openForSeeds = 0;

  constructor(
    scenarios: readonly LoadedScenario[],
    private readonly jobs: readonly Job[],
    private readonly options: SessionOptions,
  ) {
    this.tallies = scenarios.map((loaded) => new ScenarioTally(loaded, jobs.filter((job) => job.file === loaded.file).length));
    for (const tally of this.tallies) this.byFile.set(tally.loaded.file, tally);
    this.textStream = options.json ? 'stderr' : 'stdout';
    this.c = colorsFor(this.textStream);
    this.progress = startProgress(jobs.length, options.progress);
  }

  deliver(job: Job, outcome: JobOutcome, rerun: Rerun | null = null): void {
    const tally = this.byFile.get(job.file);
    if (tally === undefined) throw new Error(`job ${job.index} names ${job.file}, which is not a scenario of this run`);
    this.delivered += 1;
    if (outcome.kind === 'summary') this.summary(tally, outcome.summary);
    else this.bug(tally, job, outcome.message, outcome.stack);
    if (rerun !== null) this.compare(tally, job, outcome, rerun);
    if (tally.complete) this.scenarioDone(tally);
    this.progress.tick(this.failingRuns + this.nondeterministic.length);
  }

  private summary(tally: ScenarioTally, summary: RunSummary): void {
    if (this.options.json) process.stdout.write(`${summaryLine(summary)}\n`);
    if (summary.ok) {
      removeFailureFile(tally.name, summary.seed);
      tally.addSummary(summary, null);
      return;
    }
    this.failingRuns += 1;
    tally.addSummary(summary, writeFailureFile(tally.loaded, summary));
  }

  // A simulator bug is loud at once, with its stack, on stderr, whatever the output mode.
  private bug(tally: ScenarioTally, job: Job, message: string, stack: string | null): void {
    this.failingRuns += 1;
    const bug = tally.addBug(job.seed, message, stack);
    if (this.options.json) process.stdout.write(`${bugLine(tally.name, job, message, bug.reproduce)}\n`);
    const c = colorsFor('stderr');
    this.progress.clear();
    process.stderr.write(`${c.red.bold(`ksim: SIMULATOR BUG in ${tally.name} seed ${job.seed}`)} (a bug in ksim, not in the scenario)\n`);
    process.stderr.write(`${stack ?? message}\n`);
    process.stderr.write(`reproduce with: ${bug.reproduce}\n`);
  }

  // --check-determinism: a second run that differs is a bug in ksim, loud at once on stderr.
  private compare(tally: ScenarioTally, job: Job, outcome: JobOutcome, rerun: Rerun): void {
    this.rerunsCompared += 1;
    const why = runsDiffer(outcome, rerun.outcome);
    if (why === null) return;
    this.nondeterministic.push({ scenario: tally.name, seed: job.seed, why });
    const c = colorsFor('stderr');
    this.progress.clear();
    process.stderr.write(`${c.red.bold(`ksim: NOT DETERMINISTIC: ${tally.name} seed ${job.seed}`)}: ${why} (${threadsText(rerun.threads)}); one scenario and seed must give one trace: a bug in ksim\n`);
    process.stderr.write(`reproduce with: ${reproduceCommand(job.file, job.seed)} --check-determinism\n`);
  }

  private scenarioDone(tally: ScenarioTally): void {
    const { verdict, open } = this.shardVerdict(tally);
    this.judged.push({ tally, verdict });
    this.rows.push(tableRow(tally.name, tally.loaded.scenario.claim, tally.seeds.length, tally.bugs.length, tally.totals, verdict, open));
    this.progress.clear();
    this.write(scenarioBlock(tally, verdict, this.c, this.options.quiet));
  }

  /** On a shard that holds only some of a scenario's seeds, `never` and `always` are judged seed by
   * seed as usual, but a `sometimes` no seed here showed may be shown by another shard's seeds: it
   * is left open (not failed), and `ksim judge` decides it over all the shards' --json lines. */
  private shardVerdict(tally: ScenarioTally): { verdict: ScenarioVerdict; open: Set<JudgedName> } {
    const verdict = tally.verdict();
    const open = new Set<JudgedName>();
    const shard = this.options.shard;
    const split = shard != null && shard.split.has(tally.loaded.file);
    const expectations = verdict.expectations.map((e): ExpectationVerdict => {
      if (e.expectation !== 'sometimes' || e.seedsWith > 0) return e;
      if (!split) {
        if (e.open) {
          open.add(e.anomaly);
          this.openForSeeds += 1;
        }
        return e;
      }
      // A split scenario's seeds, judged-over included, are counted by ksim judge over all shards.
      open.add(e.anomaly);
      this.openExpectations += 1;
      return { ...e, ok: true, open: false, why: `open: not seen in this shard's ${plural(e.seeds, 'seed')}; the other shards ran the rest (ksim judge combines them)` };
    });
    return { verdict: tally.verdictOf(expectations), open };
  }

  stopProgress(): void {
    this.progress.stop();
  }

  /** The verdict table, the total line and the JUnit file; returns the exit code. */
  finish(): number {
    const passed = this.judged.filter((j) => j.verdict.ok).length;
    const bugs = this.tallies.reduce((sum, t) => sum + t.bugs.length, 0);
    const runs = this.tallies.reduce((sum, t) => sum + t.seeds.length, 0);
    if (this.rows.length > 1 && !this.options.quiet) this.write(verdictTable(this.rows, this.c));
    this.write(totalLine({ scenarios: this.judged.length, passed, runs, failingRuns: this.failingRuns, bugs }, this.c));
    if (this.options.checkDeterminism === true) this.write(this.determinismLine());
    const shard = this.options.shard;
    if (shard != null && this.openExpectations > 0) {
      const { index, count } = shard.shard;
      this.write(`shard ${index}/${count}: ${plural(this.openExpectations, '`sometimes` expectation')} not seen on this shard left open; the suite's verdict: ksim judge <the ${count} shards' --json files>\n`);
    }
    if (this.openForSeeds > 0) {
      this.write(`${plural(this.openForSeeds, '`sometimes` expectation')} not seen in fewer seeds than its scenario is judged over (judged-over:) left open, not failed\n`);
    }
    if (this.options.junit !== null) writeFileAtomic(this.options.junit, junitXml(this.judged));
    const held = passed === this.tallies.length && bugs === 0 && this.nondeterministic.length === 0;
    return held ? EXIT_OK : EXIT_FAILED;
  }

  private determinismLine(): string {
    const differing = this.nondeterministic.length;
    if (differing === 0) return this.c.green(`determinism: ${plural(this.rerunsCompared, 'run')}, each run twice: the same trace hash both times\n`);
    const which = this.nondeterministic.map((n) => `${n.scenario} seed ${n.seed}`).join(', ');
    return this.c.red.bold(`determinism: ${differing} of ${plural(this.rerunsCompared, 'run')} gave a different trace hash the second time: ${which}\n`);
  }

  /** A run stopped by a signal: what was found so far (the scenarios judged above, the seeds in of
   * the others, their failure files, all written whole), the JUnit file with the unfinished
   * scenarios skipped, then the line that says where the run stopped. Returns 128 + the signal. */
  interrupted(signal: StopSignal): number {
    if (this.rows.length > 1 && !this.options.quiet) this.write(verdictTable(this.rows, this.c));
    const unfinished = this.tallies.filter((tally) => !tally.complete);
    for (const tally of unfinished.filter((t) => t.seeds.length > 0)) this.write(this.partialLines(tally));
    if (this.options.junit !== null) writeFileAtomic(this.options.junit, junitXml(this.judged, unfinished));
    const junit = this.options.junit === null ? '' : `; ${this.options.junit} written (unfinished scenarios skipped)`;
    const notRun = unfinished.length === 0 ? '' : `, ${plural(unfinished.length, 'scenario')} not finished`;
    this.write(this.c.yellow.bold(`ksim: interrupted after ${this.delivered} of ${plural(this.jobs.length, 'run')}: ${plural(this.judged.length, 'scenario')} judged${notRun}${junit}\n`));
    return exitCodeFor(signal);
  }

  private partialLines(tally: ScenarioTally): string {
    const lines = [`${this.c.yellow('UNFINISHED')} ${this.c.bold(tally.name)}: ${tally.seeds.length} of ${plural(tally.expectedRuns, 'seed')} run (${formatSeeds(tally.seeds)}), not judged`];
    lines.push(`  anomalies so far: ${formatCounts(tally.totals)}`);
    for (const failing of tally.failing.slice(0, MAX_PARTIAL_FAILURES)) {
      lines.push(`  seed ${failing.seed} broke ${this.c.red(failing.broken.join('; '))}; replay: ${this.c.cyan(replayCommand(failing.failureFile))}`);
    }
    const more = tally.failing.length - MAX_PARTIAL_FAILURES;
    if (more > 0) lines.push(`  ... and ${plural(more, 'more failing seed')}: ${formatSeeds(tally.failing.slice(MAX_PARTIAL_FAILURES).map((f) => f.seed))}, failure files beside the ones above`);
    for (const bug of tally.bugs) lines.push(this.c.red.bold(`  SIMULATOR BUG in seed ${bug.seed}: ${bug.message}; reproduce with: ${bug.reproduce}`));
    return `${lines.join('\n')}\n`;
  }

  private write(text: string): void {
    if (this.textStream === 'stdout') process.stdout.write(text);
    else process.stderr.write(text);
  }
}
