// The group coordinator in a real cluster (ZooKeeper, three brokers, __consumer_offsets with 3
// partitions), driven by scripted clients that send the group requests by hand.
import { describe, expect, test } from 'vitest';
import { offsetsPartitionFor } from '../../src/kafka/offsets-topic.js';
import { BROKERS, GROUP, MS, TestCluster, type TestClient } from './support.js';

const ORDERS = [0, 1, 2].map((partition) => ({ topic: 'orders', partition }));

function coordinatorOf(cluster: TestCluster): string {
  return cluster.offsetsLeader(offsetsPartitionFor(GROUP, 3));
}

interface Formed {
  readonly cluster: TestCluster;
  readonly coordinator: string;
  readonly a: TestClient;
  readonly b: TestClient;
  readonly idA: string;
  readonly idB: string;
  readonly generation: number;
}

/** Two members join, the leader (billing-1) assigns orders-0,1 to itself and orders-2 to billing-2. */
function formGroup(options: { instances?: [string, string]; config?: Record<string, number> } = {}): Formed {
  const cluster = new TestCluster(options.config);
  const coordinator = coordinatorOf(cluster);
  const a = cluster.client('billing-1');
  const b = cluster.client('billing-2');
  const joinA = a.join(coordinator, { groupInstanceId: options.instances?.[0] ?? null });
  cluster.advance(100);
  const joinB = b.join(coordinator, { groupInstanceId: options.instances?.[1] ?? null });
  cluster.runUntil(() => joinA.done && joinB.done);
  const idA = joinA.value.memberId;
  const idB = joinB.value.memberId;
  const generation = joinA.value.generationId;
  const syncB = b.sync(coordinator, generation, idB, [], options.instances?.[1] ?? null);
  const syncA = a.sync(coordinator, generation, idA, [
    { memberId: idA, assignment: ORDERS.slice(0, 2) },
    { memberId: idB, assignment: ORDERS.slice(2) },
  ], options.instances?.[0] ?? null);
  cluster.runUntil(() => syncA.done && syncB.done);
  return { cluster, coordinator, a, b, idA, idB, generation };
}

describe('coordinator: FindCoordinator', () => {
  test("coordinator: FindCoordinator: every broker names the leader of the group's __consumer_offsets partition", () => {
    const cluster = new TestCluster();
    const client = cluster.client('c1');
    // "billing".hashCode() = -109829509; & 0x7fffffff = 2037654139; % 3 = 1.
    const expected = cluster.offsetsLeader(1);
    for (const node of BROKERS) {
      expect(client.findCoordinator(node)).toMatchObject({ error: 'NONE', node: expected, nodeId: Number(expected.slice(1)) });
    }
  });

  test('coordinator: FindCoordinator: a group request to another broker is answered NOT_COORDINATOR', () => {
    const cluster = new TestCluster();
    const client = cluster.client('c1');
    const other = BROKERS.find((b) => b !== coordinatorOf(cluster))!;
    const join = client.join(other);
    cluster.runUntil(() => join.done);
    expect(join.value.error).toBe('NOT_COORDINATOR');
    expect(client.fetchOffsets(other, ORDERS).error).toBe('NOT_COORDINATOR');
  });
});

describe('coordinator: join and sync', () => {
  test('coordinator: join: two members form one generation; only the leader gets the subscriptions', () => {
    const cluster = new TestCluster();
    const coordinator = coordinatorOf(cluster);
    const a = cluster.client('billing-1');
    const b = cluster.client('billing-2');
    const joinA = a.join(coordinator);
    cluster.advance(100);
    const joinB = b.join(coordinator);
    cluster.runUntil(() => joinA.done && joinB.done);
    const [ra, rb] = [joinA.value, joinB.value];
    expect(ra).toMatchObject({ error: 'NONE', generationId: 1, protocolName: 'range', leader: ra.memberId });
    expect(rb).toMatchObject({ error: 'NONE', generationId: 1, protocolName: 'range', leader: ra.memberId, members: [] });
    expect(ra.memberId).toMatch(/^billing-1-\d\.\d+$/);
    expect(ra.members.map((m) => m.memberId).sort()).toEqual([ra.memberId, rb.memberId].sort());
    expect(ra.members.every((m) => m.metadata.topics[0] === 'orders')).toBe(true);
    const [rebalance] = cluster.of('group.rebalance');
    expect(rebalance!.event.reason).toBe(`member ${ra.memberId} joined`);
    // group.initial.rebalance.delay.ms (3 s) waits once more because billing-2 joined during it.
    const [generation] = cluster.of('group.generation');
    expect(generation!.atUs - rebalance!.atUs).toBe(6000 * MS);
    expect(cluster.of('group.generation')).toHaveLength(1);
  });

  // Before KIP-134 (0.11) an Empty group's first rebalance is a plain DelayedJoin: complete as
  // soon as every member it knows has joined, so the first member forms generation 1 alone, in
  // one round trip, and the second, 100 ms later, makes generation 2 (GroupCoordinator 0.10.2).
  test('coordinator: join: on 0.10 a new group rebalances at once for its first member, then again for the second', () => {
    const cluster = new TestCluster({}, '0.10');
    const coordinator = coordinatorOf(cluster);
    const a = cluster.client('billing-1');
    const b = cluster.client('billing-2');
    const joinA = a.join(coordinator);
    cluster.advance(100);
    expect(joinA.value).toMatchObject({ error: 'NONE', generationId: 1, leader: joinA.value.memberId });
    const [rebalance] = cluster.of('group.rebalance');
    const [first] = cluster.of('group.generation');
    expect(first!.atUs).toBe(rebalance!.atUs);
    const joinB = b.join(coordinator);
    cluster.runUntil(() => joinB.done);
    expect(cluster.of('group.generation').map((g) => g.event.generation)).toEqual([1, 2]);
  });

  test('coordinator: sync: the follower waits for the leader; both get their assignment; the group is Stable', () => {
    const { cluster, idA, idB, generation } = formGroup();
    const syncs = cluster.of('group.stable');
    expect(syncs).toHaveLength(1);
    expect(syncs[0]!.event.generation).toBe(generation);
    expect(new Map(syncs[0]!.event.assignment)).toEqual(new Map([[idA, ['orders-0', 'orders-1']], [idB, ['orders-2']]]));
  });

  test('coordinator: sync: each member receives the partitions the leader gave it', () => {
    const cluster = new TestCluster();
    const coordinator = coordinatorOf(cluster);
    const a = cluster.client('billing-1');
    const join = a.join(coordinator);
    cluster.runUntil(() => join.done);
    const sync = a.sync(coordinator, join.value.generationId, join.value.memberId, [{ memberId: join.value.memberId, assignment: ORDERS }]);
    cluster.runUntil(() => sync.done);
    expect(sync.value).toEqual({ type: 'SyncGroupResponse', correlationId: 2, error: 'NONE', assignment: ORDERS });
    // A SyncGroup of a stale generation is refused.
    const stale = a.sync(coordinator, join.value.generationId - 1, join.value.memberId);
    cluster.runUntil(() => stale.done);
    expect(stale.value.error).toBe('ILLEGAL_GENERATION');
  });
});

describe('coordinator: heartbeats and rebalances', () => {
  test('coordinator: heartbeat: members of a Stable group hear NONE; an unknown member UNKNOWN_MEMBER_ID', () => {
    const { a, b, coordinator, idA, idB, generation } = formGroup();
    expect(a.heartbeat(coordinator, generation, idA).error).toBe('NONE');
    expect(b.heartbeat(coordinator, generation, idB).error).toBe('NONE');
    expect(b.heartbeat(coordinator, generation, 'nobody').error).toBe('UNKNOWN_MEMBER_ID');
    expect(b.heartbeat(coordinator, generation + 1, idB).error).toBe('ILLEGAL_GENERATION');
  });

  test('coordinator: rebalance: a third member joining makes the others hear REBALANCE_IN_PROGRESS; their rejoin completes the next generation at once', () => {
    const { cluster, a, b, coordinator, idA, idB, generation } = formGroup();
    const c = cluster.client('billing-3');
    const joinC = c.join(coordinator);
    cluster.advance(10);
    expect(a.heartbeat(coordinator, generation, idA).error).toBe('REBALANCE_IN_PROGRESS');
    expect(b.heartbeat(coordinator, generation, idB).error).toBe('REBALANCE_IN_PROGRESS');
    const rejoinA = a.join(coordinator, { memberId: idA });
    const rejoinB = b.join(coordinator, { memberId: idB });
    cluster.runUntil(() => joinC.done && rejoinA.done && rejoinB.done, 100);
    const generations = cluster.of('group.generation');
    expect(generations.map((g) => g.event.generation)).toEqual([1, 2]);
    expect(generations[1]!.event.members).toHaveLength(3);
    expect([joinC.value, rejoinA.value, rejoinB.value].every((r) => r.generationId === 2)).toBe(true);
    expect(cluster.of('group.rebalance')[1]!.event.reason).toBe(`member ${joinC.value.memberId} joined`);
  });

  test('coordinator: session: a member that stops heartbeating is removed after session.timeout.ms and a rebalance follows', () => {
    const { cluster, a, coordinator, idA, idB, generation } = formGroup();
    const lastContactUs = cluster.nowUs; // billing-2's SyncGroup was answered just now
    // billing-1 keeps heartbeating every second; billing-2 is silent.
    let answer = 'NONE';
    while (answer === 'NONE') {
      cluster.advance(1000);
      answer = a.heartbeat(coordinator, generation, idA).error;
    }
    expect(answer).toBe('REBALANCE_IN_PROGRESS');
    const [removed] = cluster.of('group.member-removed');
    expect(removed!.event).toMatchObject({ memberId: idB, reason: 'session-timeout' });
    // session.timeout.ms is 10 s, counted from the SyncGroup answer.
    expect(removed!.atUs - lastContactUs).toBeGreaterThanOrEqual(9_990 * MS);
    expect(removed!.atUs - lastContactUs).toBeLessThanOrEqual(10_000 * MS);
    expect(cluster.of('group.rebalance').at(-1)!.event.reason).toBe(`member ${idB}'s session timed out`);
    const rejoin = a.join(coordinator, { memberId: idA });
    cluster.runUntil(() => rejoin.done, 100);
    expect(rejoin.value).toMatchObject({ error: 'NONE', generationId: generation + 1, leader: idA });
    expect(rejoin.value.members.map((m) => m.memberId)).toEqual([idA]);
  });

  test('coordinator: leave: LeaveGroup removes the member at once; its reason is the rebalance reason', () => {
    const { cluster, b, coordinator, idB } = formGroup();
    expect(b.leave(coordinator, idB, 'consumer poll timeout has expired').error).toBe('NONE');
    expect(cluster.of('group.member-removed').map((r) => r.event.reason)).toEqual(['leave']);
    expect(cluster.of('group.rebalance').at(-1)!.event.reason).toBe(`member ${idB} left: consumer poll timeout has expired`);
    expect(b.leave(coordinator, idB, 'again').error).toBe('UNKNOWN_MEMBER_ID');
  });

  test('coordinator: join: a session timeout outside group.min/max.session.timeout.ms is refused', () => {
    const cluster = new TestCluster();
    const client = cluster.client('c1');
    const join = client.join(coordinatorOf(cluster), { sessionTimeoutMs: 1000 });
    cluster.runUntil(() => join.done);
    expect(join.value.error).toBe('INVALID_SESSION_TIMEOUT');
  });
});

describe('coordinator: offsets', () => {
  test('coordinator: commit: a stale generation is refused with ILLEGAL_GENERATION; the current one is stored', () => {
    const { cluster, a, b, coordinator, idA, idB, generation } = formGroup();
    // billing-2 leaves: generation 2 has billing-1 alone.
    b.leave(coordinator, idB, 'closing');
    const rejoin = a.join(coordinator, { memberId: idA });
    cluster.runUntil(() => rejoin.done, 100);
    expect(rejoin.value.generationId).toBe(generation + 1);
    const stale = a.commit(coordinator, generation, idA, [{ topic: 'orders', partition: 0, offset: 10 }]);
    expect(stale.partitions).toEqual([{ topic: 'orders', partition: 0, error: 'ILLEGAL_GENERATION' }]);
    // CompletingRebalance: the member has the new generation but no assignment yet.
    const early = a.commit(coordinator, generation + 1, idA, [{ topic: 'orders', partition: 0, offset: 10 }]);
    expect(early.partitions[0]!.error).toBe('REBALANCE_IN_PROGRESS');
    const sync = a.sync(coordinator, generation + 1, idA, [{ memberId: idA, assignment: ORDERS }]);
    cluster.runUntil(() => sync.done);
    expect(a.commit(coordinator, generation + 1, idA, [{ topic: 'orders', partition: 0, offset: 10 }]).partitions[0]!.error).toBe('NONE');
    expect(a.fetchOffsets(coordinator, ORDERS).partitions.map((p) => p.offset)).toEqual([10, -1, -1]);
    const commits = cluster.of('group.commit').map((c) => c.event.error);
    expect(commits).toEqual(['ILLEGAL_GENERATION', 'REBALANCE_IN_PROGRESS', 'NONE']);
  });

  test('coordinator: failover: offsets committed to a coordinator that dies are served by the new leader of its partition', () => {
    const { cluster, a, coordinator, idA, generation } = formGroup();
    expect(a.commit(coordinator, generation, idA, [{ topic: 'orders', partition: 0, offset: 42 }, { topic: 'orders', partition: 1, offset: 7 }]).partitions.every((p) => p.error === 'NONE')).toBe(true);
    cluster.world.kill(coordinator);
    const survivor = BROKERS.find((b) => b !== coordinator)!;
    let found = a.findCoordinator(survivor);
    while (found.error !== 'NONE' || found.node === coordinator) {
      cluster.advance(500);
      found = a.findCoordinator(survivor);
    }
    const loaded = cluster.of('group.loaded').filter((l) => l.event.groups.includes(GROUP));
    expect(loaded.at(-1)!.event.broker).toBe(found.nodeId);
    expect(a.fetchOffsets(found.node, ORDERS).partitions.map((p) => [p.offset, p.error])).toEqual([[42, 'NONE'], [7, 'NONE'], [-1, 'NONE']]);
    // The group came back Stable with its generation and members: a heartbeat is welcome.
    expect(a.heartbeat(found.node, generation, idA).error).toBe('NONE');
  });
});

describe('coordinator: static membership (KIP-345)', () => {
  test('coordinator: static member: a restart with a new member id gets its assignment back without a new generation; the old id is fenced', () => {
    const { cluster, b, coordinator, idA, idB, generation } = formGroup({ instances: ['i-1', 'i-2'] });
    const generations = cluster.of('group.generation').length;
    // billing-2 restarts: it joins with no member id but its group.instance.id.
    const restarted = cluster.client('billing-2b');
    const join = restarted.join(coordinator, { groupInstanceId: 'i-2' });
    cluster.runUntil(() => join.done);
    const newId = join.value.memberId;
    expect(newId).not.toBe(idB);
    // The current generation; the leader named is billing-1, so the new member does not assign.
    expect(join.value).toMatchObject({ error: 'NONE', generationId: generation, leader: idA, members: [] });
    const sync = restarted.sync(coordinator, generation, newId, [], 'i-2');
    cluster.runUntil(() => sync.done);
    expect(sync.value).toMatchObject({ error: 'NONE', assignment: ORDERS.slice(2) });
    expect(cluster.of('group.generation')).toHaveLength(generations);
    expect(cluster.of('group.member-removed').map((r) => r.event)).toEqual([expect.objectContaining({ memberId: idB, reason: 'fenced' })]);
    expect(b.heartbeat(coordinator, generation, idB, 'i-2').error).toBe('FENCED_INSTANCE_ID');
    expect(restarted.heartbeat(coordinator, generation, newId, 'i-2').error).toBe('NONE');
  });

  test("coordinator: static member: its session timeout still removes it", () => {
    const { cluster, a, coordinator, idA, idB, generation } = formGroup({ instances: ['i-1', 'i-2'] });
    let answer = 'NONE';
    while (answer === 'NONE') {
      cluster.advance(1000);
      answer = a.heartbeat(coordinator, generation, idA, 'i-1').error;
    }
    expect(answer).toBe('REBALANCE_IN_PROGRESS');
    expect(cluster.of('group.member-removed').map((r) => r.event)).toEqual([expect.objectContaining({ memberId: idB, reason: 'session-timeout' })]);
  });
});
