// A run whose scripted fault named nobody when it came due did not do what its file says: its
// seeds fail, the scenario fails and ksim exits 1, though no expectation was broken.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { jsonLines, ksim, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

const scenario = (mayMiss: boolean) => `name: not-as-written
duration: 6s
settle: 3s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
producers: [{ name: p1, topic: orders, messages: 40, rate: 20/s, config: { acks: all } }]
faults:
  - { at: 2s, kill: leader-was(orders/0)${mayMiss ? ', may-miss: true' : ''} }
`;

describe('cli: not as written', () => {
  test('cli: not as written: a skipped scripted fault fails the scenario and exits 1; may-miss lets it pass', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'strict.yaml'), scenario(false));
    writeFileSync(join(cwd, 'lenient.yaml'), scenario(true));
    const strict = await ksim(['run', 'strict.yaml', '--seeds', '2', '--workers', '1'], { cwd });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('did not run as written: seeds 1..2');
    expect(strict.stdout).toContain('its kill at 2s (scenario line 8) was skipped');
    const lenient = await ksim(['run', 'lenient.yaml', '--seeds', '2', '--workers', '1', '--json'], { cwd });
    expect(lenient.code).toBe(0);
    const lines = jsonLines(lenient.stdout);
    expect(lines.map((l) => l['skippedFaults'])).toEqual([[expect.objectContaining({ line: 8, allowed: true })], [expect.objectContaining({ line: 8, allowed: true })]]);
  });
});
