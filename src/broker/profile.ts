// Behaviour profiles follow Kafka's release lines ("0.10", "2.8", "3.9"): where Kafka's
// behaviour changed in a way that matters to loss, the profile picks the old or the new.
import type { ProducerStateRules } from './producer-state.js';

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
  /** How a leader judges an idempotent producer's batches (retained batches, unknown producer ids). */
  readonly producerState: ProducerStateRules;
}

export function behaviourOf(profile: string): Behaviour {
  const n = profileNumber(profile);
  return {
    leaderEpochTruncation: n >= 11,
    epochInTruncationAnswer: n >= 200,
    fetchCarriesLeaderEpoch: n >= 201,
    brokerEpochs: n >= 202,
    producerState: { batchesKept: n >= 100 ? 5 : 1, unknownProducer: n >= 205 ? 'append' : n >= 100 ? 'unknown-producer-id' : 'out-of-order' },
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
