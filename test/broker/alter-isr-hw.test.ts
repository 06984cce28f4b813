// A real broker, b1, leads t-0 (replicas [1, 2]) and is the controller; replica 2 is registered
// but never fetches. Its shrink goes through AlterPartition to b1 itself, and what the HW does
// when the answer commits it depends on the release line.
import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import { brokerPath, topicPath, type BrokerRegistration, type TopicAssignment } from '../../src/broker/zk-paths.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import { createZkClient } from '../../src/zookeeper/client.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const ms = (n: number): number => n * 1000;

/** One acks=all record to t-0 at 2.5 s; when the shrink was committed, and when and how the produce was answered. */
function shrinkUnderAcksAll(profile: string): { shrinkUs: number; answerUs: number; error: string } {
  const world = new World<unknown>({ seed: 1, network });
  world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
  world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile, config: { 'replica.lag.time.max.ms': 2000 }, zookeeper: {}, topicConfigs: new Map() }));
  world.spawn('b2', () => ({ onMessage: () => {} })); // registered, silent: it never fetches
  world.spawn('admin', (env) => {
    const zk = createZkClient(env, { server: 'zk', sessionTimeoutMs: 18_000 });
    const assignment: TopicAssignment = { version: 2, partitions: { 0: [1, 2] } };
    const registration: BrokerRegistration = { node: 'b2', version: 5 };
    zk.create('/brokers', null, 'PERSISTENT', () => zk.create('/brokers/ids', null, 'PERSISTENT', () => zk.create(brokerPath(2), registration, 'EPHEMERAL', () =>
      zk.create('/brokers/topics', null, 'PERSISTENT', () => zk.create(topicPath('t'), assignment, 'PERSISTENT', () => {})))));
    return { onMessage: (from, m) => void zk.handle(from, m) };
  });
  let answer = { atUs: -1, error: '' };
  world.spawn('p1', (env) => {
    env.setTimer(ms(2500), () => env.send('b1', {
      type: 'Produce', correlationId: 1, acks: -1, timeoutMs: 10_000,
      partitions: [{ topic: 't', partition: 0, batch: { baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, records: [{ key: null, producer: 'p1', seq: 1 }] } }],
    } satisfies KafkaMessage));
    return {
      onMessage: (_from, m) => {
        const response = m as KafkaMessage;
        if (response.type === 'ProduceResponse') answer = { atUs: env.now(), error: response.partitions[0]!.error };
      },
    };
  });
  let shrinkUs = -1;
  world.trace.observe((atUs, e) => {
    if ((e as KafkaEvent).kind === 'isr.shrink') shrinkUs = atUs;
  });
  world.scheduler.run(ms(20_000));
  return { shrinkUs, answerUs: answer.atUs, error: answer.error };
}

describe('broker: alter isr', () => {
  // KAFKA-13091 (3.1): Partition.handleAlterIsrUpdate re-evaluates the HW; before, only the next
  // append or follower fetch did, and in a quiet partition the acks=all produce timed out.
  test('broker: alter isr: from 3.1 the HW moves when the answer commits a shrink; from 2.7 to 3.0 it waits for the next append or fetch', () => {
    const fixed = shrinkUnderAcksAll('3.1');
    expect(fixed.shrinkUs).toBeGreaterThan(ms(2500));
    expect(fixed).toMatchObject({ answerUs: fixed.shrinkUs + ms(1), error: 'NONE' });
    const before = shrinkUnderAcksAll('3.0');
    expect(before.shrinkUs).toBe(fixed.shrinkUs);
    expect(before).toMatchObject({ answerUs: ms(2500) + ms(1) + ms(10_000) + ms(1), error: 'REQUEST_TIMED_OUT' });
    // Before 2.7 the leader's own ZooKeeper write was followed by the HW check.
    const zookeeper = shrinkUnderAcksAll('2.6');
    expect(zookeeper.error).toBe('NONE');
    expect(zookeeper.answerUs).toBe(zookeeper.shrinkUs + ms(1));
  });
});
