import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FAILS, KSIM, REPO, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

interface Interrupted {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly msAfterSigint: number;
}

/** Starts `ksim run`, sends SIGINT once `ready` matches its output (or after 20 s), and waits for it to end. */
function runAndInterrupt(args: readonly string[], cwd: string, ready: RegExp): Promise<Interrupted> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KSIM, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    const interrupt = (): void => {
      if (sentAt !== 0) return;
      sentAt = Date.now();
      child.kill('SIGINT');
    };
    const fallback = setTimeout(interrupt, 20_000);
    const watch = (): void => {
      if (ready.test(stdout + stderr)) interrupt();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      watch();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      watch();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(fallback);
      resolve({ code, signal, stdout, stderr, msAfterSigint: Date.now() - sentAt });
    });
  });
}

/** Every failure file under reports/ parses as JSON and no temp file is left: each was written whole. */
function failureFiles(cwd: string): Record<string, unknown>[] {
  const folder = join(cwd, 'reports/failures/cli-fails');
  if (!existsSync(folder)) return [];
  const names = readdirSync(folder);
  expect(names.filter((name) => name.endsWith('.tmp'))).toEqual([]);
  return names.map((name) => JSON.parse(readFileSync(join(folder, name), 'utf8')) as Record<string, unknown>);
}

describe.concurrent('cli: interrupt: Ctrl-C during a run', () => {
  test('cli: interrupt: on worker threads it stops the workers, reports what was found, keeps the failure files, exits 130', async () => {
    // cli-fails is fast and fails every seed (50 failure files); then a scenario of seconds per seed.
    const cwd = tempDir();
    const slow = join(REPO, 'scenarios/consumer-auto-commit.yaml');
    const result = await runAndInterrupt(['run', FAILS, slow, '--seeds', '50', '--workers', '2'], cwd, /FAIL cli-fails/);
    expect(result.signal).toBeNull();
    expect(result.code).toBe(130);
    // The scenario that finished is reported in full; the run says where it stopped.
    expect(result.stdout).toMatch(/^FAIL cli-fails /m);
    const stopped = /ksim: interrupted after (\d+) of 100 runs: 1 scenario judged, 1 scenario not finished\n/.exec(result.stdout);
    expect(stopped).not.toBeNull();
    const runs = Number(stopped?.[1]);
    expect(runs).toBeGreaterThanOrEqual(50);
    expect(runs).toBeLessThan(100);
    expect(result.stderr).toMatch(/ksim: interrupted: stopping the runs/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // Terminated, not waited for: the rest of the 50 slow seeds would take over a minute.
    expect(result.msAfterSigint).toBeLessThan(15_000);
    const files = failureFiles(cwd);
    expect(files).toHaveLength(50);
    for (const record of files) expect(record['scenario']).toBe('cli-fails');
  });

  test('cli: interrupt: in-process (--workers 1) it stops between runs; --json lines stay whole', async () => {
    const cwd = tempDir();
    const next = join(REPO, 'scenarios/kip101-hw-truncation-0.10.yaml');
    const result = await runAndInterrupt(['run', FAILS, next, '--seeds', '50', '--workers', '1', '--json'], cwd, /FAIL cli-fails/);
    expect(result.code).toBe(130);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(result.stderr).toMatch(new RegExp(`ksim: interrupted after ${lines.length} of 100 runs`));
    expect(lines.length).toBeGreaterThanOrEqual(50);
    expect(failureFiles(cwd)).toHaveLength(50);
  });
});
