// Claims the anomaly counts alone cannot show: what the cluster did, read from the trace.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { FaultEvent, TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { partitionForKey } from '../../src/clients/partitioner.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

const { scenarios } = loadScenarioPaths([join(import.meta.dirname, '..', '..', 'scenarios')]);

function run(name: string, seed?: number): { events: { atUs: number; event: KafkaEvent }[]; summary: ReturnType<typeof runScenario> } {
  const loaded = scenarios.find((s) => s.scenario.name === name);
  if (loaded === undefined) throw new Error(`no scenario ${name}`);
  const events: { atUs: number; event: KafkaEvent }[] = [];
  // The scenario's own `seed:` unless a test names another: the run a user sees first.
  const summary = runScenario(loaded, seed ?? loaded.scenario.seed, { observer: (atUs: number, event: TraceEvent) => events.push({ atUs, event: event as KafkaEvent }) });
  return { events, summary };
}

const of = <K extends (KafkaEvent | FaultEvent)['kind']>(events: { atUs: number; event: KafkaEvent }[], kind: K) =>
  events.filter((e) => e.event.kind === kind) as unknown as { atUs: number; event: Extract<KafkaEvent | FaultEvent, { kind: K }> }[];

describe('claims', () => {
  // Claim 5: below min.insync.replicas, acks=all is refused rather than accepted on one copy.
  test('claims: min.insync.replicas: with both followers down acks=all sends fail with NOT_ENOUGH_REPLICAS', () => {
    const { events, summary } = run('min-insync-rejects');
    const rejected = of(events, 'produce.rejected');
    expect(rejected.length).toBeGreaterThan(0);
    expect(rejected.every((r) => r.event.error === 'NOT_ENOUGH_REPLICAS' && r.event.isr.length < 2)).toBe(true);
    expect(rejected[0]!.atUs).toBeGreaterThan(10_000_000); // only after the followers died
    expect(summary.messages.failed).toBeGreaterThan(0);
    expect(summary.anomalies.lost).toBe(0);
  });

  // Claim 10: the controller epoch fences a zombie controller's late requests.
  test('claims: controller: a zombie controller\'s late LeaderAndIsr is refused with its stale epoch', () => {
    const { events, summary } = run('controller-zombie-fenced');
    const elected = of(events, 'controller.elected');
    const fenced = of(events, 'controller.fenced');
    expect(fenced.length).toBeGreaterThan(0);
    const zombie = elected[0]!.event;
    const successor = elected.find((e) => e.event.controllerEpoch > zombie.controllerEpoch)!;
    for (const f of fenced) {
      expect(f.event).toMatchObject({ broker: zombie.broker, staleEpoch: zombie.controllerEpoch });
      expect(f.event.currentEpoch).toBeGreaterThanOrEqual(successor.event.controllerEpoch);
      expect(f.atUs).toBeGreaterThan(successor.atUs);
    }
    expect(summary.coverage['fenced-controller']).toBe(fenced.length);
  });

  // Claim 14 on TCP. A stall past request.timeout.ms closes the connection, yet TCP delivers what
  // it carried: the originals are appended, then their retries. A leader move under held requests
  // answers each NOT_LEADER_OR_FOLLOWER; re-enqueued at the front in turn, they go newest first.
  test('claims: max in flight: a stall past request.timeout.ms duplicates the batches it held; a leader move under held requests reorders them', () => {
    const { events, summary } = run('max-in-flight-reorders');
    const retries = of(events, 'producer.retry').filter((r) => r.event.partition === 0);
    const seqsOf = (list: typeof retries): Set<number> => new Set(list.flatMap((r) => Array.from({ length: r.event.count }, (_, i) => r.event.firstSeq + i)));
    const timedOut = retries.filter((r) => r.event.error === 'REQUEST_TIMED_OUT');
    expect(timedOut.length).toBeGreaterThanOrEqual(2);
    // Held from 15 s (a request sent a few ms before still arriving then is held too); request.timeout.ms 3 s.
    for (const r of timedOut) expect(r.atUs - 15_000_000).toBeGreaterThanOrEqual(3_000_000 - 10_000);
    const notLeader = retries.filter((r) => r.event.error === 'NOT_LEADER_OR_FOLLOWER' && r.atUs >= 30_000_000);
    expect(notLeader.length).toBeGreaterThanOrEqual(2);
    const seqs = (anomaly: string): number[] =>
      summary.instances.filter((i) => i.anomaly === anomaly).flatMap((i) => [...i.summary.matchAll(/p1#(\d+)/g)].map((m) => Number(m[1])));
    const duplicated = seqs('duplicated');
    const reordered = seqs('reordered');
    expect(duplicated.length).toBeGreaterThan(0);
    expect(reordered.length).toBeGreaterThan(0);
    expect(duplicated.every((seq) => seqsOf(timedOut).has(seq))).toBe(true);
    expect(reordered.every((seq) => seqsOf(notLeader).has(seq))).toBe(true);
  });

  // Claim 7: out after replica.lag.time.max.ms (10 s here) without catching up, back once caught up.
  test('claims: isr: a paused follower leaves the ISR after replica.lag.time.max.ms and rejoins after it resumes', () => {
    const { events } = run('isr-shrink-expand');
    const shrink = of(events, 'isr.shrink')[0]!;
    const expand = of(events, 'isr.expand').find((e) => e.atUs > shrink.atUs)!;
    expect(shrink.atUs).toBeGreaterThan(20_000_000); // paused at 10 s + 10 s lag
    expect(shrink.atUs).toBeLessThan(26_000_000); // checked every lag/2 = 5 s
    expect(shrink.event.isr).toHaveLength(2);
    expect(expand.atUs).toBeGreaterThan(35_000_000); // resumed at 35 s
    expect(expand.event.added).toEqual(shrink.event.removed);
  });

  // Claim 7: a follower back from a crash rejoins the ISR only at the high watermark
  // (Partition.isFollowerInSync), so a controlled shutdown meanwhile elects the other follower.
  test('claims: isr: a restarted follower still behind the high watermark stays out of the ISR, and the leader\'s controlled shutdown elects the other follower', () => {
    const { events, summary } = run('isr-rejoin-at-high-watermark');
    const killed = Number((of(events, 'fault').find((f) => f.atUs === 3_000_000)!.event.action as { node: string }).node.slice(1));
    const restartUs = 15_000_000;
    const moved = of(events, 'election').find((e) => e.atUs > restartUs && e.event.reason === 'controlled-shutdown')!;
    expect(moved.atUs).toBeLessThan(restartUs + 1_000_000); // controlled shutdown: within milliseconds
    expect(moved.event.leader).not.toBe(killed);
    expect(moved.event.isr).not.toContain(killed);
    // It rejoins, but only after the restart: it was ~1,000 records behind, one record a fetch.
    const rejoined = of(events, 'isr.expand').find((e) => e.event.added.includes(killed))!;
    expect(rejoined.atUs).toBeGreaterThan(moved.atUs);
    expect(summary.anomalies.lost).toBe(0);
  });

  // Claims 10 and 12: the controller's session expires, another broker takes /controller.
  test('claims: controller: a killed controller is replaced once its ZooKeeper session expires', () => {
    const { events } = run('controller-failover');
    const elected = of(events, 'controller.elected');
    expect(elected.length).toBeGreaterThanOrEqual(2);
    const [first, second] = elected;
    expect(second!.event.broker).not.toBe(first!.event.broker);
    expect(second!.event.controllerEpoch).toBe(first!.event.controllerEpoch + 1);
    // zookeeper.session.timeout.ms is 18 s; expiry is checked per tick (3 s).
    expect(second!.atUs).toBeGreaterThanOrEqual(33_000_000);
    expect(second!.atUs).toBeLessThan(37_000_000);
    // The new controller finds the old one's partitions leaderless and elects new leaders.
    const dead = first!.event.broker;
    const takeovers = of(events, 'election').filter((e) => e.atUs >= second!.atUs && e.event.reason === 'broker-failure');
    expect(takeovers.length).toBeGreaterThan(0);
    expect(takeovers.every((e) => e.event.leader !== dead && !e.event.isr.includes(dead))).toBe(true);
  });

  // Claim 11: first live ISR replica in assignment order, then back to the preferred one.
  test('claims: election: leadership moves off the dead preferred replica and comes back to it', () => {
    const { events } = run('preferred-leader-restored');
    const created = of(events, 'topic.created')[0]!.event.assignment[0]!;
    const elections = of(events, 'election');
    const failover = elections.find((e) => e.event.reason === 'broker-failure')!;
    const restored = elections.find((e) => e.event.reason === 'preferred')!;
    expect(failover.event.leader).toBe(created.find((r) => r !== created[0] && failover.event.isr.includes(r)));
    expect(restored.event.leader).toBe(created[0]);
    expect(restored.atUs).toBeGreaterThan(failover.atUs);
  });

  // Claim 6: unclean elections happen only when allowed.
  test('claims: unclean election: enabled, an out-of-sync replica leads; disabled, the partition waits offline', () => {
    const unclean = of(run('unclean-election-loses').events, 'election').filter((e) => e.event.unclean);
    expect(unclean.length).toBeGreaterThan(0);
    const clean = run('clean-election-waits').events;
    expect(of(clean, 'election').some((e) => e.event.unclean)).toBe(false);
    expect(of(clean, 'offline').length).toBeGreaterThan(0);
  });

  // Claim 9: before 0.11 a new follower truncates to its HW; since, by leader epoch.
  test('claims: truncation: Kafka 0.10 truncates to the high watermark, 2.8 by leader epoch', () => {
    const old = of(run('kip101-hw-truncation-0.10').events, 'truncate');
    const current = of(run('kip101-hw-truncation-2.8').events, 'truncate');
    expect(old.some((t) => t.event.reason === 'high-watermark')).toBe(true);
    expect(current.every((t) => t.event.reason === 'leader-epoch')).toBe(true);
  });

  // Claim 9, KIP-279: the broker that comes back after three fast unclean leader changes asks its
  // leader where its latest epoch ended. On 1.1 one answer (an end offset) settles it, and the
  // replicas diverge; on 2.0 the first answer names an epoch it never had, so it truncates part
  // way, asks again with its new latest epoch, and ends where both logs agree.
  test('claims: truncation: after fast unclean leader changes 1.1 truncates in one round and diverges, 2.0 in rounds and agrees', () => {
    const rounds = (name: string) => {
      const { events, summary } = run(name);
      const lastElection = of(events, 'election').at(-1)!;
      const returning = of(events, 'truncation.round').filter((r) => r.atUs > lastElection.atUs).map((r) => r.event);
      return { returning, summary };
    };
    const old = rounds('kip279-divergence-1.1');
    expect(old.returning).toHaveLength(1);
    expect(old.returning[0]).toMatchObject({ leaderEpoch: -1, final: true });
    expect(old.summary.anomalies.divergent).toBeGreaterThan(0);
    // The divergence's story says what the returning broker was told.
    const story = old.summary.instances.find((i) => i.anomaly === 'divergent')!.story.map((line) => line.text);
    expect(story.some((text) => /asked b\d where its epoch \d+ of orders-0 ended: at \d+ \(an end offset alone, before KIP-279\)/.test(text))).toBe(true);
    const fixed = rounds('kip279-divergence-2.0');
    expect(fixed.returning.length).toBeGreaterThanOrEqual(2);
    expect(fixed.returning.at(-1)!.final).toBe(true);
    expect(fixed.returning.slice(0, -1).every((r) => !r.final && r.leaderEpoch < r.askedEpoch)).toBe(true);
    // Each round asks about the epoch the previous one left as the latest, lower every time.
    for (let i = 1; i < fixed.returning.length; i++) expect(fixed.returning[i]!.askedEpoch).toBeLessThan(fixed.returning[i - 1]!.askedEpoch);
    expect(fixed.summary.anomalies.divergent).toBe(0);
  });

  // Claim 12's other side: a session outlives a ZooKeeper outage shorter than its timeout.
  test('claims: zookeeper: an 8 s ZooKeeper outage declares no broker dead and moves no leader', () => {
    const { events, summary } = run('zookeeper-outage');
    expect(of(events, 'broker.failed')).toEqual([]);
    expect(of(events, 'election').filter((e) => e.atUs > 15_000_000)).toEqual([]);
    expect(of(events, 'zk.expired')).toEqual([]);
    expect(summary.messages.acked).toBe(summary.messages.sent);
  });

  // Claim 11's remedy on request: nothing moves leadership back until the admin asks.
  test('claims: election: with auto rebalance off, the preferred replica leads again only when an admin asks', () => {
    const { events } = run('preferred-leader-on-request');
    const preferred = of(events, 'topic.created')[0]!.event.assignment[0]![0];
    const restored = of(events, 'election').filter((e) => e.event.reason === 'preferred');
    expect(restored).toHaveLength(1);
    expect(restored[0]!.event.leader).toBe(preferred);
    expect(restored[0]!.atUs).toBeGreaterThanOrEqual(45_000_000);
    expect(restored[0]!.atUs).toBeLessThan(46_000_000);
  });

  // Claim 16: the producer sends a keyed record to murmur2(key) mod partitions, as the Java client does.
  test('claims: partitioner: every keyed send of a cluster run goes to toPositive(murmur2(key)) mod partitions', () => {
    const { events } = run('controller-failover'); // 3 partitions, 30 keys
    const sends = of(events, 'app.send');
    expect(sends.length).toBeGreaterThan(1000);
    expect(new Set(sends.map((e) => e.event.partition)).size).toBe(3);
    for (const { event } of sends) expect(event.partition).toBe(partitionForKey(event.key!, 3));
  });

  // A clean stop: the controller moves a stopping broker's leaderships (controlled shutdown).
  test('claims: restart: in a rolling restart each broker\'s leaderships move within a second of SIGTERM, before it exits, and no election waits for a session timeout', () => {
    const { events, summary } = run('rolling-restart-acks-all');
    const all = events as { atUs: number; event: { kind: string; node?: string } }[];
    const terminated = all.filter((e) => e.event.kind === 'proc.terminate');
    expect(terminated.map((e) => e.event.node)).toEqual(['b1', 'b2', 'b3']);
    const elections = of(events, 'election');
    expect(elections.filter((e) => e.event.reason === 'broker-failure')).toEqual([]);
    for (const stop of terminated) {
      const broker = Number(stop.event.node!.slice(1));
      const exit = all.find((e) => e.event.kind === 'proc.exit' && e.event.node === stop.event.node && e.atUs >= stop.atUs)!;
      expect(exit.atUs - stop.atUs).toBeLessThan(1_000_000);
      const moved = elections.filter((e) => e.event.reason === 'controlled-shutdown' && e.atUs >= stop.atUs && e.atUs <= exit.atUs);
      expect(moved.length).toBeGreaterThan(0);
      for (const { event } of moved) expect(event.isr).not.toContain(broker);
    }
    expect(summary.anomalies.lost).toBe(0);
    expect(summary.coverage['controlled-shutdown']).toBe(3);
  });

  // Claim 3 with a clean restart: what is lost was acknowledged by the old leader in the moment
  // between the controller moving its leadership and the old leader hearing of it.
  test('claims: restart: with acks=1 the records a clean restart loses were acknowledged within a second of a SIGTERM', () => {
    const { events, summary } = run('rolling-restart-acks-1');
    expect(summary.anomalies.lost).toBeGreaterThan(0);
    const stops = (events as { atUs: number; event: { kind: string } }[]).filter((e) => e.event.kind === 'proc.terminate').map((e) => e.atUs);
    const acks = new Map(of(events, 'app.ack').map((e) => [`${e.event.producer}#${e.event.seq}`, e.atUs]));
    const lost = summary.instances.filter((i) => i.anomaly === 'lost').map((i) => /^(\S+#\d+) was acknowledged/.exec(i.summary)![1]!);
    expect(lost.length).toBeGreaterThan(0);
    for (const message of lost) {
      const ackedAt = acks.get(message)!;
      expect(stops.some((stop) => ackedAt >= stop && ackedAt - stop < 1_000_000), message).toBe(true);
    }
  });

  // Kafka's controlled shutdown retries: the last broker standing cannot hand its leaderships on.
  test('claims: restart: stopping every broker, the last one retries its controlled shutdown 3 times 5 s apart, stops anyway, and the cluster comes back whole from disk', () => {
    const { events, summary } = run('cluster-restart-keeps-data');
    const shutdowns = of(events, 'broker.shutdown');
    const unclean = shutdowns.filter((e) => e.event.phase === 'unclean');
    expect(unclean).toHaveLength(1);
    const last = unclean[0]!.event.broker;
    const attempts = shutdowns.filter((e) => e.event.broker === last && e.event.phase === 'controlled-shutdown');
    expect(unclean[0]!.event.attempt).toBe(3); // controlled.shutdown.max.retries
    expect(attempts.length).toBeGreaterThan(0); // the controller answered, naming what it could not move
    expect(attempts.every((e) => e.event.remaining.length > 0 && e.event.attempt <= 3)).toBe(true);
    expect(unclean[0]!.atUs).toBeGreaterThanOrEqual(30_000_000 + 3 * 5_000_000); // three backoffs
    expect(summary.anomalies.lost).toBe(0);
    expect(summary.messages.processed).toBe(summary.messages.inLog);
    expect(summary.messages.inLog).toBe(summary.messages.acked);
  });

  // Claim 8, since 3.7 (KAFKA-15583): no HW advance while the ISR is below min.insync.replicas.
  test('claims: high watermark: below min.insync.replicas 3.6 advances it and the group reads acks=1 writes an unclean election then replaces; 3.7 holds it and the group reads none of them', () => {
    const killUs = 30_000_000; // the leader dies (scenario line 29)
    /** The leader's HW when its ISR became itself alone, and what the group read above it before the leader died. */
    const aloneRun = (name: string) => {
      const { events, summary } = run(name);
      const alone = of(events, 'controller.isr').find((e) => e.event.topic === 'orders' && e.event.isr.length === 1)!;
      const leader = alone.event.leader;
      const hwThen = of(events, 'hw').filter((e) => e.event.topic === 'orders' && e.event.broker === leader && e.atUs <= alone.atUs).at(-1)!.event.highWatermark;
      const readAbove = of(events, 'app.processed').filter((p) => p.event.topic === 'orders' && p.atUs > alone.atUs && p.atUs < killUs && p.event.offset >= hwThen);
      return { events, summary, alone, leader, hwThen, readAbove };
    };
    const held = aloneRun('hw-under-min-isr-3.7');
    expect(held.alone.atUs).toBeGreaterThan(10_000_000); // the follower stopped at 10 s
    const holds = of(held.events, 'hw.held').filter((e) => e.event.topic === 'orders');
    expect(holds[0]!.event).toMatchObject({ broker: held.leader, highWatermark: held.hwThen, isr: [held.leader], minIsr: 2 });
    expect(holds[0]!.event.logEndOffset).toBeGreaterThan(held.hwThen);
    expect(held.readAbove).toEqual([]);
    expect(held.summary.coverage['hw-held-under-min-isr']).toBe(holds.length);
    expect(held.summary.anomalies.lost).toBeGreaterThan(0); // acks=1: acknowledged, then lost to the unclean election
    expect(held.summary.anomalies.inconsistent).toBe(0); // but never read
    const advanced = aloneRun('hw-under-min-isr-3.6');
    expect(of(advanced.events, 'hw.held')).toEqual([]);
    expect(advanced.readAbove.length).toBeGreaterThan(500); // ~50 records a second for 20 s
    expect(advanced.summary.anomalies.inconsistent).toBeGreaterThan(0);
  });

  // KIP-497 (2.7): a leader changes its ISR only through the controller, and applies it from the answer.
  test('claims: isr: from 2.7 a leader cut off from the controller cannot shrink its ISR and acknowledges nothing alone; 2.6 writes its own ISR to ZooKeeper and does', () => {
    const cutUs = 10_000_000;
    const killUs = 60_000_000;
    /** The broker cut off (and killed at 60 s), a partition it led, and what happened to that partition in between. */
    const cutRun = (name: string) => {
      const { events, summary } = run(name);
      const killed = of(events, 'fault').find((f) => f.atUs === killUs)!.event.action as { node: string };
      const broker = Number(killed.node.slice(1));
      const led = of(events, 'leader').filter((e) => e.event.broker === broker && e.event.topic === 'orders' && e.atUs < cutUs).at(-1)!.event.partition;
      const mine = <T extends { topic: string; partition: number }>(e: { atUs: number; event: T }) => e.event.topic === 'orders' && e.event.partition === led && e.atUs > cutUs && e.atUs < killUs;
      return {
        summary,
        shrinks: of(events, 'isr.shrink').filter((e) => e.event.broker === broker && mine(e)),
        proposals: of(events, 'isr.proposed').filter((e) => e.event.broker === broker && mine(e)),
        acks: of(events, 'app.ack').filter((e) => mine(e) && e.atUs > cutUs + 1_000_000),
        unanswered: of(events, 'isr.alter-retry').filter((e) => e.event.broker === broker && e.atUs > cutUs && e.event.why === 'no-answer'),
      };
    };
    const now = cutRun('isr-change-via-controller-3.9');
    expect(now.proposals.length).toBeGreaterThan(0);
    expect(now.proposals[0]!.event.via).toBe('AlterPartition');
    expect(now.proposals[0]!.event.isr).toHaveLength(1); // it asked to go on alone...
    expect(now.proposals[0]!.event.maximalIsr).toHaveLength(3); // (the followers count until the answer)
    expect(now.shrinks).toEqual([]); // ...and never did
    expect(now.unanswered.length).toBeGreaterThan(0); // its AlterPartition timed out (controller.socket.timeout.ms) and went again
    expect(now.acks).toEqual([]);
    expect(now.summary.coverage['alter-isr-unanswered']).toBeGreaterThan(0);
    expect(now.summary.anomalies.lost).toBe(0);
    const before = cutRun('isr-change-via-controller-2.6');
    expect(before.proposals[0]!.event.via).toBe('zookeeper');
    expect(before.shrinks).toHaveLength(1);
    expect(before.shrinks[0]!.event.isr).toHaveLength(1);
    expect(before.acks.length).toBeGreaterThan(100);
    expect(before.summary.anomalies.lost).toBeGreaterThan(0);
  });

  // Before 2.7 the leader's own conditional ZooKeeper write decides its ISR change
  // (Partition.maybeUpdateIsrAndVersion, 2.6): a write that meets the controller's newer znode
  // changes nothing, so the leader keeps waiting for the follower it cannot reach.
  test('claims: isr: on 2.6 a leader whose ISR write meets the controller\'s newer znode keeps its ISR, acknowledges nothing alone, and the controller elects the follower it kept', () => {
    const { events, summary } = run('isr-write-conflict-2.6');
    const cut = of(events, 'fault').find((f) => f.atUs === 5_000_000)!.event.action as { readonly groups: readonly (readonly string[])[] };
    const leader = Number(cut.groups[0]![0]!.slice(1));
    const controller = Number(cut.groups[1]![0]!.slice(1));
    const led = of(events, 'leader').find((e) => e.event.broker === leader && e.atUs < 5_000_000)!.event.partition;
    const mine = <T extends { topic: string; partition: number }>(e: { event: T }) => e.event.topic === 'orders' && e.event.partition === led;
    const killUs = 30_000_000;
    // The controller took the dead follower out of the ISR in ZooKeeper, keeping its own broker.
    const written = of(events, 'controller.isr').find((e) => mine(e) && e.atUs > 6_000_000)!;
    expect(written.event.isr).toContain(controller);
    // The leader asked to drop the controller's broker, from the znode version it knew, and never did.
    const asked = of(events, 'isr.proposed').filter((e) => mine(e) && e.event.broker === leader && e.atUs > written.atUs && e.atUs < killUs);
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((e) => e.event.via === 'zookeeper' && !e.event.isr.includes(controller))).toBe(true);
    expect(of(events, 'isr.shrink').filter((e) => mine(e) && e.event.broker === leader && e.atUs > 5_000_000 && e.atUs < killUs)).toEqual([]);
    // So acks=all waited: nothing acknowledged from a second after the cut until the leader died.
    expect(of(events, 'app.ack').filter((e) => mine(e) && e.atUs > 6_000_000 && e.atUs < killUs)).toEqual([]);
    const next = of(events, 'election').find((e) => mine(e) && e.atUs > killUs)!;
    expect(next.event).toMatchObject({ leader: controller, unclean: false });
    expect(summary.anomalies.lost).toBe(0);
  });

  // Issue 11, item 1: a broker started again while its killed predecessor's ZooKeeper session
  // still holds /brokers/ids/<id> cannot register (CheckedEphemeral): the start fails and the
  // process exits; a supervisor's later start registers once the old session has expired.
  test('claims: restart: a broker started inside its old session fails once its logs are loaded, exits, and without a supervisor stays down, out of the ISR', () => {
    const { events, summary } = run('restart-inside-session');
    const { node, broker, killedAt, firstSession } = killedBroker(events);
    const restart = processEvents(events).find((e) => e.event.kind === 'proc.start' && e.event.node === node && e.atUs > killedAt)!;
    const failed = of(events, 'broker.start-failed');
    expect(failed).toHaveLength(1);
    // Registered only after a second's start-up and the recovery of its log (milliseconds here).
    expect(failed[0]!.atUs - restart.atUs).toBeGreaterThan(1_000_000);
    expect(failed[0]!.atUs - restart.atUs).toBeLessThan(1_500_000);
    expect(failed[0]!.event).toMatchObject({ broker, reason: 'registration-exists', heldBySessionId: firstSession });
    const exits = processEvents(events).filter((e) => e.event.kind === 'proc.exit' && e.event.node === node);
    expect(exits).toEqual([{ atUs: failed[0]!.atUs, event: { kind: 'proc.exit', node, status: 1 } }]);
    expect(processEvents(events).filter((e) => e.event.kind === 'proc.start' && e.event.node === node && e.atUs > failed[0]!.atUs)).toEqual([]);
    // The old session expires later; then the controller leaves the broker out, to the end.
    const expired = of(events, 'zk.expired').find((e) => e.event.sessionId === firstSession)!;
    expect(expired.atUs).toBeGreaterThan(failed[0]!.atUs);
    expect(finalIsr(events)).not.toContain(broker);
    expect(finalIsr(events)).toHaveLength(2);
    expect(summary.failedStarts).toEqual([{ broker: node, atMs: Math.floor(failed[0]!.atUs / 1000), reason: 'registration-exists', path: `/brokers/ids/${broker}`, heldBySessionId: firstSession, sessionExpiredAtMs: Math.floor(expired.atUs / 1000), restartAtMs: null, nextStartAtMs: null }]);
    expect(summary.coverage['broker-start-failed']).toBe(1);
  });

  test('claims: restart: with a supervisor the broker is started again until a start comes after its old session expired; that one registers and rejoins the ISR', () => {
    const { events, summary } = run('restart-inside-session-supervised');
    const { node, broker, firstSession } = killedBroker(events);
    const expired = of(events, 'zk.expired').find((e) => e.event.sessionId === firstSession)!;
    const failed = of(events, 'broker.start-failed');
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.every((f) => f.atUs < expired.atUs)).toBe(true);
    // Each failed start is followed, 10 s later, by the supervisor's.
    const starts = processEvents(events).filter((e) => e.event.kind === 'proc.start' && e.event.node === node).map((e) => e.atUs);
    for (const f of failed) expect(starts).toContain(f.atUs + 10_000_000);
    const registered = of(events, 'broker.registered').filter((e) => e.event.broker === broker);
    expect(registered).toHaveLength(2); // the first process's, and the one after the expiry
    expect(registered[1]!.atUs).toBeGreaterThan(expired.atUs);
    expect(finalIsr(events)).toContain(broker);
    expect(summary.failedStarts.every((f) => f.restartAtMs !== null && f.nextStartAtMs === f.restartAtMs)).toBe(true);
    expect(summary.anomalies.lost).toBe(0);
  });
});

function processEvents(events: { atUs: number; event: KafkaEvent }[]): { atUs: number; event: { kind: string; node?: string; status?: number } }[] {
  return (events as { atUs: number; event: { kind: string; node?: string } }[]).filter((e) => e.event.kind.startsWith('proc.'));
}

/** The broker the scenario's kill hit, when, and the ZooKeeper session of its first registration. */
function killedBroker(events: { atUs: number; event: KafkaEvent }[]): { node: string; broker: number; killedAt: number; firstSession: number } {
  const kill = processEvents(events).find((e) => e.event.kind === 'proc.kill')!;
  const node = kill.event.node!;
  const broker = Number(node.slice(1));
  const firstSession = of(events, 'broker.registered').find((e) => e.event.broker === broker)!.event.sessionId;
  return { node, broker, killedAt: kill.atUs, firstSession };
}

/** orders-0's ISR as the last election or ISR change left it. */
function finalIsr(events: { atUs: number; event: KafkaEvent }[]): number[] {
  let isr: number[] = [];
  for (const { event } of events) {
    if ((event.kind === 'election' || event.kind === 'isr.shrink' || event.kind === 'isr.expand' || event.kind === 'controller.isr') && event.topic === 'orders' && event.partition === 0) isr = event.isr;
  }
  return isr;
}
