import { describe, expect, test } from 'vitest';
import { producerSettings, profileAtLeast, validateProducerConfig } from '../../src/clients/producer-config.js';

describe('clients: producer config', () => {
  test('clients: producer config: 3.9 defaults are acks=all, idempotence on, retries MAX_INT (KIP-679, KIP-91)', () => {
    const settings = producerSettings({}, '3.9');
    expect(settings).toMatchObject({ acks: -1, idempotence: true, retries: 2_147_483_647, lingerUs: 0, batchSizeBytes: 16384, maxInFlight: 5 });
    expect(settings.deliveryTimeoutUs).toBe(120_000_000);
    expect(settings.keyless).toBe('uniform-sticky');
    expect(validateProducerConfig({}, '3.9')).toEqual([]);
  });

  test('clients: producer config: older lines restore acks=1, no idempotence, retries=0 and their partitioners', () => {
    expect(producerSettings({}, '2.8')).toMatchObject({ acks: 1, idempotence: false, retries: 2_147_483_647, keyless: 'sticky' });
    expect(producerSettings({}, '2.0')).toMatchObject({ acks: 1, idempotence: false, retries: 0, keyless: 'round-robin' });
    expect(producerSettings({}, '0.10')).toMatchObject({ rejectStaleLeaderEpoch: false, exponentialBackoff: false });
    expect(producerSettings({}, '3.7')).toMatchObject({ exponentialBackoff: true, skipBackoffOnLeaderChange: true });
  });

  test('clients: producer config: explicit enable.idempotence=true with a conflicting key is an error', () => {
    expect(validateProducerConfig({ 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 6 }, '3.9')).toEqual([
      { key: 'max.in.flight.requests.per.connection', expected: 'at most 5 with enable.idempotence: true', found: '6', hint: expect.stringContaining('ConfigException') },
    ]);
    expect(validateProducerConfig({ 'enable.idempotence': true, acks: '1', retries: 0 }, '3.9').map((f) => f.key)).toEqual(['acks', 'retries']);
  });

  test('clients: producer config: before 3.0 an explicit enable.idempotence=true brings acks=all and retries=MAX_INT', () => {
    expect(producerSettings({ 'enable.idempotence': true }, '2.0')).toMatchObject({ idempotence: true, acks: -1, retries: 2_147_483_647 });
    expect(validateProducerConfig({ 'enable.idempotence': true }, '2.0')).toEqual([]);
    expect(validateProducerConfig({ 'enable.idempotence': true }, '0.10')).toHaveLength(1);
  });

  test('clients: producer config: 0.11 runs the idempotent producer one request at a time; 1.0 allows five (KAFKA-5494)', () => {
    // KafkaProducer.configureInflightRequests, 0.11: defaults to 1, refuses any other value.
    expect(producerSettings({ 'enable.idempotence': true }, '0.11')).toMatchObject({ idempotence: true, maxInFlight: 1, acks: -1 });
    expect(validateProducerConfig({ 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5 }, '0.11')).toEqual([
      { key: 'max.in.flight.requests.per.connection', expected: '1 in Kafka 0.11 with enable.idempotence: true', found: '5', hint: expect.stringContaining('KAFKA-5494') },
    ]);
    expect(validateProducerConfig({ 'enable.idempotence': true, 'max.in.flight.requests.per.connection': 5 }, '1.0')).toEqual([]);
    expect(producerSettings({ 'enable.idempotence': true }, '1.0').maxInFlight).toBe(5);
  });

  test('clients: producer config: no delivery.timeout.ms before 2.1 (KIP-91): batches expire in the accumulator after request.timeout.ms instead', () => {
    // The loader refuses the key on 2.0 (its table says it came in 2.1); the producer has no bound there.
    expect(validateProducerConfig({ 'delivery.timeout.ms': 60000 }, '2.1')).toEqual([]);
    expect(producerSettings({}, '2.0')).toMatchObject({ accumulatorExpiry: true, retries: 0 });
    expect(producerSettings({}, '2.0').deliveryTimeoutUs).toBeGreaterThan(1e12); // never
    expect(producerSettings({}, '2.1')).toMatchObject({ accumulatorExpiry: false, deliveryTimeoutUs: 120_000_000 });
  });

  test('clients: producer config: default idempotence yields to a conflicting key silently (KAFKA-13598)', () => {
    expect(validateProducerConfig({ acks: '1' }, '3.9')).toEqual([]);
    expect(producerSettings({ acks: '1' }, '3.9').idempotence).toBe(false);
    expect(producerSettings({ 'max.in.flight.requests.per.connection': 10 }, '3.9').idempotence).toBe(false);
  });

  test('clients: producer config: delivery.timeout.ms below linger.ms + request.timeout.ms is an error only when set', () => {
    expect(validateProducerConfig({ 'delivery.timeout.ms': 1000, 'request.timeout.ms': 2000 }, '3.9')).toEqual([
      { key: 'delivery.timeout.ms', expected: 'a delivery.timeout.ms of at least linger.ms + request.timeout.ms (0 + 2000 = 2000)', found: '1000', hint: expect.stringContaining('KIP-91') },
    ]);
    // Unset, it is raised to the sum (KafkaProducer.configureDeliveryTimeout).
    expect(producerSettings({ 'request.timeout.ms': 200_000 }, '3.9').deliveryTimeoutUs).toBe(200_000_000);
  });

  test('clients: producer config: key-blind partitioners, and one Kafka lacks before 2.4', () => {
    expect(producerSettings({ 'partitioner.class': 'org.apache.kafka.clients.producer.RoundRobinPartitioner' }, '3.9')).toMatchObject({ keyless: 'round-robin', hashKeys: false });
    expect(producerSettings({ 'partitioner.ignore.keys': true }, '3.9')).toMatchObject({ keyless: 'uniform-sticky', hashKeys: false });
    expect(producerSettings({ 'partitioner.class': 'org.apache.kafka.clients.producer.internals.DefaultPartitioner' }, '3.9').keyless).toBe('sticky');
    expect(validateProducerConfig({ 'partitioner.class': 'org.apache.kafka.clients.producer.UniformStickyPartitioner' }, '2.3')).toHaveLength(1);
  });

  test('clients: producer config: profiles compare as release lines, not as decimals', () => {
    expect(profileAtLeast('0.11', '0.10')).toBe(true);
    expect(profileAtLeast('3.10', '3.9')).toBe(true);
    expect(profileAtLeast('2.8', '3.0')).toBe(false);
  });
});
