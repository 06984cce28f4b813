// What a scenario's `expect:` judges (DESIGN.md): every anomaly, and every coverage probe, so a
// scenario can say that the mechanism it demonstrates happened (e.g. controller-write-retried:
// always), judged with the same never / sometimes / always.
import { ANOMALY_NAMES, type AnomalyCounts, type AnomalyName } from './anomalies.js';
import { PROBE_NAMES, type CoverageCounts, type ProbeName } from './coverage.js';

export type JudgedName = AnomalyName | ProbeName;
export type JudgedCounts = Readonly<Record<JudgedName, number>>;

/** The anomalies first, then the probes in report order (the order verdicts are listed in). */
export const JUDGED_NAMES: readonly JudgedName[] = [...ANOMALY_NAMES, ...PROBE_NAMES];

/** One seed's counts of everything `expect:` can name. */
export function judgedCounts(anomalies: AnomalyCounts, coverage: CoverageCounts): JudgedCounts {
  return { ...anomalies, ...coverage };
}
