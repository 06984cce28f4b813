import { describe, expect, test } from 'vitest';
import { consumerSettings, validateConsumerConfig } from '../../src/clients/consumer/consumer-config.js';

describe('clients: consumer config', () => {
  test('clients: consumer config: 3.9 defaults: range then cooperative-sticky (so eager), 45 s sessions, 5 min poll interval', () => {
    const settings = consumerSettings({}, 'auto', '3.9');
    expect(settings).toMatchObject({
      assignors: ['range', 'cooperative-sticky'],
      rebalanceProtocol: 'eager',
      sessionTimeoutMs: 45_000,
      heartbeatIntervalUs: 3_000_000,
      maxPollIntervalMs: 300_000,
      maxPollRecords: 500,
      autoOffsetReset: 'latest',
      enableAutoCommit: true,
      autoCommitIntervalUs: 5_000_000,
      isolationLevel: 'read_uncommitted', // ConsumerConfig.DEFAULT_ISOLATION_LEVEL
    });
  });

  test('clients: consumer config: before 3.0 the session timeout is 10 s and range the only assignor (KIP-735, KIP-726)', () => {
    expect(consumerSettings({}, 'auto', '2.8')).toMatchObject({ sessionTimeoutMs: 10_000, assignors: ['range'] });
  });

  test('clients: consumer config: only cooperative-sticky assignors make the rebalance cooperative', () => {
    expect(consumerSettings({ 'partition.assignment.strategy': 'cooperative-sticky' }, 'auto', '3.9').rebalanceProtocol).toBe('cooperative');
    expect(consumerSettings({ 'partition.assignment.strategy': 'sticky,cooperative-sticky' }, 'auto', '3.9').rebalanceProtocol).toBe('eager');
  });

  test('clients: consumer config: a manual commit strategy turns auto-commit off unless the scenario sets it', () => {
    expect(consumerSettings({}, 'after-processing', '3.9').enableAutoCommit).toBe(false);
    expect(consumerSettings({ 'enable.auto.commit': true }, 'after-processing', '3.9').enableAutoCommit).toBe(true);
    expect(validateConsumerConfig({ 'enable.auto.commit': false }, 'auto', '3.9')).toHaveLength(1);
  });

  test('clients: consumer config: what the profile or KafkaConsumer refuses', () => {
    expect(validateConsumerConfig({}, 'auto', '3.9')).toEqual([]);
    expect(validateConsumerConfig({ 'heartbeat.interval.ms': 10_000, 'session.timeout.ms': 10_000 }, 'auto', '3.9')).toEqual([
      { key: 'heartbeat.interval.ms', expected: 'a heartbeat.interval.ms lower than session.timeout.ms (10000)', found: '10000', hint: expect.stringContaining('lower than the session timeout') },
    ]);
    // Only the session timeout is set: the finding is about it, against the default heartbeat.
    expect(validateConsumerConfig({ 'session.timeout.ms': 2000 }, 'auto', '3.9')).toMatchObject([{ key: 'session.timeout.ms', found: '2000', expected: 'a session.timeout.ms above heartbeat.interval.ms (3000)' }]);
    expect(validateConsumerConfig({ 'group.instance.id': 'a' }, 'auto', '2.2')[0]?.hint).toMatch(/KIP-345/);
    expect(validateConsumerConfig({ 'partition.assignment.strategy': 'cooperative-sticky' }, 'auto', '2.3')[0]?.hint).toMatch(/KIP-429/);
    // isolation.level came with transactions in 0.11 (KIP-98): refused on 0.10 whatever its value, taken from 0.11.
    expect(validateConsumerConfig({ 'isolation.level': 'read_committed' }, 'auto', '0.10')[0]?.hint).toMatch(/KIP-98/);
    expect(validateConsumerConfig({ 'isolation.level': 'read_uncommitted' }, 'auto', '0.10')).toHaveLength(1);
    expect(validateConsumerConfig({ 'isolation.level': 'read_committed' }, 'auto', '0.11')).toEqual([]);
    expect(validateConsumerConfig({ 'isolation.level': 'read_committed' }, 'auto', '3.9')).toEqual([]);
  });
});
