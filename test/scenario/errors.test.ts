// Broken scenario texts: each must be rejected with the file, the line and column of the
// offending node, the field's path and a message that says what was expected.
import { describe, expect, it } from 'vitest';
import { formatInputError } from '../../src/scenario/index.js';
import { MINIMAL, errorsOf, expectOneError, type ExpectedError } from './support.js';

interface Case extends ExpectedError {
  readonly name: string;
  readonly yaml: string;
}

const BILLION_LAUGHS = `a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
cluster: { brokers: 1 }
`;

const CASES: readonly Case[] = [
  // YAML syntax
  { name: 'truncated YAML (an unclosed flow list)', yaml: 'cluster:\n  brokers: [1, 2\n', line: 3, column: 1, path: '', text: 'expected valid YAML, found the end of the file' },
  { name: 'truncated YAML (an unclosed quote)', yaml: 'name: "acks-1\n', line: 2, column: 1, path: '', text: 'missing closing "quote' },
  { name: 'bad indentation', yaml: 'cluster:\n  brokers: 3\n kafka: "3.9"\n', line: 3, column: 1, path: '', text: 'expected the keys of a map at the same column' },
  { name: 'tab indentation', yaml: 'cluster:\n\tbrokers: 3\n', line: 2, column: 1, path: '', text: 'expected indentation with spaces, found a tab' },
  { name: 'duplicate keys', yaml: 'cluster:\n  brokers: 3\n  brokers: 4\n', line: 3, column: 3, path: 'cluster.brokers', text: 'expected each key at most once in a map, found "brokers" again' },
  { name: 'two YAML documents', yaml: 'cluster: { brokers: 1 }\n---\nname: x\n', line: 2, column: 1, path: '', text: 'expected one YAML document per file' },
  { name: 'an alias without its anchor', yaml: 'cluster: *nowhere\n', line: 1, column: 10, path: 'cluster', text: 'expected an alias to an anchor defined above it' },
  { name: 'billion laughs (alias expansion)', yaml: BILLION_LAUGHS, line: 2, column: 8, path: 'b[0]', text: 'expected at most 100 alias expansions' },
  // the shape of the file
  { name: 'empty file', yaml: '', line: 1, column: 1, path: '', text: 'expected a map of scenario settings (name, cluster, topics, ...), found an empty file' },
  { name: 'a file with only comments', yaml: '# nothing yet\n\n# still nothing\n', line: 1, column: 1, path: '', text: 'found a file with only comments' },
  { name: 'a list at the top instead of a map', yaml: '- cluster: { brokers: 3 }\n', line: 1, column: 1, path: '', text: 'expected a map of scenario settings (name, cluster, topics, ...), found a list' },
  { name: 'binary bytes (a NUL)', yaml: 'cluster:\n  brokers: 3\u0000\n', line: 2, column: 13, path: '', text: 'expected a text file, found a NUL byte' },
  // unknown keys
  { name: 'unknown top-level key names the nearest one', yaml: `nmae: x\n${MINIMAL}`, line: 1, column: 1, path: '', text: 'expected a scenario key, found "nmae" (did you mean "name"?)' },
  { name: 'unknown nested key names the nearest one', yaml: `${MINIMAL}network: { latncy: 1ms }\n`, line: 12, column: 12, path: 'network', text: 'expected one of the keys latency, drop, duplicate, reorder, found "latncy" (did you mean "latency"?)' },
  { name: 'unknown kafka key names the nearest one', yaml: 'cluster:\n  brokers: 3\n  config:\n    min.insync.replica: 2\n', line: 4, column: 5, path: 'cluster.config', text: 'expected a broker config key, found "min.insync.replica" (did you mean "min.insync.replicas"?)' },
  { name: 'a kafka key under the wrong client says where it goes', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, config: { acks: all } }\n`, line: 13, column: 42, path: 'consumers[0].config', text: '"acks" is a producer config: put it under producers[].config' },
  { name: 'a zookeeper key among the broker configs says where it goes', yaml: 'cluster:\n  brokers: 1\n  config: { zookeeper.session.timeout.ms: 6000 }\n', line: 3, column: 13, path: 'cluster.config', text: 'put it under cluster.zookeeper' },
  // keys the scenario's release line does not have yet
  { name: 'a broker key older Kafka lacks (group.initial.rebalance.delay.ms on 0.10)', yaml: 'cluster:\n  brokers: 1\n  kafka: "0.10"\n  config: { group.initial.rebalance.delay.ms: 0 }\n', line: 4, column: 13, path: 'cluster.config.group.initial.rebalance.delay.ms', text: 'expected a broker config key that Kafka 0.10 has, found "group.initial.rebalance.delay.ms" (it came in Kafka 0.11 (KIP-134); remove it or use a newer cluster.kafka)' },
  { name: 'a topic key older Kafka lacks (max.compaction.lag.ms on 2.2)', yaml: MINIMAL.replace('brokers: 3', 'brokers: 3\n  kafka: "2.2"').replace('replication.factor: 3', 'replication.factor: 3\n    config: { max.compaction.lag.ms: 1000 }'), line: 8, column: 15, path: 'topics[0].config.max.compaction.lag.ms', text: 'it came in Kafka 2.3 (KIP-354)' },
  { name: 'consumer groups on 2 brokers with the default offsets.topic.replication.factor (3)', yaml: `${MINIMAL.replace('brokers: 3', 'brokers: 2').replace('replication.factor: 3', 'replication.factor: 2')}consumers:\n  - { group: g, topic: orders }\n`, line: 2, column: 3, path: 'cluster.config.offsets.topic.replication.factor', text: 'expected an offsets.topic.replication.factor of at most 2 (cluster.brokers) for the consumer groups\' __consumer_offsets, found 3 (its default) (Kafka 3.9 does not create it with fewer live brokers (KIP-115), so no group would find its coordinator; set it to at most 2)' },
  { name: 'an offsets.topic.replication.factor above the brokers', yaml: 'cluster: { brokers: 1, kafka: "0.11", config: { offsets.topic.replication.factor: 2 } }\ntopics: [{ name: orders }]\nconsumers: [{ group: g, topic: orders }]\n', line: 1, column: 83, path: 'cluster.config.offsets.topic.replication.factor', text: 'found 2 (Kafka 0.11 does not create it' },
  // wrong types and values
  { name: 'a quoted number where an int is expected', yaml: 'cluster:\n  brokers: "3"\n', line: 2, column: 12, path: 'cluster.brokers', text: 'expected an integer from 1 to 64, found "3" (write it without quotes: 3)' },
  { name: 'a map where a list is expected', yaml: 'cluster: { brokers: 1 }\ntopics: { name: orders }\n', line: 2, column: 9, path: 'topics', text: 'expected a list of topics, found a map' },
  { name: 'a string where a kafka int is expected names the key and the type', yaml: `${MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { batch.size: big }')}`, line: 12, column: 27, path: 'producers[0].config.batch.size', text: 'expected an int of at least 0, found "big"' },
  { name: 'a quoted boolean in a kafka config', yaml: 'cluster:\n  brokers: 1\n  config: { unclean.leader.election.enable: "true" }\n', line: 3, column: 45, path: 'cluster.config.unclean.leader.election.enable', text: 'expected a boolean (true or false), found "true" (write it without quotes: true)' },
  { name: 'acks: 2', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { acks: 2 }'), line: 12, column: 21, path: 'producers[0].config.acks', text: 'expected one of "all", "-1", "0", "1", found 2' },
  { name: 'a misspelt kafka enum value', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, config: { isolation.level: read_comitted } }\n`, line: 13, column: 59, path: 'consumers[0].config.isolation.level', text: 'found "read_comitted" (did you mean "read_committed"?)' },
  { name: 'an unknown kafka profile lists the known ones', yaml: 'cluster:\n  brokers: 1\n  kafka: "4.0"\n', line: 3, column: 10, path: 'cluster.kafka', text: 'expected a Kafka version in quotes: "0.10", "0.11", "1.0", "1.1", "2.0" to "2.8", or "3.0" to "3.9"' },
  { name: 'kafka: 0.10 unquoted reads as the number 0.1', yaml: 'cluster:\n  brokers: 1\n  kafka: 0.10\n', line: 3, column: 10, path: 'cluster.kafka', text: 'found 0.1 (YAML reads an unquoted version as a number; write "0.10")' },
  // units
  { name: 'negative duration', yaml: `settle: -5s\n${MINIMAL}`, line: 1, column: 9, path: 'settle', text: 'expected a duration such as "250ms", found "-5s" (a duration cannot be negative)' },
  { name: 'absurd duration', yaml: `duration: 25h\n${MINIMAL}`, line: 1, column: 11, path: 'duration', text: 'at most 24h, found "25h"' },
  { name: 'a plain number is not a duration', yaml: `duration: 10\n${MINIMAL}`, line: 1, column: 11, path: 'duration', text: 'expected a duration above zero such as "250ms", found 10 (add a unit: "10ms" or "10s")' },
  { name: 'zero where a duration must be positive', yaml: `duration: 0s\n${MINIMAL}`, line: 1, column: 11, path: 'duration', text: 'expected a duration above zero' },
  { name: 'range with min > max', yaml: `network: { latency: 5ms..1ms }\n${MINIMAL}`, line: 1, column: 21, path: 'network.latency', text: 'expected a range whose minimum is not above its maximum, found "5ms..1ms" (write "1ms..5ms")' },
  { name: 'rate without unit', yaml: MINIMAL.replace('rate: 100/s', 'rate: 500'), line: 11, column: 11, path: 'producers[0].rate', text: 'expected a rate such as "500/s" or "30/m", found 500 (add a unit: "500/s")' },
  { name: 'ratio above 100%', yaml: `network: { drop: 150% }\n${MINIMAL}`, line: 1, column: 18, path: 'network.drop', text: 'found "150%" (a ratio cannot be above 100% or below 0)' },
  // cluster or example
  { name: 'both cluster and example', yaml: `${MINIMAL}example: { replicas: 3 }\n`, line: 12, column: 1, path: 'example', text: 'expected either a cluster or an example section, found both' },
  { name: 'neither cluster nor example', yaml: 'name: nothing-to-run\nseed: 3\n', line: 1, column: 1, path: '', text: 'expected a cluster section (Kafka) or an example section, found neither' },
  { name: 'topics with the example system', yaml: 'example: { replicas: 3 }\ntopics: [{ name: orders }]\n', line: 2, column: 1, path: 'topics', text: 'expected no topics with the example system' },
  // faults
  { name: 'a fault with two actions', yaml: `${MINIMAL}faults:\n  - { at: 1s, kill: b1, power: b2 }\n`, line: 13, column: 25, path: 'faults[0].power', text: 'expected one action per fault, found "power" besides "kill"' },
  { name: 'a fault with no action', yaml: `${MINIMAL}faults:\n  - { at: 1s, heal: 2s }\n`, line: 13, column: 5, path: 'faults[0]', text: 'expected one action: kill, stop, power, restart, pause, resume, isolate, partition, one-way, slow-disk, hold, elect-preferred, add-partitions, found none' },
  { name: 'heal on restart', yaml: `${MINIMAL}faults:\n  - at: 5s\n    restart: b1\n    heal: 1s\n`, line: 15, column: 5, path: 'faults[0].heal', text: 'expected no heal on a restart, found "1s"' },
  { name: 'partition with a node in two groups', yaml: `${MINIMAL}faults:\n  - { at: 1s, partition: [[b1, b2], [b2, b3]] }\n`, line: 13, column: 38, path: 'faults[0].partition[1][0]', text: 'expected each node in one group only, found "b2" ("b2" is also in group 1)' },
  { name: 'partition with one group', yaml: `${MINIMAL}faults:\n  - { at: 1s, partition: [[b1, b2]] }\n`, line: 13, column: 26, path: 'faults[0].partition', text: 'expected at least two groups' },
  { name: 'slow-disk without latency', yaml: `${MINIMAL}faults:\n  - { at: 1s, slow-disk: b1 }\n`, line: 13, column: 5, path: 'faults[0].latency', text: 'expected a latency for the slow disk, such as "50ms", found nothing' },
  { name: 'a fault after the end of the run', yaml: `duration: 30s\n${MINIMAL}faults:\n  - { at: 45s, kill: b1 }\n`, line: 14, column: 11, path: 'faults[0].at', text: 'expected a time before the end of duration (30s), found "45s"' },
  { name: 'a target of the wrong shape', yaml: `${MINIMAL}faults:\n  - { at: 1s, kill: "leader orders" }\n`, line: 13, column: 21, path: 'faults[0].kill', text: 'expected a node name such as "b1" or a role such as "leader(orders/0)"' },
  { name: 'a misspelt action in a fault', yaml: `${MINIMAL}faults:\n  - { at: 1s, kil: b1 }\n`, line: 13, column: 15, path: 'faults[0]', text: 'found "kil" (did you mean "kill"?)' },
  { name: 'an unknown nemesis fault kind', yaml: `${MINIMAL}nemesis: { faults: [kill, powr] }\n`, line: 12, column: 27, path: 'nemesis.faults[1]', text: 'found "powr" (did you mean "power"?)' },
  // cross references
  { name: 'producer naming an undeclared topic', yaml: MINIMAL.replace('topic: orders', 'topic: ordres'), line: 9, column: 12, path: 'producers[0].topic', text: 'expected a topic declared under topics (orders), found "ordres" (did you mean "orders"?)' },
  // Kafka's traffic is all TCP: a scenario cannot ask for what TCP never does.
  { name: 'network duplicate under Kafka', yaml: `${MINIMAL}network: { duplicate: 1% }\n`, line: 12, column: 23, path: 'network.duplicate', text: 'expected no network duplicate in a Kafka scenario, found "1%" (Kafka\'s traffic all runs on TCP connections, which never deliver a message twice' },
  { name: 'network reorder under Kafka', yaml: `${MINIMAL}network: { drop: 1%, reorder: 0.01 }\n`, line: 12, column: 31, path: 'network.reorder', text: 'expected no network reorder in a Kafka scenario, found 0.01' },
  { name: 'replication.factor > brokers', yaml: MINIMAL.replace('replication.factor: 3', 'replication.factor: 5'), line: 6, column: 25, path: 'topics[0].replication.factor', text: 'expected a replication.factor of at most 3 (cluster.brokers), found 5' },
  { name: 'two topics with one name', yaml: `${MINIMAL.replace('producers:', '  - { name: orders }\nproducers:')}`, line: 7, column: 13, path: 'topics[1].name', text: 'expected a topic name not used above, found "orders"' },
  { name: 'a producer key the profile predates', yaml: MINIMAL.replace('brokers: 3', 'brokers: 3\n  kafka: "2.0"').replace('rate: 100/s', 'rate: 100/s\n    config: { delivery.timeout.ms: 60000 }'), line: 13, column: 15, path: 'producers[0].config.delivery.timeout.ms', text: 'expected a producer config key that Kafka 2.0 has, found "delivery.timeout.ms" (it came in Kafka 2.1 (KIP-91)' },
  { name: 'group.id set beside the group', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, config: { group.id: other } }\n`, line: 13, column: 42, path: 'consumers[0].config.group.id', text: 'expected no group.id here' },
  { name: 'a misspelt commit strategy', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, commit: after-procesing }\n`, line: 13, column: 40, path: 'consumers[0].commit', text: '(did you mean "after-processing"?)' },
  // Kafka's ConfigException cases and what ksim does not model: at the key, with expected and found
  { name: 'idempotence with acks=1 (ConfigException)', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { enable.idempotence: true, acks: "1" }'), line: 12, column: 47, path: 'producers[0].config.acks', text: 'expected acks: all with enable.idempotence: true, found "1" (KafkaProducer refuses it (ConfigException)' },
  { name: 'idempotence with six requests in flight', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { enable.idempotence: true, max.in.flight.requests.per.connection: 6 }'), line: 12, column: 80, path: 'producers[0].config.max.in.flight.requests.per.connection', text: 'expected at most 5 with enable.idempotence: true, found 6' },
  { name: 'a transactional.id in Kafka 0.10', yaml: MINIMAL.replace('brokers: 3', 'brokers: 3\n  kafka: "0.10"').replace('rate: 100/s', 'rate: 100/s\n    config: { transactional.id: tx }'), line: 13, column: 33, path: 'producers[0].config.transactional.id', text: 'expected no transactional producer in Kafka 0.10, found "tx" (transactions came in Kafka 0.11 (KIP-98))' },
  { name: 'a transactional.id with enable.idempotence false (ConfigException)', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { transactional.id: tx, enable.idempotence: false }'), line: 12, column: 57, path: 'producers[0].config.enable.idempotence', text: 'cannot set a transactional.id without also enabling idempotence' },
  { name: 'a transactional.id with acks=1 (ConfigException)', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { transactional.id: tx, acks: "1" }'), line: 12, column: 43, path: 'producers[0].config.acks', text: 'expected acks: all with enable.idempotence: true, found "1"' },
  { name: 'transactions without a transactional.id', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    transactions: { records: 10 }'), line: 12, column: 5, path: 'producers[0].transactions', text: 'expected transactions with a producer config transactional.id, found no transactional.id' },
  { name: 'a transactional producer on 2 brokers with the default transaction.state.log.replication.factor (3)', yaml: MINIMAL.replace('brokers: 3', 'brokers: 2').replace('replication.factor: 3', 'replication.factor: 2').replace('rate: 100/s', 'rate: 100/s\n    config: { transactional.id: tx }'), line: 2, column: 3, path: 'cluster.config.transaction.state.log.replication.factor', text: 'found 3 (its default) (Kafka 3.9 does not create it with fewer live brokers' },
  { name: 'idempotence with retries 0', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { enable.idempotence: true, retries: 0 }'), line: 12, column: 50, path: 'producers[0].config.retries', text: 'expected retries above 0 with enable.idempotence: true, found 0' },
  { name: 'delivery.timeout.ms below linger.ms + request.timeout.ms', yaml: MINIMAL.replace('rate: 100/s', 'rate: 100/s\n    config: { linger.ms: 5, delivery.timeout.ms: 1000 }'), line: 12, column: 50, path: 'producers[0].config.delivery.timeout.ms', text: 'expected a delivery.timeout.ms of at least linger.ms + request.timeout.ms (5 + 30000 = 30005), found 1000' },
  { name: 'heartbeat.interval.ms not below session.timeout.ms', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, config: { heartbeat.interval.ms: 6000, session.timeout.ms: 6000 } }\n`, line: 13, column: 65, path: 'consumers[0].config.heartbeat.interval.ms', text: 'expected a heartbeat.interval.ms lower than session.timeout.ms (6000), found 6000' },
  { name: 'a session.timeout.ms below the default heartbeat', yaml: `${MINIMAL}consumers:\n  - { group: g, topic: orders, config: { session.timeout.ms: 2000 } }\n`, line: 13, column: 62, path: 'consumers[0].config.session.timeout.ms', text: 'expected a session.timeout.ms above heartbeat.interval.ms (3000), found 2000' },
  { name: 'a topic key ksim does not model (retention.ms)', yaml: MINIMAL.replace('replication.factor: 3', 'replication.factor: 3\n    config: { retention.ms: 1000 }'), line: 7, column: 15, path: 'topics[0].config.retention.ms', text: 'expected a topic config key that ksim models, found "retention.ms" (not modelled by ksim: retention and compaction delete no segment yet; remove it)' },
  { name: 'a broker key ksim does not model (offsets.retention.minutes)', yaml: MINIMAL.replace('brokers: 3', 'brokers: 3\n  config: { offsets.retention.minutes: 1 }'), line: 3, column: 13, path: 'cluster.config.offsets.retention.minutes', text: 'not modelled by ksim: committed offsets never expire' },
  { name: 'read_committed on 0.10 (transactions came in 0.11)', yaml: `${MINIMAL.replace('brokers: 3', 'brokers: 3\n  kafka: "0.10"')}consumers:\n  - { group: g, topic: orders, config: { isolation.level: read_committed } }\n`, line: 14, column: 59, path: 'consumers[0].config.isolation.level', text: 'expected no isolation.level in Kafka 0.10 (it has no transactions), found "read_committed" (isolation.level came in Kafka 0.11 with transactions (KIP-98); remove it or use a newer cluster.kafka)' },
  { name: 'a maxSessionTimeout below the minimum (ZooKeeper does not start)', yaml: MINIMAL.replace('brokers: 3', 'brokers: 3\n  zookeeper: { maxSessionTimeout: 4000 }'), line: 3, column: 35, path: 'cluster.zookeeper.maxSessionTimeout', text: 'expected a maxSessionTimeout of at least minSessionTimeout (6000), found 4000' },
  // expectations
  { name: 'unknown anomaly in expect', yaml: `${MINIMAL}expect: { lots: never }\n`, line: 12, column: 11, path: 'expect', text: 'expected an anomaly or coverage probe name, found "lots" (did you mean "lost"?)' },
  { name: 'unknown probe in expect', yaml: `${MINIMAL}expect: { broker-start-fail: always }\n`, line: 12, column: 11, path: 'expect', text: 'expected an anomaly or coverage probe name, found "broker-start-fail" (did you mean "broker-start-failed"?)' },
  { name: 'bad expectation value', yaml: `${MINIMAL}expect: { lost: sometime }\n`, line: 12, column: 17, path: 'expect.lost', text: 'expected one of "never", "sometimes", "always", found "sometime" (did you mean "sometimes"?)' },
];

describe('scenario: loader: rejects', () => {
  it.each(CASES)('$name', (c) => {
    expectOneError(errorsOf(c.yaml), c);
  });
});

describe('scenario: loader: several errors', () => {
  it('scenario: loader: several errors in one file are all reported, in reading order', () => {
    const yaml = [
      'nmae: x', // 1: unknown key
      'cluster:',
      '  brokers: 0', // 3: out of range
      '  config: { acks: all }', // 4: producer key under the brokers
      'topics:',
      '  - { name: orders, partitions: 3 }',
      'producers:',
      '  - { name: p1, topic: payments, messages: 10, rate: 10 }', // 8: undeclared topic, rate without unit
      'expect: { lost: nevr }', // 9: misspelt expectation
      '',
    ].join('\n');
    const errors = errorsOf(yaml);
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [1, ''],
      [3, 'cluster.brokers'],
      [4, 'cluster.config'],
      [8, 'producers[0].topic'],
      [8, 'producers[0].rate'],
      [9, 'expect.lost'],
    ]);
    expect(errors.every((e) => e.file === 's.yaml')).toBe(true);
  });

  it('scenario: loader: a replication.factor above 64 is reported once, by the schema', () => {
    const errors = errorsOf(MINIMAL.replace('replication.factor: 3', 'replication.factor: 65'));
    expect(errors.map(formatInputError)).toEqual(['s.yaml:6:25: topics[0].replication.factor: expected an integer from 1 to 64, found 65']);
  });

  it('scenario: loader: a text over 1 MiB is refused before it is parsed', () => {
    const text = `# ${'x'.repeat(1024 * 1024)}\n${MINIMAL}`;
    const errors = errorsOf(text);
    expect(errors.map(formatInputError)).toEqual([`s.yaml: expected a scenario file of at most 1 MiB, found ${text.length} bytes`]);
  });

  it('scenario: loader: every error names the file it was given', () => {
    const errors = errorsOf('cluster: { brokers: 100 }\n', 'scenarios/dir/x.yml');
    expect(errors.map(formatInputError)).toEqual([
      'scenarios/dir/x.yml:1:21: cluster.brokers: expected an integer from 1 to 64, found 100',
    ]);
  });
});
