// Incremental fetch sessions (KIP-227): a follower lists only the partitions whose fetch offset or
// leader epoch changed; its leader reads every partition of the session anyway and answers those
// with records, a new high watermark or an error. Idle partitions cost neither side much, and a
// follower sitting caught up on an idle partition stays in the ISR for as long as it fetches.
import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import type { FetchPartition, FetchSessionRequest, KafkaMessage, PartitionState } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import { PartitionLog } from '../../src/broker/log.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';
import { createZkClient } from '../../src/zookeeper/client.js';
import { brokerPath, topicPath, type BrokerRegistration, type TopicAssignment } from '../../src/broker/zk-paths.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
type Fetch = Extract<KafkaMessage, { type: 'Fetch' }>;
type FetchResponse = Extract<KafkaMessage, { type: 'FetchResponse' }>;

const ms = (n: number): number => n * 1000;

function state(partition: number, leader: number, replicas: number[]): PartitionState {
  return { topic: 't', partition, controllerEpoch: 1, leader, leaderEpoch: 1, isr: replicas, zkVersion: 0, replicas };
}

function batch(seqs: number[]): RecordBatch {
  return { baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, records: seqs.map((seq) => ({ key: null, producer: 'p1', seq })) };
}

/**
 * One real broker, b<id>, told by a stand-in controller that b1 leads the given partitions of t
 * (replicas 1 and 2): b1 itself becomes their leader, b2 their follower.
 */
function brokerToldB1Leads(id: 1 | 2, partitions: number[]): World<unknown> {
  const node = `b${id}`;
  const world = new World<unknown>({ seed: 1, network });
  world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
  world.spawn(node, broker({ id, node, zookeeperNode: 'zk', profile: '3.9', config: {}, zookeeper: {}, topicConfigs: new Map() }));
  world.spawn('controller', (env) => {
    // Sent once the broker has registered, as a controller does (before, it refuses or parks requests).
    env.setTimer(ms(100), () => env.send(node, {
      type: 'LeaderAndIsr', correlationId: 1, controllerId: 9, controllerEpoch: 1, brokerEpoch: -1, liveLeaders: [{ id: 1, node: 'b1' }],
      partitionStates: partitions.map((p) => state(p, 1, [1, 2])),
    }));
    return { onMessage: () => {} };
  });
  return world;
}

/** A cluster of one real broker, b1, made leader of t-0..t-2 (replicas 1 and 2) by a stand-in controller. */
function leaderB1(): World<unknown> {
  return brokerToldB1Leads(1, [0, 1, 2]);
}

/** A stand-in follower, replica 2: sends each fetch at its time and keeps every answer with its arrival time. */
function follower(world: World<unknown>, fetches: readonly { readonly atMs: number; readonly fetch: (sessionId: number) => Omit<Fetch, 'type' | 'correlationId' | 'replicaId'> }[]): { atUs: number; response: FetchResponse }[] {
  const answers: { atUs: number; response: FetchResponse }[] = [];
  world.spawn('b2', (env) => {
    let sessionId = 0;
    fetches.forEach(({ atMs, fetch }, i) => env.setTimer(ms(atMs), () => env.send('b1', { type: 'Fetch', correlationId: i + 1, replicaId: 2, ...fetch(sessionId) })));
    return {
      onMessage: (_from, m) => {
        const message = m as KafkaMessage;
        if (message.type !== 'FetchResponse') return;
        if (message.sessionId !== 0) sessionId = message.sessionId;
        answers.push({ atUs: env.now(), response: message });
      },
    };
  });
  return answers;
}

function producer(world: World<unknown>, sends: readonly { readonly atMs: number; readonly partition: number; readonly seqs: number[] }[]): void {
  world.spawn('p1', (env) => {
    sends.forEach(({ atMs, partition, seqs }, i) =>
      env.setTimer(ms(atMs), () => env.send('b1', { type: 'Produce', correlationId: i + 1, acks: 1, timeoutMs: 30_000, partitions: [{ topic: 't', partition, batch: batch(seqs) }] } as KafkaMessage)));
    return { onMessage: () => {} };
  });
}

const incremental = (epoch: number, partitions: FetchPartition[] = [], forgotten: { topic: string; partition: number }[] = [], maxWaitMs = 0) =>
  (sessionId: number): Omit<Fetch, 'type' | 'correlationId' | 'replicaId'> => ({ maxWaitMs, full: false, session: { id: sessionId, epoch, forgotten } satisfies FetchSessionRequest, partitions });

const at = (partition: number, fetchOffset: number, currentLeaderEpoch = 1): FetchPartition => ({ topic: 't', partition, fetchOffset, currentLeaderEpoch });

/** An answer as `partition:error:highWatermark:records` per partition, or the session error. */
function summary(response: FetchResponse): string[] | string {
  if (response.error !== 'NONE') return response.error;
  return response.partitions.map((p) => `${p.partition}:${p.error}:${p.highWatermark}:${p.batches.reduce((n, b) => n + b.records.length, 0)}`);
}

/** A real broker b2, told by a stand-in controller to follow t-0 and t-1 from b1 (a stand-in the test spawns). */
function followerOfB1(): World<unknown> {
  return brokerToldB1Leads(2, [0, 1]);
}

describe('broker: fetch session (KIP-227)', () => {
  test('broker: fetch session: the leader answers a full fetch for every partition, then only partitions with records, a new high watermark or an error', () => {
    const world = leaderB1();
    producer(world, [{ atMs: 2200, partition: 1, seqs: [1, 2] }, { atMs: 2750, partition: 1, seqs: [3] }, { atMs: 3100, partition: 0, seqs: [4] }]);
    const answers = follower(world, [
      { atMs: 2000, fetch: () => ({ maxWaitMs: 0, full: true, session: { id: 0, epoch: 0, forgotten: [] }, partitions: [at(0, 0), at(1, 0), at(2, 0)] }) },
      { atMs: 2100, fetch: incremental(1) }, // nothing new anywhere
      { atMs: 2300, fetch: incremental(2) }, // t-1 has two records now, though the fetch names no partition
      { atMs: 2400, fetch: incremental(3, [at(1, 2)]) }, // the follower has them: the high watermark moves
      { atMs: 2500, fetch: incremental(4) },
      { atMs: 2600, fetch: incremental(4) }, // the same epoch again
      { atMs: 2700, fetch: (id) => incremental(5)(id + 100) }, // a session the leader never opened
      { atMs: 2800, fetch: incremental(5, [], [{ topic: 't', partition: 1 }]) }, // t-1 forgotten: its new record is not answered
      { atMs: 3000, fetch: incremental(6, [], [], 500) }, // waits in purgatory until t-0 gets a record at 3.1 s
    ]);
    world.scheduler.run(ms(4000));
    expect(answers.map((a) => summary(a.response))).toEqual([
      ['0:NONE:0:0', '1:NONE:0:0', '2:NONE:0:0'],
      [],
      ['1:NONE:0:2'],
      ['1:NONE:2:0'],
      [],
      'INVALID_FETCH_SESSION_EPOCH',
      'FETCH_SESSION_ID_NOT_FOUND',
      [],
      ['0:NONE:0:1'],
    ]);
    // The append woke the waiting fetch: answered one round trip after the produce, not after maxWaitMs.
    expect(answers[8]!.atUs).toBeLessThan(ms(3110));
  });

  test('broker: fetch session: a follower lists only the partitions that changed, and opens a new session after the leader refuses its own', () => {
    const world = followerOfB1();
    // A stand-in leader b1: answers truncation questions, and each fetch as the script says.
    const fetches: { atUs: number; fetch: Fetch }[] = [];
    const full = { error: 'NONE' as const, sessionId: 7, partitions: [0, 1].map((p) => ({ topic: 't', partition: p, error: 'NONE' as const, highWatermark: 0, logStartOffset: 0, batches: [] })) };
    const withRecords = { error: 'NONE' as const, sessionId: 7, partitions: [{ topic: 't', partition: 0, error: 'NONE' as const, highWatermark: 0, logStartOffset: 0, batches: [{ ...batch([1, 2]), baseOffset: 0, leaderEpoch: 1 }] }] };
    const answers = [full, withRecords, { error: 'FETCH_SESSION_ID_NOT_FOUND' as const, sessionId: 0, partitions: [] }, full];
    world.spawn('b1', (env) => ({
      onMessage: (from, m) => {
        const message = m as KafkaMessage;
        if (message.type === 'OffsetsForLeaderEpoch') {
          env.send(from, { type: 'OffsetsForLeaderEpochResponse', correlationId: message.correlationId, partitions: message.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: 'NONE' as const, leaderEpoch: -1, endOffset: -1 })) });
        } else if (message.type === 'Fetch') {
          fetches.push({ atUs: env.now(), fetch: message });
          const answer = answers[fetches.length - 1];
          if (answer !== undefined) env.send(from, { type: 'FetchResponse', correlationId: message.correlationId, ...answer });
        }
      },
    }));
    world.scheduler.run(ms(4000));
    const shape = ({ fetch }: { fetch: Fetch }): string => `${fetch.session?.id}/${fetch.session?.epoch} [${fetch.partitions.map((p) => `${p.partition}@${p.fetchOffset}`).join(' ')}]`;
    expect(fetches.map(shape)).toEqual([
      '0/0 [0@0 1@0]', // a full fetch opens the session
      '7/1 []', // nothing changed: nothing listed
      '7/2 [0@2]', // t-0 got two records: only its fetch offset changed
      '0/0 [0@2 1@0]', // the leader lost the session: a full fetch opens a new one
      '7/1 []',
    ]);
    // A refused session is opened again at once, not after replica.fetch.backoff.ms.
    expect(fetches[3]!.atUs - fetches[2]!.atUs).toBeLessThan(ms(10));
  });

  test('broker: fetcher: a partition whose truncation answer is an error waits replica.fetch.backoff.ms, while the others fetch', () => {
    // AbstractFetcherThread.delayPartitions: t-0's OffsetsForLeaderEpoch comes back
    // UNKNOWN_LEADER_EPOCH, so t-0 is asked about again only after a second (the backoff), not at
    // once in a loop; t-1, truncated, fetches meanwhile (the stand-in leader long-polls 400 ms).
    // Both logs hold a record of epoch 0: a 3.9 follower with no epoch would not ask at all.
    const world = followerOfB1();
    for (const partition of [0, 1]) new PartitionLog('t', partition, world.disk('b2'), { intervalMessages: 1, intervalMs: 0 }, 0).appendAsLeader(batch([1]), 0, 0);
    const asked: { atUs: number; partitions: number[] }[] = [];
    const fetched: number[][] = [];
    world.spawn('b1', (env) => ({
      onMessage: (from, m) => {
        const message = m as KafkaMessage;
        if (message.type === 'OffsetsForLeaderEpoch') {
          asked.push({ atUs: env.now(), partitions: message.partitions.map((p) => p.partition) });
          env.send(from, {
            type: 'OffsetsForLeaderEpochResponse', correlationId: message.correlationId,
            partitions: message.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: p.partition === 0 ? 'UNKNOWN_LEADER_EPOCH' as const : 'NONE' as const, leaderEpoch: -1, endOffset: -1 })),
          });
        } else if (message.type === 'Fetch') {
          fetched.push(message.partitions.map((p) => p.partition));
          env.setTimer(ms(400), () => env.send(from, { type: 'FetchResponse', correlationId: message.correlationId, error: 'NONE', sessionId: 7, partitions: [] }));
        }
      },
    }));
    world.scheduler.run(ms(3000));
    const askedAboutT0 = asked.filter((a) => a.partitions.includes(0)).map((a) => a.atUs);
    expect(askedAboutT0.length).toBe(3);
    for (let i = 1; i < askedAboutT0.length; i++) expect(askedAboutT0[i]! - askedAboutT0[i - 1]!).toBeGreaterThanOrEqual(ms(1000));
    // The session carries t-1 alone: listed once, then nothing changed.
    expect(fetched[0]).toEqual([1]);
    expect(fetched.slice(1).every((partitions) => partitions.length === 0)).toBe(true);
  });

  test('broker: fetch session: an idle partition skipped by the leader still dates its follower\'s last catch-up to its last fetch', () => {
    // t-1 stays idle while replica 2 fetches (every 100 ms from 2 s to 9.9 s), so the leader skips
    // it in each read of the session. A record comes at 12 s, after the fetches stopped: the
    // follower lags from then on, and its lag counts from its last fetch (9.901 s, one hop later).
    // The ISR check runs every 15 s from the end of the log loading (at 2 ms, once connected to
    // ZooKeeper: ReplicaManager.startup follows LogManager's), so the one at 30.002 s keeps it
    // (20 s) and the one at 45.002 s drops it, 35.101 s behind (committed 4 ms later: the
    // AlterPartition to the controller, b1 itself, 1 ms; its ZooKeeper write, 2 ms; the answer,
    // 1 ms). t-0 never gets a record: a follower at the leader's log end is never out of sync.
    const world = new World<unknown>({ seed: 1, network });
    world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile: '3.9', config: {}, zookeeper: {}, topicConfigs: new Map() }));
    world.spawn('admin', (env) => {
      // Registers broker 2 for the stand-in follower (from 3.3 a leader adds to the ISR only a
      // broker its metadata has alive, KAFKA-14140), then creates topic t, replicas [1, 2]: b1,
      // the controller, leads, with ISR [1, 2].
      const zk = createZkClient(env, { server: 'zk', sessionTimeoutMs: 18_000 });
      const assignment: TopicAssignment = { version: 2, partitions: { 0: [1, 2], 1: [1, 2] } };
      const registration: BrokerRegistration = { node: 'b2', version: 5 };
      zk.create('/brokers', null, 'PERSISTENT', () => zk.create('/brokers/ids', null, 'PERSISTENT', () => zk.create(brokerPath(2), registration, 'EPHEMERAL', () =>
        zk.create('/brokers/topics', null, 'PERSISTENT', () => zk.create(topicPath('t'), assignment, 'PERSISTENT', () => {})))));
      return { onMessage: (from, m) => void zk.handle(from, m) };
    });
    producer(world, [{ atMs: 12_000, partition: 1, seqs: [1] }]);
    const fetches: { atMs: number; fetch: (sessionId: number) => Omit<Fetch, 'type' | 'correlationId' | 'replicaId'> }[] = [
      { atMs: 2000, fetch: () => ({ maxWaitMs: 0, full: true, session: { id: 0, epoch: 0, forgotten: [] }, partitions: [at(0, 0, -1), at(1, 0, -1)] }) },
    ];
    for (let i = 1; i < 80; i++) fetches.push({ atMs: 2000 + 100 * i, fetch: incremental(i) });
    const answers = follower(world, fetches);
    const shrinks: { atUs: number; event: unknown }[] = [];
    world.trace.observe((atUs, event) => {
      if (event.kind === 'isr.shrink') shrinks.push({ atUs, event });
    });
    world.scheduler.run(ms(60_000));
    expect(answers.every((a) => a.response.error === 'NONE')).toBe(true);
    expect(shrinks).toEqual([{ atUs: ms(45_002) + 4 * 1000, event: { kind: 'isr.shrink', broker: 1, topic: 't', partition: 1, leaderEpoch: 0, isr: [1], removed: [2], lagMs: 35_101 } }]);
  });
});
