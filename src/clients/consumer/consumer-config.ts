// ConsumerConfig (clients/consumer/ConsumerConfig.java, read at 2.8.2): the consumer's
// configuration as the model reads it: the scenario's keys over Kafka's defaults
// (CONSUMER_CONFIG, Kafka 3.9), the defaults of older release lines, and the checks
// KafkaConsumer's constructor makes plus what the profile's Kafka could not do.
import type { IsolationLevel } from '../../kafka/protocol.js';
import { configDefault, CONSUMER_CONFIG } from '../../scenario/kafka-config.js';
import type { CommitStrategy, ConfigFinding, KafkaConfig } from '../../scenario/types.js';
import type { AssignorName } from '../assignors/index.js';
import { msToUs, profileAtLeast } from '../producer-config.js';

export interface ConsumerSettings {
  readonly autoCommitIntervalUs: number;
  readonly autoOffsetReset: 'earliest' | 'latest' | 'none';
  readonly enableAutoCommit: boolean;
  readonly fetchMaxWaitMs: number;
  readonly groupInstanceId: string | null;
  readonly heartbeatIntervalUs: number;
  /** isolation.level (0.11+, KIP-98): read_committed reads below the LSO and drops aborted transactions. */
  readonly isolationLevel: IsolationLevel;
  readonly maxPollIntervalMs: number;
  readonly maxPollRecords: number;
  readonly metadataMaxAgeUs: number;
  /** In order of preference (partition.assignment.strategy). */
  readonly assignors: readonly AssignorName[];
  /** COOPERATIVE when every configured assignor supports it (ConsumerCoordinator), else EAGER. */
  readonly rebalanceProtocol: 'eager' | 'cooperative';
  readonly reconnectBackoffUs: number;
  readonly reconnectBackoffMaxUs: number;
  readonly requestTimeoutUs: number;
  readonly retryBackoffUs: number;
  readonly sessionTimeoutMs: number;
  readonly defaultApiTimeoutUs: number;
}

type Value = string | number | boolean | null;

// Defaults that changed between release lines: [first line with the new default, old value].
const OLDER_DEFAULTS: Readonly<Record<string, readonly (readonly [string, Value])[]>> = {
  'session.timeout.ms': [['3.0', 10000]], // KIP-735
  'partition.assignment.strategy': [['3.0', 'range']], // KIP-726
};

function read(config: KafkaConfig, key: string, profile: string): Value {
  const given = Object.hasOwn(config, key) ? config[key] : undefined;
  if (given !== undefined && given !== null) return given;
  const older = OLDER_DEFAULTS[key];
  if (older !== undefined) {
    for (const [since, value] of older) if (!profileAtLeast(profile, since)) return value;
  }
  const fallback = configDefault(CONSUMER_CONFIG, key);
  if (fallback === undefined) throw new Error(`consumer: no config key ${key}`);
  return fallback;
}

function num(config: KafkaConfig, key: string, profile: string): number {
  const value = read(config, key, profile);
  if (typeof value !== 'number') throw new Error(`consumer: ${key} is ${String(value)}, not a number`);
  return value;
}

/** The commit strategy decides enable.auto.commit unless the scenario sets it. */
function autoCommit(config: KafkaConfig, commit: CommitStrategy): boolean {
  const given = Object.hasOwn(config, 'enable.auto.commit') ? config['enable.auto.commit'] : undefined;
  if (typeof given === 'boolean') return given;
  return commit === 'auto';
}

/** KafkaConsumer's constructor checks, and what the profile's consumer lacks; [] when runnable. */
export function validateConsumerConfig(config: KafkaConfig, commit: CommitStrategy, profile: string): ConfigFinding[] {
  const findings: ConfigFinding[] = [];
  const session = num(config, 'session.timeout.ms', profile);
  const heartbeat = num(config, 'heartbeat.interval.ms', profile);
  // 2.8 consumer.internals.Heartbeat: the consumer refuses a heartbeat not below the session timeout.
  if (heartbeat >= session) {
    const hint = "Kafka's consumer refuses it: the heartbeat must be set lower than the session timeout";
    if (Object.hasOwn(config, 'heartbeat.interval.ms') || !Object.hasOwn(config, 'session.timeout.ms')) {
      findings.push({ key: 'heartbeat.interval.ms', expected: `a heartbeat.interval.ms lower than session.timeout.ms (${session})`, found: String(heartbeat), hint });
    } else {
      findings.push({ key: 'session.timeout.ms', expected: `a session.timeout.ms above heartbeat.interval.ms (${heartbeat})`, found: String(session), hint });
    }
  }
  if (commit === 'auto' && Object.hasOwn(config, 'enable.auto.commit') && config['enable.auto.commit'] === false) {
    findings.push({ key: 'enable.auto.commit', expected: 'enable.auto.commit true (or unset) with commit: auto', found: 'false', hint: 'choose a manual commit strategy, or let auto-commit run' });
  }
  if (typeof config['group.instance.id'] === 'string' && !profileAtLeast(profile, '2.3')) {
    findings.push({ key: 'group.instance.id', expected: `no static membership in Kafka ${profile}`, found: JSON.stringify(config['group.instance.id']), hint: 'it came in Kafka 2.3 (KIP-345)' });
  }
  const assignors = String(read(config, 'partition.assignment.strategy', profile)).split(',');
  if (assignors.includes('cooperative-sticky') && !profileAtLeast(profile, '2.4')) {
    findings.push({ key: 'partition.assignment.strategy', expected: `assignors Kafka ${profile} has (no cooperative-sticky)`, found: JSON.stringify(assignors.join(',')), hint: 'cooperative-sticky came in Kafka 2.4 (KIP-429)' });
  }
  // 0.11 ConsumerConfig: isolation.level came with transactions (KIP-98); 0.10's consumer has no such key.
  if (Object.hasOwn(config, 'isolation.level') && config['isolation.level'] !== null && !profileAtLeast(profile, '0.11')) {
    findings.push({ key: 'isolation.level', expected: `no isolation.level in Kafka ${profile} (it has no transactions)`, found: JSON.stringify(config['isolation.level']), hint: 'isolation.level came in Kafka 0.11 with transactions (KIP-98); remove it or use a newer cluster.kafka' });
  }
  return findings;
}

export function consumerSettings(config: KafkaConfig, commit: CommitStrategy, profile: string): ConsumerSettings {
  const assignors = String(read(config, 'partition.assignment.strategy', profile)).split(',') as AssignorName[];
  const instance = read(config, 'group.instance.id', profile);
  return {
    autoCommitIntervalUs: msToUs(num(config, 'auto.commit.interval.ms', profile)),
    autoOffsetReset: read(config, 'auto.offset.reset', profile) as ConsumerSettings['autoOffsetReset'],
    enableAutoCommit: autoCommit(config, commit),
    fetchMaxWaitMs: num(config, 'fetch.max.wait.ms', profile),
    groupInstanceId: typeof instance === 'string' && instance !== '' ? instance : null,
    heartbeatIntervalUs: msToUs(num(config, 'heartbeat.interval.ms', profile)),
    isolationLevel: read(config, 'isolation.level', profile) as IsolationLevel,
    maxPollIntervalMs: num(config, 'max.poll.interval.ms', profile),
    maxPollRecords: num(config, 'max.poll.records', profile),
    metadataMaxAgeUs: msToUs(num(config, 'metadata.max.age.ms', profile)),
    assignors,
    rebalanceProtocol: assignors.every((a) => a === 'cooperative-sticky') ? 'cooperative' : 'eager',
    reconnectBackoffUs: msToUs(num(config, 'reconnect.backoff.ms', profile)),
    reconnectBackoffMaxUs: msToUs(num(config, 'reconnect.backoff.max.ms', profile)),
    requestTimeoutUs: msToUs(num(config, 'request.timeout.ms', profile)),
    retryBackoffUs: msToUs(num(config, 'retry.backoff.ms', profile)),
    sessionTimeoutMs: num(config, 'session.timeout.ms', profile),
    defaultApiTimeoutUs: msToUs(num(config, 'default.api.timeout.ms', profile)),
  };
}
