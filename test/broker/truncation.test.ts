// A follower's truncation by leader epoch, per release line: one OffsetsForLeaderEpoch round
// before 2.0 (KIP-101: the leader's end offset alone), rounds until the answer names an epoch
// both know since 2.0 (KIP-279), and KIP-320's epoch errors since 2.1. A real broker b2 follows
// a stand-in leader b1 that answers from a real log built as the test says.
import { describe, expect, test } from 'vitest';
import { World, type TraceEvent } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import { PartitionLog } from '../../src/broker/log.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { KafkaMessage, PartitionState } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NEVER = Number.MAX_SAFE_INTEGER;
const ms = (n: number): number => n * 1000;

type Round = Extract<KafkaEvent, { kind: 'truncation.round' }>;

/**
 * A log of t-0 on `node`'s disk holding, in order, `count` records written in each `epoch`. A
 * record is named by its epoch and offset (`e2@3`): one leader writes an epoch, so two logs hold
 * the same record at an offset exactly when they hold the same epoch there.
 */
function seedLog(world: World<unknown>, node: string, epochs: readonly (readonly [epoch: number, count: number])[]): PartitionLog {
  const log = new PartitionLog('t', 0, world.disk(node), { intervalMessages: NEVER, intervalMs: NEVER }, 0);
  for (const [epoch, count] of epochs) {
    // No records: an epoch its leader cached when elected and never wrote in (KAFKA-7415).
    if (count === 0) {
      log.assignEpochStartOffset(epoch, log.logEndOffset);
      continue;
    }
    const records = Array.from({ length: count }, (_, i) => ({ key: `e${epoch}@${log.logEndOffset + i}`, producer: 'p1', seq: log.logEndOffset + i }));
    log.appendAsLeader({ baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, records }, epoch, 0);
  }
  return log;
}

const keys = (log: PartitionLog): string[] => log.read(0, 1000).flatMap((b: RecordBatch) => b.records.map((r) => r.key!));

interface Follower {
  readonly world: World<unknown>;
  readonly rounds: Round[];
  readonly truncations: Extract<KafkaEvent, { kind: 'truncate' }>[];
  /** When b1 was asked ListOffsets. */
  readonly listed: number[];
  /** Each OffsetsForLeaderEpoch the stand-in leader got: the epoch asked about and the current leader epoch it carried. */
  readonly asked: { leaderEpoch: number; currentLeaderEpoch: number }[];
  /** The follower's log of t-0, as its broker holds it on disk. */
  log(): PartitionLog;
}

interface Options {
  /** How b1 answers OffsetsForLeaderEpoch: from its log as the profile's cache would, with an error, or "cannot say". */
  readonly epochAnswer?: 'log' | 'FENCED_LEADER_EPOCH' | 'UNDEFINED_EPOCH_OFFSET';
  /** The same leader in later epochs (the controller changed the ISR, say). */
  readonly laterEpochs?: readonly { readonly atMs: number; readonly leaderEpoch: number }[];
  /** b2's checkpointed high watermark of t-0 (replication-offset-checkpoint), 0 when not given. */
  readonly followerHighWatermark?: number;
}

/**
 * A real broker b2 on `profile`, whose log of t-0 is `followerEpochs`, told by a stand-in
 * controller at 100 ms to follow b1 in `leaderEpoch`; b1, a stand-in, answers OffsetsForLeaderEpoch
 * from a log of `leaderEpochs` as `profile`'s cache would, and serves fetches (OFFSET_OUT_OF_RANGE
 * past its end) and ListOffsets from that log.
 */
function followerOf(profile: string, followerEpochs: readonly (readonly [number, number])[], leaderEpochs: readonly (readonly [number, number])[], leaderEpoch: number, options: Options = {}): Follower & { leaderLog: PartitionLog } {
  const world = new World<unknown>({ seed: 1, network });
  world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
  world.spawn('b2', broker({ id: 2, node: 'b2', zookeeperNode: 'zk', profile, config: {}, zookeeper: {}, topicConfigs: new Map() }));
  seedLog(world, 'b2', followerEpochs);
  if (options.followerHighWatermark !== undefined) {
    // The checkpoint is read when the broker starts: write it, then start b2 again.
    const checkpoint = world.disk('b2').file<[string, number][]>('replication-offset-checkpoint');
    checkpoint.overwrite([[['t-0', options.followerHighWatermark]]]);
    checkpoint.flush();
    world.kill('b2');
    world.restart('b2');
  }
  const rounds: Round[] = [];
  const truncations: Extract<KafkaEvent, { kind: 'truncate' }>[] = [];
  world.trace.observe((_atUs: number, event: TraceEvent) => {
    if (event.kind === 'truncation.round') rounds.push(event as unknown as Round);
    if (event.kind === 'truncate') truncations.push(event as unknown as Extract<KafkaEvent, { kind: 'truncate' }>);
  });
  const state: PartitionState = { topic: 't', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch, isr: [1], zkVersion: 0, replicas: [1, 2] };
  world.spawn('controller', (env) => {
    // Sent once b2 has loaded its logs and registered, as a controller does (before, it refuses or parks requests).
    env.setTimer(ms(100), () => env.send('b2', { type: 'LeaderAndIsr', correlationId: 1, controllerId: 9, controllerEpoch: 1, brokerEpoch: -1, liveLeaders: [{ id: 1, node: 'b1' }], partitionStates: [state] }));
    (options.laterEpochs ?? []).forEach(({ atMs, leaderEpoch: epoch }, i) => env.setTimer(ms(atMs), () => env.send('b2', {
      type: 'LeaderAndIsr', correlationId: i + 2, controllerId: 9, controllerEpoch: 1, brokerEpoch: -1, liveLeaders: [{ id: 1, node: 'b1' }], partitionStates: [{ ...state, leaderEpoch: epoch }],
    })));
    return { onMessage: () => {} };
  });
  const asked: { leaderEpoch: number; currentLeaderEpoch: number }[] = [];
  const listed: number[] = [];
  let leaderLog: PartitionLog | null = null;
  world.spawn('b1', (env) => {
    leaderLog = seedLog(world, 'b1', leaderEpochs);
    const answer = profile === '1.1' ? 'end-offset' : 'epoch-and-end-offset';
    // KAFKA-7415 (2.0.1+): the leader caches its epoch when elected; before, at its first append.
    if (answer === 'epoch-and-end-offset') leaderLog.assignEpochStartOffset(leaderEpoch, leaderLog.logEndOffset);
    const epochAnswer = options.epochAnswer ?? 'log';
    return {
      onMessage: (from, m) => {
        const message = m as KafkaMessage;
        if (message.type === 'OffsetsForLeaderEpoch') {
          const partitions = message.partitions.map((p) => {
            asked.push({ leaderEpoch: p.leaderEpoch, currentLeaderEpoch: p.currentLeaderEpoch });
            if (epochAnswer === 'FENCED_LEADER_EPOCH') return { topic: p.topic, partition: p.partition, error: epochAnswer, leaderEpoch: -1, endOffset: -1 };
            if (epochAnswer === 'UNDEFINED_EPOCH_OFFSET') return { topic: p.topic, partition: p.partition, error: 'NONE' as const, leaderEpoch: -1, endOffset: -1 };
            return { topic: p.topic, partition: p.partition, error: 'NONE' as const, ...leaderLog!.endOffsetForEpoch(p.leaderEpoch, answer) };
          });
          env.send(from, { type: 'OffsetsForLeaderEpochResponse', correlationId: message.correlationId, partitions });
        } else if (message.type === 'ListOffsets') {
          listed.push(env.now());
          const partitions = message.partitions.map((p) => ({ topic: p.topic, partition: p.partition, error: 'NONE' as const, offset: leaderLog!.logEndOffset, leaderEpoch }));
          env.send(from, { type: 'ListOffsetsResponse', correlationId: message.correlationId, partitions });
        } else if (message.type === 'Fetch') {
          const partitions = message.partitions.map((p) => p.fetchOffset > leaderLog!.logEndOffset
            ? { topic: p.topic, partition: p.partition, error: 'OFFSET_OUT_OF_RANGE' as const, highWatermark: 0, logStartOffset: 0, batches: [] }
            : { topic: p.topic, partition: p.partition, error: 'NONE' as const, highWatermark: leaderLog!.logEndOffset, logStartOffset: 0, batches: leaderLog!.read(p.fetchOffset, 1000) });
          env.setTimer(ms(message.partitions.length > 0 ? 0 : 100), () => env.send(from, { type: 'FetchResponse', correlationId: message.correlationId, error: 'NONE', sessionId: 7, partitions }));
        }
      },
    };
  });
  const log = (): PartitionLog => new PartitionLog('t', 0, world.disk('b2'), { intervalMessages: NEVER, intervalMs: NEVER }, 0);
  return { world, rounds, truncations, asked, listed, log, get leaderLog() { return leaderLog!; } };
}

// Kafka's EpochDrivenReplicationProtocolAcceptanceTest.logsShouldNotDivergeOnUncleanLeaderElections,
// as its logs stand when the follower (b2 here, broker 101 there) comes back: it wrote offset 1 in
// epoch 1 and offset 2 in epoch 3; the leader wrote offsets 1-3 in epoch 2 and 4-5 in epoch 4.
const FOLLOWER: readonly (readonly [number, number])[] = [[0, 1], [1, 1], [3, 1]];
const LEADER: readonly (readonly [number, number])[] = [[0, 1], [2, 3], [4, 2]];

describe('broker: truncation by leader epoch', () => {
  // KIP-279: asked about epoch 3, the leader answers with its epoch 2, which ended at 4; b2 never
  // had epoch 2, so it cuts back to where its epoch 1 ended (2) and asks about epoch 1: the
  // leader's epoch 0 ended at 1, an epoch both know, so b2 ends at 1 and fetches the rest.
  test.each(['2.0', '3.9'])('broker: truncation: a %s follower whose log has epochs its leader never had truncates in rounds to where both agree', (profile) => {
    const f = followerOf(profile, FOLLOWER, LEADER, 5);
    f.world.scheduler.run(ms(1000));
    expect(f.asked.map((a) => a.leaderEpoch)).toEqual([3, 1]);
    expect(f.rounds.map((r) => [r.askedEpoch, r.leaderEpoch, r.endOffset, r.truncateTo, r.final])).toEqual([
      [3, 2, 4, 2, false],
      [1, 0, 1, 1, true],
    ]);
    expect(keys(f.log())).toEqual(['e0@0', 'e2@1', 'e2@2', 'e2@3', 'e4@4', 'e4@5']);
    expect(keys(f.log())).toEqual(keys(f.leaderLog));
  });

  // Before KIP-279 the answer is the leader's end offset for epoch 3 alone: its epoch 4 starts at
  // 4, past b2's log end (3), so b2 truncates nothing and fetches from 3: offsets 1 and 2 keep
  // b2's own records under the leader's, the divergence Kafka's test shows before 2.0.
  test('broker: truncation: a 1.1 follower asks once and keeps records the leader never had', () => {
    const f = followerOf('1.1', FOLLOWER, LEADER, 5);
    f.world.scheduler.run(ms(1000));
    expect(f.asked.map((a) => a.leaderEpoch)).toEqual([3]);
    expect(f.rounds.map((r) => [r.askedEpoch, r.leaderEpoch, r.endOffset, r.truncateTo, r.final])).toEqual([[3, -1, 4, 3, true]]);
    expect(keys(f.log())).toEqual(['e0@0', 'e1@1', 'e3@2', 'e2@3', 'e4@4', 'e4@5']);
  });

  // Several rounds, each with the latest epoch the last one left: b2 wrote epochs 1, 3, 5 and 7,
  // two records each; the leader had epochs 0 (two records), 2, 4 and 6. Every answer names an
  // even epoch b2 never had until epoch 0.
  test('broker: truncation: rounds go on until the answer is an epoch the follower knows', () => {
    const f = followerOf('2.8', [[0, 2], [1, 2], [3, 2], [5, 2], [7, 2]], [[0, 2], [2, 1], [4, 1], [6, 3]], 8);
    expect(f.log().logEndOffset).toBe(10);
    f.world.scheduler.run(ms(1000));
    expect(f.rounds.map((r) => [r.askedEpoch, r.leaderEpoch, r.truncateTo, r.final])).toEqual([
      [7, 6, 8, false], // b2's epoch 5 ends at 8
      [5, 4, 6, false],
      [3, 2, 4, false],
      [1, 0, 2, true], // epoch 0 ends at 2 in both
    ]);
    expect(keys(f.log())).toEqual(keys(f.leaderLog));
  });

  // KIP-320: the request carries the epoch b2 follows b1 in (2.1+; before, nothing: -1).
  test('broker: truncation: OffsetsForLeaderEpoch carries the current leader epoch from 2.1', () => {
    for (const [profile, carried] of [['2.0', -1], ['2.1', 5]] as const) {
      const f = followerOf(profile, FOLLOWER, LEADER, 5);
      f.world.scheduler.run(ms(1000));
      expect(f.asked.map((a) => a.currentLeaderEpoch)).toEqual([carried, carried]);
    }
  });

  // AbstractFetcherThread.onPartitionFenced: the leader is in a newer epoch; b2 stops asking (no
  // retry after replica.fetch.backoff.ms) until a LeaderAndIsr of that epoch arrives.
  test('broker: truncation: a FENCED_LEADER_EPOCH answer stops the partition until the next LeaderAndIsr', () => {
    const f = followerOf('3.9', FOLLOWER, LEADER, 5, { epochAnswer: 'FENCED_LEADER_EPOCH' });
    f.world.scheduler.run(ms(5000));
    expect(f.asked).toHaveLength(1);
    expect(f.rounds).toEqual([]);
  });

  // KAFKA-10706: b2 led epoch 3 without writing in it, so its cache ends with epoch 3 at its log
  // end; the leader never had epoch 3, and b2 never had the leader's epoch 2. The answer for 3 is
  // (2, 4); b2's own epoch before 2 is 1, which ends at 4 (where its epoch 3 starts), its log end:
  // the truncation cuts nothing. Before 2.7 that also left epoch 3 cached, so b2 asked about it
  // again, and again; since 2.7 the truncation drops it and the next round asks about epoch 1.
  test('broker: truncation: an epoch with no records at the log end stalls truncation before 2.7 and not since', () => {
    const follower: readonly (readonly [number, number])[] = [[0, 2], [1, 2], [3, 0]];
    const leader: readonly (readonly [number, number])[] = [[0, 2], [2, 2]];
    const stuck = followerOf('2.6', follower, leader, 5);
    stuck.world.scheduler.run(ms(1000));
    expect(stuck.asked.length).toBeGreaterThan(100);
    expect(stuck.asked.every((a) => a.leaderEpoch === 3)).toBe(true);
    expect(stuck.log().latestEpoch).toBe(3);
    const fixed = followerOf('2.7', follower, leader, 5);
    fixed.world.scheduler.run(ms(1000));
    expect(fixed.asked.map((a) => a.leaderEpoch)).toEqual([3, 1]);
    expect(keys(fixed.log())).toEqual(keys(fixed.leaderLog));
  });

  // Partition.makeFollower: the same leader in a new epoch (a controller ISR change) restarts the
  // fetcher, and its truncation, only since 2.1; in 2.0.1 when an epoch was skipped (KAFKA-7164);
  // before, never. Here epoch 6 follows 5 at 300 ms, then 8 at 600 ms; after its first
  // truncation (two rounds from 2.0) b2's log is the leader's, whose latest epoch is 4.
  test('broker: truncation: the same leader in a new epoch makes a follower truncate again as its line says', () => {
    for (const [profile, asked] of [['1.1', [3]], ['2.0', [3, 1, 4]], ['2.1', [3, 1, 4, 4]]] as const) {
      const f = followerOf(profile, FOLLOWER, LEADER, 5, { laterEpochs: [{ atMs: 300, leaderEpoch: 6 }, { atMs: 600, leaderEpoch: 8 }] });
      f.world.scheduler.run(ms(1000));
      expect(f.asked.map((a) => a.leaderEpoch), profile).toEqual(asked);
    }
  });

  // ReplicaFetcherThread.handleOffsetOutOfRange: the leader cannot say where b2's epoch ended, so
  // b2 keeps its log up to its high watermark (5, its end) and fetches from 5; the leader's log
  // ends at 3: OFFSET_OUT_OF_RANGE. b2 asks the leader's log end (ListOffsets) and cuts its log
  // there, to 3, not to the leader's high watermark.
  test('broker: truncation: a fetch out of the leader\'s range truncates to the leader\'s log end', () => {
    const f = followerOf('2.0', [[0, 5]], [[0, 3]], 5, { epochAnswer: 'UNDEFINED_EPOCH_OFFSET', followerHighWatermark: 5 });
    f.world.scheduler.run(ms(1000));
    expect(f.rounds.map((r) => [r.truncateTo, r.final])).toEqual([[5, true]]);
    expect(f.listed).toHaveLength(1);
    expect(f.truncations.map((t) => [t.fromOffset, t.toOffset, t.reason])).toEqual([[5, 3, 'out-of-range']]);
    expect(keys(f.log())).toEqual(keys(f.leaderLog));
  });

  // Since 2.1.1 a follower with no cached epoch truncates to its high watermark without asking;
  // before, it asks with UNDEFINED_EPOCH and is answered UNDEFINED_EPOCH_OFFSET, to the same end.
  test('broker: truncation: a follower with an empty log asks about epoch -1 before 2.1, and nothing since', () => {
    for (const [profile, asked] of [['1.1', [-1]], ['2.0', [-1]], ['2.1', []], ['3.9', []]] as const) {
      const f = followerOf(profile, [], LEADER, 5);
      f.world.scheduler.run(ms(1000));
      expect(f.asked.map((a) => a.leaderEpoch), profile).toEqual(asked);
      expect(keys(f.log()), profile).toEqual(keys(f.leaderLog));
    }
  });
});

/**
 * A real broker b1 on `profile`, made leader of t-0 in epoch 1 by a stand-in controller, given
 * three records at 100 ms; at 500 ms a stand-in follower b2 sends one OffsetsForLeaderEpoch per
 * entry of `asks` and keeps the answers, in order.
 */
function leaderAnswers(profile: string, asks: readonly { readonly currentLeaderEpoch: number; readonly leaderEpoch: number }[]): { error: string; leaderEpoch: number; endOffset: number }[] {
  const world = new World<unknown>({ seed: 1, network });
  world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
  world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile, config: {}, zookeeper: {}, topicConfigs: new Map() }));
  world.spawn('controller', (env) => {
    // Once b1 has loaded its logs and registered, as a controller does.
    env.setTimer(ms(50), () => env.send('b1', {
      type: 'LeaderAndIsr', correlationId: 1, controllerId: 9, controllerEpoch: 1, brokerEpoch: -1, liveLeaders: [{ id: 1, node: 'b1' }],
      partitionStates: [{ topic: 't', partition: 0, controllerEpoch: 1, leader: 1, leaderEpoch: 1, isr: [1], zkVersion: 0, replicas: [1, 2] }],
    }));
    return { onMessage: () => {} };
  });
  world.spawn('p1', (env) => {
    const records = [1, 2, 3].map((seq) => ({ key: null, producer: 'p1', seq }));
    env.setTimer(ms(100), () => env.send('b1', { type: 'Produce', correlationId: 1, acks: 1, timeoutMs: 30_000, partitions: [{ topic: 't', partition: 0, batch: { baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, records } }] } as KafkaMessage));
    return { onMessage: () => {} };
  });
  const answers: { error: string; leaderEpoch: number; endOffset: number }[] = [];
  world.spawn('b2', (env) => {
    asks.forEach((ask, i) => env.setTimer(ms(500 + i), () => env.send('b1', { type: 'OffsetsForLeaderEpoch', correlationId: i + 1, replicaId: 2, partitions: [{ topic: 't', partition: 0, ...ask }] })));
    return {
      onMessage: (_from, m) => {
        const message = m as KafkaMessage;
        if (message.type === 'OffsetsForLeaderEpochResponse') answers.push(...message.partitions.map(({ error, leaderEpoch, endOffset }) => ({ error, leaderEpoch, endOffset })));
      },
    };
  });
  world.scheduler.run(ms(1000));
  return answers;
}

describe('broker: OffsetsForLeaderEpoch on the leader', () => {
  // b1 leads epoch 1 from offset 0 and holds 3 records. Asked about epoch 0 (below its first), 1
  // (its latest) and 2 (above it): Partition.lastOffsetForLeaderEpoch and endOffsetFor of each line.
  test('broker: OffsetsForLeaderEpoch: a leader answers as its line does, an end offset alone before 2.0', () => {
    const asks = [0, 1, 2].map((leaderEpoch) => ({ currentLeaderEpoch: -1, leaderEpoch }));
    const none = { error: 'NONE', leaderEpoch: -1, endOffset: -1 };
    expect(leaderAnswers('1.1', asks)).toEqual([none, { error: 'NONE', leaderEpoch: -1, endOffset: 3 }, none]);
    expect(leaderAnswers('2.0', asks)).toEqual([{ error: 'NONE', leaderEpoch: 0, endOffset: 0 }, { error: 'NONE', leaderEpoch: 1, endOffset: 3 }, none]);
  });

  // KIP-320: from 2.1 the leader checks the epoch the follower knows it by, before anything else;
  // a 2.0 leader has no such field to check and answers.
  test('broker: OffsetsForLeaderEpoch: an older current leader epoch is FENCED_LEADER_EPOCH and a newer one UNKNOWN_LEADER_EPOCH from 2.1', () => {
    const asks = [0, 1, 2].map((currentLeaderEpoch) => ({ currentLeaderEpoch, leaderEpoch: 1 }));
    const answered = { error: 'NONE', leaderEpoch: 1, endOffset: 3 };
    const refused = (error: string) => ({ error, leaderEpoch: -1, endOffset: -1 });
    expect(leaderAnswers('2.0', asks)).toEqual([answered, answered, answered]);
    expect(leaderAnswers('2.1', asks)).toEqual([refused('FENCED_LEADER_EPOCH'), answered, refused('UNKNOWN_LEADER_EPOCH')]);
  });
});
