// The znode tree and its watches, as ZooKeeper's DataTree keeps them. Reads may set one-shot
// watches; applying a transaction fires them exactly where DataTree does:
//   create  → NodeCreated on the path's data watches, NodeChildrenChanged on the parent's child watches;
//   delete  → NodeDeleted on the path's data and child watches (once per session), and
//             NodeChildrenChanged on the parent's child watches;
//   setData → NodeDataChanged on the path's data watches.
// Watches set by `exists` on a missing node are data watches too (so a create fires them).
import { addTo } from './multimap.js';
import { invariant } from '../../sim/index.js';
import type { Stat, WatchedEvent, WatchEventType, ZnodeData } from './api.js';
import { nameOf, parentOf } from './path.js';
import type { SetWatches } from './protocol.js';
import type { DataTxn } from './txn.js';
import { WatchManager } from './watch-manager.js';

/** A znode and its StatPersisted (what ZooKeeper keeps; the Stat a client sees is derived from it). */
interface DataNode {
  data: ZnodeData;
  dataLength: number; // bytes of the data's JSON text (see Stat.dataLength)
  readonly czxid: number;
  mzxid: number;
  readonly ctime: number;
  mtime: number;
  pzxid: number; // zxid of the last child create or delete: SetWatches compares it
  version: number;
  /**
   * StatPersisted's cversion: child creates only (PrepRequestProcessor bumps it on create, not on
   * delete). Sequential names come from it; the Stat reports creates + deletes (DataNode.copyStat).
   */
  cversion: number;
  readonly ephemeralOwner: number;
  readonly children: Set<string>;
}

/** The parts of a node that PrepRequestProcessor checks before a write (its ChangeRecord). */
export interface NodeView {
  readonly version: number;
  readonly cversion: number; // persisted: child creates only
  readonly ephemeralOwner: number;
  readonly numChildren: number;
}

/** Sends one watch event to a session. */
export type Notify = (sessionId: number, event: WatchedEvent) => void;

/** Paths ZooKeeper creates itself and refuses to delete (ZKDatabase.isSpecialPath). */
export const SPECIAL_PATHS: readonly string[] = ['/', '/zookeeper', '/zookeeper/quota', '/zookeeper/config'];

export class DataTree {
  private readonly nodes = new Map<string, DataNode>();
  private readonly ephemerals = new Map<number, Set<string>>(); // session → its ephemeral paths
  private readonly dataWatches = new WatchManager();
  private readonly childWatches = new WatchManager();

  constructor(private readonly notify: Notify) {
    // ZooKeeper's own nodes exist from the start, outside any transaction (zxid 0).
    for (const path of SPECIAL_PATHS) {
      this.nodes.set(path, newNode(null, 0, 0, 0));
      if (path !== '/') this.nodes.get(parentOf(path))!.children.add(nameOf(path));
    }
  }

  view(path: string): NodeView | null {
    const node = this.nodes.get(path);
    if (node === undefined) return null;
    return { version: node.version, cversion: node.cversion, ephemeralOwner: node.ephemeralOwner, numChildren: node.children.size };
  }

  /** The node's data and stat, or null (NONODE). A watch is set only on an existing node. */
  getData(path: string, watcher: number | null): { readonly data: ZnodeData; readonly stat: Stat } | null {
    const node = this.nodes.get(path);
    if (node === undefined) return null;
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    return { data: node.data, stat: statOf(node) };
  }

  /** The node's stat, or null; the watch is set either way (exists on a missing node waits for NodeCreated). */
  statNode(path: string, watcher: number | null): Stat | null {
    if (watcher !== null) this.dataWatches.addWatch(path, watcher);
    const node = this.nodes.get(path);
    return node === undefined ? null : statOf(node);
  }

  /**
   * The children's names in lexical order and the parent's Stat (getChildren2 answers both), or
   * null (NONODE). A watch is set only on an existing node (DataTree.getChildren).
   */
  getChildren(path: string, watcher: number | null): { readonly children: string[]; readonly stat: Stat } | null {
    const node = this.nodes.get(path);
    if (node === undefined) return null;
    if (watcher !== null) this.childWatches.addWatch(path, watcher);
    return { children: [...node.children].sort(), stat: statOf(node) };
  }

  /** The ephemeral paths a session owns, oldest first. */
  ephemeralsOf(sessionId: number): string[] {
    return [...(this.ephemerals.get(sessionId) ?? [])];
  }

  /** Applies a prepared (already validated) change made at `timeMs`; returns what the client is told. */
  apply(txn: DataTxn, zxid: number, timeMs: number): string | Stat | null {
    switch (txn.type) {
      case 'create':
        this.createNode(txn.path, txn.data, txn.ephemeralOwner, txn.parentCversion, zxid, timeMs);
        return txn.path;
      case 'delete':
        this.deleteNode(txn.path, zxid);
        return null;
      case 'setData':
        return this.setData(txn.path, txn.data, txn.version, zxid, timeMs);
      case 'check':
        return null;
    }
  }

  /** Deletes a session's ephemerals (its closeSession); returns their paths. */
  killSession(sessionId: number, zxid: number): string[] {
    const paths = this.ephemeralsOf(sessionId);
    for (const path of paths) this.deleteNode(path, zxid);
    this.ephemerals.delete(sessionId);
    return paths;
  }

  /**
   * A reconnecting session's watches (DataTree.setWatches): a watch whose node changed after the
   * last zxid the client saw fires at once; the others are set again.
   */
  setWatches(relativeZxid: number, watches: SetWatches, sessionId: number): void {
    const fire = (type: WatchEventType, path: string): void => this.notify(sessionId, { type, path });
    for (const path of watches.data) {
      const node = this.nodes.get(path);
      if (node === undefined) fire('NodeDeleted', path);
      else if (node.mzxid > relativeZxid) fire('NodeDataChanged', path);
      else this.dataWatches.addWatch(path, sessionId);
    }
    for (const path of watches.exist) {
      if (this.nodes.has(path)) fire('NodeCreated', path);
      else this.dataWatches.addWatch(path, sessionId);
    }
    for (const path of watches.child) {
      const node = this.nodes.get(path);
      if (node === undefined) fire('NodeDeleted', path);
      else if (node.pzxid > relativeZxid) fire('NodeChildrenChanged', path);
      else this.childWatches.addWatch(path, sessionId);
    }
  }

  /** Forgets a session's watches (its connection closed or it ended). */
  removeWatcher(sessionId: number): void {
    this.dataWatches.removeWatcher(sessionId);
    this.childWatches.removeWatcher(sessionId);
  }

  private createNode(path: string, data: ZnodeData, ephemeralOwner: number, parentCversion: number, zxid: number, timeMs: number): void {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    invariant(parent !== undefined && !this.nodes.has(path), () => `zookeeper: create ${path} was prepared against another tree`);
    parent.cversion = parentCversion;
    parent.pzxid = zxid;
    parent.children.add(nameOf(path));
    this.nodes.set(path, newNode(data, zxid, timeMs, ephemeralOwner));
    if (ephemeralOwner !== 0) addTo(this.ephemerals, ephemeralOwner, path);
    this.trigger(this.dataWatches, path, 'NodeCreated');
    this.trigger(this.childWatches, parentPath, 'NodeChildrenChanged');
  }

  private deleteNode(path: string, zxid: number): void {
    const parentPath = parentOf(path);
    const parent = this.nodes.get(parentPath);
    const node = this.nodes.get(path);
    invariant(parent !== undefined && node !== undefined && node.children.size === 0, () => `zookeeper: delete ${path} was prepared against another tree`);
    parent.children.delete(nameOf(path));
    parent.pzxid = zxid;
    this.nodes.delete(path);
    if (node.ephemeralOwner !== 0) this.ephemerals.get(node.ephemeralOwner)?.delete(path);
    // A session watching the path both ways hears NodeDeleted once.
    const told = this.trigger(this.dataWatches, path, 'NodeDeleted');
    this.trigger(this.childWatches, path, 'NodeDeleted', told);
    this.trigger(this.childWatches, parentPath, 'NodeChildrenChanged');
  }

  private setData(path: string, data: ZnodeData, version: number, zxid: number, timeMs: number): Stat {
    const node = this.nodes.get(path);
    invariant(node !== undefined, () => `zookeeper: setData ${path} was prepared against another tree`);
    node.data = data;
    node.dataLength = dataLengthOf(data);
    node.version = version;
    node.mzxid = zxid;
    node.mtime = timeMs;
    this.trigger(this.dataWatches, path, 'NodeDataChanged');
    return statOf(node);
  }

  private trigger(watches: WatchManager, path: string, type: WatchEventType, suppress?: ReadonlySet<number>): ReadonlySet<number> {
    return watches.triggerWatch(path, (sessionId) => this.notify(sessionId, { type, path }), suppress);
  }
}

function newNode(data: ZnodeData, zxid: number, timeMs: number, ephemeralOwner: number): DataNode {
  return {
    data, dataLength: dataLengthOf(data), czxid: zxid, mzxid: zxid, ctime: timeMs, mtime: timeMs, pzxid: zxid,
    version: 0, cversion: 0, ephemeralOwner, children: new Set(),
  };
}

/** DataNode.copyStat: the Stat a client sees. aversion stays 0: ksim has no ACLs. */
function statOf(node: DataNode): Stat {
  const numChildren = node.children.size;
  return {
    czxid: node.czxid,
    mzxid: node.mzxid,
    ctime: node.ctime,
    mtime: node.mtime,
    version: node.version,
    // "translate from the count of the creates to the count of the changes (v3 semantics)":
    // every create has a delete except for the children still present.
    cversion: node.cversion * 2 - numChildren,
    aversion: 0,
    ephemeralOwner: node.ephemeralOwner,
    dataLength: node.dataLength,
    numChildren,
    pzxid: node.pzxid,
  };
}

/** The data's size in bytes as Kafka would have written it: its JSON text in UTF-8; null is no data (0). */
export function dataLengthOf(data: ZnodeData): number {
  if (data === null || data === undefined) return 0;
  const text = JSON.stringify(data);
  invariant(typeof text === 'string', () => 'zookeeper: znode data must be a JSON value');
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair: one code point above U+FFFF
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}
