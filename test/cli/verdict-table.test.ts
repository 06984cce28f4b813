import { Chalk } from 'chalk';
import { describe, expect, test } from 'vitest';
import { zeroCounts, type AnomalyCounts } from '../../src/checker/anomalies.js';
import { zeroCoverage } from '../../src/checker/coverage.js';
import { judgedCounts } from '../../src/checker/judged.js';
import { judgeSeeds } from '../../src/checker/verdict.js';

/** A seed's counts as judging takes them: these anomalies, no probe reached. */
const seed = (anomalies: AnomalyCounts) => judgedCounts(anomalies, zeroCoverage());
import { shorten, tableRow, verdictTable } from '../../src/cli/verdict-table.js';

const plain = new Chalk({ level: 0 });
const coloured = new Chalk({ level: 1 });

function rows() {
  const lost = { ...zeroCounts(), lost: 3, reordered: 12 };
  return [
    tableRow('acks-1-leader-crash', 'seeds 000 "ack = 1 写入 | 从节点没同步，主节点挂了，消息丢失"; 001 "如果在 follower 同步成功之前 leader 故障"', 2, 0, lost,
      judgeSeeds({ lost: 'sometimes', inconsistent: 'never' }, [seed(lost), seed(zeroCounts())])),
    tableRow('b', null, 2, 0, zeroCounts(), judgeSeeds({ lost: 'always' }, [seed(zeroCounts()), seed(zeroCounts())])),
    tableRow('c', 'short claim', 1, 1, zeroCounts(), judgeSeeds({}, []), new Set()),
    tableRow('d', null, 1, 0, zeroCounts(), judgeSeeds({ lost: 'sometimes' }, [seed(zeroCounts())]), new Set(['lost'] as const)),
  ];
}

describe('cli: verdict table', () => {
  test('cli: verdict table: one row per scenario: verdict, name, seeds, each expectation, anomalies found, claim', () => {
    expect(verdictTable(rows(), plain)).toBe(
      [
        '',
        'verdicts: 4 scenarios, 3 failed',
        'verdict  scenario             seeds  expect                  anomalies        claim',
        'PASS     acks-1-leader-crash  2      lost: sometimes ok      lost 3           seeds 000 "ack = 1 写入 | 从节点没同步，主节点挂了，消息丢…',
        '                                     inconsistent: never ok  reordered 12',
        'FAIL     b                    2      lost: always FAIL       none',
        'FAIL     c                    1      -                       1 simulator bug  short claim',
        'FAIL     d                    1      lost: sometimes open    none',
        '',
        '',
      ].join('\n'),
    );
  });

  test('cli: verdict table: a `sometimes` no seed showed says so in words; one left open to other shards does not', () => {
    // Its anomaly count is zero, so without the words the row would not say why it failed.
    const unseen = tableRow('e', null, 20, 0, zeroCounts(), judgeSeeds({ lost: 'sometimes' }, Array.from({ length: 20 }, () => seed(zeroCounts()))));
    const open = tableRow('f', null, 20, 0, zeroCounts(), judgeSeeds({ lost: 'sometimes' }, Array.from({ length: 20 }, () => seed(zeroCounts()))), new Set(['lost'] as const));
    expect(verdictTable([unseen, open], plain).split('\n').slice(3, 5)).toEqual([
      'FAIL     e         20     lost: sometimes FAIL: not reproduced in 20 seeds  none',
      'FAIL     f         20     lost: sometimes open                              none',
    ]);
  });

  test('cli: verdict table: colour never moves a column (padding comes before colour)', () => {
    const withColour = verdictTable(rows(), coloured);
    expect(withColour).toMatch(/\u001B\[/);
    expect(withColour.replace(/\u001B\[[0-9;]*m/g, '')).toBe(verdictTable(rows(), plain));
  });

  test('cli: verdict table: a claim is cut to its width in terminal columns, CJK counting two', () => {
    expect(shorten('short', 10)).toBe('short');
    expect(shorten('exactly10!', 10)).toBe('exactly10!');
    expect(shorten('eleven char', 10)).toBe('eleven ch…');
    expect(shorten('消息丢失消息丢失', 9)).toBe('消息丢失…');
    expect(shorten('two\n  lines', 20)).toBe('two lines');
  });
});
