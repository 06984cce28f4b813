// The controller's partition-state writes when the znode changed under it: a BADVERSION is
// re-read and decided again (PartitionStateMachine.electLeaderForPartitions' retry loop,
// ReplicaStateMachine.removeReplicasFromIsr's), a failed /controller_epoch check is a moved
// controller (KafkaZkClient.unwrapResponseWithControllerEpochCheck), and a partition state that
// already exists fails the partition's creation (initializeLeaderAndIsrForPartitions).
// Three real brokers and a test process `op` that writes ZooKeeper directly, as a leader does.
import { describe, expect, test } from 'vitest';
import type { World } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import { partitionStatePath, topicPath, type PartitionStateZnode } from '../../src/broker/zk-paths.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { Stat, ZnodeData } from '../../src/zookeeper/api.js';
import { MS, TestClient, ZK, call, connect, ok, ops, runFor, runUntil, zkWorld } from '../zookeeper/support.js';

type Of<K extends KafkaEvent['kind']> = Extract<KafkaEvent, { kind: K }>;
const STATE = partitionStatePath('t', 0);

interface Cluster {
  readonly world: World<unknown>;
  readonly op: TestClient;
  readonly events: KafkaEvent[];
  readonly controller: number;
  /** t/0's replicas in assignment order: the leader and a follower (neither is the controller), then the controller. */
  readonly leader: number;
  readonly follower: number;
}

/** Brokers 1-3 and topic t with one partition led by a broker that is not the controller (`beforeTopic` runs just before it is created). */
function cluster(profile: string, beforeTopic?: (c: Cluster) => void): Cluster {
  const world = zkWorld({ config: { tickTimeMs: 1000 } });
  const events: KafkaEvent[] = [];
  world.trace.observe((_atUs, event) => void events.push(event as KafkaEvent), { deliveries: false });
  for (const id of [1, 2, 3]) {
    const zookeeper = { 'zookeeper.session.timeout.ms': 6000 };
    world.spawn(`b${id}`, broker({ id, node: `b${id}`, zookeeperNode: ZK, profile, config: {}, zookeeper, topicConfigs: new Map() }));
  }
  const op = new TestClient(world, 'op', 30_000);
  connect(world, op);
  runUntil(world, () => events.some((e) => e.kind === 'controller.elected') && events.filter((e) => e.kind === 'broker.registered').length === 3);
  const controller = (events.find((e) => e.kind === 'controller.elected') as Of<'controller.elected'>).broker;
  const [leader, follower] = [1, 2, 3].filter((id) => id !== controller) as [number, number];
  const c: Cluster = { world, op, events, controller, leader, follower };
  beforeTopic?.(c);
  ok(ops.create(world, op.zk, topicPath('t'), { version: 2, partitions: { '0': [leader, follower, controller] } }));
  if (beforeTopic !== undefined) return c;
  runUntil(world, () => events.some((e) => e.kind === 'election' && e.topic === 't'));
  runFor(world, 2000 * MS); // the replicas take their roles and fetch
  expect(state(world, op)).toMatchObject({ data: { leader, isr: [leader, follower, controller], leader_epoch: 0 } });
  expect(events.filter((e) => e.kind === 'leader' && e.topic === 't').map((e) => (e as Of<'leader'>).broker)).toEqual([leader]);
  return c;
}

/** The answer ZooKeeper sends the controller right after `path` next changes is lost (its client times out first). */
function loseNextAnswer(c: Cluster, path: string): void {
  // The controller's link from ZooKeeper is slower than op's; op cuts it as soon as it hears of the change.
  c.world.network.configureLink(ZK, `b${c.controller}`, { latencyUs: { minUs: 5 * MS, maxUs: 5 * MS }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 });
  call(c.world, (done) => c.op.zk.exists(path, () => {
    const cut = c.world.network.oneWay(ZK, `b${c.controller}`, 'scripted');
    c.world.scheduler.after(5000 * MS, () => c.world.network.heal(cut), undefined); // past its read timeout (2/3 of 6 s)
  }, done));
}

function state(world: World<unknown>, op: TestClient): { data: PartitionStateZnode; stat: Stat } {
  const read = ok(ops.getData(world, op.zk, STATE));
  return { data: read.data as PartitionStateZnode, stat: read.stat };
}

/** What the leader does before 2.7 when it shrinks the ISR: a conditional setData, no word to the controller yet. */
function leaderWritesIsr(c: Cluster, isr: number[]): void {
  const { data, stat } = state(c.world, c.op);
  const shrunk: ZnodeData = { ...data, isr };
  ok(ops.setData(c.world, c.op.zk, STATE, shrunk, stat.version));
}

const electionsOfT = (events: readonly KafkaEvent[]): Of<'election'>[] => events.filter((e): e is Of<'election'> => e.kind === 'election' && e.topic === 't');
const conflicts = (events: readonly KafkaEvent[]): Of<'controller.write-conflict'>[] => events.filter((e): e is Of<'controller.write-conflict'> => e.kind === 'controller.write-conflict');

describe('controller: partition-state write retry', () => {
  // PartitionStateMachine.doElectLeaderForPartitions (2.8.2): a BADVERSION puts the partition in
  // "updatesToRetry"; the loop re-reads its state and elects again on what it read.
  test.each(['3.9', '1.0'])('controller: write retry: the leader shrank the ISR unseen; its death is elected on the re-read ISR (%s)', (profile) => {
    const c = cluster(profile);
    // The leader drops the follower from the ISR; the controller still believes [leader, follower, controller].
    leaderWritesIsr(c, [c.leader, c.controller]);
    c.world.kill(`b${c.leader}`);
    runUntil(c.world, () => electionsOfT(c.events).length === 2, 30_000 * MS);
    // Elected on the stale ISR, the follower would lead; on the re-read one, only the controller's replica is in sync.
    expect(electionsOfT(c.events)[1]).toMatchObject({ leader: c.controller, isr: [c.controller], leaderEpoch: 1, unclean: false, reason: 'broker-failure' });
    expect(conflicts(c.events)).toEqual([expect.objectContaining({ then: 'retry', isr: [c.leader, c.controller], expectedZkVersion: 0, zkVersion: 1 })]);
    expect(state(c.world, c.op)).toMatchObject({ data: { leader: c.controller, isr: [c.controller], leader_epoch: 1 }, stat: { version: 2 } });
  });

  // ReplicaStateMachine.doRemoveReplicasFromIsr: a replica the re-read ISR no longer holds needs no write.
  test('controller: write retry: a dead follower already out of the re-read ISR needs no second write', () => {
    const c = cluster('3.9');
    leaderWritesIsr(c, [c.leader, c.controller]);
    c.world.kill(`b${c.follower}`);
    runUntil(c.world, () => conflicts(c.events).length > 0, 30_000 * MS);
    runFor(c.world, 1000 * MS);
    expect(conflicts(c.events)).toEqual([expect.objectContaining({ then: 'not-needed', isr: [c.leader, c.controller] })]);
    expect(electionsOfT(c.events)).toHaveLength(1); // the leader lives: nothing to elect
    expect(state(c.world, c.op)).toMatchObject({ data: { leader: c.leader, isr: [c.leader, c.controller], leader_epoch: 0 }, stat: { version: 1 } });
  });

  // unwrapResponseWithControllerEpochCheck: the check op's own result is BADVERSION, so the
  // controller knows it was fenced (ControllerMovedException), not that the partition moved.
  test('controller: write retry: a failed /controller_epoch check resigns the controller; its write is not made', () => {
    const c = cluster('3.9');
    const epoch = (c.events.find((e) => e.kind === 'controller.elected') as Of<'controller.elected'>).controllerEpoch;
    const current = ok(ops.getData(c.world, c.op.zk, '/controller_epoch'));
    ok(ops.setData(c.world, c.op.zk, '/controller_epoch', current.data, current.stat.version)); // as a newer controller would
    c.world.kill(`b${c.leader}`);
    runUntil(c.world, () => c.events.some((e) => e.kind === 'controller.resigned'), 30_000 * MS);
    expect(c.events.find((e) => e.kind === 'controller.resigned')).toEqual({ kind: 'controller.resigned', broker: c.controller, controllerEpoch: epoch });
    expect(conflicts(c.events)).toEqual([]);
    expect(electionsOfT(c.events)).toHaveLength(1);
    expect(state(c.world, c.op).data).toMatchObject({ leader: c.leader, leader_epoch: 0 });
  });

  // A write that landed but whose answer the connection lost is re-sent (ZooKeeperClient) and
  // meets its own write: before 1.1 ReplicationUtils' checker takes it as written; from 1.1
  // KafkaZkClient has no checker, so the controller elects again on it (one more leader epoch).
  test.each([['1.0', 'ours', 1], ['3.9', 'retry', 2]] as const)('controller: write retry: a lost answer to a landed election (%s: %s)', (profile, then, leaderEpoch) => {
    const c = cluster(profile);
    loseNextAnswer(c, STATE); // the answer to the controller's election write
    c.world.kill(`b${c.leader}`);
    runUntil(c.world, () => conflicts(c.events).length > 0, 60_000 * MS);
    runFor(c.world, 1000 * MS);
    expect(conflicts(c.events)).toEqual([expect.objectContaining({ then, leader: c.follower, leaderEpoch: 1, isr: [c.follower, c.controller] })]);
    // 3.9: the controller never heard that epoch 1 landed (no LeaderAndIsr went out for it); it elects on it again.
    expect(electionsOfT(c.events).map((e) => [e.leader, e.leaderEpoch])).toEqual([[c.leader, 0], [c.follower, leaderEpoch]]);
    expect(state(c.world, c.op).data).toMatchObject({ leader: c.follower, leader_epoch: leaderEpoch });
  });

  // KafkaZkClient.createTopicPartitionStatesRaw re-sends a create whose answer was lost; the
  // re-sent one meets NODEEXISTS and initializeLeaderAndIsrForPartitions fails the partition:
  // no check of what the znode holds, in any version. It stays new: no leader is announced.
  test('controller: write retry: a partition state create whose answer was lost fails with NODEEXISTS; the partition stays new', () => {
    const c = cluster('3.9', (pre) => loseNextAnswer(pre, STATE));
    runUntil(c.world, () => c.events.some((e) => e.kind === 'controller.state-change-failed'), 30_000 * MS);
    runFor(c.world, 2000 * MS);
    expect(c.events.filter((e) => e.kind === 'controller.state-change-failed')).toEqual([
      { kind: 'controller.state-change-failed', controller: c.controller, topic: 't', partition: 0, change: 'create', error: 'NODEEXISTS' },
    ]);
    expect(electionsOfT(c.events)).toEqual([]);
    expect(state(c.world, c.op).data).toMatchObject({ leader: c.leader, leader_epoch: 0 }); // in ZooKeeper, unknown to the brokers
    expect(c.events.filter((e) => e.kind === 'leader' && e.topic === 't')).toEqual([]); // no broker was told to lead t/0
  });
});
