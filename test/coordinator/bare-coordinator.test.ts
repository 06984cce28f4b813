// The group coordinator alone, on a process whose __consumer_offsets log is a test double: the
// test decides when this broker gains or loses the offsets partition and what the appends
// answer, to reach the paths a healthy cluster rarely takes.
import { describe, expect, test } from 'vitest';
import type { BrokerContext } from '../../src/broker/context.js';
import { coordinatorSettings } from '../../src/coordinator/config.js';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import { Harness, MS, type TestClient } from './support.js';

const ORDERS = [0, 1, 2].map((partition) => ({ topic: 'orders', partition }));

/** One coordinator on node `b1` leading the single __consumer_offsets partition 0. */
class BareCoordinator extends Harness {
  coordinator!: GroupCoordinator;
  readonly batches: RecordBatch[] = [];
  /** What the next appends answer, 2 ms after they are made. */
  appendError: KafkaError = 'NONE';

  constructor() {
    super();
    this.world.spawn('b1', (env) => {
      const ctx = { id: 1, node: 'b1', env, trace: (event: never, keep = true) => env.trace(event, keep) } as unknown as BrokerContext;
      this.coordinator = new GroupCoordinator(ctx, coordinatorSettings({ 'offsets.topic.num.partitions': 1 }), {
        read: () => this.batches,
        append: (_partition, records, _timeoutMs, onComplete) => {
          const error = this.appendError;
          env.setTimer(2 * MS, () => {
            if (error !== 'NONE') return onComplete(error, -1);
            const baseOffset = this.batches.reduce((n, b) => n + b.records.length, 0);
            this.batches.push({ baseOffset, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, records });
            onComplete('NONE', baseOffset);
          });
        },
      });
      return { onMessage: (from, message) => route(this.coordinator, from, message as KafkaMessage) };
    });
    this.coordinator.onElection(0);
  }
}

function route(coordinator: GroupCoordinator, from: string, m: KafkaMessage): void {
  switch (m.type) {
    case 'JoinGroup':
      return coordinator.handleJoinGroup(from, m);
    case 'SyncGroup':
      return coordinator.handleSyncGroup(from, m);
    case 'Heartbeat':
      return coordinator.handleHeartbeat(from, m);
    case 'LeaveGroup':
      return coordinator.handleLeaveGroup(from, m);
    case 'OffsetCommit':
      return coordinator.handleCommitOffsets(from, m);
    case 'OffsetFetch':
      return coordinator.handleFetchOffsets(from, m);
    default:
      throw new Error(`unexpected ${m.type}`);
  }
}

/** Two members, joined (generation 1) but not synced. */
function joined(harness: BareCoordinator): { a: TestClient; b: TestClient; idA: string; idB: string } {
  const a = harness.client('billing-1');
  const b = harness.client('billing-2');
  const joinA = a.join('b1');
  const joinB = b.join('b1');
  harness.runUntil(() => joinA.done && joinB.done);
  return { a, b, idA: joinA.value.memberId, idB: joinB.value.memberId };
}

function stable(harness: BareCoordinator): { a: TestClient; b: TestClient; idA: string; idB: string } {
  const members = joined(harness);
  const syncB = members.b.sync('b1', 1, members.idB);
  const syncA = members.a.sync('b1', 1, members.idA, [{ memberId: members.idA, assignment: ORDERS.slice(0, 2) }, { memberId: members.idB, assignment: ORDERS.slice(2) }]);
  harness.runUntil(() => syncA.done && syncB.done);
  return members;
}

describe('coordinator: loading and unloading', () => {
  test('coordinator: unload: a parked JoinGroup hears NOT_COORDINATOR and the group leaves this broker', () => {
    const harness = new BareCoordinator();
    const client = harness.client('billing-1');
    const join = client.join('b1'); // parked: group.initial.rebalance.delay.ms
    harness.advance(100);
    harness.coordinator.onResignation(0);
    harness.runUntil(() => join.done);
    expect(join.value.error).toBe('NOT_COORDINATOR');
    expect(harness.of('group.unloaded').map((e) => e.event.groups)).toEqual([['billing']]);
    expect(client.heartbeat('b1', 1, join.value.memberId).error).toBe('NOT_COORDINATOR');
    // The delayed join was cancelled with the group: no generation ever forms.
    harness.advance(10_000);
    expect(harness.of('group.generation')).toHaveLength(0);
  });

  test('coordinator: load: a stored group comes back Stable with its generation, members, assignments and offsets', () => {
    const harness = new BareCoordinator();
    const { a, b, idA, idB } = stable(harness);
    expect(a.commit('b1', 1, idA, [{ topic: 'orders', partition: 1, offset: 17 }]).partitions[0]!.error).toBe('NONE');
    harness.coordinator.onResignation(0);
    harness.coordinator.onElection(0);
    expect(harness.of('group.loaded').at(-1)!.event.groups).toEqual(['billing']);
    expect(a.heartbeat('b1', 1, idA).error).toBe('NONE');
    const sync = b.sync('b1', 1, idB);
    harness.runUntil(() => sync.done);
    expect(sync.value).toMatchObject({ error: 'NONE', assignment: ORDERS.slice(2) });
    expect(a.fetchOffsets('b1', ORDERS).partitions.map((p) => p.offset)).toEqual([-1, 17, -1]);
  });
});

describe('coordinator: failed appends', () => {
  test('coordinator: sync: a failed store answers every waiting member with the mapped error, and the group rebalances', () => {
    const harness = new BareCoordinator();
    const { a, b, idA, idB } = joined(harness);
    const syncB = b.sync('b1', 1, idB);
    harness.appendError = 'NOT_ENOUGH_REPLICAS';
    const syncA = a.sync('b1', 1, idA, [{ memberId: idA, assignment: ORDERS }]);
    harness.runUntil(() => syncA.done && syncB.done);
    expect([syncA.value.error, syncB.value.error]).toEqual(['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_NOT_AVAILABLE']);
    expect(harness.of('group.rebalance').at(-1)!.event.reason).toBe('error COORDINATOR_NOT_AVAILABLE storing the assignment of generation 1');
    expect(a.heartbeat('b1', 1, idA).error).toBe('REBALANCE_IN_PROGRESS');
  });

  test("coordinator: commit: append errors are mapped as GroupMetadataManager's; the cache keeps only stored offsets", () => {
    const harness = new BareCoordinator();
    const { a, idA } = stable(harness);
    const answers: KafkaError[] = [];
    for (const error of ['NOT_LEADER_OR_FOLLOWER', 'NOT_ENOUGH_REPLICAS', 'REQUEST_TIMED_OUT'] as const) {
      harness.appendError = error;
      answers.push(a.commit('b1', 1, idA, [{ topic: 'orders', partition: 0, offset: 5 }]).partitions[0]!.error);
    }
    expect(answers).toEqual(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'REQUEST_TIMED_OUT']);
    expect(a.fetchOffsets('b1', ORDERS.slice(0, 1)).partitions[0]!.offset).toBe(-1);
  });
});

describe('coordinator: timeouts', () => {
  test('coordinator: rebalance timeout: a member that keeps heartbeating but does not rejoin is removed when it passes', () => {
    const harness = new BareCoordinator();
    const { a, b, idA, idB } = stable(harness);
    const rejoin = a.join('b1', { memberId: idA }); // the leader's JoinGroup starts a rebalance
    harness.advance(5);
    const startedUs = harness.of('group.rebalance').at(-1)!.atUs;
    while (!rejoin.done) {
      expect(b.heartbeat('b1', 1, idB).error).toBe('REBALANCE_IN_PROGRESS');
      harness.advance(1000);
    }
    const [removed] = harness.of('group.member-removed');
    expect(removed!.event).toMatchObject({ memberId: idB, reason: 'rebalance-timeout' });
    expect(removed!.atUs - startedUs).toBe(20_000 * MS); // the members' rebalanceTimeoutMs
    expect(rejoin.value).toMatchObject({ error: 'NONE', generationId: 2, leader: idA });
    expect(rejoin.value.members.map((m) => m.memberId)).toEqual([idA]);
  });

  test('coordinator: pending sync: a member that never sends SyncGroup is removed after the rebalance timeout (DelayedSync)', () => {
    const harness = new BareCoordinator();
    const { a, b, idA, idB } = joined(harness);
    const syncA = a.sync('b1', 1, idA, [{ memberId: idA, assignment: ORDERS }]);
    harness.runUntil(() => syncA.done);
    const stableUs = harness.nowUs;
    // Both heartbeat (so their sessions live); billing-2 never syncs.
    while (harness.of('group.member-removed').length === 0) {
      expect(a.heartbeat('b1', 1, idA).error).toBe('NONE');
      expect(b.heartbeat('b1', 1, idB).error).toBe('NONE');
      harness.advance(1000);
    }
    const [removed] = harness.of('group.member-removed');
    expect(removed!.event).toMatchObject({ memberId: idB, reason: 'rebalance-timeout' });
    // The rebalance timeout (20 s) runs from the JoinGroup answers, a few ms before the sync.
    expect(removed!.atUs - stableUs).toBeLessThanOrEqual(20_000 * MS);
    expect(removed!.atUs - stableUs).toBeGreaterThan(19_990 * MS);
    expect(harness.of('group.rebalance').at(-1)!.event.reason).toMatch(/sent no SyncGroup/);
  });
});
