import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FAILS, ksim, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

describe('cli: replay', () => {
  let cwd = '';
  const failure = 'reports/failures/cli-fails/seed-2.json';

  beforeAll(async () => {
    cwd = tempDir();
    const run = await ksim(['run', FAILS, '--seed', '2', '--quiet'], { cwd });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`npx ksim replay ${failure}`);
  });

  test('cli: replay: a fresh failure file replays to the same trace hash and exits 0', async () => {
    // Same seed, same scenario text, same version: the run is byte-identical, so is its hash.
    const recorded = JSON.parse(readFileSync(join(cwd, failure), 'utf8')) as { traceHash: string };
    const result = await ksim(['replay', failure], { cwd });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`trace hash ${recorded.traceHash} matches`);
    expect(result.stdout).toMatch(/broken: reprocessed: expected always, found 0/);
    expect(result.stderr).toBe('');
  });

  test('cli: replay: a changed trace hash is reported as DIFFERS and exits 1; another version only warns', async () => {
    const record = JSON.parse(readFileSync(join(cwd, failure), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(cwd, 'edited.json'), JSON.stringify({ ...record, traceHash: '0000000000000000', ksimVersion: '0.0.0-old' }));
    const result = await ksim(['replay', 'edited.json'], { cwd });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/trace hash DIFFERS: recorded 0000000000000000, now [0-9a-f]{16}/);
    expect(result.stderr).toMatch(/warning: .*recorded by ksim 0\.0\.0-old/);
  });

  test('cli: replay: an edited scenario that Kafka would refuse is bad input with its position, exit 2', async () => {
    const record = JSON.parse(readFileSync(join(cwd, failure), 'utf8')) as { scenarioText: string; file: string };
    const scenarioText = 'cluster: { brokers: 3 }\ntopics: [{ name: t, replication.factor: 3 }]\nconsumers:\n  - { group: edited, topic: t, config: { heartbeat.interval.ms: 60000 } }\n';
    writeFileSync(join(cwd, 'refused.json'), JSON.stringify({ ...record, scenarioText }));
    const result = await ksim(['replay', 'refused.json'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/:4:\d+: consumers\[0\]\.config\.heartbeat\.interval\.ms: expected a heartbeat\.interval\.ms lower than session\.timeout\.ms/);
    expect(result.stderr).not.toMatch(/SIMULATOR BUG|at .*\.ts:\d+/);
  });

  test('cli: replay: a missing, garbled or wrongly shaped file exits 2 with one clear line', async () => {
    writeFileSync(join(cwd, 'garbled.json'), '{"ksimVersion": "0.1.0", ');
    writeFileSync(join(cwd, 'shape.json'), JSON.stringify({ ksimVersion: '0.1.0', seed: 'two' }));
    const results = await Promise.all(['missing.json', 'garbled.json', 'shape.json'].map((file) => ksim(['replay', file], { cwd })));
    const [missing, garbled, shape] = results;
    for (const result of results) {
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(missing?.stderr).toMatch(/missing\.json: cannot read the failure file \(ENOENT\)/);
    expect(garbled?.stderr).toMatch(/garbled\.json: not a failure file: invalid JSON/);
    expect(shape?.stderr).toMatch(/shape\.json: not a failure file: expected "scenario" to be a string/);
  });
});
