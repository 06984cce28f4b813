// The kernel's example system shows an anomaly and its remedy, as a Kafka scenario will.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { judgedCounts } from '../src/checker/judged.js';
import { judgeSeeds } from '../src/checker/verdict.js';
import { runScenario } from '../src/runner/index.js';
import { loadScenarioPaths } from '../src/scenario/index.js';

const folder = join(import.meta.dirname, '..', 'src', 'example', 'scenarios');
const { scenarios, errors } = loadScenarioPaths([folder]);
const byName = (name: string) => scenarios.find((s) => s.scenario.name === name)!;

describe('example', () => {
  test('example: scenarios: every file in src/example/scenarios loads', () => {
    expect(errors).toEqual([]);
    expect(scenarios.map((s) => s.scenario.name).sort()).toEqual(['example-async-primary-kill', 'example-sync-nemesis', 'example-sync-primary-kill']);
  });

  // Asynchronous acks run ahead of replication, so a primary kill loses its newest acks;
  // synchronous acks wait for every replica, so the same kills lose nothing.
  test.each(['example-async-primary-kill', 'example-sync-primary-kill', 'example-sync-nemesis'])('example: %s: expectations hold over seeds 1..4', (name) => {
    const loaded = byName(name);
    const runs = [1, 2, 3, 4].map((seed) => runScenario(loaded, seed));
    const verdict = judgeSeeds(loaded.scenario.expect, runs.map((r) => judgedCounts(r.anomalies, r.coverage)));
    expect(verdict.expectations.map((e) => `${e.anomaly}: ${e.why}`)).toHaveLength(2);
    expect(verdict.ok).toBe(true);
    for (const run of runs) expect(run.messages.acked).toBeGreaterThan(run.messages.sent * 0.9);
  });

  test('example: a lost write\'s story names the send, the ack, the kill, the takeover and the truncation', () => {
    const run = runScenario(byName('example-async-primary-kill'), 1);
    expect(run.anomalies.lost).toBeGreaterThan(0);
    const lost = run.instances.find((i) => i.anomaly === 'lost')!;
    const story = lost.story.map((l) => l.text).join('\n');
    expect(story).toMatch(/client sent write \d+ to n\d/);
    expect(story).toMatch(/client was told write \d+ succeeded/);
    expect(story).toMatch(/fault \(scripted\): kill n\d \(scenario line \d+\)/);
    expect(story).toMatch(/n\d became primary of view \d/);
    expect(story).toMatch(/n\d truncated write \d+ from its log/);
    const times = lost.story.map((l) => l.atUs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
