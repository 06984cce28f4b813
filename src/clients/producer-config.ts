// The producer's configuration as the model reads it: the scenario's keys over Kafka's defaults
// (PRODUCER_CONFIG, Kafka 3.9), with the defaults of older release lines where the profile asks
// for one, and the cross-key checks KafkaProducer's constructor makes.
import { configDefault, INT_MAX, PRODUCER_CONFIG } from '../scenario/kafka-config.js';
import type { ConfigFinding, KafkaConfig } from '../scenario/types.js';
import type { KeylessStrategy } from './partitioner.js';

/** Kafka release lines compare by number: "0.10" < "0.11" < "2.4" < "3.10". */
export function profileAtLeast(profile: string, line: string): boolean {
  const [major, minor] = parseProfile(profile);
  const [wantMajor, wantMinor] = parseProfile(line);
  return major > wantMajor || (major === wantMajor && minor >= wantMinor);
}

function parseProfile(profile: string): [number, number] {
  const match = /^(\d+)\.(\d+)/.exec(profile);
  if (match === null) throw new Error(`producer: behaviour profile "${profile}" is not a Kafka release line such as "3.9"`);
  return [Number(match[1]), Number(match[2])];
}

/** Java's "never" for a *.ms key, kept safely inside the scheduler's integer range. */
export const NEVER_US = 2 ** 50;

export interface ProducerSettings {
  readonly acks: -1 | 0 | 1;
  readonly batchSizeBytes: number;
  readonly bufferMemoryBytes: number;
  /** delivery.timeout.ms (2.1+, KIP-91); NEVER_US before 2.1, which had no such bound. */
  readonly deliveryTimeoutUs: number;
  /**
   * Before 2.1: a batch waiting in the accumulator expires after request.timeout.ms
   * (RecordAccumulator.expiredBatches / ProducerBatch.maybeExpire); a batch in flight never does.
   */
  readonly accumulatorExpiry: boolean;
  readonly idempotence: boolean;
  /** transactional.id (0.11+, KIP-98): null without transactions. */
  readonly transactionalId: string | null;
  /** transaction.timeout.ms: sent with InitProducerId; the coordinator aborts a transaction open longer. */
  readonly transactionTimeoutMs: number;
  readonly lingerUs: number;
  readonly maxBlockUs: number;
  readonly maxInFlight: number;
  readonly maxRequestSizeBytes: number;
  readonly metadataMaxAgeUs: number;
  readonly reconnectBackoffUs: number;
  readonly reconnectBackoffMaxUs: number;
  readonly requestTimeoutUs: number;
  readonly requestTimeoutMs: number;
  readonly retries: number;
  readonly retryBackoffUs: number;
  readonly retryBackoffMaxUs: number;
  /** KIP-580 (3.7): retry backoff doubles per attempt up to retry.backoff.max.ms, ±20% jitter. */
  readonly exponentialBackoff: boolean;
  /** KIP-951 (3.7): a retry skips its backoff when the partition's leader changed meanwhile. */
  readonly skipBackoffOnLeaderChange: boolean;
  /** KIP-320 (2.1): metadata with an older leader epoch than the known one is ignored. */
  readonly rejectStaleLeaderEpoch: boolean;
  /** Keyed records hash with murmur2; false for key-blind partitioners. */
  readonly hashKeys: boolean;
  readonly keyless: KeylessStrategy;
  readonly roundRobinStart: 'random' | 'zero';
}

type Value = string | number | boolean | null;

function explicit(config: KafkaConfig, key: string): Value | undefined {
  return Object.hasOwn(config, key) ? config[key] : undefined;
}

/**
 * enable.idempotence asked for: explicitly, or by a transactional.id with enable.idempotence
 * unset (ProducerConfig.maybeOverrideEnableIdempotence / postProcessAndValidateIdempotenceConfigs,
 * 0.11.0.3 to 2.8.2: a transactional.id implies idempotence).
 */
function idempotenceRequested(config: KafkaConfig): boolean {
  const given = explicit(config, 'enable.idempotence');
  return given === true || (given === undefined && typeof explicit(config, 'transactional.id') === 'string');
}

/** The scenario's value, else the profile's default, else Kafka 3.9's (PRODUCER_CONFIG). */
function read(config: KafkaConfig, key: string, profile: string): Value {
  const given = explicit(config, key);
  if (given !== undefined && given !== null) return given;
  // Before 3.0, an explicit enable.idempotence=true brings acks=all and retries=MAX_INT unless
  // they are set too (KafkaProducer.configureAcks / configureRetries, 0.11 to 2.8), and in 0.11
  // max.in.flight.requests.per.connection=1 (configureInflightRequests).
  if (idempotenceRequested(config)) {
    if (key === 'acks') return 'all';
    if (key === 'retries') return INT_MAX;
    if (key === 'max.in.flight.requests.per.connection' && !profileAtLeast(profile, '1.0')) return 1;
  }
  const older = OLDER_DEFAULTS[key];
  if (older !== undefined) {
    for (const [before, value] of older) if (!profileAtLeast(profile, before)) return value;
  }
  const fallback = configDefault(PRODUCER_CONFIG, key);
  if (fallback === undefined) throw new Error(`producer: no config key ${key}`);
  return fallback;
}

// Defaults that changed between release lines: [first line with the new default, old value].
const OLDER_DEFAULTS: Readonly<Record<string, readonly (readonly [string, Value])[]>> = {
  'acks': [['3.0', '1']], // KIP-679
  'enable.idempotence': [['3.0', false]], // KIP-679
  'retries': [['2.1', 0]], // KIP-91
};

function num(config: KafkaConfig, key: string, profile: string): number {
  const value = read(config, key, profile);
  if (typeof value !== 'number') throw new Error(`producer: ${key} is ${String(value)}, not a number`);
  return value;
}

/** Milliseconds to microseconds; Kafka's "never" (a huge *.ms) stays NEVER_US. */
export function msToUs(ms: number): number {
  return ms >= NEVER_US / 1000 ? NEVER_US : Math.round(ms * 1000);
}

function acksOf(value: Value): -1 | 0 | 1 {
  const text = String(value);
  if (text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw new Error(`producer: acks=${text}`);
}

interface Idempotence {
  readonly enabled: boolean;
  readonly findings: readonly ConfigFinding[];
}

const IDEMPOTENCE_REFUSED = 'KafkaProducer refuses it (ConfigException); change it, or set enable.idempotence: false';

// KafkaProducer/ProducerConfig: explicit enable.idempotence=true with a conflicting key is a
// ConfigException; an idempotence that is only the default is silently turned off (KAFKA-13598).
function idempotenceOf(config: KafkaConfig, profile: string): Idempotence {
  const acks = acksOf(read(config, 'acks', profile));
  const retries = num(config, 'retries', profile);
  const maxInFlight = num(config, 'max.in.flight.requests.per.connection', profile);
  const conflicts: ConfigFinding[] = [];
  const conflict = (key: string, expected: string, found: string, hint = IDEMPOTENCE_REFUSED): void => {
    conflicts.push({ key, expected: `${expected} with enable.idempotence: true`, found, hint });
  };
  if (!profileAtLeast(profile, '1.0')) {
    // 0.11 (KafkaProducer.configureInflightRequests): one request at a time; 1.0 allows five (KAFKA-5494).
    if (maxInFlight !== 1) conflict('max.in.flight.requests.per.connection', `1 in Kafka ${profile}`, String(maxInFlight), `${IDEMPOTENCE_REFUSED} (at most 5 from 1.0, KAFKA-5494)`);
  } else if (maxInFlight > 5) {
    conflict('max.in.flight.requests.per.connection', 'at most 5', String(maxInFlight));
  }
  if (acks !== -1) conflict('acks', 'acks: all', JSON.stringify(String(read(config, 'acks', profile))));
  if (retries === 0) conflict('retries', 'retries above 0', '0');
  const given = explicit(config, 'enable.idempotence');
  if (idempotenceRequested(config)) return { enabled: true, findings: conflicts };
  if (given === false) return { enabled: false, findings: [] };
  return { enabled: read(config, 'enable.idempotence', profile) === true && conflicts.length === 0, findings: [] };
}

function deliveryTimeoutMs(config: KafkaConfig, profile: string): { readonly ms: number; readonly finding: ConfigFinding | null } {
  if (!profileAtLeast(profile, '2.1')) return { ms: Number.POSITIVE_INFINITY, finding: null };
  const linger = num(config, 'linger.ms', profile);
  const request = num(config, 'request.timeout.ms', profile);
  const delivery = num(config, 'delivery.timeout.ms', profile);
  // KafkaProducer.configureDeliveryTimeout (2.1+): at least linger.ms + request.timeout.ms;
  // an explicit smaller value is an error, a default one is raised to the sum.
  if (delivery >= linger + request) return { ms: delivery, finding: null };
  if (explicit(config, 'delivery.timeout.ms') === undefined) return { ms: linger + request, finding: null };
  return {
    ms: delivery,
    finding: {
      key: 'delivery.timeout.ms',
      expected: `a delivery.timeout.ms of at least linger.ms + request.timeout.ms (${linger} + ${request} = ${linger + request})`,
      found: String(delivery),
      hint: 'KafkaProducer refuses it (ConfigException, KIP-91)',
    },
  };
}

/** KafkaProducer's constructor checks, and what the profile's producer lacks; [] when runnable. */
export function validateProducerConfig(config: KafkaConfig, profile: string): ConfigFinding[] {
  const findings = [...idempotenceOf(config, profile).findings];
  if (explicit(config, 'enable.idempotence') === true && !profileAtLeast(profile, '0.11')) {
    findings.push({ key: 'enable.idempotence', expected: `no idempotent producer in Kafka ${profile}`, found: 'true', hint: 'it came in Kafka 0.11 (KIP-98)' });
  }
  const transactionalId = explicit(config, 'transactional.id');
  if (typeof transactionalId === 'string') {
    if (!profileAtLeast(profile, '0.11')) {
      findings.push({ key: 'transactional.id', expected: `no transactional producer in Kafka ${profile}`, found: JSON.stringify(transactionalId), hint: 'transactions came in Kafka 0.11 (KIP-98)' });
    } else if (explicit(config, 'enable.idempotence') === false) {
      // ProducerConfig (0.11.0.3 to 2.8.2): "Cannot set a transactional.id without also enabling idempotence."
      findings.push({ key: 'enable.idempotence', expected: 'enable.idempotence: true with a transactional.id', found: 'false', hint: 'KafkaProducer refuses it (ConfigException: cannot set a transactional.id without also enabling idempotence)' });
    }
  }
  const delivery = deliveryTimeoutMs(config, profile);
  if (delivery.finding !== null) findings.push(delivery.finding);
  const partitioner = explicit(config, 'partitioner.class');
  if (typeof partitioner === 'string' && !partitioner.endsWith('DefaultPartitioner') && !profileAtLeast(profile, '2.4')) {
    findings.push({ key: 'partitioner.class', expected: `a partitioner Kafka ${profile} has (DefaultPartitioner)`, found: JSON.stringify(partitioner), hint: 'it came in Kafka 2.4 (KIP-480)' });
  }
  return findings;
}

/** The settings the producer runs with; call validateProducerConfig first. */
export function producerSettings(config: KafkaConfig, profile: string): ProducerSettings {
  const partitionerClass = read(config, 'partitioner.class', profile);
  const ignoreKeys = read(config, 'partitioner.ignore.keys', profile) === true;
  const className = typeof partitionerClass === 'string' ? partitionerClass.slice(partitionerClass.lastIndexOf('.') + 1) : null;
  let keyless: KeylessStrategy;
  let hashKeys = !ignoreKeys;
  let roundRobinStart: 'random' | 'zero' = 'random';
  if (className === 'RoundRobinPartitioner') {
    keyless = 'round-robin';
    hashKeys = false;
    roundRobinStart = 'zero';
  } else if (className === 'UniformStickyPartitioner') {
    keyless = 'sticky';
    hashKeys = false;
  } else if (className === 'DefaultPartitioner' || !profileAtLeast(profile, '3.3')) {
    keyless = profileAtLeast(profile, '2.4') ? 'sticky' : 'round-robin';
  } else {
    keyless = 'uniform-sticky';
  }
  const idempotence = idempotenceOf(config, profile);
  const since37 = profileAtLeast(profile, '3.7');
  const before21 = !profileAtLeast(profile, '2.1');
  return {
    acks: acksOf(read(config, 'acks', profile)),
    batchSizeBytes: num(config, 'batch.size', profile),
    bufferMemoryBytes: num(config, 'buffer.memory', profile),
    deliveryTimeoutUs: before21 ? NEVER_US : msToUs(deliveryTimeoutMs(config, profile).ms),
    accumulatorExpiry: before21,
    idempotence: idempotence.enabled,
    transactionalId: typeof explicit(config, 'transactional.id') === 'string' ? (explicit(config, 'transactional.id') as string) : null,
    transactionTimeoutMs: num(config, 'transaction.timeout.ms', profile),
    lingerUs: msToUs(num(config, 'linger.ms', profile)),
    maxBlockUs: msToUs(num(config, 'max.block.ms', profile)),
    maxInFlight: num(config, 'max.in.flight.requests.per.connection', profile),
    maxRequestSizeBytes: num(config, 'max.request.size', profile),
    metadataMaxAgeUs: msToUs(num(config, 'metadata.max.age.ms', profile)),
    reconnectBackoffUs: msToUs(num(config, 'reconnect.backoff.ms', profile)),
    reconnectBackoffMaxUs: msToUs(num(config, 'reconnect.backoff.max.ms', profile)),
    requestTimeoutUs: msToUs(num(config, 'request.timeout.ms', profile)),
    requestTimeoutMs: num(config, 'request.timeout.ms', profile),
    retries: num(config, 'retries', profile),
    retryBackoffUs: msToUs(num(config, 'retry.backoff.ms', profile)),
    retryBackoffMaxUs: msToUs(num(config, 'retry.backoff.max.ms', profile)),
    exponentialBackoff: since37,
    skipBackoffOnLeaderChange: since37,
    rejectStaleLeaderEpoch: profileAtLeast(profile, '2.1'),
    hashKeys,
    keyless,
    roundRobinStart,
  };
}
