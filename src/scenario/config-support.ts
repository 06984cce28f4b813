// What ksim does with each Kafka config key it knows (issue 12: no accepted key without an effect).
// The tables in kafka-config.ts hold every key a scenario may spell, with Kafka's types and
// defaults, so a typo still gets "did you mean". Of those keys:
// - MODELLED keys change the run, and test/scenario/config-effects.test.ts shows each one's effect;
// - HARMLESS keys cannot change what is acknowledged, lost, duplicated, reordered or processed:
//   they are accepted, and the report says in one note line that they change nothing;
// - every other key is refused at its position as "not modelled by ksim", with why.
import type { KafkaConfigTable } from './kafka-config.js';
import { BROKER_CONFIG, CONSUMER_CONFIG, PRODUCER_CONFIG, TOPIC_CONFIG, ZOOKEEPER_CONFIG } from './kafka-config.js';

export type ConfigLabel = 'broker' | 'topic' | 'producer' | 'consumer' | 'ZooKeeper';

export const MODELLED: Readonly<Record<ConfigLabel, readonly string[]>> = {
  broker: [
    'num.partitions', 'default.replication.factor', 'min.insync.replicas', 'unclean.leader.election.enable',
    'replica.lag.time.max.ms', 'replica.fetch.wait.max.ms', 'replica.fetch.max.bytes', 'replica.fetch.backoff.ms',
    'replica.socket.timeout.ms', 'replica.high.watermark.checkpoint.interval.ms',
    'auto.leader.rebalance.enable', 'leader.imbalance.check.interval.seconds', 'leader.imbalance.per.broker.percentage',
    'controlled.shutdown.enable', 'controlled.shutdown.max.retries', 'controlled.shutdown.retry.backoff.ms', 'controller.socket.timeout.ms',
    'log.flush.interval.messages', 'log.flush.interval.ms', 'log.flush.scheduler.interval.ms', 'log.flush.offset.checkpoint.interval.ms',
    'num.recovery.threads.per.data.dir', 'log.segment.bytes',
    'offsets.topic.replication.factor', 'offsets.topic.num.partitions', 'offsets.commit.timeout.ms',
    'group.initial.rebalance.delay.ms', 'group.min.session.timeout.ms', 'group.max.session.timeout.ms', 'group.max.size',
    'transaction.state.log.replication.factor', 'transaction.state.log.num.partitions',
  ],
  topic: ['min.insync.replicas', 'unclean.leader.election.enable', 'flush.messages', 'flush.ms', 'segment.bytes'],
  producer: [
    'acks', 'batch.size', 'buffer.memory', 'delivery.timeout.ms', 'enable.idempotence', 'linger.ms', 'max.block.ms',
    'max.in.flight.requests.per.connection', 'max.request.size', 'metadata.max.age.ms', 'partitioner.class', 'partitioner.ignore.keys',
    'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'request.timeout.ms', 'retries', 'retry.backoff.ms', 'retry.backoff.max.ms',
    'transactional.id', 'transaction.timeout.ms',
  ],
  consumer: [
    'auto.commit.interval.ms', 'auto.offset.reset', 'default.api.timeout.ms', 'enable.auto.commit', 'fetch.max.wait.ms',
    'group.instance.id', 'heartbeat.interval.ms', 'isolation.level', 'max.poll.interval.ms', 'max.poll.records', 'metadata.max.age.ms',
    'partition.assignment.strategy', 'reconnect.backoff.ms', 'reconnect.backoff.max.ms', 'request.timeout.ms', 'retry.backoff.ms',
    'session.timeout.ms',
  ],
  ZooKeeper: ['zookeeper.session.timeout.ms', 'zookeeper.connection.timeout.ms', 'tickTime', 'minSessionTimeout', 'maxSessionTimeout'],
};

/** Accepted keys that change nothing a verdict reads, and why. */
export const HARMLESS: Readonly<Record<ConfigLabel, Readonly<Record<string, string>>>> = {
  broker: {
    'num.replica.fetchers': 'a thread count: it spreads partitions over fetch requests, not what they carry',
    'auto.create.topics.enable': 'every topic of a scenario is declared and created up front',
    'delete.topic.enable': 'a scenario deletes no topic',
    'compression.type': 'compression changes bytes on disk, not which records are kept',
    'log.message.timestamp.type': 'nothing in ksim reads record timestamps',
  },
  topic: {
    'compression.type': 'compression changes bytes on disk, not which records are kept',
    'preallocate': 'preallocating segment files changes no record',
    'message.timestamp.type': 'nothing in ksim reads record timestamps',
  },
  producer: {
    'client.id': 'a label in requests and metrics',
    'compression.type': 'compression changes bytes on the wire, not which records are sent',
  },
  consumer: {
    'client.id': 'a label in requests and metrics',
    'check.crcs': 'ksim corrupts no record',
    'exclude.internal.topics': 'groups subscribe by topic name, never by pattern',
    'allow.auto.create.topics': 'every topic of a scenario is declared and created up front',
    'group.protocol': '"classic" is the only protocol of ZooKeeper mode',
  },
  ZooKeeper: {},
};

const RETENTION = 'retention and compaction delete no segment yet';
const TRANSACTIONS = 'not shown to change a run yet (the transaction coordinator reads it; no test effect)';

/** Why a key ksim knows is refused; keys without an entry here fall back to a general reason. */
const NOT_MODELLED: Readonly<Record<ConfigLabel, Readonly<Record<string, string>>>> = {
  broker: {
    'broker.id': 'the brokers are numbered 1..N (b1..bN)',
    'broker.rack': 'rack-aware replica assignment is not modelled',
    'replica.fetch.min.bytes': 'a follower fetch returns as soon as one record is there',
    'message.max.bytes': 'no record batch is ever too large (MESSAGE_TOO_LARGE)',
    'log.retention.ms': RETENTION, 'log.retention.minutes': RETENTION, 'log.retention.hours': RETENTION,
    'log.retention.bytes': RETENTION, 'log.retention.check.interval.ms': RETENTION,
    'log.roll.ms': 'segments roll by log.segment.bytes only', 'log.roll.hours': 'segments roll by log.segment.bytes only',
    'log.cleanup.policy': RETENTION, 'log.cleaner.enable': RETENTION,
    'offsets.retention.minutes': 'committed offsets never expire',
    'transaction.state.log.min.isr': TRANSACTIONS, 'transaction.max.timeout.ms': TRANSACTIONS,
    'transactional.id.expiration.ms': TRANSACTIONS, 'transaction.abort.timed.out.transaction.cleanup.interval.ms': TRANSACTIONS,
    'producer.id.expiration.ms': 'idempotent producer ids never expire',
  },
  topic: {
    'cleanup.policy': RETENTION, 'delete.retention.ms': RETENTION, 'file.delete.delay.ms': RETENTION,
    'max.compaction.lag.ms': RETENTION, 'min.cleanable.dirty.ratio': RETENTION, 'min.compaction.lag.ms': RETENTION,
    'retention.bytes': RETENTION, 'retention.ms': RETENTION,
    'segment.ms': 'segments roll by segment.bytes only',
    'max.message.bytes': 'no record batch is ever too large (MESSAGE_TOO_LARGE)',
  },
  producer: {
    'partitioner.adaptive.partitioning.enable': 'the partitioner does not weigh brokers by their queues (KIP-794 adaptive partitioning)',
    'partitioner.availability.timeout.ms': 'the partitioner does not skip slow partitions (KIP-794)',
  },
  consumer: {
    'fetch.min.bytes': 'a fetch returns as soon as one record is there',
    'fetch.max.bytes': 'fetch sizes are bounded by records (max.poll.records), not bytes',
    'max.partition.fetch.bytes': 'fetch sizes are bounded by records (max.poll.records), not bytes',
    'retry.backoff.max.ms': "the consumer's retries back off by retry.backoff.ms alone",
  },
  ZooKeeper: {
    'zookeeper.max.in.flight.requests': "brokers do not cap their requests in flight to ZooKeeper",
  },
};

export const CONFIG_TABLE_OF: Readonly<Record<ConfigLabel, KafkaConfigTable>> = {
  broker: BROKER_CONFIG,
  topic: TOPIC_CONFIG,
  producer: PRODUCER_CONFIG,
  consumer: CONSUMER_CONFIG,
  ZooKeeper: ZOOKEEPER_CONFIG,
};

export type KeySupport = { readonly kind: 'modelled' } | { readonly kind: 'harmless'; readonly why: string } | { readonly kind: 'not-modelled'; readonly why: string };

/** What ksim does with `key` of a `label` config (a key the table has). */
export function supportOf(label: ConfigLabel, key: string): KeySupport {
  if (MODELLED[label].includes(key)) return { kind: 'modelled' };
  const harmless = HARMLESS[label][key];
  if (harmless !== undefined) return { kind: 'harmless', why: harmless };
  return { kind: 'not-modelled', why: NOT_MODELLED[label][key] ?? 'nothing reads it' };
}

/** One config map of a scenario: its kind, where it is written, and its keys. */
export interface ConfigSite {
  readonly label: ConfigLabel;
  readonly where: string;
  readonly config: Readonly<Record<string, unknown>>;
}

/** The report's one note on the harmless keys a scenario sets, or null when it sets none. */
export function harmlessNote(sites: readonly ConfigSite[]): string | null {
  const items = sites.flatMap(({ label, where, config }) =>
    Object.keys(config).flatMap((key) => {
      const support = Object.hasOwn(CONFIG_TABLE_OF[label], key) ? supportOf(label, key) : null;
      return support?.kind === 'harmless' ? [`${key} (${where}: ${support.why})`] : [];
    }),
  );
  return items.length === 0 ? null : `set but change nothing ksim judges: ${items.join('; ')}`;
}
