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

/** A small well-formedness check: tags balance, attributes are quoted, no stray `&` or `<`. */
export function wellFormed(xml: string): boolean {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  if (/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(body)) return false;
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|</g;
  for (const match of body.matchAll(tag)) {
    const [, closing, name, , selfClosing] = match;
    if (name === undefined) return false; // a `<` that opens no valid tag
    if (selfClosing === '/') continue;
    if (closing === '/') {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}

export interface JunitCase {
  readonly name: string;
  /** The testcase's child element, or `passed` when it has none. */
  readonly outcome: 'passed' | 'failure' | 'error' | 'skipped';
  readonly message: string | null;
}

export interface JunitReport {
  /** The <testsuite> element's attributes: tests, failures, errors, skipped. */
  readonly suite: Readonly<Record<string, string>>;
  readonly cases: readonly JunitCase[];
}

/** Reads ksim's JUnit file (one testsuite, testcases with at most one child): enough XML for tests. */
export function readJunit(xml: string): JunitReport {
  if (!wellFormed(xml)) throw new Error(`not well-formed XML:\n${xml}`);
  const suite = attributes(/<testsuite (.*?)>/.exec(xml)?.[1] ?? '');
  const cases = [...xml.matchAll(/<testcase (.*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g)].map((match): JunitCase => {
    const child = /<(failure|error|skipped)\b(.*?)\/?>/.exec(match[2] ?? '');
    const outcome = (child?.[1] ?? 'passed') as JunitCase['outcome'];
    return { name: attributes(match[1] ?? '')['name'] ?? '', outcome, message: child === null ? null : (attributes(child[2] ?? '')['message'] ?? null) };
  });
  return { suite, cases };
}

function attributes(text: string): Record<string, string> {
  const found: Record<string, string> = {};
  for (const [, key, value] of text.matchAll(/([\w-]+)="([^"]*)"/g)) {
    if (key !== undefined) found[key] = (value ?? '').replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&apos;', "'").replaceAll('&amp;', '&');
  }
  return found;
}
