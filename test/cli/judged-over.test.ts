// judged-over: a `sometimes` needs the seeds its scenario names; a shorter run (npm start's one
// seed, a quick --seeds 5 in CI) reports it open instead of failing on too few seeds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ksim, removeTempDirs, tempDir } from './helpers.js';

afterAll(removeTempDirs);

// Nothing fails here, so nothing is ever duplicated: the sometimes cannot be seen.
const scenario = (judgedOver: number) => `name: judged-over
judged-over: ${judgedOver}
duration: 4s
settle: 2s
cluster: { brokers: 3 }
topics: [{ name: orders, partitions: 1, replication.factor: 3 }]
producers: [{ name: p1, topic: orders, messages: 20, rate: 10/s, config: { acks: all } }]
expect:
  duplicated: sometimes
  lost: never
`;

describe('cli: judged-over', () => {
  test('cli: judged-over: fewer seeds leave an unseen sometimes open and exit 0; as many seeds fail it', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'hundred.yaml'), scenario(100));
    writeFileSync(join(cwd, 'two.yaml'), scenario(2));
    const open = await ksim(['run', 'hundred.yaml', '--seeds', '2', '--workers', '1'], { cwd });
    expect(open.code).toBe(0);
    expect(open.stdout).toContain('not seen in 2 seeds; the scenario is judged over 100 (--seeds 100)');
    expect(open.stdout).toContain('1 `sometimes` expectation not seen in fewer seeds than its scenario is judged over');
    const judged = await ksim(['run', 'two.yaml', '--seeds', '2', '--workers', '1'], { cwd });
    expect(judged.code).toBe(1);
    expect(judged.stdout).toContain('not reproduced in 2 seeds');
  });
});
