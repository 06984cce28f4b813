// The group coordinator's broker settings (Kafka's GroupConfig and OffsetConfig), read from the
// cluster's broker config with Kafka's defaults.
import { numberSetting } from '../broker/config.js';
import { profileNumber } from '../broker/profile.js';
import { BROKER_CONFIG, DEFAULT_KAFKA_PROFILE, KAFKA_PROFILES, type KafkaConfigTable, type KafkaProfile } from '../scenario/kafka-config.js';
import type { KafkaConfig } from '../scenario/types.js';

export interface CoordinatorSettings {
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsCommitTimeoutMs: number;
  /**
   * null before 0.11 (KIP-134 added it): a new group's first rebalance is an ordinary
   * DelayedJoin, done as soon as the members it knows have joined (GroupCoordinator 0.10.2).
   */
  readonly groupInitialRebalanceDelayMs: number | null;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
  /**
   * KIP-447 (2.5): TxnOffsetCommit carries the consumer's member id, instance id and generation,
   * checked as an OffsetCommit's are, and OffsetFetch may require stable offsets. Before, a
   * transactional commit was stored without any group check.
   */
  readonly txnOffsetCommitGroupMetadata: boolean;
}

export function coordinatorSettings(broker: KafkaConfig, profile: string = DEFAULT_KAFKA_PROFILE): CoordinatorSettings {
  const n = (key: string): number => numberSetting(broker, BROKER_CONFIG, key);
  return {
    offsetsTopicNumPartitions: n('offsets.topic.num.partitions'),
    offsetsCommitTimeoutMs: n('offsets.commit.timeout.ms'),
    groupInitialRebalanceDelayMs: hasKey(profile, 'group.initial.rebalance.delay.ms') ? n('group.initial.rebalance.delay.ms') : null,
    groupMinSessionTimeoutMs: n('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: n('group.max.session.timeout.ms'),
    groupMaxSize: n('group.max.size'),
    txnOffsetCommitGroupMetadata: profileNumber(profile) >= 205,
  };
}

/** Whether the profile's release line has the broker config key (KafkaConfigEntry.since). */
function hasKey(profile: string, key: string): boolean {
  const since = (BROKER_CONFIG as KafkaConfigTable)[key]?.since;
  return since === undefined || KAFKA_PROFILES.indexOf(profile as KafkaProfile) >= KAFKA_PROFILES.indexOf(since.line as KafkaProfile);
}
