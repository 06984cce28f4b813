// `--junit FILE`: one testcase per scenario, judged over all its seeds, for CI dashboards. A
// broken expectation is a <failure>; a simulator bug is an <error>, since the scenario could not
// be judged; a scenario an interrupted run left unfinished is <skipped>, with what its seeds found
// so far. No timing attributes, so the same results always give the same file.
import type { ScenarioVerdict } from '../checker/verdict.js';
import { replayCommand } from './failure-file.js';
import { formatCounts, formatSeeds, plural } from './format.js';
import type { ScenarioTally } from './tally.js';

export interface JudgedScenario {
  readonly tally: ScenarioTally;
  readonly verdict: ScenarioVerdict;
}

/** The judged scenarios, then the ones a signal stopped before their last seed (suite order both). */
export function junitXml(judged: readonly JudgedScenario[], unfinished: readonly ScenarioTally[] = []): string {
  const failures = judged.filter((j) => j.tally.bugs.length === 0 && !j.verdict.ok).length;
  const errors = judged.filter((j) => j.tally.bugs.length > 0).length;
  const counts = `tests="${judged.length + unfinished.length}" failures="${failures}" errors="${errors}" skipped="${unfinished.length}"`;
  const cases = [...judged.map(testcase), ...unfinished.map(skippedCase)].join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ksim" ${counts}>\n  <testsuite name="ksim" ${counts}>\n${cases}  </testsuite>\n</testsuites>\n`;
}

function testcase({ tally, verdict }: JudgedScenario): string {
  const body = [`seeds ${formatSeeds(tally.seeds)}`, ...verdict.expectations.map((e) => `${e.anomaly}: ${e.expectation}: ${e.ok ? 'ok' : 'FAIL'}: ${e.why}`)];
  if (tally.bugs.length > 0) {
    const first = tally.bugs[0];
    const message = `simulator bug in ${tally.bugs.length} seed(s): ${first?.message ?? ''}`;
    return closed(tally, `<error type="simulator-bug" message="${attr(message)}">${xml([...body, ...bugLines(tally)].join('\n'))}</error>`);
  }
  if (verdict.ok) return `${openTag(tally)}</testcase>\n`;
  const broken = verdict.expectations.filter((e) => !e.ok).map((e) => `${e.anomaly}: expected ${e.expectation}, ${e.why}`);
  return closed(tally, `<failure type="expectation" message="${attr(broken.join('; '))}">${xml([...body, ...replayLines(tally)].join('\n'))}</failure>`);
}

/** An unfinished scenario: skipped, not judged, since a `sometimes` or a later seed could still
 * change its verdict; the body keeps what its seeds found, so a cancelled CI job loses nothing. */
function skippedCase(tally: ScenarioTally): string {
  const message = attr(`interrupted after ${tally.seeds.length} of ${plural(tally.expectedRuns, 'run')}`);
  if (tally.seeds.length === 0) return closed(tally, `<skipped message="${message}"/>`);
  const body = [`seeds ${formatSeeds(tally.seeds)} run, not judged`, `anomalies so far: ${formatCounts(tally.totals)}`, ...replayLines(tally), ...bugLines(tally)];
  return closed(tally, `<skipped message="${message}">${xml(body.join('\n'))}</skipped>`);
}

function openTag(tally: ScenarioTally): string {
  return `    <testcase name="${attr(tally.name)}" classname="${attr(tally.loaded.file)}">`;
}

function closed(tally: ScenarioTally, child: string): string {
  return `${openTag(tally)}\n      ${child}\n    </testcase>\n`;
}

function replayLines(tally: ScenarioTally): string[] {
  return tally.failing.map((f) => `seed ${f.seed}: ${f.broken.join('; ')}\n  replay: ${replayCommand(f.failureFile)}`);
}

function bugLines(tally: ScenarioTally): string[] {
  return tally.bugs.map((bug) => `seed ${bug.seed}: ${bug.message}\n  reproduce: ${bug.reproduce}`);
}

/** Escapes text for an attribute or element, and drops the control characters XML 1.0 forbids. */
function xml(text: string): string {
  return text
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '')
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;');
}

/** In an attribute a raw newline would be normalised to a space, so it is written as a reference. */
function attr(text: string): string {
  return xml(text).replaceAll('\n', '&#10;');
}
