import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { HOLDS, ksim, readJunit, removeTempDirs, tempDir, type Result } from './helpers.js';

afterAll(removeTempDirs);

// The example system with synchronous replication and no faults loses nothing, so its
// `lost: sometimes` is shown by no seed: the scenario fails, in the same words everywhere.
const NEVER_LOST = readFileSync(HOLDS, 'utf8').replace('name: cli-holds', 'name: cli-never-lost').replace('expect: {}', 'expect: { lost: sometimes }');
const UNSEEN = 'not reproduced in 3 seeds';

describe('cli: sometimes: a `sometimes` that no seed showed, over seeds 1..3', () => {
  let cwd = '';
  let run: Result;
  let judge: Result;

  beforeAll(async () => {
    cwd = tempDir();
    writeFileSync(join(cwd, 'never-lost.yaml'), NEVER_LOST);
    // Two scenarios, so that the run prints its verdict table too (text on stderr under --json).
    run = await ksim(['run', 'never-lost.yaml', HOLDS, '--seeds', '3', '--json', '--junit', 'junit.xml'], { cwd });
    writeFileSync(join(cwd, 'lines.jsonl'), run.stdout);
    judge = await ksim(['judge', 'lines.jsonl'], { cwd });
  });

  test('cli: sometimes: ksim run fails it (exit 1) and its report says not reproduced in 3 seeds', () => {
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^FAIL cli-never-lost /m);
    expect(run.stderr).toContain(`expect lost: sometimes  FAIL  ${UNSEEN}\n`);
  });

  test('cli: sometimes: the verdict table of ksim run and of ksim judge says it in the same words', () => {
    const row = new RegExp(`^FAIL\\s+cli-never-lost\\s+3\\s+lost: sometimes FAIL: ${UNSEEN}\\s+none\\s`, 'm');
    expect(run.stderr).toMatch(row);
    expect(judge.code).toBe(1);
    expect(judge.stdout).toMatch(row);
  });

  test('cli: sometimes: the JUnit failure message says it', () => {
    const junit = readJunit(readFileSync(join(cwd, 'junit.xml'), 'utf8'));
    expect(junit.cases.find((c) => c.name === 'cli-never-lost')).toEqual({ name: 'cli-never-lost', outcome: 'failure', message: `lost: expected sometimes, ${UNSEEN}` });
  });
});
