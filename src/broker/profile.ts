// Behaviour profiles follow Kafka's release lines ("0.10", "2.8", "3.9"): where Kafka's
// behaviour changed in a way that matters to loss, the profile picks the old or the new.

/** "2.8" -> 208, "0.10" -> 10: comparable numbers for release lines. */
export function profileNumber(profile: string): number {
  const [major, minor] = profile.split('.').map(Number);
  if (major === undefined || minor === undefined || !Number.isInteger(major) || !Number.isInteger(minor)) {
    throw new Error(`profile: "${profile}" is not a Kafka release line such as "2.8"`);
  }
  return major * 100 + minor;
}

export interface Behaviour {
  /** KIP-101 (0.11): a follower truncates by leader epoch, not to its high watermark. */
  readonly leaderEpochTruncation: boolean;
  /** KIP-279 (2.0): OffsetsForLeaderEpoch answers with the epoch too, so fast leader changes truncate right. */
  readonly epochInTruncationAnswer: boolean;
  /** KIP-320 (2.1): fetches carry the current leader epoch; a stale one is FENCED_LEADER_EPOCH. */
  readonly fetchCarriesLeaderEpoch: boolean;
  /** KIP-380 (2.2): the controller knows brokers by epoch (registration czxid), so it sees a quick bounce. */
  readonly brokerEpochs: boolean;
  /**
   * KIP-497 (2.7, with 2.7's default inter.broker.protocol.version): the leader asks the controller
   * to change the ISR (AlterIsr; AlterPartition from 3.2) and applies it from the answer, using the
   * maximal ISR meanwhile; before, it wrote the partition state znode itself (Partition.scala 2.6).
   */
  readonly alterIsr: boolean;
  /** 2.8 (Partition.handleAlterIsrResponse): an answer with the ISR version we already have commits too (2.7 ignored it). */
  readonly alterIsrSameVersionCommits: boolean;
  /** 2.8 (DefaultAlterIsrManager.submit): a change is sent at once when no request is in flight; 2.7 sent every 50 ms. */
  readonly alterIsrSentAtOnce: boolean;
  /**
   * KAFKA-12686 (3.0): a LeaderAndIsr no longer clears the manager's unsent change
   * (AlterIsrManager.clearPending); a change submitted while one of the same partition is still
   * unanswered is not sent, and the leader goes back to its committed ISR (3.1: OPERATION_NOT_ATTEMPTED).
   */
  readonly alterIsrKeepsUnanswered: boolean;
  /** KAFKA-13091 (3.1): the leader re-evaluates the HW when an answer commits the new ISR. */
  readonly hwAfterAlterIsr: boolean;
  /** KIP-704 (3.2): AlterIsr is called AlterPartition (and carries the leader recovery state). */
  readonly alterPartitionName: boolean;
  /**
   * KIP-841 / KAFKA-14140 (3.3): the controller refuses a new ISR naming a broker that is not live or
   * is shutting down (INELIGIBLE_REPLICA), checks the partition epoch before writing, and answers
   * NOT_CONTROLLER to a leader ahead of it; the leader proposes only followers its metadata has alive.
   */
  readonly ineligibleReplicas: boolean;
  /**
   * KAFKA-15583 (3.7): the leader does not advance the HW while its ISR is smaller than
   * min.insync.replicas, and min.insync.replicas counts as at most the replica count (effectiveMinIsr).
   */
  readonly hwHeldUnderMinIsr: boolean;
}

export function behaviourOf(profile: string): Behaviour {
  const n = profileNumber(profile);
  return {
    leaderEpochTruncation: n >= 11,
    epochInTruncationAnswer: n >= 200,
    fetchCarriesLeaderEpoch: n >= 201,
    brokerEpochs: n >= 202,
    alterIsr: n >= 207,
    alterIsrSameVersionCommits: n >= 208,
    alterIsrSentAtOnce: n >= 208,
    alterIsrKeepsUnanswered: n >= 300,
    hwAfterAlterIsr: n >= 301,
    alterPartitionName: n >= 302,
    ineligibleReplicas: n >= 303,
    hwHeldUnderMinIsr: n >= 307,
  };
}

/**
 * Broker defaults that older release lines had; a scenario's own setting always wins.
 * Only defaults that change what can be lost or how fast a failure is noticed are listed.
 */
export function olderBrokerDefaults(profile: string): { readonly broker: Record<string, number | boolean>; readonly zookeeper: Record<string, number> } {
  const n = profileNumber(profile);
  const broker: Record<string, number | boolean> = {};
  const zookeeper: Record<string, number> = {};
  if (n < 11) broker['unclean.leader.election.enable'] = true; // KIP-106: false since 0.11
  if (n < 205) {
    broker['replica.lag.time.max.ms'] = 10_000; // KIP-537: 30 s since 2.5
    zookeeper['zookeeper.session.timeout.ms'] = 6_000; // KIP-537: 18 s since 2.5
  }
  return { broker, zookeeper };
}
