// The controller's guarded ZooKeeper writes, as KafkaZkClient (2.1+) makes them: each write is a
// multi whose first op checks the version of /controller_epoch that this controller wrote
// (wrapRequestWithControllerEpochCheck), and the multi's per-op results say which op failed
// (unwrapResponseWithControllerEpochCheck): the check (another controller was elected since:
// ControllerMovedException, resign) or the write itself (for a partition state, BADVERSION: the
// leader changed the ISR since the controller read it; re-read and decide again). Also the
// fan-in that waits for a batch of ZooKeeper answers.
import type { ZkClient, ZkErrorCode, ZkMultiResult, ZkOp, ZnodeData } from '../zookeeper/api.js';
import { CONTROLLER_EPOCH } from '../broker/zk-paths.js';

/** What a guarded write came to. */
export type GuardedWrite =
  | { readonly outcome: 'written'; readonly zkVersion: number }
  /** The /controller_epoch check failed with BADVERSION: a newer controller exists (ControllerMovedException). */
  | { readonly outcome: 'controller-moved' }
  /** The check passed and the write failed (BADVERSION, NODEEXISTS, NONODE), or the request as a whole did (SESSIONEXPIRED). */
  | { readonly outcome: 'failed'; readonly code: ZkErrorCode };

/** The guarded multi's answer, read as unwrapResponseWithControllerEpochCheck does (KafkaZkClient, 2.8.2). */
export function unwrapGuarded(result: ZkMultiResult): GuardedWrite {
  if (result.ok) {
    const written = result.value[1];
    // A create answers its path (CreateResult, no Stat): a new znode's version is 0.
    return { outcome: 'written', zkVersion: typeof written === 'object' && written !== null ? written.version : 0 };
  }
  // No per-op results: the request failed as a whole ("case null => throw KeeperException.create(resultCode)").
  if (result.opResults === null) return { outcome: 'failed', code: result.code };
  const check = result.opResults[0];
  if (check === 'BADVERSION') return { outcome: 'controller-moved' };
  // The multi's code is the first failing op's: the check's (NONODE: a KeeperException for
  // /controller_epoch, not a moved controller) or, the check passed, the write's.
  return { outcome: 'failed', code: result.code };
}

/** `op` guarded by the controller epoch's version: [check /controller_epoch, op]. */
export function guardedMulti(zk: ZkClient, epochZkVersion: number, op: ZkOp, then: (write: GuardedWrite) => void): void {
  zk.multi([{ op: 'check', path: CONTROLLER_EPOCH, version: epochZkVersion }, op], (result) => then(unwrapGuarded(result)));
}

/** KafkaZkClient.updateLeaderAndIsr for one partition: a conditional setData of its state znode. */
export function updateLeaderAndIsr(zk: ZkClient, epochZkVersion: number, path: string, znode: ZnodeData, zkVersion: number, then: (write: GuardedWrite) => void): void {
  guardedMulti(zk, epochZkVersion, { op: 'setData', path, data: znode, version: zkVersion }, then);
}

/** KafkaZkClient.createTopicPartitionStatesRaw's create of one partition's state znode. */
export function createPartitionState(zk: ZkClient, epochZkVersion: number, path: string, znode: ZnodeData, then: (write: GuardedWrite) => void): void {
  guardedMulti(zk, epochZkVersion, { op: 'create', path, data: znode, mode: 'PERSISTENT' }, then);
}

/**
 * Calls `then` once `count` replies are in (at once when there are none): a fan-in of ZooKeeper
 * callbacks (as ZooKeeperClient.handleRequests' CountDownLatch waits for a batch's answers).
 */
export function latch(count: number, then: () => void): () => void {
  let pending = count;
  if (pending === 0) then();
  return () => {
    if (--pending === 0) then();
  };
}
