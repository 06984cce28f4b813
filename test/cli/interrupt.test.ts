import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { FAILS, KSIM, REPO, readJunit, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

interface Interrupted {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly msAfterSignal: number;
}

/** Starts `ksim run`, sends `signal` once `ready` matches its output (or after 20 s), and waits for it to end. */
function runAndInterrupt(args: readonly string[], cwd: string, ready: RegExp, signal: NodeJS.Signals = 'SIGINT'): Promise<Interrupted> {
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
      child.kill(signal);
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
    child.on('close', (code, endedBy) => {
      clearTimeout(fallback);
      resolve({ code, signal: endedBy, stdout, stderr, msAfterSignal: Date.now() - sentAt });
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

describe.concurrent('cli: interrupt: Ctrl-C or SIGTERM during a run', () => {
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
    expect(result.msAfterSignal).toBeLessThan(15_000);
    const files = failureFiles(cwd);
    expect(files).toHaveLength(50);
    for (const record of files) expect(record['scenario']).toBe('cli-fails');
  });

  test('cli: interrupt: in-process (--workers 1) it stops between runs; --json lines stay whole', async () => {
    const cwd = tempDir();
    const next = join(REPO, 'scenarios/kip101-hw-truncation-0.10.yaml');
    const result = await runAndInterrupt(['run', FAILS, next, '--seeds', '50', '--workers', '1', '--json', '--junit', 'junit.xml'], cwd, /FAIL cli-fails/);
    expect(result.code).toBe(130);
    const lines = result.stdout.split('\n').filter((line) => line !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect(result.stderr).toMatch(new RegExp(`ksim: interrupted after ${lines.length} of 100 runs`));
    expect(lines.length).toBeGreaterThanOrEqual(50);
    expect(failureFiles(cwd)).toHaveLength(50);
    // The unfinished scenario's own count: the --json lines beyond cli-fails' 50 are its seeds.
    const junit = readJunit(readFileSync(join(cwd, 'junit.xml'), 'utf8'));
    expect(junit.cases.map((c) => [c.name, c.outcome, c.message])).toEqual([
      ['cli-fails', 'failure', 'reprocessed: expected always, none in 50 seeds'],
      ['kip101-hw-truncation-0.10', 'skipped', `interrupted after ${lines.length - 50} of 50 runs`],
    ]);
  });

  test('cli: interrupt: SIGTERM (a cancelled CI job, `timeout`) stops the run as Ctrl-C does, exits 143 and still writes the JUnit file', async () => {
    const cwd = tempDir();
    const slow = join(REPO, 'scenarios/consumer-auto-commit.yaml');
    const args = ['run', FAILS, slow, '--seeds', '50', '--workers', '2', '--junit', 'reports/junit.xml'];
    const result = await runAndInterrupt(args, cwd, /FAIL cli-fails/, 'SIGTERM');
    // 128 + 15: the exit status a shell gives a process SIGTERM ended; handled, not killed by it.
    expect(result.signal).toBeNull();
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/ksim: interrupted by SIGTERM: stopping the runs/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).toMatch(/^FAIL cli-fails /m);
    const stopped = /ksim: interrupted after (\d+) of 100 runs: 1 scenario judged, 1 scenario not finished; reports\/junit\.xml written/.exec(result.stdout);
    expect(stopped).not.toBeNull();
    expect(result.msAfterSignal).toBeLessThan(15_000);
    expect(failureFiles(cwd)).toHaveLength(50);
    // The file a cancelled job's CI still reads: the finished scenario judged, the other skipped.
    const junit = readJunit(readFileSync(join(cwd, 'reports/junit.xml'), 'utf8'));
    expect(junit.suite).toMatchObject({ tests: '2', failures: '1', errors: '0', skipped: '1' });
    expect(junit.cases.map((c) => [c.name, c.outcome])).toEqual([['cli-fails', 'failure'], ['consumer-auto-commit', 'skipped']]);
    expect(junit.cases[1]?.message).toBe(`interrupted after ${Number(stopped?.[1]) - 50} of 50 runs`);
    expect(readdirSync(join(cwd, 'reports')).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });
});
