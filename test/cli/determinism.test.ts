import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test, vi } from 'vitest';
import { runsDiffer } from '../../src/cli/determinism.js';
import { runJobs, type Rerun } from '../../src/cli/pool.js';
import { runJob, type Job, type JobOutcome } from '../../src/cli/run-job.js';
import { RunSession } from '../../src/cli/session.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { FAILS, HOLDS, REPO, jsonLines, ksim, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);
afterEach(() => {
  vi.restoreAllMocks();
});

function job(file: string, seed: number, index = 0): Job {
  return { index, file, text: readFileSync(file, 'utf8'), seed };
}

/** The same outcome with another trace hash: what a nondeterministic model would give. */
function withHash(outcome: JobOutcome, traceHash: string): JobOutcome {
  if (outcome.kind !== 'summary') throw new Error('expected a summary');
  return { kind: 'summary', summary: { ...outcome.summary, traceHash } };
}

describe('cli: determinism: comparing two runs of one seed', () => {
  const first = runJob(job(HOLDS, 1));

  test('cli: determinism: equal trace hashes are the same run; different ones are named, both', () => {
    expect(runsDiffer(first, runJob(job(HOLDS, 1)))).toBeNull();
    expect(runsDiffer(withHash(first, 'aaaaaaaaaaaaaaaa'), withHash(first, 'bbbbbbbbbbbbbbbb'))).toBe(
      'trace hash aaaaaaaaaaaaaaaa on the first run, bbbbbbbbbbbbbbbb on the second',
    );
  });

  test('cli: determinism: a run that threw once but not twice, or threw differently, differs', () => {
    const bug = (message: string): JobOutcome => ({ kind: 'bug', message, stack: null });
    expect(runsDiffer(bug('x'), bug('x'))).toBeNull();
    expect(runsDiffer(bug('x'), bug('y'))).toMatch(/threw "x", the second "y"/);
    expect(runsDiffer(first, bug('x'))).toMatch(/^trace hash [0-9a-f]{16} on the first run, a simulator bug \("x"\) on the second$/);
  });

  test('cli: determinism: a differing second run fails the session, naming scenario, seed and both hashes', () => {
    // The forged second run stands for a model bug; no model code is touched to make it.
    const loaded = loadScenarioText(readFileSync(HOLDS, 'utf8'), 'holds.yaml');
    if (!loaded.ok) throw new Error('the fixture must load');
    const one = { index: 0, file: 'holds.yaml', text: loaded.value.text, seed: 1 };
    const stderr: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
    const session = new RunSession([loaded.value], [one], { json: true, quiet: true, junit: null, progress: false, checkDeterminism: true });
    const rerun: Rerun = { outcome: withHash(first, 'bbbbbbbbbbbbbbbb'), threads: [1, 2] };
    session.deliver(one, withHash(first, 'aaaaaaaaaaaaaaaa'), rerun);
    const exitCode = session.finish();
    vi.restoreAllMocks();

    expect(exitCode).toBe(1);
    const text = stderr.join('');
    expect(text).toMatch(/NOT DETERMINISTIC: cli-holds seed 1: trace hash aaaaaaaaaaaaaaaa on the first run, bbbbbbbbbbbbbbbb on the second \(on worker threads 1 and 2\)/);
    expect(text).toMatch(/reproduce with: npx ksim run holds\.yaml --seed 1 --check-determinism/);
    expect(text).toMatch(/determinism: 1 of 1 run gave a different trace hash the second time: cli-holds seed 1/);
  });
});

describe('cli: determinism: --check-determinism', () => {
  test('cli: determinism: the pool runs each job twice, the second time on another worker thread', async () => {
    const jobs = [job(HOLDS, 1, 0), job(HOLDS, 2, 1), job(FAILS, 1, 2)];
    const seen: { index: number; outcome: JobOutcome; rerun: Rerun | null }[] = [];
    const result = await runJobs(jobs, 2, (j, outcome, rerun) => seen.push({ index: j.index, outcome, rerun }), {}, { twice: true });
    expect(result).toEqual({ delivered: 3, interrupted: false });
    expect(seen.map((s) => s.index)).toEqual([0, 1, 2]);
    for (const { outcome, rerun } of seen) {
      expect(rerun).not.toBeNull();
      const [a, b] = rerun?.threads ?? [0, 0];
      expect(a).toBeGreaterThan(0); // worker threads, not the main thread
      expect(b).toBeGreaterThan(0);
      expect(a).not.toBe(b);
      expect(rerun?.outcome).toEqual(outcome);
    }
  });

  test('cli: determinism: a catalog that is deterministic passes, with the usual verdicts and JSON lines', async () => {
    const catalog = [HOLDS, join(REPO, 'scenarios/kip101-hw-truncation-2.8.yaml')];
    const [checked, plain] = await Promise.all([
      ksim(['run', ...catalog, '--seeds', '2', '--workers', '2', '--check-determinism', '--json'], { cwd: tempDir() }),
      ksim(['run', ...catalog, '--seeds', '2', '--workers', '1', '--json'], { cwd: tempDir() }),
    ]);
    expect(checked.code).toBe(0);
    expect(checked.stderr).toMatch(/determinism: 4 runs, each run twice: the same trace hash both times/);
    expect(checked.stderr).not.toMatch(/NOT DETERMINISTIC/);
    expect(jsonLines(checked.stdout)).toHaveLength(4);
    expect(checked.stdout).toBe(plain.stdout);
  });
});
