// A zombie controller (one that lost its session without noticing) must not change a broker's
// mind: a broker refuses a controller epoch older than one it has heard from, and (KIP-380) a
// request meant for an older registration of itself, such as its predecessor's before a restart.
import { describe, expect, test } from 'vitest';
import { World, type Env } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

describe('broker: controller fencing', () => {
  test('broker: controller fencing: a LeaderAndIsr from an older controller epoch gets STALE_CONTROLLER_EPOCH', () => {
    const world = new World<unknown>({ seed: 1, network });
    world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile: '3.9', config: {}, zookeeper: {}, topicConfigs: new Map() }));
    const answers: string[] = [];
    world.spawn('old-controller', (env) => {
      const leaderAndIsr = (correlationId: number, controllerEpoch: number): KafkaMessage => ({
        type: 'LeaderAndIsr', correlationId, controllerId: 9, controllerEpoch, brokerEpoch: -1, liveLeaders: [{ id: 1, node: 'b1' }],
        partitionStates: [{ topic: 't', partition: 0, controllerEpoch, leader: 1, leaderEpoch: controllerEpoch, isr: [1], zkVersion: 0, replicas: [1] }],
      });
      env.setTimer(1_000_000, () => env.send('b1', leaderAndIsr(1, 5)));
      env.setTimer(2_000_000, () => env.send('b1', leaderAndIsr(2, 3)));
      return {
        onMessage: (_from, m) => {
          const message = m as KafkaMessage;
          if (message.type === 'LeaderAndIsrResponse') answers.push(`${message.correlationId}:${message.error}`);
        },
      };
    });
    const fenced: unknown[] = [];
    world.trace.observe((_t, e) => {
      if (e.kind === 'controller.fenced') fenced.push(e);
    });
    world.scheduler.run(3_000_000);
    expect(answers).toEqual(['1:NONE', '2:STALE_CONTROLLER_EPOCH']);
    expect(fenced).toEqual([{ kind: 'controller.fenced', broker: 9, staleEpoch: 3, currentEpoch: 5 }]);
  });

  test('broker: KIP-380: a request for an older registration gets STALE_BROKER_EPOCH; one sent before the registration waits for it', () => {
    const world = new World<unknown>({ seed: 1, network });
    world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile: '3.9', config: {}, zookeeper: {}, topicConfigs: new Map() }));
    let registeredAt = -1;
    let brokerEpoch = -1;
    const stale: unknown[] = [];
    const answers: string[] = [];
    const refused: number[] = [];
    const updateMetadata = (correlationId: number, epoch: number): KafkaMessage => ({
      type: 'UpdateMetadata', correlationId, controllerId: 9, controllerEpoch: 1, brokerEpoch: epoch, partitionStates: [], liveBrokers: [{ id: 1, node: 'b1' }],
    });
    let controller: Env<unknown> | null = null;
    world.trace.observe((t, e) => {
      const event = e as { kind: string; brokerEpoch?: number };
      // Its logs are loaded, its registration not yet answered: the request waits for it.
      if (event.kind === 'broker.started') controller!.send('b1', updateMetadata(1, -1));
      if (event.kind === 'broker.registered') [registeredAt, brokerEpoch] = [t, event.brokerEpoch!];
      if (event.kind === 'broker.stale-request') stale.push(e);
    });
    world.spawn('controller', (env) => {
      controller = env;
      env.send('b1', updateMetadata(0, -1)); // before b1 has even connected to ZooKeeper: no listener yet
      env.setTimer(1_000_000, () => env.send('b1', updateMetadata(2, brokerEpoch - 1)));
      env.setTimer(2_000_000, () => env.send('b1', updateMetadata(3, brokerEpoch)));
      return {
        onMessage: (_from, m) => {
          const message = m as KafkaMessage;
          if (message.type === 'UpdateMetadataResponse') answers.push(`${message.correlationId}:${message.error}@${world.now() > registeredAt}`);
        },
        onUnreachable: (_to, m) => refused.push((m as { correlationId: number }).correlationId),
      };
    });
    world.scheduler.run(3_000_000);
    expect(brokerEpoch).toBeGreaterThan(0);
    expect(refused).toEqual([0]);
    expect(answers).toEqual(['1:NONE@true', '2:STALE_BROKER_EPOCH@true', '3:NONE@true']);
    expect(stale).toEqual([{ kind: 'broker.stale-request', broker: 1, request: 'UpdateMetadata', requestBrokerEpoch: brokerEpoch - 1, brokerEpoch }]);
  });
});
