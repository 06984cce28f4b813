import { describe, expect, test } from 'vitest';
import { MAX_RUNS, parseSeedSelection, parseWorkers, seedsOf, UsageError } from '../../src/cli/usage.js';
import { HOLDS, SUITE, ksim } from './helpers.js';

describe('cli: usage: seeds and workers (parsed without spawning)', () => {
  test('cli: usage: no seed flag runs the scenario\'s own seed', () => {
    expect(seedsOf(parseSeedSelection(undefined, undefined), 42)).toEqual([42]);
  });

  test('cli: usage: --seed N, --seeds N and --seeds A..B select the documented seeds', () => {
    expect(seedsOf(parseSeedSelection('7', undefined), 1)).toEqual([7]);
    expect(seedsOf(parseSeedSelection(undefined, '3'), 1)).toEqual([1, 2, 3]);
    expect(seedsOf(parseSeedSelection(undefined, '5..7'), 1)).toEqual([5, 6, 7]);
    expect(seedsOf(parseSeedSelection(undefined, '4..4'), 1)).toEqual([4]);
  });

  test('cli: usage: both seed flags, bad numbers, A>B, --seeds 0 and huge ranges are usage errors', () => {
    const bad: [string | undefined, string | undefined][] = [
      ['1', '3'], ['x', undefined], ['-1', undefined], ['1e3', undefined], ['2.5', undefined],
      [undefined, '0'], [undefined, '5..2'], [undefined, '1..'], [undefined, '1..2..3'], [undefined, `1..${MAX_RUNS + 1}`],
    ];
    for (const [seed, seeds] of bad) expect(() => parseSeedSelection(seed, seeds), `${seed} ${seeds}`).toThrow(UsageError);
  });

  test('cli: usage: --workers defaults, accepts N >= 1, refuses 0 and words', () => {
    expect(parseWorkers(undefined, 2)).toBe(2);
    expect(parseWorkers('3', 2)).toBe(3);
    expect(() => parseWorkers('0', 2)).toThrow(UsageError);
    expect(() => parseWorkers('many', 2)).toThrow(UsageError);
  });
});

// Each spawn is a real process; they run concurrently to keep the folder fast.
describe.concurrent('cli: usage: the real command', () => {
  test('cli: usage: --help and --version exit 0', async () => {
    const [help, runHelp, version] = await Promise.all([ksim(['--help']), ksim(['run', '--help']), ksim(['--version'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/run \[options\] <paths\.\.\.>/);
    expect(help.stdout).toMatch(/replay \[options\] <failure-file>/);
    expect(runHelp.code).toBe(0);
    expect(runHelp.stdout).toMatch(/--seeds <N\|A\.\.B>/);
    expect(runHelp.stdout).toMatch(/SIMULATOR BUG/);
    expect(runHelp.stdout).toMatch(/^ {2}143 {2}terminated by SIGTERM/m);
    expect(help.stdout).toMatch(/130 interrupted by Ctrl-C; 143 terminated by SIGTERM/);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('cli: usage: each mistake exits 2 with one line on stderr and no stack trace', async () => {
    const mistakes = [
      ['run', HOLDS, '--seed', '1', '--seeds', '3'],
      ['run', HOLDS, '--seeds', '5..2'],
      ['run', HOLDS, '--seed', 'abc'],
      ['run', HOLDS, '--workers', '0'],
      ['run', HOLDS, '--no-such-option'],
      ['run'],
      ['frobnicate'],
      ['replay'],
      ['run', SUITE, '--trace', 'trace.jsonl'], // two runs: a trace is for one run only
    ];
    const results = await Promise.all(mistakes.map((args) => ksim(args)));
    results.forEach((result, index) => {
      const what = mistakes[index]?.join(' ');
      expect(result.code, what).toBe(2);
      expect(result.stdout, what).toBe('');
      expect(result.stderr.trim().split('\n'), what).toHaveLength(1);
      expect(result.stderr, what).toMatch(/^ksim: error: /);
      expect(result.stderr, what).not.toMatch(/\n\s+at /);
    });
  });

  test('cli: usage: no arguments shows the help on stderr and exits 2', async () => {
    const result = await ksim([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Usage: ksim/);
  });
});
