// `--junit FILE`: one testcase per scenario, judged over all its seeds, for CI dashboards. A
// broken expectation is a <failure>; a simulator bug is an <error>, since the scenario could not
// be judged. No timing attributes, so the same results always give the same file.
import type { ScenarioVerdict } from '../checker/verdict.js';
import { replayCommand } from './failure-file.js';
import { formatSeeds } from './format.js';
import type { ScenarioTally } from './tally.js';

export interface JudgedScenario {
  readonly tally: ScenarioTally;
  readonly verdict: ScenarioVerdict;
}

export function junitXml(judged: readonly JudgedScenario[]): string {
  const failures = judged.filter((j) => j.tally.bugs.length === 0 && !j.verdict.ok).length;
  const errors = judged.filter((j) => j.tally.bugs.length > 0).length;
  const counts = `tests="${judged.length}" failures="${failures}" errors="${errors}"`;
  const cases = judged.map(testcase).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="ksim" ${counts}>\n  <testsuite name="ksim" ${counts}>\n${cases}  </testsuite>\n</testsuites>\n`;
}

function testcase({ tally, verdict }: JudgedScenario): string {
  const open = `    <testcase name="${attr(tally.name)}" classname="${attr(tally.loaded.file)}">`;
  const body = [`seeds ${formatSeeds(tally.seeds)}`, ...verdict.expectations.map((e) => `${e.anomaly}: ${e.expectation}: ${e.ok ? 'ok' : 'FAIL'}: ${e.why}`)];
  if (tally.bugs.length > 0) {
    const first = tally.bugs[0];
    const message = `simulator bug in ${tally.bugs.length} seed(s): ${first?.message ?? ''}`;
    const lines = [...body, ...tally.bugs.map((bug) => `seed ${bug.seed}: ${bug.message}\n  reproduce: ${bug.reproduce}`)];
    return `${open}\n      <error type="simulator-bug" message="${attr(message)}">${xml(lines.join('\n'))}</error>\n    </testcase>\n`;
  }
  if (verdict.ok) return `${open}</testcase>\n`;
  const broken = verdict.expectations.filter((e) => !e.ok).map((e) => `${e.anomaly}: expected ${e.expectation}, ${e.why}`);
  const replays = tally.failing.map((f) => `seed ${f.seed}: ${f.broken.join('; ')}\n  replay: ${replayCommand(f.failureFile)}`);
  return `${open}\n      <failure type="expectation" message="${attr(broken.join('; '))}">${xml([...body, ...replays].join('\n'))}</failure>\n    </testcase>\n`;
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
