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
   * Before 1.1 the controller wrote a partition state with ReplicationUtils.updateLeaderAndIsr,
   * whose checker (checkLeaderAndIsrZkData) reads the znode back after a BADVERSION and takes a
   * state equal to its own as written (a re-sent write whose first answer was lost); 1.1's
   * KafkaZkClient has no checker: the controller re-reads and decides again.
   */
  readonly controllerWriteChecker: boolean;
  /** KAFKA-3143 (2.3): a new controller moves replicas on dead brokers offline, out of the ISR (ReplicaStateMachine.startup). */
  readonly offlineReplicasOnFailover: boolean;
  /**
   * Before 1.1 KafkaServer.startup starts the controller (and runs for it) before the broker
   * registers (KafkaHealthcheck comes last, 0.10.2.2, 1.0.2); from 1.1 the registration comes first.
   */
  readonly electionBeforeRegistration: boolean;
}

export function behaviourOf(profile: string): Behaviour {
  const n = profileNumber(profile);
  return {
    leaderEpochTruncation: n >= 11,
    epochInTruncationAnswer: n >= 200,
    fetchCarriesLeaderEpoch: n >= 201,
    brokerEpochs: n >= 202,
    controllerWriteChecker: n < 101,
    offlineReplicasOnFailover: n >= 203,
    electionBeforeRegistration: n < 101,
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
