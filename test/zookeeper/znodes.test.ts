import { describe, expect, test } from 'vitest';
import type { Stat, ZkMultiResult, ZkOp } from '../../src/zookeeper/api.js';
import { isZkMessage } from '../../src/zookeeper/protocol.js';
import { MS, TestClient, ZK, call, connect, ok, ops, runUntil, zkWorld } from './support.js';

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

  // PathUtils.validatePath (3.8): "Path must not end with / character", checked by every call of
  // ZooKeeper.java before anything is queued; "/" alone is the root and valid.
  test('zookeeper: znodes: a path ending in / is refused by every call before it is sent (PathUtils.validatePath)', () => {
    const { world, a } = setup();
    const none = (): void => {};
    const calls: [string, () => void][] = [
      ['create', () => a.zk.create('/b/', null, 'PERSISTENT', none)],
      ['delete', () => a.zk.delete('/b/', -1, none)],
      ['setData', () => a.zk.setData('/b/', 1, -1, none)],
      ['getData', () => a.zk.getData('/b/', null, none)],
      ['exists', () => a.zk.exists('/b/', null, none)],
      ['getChildren', () => a.zk.getChildren('/b/', null, none)],
      ['getChildren2', () => a.zk.getChildren2('/b/', null, none)],
      ['multi', () => a.zk.multi([{ op: 'check', path: '/b/', version: -1 }], none)],
    ];
    let sent = 0;
    world.trace.observe((_at, event) => {
      const e = event as { kind: string; from?: string; type?: string };
      if (e.kind === 'net.deliver' && e.from === 'a' && e.type === 'zk.request') sent += 1;
    });
    for (const [name, run] of calls) expect(run, name).toThrow(/must not end with \//);
    expect(() => a.zk.getData('/b\u0001', null, none)).toThrow(/invalid character @2/);
    world.scheduler.run(world.now() + 100 * MS);
    expect(sent).toBe(0);
    expect(ok(ops.exists(world, a.zk, '/'))?.numChildren).toBe(1); // "/" itself is valid
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
    call<ZkMultiResult>(world, (done) => a.zk.multi(list, done));

  // PrepRequestProcessor stops at the first failing op (the rest: ErrorTxn(RUNTIMEINCONSISTENCY));
  // DataTree.processTxn makes the ops before it ErrorTxn(OK); ClientCnxn's MultiCallback rc is the first non-OK.
  test('zookeeper: multi: all or nothing; the error is the first failing op\'s; OK before it, RUNTIMEINCONSISTENCY after', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/m'));
    const failed = multi(world, a, [
      { op: 'create', path: '/m/1', data: 1, mode: 'PERSISTENT' },
      { op: 'setData', path: '/m', data: 'x', version: 0 },
      { op: 'delete', path: '/nope', version: -1 },
      { op: 'create', path: '/m', data: null, mode: 'PERSISTENT' },
    ]);
    expect(failed).toEqual({ ok: false, code: 'NONODE', opResults: ['OK', 'OK', 'NONODE', 'RUNTIMEINCONSISTENCY'] });
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
    expect(guarded(0)).toEqual({ ok: false, code: 'BADVERSION', opResults: ['BADVERSION', 'RUNTIMEINCONSISTENCY'] });
    expect(ok(ops.getData(world, a.zk, '/state')).data).toBe('old');
    expect(guarded(1).ok).toBe(true);
    expect(ok(ops.getData(world, a.zk, '/state')).data).toBe('new@1');
    expect(multi(world, a, [{ op: 'check', path: '/missing', version: -1 }])).toEqual({ ok: false, code: 'NONODE', opResults: ['NONODE'] });
  });

  // The per-op results are how Kafka's controller tells a fenced controller (its check on
  // /controller_epoch failed: ControllerMovedException) from a stale partition znode (its setData
  // failed: re-read and retry) in KafkaZkClient.unwrapResponseWithControllerEpochCheck.
  test('zookeeper: multi: a passing check and a failing setData: the check is OK, the write BADVERSION', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/epoch', 1));
    ok(ops.create(world, a.zk, '/state', 'old'));
    ok(ops.setData(world, a.zk, '/state', 'moved'));
    const failed = multi(world, a, [
      { op: 'check', path: '/epoch', version: 0 },
      { op: 'setData', path: '/state', data: 'mine', version: 0 },
    ]);
    expect(failed).toEqual({ ok: false, code: 'BADVERSION', opResults: ['OK', 'BADVERSION'] });
    expect(ok(ops.getData(world, a.zk, '/state')).data).toBe('moved');
  });

  // ClientCnxn passes no results to a MultiCallback whose request failed as a whole.
  test('zookeeper: multi: CONNECTIONLOSS and SESSIONEXPIRED come without per-op results', () => {
    const { world, a } = setup();
    let lost: ZkMultiResult | null = null;
    a.zk.multi([{ op: 'create', path: '/x', data: null, mode: 'PERSISTENT' }], (r) => (lost = r));
    world.kill(ZK);
    runUntil(world, () => lost !== null);
    expect(lost).toEqual({ ok: false, code: 'CONNECTIONLOSS', opResults: null });
    a.zk.close();
    expect(multi(world, a, [{ op: 'check', path: '/', version: -1 }])).toEqual({ ok: false, code: 'SESSIONEXPIRED', opResults: null });
  });

  // ZooKeeper.multiInternal: an empty multi is answered OK at once ("nothing to do, early exit").
  test('zookeeper: multi: an empty multi is answered OK without reaching the server (no zxid taken)', () => {
    const { world, a } = setup();
    const before = ok(ops.create(world, a.zk, '/e1'));
    const first = ok(ops.exists(world, a.zk, before))!.czxid;
    expect(multi(world, a, [])).toEqual({ ok: true, value: [] });
    const next = ok(ops.exists(world, a.zk, ok(ops.create(world, a.zk, '/e2'))))!.czxid;
    expect(next).toBe(first + 1);
  });

  // PrepRequestProcessor takes the zxid (zks.getNextZxid()) before it checks a write; a failed one
  // becomes an ErrorTxn that is logged and committed like any other (SyncRequestProcessor).
  test('zookeeper: multi: a failed write or multi still takes a zxid (an error txn in the log)', () => {
    const { world, a } = setup();
    const first = ok(ops.exists(world, a.zk, ok(ops.create(world, a.zk, '/z1'))))!.czxid;
    expect(ops.create(world, a.zk, '/z1')).toEqual({ ok: false, code: 'NODEEXISTS' });
    expect(multi(world, a, [{ op: 'delete', path: '/nope', version: -1 }]).ok).toBe(false);
    const next = ok(ops.exists(world, a.zk, ok(ops.create(world, a.zk, '/z2'))))!.czxid;
    expect(next).toBe(first + 3);
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
