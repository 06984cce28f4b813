// Kafka's config tables: 3.9's defaults for the keys that decide loss and duplication, and
// tables that accept their own defaults.
import { describe, expect, it } from 'vitest';
import { configMap } from '../../src/scenario/config-schema.js';
import {
  BROKER_CONFIG,
  CONFIG_TABLES,
  CONSUMER_CONFIG,
  LONG_MAX,
  PRODUCER_CONFIG,
  TOPIC_CONFIG,
  ZOOKEEPER_CONFIG,
  KAFKA_PROFILES,
  configDefault,
  type KafkaProfile,
} from '../../src/scenario/kafka-config.js';
import { errorsOf, expectOneError, loaded } from './support.js';

describe('scenario: kafka config', () => {
  it('scenario: kafka config: producer defaults are 3.9\'s (acks=all and idempotence since 3.0, linger 0 until 4.0)', () => {
    const defaults = Object.fromEntries(Object.entries(PRODUCER_CONFIG).map(([key, entry]) => [key, entry.default]));
    expect(defaults).toMatchObject({
      acks: 'all',
      'enable.idempotence': true,
      retries: 2147483647,
      'max.in.flight.requests.per.connection': 5,
      'delivery.timeout.ms': 120000,
      'request.timeout.ms': 30000,
      'linger.ms': 0,
      'batch.size': 16384,
      'buffer.memory': 33554432,
      'max.block.ms': 60000,
      'retry.backoff.ms': 100,
      'partitioner.class': null,
      'partitioner.ignore.keys': false,
      'transactional.id': null,
    });
  });

  it('scenario: kafka config: consumer defaults are 3.9\'s (session 45 s since 3.0, range + cooperative-sticky)', () => {
    expect(configDefault(CONSUMER_CONFIG, 'session.timeout.ms')).toBe(45000);
    expect(configDefault(CONSUMER_CONFIG, 'heartbeat.interval.ms')).toBe(3000);
    expect(configDefault(CONSUMER_CONFIG, 'max.poll.interval.ms')).toBe(300000);
    expect(configDefault(CONSUMER_CONFIG, 'max.poll.records')).toBe(500);
    expect(configDefault(CONSUMER_CONFIG, 'enable.auto.commit')).toBe(true);
    expect(configDefault(CONSUMER_CONFIG, 'auto.commit.interval.ms')).toBe(5000);
    expect(configDefault(CONSUMER_CONFIG, 'auto.offset.reset')).toBe('latest');
    expect(configDefault(CONSUMER_CONFIG, 'isolation.level')).toBe('read_uncommitted');
    expect(configDefault(CONSUMER_CONFIG, 'partition.assignment.strategy')).toBe('range,cooperative-sticky');
    expect(configDefault(CONSUMER_CONFIG, 'no.such.key')).toBeUndefined();
  });

  it('scenario: kafka config: broker, topic and ZooKeeper defaults are 3.9\'s', () => {
    expect(configDefault(BROKER_CONFIG, 'min.insync.replicas')).toBe(1);
    expect(configDefault(BROKER_CONFIG, 'unclean.leader.election.enable')).toBe(false);
    expect(configDefault(BROKER_CONFIG, 'replica.lag.time.max.ms')).toBe(30000);
    expect(configDefault(BROKER_CONFIG, 'log.flush.interval.messages')).toBe(LONG_MAX);
    expect(configDefault(BROKER_CONFIG, 'log.flush.interval.ms')).toBeNull();
    expect(configDefault(BROKER_CONFIG, 'offsets.retention.minutes')).toBe(10080);
    expect(configDefault(BROKER_CONFIG, 'group.initial.rebalance.delay.ms')).toBe(3000);
    expect(configDefault(TOPIC_CONFIG, 'retention.ms')).toBe(604800000);
    expect(configDefault(TOPIC_CONFIG, 'cleanup.policy')).toBe('delete');
    expect(configDefault(ZOOKEEPER_CONFIG, 'zookeeper.session.timeout.ms')).toBe(18000);
    expect(configDefault(ZOOKEEPER_CONFIG, 'tickTime')).toBe(3000);
  });

  it('scenario: kafka config: every table accepts its own defaults', () => {
    for (const { label, table } of CONFIG_TABLES) {
      const defaults = Object.fromEntries(Object.entries(table).map(([key, entry]) => [key, entry.default]));
      const result = configMap(table, label).safeParse(defaults);
      expect(result.success ? [] : result.error.issues, label).toEqual([]);
    }
  });

  it('scenario: kafka config: every key has a type, a doc line and a default of that type', () => {
    const types = { int: 'number', long: 'number', double: 'number', boolean: 'boolean', string: 'string', list: 'string', class: 'string' };
    for (const { table } of CONFIG_TABLES) {
      for (const [key, entry] of Object.entries(table)) {
        expect(entry.doc.length, key).toBeGreaterThan(10);
        if (entry.default !== null) expect(typeof entry.default, key).toBe(types[entry.type]);
      }
    }
  });

  it('scenario: kafka config: acks accepts YAML numbers 0, 1, -1 as Kafka strings', () => {
    const yaml = (acks: string) => `cluster: { brokers: 1 }\ntopics: [{ name: t }]\nproducers: [{ name: p, topic: t, messages: 1, rate: 1/s, config: { acks: ${acks} } }]\n`;
    const acksOf = (acks: string) => loaded(yaml(acks)).scenario.producers[0]?.config['acks'];
    expect(['0', '1', '-1', 'all', '"1"'].map(acksOf)).toEqual(['0', '1', '-1', 'all', '1']);
    expectOneError(errorsOf(yaml('"2"')), { line: 3, column: 74, path: 'producers[0].config.acks', text: 'expected one of "all", "-1", "0", "1", found "2"' });
  });

  it('scenario: kafka config: a value of the wrong type names the key and Kafka\'s type', () => {
    const yaml = 'cluster:\n  brokers: 3\n  config:\n    replica.lag.time.max.ms: 10s\n    min.insync.replicas: 0\n    leader.imbalance.per.broker.percentage: 1.5\n';
    const errors = errorsOf(yaml);
    expectOneError(errors, { line: 4, column: 30, path: 'cluster.config.replica.lag.time.max.ms', text: 'expected a long, found "10s"' });
    expectOneError(errors, { line: 5, column: 26, path: 'cluster.config.min.insync.replicas', text: 'expected an int of at least 1, found 0' });
    expectOneError(errors, { line: 6, column: 45, path: 'cluster.config.leader.imbalance.per.broker.percentage', text: 'expected an int, found 1.5' });
  });

  it('scenario: kafka config: a list key takes a YAML list or a comma-separated string, each item checked', () => {
    const yaml = (value: string) => `cluster: { brokers: 1 }\ntopics: [{ name: t, config: { cleanup.policy: ${value} } }]\n`;
    const assignors = (value: string) => `cluster: { brokers: 1, config: { offsets.topic.replication.factor: 1 } }\ntopics: [{ name: t }]\nconsumers: [{ group: g, topic: t, config: { partition.assignment.strategy: ${value} } }]\n`;
    expect(loaded(assignors('"range, sticky"')).scenario.consumers[0]?.config).toEqual({ 'partition.assignment.strategy': 'range,sticky' });
    expectOneError(errorsOf(yaml('[compact, delet]')), { line: 2, column: 57, path: 'topics[0].config.cleanup.policy[1]', text: 'expected a list of "compact", "delete", found "delet" (did you mean "delete"?)' });
  });

  // KIP-134 added group.initial.rebalance.delay.ms in 0.11: a 0.11 scenario may set it, a 0.10 one may not.
  it('scenario: kafka config: a key is accepted from the release line that added it, not before', () => {
    const yaml = (kafka: string): string => `cluster: { brokers: 1, kafka: "${kafka}", config: { group.initial.rebalance.delay.ms: 0 } }\n`;
    expect(loaded(yaml('0.11')).scenario.cluster?.config).toEqual({ 'group.initial.rebalance.delay.ms': 0 });
    expectOneError(errorsOf(yaml('0.10')), { line: 1, column: 49, path: 'cluster.config.group.initial.rebalance.delay.ms', text: 'it came in Kafka 0.11 (KIP-134)' });
    // Every key with a line names one of ksim's profiles after the oldest.
    for (const { table } of CONFIG_TABLES) {
      for (const entry of Object.values(table)) if (entry.since !== undefined) expect(KAFKA_PROFILES.indexOf(entry.since.line as KafkaProfile)).toBeGreaterThan(0);
    }
  });

  it('scenario: kafka config: null unsets a key whose Kafka default is null, and nothing else', () => {
    expect(loaded('cluster: { brokers: 1, config: { log.flush.interval.ms: null } }\n').scenario.cluster?.config).toEqual({ 'log.flush.interval.ms': null });
    expectOneError(errorsOf('cluster: { brokers: 1, config: { min.insync.replicas: null } }\n'), {
      line: 1,
      column: 55,
      path: 'cluster.config.min.insync.replicas',
      text: 'expected an int of at least 1, found null',
    });
  });
});
