import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { folderName, failureFilePath } from '../../src/cli/failure-file.js';
import { formatAt, formatCounts, formatSeeds, shellQuote } from '../../src/cli/format.js';
import { storyLines } from '../../src/cli/text-report.js';

describe('cli: format', () => {
  test('cli: format: virtual time prints as seconds with milliseconds, truncated, never rounded up', () => {
    expect(formatAt(20_003_000)).toBe('t=20.003s');
    expect(formatAt(0)).toBe('t=0.000s');
    expect(formatAt(999_999)).toBe('t=0.999s');
    expect(formatAt(61_000_000)).toBe('t=61.000s');
  });

  test('cli: format: seeds print as sorted ranges', () => {
    expect(formatSeeds([3, 1, 2, 7, 9, 10])).toBe('1..3, 7, 9..10');
    expect(formatSeeds([5])).toBe('5');
    expect(formatSeeds([])).toBe('');
  });

  test('cli: format: anomaly totals list the non-zero ones in the contract\'s order', () => {
    const counts = zeroCounts();
    expect(formatCounts(counts)).toBe('none');
    counts.duplicated = 2;
    counts.lost = 1;
    expect(formatCounts(counts)).toBe('lost 1, duplicated 2');
  });

  test('cli: format: replay commands stay copy-pastable in a shell', () => {
    expect(shellQuote('reports/failures/a-b/seed-1.json')).toBe('reports/failures/a-b/seed-1.json');
    expect(shellQuote("my file's.yaml")).toBe(`'my file'\\''s.yaml'`);
  });

  test('cli: format: a scenario name becomes one safe folder under reports/failures', () => {
    expect(folderName('acks-1.leader_crash')).toBe('acks-1.leader_crash');
    expect(folderName('../../etc')).toBe('.._.._etc');
    expect(folderName('..')).toBe('_..');
    expect(failureFilePath('a/b', 3)).toBe('reports/failures/a_b/seed-3.json');
  });

  test('cli: format: a story prints each line at its virtual time', () => {
    const lines = storyLines(
      [{ anomaly: 'lost', summary: 'write 7 was acknowledged and is gone', story: [{ atUs: 20_003_000, text: 'n1 crashed' }] }],
      new Chalk({ level: 0 }),
      '',
    );
    expect(lines).toEqual(['lost: write 7 was acknowledged and is gone', '  t=20.003s  n1 crashed']);
  });
});
