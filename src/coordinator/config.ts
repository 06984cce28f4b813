// The group coordinator's broker settings (Kafka's GroupConfig and OffsetConfig), read from the
// cluster's broker config with Kafka's defaults.
import { numberSetting } from '../broker/config.js';
import { BROKER_CONFIG } from '../scenario/kafka-config.js';
import type { KafkaConfig } from '../scenario/types.js';

export interface CoordinatorSettings {
  readonly offsetsTopicNumPartitions: number;
  readonly offsetsCommitTimeoutMs: number;
  readonly groupInitialRebalanceDelayMs: number;
  readonly groupMinSessionTimeoutMs: number;
  readonly groupMaxSessionTimeoutMs: number;
  readonly groupMaxSize: number;
}

export function coordinatorSettings(broker: KafkaConfig): CoordinatorSettings {
  const n = (key: string): number => numberSetting(broker, BROKER_CONFIG, key);
  return {
    offsetsTopicNumPartitions: n('offsets.topic.num.partitions'),
    offsetsCommitTimeoutMs: n('offsets.commit.timeout.ms'),
    groupInitialRebalanceDelayMs: n('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: n('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: n('group.max.session.timeout.ms'),
    groupMaxSize: n('group.max.size'),
  };
}
