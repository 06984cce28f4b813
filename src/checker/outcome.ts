// What a checker hands the runner after the settle phase: counts, instances with their stories,
// and the message counts of the `--json` line.
import type { MessageCounts } from '../runner/types.js';
import type { AnomalyCounts, AnomalyInstance } from './anomalies.js';

export interface CheckOutcome {
  readonly anomalies: AnomalyCounts;
  readonly instances: AnomalyInstance[];
  readonly messages: MessageCounts;
}

/** At most this many instances (with stories) per anomaly; the counts cover them all. */
export const STORIES_PER_ANOMALY = 5;
