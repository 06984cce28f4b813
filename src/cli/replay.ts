// `ksim replay FILE`: re-runs a failure file's scenario text with its seed, says whether the run
// is the same one (trace hash), and tells every anomaly's story in full.
import type { ChalkInstance } from 'chalk';
import { loadScenarioText } from '../scenario/index.js';
import { runScenario, type RunSummary } from '../runner/index.js';
import { colorsFor } from './colors.js';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, printError, printInputErrors, printWarning } from './errors.js';
import { readFailureFile, type FailureRecord } from './failure-file.js';
import { formatCounts } from './format.js';
import { failedStartText, storyLines } from './text-report.js';
import { KSIM_VERSION } from './version.js';

export interface ReplayFlags {
  readonly trace?: string;
}

export function replay(path: string, flags: ReplayFlags): number {
  const read = readFailureFile(path);
  if (!read.ok) {
    printError(read.error);
    return EXIT_USAGE;
  }
  const record = read.record;
  if (record.ksimVersion !== KSIM_VERSION) {
    printWarning(`${path} was recorded by ksim ${record.ksimVersion}, this is ksim ${KSIM_VERSION}: the run may differ`);
  }
  const loaded = loadScenarioText(record.scenarioText, record.file);
  if (!loaded.ok) {
    printInputErrors(loaded.errors, `the scenario embedded in ${path} does not load in this version`);
    return EXIT_USAGE;
  }
  const c = colorsFor('stdout');
  process.stdout.write(`replaying ${c.bold(record.scenario)} (${record.file}) seed ${record.seed}\n`);
  let summary: RunSummary;
  try {
    summary = runScenario(loaded.value, record.seed, flags.trace === undefined ? {} : { traceFile: flags.trace });
  } catch (error) {
    printError(`SIMULATOR BUG (a bug in ksim, not in the scenario) while replaying ${path}`);
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT_FAILED;
  }
  process.stdout.write(report(record, summary, c));
  return summary.traceHash === record.traceHash ? EXIT_OK : EXIT_FAILED;
}

function report(record: FailureRecord, summary: RunSummary, c: ChalkInstance): string {
  const same = summary.traceHash === record.traceHash;
  const lines = [
    same
      ? c.green(`trace hash ${summary.traceHash} matches`)
      : c.red.bold(`trace hash DIFFERS: recorded ${record.traceHash}, now ${summary.traceHash}`) + ' (the simulator or the scenario changed)',
    `simulated ${summary.simulatedMs} ms, ${summary.events} events`,
    `messages: sent ${summary.messages.sent}, acked ${summary.messages.acked}, failed ${summary.messages.failed}, in log ${summary.messages.inLog}, processed ${summary.messages.processed}`,
    `anomalies: ${formatCounts(summary.anomalies)}`,
    summary.ok ? c.green('this seed now breaks no never/always expectation') : `broken: ${c.red(summary.broken.join('; '))}`,
  ];
  if (summary.budgetExhausted) lines.push(c.yellow('warning: the run stopped at its event budget before the scenario ended'));
  for (const f of summary.failedStarts) lines.push(c.yellow(failedStartText(f)));
  lines.push(...storyLines(summary.instances, c, '  ', true));
  return `${lines.join('\n')}\n`;
}
