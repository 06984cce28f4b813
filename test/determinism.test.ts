// "Same seed, same scenario: the same trace hash, in any process, worker or machine."
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { runScenario } from '../src/runner/index.js';
import type { FaultActionSpec, FaultSpec } from '../src/scenario/types.js';
import { exampleScenario } from './support/example-scenario.js';

const support = join(import.meta.dirname, 'support');

function hashInFreshProcess(seed: number): string {
  return execFileSync(process.execPath, ['--import', 'tsx', join(support, 'hash-in-process.ts'), String(seed)], { encoding: 'utf8' }).trim();
}

function hashOnWorker(seed: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(support, 'hash-worker.mjs'), { workerData: { seed } });
    worker.once('message', (hash: string) => {
      void worker.terminate();
      resolve(hash);
    });
    worker.once('error', reject);
  });
}

describe('determinism', () => {
  test('determinism: the same seed gives the same trace hash in this process, two fresh processes and a worker thread', async () => {
    const here = runScenario(exampleScenario(), 17).traceHash;
    expect(here).toMatch(/^[0-9a-f]{16}$/);
    expect(runScenario(exampleScenario(), 17).traceHash).toBe(here);
    expect(hashInFreshProcess(17)).toBe(here);
    expect(hashInFreshProcess(17)).toBe(here);
    expect(await hashOnWorker(17)).toBe(here);
  });

  test('determinism: different seeds give different trace hashes', () => {
    const hashes = new Set(Array.from({ length: 12 }, (_, seed) => runScenario(exampleScenario(), seed).traceHash));
    expect(hashes.size).toBe(12);
  });

  const target = fc.constantFrom('n1', 'n2', 'n3', 'primary', 'backup', 'client');
  const action: fc.Arbitrary<FaultActionSpec> = fc.oneof(
    fc.record({ kind: fc.constantFrom('kill', 'power', 'restart', 'pause', 'resume', 'isolate' as const), target }),
    fc.record({ kind: fc.constant('one-way' as const), from: target, to: target }),
    fc.record({ kind: fc.constant('slow-disk' as const), target, latencyUs: fc.integer({ min: 1000, max: 500_000 }) }),
    fc.record({ kind: fc.constant('hold' as const), from: fc.option(target), to: fc.option(target) }),
    fc.constant({ kind: 'partition' as const, groups: [['n1'], ['n2', 'n3', 'client']] }),
  ) as fc.Arbitrary<FaultActionSpec>;
  const fault: fc.Arbitrary<FaultSpec> = fc.record({
    atUs: fc.integer({ min: 0, max: 9_999_999 }),
    action,
    healAfterUs: fc.option(fc.integer({ min: 1, max: 5_000_000 })),
    line: fc.constant(1),
    mayMiss: fc.boolean(),
  });

  test('determinism: any seed with any fault schedule runs to the same hash twice', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.array(fault, { maxLength: 8 }), fc.constantFrom('async', 'sync' as const), (seed, faults, replication) => {
        const scenario = (): ReturnType<typeof exampleScenario> => exampleScenario({ faults, durationUs: 5_000_000, settleUs: 3_000_000 }, replication);
        const first = runScenario(scenario(), seed);
        const second = runScenario(scenario(), seed);
        expect(second.traceHash).toBe(first.traceHash);
        expect(second.anomalies).toEqual(first.anomalies);
        expect(first.budgetExhausted).toBe(false);
      }),
      { numRuns: 25 },
    );
  });
});
