// PLACEHOLDER until the kernel lands (the lead engineer replaces this file): a seeded fake run so the
// CLI can be built against the real signature. Nothing here models anything.
import seedrandom from 'seedrandom';
import { zeroCounts } from '../checker/anomalies.js';
import { brokenBySeed } from '../checker/verdict.js';
import type { LoadedScenario } from '../scenario/types.js';
import type { RunOptions, RunSummary } from './types.js';

export type { RunOptions, RunSummary } from './types.js';

export function runScenario(loaded: LoadedScenario, seed: number, _options: RunOptions = {}): RunSummary {
  const rng = seedrandom.alea(`${seed}:${loaded.text}`);
  const anomalies = zeroCounts();
  anomalies.lost = rng() < 0.5 ? 0 : 1 + Math.floor(rng() * 3);
  const broken = brokenBySeed(loaded.scenario.expect, anomalies);
  const hash = (rng.int32() >>> 0).toString(16).padStart(8, '0') + (rng.int32() >>> 0).toString(16).padStart(8, '0');
  return {
    scenario: loaded.scenario.name, file: loaded.file, seed, traceHash: hash,
    simulatedMs: (loaded.scenario.durationUs + loaded.scenario.settleUs) / 1000, events: 1000,
    messages: { sent: 10, acked: 10, failed: 0, inLog: 10, processed: 0 }, anomalies,
    ok: broken.length === 0, broken,
    instances: anomalies.lost > 0 ? [{ anomaly: 'lost', summary: 'placeholder', story: [{ atUs: 1000, text: 'placeholder' }] }] : [],
    budgetExhausted: false,
  };
}
