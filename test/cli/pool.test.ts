import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { runJobs } from '../../src/cli/pool.js';
import type { Job, JobOutcome } from '../../src/cli/run-job.js';
import { FAILS, HOLDS } from './helpers.js';

function jobsOf(files: readonly string[], seeds: readonly number[]): Job[] {
  const jobs: Job[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const seed of seeds) jobs.push({ index: jobs.length, file, text, seed });
  }
  return jobs;
}

async function collect(jobs: readonly Job[], workers: number): Promise<[number, JobOutcome][]> {
  const seen: [number, JobOutcome][] = [];
  await runJobs(jobs, workers, (job, outcome) => seen.push([job.index, outcome]));
  return seen;
}

describe('cli: pool', () => {
  test('cli: pool: worker threads deliver the same outcomes, in job order, as an in-process run', async () => {
    const jobs = jobsOf([HOLDS, FAILS], [1, 2, 3]);
    const inProcess = await collect(jobs, 1);
    const threads = await collect(jobs, 3);
    expect(threads.map(([index]) => index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(threads).toEqual(inProcess);
  });

  test('cli: pool: a job that fails in its worker comes back as a simulator bug, and the others still run', async () => {
    // The worker re-parses the text it is sent; text the loader refuses cannot come from the CLI,
    // so the pool reports it as a bug instead of losing the job.
    const jobs = jobsOf([HOLDS], [1, 2]);
    const broken: Job = { index: 2, file: 'broken.yaml', text: 'duration: [', seed: 1 };
    const seen = await collect([...jobs, broken], 2);
    expect(seen.map(([, outcome]) => outcome.kind)).toEqual(['summary', 'summary', 'bug']);
  });
});
