import { describe, expect, test } from 'vitest';
import { behaviourOf, olderBrokerDefaults, profileNumber } from '../../src/broker/profile.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioText } from '../../src/scenario/index.js';

describe('broker: profile', () => {
  test('broker: profile: release lines compare as numbers and switch the truncation rules at 0.11 and 2.0', () => {
    expect(profileNumber('0.10')).toBeLessThan(profileNumber('0.11'));
    expect(profileNumber('2.8')).toBeLessThan(profileNumber('3.0'));
    expect(behaviourOf('0.10').leaderEpochTruncation).toBe(false);
    expect(behaviourOf('1.1')).toMatchObject({ leaderEpochTruncation: true, epochInTruncationAnswer: false });
    expect(behaviourOf('2.8')).toMatchObject({ leaderEpochTruncation: true, epochInTruncationAnswer: true, fetchCarriesLeaderEpoch: true });
  });

  // The truncation rules per line: KIP-279 and KAFKA-7415 in 2.0(.1), KIP-320 in 2.1, KAFKA-10706 in 2.7.
  test('broker: profile: truncation answers, rounds and epoch checks switch at 2.0, 2.1 and 2.7', () => {
    expect(behaviourOf('1.1')).toMatchObject({ epochInTruncationAnswer: false, epochStartOnElection: false, followerRestartsOn: 'new-leader', asksWithoutEpochs: true });
    expect(behaviourOf('2.0')).toMatchObject({ epochInTruncationAnswer: true, epochStartOnElection: true, followerRestartsOn: 'missed-epoch', fetchCarriesLeaderEpoch: false, asksWithoutEpochs: true });
    expect(behaviourOf('2.1')).toMatchObject({ followerRestartsOn: 'new-epoch', fetchCarriesLeaderEpoch: true, asksWithoutEpochs: false, truncationAtEndClearsEpochs: false });
    expect(behaviourOf('2.6').truncationAtEndClearsEpochs).toBe(false);
    expect(behaviourOf('2.7').truncationAtEndClearsEpochs).toBe(true);
  });

  test('broker: profile: older lines bring back unclean elections (before 0.11) and 6 s sessions (before 2.5)', () => {
    expect(olderBrokerDefaults('0.10').broker['unclean.leader.election.enable']).toBe(true);
    expect(olderBrokerDefaults('2.4').zookeeper['zookeeper.session.timeout.ms']).toBe(6000);
    expect(olderBrokerDefaults('3.9')).toEqual({ broker: {}, zookeeper: {} });
  });

  // KafkaConfig.scala Defaults: OffsetsRetentionMinutes 24 * 60 to 1.1.1, 7 * 24 * 60 from 2.0.0
  // (KIP-186); GroupMaxSessionTimeoutMs 300000 to 2.2.2, 1800000 from 2.3.0 (KAFKA-7862).
  test('broker: profile: offsets are kept a day before 2.0 and sessions capped at 5 minutes before 2.3', () => {
    expect(olderBrokerDefaults('0.10').broker['offsets.retention.minutes']).toBe(1440);
    expect(olderBrokerDefaults('1.1').broker['offsets.retention.minutes']).toBe(1440);
    expect(olderBrokerDefaults('2.0').broker['offsets.retention.minutes']).toBeUndefined();
    expect(olderBrokerDefaults('2.2').broker['group.max.session.timeout.ms']).toBe(300_000);
    expect(olderBrokerDefaults('2.3').broker['group.max.session.timeout.ms']).toBeUndefined();
  });

  // KafkaApis.createGroupMetadataTopic (0.10.2): min(offsets.topic.replication.factor, live
  // brokers) replicas; from 0.11 (KIP-115) not below the factor: the loader refuses the scenario.
  test('broker: profile: a 0.10 cluster of 2 brokers gives __consumer_offsets 2 replicas (factor 3); 0.11 refuses it', () => {
    const text = (kafka: string): string => `name: p
duration: 10s
settle: 10s
cluster: { brokers: 2, kafka: "${kafka}" }
topics: [{ name: t, partitions: 1, replication.factor: 2 }]
producers: [{ name: p1, topic: t, messages: 100, rate: 50/s, config: { acks: "1" } }]
consumers: [{ group: g, topic: t, config: { auto.offset.reset: earliest } }]
`;
    const old = loadScenarioText(text('0.10'), 'p.yaml');
    if (!old.ok) throw new Error(JSON.stringify(old.errors));
    const created: { topic: string; assignment: number[][] }[] = [];
    const summary = runScenario(old.value, 1, { observer: (_t, e) => { if (e.kind === 'topic.created') created.push(e as unknown as { topic: string; assignment: number[][] }); } });
    const offsets = created.find((c) => c.topic === '__consumer_offsets')!;
    expect(offsets.assignment).toHaveLength(50);
    expect(offsets.assignment.every((replicas) => replicas.length === 2)).toBe(true);
    expect(summary.messages.processed).toBe(summary.messages.inLog);
    expect(summary.messages.processed).toBeGreaterThan(0);
    const refused = loadScenarioText(text('0.11'), 'p.yaml');
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.errors.map((e) => e.path)).toEqual(['cluster.config.offsets.topic.replication.factor']);
  });

  // An offline leader with live out-of-sync followers: 0.10's default elects one of them uncleanly.
  test('broker: profile: a 0.10 cluster elects uncleanly by default; a 3.9 cluster waits', () => {
    const unclean = (kafka: string): boolean => {
      const text = `name: p
duration: 40s
settle: 30s
cluster: { brokers: 3, kafka: "${kafka}", config: { replica.lag.time.max.ms: 5000 } }
topics: [{ name: t, partitions: 1, replication.factor: 3 }]
producers: [{ name: p1, topic: t, messages: 2000, rate: 100/s, config: { acks: "1", enable.idempotence: false } }]
faults:
  - { at: 5s, partition: [[leader(t/0)], [follower(t/0), "follower(t/0,2)"]], heal: 30s }
  - { at: 15s, kill: leader(t/0), heal: 30s }
`;
      const loaded = loadScenarioText(text, 'p.yaml');
      if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
      let seen = false;
      runScenario(loaded.value, 1, { observer: (_t, e) => { if (e.kind === 'election' && (e as unknown as { unclean: boolean }).unclean) seen = true; } });
      return seen;
    };
    expect(unclean('0.10')).toBe(true);
    expect(unclean('3.9')).toBe(false);
  });
});
