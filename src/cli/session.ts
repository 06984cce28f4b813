// One `ksim run` while its outcomes arrive (in job order, see pool.ts): prints each `--json` line,
// writes or clears each seed's failure file, and prints a scenario's verdict block as soon as its
// last seed is in. Human text goes to stdout, or to stderr under --json so stdout stays pure JSON.
import type { ChalkInstance } from 'chalk';
import type { RunSummary } from '../runner/types.js';
import type { LoadedScenario } from '../scenario/types.js';
import { writeFileAtomic } from './atomic-write.js';
import { colorsFor, type Stream } from './colors.js';
import { EXIT_FAILED, EXIT_OK } from './errors.js';
import { removeFailureFile, writeFailureFile } from './failure-file.js';
import { bugLine, summaryLine } from './json-line.js';
import { junitXml, type JudgedScenario } from './junit.js';
import { startProgress, type Progress } from './progress.js';
import type { Job, JobOutcome } from './run-job.js';
import { ScenarioTally } from './tally.js';
import { scenarioBlock, totalLine } from './text-report.js';

export interface SessionOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly junit: string | null;
  readonly progress: boolean;
}

export class RunSession {
  private readonly tallies: ScenarioTally[];
  private readonly byFile = new Map<string, ScenarioTally>();
  private readonly judged: JudgedScenario[] = [];
  private readonly textStream: Stream;
  private readonly c: ChalkInstance;
  private readonly progress: Progress;
  private failingRuns = 0;

  constructor(
    scenarios: readonly LoadedScenario[],
    jobs: readonly Job[],
    private readonly options: SessionOptions,
  ) {
    this.tallies = scenarios.map((loaded) => new ScenarioTally(loaded, jobs.filter((job) => job.file === loaded.file).length));
    for (const tally of this.tallies) this.byFile.set(tally.loaded.file, tally);
    this.textStream = options.json ? 'stderr' : 'stdout';
    this.c = colorsFor(this.textStream);
    this.progress = startProgress(jobs.length, options.progress);
  }

  deliver(job: Job, outcome: JobOutcome): void {
    const tally = this.byFile.get(job.file);
    if (tally === undefined) throw new Error(`job ${job.index} names ${job.file}, which is not a scenario of this run`);
    if (outcome.kind === 'summary') this.summary(tally, outcome.summary);
    else this.bug(tally, job, outcome.message, outcome.stack);
    if (tally.complete) this.scenarioDone(tally);
    this.progress.tick(this.failingRuns);
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

  private scenarioDone(tally: ScenarioTally): void {
    const verdict = tally.verdict();
    this.judged.push({ tally, verdict });
    this.progress.clear();
    this.write(scenarioBlock(tally, verdict, this.c, this.options.quiet));
  }

  stopProgress(): void {
    this.progress.stop();
  }

  /** The total line and the JUnit file; returns the exit code. */
  finish(): number {
    const passed = this.judged.filter((j) => j.verdict.ok).length;
    const bugs = this.tallies.reduce((sum, t) => sum + t.bugs.length, 0);
    const runs = this.tallies.reduce((sum, t) => sum + t.seeds.length, 0);
    this.write(totalLine({ scenarios: this.judged.length, passed, runs, failingRuns: this.failingRuns, bugs }, this.c));
    if (this.options.junit !== null) writeFileAtomic(this.options.junit, junitXml(this.judged));
    return passed === this.tallies.length && bugs === 0 ? EXIT_OK : EXIT_FAILED;
  }

  private write(text: string): void {
    if (this.textStream === 'stdout') process.stdout.write(text);
    else process.stderr.write(text);
  }
}
