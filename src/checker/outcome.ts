// What a checker hands the runner after the settle phase: counts, instances with their stories,
// and the message counts of the `--json` line.
import type { MessageCounts } from '../runner/types.js';
import type { AnomalyCounts, AnomalyInstance } from './anomalies.js';

export interface CheckOutcome {
  readonly anomalies: AnomalyCounts;
  readonly instances: AnomalyInstance[];
  readonly messages: MessageCounts;
  /** Each consumer group's lag at the end (none for a system without groups). */
  readonly lag?: readonly GroupLag[];
}

/**
 * A group's lag at the end, per partition of its topic and summed, both ways (KIP-98): from its
 * final committed offset to the high watermark (what read_uncommitted may still read) and to the
 * last stable offset (what read_committed may). With nothing committed, lag counts from offset 0
 * (ksim deletes no segment: every log starts at 0).
 */
export interface GroupLag {
  readonly group: string;
  readonly isolationLevel: 'read_uncommitted' | 'read_committed';
  /** Σ max(0, high watermark − committed). */
  readonly highWatermarkLag: number;
  /** Σ max(0, last stable offset − committed). */
  readonly lastStableLag: number;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    /** The final committed offset, null when the group committed none. */
    readonly committed: number | null;
    readonly highWatermark: number;
    readonly lastStableOffset: number;
  }[];
}

/** At most this many instances (with stories) per anomaly; the counts cover them all. */
export const STORIES_PER_ANOMALY = 5;
