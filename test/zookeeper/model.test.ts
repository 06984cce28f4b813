import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { World } from '../../sim/index.js';
import type { CreateMode, Stat, ZkErrorCode, ZkMultiResult, ZkOp, ZkOpCode, ZkResult } from '../../src/zookeeper/api.js';
import { MS, TestClient, ZK, call, connect, ok, ops, runFor, runUntil, zkWorld } from './support.js';

// A ten-line reference model of the znode tree: a map from path to node, checked in
// PrepRequestProcessor's order (parent, existence, ephemeral parent; version; children).
interface ModelNode {
  readonly data: number;
  readonly version: number;
  readonly creates: number; // child creates: sequential names count these (PrepRequestProcessor)
  readonly cversion: number; // child creates + deletes: what Stat reports (DataNode.copyStat)
  readonly ephemeral: boolean;
}
type Model = Map<string, ModelNode>;
type Outcome = { ok: true; value: string | number | null } | { ok: false; code: ZkErrorCode };

const parent = (path: string): string => path.slice(0, path.lastIndexOf('/')) || '/';
const fail = (code: ZkErrorCode): Outcome => ({ ok: false, code });

function modelApply(model: Model, op: ZkOp): Outcome {
  const node = model.get(op.path);
  switch (op.op) {
    case 'create': {
      const up = model.get(parent(op.path));
      if (up === undefined) return fail('NONODE');
      const path = op.mode.endsWith('SEQUENTIAL') ? op.path + String(up.creates).padStart(10, '0') : op.path;
      if (model.has(path)) return fail('NODEEXISTS');
      if (up.ephemeral) return fail('NOCHILDRENFOREPHEMERALS');
      model.set(parent(op.path), { ...up, creates: up.creates + 1, cversion: up.cversion + 1 });
      model.set(path, { data: op.data as number, version: 0, creates: 0, cversion: 0, ephemeral: op.mode.startsWith('EPHEMERAL') });
      return { ok: true, value: path };
    }
    case 'delete':
      if (node === undefined) return fail('NONODE');
      if (op.version !== -1 && op.version !== node.version) return fail('BADVERSION');
      if ([...model.keys()].some((p) => p !== op.path && parent(p) === op.path)) return fail('NOTEMPTY');
      model.delete(op.path);
      model.set(parent(op.path), { ...model.get(parent(op.path))!, cversion: model.get(parent(op.path))!.cversion + 1 });
      return { ok: true, value: null };
    case 'setData':
      if (node === undefined) return fail('NONODE');
      if (op.version !== -1 && op.version !== node.version) return fail('BADVERSION');
      model.set(op.path, { ...node, data: op.data as number, version: node.version + 1 });
      return { ok: true, value: node.version + 1 };
    case 'check':
      if (node === undefined) return fail('NONODE');
      return op.version !== -1 && op.version !== node.version ? fail('BADVERSION') : { ok: true, value: null };
  }
}

/** A multi on a copy: kept only if every op succeeds; else OK before the failing op, RUNTIMEINCONSISTENCY after. */
function modelMulti(model: Model, list: readonly ZkOp[]): Outcome[] | ZkMultiResult {
  const copy = new Map(model);
  const outcomes: Outcome[] = [];
  for (const [i, op] of list.entries()) {
    const outcome = modelApply(copy, op);
    if (!outcome.ok) {
      const opResults = list.map((_, j): ZkOpCode => (j < i ? 'OK' : j === i ? outcome.code : 'RUNTIMEINCONSISTENCY'));
      return { ok: false, code: outcome.code, opResults };
    }
    outcomes.push(outcome);
  }
  model.clear();
  for (const [k, v] of copy) model.set(k, v);
  return outcomes;
}

/** What the real result says, in the model's terms (a path, a new version, or null). */
function summary(result: ZkResult<unknown>): Outcome {
  if (!result.ok) return result;
  const value = result.value;
  if (typeof value === 'string' || value === null) return { ok: true, value };
  return { ok: true, value: (value as Stat).version };
}

/** The whole real tree (without /zookeeper) as the model would hold it. */
function snapshot(world: World<unknown>, client: TestClient): Model {
  const out: Model = new Map();
  const visit = (path: string): void => {
    const { data, stat } = ok(ops.getData(world, client.zk, path));
    // Stat's cversion is 2 × creates − numChildren, so the creates can be read back from it.
    const creates = (stat.cversion + stat.numChildren) / 2;
    out.set(path, { data: data as number, version: stat.version, creates, cversion: stat.cversion, ephemeral: stat.ephemeralOwner !== 0 });
    for (const name of ok(ops.children(world, client.zk, path))) {
      if (path === '/' && name === 'zookeeper') continue;
      visit(path === '/' ? `/${name}` : `${path}/${name}`);
    }
  };
  visit('/');
  return out;
}

const PATHS = ['/a', '/b', '/a/x', '/a/y', '/b/x', '/a/x/z'] as const;
const path = fc.constantFrom(...PATHS);
const version = fc.integer({ min: -1, max: 2 });
const data = fc.nat(9);
const mode = fc.constantFrom<CreateMode>('PERSISTENT', 'EPHEMERAL', 'PERSISTENT_SEQUENTIAL');
const zkOp: fc.Arbitrary<ZkOp> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), path, data, mode }),
  fc.record({ op: fc.constant('delete' as const), path, version }),
  fc.record({ op: fc.constant('setData' as const), path, data, version }),
);
const multiOp = fc.oneof(zkOp, fc.record({ op: fc.constant('check' as const), path, version }));
type Step = { kind: 'op'; op: ZkOp } | { kind: 'multi'; ops: ZkOp[] } | { kind: 'restart'; power: boolean };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: zkOp.map((op): Step => ({ kind: 'op', op })) },
  { weight: 2, arbitrary: fc.array(multiOp, { minLength: 1, maxLength: 3 }).map((list): Step => ({ kind: 'multi', ops: list })) },
  { weight: 1, arbitrary: fc.boolean().map((power): Step => ({ kind: 'restart', power })) },
);

function runStep(world: World<unknown>, client: TestClient, model: Model, s: Step): void {
  switch (s.kind) {
    case 'op': {
      const op = s.op;
      const real = call<ZkResult<unknown>>(world, (done) => {
        if (op.op === 'create') client.zk.create(op.path, op.data, op.mode, done);
        else if (op.op === 'delete') client.zk.delete(op.path, op.version, done);
        else if (op.op === 'setData') client.zk.setData(op.path, op.data, op.version, done);
      });
      expect(summary(real), JSON.stringify(op)).toEqual(modelApply(model, op));
      return;
    }
    case 'multi': {
      const real = call<ZkMultiResult>(world, (done) => client.zk.multi(s.ops, done));
      const expected = modelMulti(model, s.ops);
      if (!Array.isArray(expected)) expect(real, JSON.stringify(s.ops)).toEqual(expected);
      else expect(ok(real as ZkResult<readonly (string | Stat | null)[]>).map((r) => summary({ ok: true, value: r }))).toEqual(expected);
      return;
    }
    case 'restart': {
      // The txn log brings everything back; the client resumes its session and keeps its ephemerals.
      const heard = client.events.length;
      if (s.power) world.powerLoss(ZK);
      else world.kill(ZK);
      world.restart(ZK);
      runUntil(world, () => client.events.length === heard + 2 && client.zk.state === 'CONNECTED');
      expect(client.events.slice(heard)).toEqual(['disconnected', `connected ${client.zk.sessionId} resumed`]);
    }
  }
}

describe('zookeeper: model', () => {
  test('zookeeper: model: any sequence of create/delete/setData/multi (and zk restarts) matches a reference map', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const world = zkWorld({ config: { tickTimeMs: 1000 } });
        const client = new TestClient(world, 'c', 6000);
        connect(world, client);
        // The root starts at cversion -1: /zookeeper is its child without a create (DataTree's constructor).
        const model: Model = new Map([['/', { data: null as unknown as number, version: 0, creates: 0, cversion: -1, ephemeral: false }]]);
        for (const s of steps) runStep(world, client, model, s);
        runFor(world, 10 * MS);
        expect(snapshot(world, client)).toEqual(model);
      }),
      { numRuns: 150 },
    );
  });
});
