// The checker's anomaly names: the contract of `--json` and of a scenario's `expect:` (DESIGN.md).
export const ANOMALY_NAMES = [
  'lost',
  'duplicated',
  'reordered',
  'inconsistent',
  'divergent',
  'unprocessed',
  'reprocessed',
  'dirty-read',
  'unconsumed',
] as const;

export type AnomalyName = (typeof ANOMALY_NAMES)[number];
export type AnomalyCounts = Record<AnomalyName, number>;

export function isAnomalyName(name: string): name is AnomalyName {
  return (ANOMALY_NAMES as readonly string[]).includes(name);
}

export function zeroCounts(): AnomalyCounts {
  const counts = {} as AnomalyCounts;
  for (const name of ANOMALY_NAMES) counts[name] = 0;
  return counts;
}

/** One line of an anomaly's causal story, in virtual time. */
export interface StoryLine {
  readonly atUs: number;
  readonly text: string;
}

/** One observed instance of an anomaly, with the events that explain it. */
export interface AnomalyInstance {
  readonly anomaly: AnomalyName;
  readonly summary: string;
  readonly story: readonly StoryLine[];
}
