// The messages between a ZkClient (inside a broker's process) and the ZooKeeper server process.
// Every message is a plain immutable value whose `type` starts with `zk.`.
//
// ZooKeeper runs on TCP, and so does this protocol: one connection of the kernel (labelled
// `zookeeper` by the client) carries a session's requests, replies and watch events, in order,
// without loss or duplicates. A connection ends when the client's read timeout closes it, or the
// server closes it (the session expired or closed, a refused connect, the session moved to a
// newer connection); the client then reconnects on a new one, resuming its session.
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
      readonly sessionId: number | null; // null asks for a new session
      readonly timeoutMs: number; // requested; the server clamps it
      readonly lastZxidSeen: number;
      readonly watches: SetWatches;
    }
  | { readonly type: 'zk.request'; readonly sessionId: number; readonly xid: number; readonly request: ZkRequest }
  | { readonly type: 'zk.ping'; readonly sessionId: number }
  | { readonly type: 'zk.close'; readonly sessionId: number };

/** Server → client. */
export type ZkServerMessage =
  | { readonly type: 'zk.connected'; readonly sessionId: number; readonly timeoutMs: number }
  | { readonly type: 'zk.response'; readonly xid: number; readonly zxid: number; readonly result: ZkReply }
  | { readonly type: 'zk.pong' }
  | { readonly type: 'zk.watch'; readonly event: WatchedEvent }
  /** The session is gone (expired, closed or unknown): the client must start a new one. */
  | { readonly type: 'zk.expired'; readonly sessionId: number };

export type ZkMessage = ZkClientMessage | ZkServerMessage;

/** True for any message of the ZooKeeper protocol (its `type` starts with `zk.`). */
export function isZkMessage(m: unknown): m is ZkMessage {
  // A plain property read: `'type' in m` first would cost as much again, and every message a broker gets comes here.
  if (typeof m !== 'object' || m === null) return false;
  const type = (m as { readonly type?: unknown }).type;
  return typeof type === 'string' && type.startsWith('zk.');
}
