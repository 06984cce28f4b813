// Checks writes before they become transactions, as ZooKeeper's PrepRequestProcessor does: each
// op is checked against the tree as the ops before it in the same multi left it (its
// "outstanding changes"), so a multi is all or nothing, and a sequential name comes from the
// parent's cversion at that point. The checks and their order follow pRequest2Txn.
import { invariant } from '../../sim/index.js';
import type { ZkErrorCode, ZkOp } from './api.js';
import { SPECIAL_PATHS, type DataTree, type NodeView } from './data-tree.js';
import { parentOf, sequentialName } from './path.js';
import type { DataTxn } from './txn.js';

/** On failure, `index` is the failing op's place in the request (the ops after it are not checked). */
export type Prepared =
  | { readonly ok: true; readonly txns: readonly DataTxn[] }
  | { readonly ok: false; readonly code: ZkErrorCode; readonly index: number };

/** Turns ops into transactions, or names the first op's error (then nothing is applied). */
export function prepare(tree: DataTree, ops: readonly ZkOp[], sessionId: number): Prepared {
  const changes = new OutstandingChanges(tree);
  const txns: DataTxn[] = [];
  for (const [index, op] of ops.entries()) {
    const txn = prepareOp(changes, op, sessionId);
    // pRequestHelper: once an op failed, the rest become ErrorTxn(RUNTIMEINCONSISTENCY) unchecked.
    if (typeof txn === 'string') return { ok: false, code: txn, index };
    txns.push(txn);
  }
  return { ok: true, txns };
}

/** The tree as seen through the changes of earlier ops of the same request. */
class OutstandingChanges {
  private readonly changes = new Map<string, NodeView | null>();

  constructor(private readonly tree: DataTree) {}

  get(path: string): NodeView | null {
    const changed = this.changes.get(path);
    return changed !== undefined ? changed : this.tree.view(path);
  }

  set(path: string, view: NodeView | null): void {
    this.changes.set(path, view);
  }
}

function prepareOp(changes: OutstandingChanges, op: ZkOp, sessionId: number): DataTxn | ZkErrorCode {
  switch (op.op) {
    case 'create':
      return prepareCreate(changes, op.path, op, sessionId);
    case 'delete':
      return prepareDelete(changes, op.path, op.version);
    case 'setData': {
      const node = changes.get(op.path);
      if (node === null) return 'NONODE';
      if (!versionMatches(node, op.version)) return 'BADVERSION';
      changes.set(op.path, { ...node, version: node.version + 1 });
      return { type: 'setData', path: op.path, data: op.data, version: node.version + 1 };
    }
    case 'check': {
      const node = changes.get(op.path);
      if (node === null) return 'NONODE';
      if (!versionMatches(node, op.version)) return 'BADVERSION';
      return { type: 'check', path: op.path };
    }
  }
}

function prepareCreate(changes: OutstandingChanges, path: string, op: Extract<ZkOp, { op: 'create' }>, sessionId: number): DataTxn | ZkErrorCode {
  const parentPath = parentOf(path);
  const parent = changes.get(parentPath);
  if (parent === null) return 'NONODE';
  const sequential = op.mode === 'PERSISTENT_SEQUENTIAL' || op.mode === 'EPHEMERAL_SEQUENTIAL';
  const ephemeral = op.mode === 'EPHEMERAL' || op.mode === 'EPHEMERAL_SEQUENTIAL';
  const finalPath = sequential ? sequentialName(path, parent.cversion) : path;
  if (changes.get(finalPath) !== null) return 'NODEEXISTS';
  if (parent.ephemeralOwner !== 0) return 'NOCHILDRENFOREPHEMERALS';
  const parentCversion = parent.cversion + 1;
  const ephemeralOwner = ephemeral ? sessionId : 0;
  changes.set(parentPath, { ...parent, cversion: parentCversion, numChildren: parent.numChildren + 1 });
  changes.set(finalPath, { version: 0, cversion: 0, ephemeralOwner, numChildren: 0 });
  return { type: 'create', path: finalPath, data: op.data, ephemeralOwner, parentCversion };
}

function prepareDelete(changes: OutstandingChanges, path: string, version: number): DataTxn | ZkErrorCode {
  // The client refuses these before sending (ZooKeeper answers BADARGUMENTS).
  invariant(!SPECIAL_PATHS.includes(path), () => `zookeeper: delete of ${path} reached the server`);
  const parentPath = parentOf(path);
  const node = changes.get(path);
  if (node === null) return 'NONODE';
  if (!versionMatches(node, version)) return 'BADVERSION';
  if (node.numChildren > 0) return 'NOTEMPTY';
  const parent = changes.get(parentPath);
  invariant(parent !== null, () => `zookeeper: ${path} exists without its parent`);
  // A delete leaves the parent's persisted cversion as it was: it counts creates only (the Stat's
  // cversion, creates + deletes, is derived from it and numChildren in DataNode.copyStat).
  changes.set(parentPath, { ...parent, numChildren: parent.numChildren - 1 });
  changes.set(path, null);
  return { type: 'delete', path };
}

/** Version -1 matches any version (ZooKeeper's checkAndIncVersion). */
function versionMatches(node: NodeView, expected: number): boolean {
  return expected === -1 || expected === node.version;
}
