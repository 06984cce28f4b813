// Behaviour profiles follow Kafka's release lines ("0.10", "2.8", "3.9"): where Kafka's
// behaviour changed in a way that matters to loss, the profile picks the old or the new. A
// profile follows its line's last release (0.10.2.2, 0.11.0.3, 1.0.2, 1.1.1, 2.0.1, 2.1.1, ...,
// 2.8.2): a fix made in a patch release (KAFKA-7415 and KAFKA-7164 in 2.0.1) is in its line.
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
  /**
   * KIP-279 (2.0): OffsetsForLeaderEpoch answers with the epoch too; a follower that does not
   * know that epoch truncates to where its own previous epoch ends and asks again, round after
   * round, until the answer names an epoch both know (AbstractFetcherThread.getOffsetTruncationState).
   */
  readonly epochInTruncationAnswer: boolean;
  /**
   * KAFKA-7415 (2.0.1): a new leader caches its epoch's start offset when elected, not at its
   * first append; its cache answers an epoch below its first with that epoch and the first
   * epoch's start offset (LeaderEpochFileCache.endOffsetFor).
   */
  readonly epochStartOnElection: boolean;
  /**
   * When a LeaderAndIsr for the same leader makes a follower truncate again (Partition.makeFollower
   * returning true): before 2.0.1 only a new leader does; 2.0.1 also a leader epoch that skipped
   * one (KAFKA-7164); since 2.1 any new leader epoch.
   */
  readonly followerRestartsOn: 'new-leader' | 'missed-epoch' | 'new-epoch';
  /**
   * KIP-320 (2.1): fetches and OffsetsForLeaderEpoch carry the follower's current leader epoch;
   * a stale one is FENCED_LEADER_EPOCH (the follower stops until the next LeaderAndIsr), a newer
   * one UNKNOWN_LEADER_EPOCH (it retries).
   */
  readonly fetchCarriesLeaderEpoch: boolean;
  /**
   * Before 2.1 a follower with an empty epoch cache still asks OffsetsForLeaderEpoch (with
   * UNDEFINED_EPOCH, answered UNDEFINED_EPOCH_OFFSET) and falls back to its high watermark;
   * since 2.1.1 (the cache's latestEpoch an Option) it truncates to it without asking.
   */
  readonly asksWithoutEpochs: boolean;
  /**
   * KAFKA-10706 (2.7): truncating to the log end offset or past it still drops cached epochs
   * that start there (a leader's epoch with no records). Before, Log.truncateTo returned early,
   * and a follower whose last epoch the leader never had could ask the same question forever.
   */
  readonly truncationAtEndClearsEpochs: boolean;
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
  /**
   * KIP-98 (0.11): transactions on the broker. A consumer's Fetch (v4) carries its isolation level
   * and is answered with the partition's last stable offset, and, read_committed, with the aborted
   * transactions it overlaps; ListOffsets (v2) answers read_committed with the LSO.
   */
  readonly transactions: boolean;
  /** How a leader judges an idempotent or transactional producer's batches and markers. */
  readonly producerState: ProducerStateRules;
}

export function behaviourOf(profile: string): Behaviour {
  const n = profileNumber(profile);
  return {
    leaderEpochTruncation: n >= 11,
    epochInTruncationAnswer: n >= 200,
    epochStartOnElection: n >= 200,
    followerRestartsOn: n < 200 ? 'new-leader' : n === 200 ? 'missed-epoch' : 'new-epoch',
    fetchCarriesLeaderEpoch: n >= 201,
    asksWithoutEpochs: n < 201,
    brokerEpochs: n >= 202,
    controllerWriteChecker: n < 101,
    offlineReplicasOnFailover: n >= 203,
    electionBeforeRegistration: n < 101,
    truncationAtEndClearsEpochs: n >= 207,
    alterIsr: n >= 207,
    alterIsrSameVersionCommits: n >= 208,
    alterIsrSentAtOnce: n >= 208,
    alterIsrKeepsUnanswered: n >= 300,
    hwAfterAlterIsr: n >= 301,
    alterPartitionName: n >= 302,
    ineligibleReplicas: n >= 303,
    hwHeldUnderMinIsr: n >= 307,
    transactions: n >= 11,
    producerState: {
      batchesKept: n >= 100 ? 5 : 1,
      unknownProducer: n >= 205 ? 'append' : n >= 100 ? 'unknown-producer-id' : 'out-of-order',
      emptyTransactionsCompleted: n < 208,
    },
  };
}

/**
 * Broker defaults that older release lines had (KafkaConfig.scala's Defaults of each line's last
 * release); a scenario's own setting always wins. A key a line does not have at all (such as
 * group.initial.rebalance.delay.ms before 0.11) is not here: see KafkaConfigEntry.since.
 */
export function olderBrokerDefaults(profile: string): { readonly broker: Record<string, number | boolean>; readonly zookeeper: Record<string, number> } {
  const n = profileNumber(profile);
  const broker: Record<string, number | boolean> = {};
  const zookeeper: Record<string, number> = {};
  if (n < 11) broker['unclean.leader.election.enable'] = true; // KIP-106: false since 0.11
  if (n < 200) broker['offsets.retention.minutes'] = 1440; // KIP-186: 7 days since 2.0
  if (n < 203) broker['group.max.session.timeout.ms'] = 300_000; // KAFKA-7862 (KIP-345): 30 min since 2.3
  if (n < 205) {
    broker['replica.lag.time.max.ms'] = 10_000; // KIP-537: 30 s since 2.5
    if (n >= 11) broker['transaction.abort.timed.out.transaction.cleanup.interval.ms'] = 60_000; // KAFKA-9417: 10 s since 2.5
    zookeeper['zookeeper.session.timeout.ms'] = 6_000; // KIP-537: 18 s since 2.5
  }
  return { broker, zookeeper };
}
