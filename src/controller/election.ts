// Leader election rules of the ZooKeeper-mode controller (PartitionLeaderElectionAlgorithms).
// Pure functions: the assignment order decides; the ISR and liveness filter.

export interface Election {
  readonly leader: number;
  readonly isr: readonly number[];
  readonly unclean: boolean;
}

/**
 * A partition whose leader is gone: the first live replica of the ISR, in assignment order.
 * With none, and only when unclean.leader.election.enable is true, the first live assigned
 * replica, whose log may miss committed records (an unclean election). Otherwise no leader.
 */
export function offlinePartitionLeaderElection(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  uncleanEnabled: boolean,
): Election | null {
  const clean = assignment.find((r) => live.has(r) && isr.includes(r));
  if (clean !== undefined) return { leader: clean, isr: isr.filter((r) => live.has(r)), unclean: false };
  if (!uncleanEnabled) return null;
  const unclean = assignment.find((r) => live.has(r));
  return unclean === undefined ? null : { leader: unclean, isr: [unclean], unclean: true };
}

/**
 * A broker is shutting down cleanly (ControlledShutdownPartitionLeaderElectionStrategy): the
 * first replica, in assignment order, that is live, in the ISR and not shutting down; the
 * shutting-down brokers leave the ISR. None: the partition keeps its leader for now.
 */
export function controlledShutdownLeaderElection(
  assignment: readonly number[],
  isr: readonly number[],
  live: ReadonlySet<number>,
  shuttingDown: ReadonlySet<number>,
): Election | null {
  const leader = assignment.find((r) => live.has(r) && isr.includes(r) && !shuttingDown.has(r));
  return leader === undefined ? null : { leader, isr: isr.filter((r) => !shuttingDown.has(r)), unclean: false };
}

/** A preferred-leader election: the first assigned replica, if it is live and in the ISR. */
export function preferredReplicaLeaderElection(assignment: readonly number[], isr: readonly number[], live: ReadonlySet<number>): Election | null {
  const preferred = assignment[0];
  if (preferred === undefined || !live.has(preferred) || !isr.includes(preferred)) return null;
  return { leader: preferred, isr, unclean: false };
}

/** A new partition: the first live assigned replica leads; every live one is in sync. */
export function newPartitionLeader(assignment: readonly number[], live: ReadonlySet<number>): Election | null {
  const isr = assignment.filter((r) => live.has(r));
  const leader = isr[0];
  return leader === undefined ? null : { leader, isr, unclean: false };
}

/**
 * A replica's broker died: remove it from the ISR (ReplicaStateMachine, OfflineReplica). The
 * last ISR member is never removed, so an offline partition remembers who may lead it cleanly.
 */
export function removeReplicaFromIsr(leader: number, isr: readonly number[], replica: number): { leader: number; isr: readonly number[] } {
  const newLeader = leader === replica ? -1 : leader;
  const newIsr = isr.length === 1 && isr[0] === replica ? isr : isr.filter((r) => r !== replica);
  return { leader: newLeader, isr: newIsr };
}
