// Spawns the real `ksim` (node src/cli/ksim.mjs), as a user or CI would, and captures its output.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const KSIM = join(REPO, 'src/cli/ksim.mjs');
export const FIXTURES = join(REPO, 'test/cli/fixtures');
export const SUITE = join(FIXTURES, 'suite');
export const HOLDS = join(SUITE, 'a-holds.yaml');
export const FAILS = join(SUITE, 'b-fails.yaml');
export const BAD = join(FIXTURES, 'bad.yaml');

export interface Result {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface SpawnOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs ksim with a clean colour environment (vitest may set FORCE_COLOR) unless `env` sets one. */
export function ksim(args: readonly string[], options: SpawnOptions = {}): Promise<Result> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [KSIM, ...args], { cwd: options.cwd ?? REPO, env, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

const created: string[] = [];

/** A fresh working folder, so that each run's reports/ lands apart from the repository's. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ksim-cli-'));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// eslint-disable-next-line no-control-regex
export const ANSI = /\u001B\[/;
