import type { SystemFaultKind } from '../../sim/index.js';
import type { CoverageCounts } from '../checker/coverage.js';
import type { CheckOutcome } from '../checker/outcome.js';
import type { FailedStart } from '../checker/start-failures.js';

/** What the runner needs from a simulated system (the example now, Kafka later). */
export interface SystemUnderTest {
  /** A node name for a fault target (a node name or a role such as `primary`), or null when none fits now. */
  resolve(target: string): string | null;
  /** The nodes the random nemesis hits when the scenario names no `nemesis.targets`. */
  readonly nemesisTargets: readonly string[];
  /** Named sets of nodes a nemesis target may name (brokers, zookeeper, producers, consumers). */
  readonly nodeSets: Readonly<Record<string, readonly string[]>>;
  /** Nemesis fault kinds of this system's own (zookeeper-split, zookeeper-expiry), by name. */
  readonly nemesisKinds: Readonly<Record<string, SystemFaultKind>>;
  /** After the settle phase: the anomalies, with stories, and the message counts. */
  check(): CheckOutcome;
  /** Bytes the checker keeps (0 when it keeps nothing worth counting). */
  retainedBytes(): number;
  /** How often the run reached each rare situation so far: every probe, zero included. */
  coverage(): CoverageCounts;
  /** Processes whose start failed, in order (none for a system without such starts). */
  failedStarts(): FailedStart[];
}
