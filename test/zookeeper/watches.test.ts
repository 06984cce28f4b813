import { describe, expect, test } from 'vitest';
import type { WatchedEvent, Watcher } from '../../src/zookeeper/api.js';
import { MS, TestClient, call, connect, ok, ops, runFor, zkWorld } from './support.js';

/** A watcher that records what it heard as `Type path`. */
function recorder(): { heard: string[]; watcher: Watcher } {
  const heard: string[] = [];
  return { heard, watcher: (e: WatchedEvent) => heard.push(`${e.type} ${e.path}`) };
}

function setup(): { world: ReturnType<typeof zkWorld>; a: TestClient; b: TestClient } {
  const world = zkWorld();
  const a = new TestClient(world, 'a', 6000);
  const b = new TestClient(world, 'b', 6000);
  connect(world, a, b);
  return { world, a, b };
}

describe('zookeeper: watches', () => {
  test('zookeeper: watches: a getData watch fires NodeDataChanged once and only once', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, b.zk, '/w', 0));
    const { heard, watcher } = recorder();
    call(world, (done) => a.zk.getData('/w', watcher, done));
    ok(ops.setData(world, b.zk, '/w', 1));
    ok(ops.setData(world, b.zk, '/w', 2));
    runFor(world, 100 * MS);
    expect(heard).toEqual(['NodeDataChanged /w']);
  });

  test('zookeeper: watches: exists on a missing node fires NodeCreated; on an existing node, NodeDeleted', () => {
    const { world, a, b } = setup();
    const created = recorder();
    expect(call(world, (done) => a.zk.exists('/n', created.watcher, done))).toEqual({ ok: true, value: null });
    ok(ops.create(world, b.zk, '/n'));
    ok(ops.setData(world, b.zk, '/n', 1));
    const deleted = recorder();
    call(world, (done) => a.zk.exists('/n', deleted.watcher, done));
    ok(ops.delete(world, b.zk, '/n'));
    ok(ops.create(world, b.zk, '/n'));
    runFor(world, 100 * MS);
    expect(created.heard).toEqual(['NodeCreated /n']);
    expect(deleted.heard).toEqual(['NodeDeleted /n']);
  });

  test('zookeeper: watches: getData on a missing node sets no watch (ZooKeeper only watches what it returned)', () => {
    const { world, a, b } = setup();
    const { heard, watcher } = recorder();
    expect(call(world, (done) => a.zk.getData('/later', watcher, done))).toEqual({ ok: false, code: 'NONODE' });
    ok(ops.create(world, b.zk, '/later'));
    runFor(world, 100 * MS);
    expect(heard).toEqual([]);
  });

  test('zookeeper: watches: getChildren fires NodeChildrenChanged once, for a child created or deleted, not for a child\'s data', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, b.zk, '/p'));
    ok(ops.create(world, b.zk, '/p/c'));
    const first = recorder();
    call(world, (done) => a.zk.getChildren('/p', first.watcher, done));
    ok(ops.setData(world, b.zk, '/p/c', 1));
    ok(ops.setData(world, b.zk, '/p', 1));
    runFor(world, 100 * MS);
    expect(first.heard).toEqual([]);
    ok(ops.create(world, b.zk, '/p/d'));
    ok(ops.create(world, b.zk, '/p/e'));
    const second = recorder();
    call(world, (done) => a.zk.getChildren('/p', second.watcher, done));
    ok(ops.delete(world, b.zk, '/p/c'));
    runFor(world, 100 * MS);
    expect(first.heard).toEqual(['NodeChildrenChanged /p']);
    expect(second.heard).toEqual(['NodeChildrenChanged /p']);
  });

  // DataTree.deleteNode: NodeDeleted to the node's data and child watchers, NodeChildrenChanged to the parent's.
  test('zookeeper: watches: deleting a node fires NodeDeleted on its data and child watchers and NodeChildrenChanged on the parent', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, b.zk, '/p'));
    ok(ops.create(world, b.zk, '/p/c'));
    const data = recorder();
    const child = recorder();
    const parent = recorder();
    const both = recorder();
    call(world, (done) => a.zk.getData('/p/c', data.watcher, done));
    call(world, (done) => a.zk.getChildren('/p/c', child.watcher, done));
    call(world, (done) => a.zk.getChildren('/p', parent.watcher, done));
    call(world, (done) => b.zk.getData('/p/c', both.watcher, done));
    call(world, (done) => b.zk.getChildren('/p/c', both.watcher, done));
    ok(ops.delete(world, b.zk, '/p/c'));
    runFor(world, 100 * MS);
    expect(data.heard).toEqual(['NodeDeleted /p/c']);
    expect(child.heard).toEqual(['NodeDeleted /p/c']);
    expect(parent.heard).toEqual(['NodeChildrenChanged /p']);
    expect(both.heard).toEqual(['NodeDeleted /p/c']); // one watcher on both tables hears it once
  });

  // ZooKeeper's guarantee: a client sees the watch event before it sees the change's own reply.
  test('zookeeper: watches: the event reaches the watching client before the reply to its own write', () => {
    const { world, a } = setup();
    ok(ops.create(world, a.zk, '/self', 0));
    const order: string[] = [];
    call(world, (done) => a.zk.getData('/self', () => order.push('event'), done));
    call(world, (done) => a.zk.setData('/self', 1, -1, (r) => {
      order.push('reply');
      done(r);
    }));
    expect(order).toEqual(['event', 'reply']);
  });

  test('zookeeper: watches: a multi fires the watches of each of its ops', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, b.zk, '/m'));
    ok(ops.create(world, b.zk, '/m/old'));
    const heard = recorder();
    call(world, (done) => a.zk.getChildren('/m', heard.watcher, done));
    call(world, (done) => a.zk.getData('/m/old', heard.watcher, done));
    call(world, (done) => a.zk.exists('/m/new', heard.watcher, done));
    call(world, (done) =>
      b.zk.multi([
        { op: 'delete', path: '/m/old', version: -1 },
        { op: 'create', path: '/m/new', data: null, mode: 'PERSISTENT' },
      ], done),
    );
    runFor(world, 100 * MS);
    expect(heard.heard).toEqual(['NodeDeleted /m/old', 'NodeChildrenChanged /m', 'NodeCreated /m/new']);
  });

  // FinalRequestProcessor applies the txn (DataTree.processTxn triggers the watches, queued on
  // the connection at once) before it sends the reply; a failed multi changes nothing, fires nothing.
  test('zookeeper: watches: a multi\'s events reach its own session before its reply; a failed multi fires none', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, a.zk, '/q'));
    const order: string[] = [];
    call(world, (done) => a.zk.getData('/q', (e) => order.push(`${e.type} ${e.path}`), done));
    call(world, (done) => a.zk.getChildren('/q', (e) => order.push(`${e.type} ${e.path}`), done));
    call(world, (done) => a.zk.multi([
      { op: 'setData', path: '/q', data: 1, version: -1 },
      { op: 'create', path: '/q/c', data: null, mode: 'PERSISTENT' },
    ], (r) => {
      order.push(`reply ${r.ok}`);
      done(r);
    }));
    expect(order).toEqual(['NodeDataChanged /q', 'NodeChildrenChanged /q', 'reply true']);

    const heard = recorder();
    call(world, (done) => b.zk.getData('/q', heard.watcher, done));
    call(world, (done) => b.zk.exists('/q/missing', heard.watcher, done));
    const failed = call(world, (done) => a.zk.multi([
      { op: 'setData', path: '/q', data: 2, version: -1 },
      { op: 'create', path: '/q/missing', data: null, mode: 'PERSISTENT' },
      { op: 'create', path: '/q/c', data: null, mode: 'PERSISTENT' },
    ], done));
    expect(failed).toEqual({ ok: false, code: 'NODEEXISTS', opResults: ['OK', 'OK', 'NODEEXISTS'] });
    runFor(world, 100 * MS);
    expect(heard.heard).toEqual([]);
  });

  test('zookeeper: watches: an ephemeral deleted by its session\'s close fires the watches of others', () => {
    const { world, a, b } = setup();
    ok(ops.create(world, a.zk, '/controller', { brokerid: 1 }, 'EPHEMERAL'));
    const { heard, watcher } = recorder();
    call(world, (done) => b.zk.exists('/controller', watcher, done));
    a.zk.close();
    runFor(world, 100 * MS);
    expect(heard).toEqual(['NodeDeleted /controller']);
    expect(a.zk.state).toBe('CLOSED');
    expect(call(world, (done) => a.zk.getData('/controller', null, done))).toEqual({ ok: false, code: 'SESSIONEXPIRED' });
  });
});
