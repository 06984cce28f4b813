import { describe, expect, test } from 'vitest';
import { Faults, startNemesis, type LinkConfig } from '../../sim/index.js';
import type { ZkClient } from '../../src/zookeeper/api.js';
import { MS, TestClient, ZK, connect, ok, ops, runFor, zkEvents, zkWorld } from './support.js';

const lossy: LinkConfig = { latencyUs: { minUs: 1000, maxUs: 5000 }, dropPpm: 20_000, duplicatePpm: 20_000, reorderPpm: 20_000 };
const registers = (path: string) => (zk: ZkClient): void => zk.create(path, null, 'EPHEMERAL', () => {});

/** A writer creating /k/0../k/{n-1} one after another on a lossy network; returns each answer. */
function lossyRun(seed: number, writes: number): { answers: string[]; world: ReturnType<typeof zkWorld>; writer: TestClient; retransmits: () => number } {
  const world = zkWorld({ seed, config: { tickTimeMs: 1000 }, network: lossy });
  let retransmits = 0;
  world.trace.observe((_atUs, e) => void (e.kind === 'net.retransmit' && (retransmits += 1)), { deliveries: false });
  const writer = new TestClient(world, 'w', 10_000, registers('/alive'));
  connect(world, writer);
  const answers: string[] = [];
  const next = (): void => {
    if (answers.length === 0 && writer.zk.sessionId === 0) return;
    const i = answers.length;
    if (i === writes) return;
    writer.zk.create(`/k-${i}`, i, 'PERSISTENT', (r) => {
      answers.push(r.ok ? 'ok' : r.code);
      next();
    });
  };
  next();
  runFor(world, 120_000 * MS);
  return { answers, world, writer, retransmits: () => retransmits };
}

describe('zookeeper: faults', () => {
  // ZooKeeper runs on TCP: a lost segment is retransmitted, so losses slow the session down and
  // break nothing (duplicates and reorders are a datagram's; a connection has none).
  test('zookeeper: faults: on a lossy network every request is answered once, OK, in order; the connection lives', () => {
    const { answers, world, writer, retransmits } = lossyRun(7, 300);
    expect(retransmits()).toBeGreaterThan(5); // 2% of the segments were lost, and sent again
    expect(answers).toEqual(Array.from({ length: 300 }, () => 'ok'));
    const children = new Set(ok(ops.children(world, writer.zk, '/')));
    answers.forEach((_, i) => expect(children.has(`k-${i}`), `k-${i}`).toBe(true));
    expect(writer.events).toEqual([`connected ${writer.zk.sessionId} new`]);
    expect(children.has('alive')).toBe(true);
  });

  test('zookeeper: faults: the same seed gives the same trace hash twice; another seed another', () => {
    const hash = (seed: number): string => lossyRun(seed, 100).world.trace.hash;
    expect(hash(11)).toBe(hash(11));
    expect(hash(11)).not.toBe(hash(12));
  });

  // A nemesis over zk and the clients: whatever happens, no client is left hanging, every
  // ephemeral ends up owned by its client's live session, and no session is orphaned (every
  // session the server created was taken up by its client: no stale timer or reply misled one).
  test('zookeeper: faults: under a random nemesis clients always recover, own their ephemerals, and orphan no session', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const world = zkWorld({ seed, config: { tickTimeMs: 1000 }, network: { ...lossy, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
      const clients = ['b1', 'b2', 'b3'].map((name) => new TestClient(world, name, 4000, (zk) => registerEphemeral(zk, `/brokers-${name}`)));
      connect(world, ...clients);
      const faults = new Faults(world);
      startNemesis(world, faults, world.random.stream('nemesis'), {
        kinds: ['kill', 'power', 'pause', 'partition', 'isolate', 'one-way', 'slow-disk'],
        intervalUs: { minUs: 1000 * MS, maxUs: 4000 * MS },
        faultDurationUs: { minUs: 500 * MS, maxUs: 8000 * MS },
        stopAtUs: 60_000 * MS,
        targets: () => [ZK, 'b1', 'b2', 'b3'],
      });
      runFor(world, 70_000 * MS);
      faults.healAll();
      runFor(world, 30_000 * MS);
      const observer = clients[0]!;
      for (const c of clients) {
        expect(c.zk.state, `${c.name} seed ${seed}`).toBe('CONNECTED');
        const stat = ok(ops.exists(world, observer.zk, `/brokers-${c.name}`));
        expect(stat?.ephemeralOwner, `${c.name} seed ${seed}`).toBe(c.zk.sessionId);
      }
      const created = zkEvents(world).flatMap((e) => (e.event.kind === 'zk.session' ? [e.event.sessionId] : []));
      const taken = clients.flatMap((c) => c.events.flatMap((e) => (e.endsWith(' new') ? [Number(e.split(' ')[1])] : [])));
      expect(taken.sort((x, y) => x - y), `seed ${seed}`).toEqual(created);
      expect(created.length, `seed ${seed}`).toBeGreaterThan(3);
    }
  });
});

/**
 * Registers an ephemeral as Kafka's broker does: if the node is still held by an old session of
 * ours (a restart before the old session expired), wait for it to go and try again.
 */
function registerEphemeral(zk: ZkClient, path: string): void {
  const sessionId = zk.sessionId;
  const retry = (): void => {
    if (zk.sessionId === sessionId && zk.state !== 'CLOSED') registerEphemeral(zk, path);
  };
  zk.create(path, null, 'EPHEMERAL', (created) => {
    if (created.ok || created.code === 'SESSIONEXPIRED') return;
    zk.exists(path, retry, (held) => {
      if (held.ok && held.value === null) retry();
      else if (!held.ok && held.code === 'CONNECTIONLOSS') retry();
      // held by someone: the watch retries when it is deleted
    });
  });
}
