// The package entry, imported by name as a user's own checks would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { ScenarioError, partitionForKey, rangeAssign, run } from 'ksim';
import { partitionForKey as producerPartitioner } from '../src/clients/partitioner.js';

const yaml = `name: api-check
duration: 20s
settle: 20s
cluster: { brokers: 3, config: { min.insync.replicas: 2 } }
topics: [{ name: orders, partitions: 3, replication.factor: 3 }]
producers: [{ name: p1, topic: orders, messages: 2000, rate: 200/s, keys: 10, config: { acks: all } }]
faults: [{ at: 5s, kill: leader(orders/0), heal: 10s }]
expect: { lost: never }
`;

describe('api', () => {
  test('api: run() gives the same summary as `ksim run --json` for the same scenario and seed', () => {
    const summary = run(yaml, { seed: 7, file: 'api-check.yaml' });
    const dir = mkdtempSync(join(tmpdir(), 'ksim-api-'));
    writeFileSync(join(dir, 'api-check.yaml'), yaml);
    const cli = JSON.parse(execFileSync(process.execPath, [join(import.meta.dirname, '..', 'src', 'cli', 'ksim.mjs'), 'run', 'api-check.yaml', '--seed', '7', '--json'], { cwd: dir, encoding: 'utf8' }));
    expect(summary.traceHash).toBe(cli.traceHash);
    expect(summary.anomalies).toEqual(cli.anomalies);
    expect(summary.messages).toEqual(cli.messages);
    expect(summary.anomalies.lost).toBe(0);
    expect(summary.messages.acked).toBeGreaterThan(1900);
  });

  test('api: a scenario object runs like its YAML text; a bad one throws ScenarioError with positions', () => {
    const object = {
      name: 'api-check', duration: '20s', settle: '20s',
      cluster: { brokers: 3, config: { 'min.insync.replicas': 2 } },
      topics: [{ name: 'orders', partitions: 3, 'replication.factor': 3 }],
      producers: [{ name: 'p1', topic: 'orders', messages: 2000, rate: '200/s', keys: 10, config: { acks: 'all' } }],
      faults: [{ at: '5s', kill: 'leader(orders/0)', heal: '10s' }],
      expect: { lost: 'never' },
    };
    // Same run, same outcome; the hashes differ only because fault labels carry the file's line numbers.
    const fromObject = run(object, { seed: 7 });
    const fromText = run(yaml, { seed: 7 });
    expect(fromObject.anomalies).toEqual(fromText.anomalies);
    expect(fromObject.messages).toEqual(fromText.messages);
    expect(fromObject.events).toBe(fromText.events);
    expect(() => run({ ...object, cluster: { brokers: 3, config: { 'min.insync.replica': 2 } } })).toThrow(ScenarioError);
    expect(() => run('cluster: [', { file: 'bad.yaml' })).toThrow(/bad\.yaml:\d+:\d+/);
    // Kafka's own cross-key refusals (ConfigException) are bad input too, with the key's position.
    const conflicting = { ...object, producers: [{ ...object.producers[0], config: { acks: '1', 'enable.idempotence': true } }] };
    expect(() => run(conflicting, { file: 'idem.yaml' })).toThrow(ScenarioError);
    expect(() => run(conflicting, { file: 'idem.yaml' })).toThrow(/idem\.yaml:\d+:\d+: producers\[0\]\.config\.acks: expected acks: all with enable\.idempotence: true, found "1"/);
  });

  test('api: the README example runs as it says', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const text = /const summary = run\(`([\s\S]*?)`, \{ seed: 7 \}\);/.exec(readme)?.[1];
    expect(text).toBeDefined();
    const summary = run(text!, { seed: 7 });
    expect(summary.anomalies.lost).toBe(0);
    expect(summary.anomalies.unprocessed).toBe(0);
    expect(summary.messages.processed).toBe(summary.messages.inLog);
    expect(summary.messages.processed).toBeGreaterThan(1900);
    // The leader, started again 10 s after its kill, inside its 18 s session: one failed start, then the supervisor's.
    expect(summary.failedStarts).toHaveLength(1);
    expect(summary.failedStarts[0]!.nextStartAtMs).toBe(summary.failedStarts[0]!.restartAtMs);
  });

  test('api: the key partitioner exported is the one the producer uses (tested against Kafka\'s vectors)', () => {
    expect(partitionForKey).toBe(producerPartitioner);
    expect(partitionForKey('k1', 3)).toBe(2); // the README's example
  });

  // RangeAssignorTest.testTwoConsumersOneTopicTwoPartitions: one partition each, in member order.
  test('api: the assignors are exported as pure functions', () => {
    const member = (memberId: string) => ({ memberId, groupInstanceId: null, topics: ['t1'], ownedPartitions: [], generationId: -1 });
    expect(rangeAssign({ t1: 3 }, [member('consumer1'), member('consumer2')])).toEqual({
      consumer1: [{ topic: 't1', partition: 0 }, { topic: 't1', partition: 1 }],
      consumer2: [{ topic: 't1', partition: 2 }],
    });
  });
});
