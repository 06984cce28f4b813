import { describe, expect, test } from 'vitest';
import type { World } from '../../sim/index.js';
import type { WatchedEvent, ZkClient } from '../../src/zookeeper/api.js';
import { negotiateTimeout } from '../../src/zookeeper/server.js';
import { MS, TestClient, ZK, call, connect, ok, ops, runFor, runUntil, zkEvents, zkWorld } from './support.js';

/** The last time the server received anything from `node` (what refreshes the session). */
function lastHeardByZk(world: World<unknown>, node: string): () => number {
  let last = -1;
  world.trace.observe((atUs, event) => {
    const e = event as { kind: string; from?: string; to?: string };
    if (e.kind === 'net.deliver' && e.from === node && e.to === ZK) last = atUs;
  });
  return () => last;
}

/** A broker-like owner: registers an ephemeral on every new session. */
const registers = (path: string) => (zk: ZkClient): void => zk.create(path, { host: 'b' }, 'EPHEMERAL', () => {});

describe('zookeeper: session', () => {
  test('zookeeper: session: the negotiated timeout is clamped to [2 × tickTime, 20 × tickTime] or to the configured bounds', () => {
    expect(negotiateTimeout(18_000, { tickTimeMs: 3000 })).toBe(18_000);
    expect(negotiateTimeout(1000, { tickTimeMs: 3000 })).toBe(6000);
    expect(negotiateTimeout(90_000, { tickTimeMs: 3000 })).toBe(60_000);
    expect(negotiateTimeout(1000, { tickTimeMs: 3000, minSessionTimeoutMs: 4000 })).toBe(4000);
    expect(negotiateTimeout(90_000, { tickTimeMs: 3000, maxSessionTimeoutMs: 30_000 })).toBe(30_000);
    expect(() => negotiateTimeout(1, { tickTimeMs: 3000, minSessionTimeoutMs: 9000, maxSessionTimeoutMs: 8000 })).toThrow(/larger than maxSessionTimeout/);

    const world = zkWorld({ config: { tickTimeMs: 2000 } });
    const short = new TestClient(world, 'short', 1000);
    const long = new TestClient(world, 'long', 100_000);
    connect(world, short, long);
    const sessions = zkEvents(world).map((e) => e.event).filter((e) => e.kind === 'zk.session');
    expect(sessions).toEqual([
      { kind: 'zk.session', node: 'short', sessionId: short.zk.sessionId, timeoutMs: 4000 },
      { kind: 'zk.session', node: 'long', sessionId: long.zk.sessionId, timeoutMs: 40_000 },
    ]);
  });

  test('zookeeper: session: an idle client keeps its session by pinging', () => {
    const world = zkWorld();
    const a = new TestClient(world, 'a', 3000, registers('/a'));
    connect(world, a);
    runFor(world, 60_000 * MS);
    expect(a.events).toEqual([`connected ${a.zk.sessionId} new`]);
    expect(zkEvents(world).filter((e) => e.event.kind === 'zk.expired')).toEqual([]);
  });

  // ExpiryQueue: the session expires at the first tick after (last heard + timeout).
  test('zookeeper: session: ephemerals vanish when the session expires (client killed; expiry between timeout and timeout + tick)', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const lastHeard = lastHeardByZk(world, 'a');
    const a = new TestClient(world, 'a', 5000, registers('/brokers-1'));
    const b = new TestClient(world, 'b', 5000);
    connect(world, a, b);
    runFor(world, 7_300 * MS);
    const sessionId = a.zk.sessionId;
    expect(ok(ops.exists(world, b.zk, '/brokers-1'))?.ephemeralOwner).toBe(sessionId);
    const deleted: WatchedEvent[] = [];
    call(world, (done) => b.zk.exists('/brokers-1', (e) => deleted.push(e), done));
    world.kill('a');
    const killedAt = world.now();
    runUntil(world, () => deleted.length > 0);
    const expiry = zkEvents(world).find((e) => e.event.kind === 'zk.expired')!;
    expect(expiry.event).toEqual({ kind: 'zk.expired', sessionId, owner: 'a', ephemerals: ['/brokers-1'] });
    expect(lastHeard()).toBeLessThanOrEqual(killedAt);
    expect(expiry.atUs).toBeGreaterThan(lastHeard() + 5000 * MS);
    expect(expiry.atUs).toBeLessThanOrEqual(lastHeard() + 6000 * MS);
    expect(expiry.atUs % (1000 * MS)).toBe(0); // on a tick
    expect(deleted).toEqual([{ type: 'NodeDeleted', path: '/brokers-1' }]);
  });

  test('zookeeper: session: a client paused past its timeout loses the session; on resume it is told, starts a new one and re-creates its ephemeral', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 4000, registers('/brokers-1'));
    const b = new TestClient(world, 'b', 4000);
    connect(world, a, b);
    runFor(world, 500 * MS);
    const first = a.zk.sessionId;
    world.pause('a');
    runFor(world, 10_000 * MS);
    expect(ops.exists(world, b.zk, '/brokers-1')).toEqual({ ok: true, value: null }); // gone with the session
    expect(a.zk.state).toBe('CONNECTED'); // the paused client has not noticed anything yet
    world.resume('a');
    runUntil(world, () => a.zk.state === 'CONNECTED' && a.zk.sessionId !== first);
    const second = a.zk.sessionId;
    expect(a.events).toEqual([`connected ${first} new`, 'disconnected', `expired ${first}`, `connected ${second} new`]);
    runFor(world, 100 * MS);
    expect(ok(ops.exists(world, b.zk, '/brokers-1'))?.ephemeralOwner).toBe(second);
    // The old session id is refused from now on.
    expect(zkEvents(world).filter((e) => e.event.kind === 'zk.expired').map((e) => e.event)).toEqual([
      { kind: 'zk.expired', sessionId: first, owner: 'a', ephemerals: ['/brokers-1'] },
    ]);
  });

  test('zookeeper: session: a client partitioned for less than the timeout keeps its session (CONNECTIONLOSS in flight, then the same session)', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 12_000, registers('/e'));
    connect(world, a);
    runFor(world, 100 * MS);
    const sessionId = a.zk.sessionId;
    ok(ops.getData(world, a.zk, '/e'));
    const cut = world.network.partition([['a'], [ZK]], 'scripted');
    let inFlight: string | null = null;
    a.zk.getData('/e', null, (r) => (inFlight = r.ok ? 'ok' : r.code));
    runFor(world, 8_200 * MS); // readTimeout is 8 s: the client gives up on the connection in here
    expect(inFlight).toBe('CONNECTIONLOSS');
    expect(a.zk.state).toBe('DISCONNECTED');
    world.network.heal(cut);
    runUntil(world, () => a.zk.state === 'CONNECTED');
    expect(a.zk.sessionId).toBe(sessionId);
    expect(a.events).toEqual([`connected ${sessionId} new`, 'disconnected', `connected ${sessionId} resumed`]);
    expect(ok(ops.exists(world, a.zk, '/e'))?.ephemeralOwner).toBe(sessionId);
    expect(zkEvents(world).filter((e) => e.event.kind === 'zk.expired')).toEqual([]);
  });

  test('zookeeper: session: a request sent into a short partition is answered after the heal; the connection lives', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 12_000);
    connect(world, a);
    const sessionId = a.zk.sessionId;
    const cut = world.network.partition([['a'], [ZK]], 'scripted');
    const start = world.now();
    let answer: string | null = null;
    a.zk.create('/late', null, 'PERSISTENT', (r) => (answer = r.ok ? 'ok' : r.code));
    runFor(world, 1000 * MS);
    expect(answer).toBe(null);
    world.network.heal(cut);
    // TCP retransmits the request (200, 400, 800 ms after it was sent): through 1.4 s after it.
    runUntil(world, () => answer !== null);
    expect(answer).toBe('ok');
    expect(world.now() - start).toBeGreaterThanOrEqual(1400 * MS);
    expect(world.now() - start).toBeLessThan(1500 * MS);
    expect(a.events).toEqual([`connected ${sessionId} new`]); // no disconnect: the connection outlived the cut
  });

  test('zookeeper: session: requests made while disconnected wait and are sent once the session is resumed', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 6000);
    connect(world, a);
    const cut = world.network.partition([['a'], [ZK]], 'scripted');
    runUntil(world, () => a.zk.state === 'DISCONNECTED');
    const answers: string[] = [];
    a.zk.create('/q', 1, 'PERSISTENT', (r) => answers.push(`create ${r.ok ? r.value : r.code}`));
    a.zk.getData('/q', null, (r) => answers.push(`get ${r.ok ? String(r.value.data) : r.code}`));
    runFor(world, 500 * MS);
    expect(answers).toEqual([]);
    world.network.heal(cut);
    runUntil(world, () => answers.length === 2);
    expect(answers).toEqual(['create /q', 'get 1']);
    expect(a.events.at(-1)).toBe(`connected ${a.zk.sessionId} resumed`);
  });

  // SetWatches: on reconnect the client re-sends its watches with the last zxid it saw.
  test('zookeeper: session: watches survive a reconnect, and a change missed while disconnected fires then', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 12_000);
    const b = new TestClient(world, 'b', 12_000);
    connect(world, a, b);
    for (const p of ['/changed', '/deleted', '/kept', '/parent']) ok(ops.create(world, b.zk, p, 0));
    const heard: string[] = [];
    const watcher = (e: WatchedEvent): void => void heard.push(`${e.type} ${e.path}`);
    for (const p of ['/changed', '/deleted', '/kept']) call(world, (done) => a.zk.getData(p, watcher, done));
    call(world, (done) => a.zk.getChildren('/parent', watcher, done));
    call(world, (done) => a.zk.exists('/born', watcher, done));
    // Cut past a's read timeout (8 s), within its session timeout (12 s): a closes its
    // connection, and opens a new one after the heal, sending its watches and last zxid.
    const cut = world.network.partition([['a'], [ZK, 'b']], 'scripted');
    ok(ops.setData(world, b.zk, '/changed', 1));
    ok(ops.delete(world, b.zk, '/deleted'));
    ok(ops.create(world, b.zk, '/parent/kid'));
    ok(ops.create(world, b.zk, '/born'));
    runUntil(world, () => a.zk.state === 'DISCONNECTED');
    expect(heard).toEqual([]);
    world.network.heal(cut);
    runUntil(world, () => a.events.length === 3);
    runFor(world, 100 * MS);
    expect(a.events.slice(1)).toEqual(['disconnected', `connected ${a.zk.sessionId} resumed`]);
    expect(heard.sort()).toEqual(['NodeChildrenChanged /parent', 'NodeCreated /born', 'NodeDataChanged /changed', 'NodeDeleted /deleted']);
    ok(ops.setData(world, b.zk, '/kept', 1));
    runFor(world, 100 * MS);
    expect(heard).toContain('NodeDataChanged /kept'); // re-registered by SetWatches, fired by a later change
    expect(heard).toHaveLength(5);
  });

  test('zookeeper: session: close deletes the session\'s ephemerals at once and records zk.closed', () => {
    const world = zkWorld();
    const a = new TestClient(world, 'a', 6000, registers('/mine'));
    const b = new TestClient(world, 'b', 6000);
    connect(world, a, b);
    runFor(world, 50 * MS);
    const sessionId = a.zk.sessionId;
    a.zk.close();
    runFor(world, 10 * MS);
    expect(ops.exists(world, b.zk, '/mine')).toEqual({ ok: true, value: null });
    expect(zkEvents(world).map((e) => e.event).filter((e) => e.kind === 'zk.closed')).toEqual([
      { kind: 'zk.closed', sessionId, owner: 'a', ephemerals: ['/mine'] },
    ]);
  });

  test('zookeeper: session: a restarted client process starts a new session; the old one expires with its ephemerals', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const a = new TestClient(world, 'a', 4000, registers('/brokers-1'));
    connect(world, a);
    runFor(world, 50 * MS);
    const first = a.zk.sessionId;
    world.kill('a');
    world.restart('a');
    connect(world, a);
    const second = a.zk.sessionId;
    expect(second).not.toBe(first);
    runFor(world, 50 * MS);
    // The new session cannot take the name while the old one holds it (Kafka's broker re-registration race).
    expect(ok(ops.exists(world, a.zk, '/brokers-1'))?.ephemeralOwner).toBe(first);
    runFor(world, 6000 * MS);
    expect(ops.exists(world, a.zk, '/brokers-1')).toEqual({ ok: true, value: null });
    expect(a.zk.sessionId).toBe(second);
  });
});
