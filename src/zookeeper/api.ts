// The ZooKeeper client API that brokers (and their controller) use. Callback style: every
// handler runs synchronously inside a simulated event, in the order ZooKeeper answered.
// Names follow ZooKeeper's Java API (create, delete, setData, getData, exists, getChildren,
// multi; CreateMode; KeeperException codes; Watcher.Event.EventType).

export type CreateMode = 'PERSISTENT' | 'EPHEMERAL' | 'PERSISTENT_SEQUENTIAL' | 'EPHEMERAL_SEQUENTIAL';

/** KeeperException codes a request can fail with. */
export type ZkErrorCode =
  | 'NONODE'
  | 'NODEEXISTS'
  | 'BADVERSION'
  | 'NOTEMPTY'
  | 'NOCHILDRENFOREPHEMERALS'
  | 'SESSIONEXPIRED'
  | 'CONNECTIONLOSS';

/**
 * A znode's Stat, field for field as ZooKeeper 3.8's (zookeeper.jute `Stat`, filled by
 * DataNode.copyStat). Times are virtual ms since the run's start: ZooKeeper stamps the leader's
 * wall clock (Time.currentWallTime() in PrepRequestProcessor), which a simulation does not have.
 */
export interface Stat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly ctime: number; // ms: when the create was prepared
  readonly mtime: number; // ms: when the last setData (or the create) was prepared
  readonly version: number; // data version: conditional setData/delete compare against it
  /** Child creates plus child deletes (DataNode.copyStat: persisted creates × 2 − numChildren). */
  readonly cversion: number;
  readonly aversion: number; // ACL version: always 0 (ksim has no ACLs, so no setACL)
  readonly ephemeralOwner: number; // session id, 0 for persistent nodes
  /**
   * Bytes of data. ZooKeeper stores bytes; ksim stores the JSON-like value Kafka would have
   * serialized, so this is the length of its JSON text in UTF-8 (what Kafka writes is JSON);
   * null data (Kafka's `null` for its structural znodes) is 0, as a null byte[] is.
   */
  readonly dataLength: number;
  readonly numChildren: number;
  readonly pzxid: number; // zxid of the last child create or delete (the create's zxid before any)
}

export type ZkResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: ZkErrorCode };

/**
 * One op's outcome in a failed multi (OpResult.ErrorResult's err): OK for the ops before the
 * failing one, its code for the failing op, RUNTIMEINCONSISTENCY for the ops after it
 * (PrepRequestProcessor stops checking at the first failure; DataTree.processTxn turns the ops
 * before it into ErrorTxn(OK)).
 */
export type ZkOpCode = 'OK' | ZkErrorCode | 'RUNTIMEINCONSISTENCY';

/**
 * A multi's answer. On failure `code` is the first failing op's (ClientCnxn's MultiCallback rc)
 * and `opResults` has one code per op, so a caller can tell its check from its write; it is
 * null when the server never judged the ops (CONNECTIONLOSS, SESSIONEXPIRED: ZooKeeper passes
 * no results then). Success values: a create's path, a setData's Stat, null for delete and check.
 */
export type ZkMultiResult =
  | { readonly ok: true; readonly value: readonly (string | Stat | null)[] }
  | { readonly ok: false; readonly code: ZkErrorCode; readonly opResults: readonly ZkOpCode[] | null };

export type WatchEventType = 'NodeCreated' | 'NodeDeleted' | 'NodeDataChanged' | 'NodeChildrenChanged';

export interface WatchedEvent {
  readonly type: WatchEventType;
  readonly path: string;
}

/** A one-shot watcher: it fires at most once, for the first change after it was set. */
export type Watcher = (event: WatchedEvent) => void;

/** Znode data is a plain JSON-like value (Kafka stores JSON in its znodes). */
export type ZnodeData = unknown;

export type ZkOp =
  | { readonly op: 'create'; readonly path: string; readonly data: ZnodeData; readonly mode: CreateMode }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'setData'; readonly path: string; readonly data: ZnodeData; readonly version: number }
  | { readonly op: 'check'; readonly path: string; readonly version: number };

/** The session lifecycle as the client sees it (ZooKeeper's KeeperState, simplified). */
export type SessionState = 'CONNECTING' | 'CONNECTED' | 'DISCONNECTED' | 'EXPIRED' | 'CLOSED';

export interface ZkClientListener {
  /** A session was established: `isNew` is false when an existing session was resumed after a disconnect. */
  onConnected?(sessionId: number, isNew: boolean): void;
  /** The connection dropped; the session may still be alive on the server. */
  onDisconnected?(): void;
  /** The server expired the session: its ephemerals are gone. The client then starts a new session by itself. */
  onExpired?(sessionId: number): void;
}

export interface ZkClient {
  readonly state: SessionState;
  readonly sessionId: number; // 0 before the first session
  /**
   * The session timeout the server negotiated (ZooKeeper.getSessionTimeout()): the requested
   * one clamped to [minSessionTimeout, maxSessionTimeout]; 0 while there is no session.
   */
  readonly sessionTimeoutMs: number;
  /** version -1 matches any version (ZooKeeper's convention). */
  create(path: string, data: ZnodeData, mode: CreateMode, callback: (result: ZkResult<string>) => void): void;
  delete(path: string, version: number, callback: (result: ZkResult<null>) => void): void;
  setData(path: string, data: ZnodeData, version: number, callback: (result: ZkResult<Stat>) => void): void;
  getData(path: string, watcher: Watcher | null, callback: (result: ZkResult<{ readonly data: ZnodeData; readonly stat: Stat }>) => void): void;
  exists(path: string, watcher: Watcher | null, callback: (result: ZkResult<Stat | null>) => void): void;
  getChildren(path: string, watcher: Watcher | null, callback: (result: ZkResult<readonly string[]>) => void): void;
  /** getChildren with the parent's Stat (ZooKeeper's getChildren(path, watch, stat), OpCode.getChildren2). */
  getChildren2(path: string, watcher: Watcher | null, callback: (result: ZkResult<{ readonly children: readonly string[]; readonly stat: Stat }>) => void): void;
  /** All ops or none (ZooKeeper's multi); an empty list is answered OK without asking the server. */
  multi(ops: readonly ZkOp[], callback: (result: ZkMultiResult) => void): void;
  /** Closes the session (its ephemerals are deleted at once). */
  close(): void;
  /** Feeds a ZooKeeper message that reached the owning process (it forwards every `zk.*` message here). */
  handle(from: string, message: unknown): boolean;
}
