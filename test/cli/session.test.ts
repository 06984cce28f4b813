import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { RunSession } from '../../src/cli/session.js';
import { loadScenarioText } from '../../src/scenario/index.js';
import { HOLDS } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('cli: session', () => {
  test('cli: session: a run that threw is a loud simulator bug with its seed and reproduce command, exit 1', () => {
    // A scenario with no expectations cannot fail on its own, so exit 1 here comes from the bug.
    const loaded = loadScenarioText(readFileSync(HOLDS, 'utf8'), 'holds.yaml');
    if (!loaded.ok) throw new Error('the fixture must load');
    const stdout: string[] = [];
    const stderr: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => stdout.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => stderr.push(String(chunk)) > 0);
    const job = { index: 0, file: 'holds.yaml', text: loaded.value.text, seed: 9 };
    const session = new RunSession([loaded.value], [job], { json: true, quiet: false, junit: null, progress: false });
    session.deliver(job, { kind: 'bug', message: 'invariant broken: two primaries in view 3', stack: null });
    const exitCode = session.finish();
    vi.restoreAllMocks();

    expect(exitCode).toBe(1);
    const line = JSON.parse(stdout.join('')) as Record<string, unknown>;
    expect(line).toMatchObject({ scenario: 'cli-holds', seed: 9, ok: false, simulatorBug: 'invariant broken: two primaries in view 3' });
    expect(line['reproduce']).toBe('npx ksim run holds.yaml --seed 9');
    const text = stderr.join('');
    expect(text).toMatch(/SIMULATOR BUG in cli-holds seed 9/);
    expect(text).toMatch(/reproduce with: npx ksim run holds\.yaml --seed 9/);
    expect(text).toMatch(/1 simulator bug/);
  });
});
