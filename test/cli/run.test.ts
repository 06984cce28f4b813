import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ANOMALY_NAMES } from '../../src/checker/anomalies.js';
import { ANSI, BAD, FAILS, HOLDS, SUITE, jsonLines, ksim, readJunit, removeTempDirs, tempDir, wellFormed, type Result } from './helpers.js';

afterAll(removeTempDirs);

const LINE_FIELDS = [
  'scenario', 'file', 'seed', 'traceHash', 'simulatedMs', 'events', 'messages', 'lag', 'anomalies',
  'coverage', 'failedStarts', 'skippedFaults', 'nemesisMisses', 'ok', 'broken', 'budgetExhausted', 'instances',
].sort();

describe('cli: run: --json over a suite of two scenarios and seeds 1..3', () => {
  let cwd = '';
  let one: Result;
  let two: Result;

  beforeAll(async () => {
    cwd = tempDir();
    const other = tempDir();
    // Same suite, 1 worker (in-process) and 2 worker threads, each in its own folder.
    [one, two] = await Promise.all([
      ksim(['run', SUITE, '--seeds', '1..3', '--json', '--workers', '1', '--junit', 'out/junit.xml'], { cwd }),
      ksim(['run', SUITE, '--seeds', '1..3', '--json', '--workers', '2'], { cwd: other }),
    ]);
  });

  test('cli: run: --seeds 1..3 with 1 and 2 workers gives the same --json lines', () => {
    // Results are reordered by (scenario, seed) before printing, so the worker count cannot show.
    expect(two.stdout).toBe(one.stdout);
    expect(two.code).toBe(one.code);
  });

  test('cli: run: --json prints one line per (scenario, seed), in order, with the contract\'s fields', () => {
    const lines = jsonLines(one.stdout);
    expect(lines.map((l) => `${String(l['scenario'])}#${String(l['seed'])}`)).toEqual([
      'cli-holds#1', 'cli-holds#2', 'cli-holds#3', 'cli-fails#1', 'cli-fails#2', 'cli-fails#3',
    ]);
    for (const line of lines) {
      expect(Object.keys(line).sort()).toEqual(LINE_FIELDS);
      expect(Object.keys(line['anomalies'] as object).sort()).toEqual([...ANOMALY_NAMES].sort());
      expect(Object.keys(line['messages'] as object).sort()).toEqual(['acked', 'failed', 'inLog', 'processed', 'sent']);
      expect(line['traceHash']).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  test('cli: run: exit code is 1 iff a seed broke an expectation, and the human report goes to stderr', () => {
    // cli-fails expects `reprocessed: always` of a system with no consumers: every seed breaks it.
    const lines = jsonLines(one.stdout);
    expect(lines.some((l) => l['ok'] === false)).toBe(true);
    expect(lines.filter((l) => l['scenario'] === 'cli-holds').every((l) => l['ok'] === true)).toBe(true);
    expect(one.code).toBe(1);
    expect(one.stderr).toMatch(/FAIL cli-fails/);
    expect(one.stderr).toMatch(/npx ksim replay reports\/failures\/cli-fails\/seed-1\.json/);
  });

  test('cli: run: a failure file exists exactly for each seed with ok=false, and embeds the scenario', () => {
    for (const line of jsonLines(one.stdout)) {
      const path = join(cwd, 'reports/failures', String(line['scenario']), `seed-${String(line['seed'])}.json`);
      expect(existsSync(path), path).toBe(line['ok'] === false);
      if (line['ok'] !== false) continue;
      const record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
      expect(record['seed']).toBe(line['seed']);
      expect(record['traceHash']).toBe(line['traceHash']);
      expect(record['scenarioText']).toBe(readFileSync(FAILS, 'utf8'));
      expect(record['replay']).toBe(`npx ksim replay reports/failures/cli-fails/seed-${String(line['seed'])}.json`);
      expect(typeof record['ksimVersion']).toBe('string');
      expect((record['summary'] as Record<string, unknown>)['ok']).toBe(false);
    }
  });

  test('cli: run: --junit writes well-formed XML with one testcase per scenario', () => {
    const xml = readFileSync(join(cwd, 'out/junit.xml'), 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(wellFormed(xml)).toBe(true);
    expect(readJunit(xml).suite).toEqual({ name: 'ksim', tests: '2', failures: '1', errors: '0', skipped: '0' });
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml).toMatch(/<testcase name="cli-fails"[^>]*>\s*<failure /);
    expect(xml).toMatch(/<testcase name="cli-holds"[^>]*><\/testcase>/);
    expect(xml).toMatch(/replay: npx ksim replay reports\/failures\/cli-fails\/seed-1\.json/);
  });
});

describe.concurrent('cli: run: text output', () => {
  test('cli: run: a passing scenario exits 0, prints its verdict and clears its stale failure file', async () => {
    const cwd = tempDir();
    const stale = join(cwd, 'reports/failures/cli-holds/seed-4.json');
    mkdirSync(join(cwd, 'reports/failures/cli-holds'), { recursive: true });
    writeFileSync(stale, '{}');
    const result = await ksim(['run', HOLDS], { cwd });
    expect(result.code).toBe(0);
    // No flag: the scenario's own `seed: 4` runs.
    expect(result.stdout).toMatch(/^PASS cli-holds .*\n {2}claim: .*\n {2}seed 4\n/);
    expect(result.stdout).toMatch(/all expectations held: 1 scenario, 1 run/);
    expect(existsSync(stale)).toBe(false);
  });

  test('cli: run: without a TTY, or with NO_COLOR, the output has no ANSI escapes', async () => {
    const [plain, noColor, forced] = await Promise.all([
      ksim(['run', SUITE, '--seed', '1'], { cwd: tempDir() }),
      ksim(['run', SUITE, '--seed', '1'], { cwd: tempDir(), env: { NO_COLOR: '1', FORCE_COLOR: '1' } }),
      ksim(['run', SUITE, '--seed', '1'], { cwd: tempDir(), env: { FORCE_COLOR: '1' } }),
    ]);
    expect(plain.code).toBe(1);
    expect(plain.stdout + plain.stderr).not.toMatch(ANSI);
    expect(noColor.stdout + noColor.stderr).not.toMatch(ANSI);
    // The check is not vacuous: FORCE_COLOR alone does colour the same report.
    expect(forced.stdout).toMatch(ANSI);
    expect(forced.stdout.replace(/\u001B\[[0-9;]*m/g, '')).toBe(plain.stdout);
  });

  test('cli: run: a bad scenario file lists every error, exits 2 and runs nothing', async () => {
    const cwd = tempDir();
    const result = await ksim(['run', BAD, SUITE, '--json'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/bad\.yaml:\d+:\d+: /);
    expect(result.stderr).toMatch(/nothing was run/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(cwd, 'reports'))).toBe(false);
  });

  test('cli: run: --trace writes the trace of a single run', async () => {
    const cwd = tempDir();
    const result = await ksim(['run', HOLDS, '--trace', 'trace.jsonl', '--quiet'], { cwd });
    expect(result.code).toBe(0);
    const lines = readFileSync(join(cwd, 'trace.jsonl'), 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines.slice(0, 5)) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
