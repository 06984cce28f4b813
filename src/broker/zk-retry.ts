// Kafka's ZooKeeperClient re-sends a request that failed with CONNECTIONLOSS once the session is
// connected again, so callers see only real answers. The ZooKeeper client already queues
// requests made while disconnected; this wrapper re-issues the ones the connection lost.
// A lost create may have happened: a re-sent ephemeral create can find the node already there,
// owned by our own session, and callers check the owner (KafkaZkClient.checkedEphemeralCreate).
import type { Stat, Watcher, ZkClient, ZkErrorCode, ZkMultiResult, ZkOp, ZkResult, ZnodeData } from '../zookeeper/api.js';

export function retryingZk(zk: ZkClient): ZkClient {
  function retry<R extends { readonly ok: true } | { readonly ok: false; readonly code: ZkErrorCode }>(issue: (callback: (result: R) => void) => void, callback: (result: R) => void): void {
    issue((result) => {
      if (!result.ok && result.code === 'CONNECTIONLOSS') retry(issue, callback);
      else callback(result);
    });
  }
  return {
    get state() {
      return zk.state;
    },
    get sessionId() {
      return zk.sessionId;
    },
    get sessionTimeoutMs() {
      return zk.sessionTimeoutMs;
    },
    create: (path: string, data: ZnodeData, mode, callback) => retry((cb) => zk.create(path, data, mode, cb), callback),
    delete: (path: string, version: number, callback) => retry((cb) => zk.delete(path, version, cb), callback),
    setData: (path: string, data: ZnodeData, version: number, callback: (result: ZkResult<Stat>) => void) => retry((cb) => zk.setData(path, data, version, cb), callback),
    getData: (path: string, watcher: Watcher | null, callback) => retry((cb) => zk.getData(path, watcher, cb), callback),
    exists: (path: string, watcher: Watcher | null, callback) => retry((cb) => zk.exists(path, watcher, cb), callback),
    getChildren: (path: string, watcher: Watcher | null, callback) => retry((cb) => zk.getChildren(path, watcher, cb), callback),
    getChildren2: (path: string, watcher: Watcher | null, callback) => retry((cb) => zk.getChildren2(path, watcher, cb), callback),
    multi: (ops: readonly ZkOp[], callback: (result: ZkMultiResult) => void) => retry((cb) => zk.multi(ops, cb), callback),
    close: () => zk.close(),
    handle: (from: string, message: unknown) => zk.handle(from, message),
  };
}
