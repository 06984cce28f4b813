import { describe, expect, test } from 'vitest';
import { isAnomalyName, zeroCounts } from '../../src/checker/anomalies.js';
import { zeroCoverage } from '../../src/checker/coverage.js';
import { JUDGED_NAMES, judgedCounts, type JudgedCounts } from '../../src/checker/judged.js';
import { brokenBySeed, judgeSeeds } from '../../src/checker/verdict.js';

const counts = (over: Partial<JudgedCounts>): JudgedCounts => ({ ...zeroCounts(), ...zeroCoverage(), ...over });

describe('checker: verdict', () => {
  test('checker: verdict: a seed breaks `never` by showing it and `always` by not showing it; `sometimes` never per seed', () => {
    const expect_ = { lost: 'never', duplicated: 'always', reordered: 'sometimes' } as const;
    expect(brokenBySeed(expect_, counts({ lost: 2 }))).toEqual(['lost: expected never, found 2', 'duplicated: expected always, found 0']);
    expect(brokenBySeed(expect_, counts({ duplicated: 1 }))).toEqual([]);
  });

  test('checker: verdict: over seeds, `sometimes` needs one seed, `always` every seed, `never` none', () => {
    const seeds = [counts({ lost: 1, duplicated: 3 }), counts({ duplicated: 1 }), counts({ duplicated: 2 })];
    const verdict = judgeSeeds({ lost: 'sometimes', duplicated: 'always', reordered: 'never' }, seeds);
    expect(verdict.ok).toBe(true);
    expect(verdict.expectations.map((e) => e.why)).toEqual(['seen in 1 of 3 seeds (1 in all)', 'seen in 3 of 3 seeds (6 in all)', 'none in 3 seeds']);
    const failing = judgeSeeds({ lost: 'always', inconsistent: 'sometimes' }, seeds);
    expect(failing.ok).toBe(false);
    expect(failing.expectations.map((e) => [e.anomaly, e.ok, e.why])).toEqual([
      ['lost', false, 'seen in 1 of 3 seeds (1 in all)'],
      ['inconsistent', false, 'not reproduced in 3 seeds'],
    ]);
  });

  // A scenario's judged-over: its sometimes needs that many seeds; fewer leave it open, never failed,
  // and never and always are judged as before.
  test('checker: verdict: a sometimes not seen in fewer seeds than judged-over is open, not failed; at judged-over it fails', () => {
    const seeds = [counts({ lost: 1 }), counts({})];
    const few = judgeSeeds({ inconsistent: 'sometimes', lost: 'always' }, seeds, 100);
    expect(few.expectations.map((e) => [e.anomaly, e.ok, e.open, e.why])).toEqual([
      ['lost', false, false, 'seen in 1 of 2 seeds (1 in all)'],
      ['inconsistent', true, true, 'not seen in 2 seeds; the scenario is judged over 100 (--seeds 100)'],
    ]);
    expect(few.ok).toBe(false); // the always still fails
    const enough = judgeSeeds({ inconsistent: 'sometimes' }, seeds, 2);
    expect(enough.expectations.map((e) => [e.ok, e.open])).toEqual([[false, false]]);
    expect(enough.ok).toBe(false);
    const seen = judgeSeeds({ lost: 'sometimes' }, seeds, 100);
    expect(seen.expectations.map((e) => [e.ok, e.open])).toEqual([[true, false]]);
  });

  // DESIGN.md: expect: judges the coverage probes too, by how often each seed reached them.
  test('checker: verdict: a coverage probe is judged as an anomaly is, after the anomalies', () => {
    const seeds = [counts({ 'controller-write-retried': 2 }), counts({ lost: 1 })];
    const verdict = judgeSeeds({ 'controller-write-retried': 'sometimes', 'unclean-election': 'never', lost: 'sometimes' }, seeds);
    expect(verdict.expectations.map((e) => [e.anomaly, e.ok, e.why])).toEqual([
      ['lost', true, 'seen in 1 of 2 seeds (1 in all)'],
      ['unclean-election', true, 'none in 2 seeds'],
      ['controller-write-retried', true, 'seen in 1 of 2 seeds (2 in all)'],
    ]);
    expect(brokenBySeed({ 'controller-write-retried': 'always' }, seeds[1]!)).toEqual(['controller-write-retried: expected always, found 0']);
  });

  test('checker: verdict: no seeds proves nothing, and unlisted anomalies are not judged', () => {
    expect(judgeSeeds({ lost: 'never' }, []).ok).toBe(false);
    expect(judgeSeeds({}, [counts({ lost: 9 })])).toEqual({ ok: true, expectations: [] });
    expect(judgeSeeds({ lost: 'never' }, [counts({})]).expectations[0]!.why).toBe('none in 1 seed');
  });

  // DESIGN.md: `expect:` judges the coverage probes as it judges anomalies.
  test('checker: verdict: a coverage probe is judged like an anomaly; a probe a seed did not report counts as zero', () => {
    const expect_ = { 'broker-start-failed': 'always', 'unclean-election': 'never' } as const;
    expect(brokenBySeed(expect_, { ...counts({}), 'broker-start-failed': 0, 'unclean-election': 2 })).toEqual([
      'unclean-election: expected never, found 2',
      'broker-start-failed: expected always, found 0',
    ]);
    expect(brokenBySeed(expect_, { ...counts({}), 'broker-start-failed': 1 })).toEqual([]);
    const verdict = judgeSeeds({ 'broker-start-failed': 'sometimes' }, [counts({}), { ...counts({}), 'broker-start-failed': 2 }]);
    expect(verdict.expectations.map((e) => [e.anomaly, e.ok, e.why])).toEqual([['broker-start-failed', true, 'seen in 1 of 2 seeds (2 in all)']]);
  });

  // A `never` fails on one seed that shows it, however many seeds show none.
  test('checker: verdict: over seeds, `never` fails when any seed shows it', () => {
    const seeds = [counts({}), counts({ lost: 2 }), counts({})];
    const verdict = judgeSeeds({ lost: 'never' }, seeds);
    expect(verdict.ok).toBe(false);
    expect(verdict.expectations.map((e) => [e.ok, e.seedsWith, e.total, e.why])).toEqual([[false, 1, 2, 'seen in 1 of 3 seeds (2 in all)']]);
  });

  // judged-over only spares a `sometimes` not yet seen: a `never` or `always` is judged on the seeds
  // that ran, and zero seeds prove nothing even when the scenario asks for more.
  test('checker: verdict: judged-over leaves never and always judged on the seeds run, and zero seeds still fail', () => {
    const seeds = [counts({}), counts({})];
    const verdict = judgeSeeds({ lost: 'never', duplicated: 'always' }, seeds, 100);
    expect(verdict.expectations.map((e) => [e.anomaly, e.ok, e.open, e.why])).toEqual([
      ['lost', true, false, 'none in 2 seeds'],
      ['duplicated', false, false, 'none in 2 seeds'],
    ]);
    expect(verdict.ok).toBe(false);
    const none = judgeSeeds({ lost: 'sometimes' }, [], 100);
    expect(none.expectations.map((e) => [e.ok, e.open])).toEqual([[false, false]]);
    expect(none.ok).toBe(false);
  });

  // What a seed hands the verdict: its anomaly counts and its probe counts, under one name each.
  test('checker: verdict: a seed\'s judged counts are its anomalies and its probes; only anomaly names are anomalies', () => {
    const judged = judgedCounts({ ...zeroCounts(), lost: 3 }, { ...zeroCoverage(), 'unclean-election': 2 });
    expect(judged).toEqual(counts({ lost: 3, 'unclean-election': 2 }));
    expect(Object.keys(judged)).toEqual(JUDGED_NAMES);
    expect(isAnomalyName('lost')).toBe(true);
    expect(isAnomalyName('unclean-election')).toBe(false);
  });
});
