// The messages between a ZkClient (inside a broker's process) and the ZooKeeper server process.
// Every message is a plain immutable value whose `type` starts with `zk.`.
//
// ZooKeeper runs on TCP: one connection carries a session's requests, replies and watch events,
// in order and without loss; a broken connection is noticed and the client reconnects, resuming
// its session. The simulated network may drop, duplicate or reorder messages, so the protocol
// rebuilds that much of TCP and no more:
//   - `client` is a nonce the client draws once, so a restarted process never takes replies
//     meant for its previous incarnation;
//   - `conn` numbers the client's connection attempts; messages of an older connection are stale;
//   - `seq` numbers the messages of one connection in each direction (connect and connected are
//     0); a gap means a message was lost, and the receiver treats the connection as broken, as
//     TCP would have (the server answers with `zk.disconnect`, its RST).
import type { CreateMode, Stat, WatchedEvent, ZkErrorCode, ZkOp, ZkOpCode, ZnodeData } from './api.js';

/** What a client asks for, by ZooKeeper's operation names. */
export type ZkRequest =
  | { readonly op: 'create'; readonly path: string; readonly data: ZnodeData; readonly mode: CreateMode }
  | { readonly op: 'delete'; readonly path: string; readonly version: number }
  | { readonly op: 'setData'; readonly path: string; readonly data: ZnodeData; readonly version: number }
  | { readonly op: 'getData'; readonly path: string; readonly watch: boolean }
  | { readonly op: 'exists'; readonly path: string; readonly watch: boolean }
  | { readonly op: 'getChildren'; readonly path: string; readonly watch: boolean }
  | { readonly op: 'getChildren2'; readonly path: string; readonly watch: boolean }
  | { readonly op: 'multi'; readonly ops: readonly ZkOp[] };

/**
 * One op's result in a multi's reply (OpResult: CreateResult, DeleteResult, SetDataResult,
 * CheckResult, ErrorResult). A failed multi is still an answered request: the reply header says
 * OK and every op carries an ErrorResult (FinalRequestProcessor); the client derives the
 * multi's code from them (ClientCnxn's MultiCallback).
 */
export type MultiOpResult =
  | { readonly type: 'create'; readonly path: string }
  | { readonly type: 'delete' }
  | { readonly type: 'setData'; readonly stat: Stat }
  | { readonly type: 'check' }
  | { readonly type: 'error'; readonly err: ZkOpCode };

/** A successful reply, shaped by the operation it answers. */
export type ZkReplyBody =
  | { readonly op: 'create'; readonly path: string }
  | { readonly op: 'delete' }
  | { readonly op: 'setData'; readonly stat: Stat }
  | { readonly op: 'getData'; readonly data: ZnodeData; readonly stat: Stat }
  | { readonly op: 'exists'; readonly stat: Stat | null }
  | { readonly op: 'getChildren'; readonly children: readonly string[] }
  | { readonly op: 'getChildren2'; readonly children: readonly string[]; readonly stat: Stat }
  | { readonly op: 'multi'; readonly results: readonly MultiOpResult[] };

export type ZkReply = { readonly ok: true; readonly body: ZkReplyBody } | { readonly ok: false; readonly code: ZkErrorCode };

/** The watches a client still holds, re-sent on every reconnect (ZooKeeper's SetWatches). */
export interface SetWatches {
  readonly data: readonly string[];
  readonly exist: readonly string[];
  readonly child: readonly string[];
}

/** Client → server. */
export type ZkClientMessage =
  | {
      readonly type: 'zk.connect';
      readonly client: number;
      readonly conn: number;
      readonly sessionId: number | null; // null asks for a new session
      readonly timeoutMs: number; // requested; the server clamps it
      readonly lastZxidSeen: number;
      readonly watches: SetWatches;
    }
  | { readonly type: 'zk.request'; readonly client: number; readonly conn: number; readonly seq: number; readonly sessionId: number; readonly xid: number; readonly request: ZkRequest }
  | { readonly type: 'zk.ping'; readonly client: number; readonly conn: number; readonly seq: number; readonly sessionId: number }
  | { readonly type: 'zk.close'; readonly client: number; readonly conn: number; readonly seq: number; readonly sessionId: number };

/** Server → client. */
export type ZkServerMessage =
  | { readonly type: 'zk.connected'; readonly client: number; readonly conn: number; readonly seq: 0; readonly sessionId: number; readonly timeoutMs: number }
  | { readonly type: 'zk.response'; readonly client: number; readonly conn: number; readonly seq: number; readonly xid: number; readonly zxid: number; readonly result: ZkReply }
  | { readonly type: 'zk.pong'; readonly client: number; readonly conn: number; readonly seq: number }
  | { readonly type: 'zk.watch'; readonly client: number; readonly conn: number; readonly seq: number; readonly event: WatchedEvent }
  /** The session is gone (expired, closed or unknown): the client must start a new one. */
  | { readonly type: 'zk.expired'; readonly client: number; readonly sessionId: number }
  /** The server dropped connection `conn` (a lost message, a stale connection, a refused connect). */
  | { readonly type: 'zk.disconnect'; readonly client: number; readonly conn: number };

export type ZkMessage = ZkClientMessage | ZkServerMessage;

/** True for any message of the ZooKeeper protocol (its `type` starts with `zk.`). */
export function isZkMessage(m: unknown): m is ZkMessage {
  // A plain property read: `'type' in m` first would cost as much again, and every message a broker gets comes here.
  if (typeof m !== 'object' || m === null) return false;
  const type = (m as { readonly type?: unknown }).type;
  return typeof type === 'string' && type.startsWith('zk.');
}

/** A server message without the connection fields the server stamps on it when sending. */
export type ZkSessionMessageBody =
  | { readonly type: 'zk.response'; readonly xid: number; readonly zxid: number; readonly result: ZkReply }
  | { readonly type: 'zk.pong' }
  | { readonly type: 'zk.watch'; readonly event: WatchedEvent };
