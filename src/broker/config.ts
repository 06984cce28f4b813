// Effective settings: the scenario's value, else Kafka's default from the config tables, with a
// topic's own config over the broker's (as Kafka resolves a LogConfig).
import type { KafkaConfig } from '../scenario/types.js';
import { BROKER_CONFIG, TOPIC_CONFIG, ZOOKEEPER_CONFIG, configDefault, type KafkaConfigTable } from '../scenario/kafka-config.js';

/** The size of one record in this model, where a config counts bytes (fetch sizes, segments, recovery). */
export const RECORD_BYTES = 100;

export function setting(config: KafkaConfig, table: KafkaConfigTable, key: string): string | number | boolean | null {
  const value = config[key];
  if (value !== undefined) return value;
  const fallback = configDefault(table, key);
  if (fallback === undefined) throw new Error(`config: ${key} has no default in its table`);
  return fallback;
}

export function numberSetting(config: KafkaConfig, table: KafkaConfigTable, key: string): number {
  const value = setting(config, table, key);
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (value === null) return Number.MAX_SAFE_INTEGER; // a null interval means "never" in Kafka's flush settings
  throw new Error(`config: ${key} is ${JSON.stringify(value)}, not a number`);
}

export function booleanSetting(config: KafkaConfig, table: KafkaConfigTable, key: string): boolean {
  const value = setting(config, table, key);
  if (typeof value === 'boolean') return value;
  return value === 'true';
}

/** The broker-wide settings one broker runs with. */
export interface BrokerSettings {
  readonly replicaLagTimeMaxMs: number;
  readonly replicaFetchWaitMaxMs: number;
  readonly replicaFetchMaxRecords: number;
  readonly replicaSocketTimeoutMs: number;
  readonly replicaFetchBackoffMs: number;
  readonly highWatermarkCheckpointIntervalMs: number;
  readonly zookeeperSessionTimeoutMs: number;
  readonly autoLeaderRebalanceEnable: boolean;
  readonly leaderImbalanceCheckIntervalSeconds: number;
  readonly leaderImbalancePerBrokerPercentage: number;
  readonly controlledShutdownEnable: boolean;
  readonly controlledShutdownMaxRetries: number;
  readonly controlledShutdownRetryBackoffMs: number;
  readonly controllerSocketTimeoutMs: number;
  readonly zookeeperConnectionTimeoutMs: number;
  readonly logFlushOffsetCheckpointIntervalMs: number;
  readonly logFlushSchedulerIntervalMs: number;
  readonly numRecoveryThreadsPerDataDir: number;
  /** The broker's request.timeout.ms: how long a WriteTxnMarkers append waits for the ISR. */
  readonly requestTimeoutMs: number;
}

/**
 * request.timeout.ms, Kafka's default (KafkaConfig.RequestTimeoutMs, 30000 in every line). Not yet
 * a scenario key: the broker table does not list it, so setting it is refused as unknown.
 */
const REQUEST_TIMEOUT_MS = 30_000;

/** A topic's log settings, the broker's defaults overridden by the topic's config. */
export interface TopicSettings {
  readonly minInsyncReplicas: number;
  readonly uncleanLeaderElectionEnable: boolean;
  readonly flushMessages: number;
  readonly flushMs: number;
  readonly segmentBytes: number;
}

export function brokerSettings(broker: KafkaConfig, zookeeper: KafkaConfig): BrokerSettings {
  const n = (key: string): number => numberSetting(broker, BROKER_CONFIG, key);
  return {
    replicaLagTimeMaxMs: n('replica.lag.time.max.ms'),
    replicaFetchWaitMaxMs: n('replica.fetch.wait.max.ms'),
    // replica.fetch.max.bytes (1 MiB) at RECORD_BYTES a record.
    replicaFetchMaxRecords: Math.max(1, Math.floor(n('replica.fetch.max.bytes') / RECORD_BYTES)),
    replicaSocketTimeoutMs: n('replica.socket.timeout.ms'),
    replicaFetchBackoffMs: n('replica.fetch.backoff.ms'),
    highWatermarkCheckpointIntervalMs: n('replica.high.watermark.checkpoint.interval.ms'),
    zookeeperSessionTimeoutMs: numberSetting(zookeeper, ZOOKEEPER_CONFIG, 'zookeeper.session.timeout.ms'),
    autoLeaderRebalanceEnable: booleanSetting(broker, BROKER_CONFIG, 'auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalSeconds: n('leader.imbalance.check.interval.seconds'),
    leaderImbalancePerBrokerPercentage: n('leader.imbalance.per.broker.percentage'),
    controlledShutdownEnable: booleanSetting(broker, BROKER_CONFIG, 'controlled.shutdown.enable'),
    controlledShutdownMaxRetries: n('controlled.shutdown.max.retries'),
    controlledShutdownRetryBackoffMs: n('controlled.shutdown.retry.backoff.ms'),
    controllerSocketTimeoutMs: n('controller.socket.timeout.ms'),
    // Unset: the session timeout (KafkaConfig.zkConnectionTimeoutMs, 0.10 to 3.9).
    zookeeperConnectionTimeoutMs: zookeeper['zookeeper.connection.timeout.ms'] == null
      ? numberSetting(zookeeper, ZOOKEEPER_CONFIG, 'zookeeper.session.timeout.ms')
      : numberSetting(zookeeper, ZOOKEEPER_CONFIG, 'zookeeper.connection.timeout.ms'),
    logFlushOffsetCheckpointIntervalMs: n('log.flush.offset.checkpoint.interval.ms'),
    logFlushSchedulerIntervalMs: n('log.flush.scheduler.interval.ms'),
    numRecoveryThreadsPerDataDir: n('num.recovery.threads.per.data.dir'),
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  };
}

export function topicSettings(broker: KafkaConfig, topic: KafkaConfig): TopicSettings {
  const pick = (topicKey: string, brokerKey: string): number =>
    topic[topicKey] !== undefined ? numberSetting(topic, TOPIC_CONFIG, topicKey) : numberSetting(broker, BROKER_CONFIG, brokerKey);
  const unclean = topic['unclean.leader.election.enable'] !== undefined
    ? booleanSetting(topic, TOPIC_CONFIG, 'unclean.leader.election.enable')
    : booleanSetting(broker, BROKER_CONFIG, 'unclean.leader.election.enable');
  return {
    minInsyncReplicas: pick('min.insync.replicas', 'min.insync.replicas'),
    uncleanLeaderElectionEnable: unclean,
    flushMessages: pick('flush.messages', 'log.flush.interval.messages'),
    // An unset log.flush.interval.ms is log.flush.scheduler.interval.ms (KafkaConfig.logFlushIntervalMs, 0.10 to 3.9).
    flushMs: topic['flush.ms'] !== undefined || broker['log.flush.interval.ms'] != null
      ? pick('flush.ms', 'log.flush.interval.ms')
      : numberSetting(broker, BROKER_CONFIG, 'log.flush.scheduler.interval.ms'),
    segmentBytes: pick('segment.bytes', 'log.segment.bytes'),
  };
}

