// Failure files: one per seed that broke a `never` or `always` expectation, under
// reports/failures/<scenario>/seed-<N>.json relative to the working directory. Each embeds the
// whole scenario text, so `ksim replay` needs nothing else, even after the scenario file changed.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedScenario } from '../scenario/types.js';
import type { RunSummary } from '../runner/types.js';
import { writeFileAtomic } from './atomic-write.js';
import { shellQuote } from './format.js';
import { KSIM_VERSION } from './version.js';

export interface FailureRecord {
  readonly ksimVersion: string;
  readonly scenario: string;
  readonly file: string;
  readonly seed: number;
  readonly traceHash: string;
  readonly scenarioText: string;
  readonly summary: RunSummary;
  readonly replay: string;
}

export const FAILURES_FOLDER = join('reports', 'failures');

/** A scenario name made safe as one folder name: no separators, no `..`, nothing a shell mangles. */
export function folderName(scenario: string): string {
  const safe = scenario.replace(/[^A-Za-z0-9._-]/g, '_');
  return /^\.*$/.test(safe) ? `_${safe}` : safe;
}

export function failureFilePath(scenario: string, seed: number): string {
  return join(FAILURES_FOLDER, folderName(scenario), `seed-${seed}.json`);
}

export function replayCommand(path: string): string {
  return `npx ksim replay ${shellQuote(path)}`;
}

/** Writes the failure file of one failing seed atomically and returns its path. */
export function writeFailureFile(loaded: LoadedScenario, summary: RunSummary): string {
  const path = failureFilePath(loaded.scenario.name, summary.seed);
  const record: FailureRecord = {
    ksimVersion: KSIM_VERSION,
    scenario: loaded.scenario.name,
    file: loaded.file,
    seed: summary.seed,
    traceHash: summary.traceHash,
    scenarioText: loaded.text,
    summary,
    replay: replayCommand(path),
  };
  writeFileAtomic(path, `${JSON.stringify(record, null, 2)}\n`);
  return path;
}

/** A seed that holds now loses the failure file an earlier run left, so the folder lists only
 * seeds that fail today. */
export function removeFailureFile(scenario: string, seed: number): void {
  rmSync(failureFilePath(scenario, seed), { force: true });
}

export type ReadResult = { readonly ok: true; readonly record: FailureRecord } | { readonly ok: false; readonly error: string };

export function readFailureFile(path: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
    return { ok: false, error: `${path}: cannot read the failure file (${code})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `${path}: not a failure file: invalid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const problem = shapeProblem(parsed);
  if (problem !== null) return { ok: false, error: `${path}: not a failure file: ${problem}` };
  return { ok: true, record: parsed as FailureRecord };
}

const STRING_FIELDS = ['ksimVersion', 'scenario', 'file', 'traceHash', 'scenarioText', 'replay'] as const;

/** The first field that does not have a failure file's shape, or null. */
function shapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  const record = value as Record<string, unknown>;
  for (const field of STRING_FIELDS) {
    if (typeof record[field] !== 'string') return `expected "${field}" to be a string`;
  }
  const seed = record['seed'];
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) return 'expected "seed" to be a whole number';
  const summary = record['summary'];
  if (typeof summary !== 'object' || summary === null) return 'expected "summary" to be an object';
  const anomalies = (summary as Record<string, unknown>)['anomalies'];
  if (typeof anomalies !== 'object' || anomalies === null) return 'expected "summary.anomalies" to be an object';
  return null;
}
