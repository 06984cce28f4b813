// The consumer's NetworkClient: answers in order, timeouts per request, resets and closes.
import { describe, expect, test } from 'vitest';
import { World, type Env } from '../../sim/index.js';
import { NetworkClient, type Answer } from '../../src/clients/network-client.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';

type Heard = { atUs: number; correlationId: number; answer: string };

/** A broker that answers Metadata after `delayUs`, or never when `silent`. */
function setUp(options: { delayUs: (n: number) => number; silent?: (n: number) => boolean }) {
  const world = new World<unknown>({ seed: 1, network: { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
  let received = 0;
  let brokerEnv!: Env<unknown>;
  world.spawn('b1', (env) => ({
    onMessage: (from, message, connection) => {
      brokerEnv = env;
      const m = message as Extract<KafkaMessage, { type: 'Metadata' }>;
      const n = received++;
      if (options.silent?.(n) === true) return;
      env.setTimer(options.delayUs(n), () => env.send(from, { type: 'MetadataResponse', correlationId: m.correlationId, controllerId: 1, brokers: [], topics: [] }, connection));
    },
  }));
  const heard: Heard[] = [];
  const disconnects: string[] = [];
  let client!: NetworkClient;
  let clientEnv!: Env<unknown>;
  world.spawn('c1', (env) => {
    clientEnv = env;
    client = new NetworkClient(env, { requestTimeoutUs: 30_000_000, reconnectBackoffUs: 50_000, reconnectBackoffMaxUs: 1_000_000 }, (node, channel) => disconnects.push(`${node}|${channel}`));
    return {
      onMessage: (_from, message) => void client.receive('b1', message as KafkaMessage),
      onUnreachable: (to, _message, connection) => client.connectionLost(to, connection),
      onConnectionClosed: (peer, connection) => client.connectionLost(peer, connection),
    };
  });
  const send = (timeoutUs?: number, channel: 'default' | 'coordinator' = 'default'): void => {
    let id = -1;
    client.send('b1', channel, (correlationId) => {
      id = correlationId;
      return { type: 'Metadata', correlationId, topics: null };
    }, (answer: Answer<KafkaMessage>) => heard.push({ atUs: clientEnv.now(), correlationId: id, answer: answer.ok ? answer.response.type : answer.error }), timeoutUs);
  };
  return { world, heard, disconnects, send, client: () => client, broker: () => brokerEnv };
}

describe('clients: network client', () => {
  test('clients: network client: answers reach their requests in order', () => {
    const t = setUp({ delayUs: () => 5000 });
    t.send();
    t.send();
    t.world.scheduler.run(1_000_000, 1_000_000);
    expect(t.heard.map((h) => h.answer)).toEqual(['MetadataResponse', 'MetadataResponse']);
    expect(t.heard[0]!.correlationId).toBeLessThan(t.heard[1]!.correlationId);
    expect(t.disconnects).toEqual([]);
  });

  test('clients: network client: an answer that overtakes an older request closes the connection, failing both', () => {
    // The first request is never answered; the second's answer proves the first one's was lost.
    const t = setUp({ delayUs: () => 5000, silent: (n) => n === 0 });
    t.send();
    t.send();
    t.world.scheduler.run(1_000_000, 1_000_000);
    expect(t.heard.map((h) => h.answer)).toEqual(['NETWORK_EXCEPTION', 'NETWORK_EXCEPTION']);
    expect(t.disconnects).toEqual(['b1|default']);
  });

  test('clients: network client: a request unanswered for its timeout fails with REQUEST_TIMED_OUT, and the node backs off', () => {
    const t = setUp({ delayUs: () => 5000, silent: () => true });
    t.send(2_000_000);
    t.world.scheduler.run(10_000_000, 1_000_000);
    expect(t.heard).toHaveLength(1);
    expect(t.heard[0]).toMatchObject({ answer: 'REQUEST_TIMED_OUT', atUs: 2_000_000 });
    expect(t.client().readyAtUs('b1', 'default')).toBeGreaterThan(2_000_000);
  });

  test('clients: network client: a request to a node backing off waits until reconnect.backoff.ms has passed, on the coordinator channel too', () => {
    // ConsumerNetworkClient leaves a request unsent until NetworkClient.ready(node): the backoff
    // after a timeout holds back the next request, not only leastLoadedNode's choice.
    const t = setUp({ delayUs: () => 5000, silent: (n) => n === 0 });
    t.send(1_000_000, 'coordinator');
    t.world.scheduler.run(1_000_500, 1_000_000);
    expect(t.heard).toMatchObject([{ answer: 'REQUEST_TIMED_OUT', atUs: 1_000_000 }]);
    const readyUs = t.client().readyAtUs('b1', 'coordinator');
    expect(readyUs).toBeGreaterThanOrEqual(1_040_000); // 50 ms, -20% at most
    t.send(undefined, 'coordinator');
    t.world.scheduler.run(3_000_000, 1_000_000);
    // Sent at readyUs, answered after 1 ms there, 5 ms in the broker and 1 ms back.
    expect(t.heard[1]).toMatchObject({ answer: 'MetadataResponse', atUs: readyUs + 7000 });
  });

  test('clients: network client: a dead broker on a live machine resets the connection at once', () => {
    const t = setUp({ delayUs: () => 5000 });
    t.world.kill('b1');
    t.send();
    t.world.scheduler.run(1_000_000, 1_000_000);
    expect(t.heard).toHaveLength(1);
    expect(t.heard[0]!.answer).toBe('NETWORK_EXCEPTION');
    expect(t.heard[0]!.atUs).toBeLessThan(10_000);
  });

  test('clients: network client: a request sent into a short cut is answered after the heal (TCP retransmits it)', () => {
    const t = setUp({ delayUs: () => 5000 });
    const cut = t.world.network.isolate('b1', 'scripted');
    t.send();
    t.world.scheduler.run(3_000_000, 1_000_000);
    t.world.network.heal(cut);
    t.world.scheduler.run(20_000_000, 1_000_000);
    expect(t.heard.map((h) => h.answer)).toEqual(['MetadataResponse']);
    expect(t.disconnects).toEqual([]);
  });

  test('clients: network client: a timed-out request closes its connection; its late answer never reaches the next request', () => {
    // b1 answers the first request after 3 s, the next at once; request.timeout.ms is 2 s here.
    const t = setUp({ delayUs: (n) => (n === 0 ? 3_000_000 : 5000) });
    t.send(2_000_000);
    t.world.scheduler.run(2_500_000, 1_000_000);
    t.send(2_000_000); // on a new connection: the first one is closed
    t.world.scheduler.run(10_000_000, 1_000_000);
    expect(t.heard.map((h) => h.answer)).toEqual(['REQUEST_TIMED_OUT', 'MetadataResponse']);
    expect(t.heard[1]!.atUs).toBeLessThan(2_600_000); // its own answer, not the first one's at 3 s
  });

  test('clients: network client: the coordinator connection and the default one to the same broker end independently', () => {
    const t = setUp({ delayUs: () => 1_000_000 });
    t.send(undefined, 'default');
    t.send(undefined, 'coordinator');
    t.world.scheduler.run(100_000, 1_000_000);
    t.broker().disconnect('c1', 'coordinator#2'); // the broker closes the second connection it accepted
    t.world.scheduler.run(5_000_000, 1_000_000);
    expect(t.heard.map((h) => h.answer)).toEqual(['NETWORK_EXCEPTION', 'MetadataResponse']);
    expect(t.disconnects).toEqual(['b1|coordinator']);
  });
});
