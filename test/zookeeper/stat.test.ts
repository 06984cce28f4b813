// The Stat a client sees, getChildren2 and the negotiated session timeout, each as ZooKeeper 3.8
// answers them (the source named in each test's comment).
import { describe, expect, test } from 'vitest';
import type { Stat, WatchedEvent, ZkClient, ZkResult } from '../../src/zookeeper/api.js';
import { createZkClient } from '../../src/zookeeper/client.js';
import { dataLengthOf } from '../../src/zookeeper/data-tree.js';
import { MS, TestClient, ZK, call, connect, ok, ops, runFor, runUntil, zkWorld } from './support.js';

function setup(): { world: ReturnType<typeof zkWorld>; a: TestClient } {
  const world = zkWorld({ config: { tickTimeMs: 1000 } });
  const a = new TestClient(world, 'a', 6000);
  connect(world, a);
  return { world, a };
}

describe('zookeeper: stat', () => {
  // DataNode.copyStat: "translate from the count of the creates to the count of the changes":
  // cversion = 2 × creates − numChildren; sequential names use the creates (PrepRequestProcessor).
  test('zookeeper: stat: cversion counts child creates plus deletes; sequential names still count creates only', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/p'));
    ok(ops.create(world, a.zk, '/p/a'));
    ok(ops.create(world, a.zk, '/p/b'));
    expect(ok(ops.exists(world, a.zk, '/p'))).toMatchObject({ cversion: 2, numChildren: 2 });
    ok(ops.delete(world, a.zk, '/p/a'));
    expect(ok(ops.exists(world, a.zk, '/p'))).toMatchObject({ cversion: 3, numChildren: 1 });
    ok(ops.delete(world, a.zk, '/p/b'));
    expect(ok(ops.exists(world, a.zk, '/p'))).toMatchObject({ cversion: 4, numChildren: 0 });
    // Two creates so far: the next sequential child is ...0000000002, not ...0000000004.
    expect(ok(ops.create(world, a.zk, '/p/s-', null, 'PERSISTENT_SEQUENTIAL'))).toBe('/p/s-0000000002');
    expect(ok(ops.exists(world, a.zk, '/p'))).toMatchObject({ cversion: 5, numChildren: 1 });
  });

  // DataTree's constructor adds /zookeeper to the root without a create: a fresh root reports cversion -1.
  test('zookeeper: stat: a fresh root has cversion -1 and one child (/zookeeper)', () => {
    const { world, a } = setup();
    expect(ok(ops.exists(world, a.zk, '/'))).toMatchObject({ czxid: 0, cversion: -1, numChildren: 1, version: 0 });
  });

  // DataTree.createStat / PrepRequestProcessor: ctime = mtime = the txn header's time at create;
  // a setData moves mtime and mzxid; pzxid is the zxid of the last child create or delete.
  test('zookeeper: stat: ctime, mtime, pzxid and aversion move as ZooKeeper\'s do', () => {
    const { world, a } = setup();
    runFor(world, 1234 * MS);
    const createdAtMs = Math.floor(world.now() / 1000);
    ok(ops.create(world, a.zk, '/t', { v: 1 }));
    const created = ok(ops.exists(world, a.zk, '/t'))!;
    expect(created.ctime).toBeGreaterThanOrEqual(createdAtMs);
    expect(created.ctime).toBeLessThan(createdAtMs + 10); // one network hop later
    expect(created).toMatchObject({ mtime: created.ctime, pzxid: created.czxid, aversion: 0 });

    runFor(world, 5000 * MS);
    const set = ok(ops.setData(world, a.zk, '/t', { v: 2 }));
    expect(set.ctime).toBe(created.ctime);
    expect(set.mtime).toBeGreaterThanOrEqual(created.ctime + 5000);
    expect(set.pzxid).toBe(created.czxid); // a data change is not a child change

    const child = ok(ops.exists(world, a.zk, ok(ops.create(world, a.zk, '/t/c'))))!;
    expect(ok(ops.exists(world, a.zk, '/t'))!.pzxid).toBe(child.czxid);
    ok(ops.delete(world, a.zk, '/t/c'));
    const after = ok(ops.exists(world, a.zk, ok(ops.create(world, a.zk, '/other'))))!;
    // The delete came between the child's create and /other's create: its zxid is /other's − 1.
    expect(ok(ops.exists(world, a.zk, '/t'))!.pzxid).toBe(after.czxid - 1);
    expect(ok(ops.exists(world, a.zk, '/t'))!.mtime).toBe(set.mtime);
  });

  // Stat.dataLength is the byte length of the data; ksim's data is the value Kafka would have
  // serialized as JSON, so its length is that JSON text's in UTF-8; null data is 0 bytes.
  test('zookeeper: stat: dataLength is the UTF-8 length of the data\'s JSON text, 0 for null', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/d', { version: 1, brokerid: 2 }));
    expect(ok(ops.getData(world, a.zk, '/d')).stat.dataLength).toBe('{"version":1,"brokerid":2}'.length);
    const set = ok(ops.setData(world, a.zk, '/d', { host: 'é€😀' }));
    expect(set.dataLength).toBe(11 + 2 + 3 + 4); // {"host":""} is 11 bytes; é 2, € 3, 😀 4
    ok(ops.create(world, a.zk, '/n', null));
    expect(ok(ops.exists(world, a.zk, '/n'))!.dataLength).toBe(0);
    expect(dataLengthOf(7)).toBe(1);
    expect(dataLengthOf('ab')).toBe(4);
  });

  // The txn log carries each txn's time (TxnHeader.time), so a restart rebuilds the same Stat.
  test('zookeeper: stat: a restarted server rebuilds every Stat field from its txn log', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/r', { v: 1 }));
    runFor(world, 2000 * MS);
    ok(ops.setData(world, a.zk, '/r', { v: 22 }));
    ok(ops.create(world, a.zk, '/r/c'));
    ok(ops.delete(world, a.zk, '/r/c'));
    const before = ok(ops.exists(world, a.zk, '/r'))!;
    world.kill(ZK);
    runFor(world, 1000 * MS);
    world.restart(ZK);
    runUntil(world, () => a.zk.state === 'CONNECTED' && a.events.length === 3);
    const after: Stat = ok(ops.exists(world, a.zk, '/r'))!;
    expect(after).toEqual(before);
    expect(after.cversion).toBe(2);
  });
});

describe('zookeeper: getChildren2', () => {
  // FinalRequestProcessor, OpCode.getChildren2: the children and the parent's Stat, read together.
  test('zookeeper: getChildren2: the children and the parent\'s Stat in one answer; its watch is a child watch', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/g'));
    ok(ops.create(world, a.zk, '/g/b'));
    ok(ops.create(world, a.zk, '/g/a'));
    ok(ops.delete(world, a.zk, '/g/b'));
    const heard: WatchedEvent[] = [];
    type Answer = ZkResult<{ readonly children: readonly string[]; readonly stat: Stat }>;
    const answer = ok(call<Answer>(world, (done) => a.zk.getChildren2('/g', (e) => heard.push(e), done)));
    expect(answer.children).toEqual(['a']);
    expect(answer.stat).toEqual(ok(ops.exists(world, a.zk, '/g')));
    expect(answer.stat).toMatchObject({ numChildren: 1, cversion: 3 });
    ok(ops.setData(world, a.zk, '/g', 1)); // a data change does not fire a child watch
    ok(ops.create(world, a.zk, '/g/c'));
    runFor(world, 100 * MS);
    expect(heard).toEqual([{ type: 'NodeChildrenChanged', path: '/g' }]);
    expect(call(world, (done) => a.zk.getChildren2('/none', null, done))).toEqual({ ok: false, code: 'NONODE' });
  });
});

describe('zookeeper: session timeout', () => {
  // ZooKeeper.getSessionTimeout() returns ClientCnxn.negotiatedSessionTimeout: 0 until the
  // server's ConnectResponse, then the server's value (the request clamped to its bounds).
  test('zookeeper: session timeout: the client reports the negotiated timeout once connected, 0 before and between sessions', () => {
    const world = zkWorld({ config: { tickTimeMs: 1000 } });
    const low = new TestClient(world, 'low', 500);
    const high = new TestClient(world, 'high', 90_000);
    const fit = new TestClient(world, 'fit', 6000);
    expect([low.zk.sessionTimeoutMs, high.zk.sessionTimeoutMs, fit.zk.sessionTimeoutMs]).toEqual([0, 0, 0]);
    connect(world, low, high, fit);
    expect([low.zk.sessionTimeoutMs, high.zk.sessionTimeoutMs, fit.zk.sessionTimeoutMs]).toEqual([2000, 20_000, 6000]);

    // Paused past its timeout, the client learns of the expiry on resume: no session then, so 0;
    // the next session negotiates again (the onExpired/onConnected listener reads the getter).
    const seen: string[] = [];
    world.spawn('p', (env) => {
      const client: ZkClient = createZkClient(env, {
        server: ZK,
        sessionTimeoutMs: 4000,
        listener: {
          onConnected: (_id, isNew) => seen.push(`connected ${isNew ? 'new' : 'resumed'} ${client.sessionTimeoutMs}`),
          onExpired: () => seen.push(`expired ${client.sessionTimeoutMs}`),
        },
      });
      return { onMessage: (from, m) => void client.handle(from, m) };
    });
    runFor(world, 500 * MS);
    world.pause('p');
    runFor(world, 10_000 * MS);
    world.resume('p');
    runFor(world, 3000 * MS);
    expect(seen).toEqual(['connected new 4000', 'expired 0', 'connected new 4000']);
  });
});
