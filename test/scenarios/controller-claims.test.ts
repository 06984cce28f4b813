// The controller's ZooKeeper writes, its handling of broker changes and of its own failover, read
// from the trace of the catalog scenarios that show them (controller-write-retried,
// bounced-leader-*, failover-dead-follower-*).
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

const { scenarios } = loadScenarioPaths([join(import.meta.dirname, '..', '..', 'scenarios')]);

type Recorded = { index: number; atUs: number; event: KafkaEvent };

function run(name: string): { events: Recorded[]; summary: ReturnType<typeof runScenario> } {
  const loaded = scenarios.find((s) => s.scenario.name === name);
  if (loaded === undefined) throw new Error(`no scenario ${name}`);
  const events: Recorded[] = [];
  const summary = runScenario(loaded, loaded.scenario.seed, {
    observer: (atUs: number, event: TraceEvent) => events.push({ index: events.length, atUs, event: event as KafkaEvent }),
  });
  return { events, summary };
}

const of = <K extends KafkaEvent['kind']>(events: readonly Recorded[], kind: K) =>
  events.filter((e) => e.event.kind === kind) as (Recorded & { event: Extract<KafkaEvent, { kind: K }> })[];

describe('controller claims', () => {
  // KIP-380 (processBrokerChange, 2.2+): a bounced broker is out of the live brokers while its own
  // failure is handled, so an election that failure causes cannot pick it.
  test('controller: bounced broker: the leader that bounced takes no part in the election its failure causes, and its writes are lost (2.2)', () => {
    const { events, summary } = run('bounced-leader-2.2');
    const bounces = of(events, 'broker.bounced');
    expect(bounces).toHaveLength(1);
    const bounce = bounces[0]!;
    const broker = bounce.event.broker;
    expect(bounce.event.brokerEpoch).toBeGreaterThan(bounce.event.previousEpoch);
    // It was the leader when it bounced, and not the controller (the scenario's preferred election sees to that).
    const before = of(events, 'election').filter((e) => e.index < bounce.index).at(-1)!;
    expect(before.event.leader).toBe(broker);
    expect(bounce.event.controller).not.toBe(broker);
    // Kafka's order: failed, elections without it, then started again.
    const failed = of(events, 'broker.failed').find((e) => e.index > bounce.index && e.event.broker === broker)!;
    const joined = of(events, 'broker.joined').find((e) => e.index > bounce.index && e.event.broker === broker)!;
    expect(failed.index).toBeLessThan(joined.index);
    const during = of(events, 'election').filter((e) => e.index > failed.index && e.index < joined.index);
    expect(during.length).toBeGreaterThan(0);
    for (const { event } of during) {
      expect(event.leader).not.toBe(broker);
      expect(event.isr).not.toContain(broker);
    }
    // Its ISR had shrunk to itself, so the election is unclean and what it acknowledged alone goes.
    expect(during.some((e) => e.event.unclean)).toBe(true);
    expect(summary.coverage['broker-bounced']).toBe(1);
    expect(summary.anomalies.lost).toBeGreaterThan(0);
  });

  // Before KIP-380 the controller knows brokers by id only: the same bounce changes nothing.
  test('controller: bounced broker: before 2.2 the bounce goes unseen and the leader keeps leading', () => {
    const { events, summary } = run('bounced-leader-2.1');
    const reRegistered = of(events, 'broker.registered').filter((e) => e.atUs > 28_000_000);
    expect(reRegistered).toHaveLength(1); // the leader's new session, after the expiry
    expect(of(events, 'broker.bounced')).toEqual([]);
    expect(of(events, 'broker.failed').filter((e) => e.atUs > 28_000_000)).toEqual([]);
    expect(of(events, 'election').filter((e) => e.atUs > 28_000_000)).toEqual([]);
    expect(summary.anomalies.lost).toBe(0);
  });

  // KAFKA-3143 (2.3+): ReplicaStateMachine.startup moves replicas on dead brokers to OfflineReplica
  // as the new controller takes over, before any election.
  test('controller: failover: a new controller takes the dead follower out of the ISR as it takes over (3.9)', () => {
    const { events, summary } = run('failover-dead-follower-3.9');
    const elected = of(events, 'controller.elected');
    const dead = elected.filter((e) => e.atUs < 10_000_000).at(-1)!.event.broker; // the follower that was the controller, killed at 10 s
    const takeover = elected.find((e) => e.atUs > 10_000_000)!;
    expect(takeover.event.broker).not.toBe(dead);
    // Before the takeover the dead follower was still in the ISR (no leader shrink, no controller to notice).
    const lastBefore = events.filter((e) => e.index < takeover.index && (e.event.kind === 'election' || e.event.kind === 'isr.shrink' || e.event.kind === 'isr.expand' || e.event.kind === 'controller.isr')).at(-1)!;
    expect((lastBefore.event as { isr: number[] }).isr).toContain(dead);
    // The first state the new controller writes: same leader, the dead follower gone, within a second.
    const written = of(events, 'controller.isr').find((e) => e.index > takeover.index)!;
    expect(written.event).toMatchObject({ controller: takeover.event.broker, leader: takeover.event.broker, isr: [takeover.event.broker], reason: 'controller-failover' });
    expect(written.atUs - takeover.atUs).toBeLessThan(1_000_000);
    expect(of(events, 'election').filter((e) => e.index > takeover.index && e.index < written.index)).toEqual([]);
    // The leader never had to shrink it itself (replica.lag.time.max.ms is 30 s; it is killed at 36 s).
    expect(of(events, 'isr.shrink').filter((e) => e.index > takeover.index && e.atUs < 36_000_000)).toEqual([]);
    // The dead follower, back, is then elected uncleanly: the writes acknowledged since the shrink are lost.
    const comeback = of(events, 'election').find((e) => e.index > written.index && e.event.leader === dead)!;
    expect(comeback.event.unclean).toBe(true);
    expect(summary.coverage['failover-isr-shrink']).toBe(1);
    expect(summary.anomalies.lost).toBeGreaterThan(0);
  });

  // Before KAFKA-3143 a new controller left dead replicas in the ISR: the old follower is elected cleanly later.
  test('controller: failover: before 2.3 the new controller leaves the dead follower in the ISR, which later leads cleanly', () => {
    const { events, summary } = run('failover-dead-follower-2.2');
    const dead = of(events, 'controller.elected').filter((e) => e.atUs < 10_000_000).at(-1)!.event.broker; // killed at 10 s
    expect(of(events, 'controller.isr').filter((e) => e.event.reason === 'controller-failover')).toEqual([]);
    const comeback = of(events, 'election').find((e) => e.atUs > 36_000_000 && e.event.leader === dead)!;
    expect(comeback.event.unclean).toBe(false);
    expect(summary.coverage['failover-isr-shrink']).toBe(0);
    expect(summary.anomalies.lost).toBe(0);
  });
});

describe('claims: controller writes', () => {
  // PartitionStateMachine.electLeaderForPartitions / ReplicaStateMachine.removeReplicasFromIsr
  // (2.8.2): a BADVERSION re-reads the partition state and decides again on the ISR written there.
  test('claims: controller: a write that meets BADVERSION is decided again on the ISR in ZooKeeper, not on the stale one, and lands', () => {
    const loaded = scenarios.find((s) => s.scenario.name === 'controller-write-retried')!;
    const events: KafkaEvent[] = [];
    const summary = runScenario(loaded, loaded.scenario.seed, { observer: (_atUs: number, event: TraceEvent) => void events.push(event as KafkaEvent) });
    const conflicts = events.filter((e): e is Extract<KafkaEvent, { kind: 'controller.write-conflict' }> => e.kind === 'controller.write-conflict');
    expect(conflicts.map((c) => c.then).sort()).toEqual(['not-needed', 'retry']);
    for (const conflict of conflicts.filter((c) => c.then === 'retry')) {
      const after = events.slice(events.indexOf(conflict));
      const decided = after.find((e): e is Extract<KafkaEvent, { kind: 'election' | 'controller.isr' }> =>
        (e.kind === 'election' || e.kind === 'controller.isr') && e.topic === conflict.topic && e.partition === conflict.partition)!;
      // The new leader epoch follows the one read back, and the new ISR comes out of the ISR read back:
      // the replica its leader had dropped (unknown to the controller) is not put back in.
      expect(decided.leaderEpoch).toBe(conflict.leaderEpoch + 1);
      expect(decided.isr.every((r) => conflict.isr.includes(r))).toBe(true);
    }
    expect(summary.coverage['controller-write-retried']).toBe(2);
    expect(summary.anomalies.lost).toBe(0);
  });
});
