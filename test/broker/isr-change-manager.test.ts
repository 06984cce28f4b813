// The leader's side of KIP-497: how its ISR changes travel to the controller (AlterIsrManager /
// AlterPartitionManager) and back. A leader process with the manager alone, and stand-in
// controllers that answer as the script says.
import { describe, expect, test } from 'vitest';
import { World, type Env } from '../../sim/index.js';
import type { BrokerSettings } from '../../src/broker/config.js';
import { InFlightRequests, type BrokerContext } from '../../src/broker/context.js';
import { AlterPartitionManager, type BrokerMetadata } from '../../src/broker/isr-change-manager.js';
import { PartitionLog } from '../../src/broker/log.js';
import { Partition, type PendingIsrChange } from '../../src/broker/partition.js';
import { behaviourOf } from '../../src/broker/profile.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { AlterPartitionResult, KafkaMessage } from '../../src/kafka/protocol.js';
import type { ZkClient } from '../../src/zookeeper/api.js';

type AlterPartition = Extract<KafkaMessage, { type: 'AlterPartition' }>;
type Response = Extract<KafkaMessage, { type: 'AlterPartitionResponse' }>;

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NEVER = Number.MAX_SAFE_INTEGER;
const ms = (n: number): number => n * 1000;

interface Leader {
  readonly world: World<unknown>;
  /** Runs `fn` inside the leader process, at `atMs`, with its manager and partitions. */
  at(atMs: number, fn: (leader: { manager: AlterPartitionManager; partition(n: number): Partition }) => void): void;
  readonly answers: { atUs: number; partition: number; answer: AlterPartitionResult }[];
  readonly retries: Extract<KafkaEvent, { kind: 'isr.alter-retry' }>[];
}

/** A leader, b1 (broker epoch 7), of partitions t-0..t-2 with replicas [1, 2, 3] and ISR [1, 2]; `controller()` names the controller's node. */
function leader(profile: string, controller: () => string | null): Leader {
  const world = new World<unknown>({ seed: 1, network });
  const answers: Leader['answers'] = [];
  const retries: Leader['retries'] = [];
  let schedule: Leader['at'] = () => {
    throw new Error('the leader process is not running');
  };
  world.trace.observe((_atUs, e) => {
    if (e.kind === 'isr.alter-retry') retries.push(e as Extract<KafkaEvent, { kind: 'isr.alter-retry' }>);
  });
  world.spawn('b1', (env: Env<unknown>) => {
    const requests = new InFlightRequests(env);
    const ctx: BrokerContext = {
      id: 1, node: 'b1', env, zk: null as unknown as ZkClient,
      settings: { controllerSocketTimeoutMs: 30_000 } as BrokerSettings,
      behaviour: behaviourOf(profile),
      topicSettings: () => { throw new Error('not used'); },
      trace: (event, keep = true) => env.trace(event, keep),
      request: (to, build, timeoutMs, onResponse) => requests.send(to, build, timeoutMs, onResponse),
    };
    const metadata: BrokerMetadata = { controllerNode: controller, brokerEpoch: () => 7, isAliveBroker: () => true };
    const manager = new AlterPartitionManager(ctx, metadata);
    const partitions = [0, 1, 2].map((n) => {
      const log = new PartitionLog('t', n, env.disk, { intervalMessages: NEVER, intervalMs: NEVER }, 0);
      const p = new Partition('t', n, 1, log, 0);
      p.makeLeader({ topic: 't', partition: n, controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1, 2], zkVersion: 0, replicas: [1, 2, 3] }, 0);
      return p;
    });
    schedule = (atMs, fn) => void env.setTimer(ms(atMs) - env.now(), () => fn({ manager, partition: (n) => partitions[n]! }));
    return { onMessage: (_from, m) => void requests.complete(m as Response) };
  });
  return {
    world, answers, retries,
    at(atMs, fn) {
      schedule(atMs, fn);
    },
  };
}

/** Submits an expansion of partition `n` (adding 3), recording its answer. */
function expand(l: Leader, env: { now(): number }, manager: AlterPartitionManager, p: Partition): PendingIsrChange {
  const change = p.prepareIsrExpand(3);
  manager.submit(p, change, (answer) => l.answers.push({ atUs: env.now(), partition: p.partition, answer }));
  return change;
}

/** A stand-in controller: keeps each request with its arrival time and answers as `answer` says (null: never). */
function controller(world: World<unknown>, node: string, answer: (request: AlterPartition, n: number) => Omit<Response, 'type' | 'correlationId'> | null): { atUs: number; request: AlterPartition }[] {
  const received: { atUs: number; request: AlterPartition }[] = [];
  world.spawn(node, (env) => ({
    onMessage: (from, m) => {
      const request = m as KafkaMessage;
      if (request.type !== 'AlterPartition') return;
      received.push({ atUs: env.now(), request });
      const body = answer(request, received.length);
      if (body !== null) env.send(from, { type: 'AlterPartitionResponse', correlationId: request.correlationId, ...body });
    },
  }));
  return received;
}

const granted = (request: AlterPartition): Omit<Response, 'type' | 'correlationId'> => ({
  error: 'NONE',
  partitions: request.partitions.map((d) => ({ topic: d.topic, partition: d.partition, error: 'NONE', leader: 1, leaderEpoch: d.leaderEpoch, isr: d.newIsr, zkVersion: d.zkVersion + 1 })),
});

describe('broker: alter partition manager', () => {
  // DefaultAlterIsrManager (2.8.2): one request in flight; what is submitted meanwhile waits for its answer.
  test('broker: alter partition manager: one request at a time; changes submitted meanwhile go together in the next one', () => {
    const l = leader('3.9', () => 'c1');
    const got = controller(l.world, 'c1', (request) => granted(request));
    let env = { now: () => 0 };
    l.at(10, ({ manager, partition }) => {
      env = { now: () => l.world.scheduler.now() };
      expand(l, env, manager, partition(0));
      expand(l, env, manager, partition(1)); // the first request is in flight
      expand(l, env, manager, partition(2));
    });
    l.world.scheduler.run(ms(1000));
    expect(got.map((g) => g.request.partitions.map((d) => d.partition))).toEqual([[0], [1, 2]]);
    expect(got[0]!.request).toMatchObject({ brokerId: 1, brokerEpoch: 7, partitions: [{ topic: 't', partition: 0, leaderEpoch: 0, newIsr: [1, 2, 3], zkVersion: 0 }] });
    expect(got[1]!.atUs).toBe(ms(13)); // sent as the first answer came back (12 ms), 1 ms on the wire
    expect(l.answers.map((a) => [a.partition, a.answer.error, a.answer.zkVersion])).toEqual([[0, 'NONE', 1], [1, 'NONE', 1], [2, 'NONE', 1]]);
  });

  // AlterIsrManagerImpl.start (2.7.0): scheduler.schedule("send-alter-isr", propagateIsrChanges, 50, 50 ms).
  test('broker: alter partition manager: 2.7 sends its changes on a 50 ms schedule, 2.8 at once', () => {
    const sent = (profile: string): number => {
      const l = leader(profile, () => 'c1');
      const got = controller(l.world, 'c1', (request) => granted(request));
      l.at(10, ({ manager, partition }) => expand(l, { now: () => l.world.scheduler.now() }, manager, partition(0)));
      l.world.scheduler.run(ms(1000));
      return got[0]!.atUs;
    };
    expect(sent('2.7')).toBe(ms(51)); // the tick at 50 ms, then 1 ms on the wire
    expect(sent('2.8')).toBe(ms(11));
  });

  // KAFKA-12686 (3.0) / AlterPartitionManager.submit: putIfAbsent fails, OperationNotAttemptedException.
  test('broker: alter partition manager: a second change of a partition whose first is unanswered is not sent: OPERATION_NOT_ATTEMPTED at once (3.0+)', () => {
    const l = leader('3.9', () => 'c1');
    const got = controller(l.world, 'c1', () => null); // never answers
    l.at(10, ({ manager, partition }) => {
      const p = partition(0);
      const env = { now: () => l.world.scheduler.now() };
      const first = expand(l, env, manager, p);
      // A LeaderAndIsr resets the partition; its next change finds the first still unanswered.
      p.makeLeader({ topic: 't', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 1, isr: [1, 2], zkVersion: 1, replicas: [1, 2, 3] }, 10_000);
      const second = expand(l, env, manager, p);
      expect(second).not.toBe(first);
      expect(l.answers.map((a) => a.answer.error)).toEqual(['OPERATION_NOT_ATTEMPTED']);
    });
    l.world.scheduler.run(ms(1000));
    expect(got).toHaveLength(1);
  });

  // AlterIsrManager.clearPending (2.7.0, 2.8.2), called by makeLeader / makeFollower.
  test('broker: alter partition manager: in 2.8 a LeaderAndIsr drops the partition\'s unanswered change: it is not sent again', () => {
    const l = leader('2.8', () => 'c1');
    const got = controller(l.world, 'c1', (request, n) => (n === 1 ? null : granted(request)));
    l.at(10, ({ manager, partition }) => {
      const p = partition(0);
      expand(l, { now: () => l.world.scheduler.now() }, manager, p);
      manager.clearPending(p.key);
    });
    // The first request times out after controller.socket.timeout.ms and is sent again, without the cleared change.
    l.world.scheduler.run(ms(40_000));
    expect(got.map((g) => g.request.partitions.length)).toEqual([1]);
    expect(l.answers).toEqual([]);
  });

  // BrokerToControllerRequestThread.handleResponse: disconnected or NOT_CONTROLLER -> the request
  // goes back to the head of the queue, for the controller the metadata names next.
  test('broker: alter partition manager: a change the controller refuses with NOT_CONTROLLER, then does not answer, is sent again to the controller the metadata names then', () => {
    let current = 'c1';
    const l = leader('3.9', () => current);
    const old = controller(l.world, 'c1', (_request, n) => (n === 1 ? { error: 'NOT_CONTROLLER', partitions: [] } : null));
    const next = controller(l.world, 'c2', (request) => granted(request));
    l.at(10, ({ manager, partition }) => expand(l, { now: () => l.world.scheduler.now() }, manager, partition(0)));
    l.at(20_000, () => (current = 'c2')); // too late for the request in flight: it waits for its timeout
    l.world.scheduler.run(ms(60_000));
    // NOT_CONTROLLER at 12 ms: again 50 ms later to c1, still named; unanswered for
    // controller.socket.timeout.ms, then 50 ms later to c2.
    expect(old.map((g) => g.atUs)).toEqual([ms(11), ms(63)]);
    expect(l.retries.map((r) => r.why)).toEqual(['NOT_CONTROLLER', 'no-answer']);
    expect(next.map((g) => g.atUs)).toEqual([ms(30_062) + ms(50) + ms(1)]);
    expect(l.answers.map((a) => [a.answer.error, a.answer.isr])).toEqual([['NONE', [1, 2, 3]]]);
  });

  // A top-level error (STALE_BROKER_EPOCH) answers no partition: the changes stay unsent, sent again 50 ms later.
  test('broker: alter partition manager: a top-level refusal leaves every change unsent, tried again 50 ms later', () => {
    const l = leader('3.9', () => 'c1');
    const got = controller(l.world, 'c1', (request, n) => (n === 1 ? { error: 'STALE_BROKER_EPOCH', partitions: [] } : granted(request)));
    l.at(10, ({ manager, partition }) => expand(l, { now: () => l.world.scheduler.now() }, manager, partition(0)));
    l.world.scheduler.run(ms(1000));
    expect(got.map((g) => g.atUs)).toEqual([ms(11), ms(12) + ms(50) + ms(1)]);
    expect(l.retries.map((r) => r.why)).toEqual(['STALE_BROKER_EPOCH']);
    expect(l.answers.map((a) => a.answer.error)).toEqual(['NONE']);
  });
});
