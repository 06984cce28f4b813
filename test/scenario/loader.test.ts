// Valid scenarios load and normalize: durations in µs, ratios in ppm, defaults filled in.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenarioText } from '../../src/scenario/index.js';
import { DEFAULT_STARTUP_MODEL } from '../../src/broker/log-manager.js';
import { DESIGN_EXAMPLE, EXAMPLE_SYSTEM, MINIMAL, loaded } from './support.js';

describe('scenario: loader', () => {
  it('scenario: loader: the DESIGN.md example normalizes to µs, ppm and camelCase', () => {
    const { scenario, text, file } = loaded(DESIGN_EXAMPLE, 'scenarios/acks-1-leader-crash.yaml');
    expect(file).toBe('scenarios/acks-1-leader-crash.yaml');
    expect(text).toBe(DESIGN_EXAMPLE);
    expect(scenario).toEqual({
      name: 'acks-1-leader-crash',
      judgedOver: 1,
      harmlessKeys: null,
      description: 'acks=1 loses acknowledged messages when the leader dies before followers fetch',
      claim: 'seeds 001 "ack = 1 ... 从节点没同步，主节点挂了，消息丢失"',
      seed: 1,
      durationUs: 60_000_000,
      settleUs: 60_000_000,
      network: { latencyUs: { minUs: 1_000, maxUs: 5_000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 },
      cluster: {
        brokers: 3,
        kafka: '2.8',
        config: { 'min.insync.replicas': 2, 'unclean.leader.election.enable': false },
        zookeeper: { 'zookeeper.session.timeout.ms': 6000 },
        supervisor: null,
        startup: { baseUs: 1_000_000, recoveryBytesPerSec: 50_000_000 },
      },
      example: null,
      topics: [{ name: 'orders', partitions: 3, replicationFactor: 3, config: {} }],
      producers: [{ name: 'p1', topic: 'orders', messages: 5000, ratePerSec: 500, keys: 50, config: { acks: '1', retries: 3 }, transactions: null }],
      consumers: [
        {
          group: 'billing',
          members: 2,
          topic: 'orders',
          processingUs: { minUs: 2_000, maxUs: 2_000 },
          commit: 'after-processing',
          config: { 'enable.auto.commit': true },
        },
      ],
      faults: [
        { atUs: 20_000_000, action: { kind: 'kill', target: 'leader(orders/0)' }, healAfterUs: null, line: 23, mayMiss: false },
        { atUs: 35_000_000, action: { kind: 'restart', target: 'leader-was(orders/0)' }, healAfterUs: null, line: 24, mayMiss: false },
        { atUs: 10_000_000, action: { kind: 'partition', groups: [['b1'], ['b2', 'b3', 'zk']] }, healAfterUs: 30_000_000, line: 25, mayMiss: false },
      ],
      nemesis: {
        faults: ['kill', 'power', 'partition', 'pause'],
        intervalUs: { minUs: 5_000_000, maxUs: 15_000_000 },
        faultDurationUs: { minUs: 1_000_000, maxUs: 10_000_000 },
        targets: null,
      },
      expect: { lost: 'sometimes', inconsistent: 'never' },
    });
  });

  it('scenario: loader: omitted fields take their documented defaults', () => {
    const { scenario } = loaded(MINIMAL, 'dir/minimal.yml');
    expect(scenario.name).toBe('minimal');
    expect([scenario.seed, scenario.durationUs, scenario.settleUs]).toEqual([1, 60_000_000, 30_000_000]);
    expect(scenario.network).toEqual({ latencyUs: { minUs: 1_000, maxUs: 5_000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 });
    expect(scenario.cluster).toEqual({ brokers: 3, kafka: '3.9', config: {}, zookeeper: {}, supervisor: null, startup: { baseUs: 1_000_000, recoveryBytesPerSec: 50_000_000 } });
    expect(scenario.producers[0]?.keys).toBeNull();
    expect([scenario.consumers, scenario.faults, scenario.nemesis, scenario.expect]).toEqual([[], [], null, {}]);
  });

  // DESIGN.md: expect: judges the coverage probes as it judges anomalies.
  it('scenario: loader: expect: takes coverage probes beside anomalies', () => {
    const { scenario } = loaded(`${MINIMAL}expect: { lost: never, controller-write-retried: sometimes, unclean-election: never }\n`);
    expect(scenario.expect).toEqual({ lost: 'never', 'controller-write-retried': 'sometimes', 'unclean-election': 'never' });
  });

  it('scenario: loader: a cluster\'s supervisor and start-up model load; the defaults are the broker\'s own', () => {
    const { scenario } = loaded(MINIMAL.replace('  brokers: 3\n', '  brokers: 3\n  supervisor: { restart-after: 10s }\n  startup: { time: 2s, log-recovery: 100MiB/s }\n'));
    expect(scenario.cluster).toMatchObject({ supervisor: { restartAfterUs: 10_000_000 }, startup: { baseUs: 2_000_000, recoveryBytesPerSec: 100 * 1024 * 1024 } });
    // The schema's defaults are the model's (src/broker/log-manager.ts), written twice: keep them equal.
    expect(loaded(MINIMAL).scenario.cluster?.startup).toEqual({ baseUs: DEFAULT_STARTUP_MODEL.baseUs, recoveryBytesPerSec: DEFAULT_STARTUP_MODEL.recoveryBytesPerSec });
  });

  it('scenario: loader: a consumer group and a nemesis take their defaults', () => {
    const { scenario } = loaded(`${MINIMAL}consumers:\n  - { group: g, topic: orders }\nnemesis: { faults: [partition] }\n`);
    expect(scenario.consumers[0]).toEqual({ group: 'g', members: 1, topic: 'orders', processingUs: { minUs: 0, maxUs: 0 }, commit: 'auto', config: {} });
    expect(scenario.nemesis).toEqual({
      faults: ['partition'],
      intervalUs: { minUs: 5_000_000, maxUs: 15_000_000 },
      faultDurationUs: { minUs: 1_000_000, maxUs: 10_000_000 },
      targets: null,
    });
  });

  it('scenario: loader: the example system loads with its defaults', () => {
    const { scenario } = loaded(EXAMPLE_SYSTEM);
    expect(scenario.cluster).toBeNull();
    expect(scenario.example).toEqual({ replicas: 3, replication: 'sync', writes: 50, ratePerSec: 50, failoverUs: 300_000 });
    expect(scenario.faults).toEqual([{ atUs: 2_000_000, action: { kind: 'pause', target: 'primary' }, healAfterUs: 1_000_000, line: 7, mayMiss: false }]);
    expect(loaded('example: {}\n').scenario.example).toEqual({ replicas: 3, replication: 'async', writes: 200, ratePerSec: 50, failoverUs: 300_000 });
  });

  it('scenario: loader: network ratios become ppm whichever way they are written', () => {
    const { scenario } = loaded('network: { latency: 2ms, drop: 0.5%, duplicate: 1/1000, reorder: 0.25 }\nexample: {}\n');
    expect(scenario.network).toEqual({ latencyUs: { minUs: 2_000, maxUs: 2_000 }, dropPpm: 5_000, duplicatePpm: 1_000, reorderPpm: 250_000 });
  });

  it('scenario: loader: every fault action normalizes to its FaultSpec', () => {
    const faults = [
      '  - { at: 0s, power: b1, heal: 1s }',
      '  - { at: 1s, pause: controller }',
      '  - { at: 2s, resume: controller }',
      '  - { at: 3s, isolate: zk, heal: 500ms }',
      '  - { at: 4s, one-way: { from: b1, to: b2 }, heal: 2s }',
      '  - { at: 5s, slow-disk: b3, latency: 50ms, heal: 1s }',
      '  - { at: 6s, hold: { to: b2 }, heal: 1.5s }',
    ];
    const { scenario } = loaded(`${MINIMAL}faults:\n${faults.join('\n')}\n`);
    expect(scenario.faults.map((f) => [f.atUs, f.action, f.healAfterUs, f.line])).toEqual([
      [0, { kind: 'power', target: 'b1' }, 1_000_000, 13],
      [1_000_000, { kind: 'pause', target: 'controller' }, null, 14],
      [2_000_000, { kind: 'resume', target: 'controller' }, null, 15],
      [3_000_000, { kind: 'isolate', target: 'zk' }, 500_000, 16],
      [4_000_000, { kind: 'one-way', from: 'b1', to: 'b2' }, 2_000_000, 17],
      [5_000_000, { kind: 'slow-disk', target: 'b3', latencyUs: 50_000 }, 1_000_000, 18],
      [6_000_000, { kind: 'hold', from: null, to: 'b2' }, 1_500_000, 19],
    ]);
  });

  it('scenario: loader: a topic without partitions or replication.factor gets the broker defaults, as in Kafka', () => {
    const yaml = 'cluster:\n  brokers: 3\n  config: { num.partitions: 6 }\ntopics:\n  - { name: orders }\n';
    expect(loaded(yaml).scenario.topics).toEqual([{ name: 'orders', partitions: 6, replicationFactor: 1, config: {} }]);
  });

  it('scenario: loader: kafka configs are type-checked and normalized (acks: 1 → "1", assignor classes → short names)', () => {
    const yaml = [
      'cluster: { brokers: 1, config: { offsets.topic.replication.factor: 1 }, zookeeper: { tickTime: 2000, zookeeper.connection.timeout.ms: null } }',
      'topics: [{ name: t, config: { flush.messages: 9223372036854775807 } }]',
      'producers: [{ name: p, topic: t, messages: 1, rate: 30/m, config: { acks: -1, client.id: tx } }]',
      'consumers:',
      '  - group: g',
      '    topic: t',
      '    config:',
      '      partition.assignment.strategy: "org.apache.kafka.clients.consumer.RoundRobinAssignor, sticky"',
      '',
    ].join('\n');
    const { scenario } = loaded(yaml);
    expect(scenario.cluster?.zookeeper).toEqual({ tickTime: 2000, 'zookeeper.connection.timeout.ms': null });
    // Long.MAX_VALUE as written in Kafka's docs is kept as the largest safe integer ("never").
    expect(scenario.topics[0]?.config).toEqual({ 'flush.messages': Number.MAX_SAFE_INTEGER });
    expect(scenario.producers[0]?.config).toEqual({ acks: '-1', 'client.id': 'tx' });
    expect(scenario.producers[0]?.ratePerSec).toBe(0.5);
    expect(scenario.consumers[0]?.config).toEqual({ 'partition.assignment.strategy': 'roundrobin,sticky' });
  });

  it('scenario: loader: anchors and aliases are allowed', () => {
    const yaml = `${MINIMAL}consumers:\n  - { group: a, topic: orders, config: &c { max.poll.records: 10 } }\n  - { group: b, topic: orders, config: *c }\n`;
    expect(loaded(yaml).scenario.consumers.map((c) => c.config)).toEqual([{ 'max.poll.records': 10 }, { 'max.poll.records': 10 }]);
  });

  it('scenario: loader: a byte order mark and CRLF line ends are fine', () => {
    const { scenario } = loaded(`\uFEFF${MINIMAL.replaceAll('\n', '\r\n')}`);
    expect(scenario.topics[0]?.name).toBe('orders');
  });

  it('scenario: loader: the same text always gives the same result', () => {
    expect(loadScenarioText(DESIGN_EXAMPLE, 'a.yaml')).toEqual(loadScenarioText(DESIGN_EXAMPLE, 'a.yaml'));
  });

  it('scenario: loader: src/scenario reads no clock and no ambient randomness', () => {
    // Determinism rule of DESIGN.md "The kernel's contract"; the loader has no reason for either.
    const folder = new URL('../../src/scenario/', import.meta.url);
    const forbidden = /\b(Date\.now|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime|Math\.random|crypto\.random)/;
    for (const name of readdirSync(folder).filter((n) => n.endsWith('.ts'))) {
      const source = readFileSync(join(folder.pathname, name), 'utf8');
      expect(forbidden.exec(source)?.[0] ?? null, name).toBeNull();
    }
  });
});
