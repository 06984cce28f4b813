// Kafka's configuration keys, spelled as Kafka spells them, with Kafka 3.9's types, defaults and
// validators. Source for every default unless a comment says otherwise: the 3.9 branch of
// apache/kafka (ProducerConfig.java, ConsumerConfig.java, LogConfig.java, ServerLogConfigs.java,
// ReplicationConfigs.java, ServerConfigs.java, ZkConfigs.java, GroupCoordinatorConfig.java,
// TransactionLogConfigs.java, TransactionStateManagerConfigs.java).
// The scenario loader type-checks values against these tables; the Kafka model reads defaults.

export type KafkaConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'class';
export type KafkaConfigValue = string | number | boolean | null;

export interface KafkaConfigEntry {
  readonly type: KafkaConfigType;
  /** Kafka 3.9's default; null where Kafka's is null (derived from another key, or unset). */
  readonly default: KafkaConfigValue;
  readonly doc: string;
  /** Allowed values of a string, list or class key (Kafka's `ValidString`/`ValidList`). */
  readonly values?: readonly string[];
  /** Other accepted spellings, normalized to one of `values` (full class names → short names). */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly min?: number;
  readonly max?: number;
  /**
   * The release line that added the key, and why (a KIP or JIRA); a scenario whose profile is
   * older cannot set it (the loader says so), and the model runs without it there.
   */
  readonly since?: { readonly line: string; readonly source: string };
}

export type KafkaConfigTable = Readonly<Record<string, KafkaConfigEntry>>;

/** Java's Integer.MAX_VALUE. */
export const INT_MAX = 2_147_483_647;
export const INT_MIN = -2_147_483_648;
/**
 * Java's Long.MAX_VALUE cannot be a JS number exactly; the largest safe integer stands for it.
 * Every Kafka default of Long.MAX_VALUE means "never" (flush.messages, flush.ms), and a YAML
 * value above it is read as the same "never".
 */
export const LONG_MAX = Number.MAX_SAFE_INTEGER;
export const LONG_MIN = Number.MIN_SAFE_INTEGER;

interface Bounds {
  readonly min?: number;
  readonly max?: number;
}

const int = (value: number | null, doc: string, bounds: Bounds = {}): KafkaConfigEntry => ({ type: 'int', default: value, doc, ...bounds });
const long = (value: number | null, doc: string, bounds: Bounds = {}): KafkaConfigEntry => ({
  type: 'long',
  default: value,
  doc,
  ...bounds,
});
const double = (value: number, doc: string, bounds: Bounds = {}): KafkaConfigEntry => ({ type: 'double', default: value, doc, ...bounds });
const bool = (value: boolean, doc: string): KafkaConfigEntry => ({ type: 'boolean', default: value, doc });
const str = (value: string | null, doc: string, values?: readonly string[]): KafkaConfigEntry =>
  values === undefined ? { type: 'string', default: value, doc } : { type: 'string', default: value, doc, values };
/** A key that older release lines do not have (read in KafkaConfig.scala / LogConfig.scala of each line's last release). */
const since = (line: string, source: string, entry: KafkaConfigEntry): KafkaConfigEntry => ({ ...entry, since: { line, source } });

/** Kafka's `short` configs (replication factors) are ints bounded by Short.MAX_VALUE. */
const SHORT_MAX = 32_767;

const TIMESTAMP_TYPES = ['CreateTime', 'LogAppendTime'] as const;
const CLEANUP_POLICIES = ['compact', 'delete'] as const;
const BROKER_COMPRESSION = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] as const;

/** Broker configs (server.properties): `cluster.config`. */
export const BROKER_CONFIG = {
  'broker.id': int(-1, 'The broker id; ksim numbers brokers b1..bN itself.'),
  'broker.rack': str(null, 'Rack of the broker, used by rack-aware replica assignment.'),
  'num.partitions': int(1, 'Partitions of a topic created without a partition count.', { min: 1 }),
  'default.replication.factor': int(1, 'Replication factor of a topic created without one.'),
  'min.insync.replicas': int(1, 'Least ISR size for an acks=all produce to succeed; below it NOT_ENOUGH_REPLICAS.', { min: 1 }),
  'unclean.leader.election.enable': bool(false, 'Let an out-of-sync replica become leader, losing data (false since 0.11, KIP-106).'),
  // 30000 since 2.5 (KIP-537); 10000 before.
  'replica.lag.time.max.ms': long(30000, 'A follower that has not caught up for this long leaves the ISR.'),
  'replica.fetch.wait.max.ms': int(500, 'Longest wait of a follower fetch request on the leader.'),
  'replica.fetch.min.bytes': int(1, 'Bytes a follower fetch waits for before returning.'),
  'replica.fetch.max.bytes': int(1048576, 'Bytes a follower fetches per partition per request.', { min: 0 }),
  'replica.fetch.backoff.ms': int(1000, 'Pause of a follower after a fetch error.', { min: 0 }),
  'replica.socket.timeout.ms': int(30000, 'Socket timeout of follower fetch requests.'),
  'replica.high.watermark.checkpoint.interval.ms': long(5000, 'How often the high watermark is written to disk.'),
  'num.replica.fetchers': int(1, 'Fetcher threads per source broker.'),
  'auto.leader.rebalance.enable': bool(true, 'Move leadership back to the preferred replica periodically.'),
  'leader.imbalance.check.interval.seconds': long(300, 'How often the controller checks leader imbalance.', { min: 1 }),
  'leader.imbalance.per.broker.percentage': int(10, 'Imbalance per broker that triggers a preferred-leader election.'),
  'controlled.shutdown.enable': bool(true, 'Move leadership away before a clean shutdown.'),
  'controlled.shutdown.max.retries': int(3, 'Attempts of a controlled shutdown.'),
  'controlled.shutdown.retry.backoff.ms': long(5000, 'Pause between controlled shutdown attempts.'),
  'controller.socket.timeout.ms': int(30000, 'Socket timeout of controller-to-broker requests.'),
  'auto.create.topics.enable': bool(true, 'Create a topic on first use.'),
  'delete.topic.enable': bool(true, 'Allow topic deletion.'),
  'message.max.bytes': int(1048588, 'Largest record batch the broker accepts.', { min: 0 }),
  'compression.type': str('producer', 'Final compression of topic data; "producer" keeps the producer\'s.', BROKER_COMPRESSION),
  'log.flush.interval.messages': long(LONG_MAX, 'Messages written before the log is fsynced (default: never, the OS decides).', { min: 1 }),
  // null: falls back to log.flush.scheduler.interval.ms (Long.MAX_VALUE, i.e. never).
  'log.flush.interval.ms': long(null, 'Time a message stays unflushed before an fsync.'),
  'log.flush.scheduler.interval.ms': long(LONG_MAX, 'How often the flusher checks whether a log needs an fsync.'),
  'log.flush.offset.checkpoint.interval.ms': int(60000, 'How often the recovery points (where each log was last flushed) are written to disk.', { min: 0 }),
  'num.recovery.threads.per.data.dir': int(1, 'Threads that recover the logs of a data directory at startup (and flush them at shutdown).', { min: 1 }),
  // null: falls back to log.retention.minutes, then log.retention.hours (168).
  'log.retention.ms': long(null, 'Time a log segment is kept before deletion.'),
  'log.retention.minutes': int(null, 'Retention in minutes, used when log.retention.ms is unset.'),
  'log.retention.hours': int(168, 'Retention in hours, used when the finer keys are unset.'),
  'log.retention.bytes': long(-1, 'Largest size of a partition log before old segments are deleted; -1 = no limit.'),
  'log.retention.check.interval.ms': long(300000, 'How often logs are checked for deletable segments.', { min: 1 }),
  'log.segment.bytes': int(1073741824, 'Size of one log segment file.', { min: 14 }),
  'log.roll.ms': long(null, 'Time after which a new segment is rolled; unset = log.roll.hours.'),
  'log.roll.hours': int(168, 'Time after which a new segment is rolled, in hours.', { min: 1 }),
  'log.cleanup.policy': { type: 'list', default: 'delete', doc: 'delete old segments, compact by key, or both.', values: CLEANUP_POLICIES },
  'log.cleaner.enable': bool(true, 'Run the log cleaner (needed for compacted topics).'),
  'log.message.timestamp.type': str('CreateTime', 'Which timestamp a record keeps.', TIMESTAMP_TYPES),
  'offsets.topic.replication.factor': int(3, 'Replication factor of __consumer_offsets.', { min: 1, max: SHORT_MAX }),
  'offsets.topic.num.partitions': int(50, 'Partitions of __consumer_offsets.', { min: 1 }),
  // 7 days since 2.0 (KIP-186); 1 day before.
  'offsets.retention.minutes': int(10080, 'How long committed offsets of an empty group are kept.', { min: 1 }),
  'offsets.commit.timeout.ms': int(5000, 'Wait for an offset commit to reach all replicas of __consumer_offsets.', { min: 1 }),
  'group.initial.rebalance.delay.ms': since('0.11', 'KIP-134', int(3000, 'Delay of the first rebalance of a new group, to let members join.')),
  'group.min.session.timeout.ms': int(6000, 'Smallest session.timeout.ms a consumer may ask for.'),
  'group.max.session.timeout.ms': int(1800000, 'Largest session.timeout.ms a consumer may ask for.'),
  'group.max.size': since('2.2', 'KAFKA-7641', int(INT_MAX, 'Most members in one consumer group.', { min: 1 })),
  'transaction.state.log.replication.factor': since('0.11', 'KIP-98', int(3, 'Replication factor of __transaction_state.', { min: 1, max: SHORT_MAX })),
  'transaction.state.log.min.isr': since('0.11', 'KIP-98', int(2, 'min.insync.replicas of __transaction_state.', { min: 1 })),
  'transaction.state.log.num.partitions': since('0.11', 'KIP-98', int(50, 'Partitions of __transaction_state.', { min: 1 })),
  'transaction.max.timeout.ms': since('0.11', 'KIP-98', int(900000, 'Largest transaction.timeout.ms a producer may ask for.', { min: 1 })),
  'transactional.id.expiration.ms': since('0.11', 'KIP-98', int(604800000, 'Time without use after which a transactional id expires.', { min: 1 })),
  // 10000 since 2.5 (KAFKA-9417); 60000 before.
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': since('0.11', 'KIP-98', int(10000, 'How often the coordinator aborts transactions older than their transaction.timeout.ms.', { min: 1 })),
  'producer.id.expiration.ms': since('3.4', 'KIP-854', int(86400000, 'Time without use after which an idempotent producer id expires.', { min: 1 })),
} satisfies KafkaConfigTable;

/** Per-topic configs (`kafka-configs --entity-type topics`): `topics[].config`. */
export const TOPIC_CONFIG = {
  'cleanup.policy': { type: 'list', default: 'delete', doc: 'delete old segments, compact by key, or both.', values: CLEANUP_POLICIES },
  'compression.type': str('producer', 'Final compression of topic data; "producer" keeps the producer\'s.', BROKER_COMPRESSION),
  'delete.retention.ms': long(86400000, 'How long delete tombstones are kept on a compacted topic.', { min: 0 }),
  'file.delete.delay.ms': long(60000, 'Wait before a deleted segment file is removed.', { min: 0 }),
  'flush.messages': long(LONG_MAX, 'Messages written before the log is fsynced (default: never).', { min: 1 }),
  'flush.ms': long(LONG_MAX, 'Time a message stays unflushed before an fsync (default: never).', { min: 0 }),
  'max.compaction.lag.ms': since('2.3', 'KIP-354', long(LONG_MAX, 'Longest time a record stays uncompacted.', { min: 1 })),
  'max.message.bytes': int(1048588, 'Largest record batch the topic accepts.', { min: 0 }),
  'message.timestamp.type': str('CreateTime', 'Which timestamp a record keeps.', TIMESTAMP_TYPES),
  'min.cleanable.dirty.ratio': double(0.5, 'Dirty share of the log that triggers compaction.', { min: 0, max: 1 }),
  'min.compaction.lag.ms': long(0, 'Shortest time a record stays uncompacted.', { min: 0 }),
  'min.insync.replicas': int(1, 'Least ISR size for an acks=all produce to succeed; below it NOT_ENOUGH_REPLICAS.', { min: 1 }),
  'preallocate': bool(false, 'Preallocate segment files.'),
  'retention.bytes': long(-1, 'Largest size of a partition log before old segments are deleted; -1 = no limit.'),
  'retention.ms': long(604800000, 'Time a segment is kept before deletion; -1 = forever.', { min: -1 }),
  'segment.bytes': int(1073741824, 'Size of one log segment file.', { min: 14 }),
  'segment.ms': long(604800000, 'Time after which a new segment is rolled.', { min: 1 }),
  'unclean.leader.election.enable': bool(false, 'Let an out-of-sync replica become leader, losing data.'),
} satisfies KafkaConfigTable;

const PARTITIONERS = [
  'org.apache.kafka.clients.producer.RoundRobinPartitioner',
  'org.apache.kafka.clients.producer.UniformStickyPartitioner',
  'org.apache.kafka.clients.producer.internals.DefaultPartitioner',
] as const;

/** Producer configs: `producers[].config`. */
export const PRODUCER_CONFIG = {
  // "all" since 3.0 (KIP-679); "1" before.
  'acks': str('all', 'Acknowledgements the leader waits for: 0, 1 or all (= -1).', ['all', '-1', '0', '1']),
  'batch.size': int(16384, 'Bytes of records batched per partition.', { min: 0 }),
  'buffer.memory': long(33554432, 'Bytes the producer buffers before send() blocks.', { min: 0 }),
  'client.id': str('', 'Client id sent with every request.'),
  'compression.type': str('none', 'Compression of record batches.', ['none', 'gzip', 'snappy', 'lz4', 'zstd']),
  'delivery.timeout.ms': since('2.1', 'KIP-91', int(120000, 'Upper bound on the time between send() and its success or failure.', { min: 0 })),
  // true since 3.0 (KIP-679); false before.
  'enable.idempotence': bool(true, 'Producer id + sequence numbers so retries neither duplicate nor reorder.'),
  // 0 in 3.9; 5 from 4.0 (KIP-1030).
  'linger.ms': long(0, 'Time a batch waits for more records before it is sent.', { min: 0 }),
  'max.block.ms': long(60000, 'Longest time send() blocks on a full buffer or missing metadata.', { min: 0 }),
  'max.in.flight.requests.per.connection': int(5, 'Unacknowledged requests per broker; above 1, retries without idempotence reorder.', {
    min: 1,
  }),
  'max.request.size': int(1048576, 'Largest produce request.', { min: 0 }),
  'metadata.max.age.ms': long(300000, 'Metadata refresh period even without errors.', { min: 0 }),
  'partitioner.adaptive.partitioning.enable': since('3.3', 'KIP-794', bool(true, 'Send more records to faster brokers (KIP-794).')),
  'partitioner.availability.timeout.ms': since('3.3', 'KIP-794', long(0, 'Time after which a slow partition is skipped; 0 = off.', { min: 0 })),
  // null since 3.3 (KIP-794): the built-in partitioner, murmur2 of the key.
  'partitioner.class': {
    type: 'class',
    default: null,
    doc: 'Partitioner class; unset = murmur2 of the key, sticky batches without one.',
    values: PARTITIONERS,
  },
  'partitioner.ignore.keys': since('3.3', 'KIP-794', bool(false, 'Ignore keys when choosing a partition.')),
  'reconnect.backoff.ms': long(50, 'Pause before reconnecting to a broker.', { min: 0 }),
  'reconnect.backoff.max.ms': since('0.11', 'KIP-144', long(1000, 'Longest reconnect pause (exponential backoff).', { min: 0 })),
  'request.timeout.ms': int(30000, 'Wait for a response before the request is retried or failed.', { min: 0 }),
  // Integer.MAX_VALUE since 2.1 (KIP-91: delivery.timeout.ms bounds retries instead).
  'retries': int(INT_MAX, 'Retries of a failed send (bounded by delivery.timeout.ms).', { min: 0, max: INT_MAX }),
  'retry.backoff.ms': long(100, 'Pause before a retry.', { min: 0 }),
  'retry.backoff.max.ms': since('3.7', 'KIP-580', long(1000, 'Longest retry pause (exponential backoff, KIP-580).', { min: 0 })),
  'transaction.timeout.ms': int(60000, 'Time a transaction may stay open before the coordinator aborts it.'),
  'transactional.id': str(null, 'Enables transactions; fences older producers with the same id.'),
} satisfies KafkaConfigTable;

const ASSIGNORS = ['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const;
const ASSIGNOR_CLASSES: Readonly<Record<string, string>> = {
  'org.apache.kafka.clients.consumer.RangeAssignor': 'range',
  'org.apache.kafka.clients.consumer.RoundRobinAssignor': 'roundrobin',
  'org.apache.kafka.clients.consumer.StickyAssignor': 'sticky',
  'org.apache.kafka.clients.consumer.CooperativeStickyAssignor': 'cooperative-sticky',
};

/** Consumer configs: `consumers[].config`. */
export const CONSUMER_CONFIG = {
  'allow.auto.create.topics': bool(true, 'Create a subscribed topic that does not exist.'),
  'auto.commit.interval.ms': int(5000, 'Period of the auto-commit when enable.auto.commit is true.', { min: 0 }),
  'auto.offset.reset': str('latest', 'Where to start without a committed offset.', ['latest', 'earliest', 'none']),
  'check.crcs': bool(true, 'Check the CRC of fetched records.'),
  'client.id': str('', 'Client id sent with every request.'),
  'default.api.timeout.ms': int(60000, 'Timeout of blocking consumer calls.', { min: 0 }),
  'enable.auto.commit': bool(true, 'Commit the offsets returned by poll() periodically in the background.'),
  'exclude.internal.topics': bool(true, 'Never match internal topics by pattern.'),
  'fetch.max.bytes': int(52428800, 'Bytes per fetch response.', { min: 0 }),
  'fetch.max.wait.ms': int(500, 'Longest wait of a fetch for fetch.min.bytes.', { min: 0 }),
  'fetch.min.bytes': int(1, 'Bytes a fetch waits for before returning.', { min: 0 }),
  'group.id': str(null, 'The consumer group; ksim sets it from the entry\'s "group".'),
  'group.instance.id': str(null, 'Static membership id (KIP-345): a restart within the session does not rebalance.'),
  // The KIP-848 "consumer" protocol needs KRaft; ZooKeeper mode has only "classic".
  'group.protocol': str('classic', 'Group protocol; ZooKeeper mode has only "classic".', ['classic']),
  'heartbeat.interval.ms': int(3000, 'Period of heartbeats to the group coordinator.'),
  'isolation.level': str('read_uncommitted', 'read_committed hides aborted and open transactions.', ['read_uncommitted', 'read_committed']),
  'max.partition.fetch.bytes': int(1048576, 'Bytes per partition per fetch.', { min: 0 }),
  'max.poll.interval.ms': int(300000, 'Longest time between poll() calls before the member leaves the group.', { min: 1 }),
  'max.poll.records': int(500, 'Records returned by one poll().', { min: 1 }),
  'metadata.max.age.ms': long(300000, 'Metadata refresh period even without errors.', { min: 0 }),
  // [RangeAssignor, CooperativeStickyAssignor] since 3.0 (KIP-726); ksim spells them by short name.
  'partition.assignment.strategy': {
    type: 'list',
    default: 'range,cooperative-sticky',
    doc: 'Assignors in order of preference: range, roundrobin, sticky, cooperative-sticky (or their class names).',
    values: ASSIGNORS,
    aliases: ASSIGNOR_CLASSES,
  },
  'reconnect.backoff.ms': long(50, 'Pause before reconnecting to a broker.', { min: 0 }),
  'reconnect.backoff.max.ms': long(1000, 'Longest reconnect pause (exponential backoff).', { min: 0 }),
  'request.timeout.ms': int(30000, 'Wait for a response before the request is retried or failed.', { min: 0 }),
  'retry.backoff.ms': long(100, 'Pause before a retry.', { min: 0 }),
  'retry.backoff.max.ms': long(1000, 'Longest retry pause (exponential backoff, KIP-580).', { min: 0 }),
  // 45000 since 3.0 (KIP-735); 10000 before.
  'session.timeout.ms': int(45000, 'A member without a heartbeat for this long is removed from the group.'),
} satisfies KafkaConfigTable;

/** The brokers' `zookeeper.*` configs and the ZooKeeper server's own settings: `cluster.zookeeper`. */
export const ZOOKEEPER_CONFIG = {
  // 18000 since 2.5 (KIP-537); 6000 before. ksim: Kafka does not check the bound, the model needs it.
  'zookeeper.session.timeout.ms': int(18000, 'A broker whose ZooKeeper session expires loses its ephemeral znodes.', { min: 1 }),
  // null: falls back to zookeeper.session.timeout.ms (ZkConfigs.java).
  'zookeeper.connection.timeout.ms': int(null, 'Longest wait for a ZooKeeper connection; unset = the session timeout.'),
  'zookeeper.max.in.flight.requests': since('1.1', 'KAFKA-5894', int(10, 'Unacknowledged requests a broker sends to ZooKeeper.', { min: 1 })),
  // ZooKeeperServer.DEFAULT_TICK_TIME; Kafka's config/zookeeper.properties does not set tickTime.
  'tickTime': int(3000, 'ZooKeeper server tick in ms; sessions are checked once per tick.', { min: 1 }),
  // null: ZooKeeper uses 2 × tickTime and 20 × tickTime (ZooKeeper administrator's guide).
  'minSessionTimeout': int(null, 'Smallest session timeout the server grants; unset = 2 × tickTime.', { min: 1 }),
  'maxSessionTimeout': int(null, 'Largest session timeout the server grants; unset = 20 × tickTime.', { min: 1 }),
} satisfies KafkaConfigTable;

/** Each table, what it configures and where it goes in a scenario file (for "put it there" hints). */
export const CONFIG_TABLES: readonly { readonly label: string; readonly where: string; readonly table: KafkaConfigTable }[] = [
  { label: 'broker', where: 'cluster.config', table: BROKER_CONFIG },
  { label: 'topic', where: 'topics[].config', table: TOPIC_CONFIG },
  { label: 'producer', where: 'producers[].config', table: PRODUCER_CONFIG },
  { label: 'consumer', where: 'consumers[].config', table: CONSUMER_CONFIG },
  { label: 'ZooKeeper', where: 'cluster.zookeeper', table: ZOOKEEPER_CONFIG },
];

/** Behaviour profiles: Kafka release lines that still have ZooKeeper mode. */
export const KAFKA_PROFILES = [
  '0.10', '0.11', '1.0', '1.1',
  '2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8',
  '3.0', '3.1', '3.2', '3.3', '3.4', '3.5', '3.6', '3.7', '3.8', '3.9',
] as const;
export type KafkaProfile = (typeof KAFKA_PROFILES)[number];
export const DEFAULT_KAFKA_PROFILE: KafkaProfile = '3.9';

/** A key's default in a table, or undefined when the table has no such key. */
export function configDefault(table: KafkaConfigTable, key: string): KafkaConfigValue | undefined {
  return Object.hasOwn(table, key) ? table[key]?.default : undefined;
}
