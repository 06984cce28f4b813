import { describe, expect, test } from 'vitest';
import type { Stat, ZkOp, ZkResult } from '../../src/zookeeper/api.js';
import { isZkMessage } from '../../src/zookeeper/protocol.js';
import { TestClient, call, connect, ok, ops, zkWorld } from './support.js';

function setup(): { world: ReturnType<typeof zkWorld>; a: TestClient } {
  const world = zkWorld();
  const a = new TestClient(world, 'a', 6000);
  connect(world, a);
  return { world, a };
}

describe('zookeeper: znodes', () => {
  test('zookeeper: znodes: create, getData, setData and delete with versions; a stale version gets BADVERSION', () => {
    const { world, a } = setup();
    const zk = a.zk;
    expect(ops.create(world, zk, '/a', { v: 1 })).toEqual({ ok: true, value: '/a' });
    const read = ok(ops.getData(world, zk, '/a'));
    expect(read.data).toEqual({ v: 1 });
    expect(read.stat).toMatchObject({ version: 0, cversion: 0, numChildren: 0, ephemeralOwner: 0 });
    expect(read.stat.czxid).toBe(read.stat.mzxid);

    const set = ok(ops.setData(world, zk, '/a', { v: 2 }, 0));
    expect(set.version).toBe(1);
    expect(set.mzxid).toBeGreaterThan(set.czxid);
    // Version 0 is stale now; -1 matches any version.
    expect(ops.setData(world, zk, '/a', { v: 3 }, 0)).toEqual({ ok: false, code: 'BADVERSION' });
    expect(ok(ops.setData(world, zk, '/a', { v: 3 }, -1)).version).toBe(2);
    expect(ops.delete(world, zk, '/a', 1)).toEqual({ ok: false, code: 'BADVERSION' });
    expect(ops.delete(world, zk, '/a', 2)).toEqual({ ok: true, value: null });
    expect(ops.getData(world, zk, '/a')).toEqual({ ok: false, code: 'NONODE' });
    expect(ops.exists(world, zk, '/a')).toEqual({ ok: true, value: null });
    expect(ops.setData(world, zk, '/a', 1)).toEqual({ ok: false, code: 'NONODE' });
    expect(ops.delete(world, zk, '/a')).toEqual({ ok: false, code: 'NONODE' });
  });

  test('zookeeper: znodes: NONODE without a parent, NODEEXISTS twice, NOCHILDRENFOREPHEMERALS, NOTEMPTY', () => {
    const { world, a } = setup();
    const zk = a.zk;
    expect(ops.create(world, zk, '/x/y')).toEqual({ ok: false, code: 'NONODE' });
    ok(ops.create(world, zk, '/x'));
    expect(ops.create(world, zk, '/x')).toEqual({ ok: false, code: 'NODEEXISTS' });
    ok(ops.create(world, zk, '/x/y'));
    expect(ops.delete(world, zk, '/x')).toEqual({ ok: false, code: 'NOTEMPTY' });
    ok(ops.create(world, zk, '/e', null, 'EPHEMERAL'));
    expect(ops.create(world, zk, '/e/child')).toEqual({ ok: false, code: 'NOCHILDRENFOREPHEMERALS' });
    expect(ok(ops.exists(world, zk, '/e'))?.ephemeralOwner).toBe(zk.sessionId);
    const parent = ok(ops.exists(world, zk, '/x'));
    expect(parent).toMatchObject({ numChildren: 1, cversion: 1 });
    expect(ok(ops.children(world, zk, '/'))).toEqual(['e', 'x', 'zookeeper']);
  });

  test('zookeeper: znodes: a bad path or a delete of ZooKeeper\'s own nodes throws before anything is sent', () => {
    const { a } = setup();
    const none = (): void => {};
    expect(() => a.zk.create('a', null, 'PERSISTENT', none)).toThrow(/must start with \//);
    expect(() => a.zk.create('/a/', null, 'PERSISTENT', none)).toThrow(/must not end with \//);
    expect(() => a.zk.getData('/a//b', null, none)).toThrow(/empty node name/);
    expect(() => a.zk.delete('/zookeeper', -1, none)).toThrow(/BADARGUMENTS/);
    expect(() => a.zk.create('/a/', null, 'PERSISTENT_SEQUENTIAL', none)).not.toThrow();
  });

  // PrepRequestProcessor appends the parent's cversion, which counts child creates (not deletes).
  test('zookeeper: znodes: sequential names count the parent\'s creates (/a/n-0000000000, -0000000001), a delete does not reuse one', () => {
    const { world, a } = setup();
    const zk = a.zk;
    ok(ops.create(world, zk, '/a'));
    expect(ok(ops.create(world, zk, '/a/n-', 1, 'PERSISTENT_SEQUENTIAL'))).toBe('/a/n-0000000000');
    expect(ok(ops.create(world, zk, '/a/n-', 2, 'EPHEMERAL_SEQUENTIAL'))).toBe('/a/n-0000000001');
    ok(ops.delete(world, zk, '/a/n-0000000001'));
    ok(ops.create(world, zk, '/a/other'));
    expect(ok(ops.create(world, zk, '/a/n-', 3, 'PERSISTENT_SEQUENTIAL'))).toBe('/a/n-0000000003');
    expect(ok(ops.create(world, zk, '/a/', 4, 'PERSISTENT_SEQUENTIAL'))).toBe('/a/0000000004');
    expect(ok(ops.children(world, zk, '/a'))).toEqual(['0000000004', 'n-0000000000', 'n-0000000003', 'other']);
  });

  test('zookeeper: znodes: data is a frozen copy: the caller\'s object and the server\'s value stay apart', () => {
    const { world, a } = setup();
    const mine = { brokers: [1, 2] };
    ok(ops.create(world, a.zk, '/d', mine));
    mine.brokers.push(3);
    const read = ok(ops.getData(world, a.zk, '/d')).data as { brokers: number[] };
    expect(read).toEqual({ brokers: [1, 2] });
    expect(() => read.brokers.push(4)).toThrow(TypeError);
  });
});

describe('zookeeper: multi', () => {
  const multi = (world: ReturnType<typeof zkWorld>, a: TestClient, list: readonly ZkOp[]) =>
    call<ZkResult<readonly (string | Stat | null)[]>>(world, (done) => a.zk.multi(list, done));

  test('zookeeper: multi: all or nothing; the error is the first failing op\'s', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/m'));
    const failed = multi(world, a, [
      { op: 'create', path: '/m/1', data: 1, mode: 'PERSISTENT' },
      { op: 'setData', path: '/m', data: 'x', version: 0 },
      { op: 'delete', path: '/nope', version: -1 },
      { op: 'create', path: '/m', data: null, mode: 'PERSISTENT' },
    ]);
    expect(failed).toEqual({ ok: false, code: 'NONODE' });
    expect(ops.exists(world, a.zk, '/m/1')).toEqual({ ok: true, value: null });
    expect(ok(ops.getData(world, a.zk, '/m')).stat.version).toBe(0);

    const done = ok(multi(world, a, [
      { op: 'create', path: '/m/1', data: 1, mode: 'PERSISTENT' },
      { op: 'create', path: '/m/1/s-', data: 2, mode: 'PERSISTENT_SEQUENTIAL' },
      { op: 'create', path: '/m/1/s-', data: 3, mode: 'PERSISTENT_SEQUENTIAL' },
      { op: 'setData', path: '/m', data: 'x', version: 0 },
      { op: 'check', path: '/m', version: 1 },
    ]));
    expect(done.slice(0, 3)).toEqual(['/m/1', '/m/1/s-0000000000', '/m/1/s-0000000001']);
    expect((done[3] as Stat).version).toBe(1);
    expect(done[4]).toBeNull();
    // One transaction: every create in it has the same czxid.
    const czxids = ['/m/1', '/m/1/s-0000000000', '/m/1/s-0000000001'].map((p) => ok(ops.exists(world, a.zk, p))!.czxid);
    expect(new Set(czxids).size).toBe(1);
  });

  test('zookeeper: multi: a check op fails the whole multi with BADVERSION (a guarded write, as Kafka\'s controller epoch check)', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/epoch', 1));
    ok(ops.create(world, a.zk, '/state', 'old'));
    const guarded = (version: number) =>
      multi(world, a, [
        { op: 'check', path: '/epoch', version },
        { op: 'setData', path: '/state', data: `new@${version}`, version: -1 },
      ]);
    ok(ops.setData(world, a.zk, '/epoch', 2));
    expect(guarded(0)).toEqual({ ok: false, code: 'BADVERSION' });
    expect(ok(ops.getData(world, a.zk, '/state')).data).toBe('old');
    expect(guarded(1).ok).toBe(true);
    expect(ok(ops.getData(world, a.zk, '/state')).data).toBe('new@1');
    expect(multi(world, a, [{ op: 'check', path: '/missing', version: -1 }])).toEqual({ ok: false, code: 'NONODE' });
    expect(multi(world, a, [])).toEqual({ ok: true, value: [] });
  });
});

describe('zookeeper: protocol', () => {
  test('zookeeper: protocol: requests of one session are answered in the order they were made', () => {
    const { world, a } = setup();
    const order: string[] = [];
    a.zk.create('/o', 0, 'PERSISTENT', (r) => order.push(`create ${r.ok}`));
    a.zk.getData('/o', null, (r) => order.push(`get ${r.ok}`));
    a.zk.setData('/o', 1, 0, (r) => order.push(`set ${r.ok}`));
    a.zk.setData('/o', 2, 0, (r) => order.push(`stale ${r.ok ? 'ok' : r.code}`));
    a.zk.exists('/o', null, (r) => order.push(`exists ${r.ok && r.value?.version}`));
    a.zk.delete('/o', -1, (r) => order.push(`delete ${r.ok}`));
    call<void>(world, (done) => a.zk.getChildren('/', null, () => done()));
    expect(order).toEqual(['create true', 'get true', 'set true', 'stale BADVERSION', 'exists 1', 'delete true']);
  });

  test('zookeeper: protocol: isZkMessage knows zk.* messages; handle leaves other messages to the owner', () => {
    const { a } = setup();
    expect(isZkMessage({ type: 'zk.ping' })).toBe(true);
    expect(isZkMessage({ type: 'Produce' })).toBe(false);
    expect(isZkMessage(null)).toBe(false);
    expect(isZkMessage('zk.ping')).toBe(false);
    expect(a.zk.handle('zk', { type: 'Metadata', correlationId: 1, topics: null })).toBe(false);
    expect(a.zk.handle('zk', { type: 'zk.pong', client: -5, conn: 1, seq: 9 })).toBe(true);
  });
});
