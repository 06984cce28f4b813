// Judging a scenario's `expect:` (DESIGN.md): `never` = zero in every seed; `always` = at least one
// in every seed; `sometimes` = at least one in at least one seed. Unlisted anomalies are not judged.
// A coverage probe is judged the same way, by how many times a seed reached it.
import { JUDGED_NAMES, type JudgedCounts, type JudgedName } from './judged.js';
import type { Expectation } from '../scenario/types.js';

export type Expectations = Readonly<Partial<Record<JudgedName, Expectation>>>;

/** The expectations one seed breaks on its own: a `never` it showed, an `always` it did not. */
export function brokenBySeed(expect: Expectations, counts: JudgedCounts): string[] {
  const broken: string[] = [];
  for (const name of JUDGED_NAMES) {
    const expectation = expect[name];
    const found = counts[name];
    if (expectation === 'never' && found > 0) broken.push(`${name}: expected never, found ${found}`);
    if (expectation === 'always' && found === 0) broken.push(`${name}: expected always, found 0`);
  }
  return broken;
}

export interface ExpectationVerdict {
  readonly anomaly: JudgedName; // an anomaly or a coverage probe
  readonly expectation: Expectation;
  readonly seeds: number; // seeds judged
  readonly seedsWith: number; // seeds that showed the anomaly at least once
  readonly total: number; // instances over all seeds
  readonly ok: boolean;
  /** A `sometimes` not seen in fewer seeds than the scenario is judged over: not failed, not yet held. */
  readonly open: boolean;
  readonly why: string; // e.g. "seen in 7 of 20 seeds", "not reproduced in 20 seeds"
}

export interface ScenarioVerdict {
  readonly ok: boolean;
  readonly expectations: readonly ExpectationVerdict[];
}

/** Judges all seeds of one scenario together. The result depends only on the set of counts. */
export function judgeSeeds(expect: Expectations, perSeed: readonly JudgedCounts[], judgedOver = 1): ScenarioVerdict {
  const expectations: ExpectationVerdict[] = [];
  for (const anomaly of JUDGED_NAMES) {
    const expectation = expect[anomaly];
    if (expectation === undefined) continue;
    const seeds = perSeed.length;
    let seedsWith = 0;
    let total = 0;
    for (const counts of perSeed) {
      const found = counts[anomaly] ?? 0;
      total += found;
      if (found > 0) seedsWith += 1;
    }
    const inSeeds = `${seeds} ${seeds === 1 ? 'seed' : 'seeds'}`;
    // A scenario's `judged-over:` says how many seeds its `sometimes` needs; fewer cannot fail it.
    if (expectation === 'sometimes' && seedsWith === 0 && seeds > 0 && seeds < judgedOver) {
      expectations.push({ anomaly, expectation, seeds, seedsWith, total, ok: true, open: true, why: `not seen in ${inSeeds}; the scenario is judged over ${judgedOver} (--seeds ${judgedOver})` });
      continue;
    }
    const ok =
      seeds > 0 &&
      (expectation === 'never' ? seedsWith === 0 : expectation === 'always' ? seedsWith === seeds : seedsWith > 0);
    const why =
      seedsWith === 0
        ? expectation === 'sometimes'
          ? `not reproduced in ${inSeeds}`
          : `none in ${inSeeds}`
        : `seen in ${seedsWith} of ${inSeeds} (${total} in all)`;
    expectations.push({ anomaly, expectation, seeds, seedsWith, total, ok, open: false, why });
  }
  return { ok: expectations.every((e) => e.ok), expectations };
}
