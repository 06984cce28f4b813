// Every scenario of the catalog folders: the same seed gives the same trace hash in this
// process and on a worker thread (a fresh module graph, as the CLI's pool uses). The same run is
// CI's fast subset of the suite: one seed beyond each scenario's own (which `npm start` runs)
// must hold every `never` and `always` (a `sometimes` needs many seeds: `npm run suite`).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { runScenario } from '../src/runner/index.js';
import { loadScenarioPaths } from '../src/scenario/index.js';

const root = join(import.meta.dirname, '..');
const folders = [join(root, 'src', 'example', 'scenarios'), join(root, 'scenarios')].filter((f) => existsSync(f));
const { scenarios, errors } = loadScenarioPaths(folders);

function hashOnWorker(file: string, text: string, seed: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(import.meta.dirname, 'support', 'scenario-hash-worker.mjs'), { workerData: { file, text, seed } });
    worker.once('message', (hash: string) => {
      void worker.terminate();
      resolve(hash);
    });
    worker.once('error', reject);
  });
}

describe('determinism: catalog', () => {
  test('determinism: catalog: every scenario file loads', () => {
    expect(errors).toEqual([]);
    expect(scenarios.length).toBeGreaterThan(0);
  });

  test.each(scenarios.map((s) => [s.scenario.name, s] as const))('determinism: catalog: %s gives one trace hash in process and on a worker, and holds its never/always', async (_name, loaded) => {
    const seed = loaded.scenario.seed + 1;
    const run = runScenario(loaded, seed);
    expect(await hashOnWorker(loaded.file, loaded.text, seed)).toBe(run.traceHash);
    // A `never` proves nothing about a run that did nothing: every scenario must deliver.
    expect(run.messages.acked).toBeGreaterThan(0);
    expect(run.broken, `seed ${seed}`).toEqual([]);
  });
});
