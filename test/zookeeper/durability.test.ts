import { describe, expect, test } from 'vitest';
import type { ZkClient } from '../../src/zookeeper/api.js';
import { TXN_LOG_FILE } from '../../src/zookeeper/txn.js';
import { MS, TestClient, ZK, connect, ok, ops, runFor, runUntil, zkEvents, zkWorld } from './support.js';

const registers = (path: string) => (zk: ZkClient): void => zk.create(path, { host: 'b' }, 'EPHEMERAL', () => {});

describe('zookeeper: durability', () => {
  test('zookeeper: durability: zk killed and restarted within the timeout: data, sessions and ephemerals survive', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000, registers('/brokers-1'));
    connect(world, a);
    ok(ops.create(world, a.zk, '/config', { retention: 7 }));
    ok(ops.setData(world, a.zk, '/config', { retention: 8 }));
    ok(ops.create(world, a.zk, '/seq'));
    expect(ok(ops.create(world, a.zk, '/seq/', null, 'PERSISTENT_SEQUENTIAL'))).toBe('/seq/0000000000');
    const sessionId = a.zk.sessionId;
    world.kill(ZK);
    runFor(world, 3000 * MS);
    world.restart(ZK);
    runUntil(world, () => a.events.length === 3);
    expect(a.events).toEqual([`connected ${sessionId} new`, 'disconnected', `connected ${sessionId} resumed`]);
    const config = ok(ops.getData(world, a.zk, '/config'));
    expect(config.data).toEqual({ retention: 8 });
    expect(config.stat.version).toBe(1);
    expect(ok(ops.exists(world, a.zk, '/brokers-1'))?.ephemeralOwner).toBe(sessionId);
    // The sequence and the zxid go on from where the log ended.
    expect(ok(ops.create(world, a.zk, '/seq/', null, 'PERSISTENT_SEQUENTIAL'))).toBe('/seq/0000000001');
    const later = ok(ops.create(world, a.zk, '/later'));
    expect(ok(ops.exists(world, a.zk, later))!.czxid).toBeGreaterThan(config.stat.mzxid);
    runFor(world, 30_000 * MS);
    expect(zkEvents(world).filter((e) => e.event.kind === 'zk.expired')).toEqual([]);
  });

  // SessionTrackerImpl re-adds every restored session with a full timeout from the restart.
  test('zookeeper: durability: a restored session gets a full timeout from the restart, then expires if its client stays away', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000, registers('/brokers-1'));
    connect(world, a);
    runFor(world, 100 * MS);
    world.kill('a');
    runFor(world, 1000 * MS);
    world.kill(ZK);
    runFor(world, 4000 * MS); // the session would have expired by now without the restart
    world.restart(ZK);
    const restartAt = world.now();
    runFor(world, 10_000 * MS);
    const expiry = zkEvents(world).find((e) => e.event.kind === 'zk.expired')!;
    expect(expiry.event).toMatchObject({ owner: 'a', ephemerals: ['/brokers-1'] });
    expect(expiry.atUs).toBeGreaterThan(restartAt + 6000 * MS);
    expect(expiry.atUs).toBeLessThanOrEqual(restartAt + 7000 * MS);
  });

  test('zookeeper: durability: after a power loss zk rebuilds the tree from its flushed txn log', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000);
    connect(world, a);
    for (let i = 0; i < 5; i++) ok(ops.create(world, a.zk, `/n${i}`, i));
    ok(ops.delete(world, a.zk, '/n2'));
    const log = world.disk(ZK).file(TXN_LOG_FILE);
    expect(log.durableLength).toBe(log.length); // every acknowledged write was flushed
    world.powerLoss(ZK);
    world.restart(ZK);
    runUntil(world, () => a.events.length === 3);
    expect(ok(ops.children(world, a.zk, '/'))).toEqual(['n0', 'n1', 'n3', 'n4', 'zookeeper']);
    expect(ok(ops.getData(world, a.zk, '/n4')).data).toBe(4);
  });

  test('zookeeper: durability: on a slow disk a write is answered only after its flush; a power loss before it loses only unanswered writes', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000);
    connect(world, a);
    world.disk(ZK).writeLatencyUs = 50 * MS;
    const sentAt = world.now();
    ok(ops.create(world, a.zk, '/slow'));
    expect(world.now() - sentAt).toBeGreaterThanOrEqual(50 * MS);

    let answer: string | null = null;
    a.zk.create('/unflushed', null, 'PERSISTENT', (r) => (answer = r.ok ? 'ok' : r.code));
    runFor(world, 20 * MS); // the create is in the log's page cache, its flush still under way
    expect(world.disk(ZK).file(TXN_LOG_FILE).length).toBeGreaterThan(world.disk(ZK).file(TXN_LOG_FILE).durableLength);
    world.powerLoss(ZK);
    world.restart(ZK);
    runUntil(world, () => answer !== null);
    expect(answer).toBe('CONNECTIONLOSS');
    runUntil(world, () => a.zk.state === 'CONNECTED');
    expect(ops.exists(world, a.zk, '/unflushed')).toEqual({ ok: true, value: null });
    expect(ok(ops.exists(world, a.zk, '/slow'))).not.toBeNull();
  });

  test('zookeeper: durability: a kill keeps what reached the page cache (the OS still writes it)', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000);
    connect(world, a);
    world.disk(ZK).writeLatencyUs = 50 * MS;
    let answer: string | null = null;
    a.zk.create('/cached', null, 'PERSISTENT', (r) => (answer = r.ok ? 'ok' : r.code));
    runFor(world, 20 * MS);
    world.kill(ZK);
    world.restart(ZK);
    runUntil(world, () => answer !== null);
    expect(answer).toBe('CONNECTIONLOSS'); // indeterminate: it did happen
    runUntil(world, () => a.zk.state === 'CONNECTED');
    expect(ok(ops.exists(world, a.zk, '/cached'))).not.toBeNull();
  });
});
