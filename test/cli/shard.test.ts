import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { zeroCoverage } from '../../src/checker/coverage.js';
import { runJob } from '../../src/cli/run-job.js';
import { RunSession } from '../../src/cli/session.js';
import { combineLines, judgeCombined, parseResultLines, type ResultLine } from '../../src/cli/judge.js';
import { parseShard, shardOf, UsageError } from '../../src/cli/usage.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { FAILS, HOLDS, REPO, jsonLines, ksim, removeTempDirs, tempDir, type Result } from './helpers.js';

afterAll(removeTempDirs);

// A short scenario whose `lost: sometimes` shows in some seeds only (1 and 3 of 1..3), so a
// shard can miss what the whole run sees.
const TRUNCATION = join(REPO, 'scenarios/kip101-hw-truncation-0.10.yaml');
const CATALOG = [HOLDS, FAILS, TRUNCATION];
const SEEDS = ['--seeds', '3'];

describe('cli: shard: --shard I/N (parsed without spawning)', () => {
  test('cli: shard: I/N counts from 1; every item goes to exactly one of the N shards', () => {
    expect(parseShard(undefined)).toBeNull();
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    const items = Array.from({ length: 17 }, (_, i) => i);
    const shards = [1, 2, 3].map((index) => shardOf(items, { index, count: 3 }));
    expect(shards[0]).toEqual([0, 3, 6, 9, 12, 15]);
    expect(shards.flat().sort((a, b) => a - b)).toEqual(items);
    expect(shardOf([1, 2], { index: 3, count: 3 })).toEqual([]);
  });

  test('cli: shard: 0/3, 4/3, 1/0, x, 3 and -1/3 are usage errors naming --shard', () => {
    for (const bad of ['0/3', '4/3', '1/0', 'x', '3', '-1/3', '1.5/3', '']) {
      expect(() => parseShard(bad), bad).toThrow(UsageError);
      expect(() => parseShard(bad), bad).toThrow(/--shard/);
    }
  });
});

describe('cli: shard: three shards of a catalog against one machine running every seed', () => {
  let cwd = '';
  let whole: Result;
  let shards: Result[] = [];

  beforeAll(async () => {
    cwd = tempDir();
    // In-process (--workers 1) so the four processes share the machine's cores evenly.
    const run = (extra: readonly string[]) => ksim(['run', ...CATALOG, ...SEEDS, '--json', '--workers', '1', ...extra], { cwd: tempDir() });
    [whole, ...shards] = await Promise.all([
      run([]),
      run(['--shard', '1/3']),
      run(['--shard', '2/3']),
      run(['--shard', '3/3']),
    ]);
    shards.forEach((shard, i) => writeFileSync(join(cwd, `shard-${i + 1}.jsonl`), shard.stdout));
    writeFileSync(join(cwd, 'whole.jsonl'), whole.stdout);
  });

  test('cli: shard: the shards\' --json lines together are exactly the whole run\'s, each line once', () => {
    const lines = (result: Result) => result.stdout.split('\n').filter((line) => line !== '');
    const union = shards.flatMap(lines);
    expect(union).toHaveLength(lines(whole).length);
    expect(new Set(union).size).toBe(union.length);
    // Whole lines, so scenario, seed, traceHash, anomalies (and everything else) agree.
    expect([...union].sort()).toEqual([...lines(whole)].sort());
    expect(shards.map((shard) => lines(shard).length)).toEqual([3, 3, 3]);
  });

  test('cli: shard: judging the shards\' lines together gives the whole run\'s verdicts', () => {
    const verdicts = (texts: readonly string[]) => {
      const lines = texts.flatMap((text, i) => parseResultLines(text, `file-${i}`).lines);
      const combined = combineLines(lines);
      expect(combined.errors).toEqual([]);
      return combined.scenarios.map((scenario) => {
        const loaded = loadScenarioText(readFileSync(scenario.file, 'utf8'), scenario.file);
        if (!loaded.ok) throw new Error(`${scenario.file} must load`);
        return { name: scenario.name, seeds: [...scenario.seeds].sort(), verdict: judgeCombined(scenario, loaded.value) };
      });
    };
    const fromWhole = verdicts([whole.stdout]);
    expect(verdicts(shards.map((shard) => shard.stdout))).toEqual(fromWhole);
    // The whole run's own verdicts: cli-fails fails, the others hold, so the run exits 1.
    expect(fromWhole.map((v) => [v.name, v.verdict.ok])).toEqual([['cli-holds', true], ['cli-fails', false], ['kip101-hw-truncation-0.10', true]]);
    expect(whole.code).toBe(1);
  });

  test('cli: shard: ksim judge over the shard files prints the whole run\'s verdict table and exit code', async () => {
    const [judged, judgedWhole, twice] = await Promise.all([
      ksim(['judge', 'shard-1.jsonl', 'shard-2.jsonl', 'shard-3.jsonl'], { cwd }),
      ksim(['judge', 'whole.jsonl'], { cwd }),
      ksim(['judge', 'shard-1.jsonl', 'shard-1.jsonl'], { cwd }),
    ]);
    const table = (text: string) => text.slice(text.indexOf('verdicts:'), text.indexOf('\n\n', text.indexOf('verdicts:')));
    expect(table(whole.stderr)).toMatch(/^verdicts: 3 scenarios, 1 failed\n/);
    expect(table(judged.stdout)).toBe(table(whole.stderr));
    expect(judged.stdout).toBe(judgedWhole.stdout.replace('from 1 file', 'from 3 files'));
    expect(judged.code).toBe(whole.code);
    // The same shard twice is caught, not counted twice.
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/cli-holds seed 1 is also at shard-1\.jsonl:1/);
  });

  test('cli: shard: a `sometimes` a shard did not see is left open, and shown so', () => {
    // The catalog's runs 6, 7, 8 are the scenario's seeds 1, 2, 3: one per shard; seed 2 loses nothing.
    const seeds = shards.map((shard) => jsonLines(shard.stdout).filter((l) => l['scenario'] === 'kip101-hw-truncation-0.10').map((l) => l['seed']));
    expect(seeds).toEqual([[1], [2], [3]]);
    expect(shards[1]?.stderr).toMatch(/expect lost: sometimes\s+ok\s+open: not seen in this shard's 1 seed; the other shards ran the rest/);
    expect(shards[1]?.stderr).toMatch(/PASS\s+kip101-hw-truncation-0\.10\s+1\s+lost: sometimes open/);
    expect(shards[1]?.stderr).toMatch(/shard 2\/3: 1 `sometimes` expectation not seen on this shard left open; the suite's verdict: ksim judge/);
    expect(shards[0]?.stderr).toMatch(/expect lost: sometimes\s+ok\s+seen in 1 of 1 seed/);
  });
});

describe('cli: shard: a shard\'s own exit code', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  test('cli: shard: an unseen `sometimes` fails a scenario whose seeds are all here, not one whose seeds are split', () => {
    // The example system loses nothing, so `lost: sometimes` is not seen in seed 1.
    const text = readFileSync(HOLDS, 'utf8').replace('expect: {}', 'expect: { lost: sometimes }');
    const loaded = loadScenarioText(text, 's.yaml');
    if (!loaded.ok) throw new Error('the scenario must load');
    const job = { index: 0, file: 's.yaml', text, seed: 1 };
    const outcome = runJob(job);
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exitCode = (split: readonly string[]) => {
      const session = new RunSession([loaded.value], [job], { json: false, quiet: true, junit: null, progress: false, shard: { shard: { index: 1, count: 2 }, split: new Set(split) } });
      session.deliver(job, outcome);
      return session.finish();
    };
    expect(outcome.kind === 'summary' && outcome.summary.anomalies.lost).toBe(0);
    expect(exitCode([])).toBe(1);
    expect(exitCode(['s.yaml'])).toBe(0);
  });
});

describe('cli: shard: judging combined lines', () => {
  test('cli: shard: a `sometimes` that no shard saw fails the combined verdict, though no shard failed it', () => {
    const text = readFileSync(HOLDS, 'utf8').replace('name: cli-holds', 'name: s').replace('expect: {}', 'expect: { lost: sometimes }');
    const loaded = loadScenarioText(text, 's.yaml');
    if (!loaded.ok) throw new Error('the scenario must load');
    const line = (seed: number, lost: number, where: string): ResultLine => ({ scenario: 's', file: 's.yaml', seed, anomalies: { ...zeroCounts(), lost }, coverage: zeroCoverage(), where });
    const none = combineLines([line(1, 0, 'a:1'), line(2, 0, 'b:1')]).scenarios[0];
    const some = combineLines([line(1, 0, 'a:1'), line(2, 3, 'b:1')]).scenarios[0];
    if (none === undefined || some === undefined) throw new Error('one scenario each');
    expect(judgeCombined(none, loaded.value).ok).toBe(false);
    expect(judgeCombined(some, loaded.value).ok).toBe(true);
  });

  test('cli: shard: the scenario order of the suite is rebuilt from the shards\' orders', () => {
    const line = (scenario: string, where: string): ResultLine => ({ scenario, file: `${scenario}.yaml`, seed: 1, anomalies: zeroCounts(), coverage: zeroCoverage(), where });
    // Suite a, b, c, d; shard 1 saw a and c, shard 2 saw b, c and d.
    const lines = [line('a', 's1:1'), line('c', 's1:2'), line('b', 's2:1'), line('c', 's2:2'), line('d', 's2:3')].map((l, i) => ({ ...l, seed: i }));
    expect(combineLines(lines).scenarios.map((s) => s.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  test('cli: shard: a coverage probe expected `sometimes` is judged over every shard\'s lines', () => {
    const text = readFileSync(HOLDS, 'utf8').replace('name: cli-holds', 'name: s').replace('expect: {}', "expect: { 'broker-start-failed': sometimes }");
    const loaded = loadScenarioText(text, 's.yaml');
    if (!loaded.ok) throw new Error('the scenario must load');
    const json = (seed: number, failed: number): string => JSON.stringify({ scenario: 's', file: 's.yaml', seed, anomalies: zeroCounts(), coverage: { ...zeroCoverage(), 'broker-start-failed': failed } });
    const judged = (texts: string[]) => judgeCombined(combineLines(texts.flatMap((t, i) => parseResultLines(t, `shard-${i}`).lines)).scenarios[0]!, loaded.value).ok;
    expect(judged([json(1, 0), json(2, 0)])).toBe(false);
    expect(judged([json(1, 0), json(2, 1)])).toBe(true);
  });

  test('cli: shard: lines that are not ksim --json results are named by file and line', () => {
    const parsed = parseResultLines('{"scenario":"s","file":"s.yaml","seed":1,"anomalies":{}}\nnot json\n', 'x.jsonl');
    expect(parsed.lines).toEqual([]);
    expect(parsed.errors).toEqual([expect.stringMatching(/^x\.jsonl:1: expected "anomalies\.lost"/), expect.stringMatching(/^x\.jsonl:2: not a JSON line/)]);
  });
});

describe.concurrent('cli: shard: the real command', () => {
  test('cli: shard: bad --shard values exit 2 with one line naming the flag', async () => {
    const results = await Promise.all(['0/3', '4/3', 'x'].map((value) => ksim(['run', HOLDS, '--shard', value], { cwd: tempDir() })));
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^ksim: error: --shard (takes I\/N|I\/N needs 1 <= I <= N)/);
    }
  });

  test('cli: shard: a shard with no runs says so and exits 0', async () => {
    const result = await ksim(['run', HOLDS, '--shard', '2/3'], { cwd: tempDir() });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('shard 2/3: nothing to run (the suite has 1 run)\n');
  });
});
