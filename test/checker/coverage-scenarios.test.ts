// The coverage probes on whole catalog scenarios: a run reaches the probes its story goes
// through, and the report says so. Apart from coverage.test.ts because each runs the simulator
// (seconds), which mutation testing of the checker (vitest.stryker.config.ts) leaves out.
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import { PROBE_NAMES } from '../../src/checker/coverage.js';
import { judgeSeeds } from '../../src/checker/verdict.js';
import { summaryLine } from '../../src/cli/json-line.js';
import { ScenarioTally } from '../../src/cli/tally.js';
import { scenarioBlock } from '../../src/cli/text-report.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

describe('checker: coverage: scenarios', () => {
  const root = join(import.meta.dirname, '..', '..');
  const load = (file: string) => {
    const { scenarios, errors } = loadScenarioPaths([join(root, 'scenarios', file)]);
    expect(errors).toEqual([]);
    return scenarios[0]!;
  };

  test('checker: coverage: scenarios: unclean-election-loses (seed 1) reaches the unclean election and the truncation below acknowledged offsets', () => {
    const loaded = load('unclean-election-loses.yaml');
    const summary = runScenario(loaded, 1);
    // b3 alone in the ISR acknowledges; it dies; b1 is elected uncleanly; b3 returns and cuts
    // the acknowledged records from its log.
    expect(summary.coverage['unclean-election']).toBeGreaterThan(0);
    expect(summary.coverage['truncation-below-acked']).toBeGreaterThan(0);
    expect(summary.coverage['isr-shrunk-to-one']).toBeGreaterThan(0);
    expect(summary.coverage['poll-timeout']).toBe(0); // it has no consumers
    // The --json line carries every probe, in the list's order.
    const line = JSON.parse(summaryLine(summary)) as { coverage: Record<string, number> };
    expect(Object.keys(line.coverage)).toEqual(PROBE_NAMES);
    expect(line.coverage).toEqual(summary.coverage);
  });

  test('checker: coverage: scenarios: consumer-slow-poll-rebalance reaches poll-timeout and a commit refused after the rebalance', () => {
    const summary = runScenario(load('consumer-slow-poll-rebalance.yaml'), 1);
    expect(summary.coverage['poll-timeout']).toBeGreaterThan(0);
    expect(summary.coverage['rebalance-during-commit']).toBeGreaterThan(0);
    expect(summary.coverage['unclean-election']).toBe(0); // no broker fault at all
  });

  test('cli: report: coverage: a scenario block says which probes its seeds reached, in how many seeds and how often', () => {
    const loaded = load('unclean-election-loses.yaml');
    const tally = new ScenarioTally(loaded, 2);
    const summaries = [1, 2].map((seed) => runScenario(loaded, seed));
    for (const summary of summaries) tally.addSummary(summary, null);
    const block = scenarioBlock(tally, { ok: true, expectations: judgeSeeds(loaded.scenario.expect, tally.perSeed).expectations }, new Chalk({ level: 0 }), false);
    const times = summaries[0]!.coverage['unclean-election'] + summaries[1]!.coverage['unclean-election'];
    expect(block).toContain(`  reached: unclean-election 2/2 seeds (${times}×), `);
    expect(block).toMatch(/truncation-below-acked 2\/2 \(\d+×\)/);
    expect(block).not.toContain('poll-timeout');
    expect(block).toMatch(/\(\d+ other probes not reached\)/);
    expect(tally.reachedSeeds['poll-timeout']).toBe(0);
    expect(tally.reachedTimes['unclean-election']).toBe(times);
    // Wrapped lines stay within the width.
    for (const line of block.split('\n')) if (/reached|×/.test(line)) expect(line.length).toBeLessThanOrEqual(100);
  });
});
