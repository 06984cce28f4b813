// Transactions: what the server's txn log holds, one record per zxid. A transaction is already
// resolved when it is logged (the sequential name chosen, the new version computed), so that
// replaying the log at restart rebuilds exactly the same tree, as ZooKeeper's CreateTxn,
// SetDataTxn, DeleteTxn, MultiTxn, CreateSession and CloseSession records do. A write that
// fails is logged too, as an ErrorTxn under its own zxid (PrepRequestProcessor gives every write
// a zxid before checking it; SyncRequestProcessor logs whatever has a header), and changes nothing.
import type { ZkErrorCode, ZnodeData } from './api.js';

/** A change to the znode tree. */
export type DataTxn =
  | {
      readonly type: 'create';
      readonly path: string;
      readonly data: ZnodeData;
      readonly ephemeralOwner: number; // session id, 0 for a persistent node
      readonly parentCversion: number; // the parent's cversion after this create
    }
  | { readonly type: 'delete'; readonly path: string }
  | { readonly type: 'setData'; readonly path: string; readonly data: ZnodeData; readonly version: number }
  | { readonly type: 'check'; readonly path: string }; // a multi's version check: changes nothing

export type Txn =
  | DataTxn
  | { readonly type: 'multi'; readonly txns: readonly DataTxn[] }
  /** A write (or multi) that failed its checks: ZooKeeper's ErrorTxn, the first failing op's code. */
  | { readonly type: 'error'; readonly code: ZkErrorCode }
  | { readonly type: 'createSession'; readonly sessionId: number; readonly timeoutMs: number; readonly owner: string }
  /** An expired or closed session: its ephemerals are deleted when it is applied. */
  | { readonly type: 'closeSession'; readonly sessionId: number };

export interface TxnRecord {
  readonly zxid: number;
  /** TxnHeader.time: when the txn was prepared (virtual ms since the run's start); ctime and mtime come from it. */
  readonly timeMs: number;
  readonly txn: Txn;
}

/** The txn log's file name on the server's disk. */
export const TXN_LOG_FILE = 'zookeeper/txnlog';
