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

export interface Stat {
  readonly czxid: number;
  readonly mzxid: number;
  readonly version: number; // data version: conditional setData/delete compare against it
  readonly cversion: number; // children version
  readonly ephemeralOwner: number; // session id, 0 for persistent nodes
  readonly numChildren: number;
}

export type ZkResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly code: ZkErrorCode };

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
  /** version -1 matches any version (ZooKeeper's convention). */
  create(path: string, data: ZnodeData, mode: CreateMode, callback: (result: ZkResult<string>) => void): void;
  delete(path: string, version: number, callback: (result: ZkResult<null>) => void): void;
  setData(path: string, data: ZnodeData, version: number, callback: (result: ZkResult<Stat>) => void): void;
  getData(path: string, watcher: Watcher | null, callback: (result: ZkResult<{ readonly data: ZnodeData; readonly stat: Stat }>) => void): void;
  exists(path: string, watcher: Watcher | null, callback: (result: ZkResult<Stat | null>) => void): void;
  getChildren(path: string, watcher: Watcher | null, callback: (result: ZkResult<readonly string[]>) => void): void;
  /** All ops or none (ZooKeeper's multi). On failure, `code` is the first failing op's. */
  multi(ops: readonly ZkOp[], callback: (result: ZkResult<readonly (string | Stat | null)[]>) => void): void;
  /** Closes the session (its ephemerals are deleted at once). */
  close(): void;
  /** Feeds a ZooKeeper message that reached the owning process (it forwards every `zk.*` message here). */
  handle(from: string, message: unknown): boolean;
  /** Feeds the owner's onConnectionClosed / onUnreachable: true when `connection` to `peer` was this client's. */
  connectionLost(peer: string, connection: string): boolean;
}
