// The controller's side of KIP-497 (KafkaController.processAlterIsr 2.7.0 / 2.8.2,
// processAlterPartition 3.2.0 and, with KIP-841's checks, 3.3.0 to 3.9): which changes it
// refuses, per release line, and what it writes and answers. A stand-in controller view and an
// in-memory ZooKeeper that answers at once.
import { describe, expect, test } from 'vitest';
import type { BrokerContext } from '../../src/broker/context.js';
import { behaviourOf } from '../../src/broker/profile.js';
import { CONTROLLER_EPOCH, partitionStatePath, type PartitionStateZnode } from '../../src/broker/zk-paths.js';
import { AlterPartitionHandler } from '../../src/controller/alter-partition.js';
import type { PartitionInfo } from '../../src/controller/controller-context.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { AlterPartitionData, AlterPartitionResult, KafkaMessage } from '../../src/kafka/protocol.js';
import type { Stat, ZkClient, ZkErrorCode, ZkMultiResult, ZkOp, ZkOpCode, ZkResult } from '../../src/zookeeper/api.js';

const stat = (version: number): Stat => ({ czxid: 1, mzxid: 1, ctime: 0, mtime: 0, version, cversion: 0, aversion: 0, ephemeralOwner: 0, dataLength: 0, numChildren: 0, pzxid: 1 });

/** Znode versions and data, with multi's all-or-nothing checks. */
function memoryZk(znodes: Map<string, { data: unknown; version: number }>): ZkClient {
  return {
    // ZooKeeper 3.8's multi: on a failure, every op's code (OK before the failing one, RUNTIMEINCONSISTENCY after).
    multi: (ops: readonly ZkOp[], callback: (result: ZkMultiResult) => void) => {
      for (let i = 0; i < ops.length; i++) {
        const op = ops[i]!;
        if (op.op !== 'check' && op.op !== 'setData') throw new Error(`not used: ${op.op}`);
        const node = znodes.get(op.path);
        const code: ZkErrorCode | null = node === undefined ? 'NONODE' : op.version !== -1 && node.version !== op.version ? 'BADVERSION' : null;
        if (code !== null) {
          const opResults: ZkOpCode[] = ops.map((_, j) => (j < i ? 'OK' : j === i ? code : 'RUNTIMEINCONSISTENCY'));
          return callback({ ok: false, code, opResults });
        }
      }
      const results = ops.map((op) => {
        const node = znodes.get(op.path)!;
        if (op.op === 'setData') {
          node.data = op.data;
          node.version += 1;
        }
        return stat(node.version);
      });
      callback({ ok: true, value: results });
    },
    getData: (path: string, _watcher: unknown, callback: (result: ZkResult<{ data: unknown; stat: Stat }>) => void) => {
      const node = znodes.get(path);
      callback(node === undefined ? { ok: false, code: 'NONODE' } : { ok: true, value: { data: node.data, stat: stat(node.version) } });
    },
  } as unknown as ZkClient;
}

interface Setup {
  readonly handler: AlterPartitionHandler;
  readonly partition: PartitionInfo;
  readonly znodes: Map<string, { data: unknown; version: number }>;
  readonly updateMetadata: PartitionInfo[][];
  readonly live: Map<number, number>; // broker id -> broker epoch
  readonly shuttingDown: Set<number>;
  lost: boolean;
  active: boolean;
}

/** Controller epoch 2 (its znode at version 1); t-0, replicas [1, 2, 3], led by 1 in leader epoch 4 with ISR [1, 2] at zkVersion 6. */
function controller(profile: string): Setup {
  const partition: PartitionInfo = { topic: 't', partition: 0, replicas: [1, 2, 3], leader: 1, leaderEpoch: 4, isr: [1, 2], zkVersion: 6, controllerEpoch: 2 };
  const znodes = new Map<string, { data: unknown; version: number }>([
    [CONTROLLER_EPOCH, { data: 2, version: 1 }],
    [partitionStatePath('t', 0), { data: { version: 1, leader: 1, leader_epoch: 4, isr: [1, 2], controller_epoch: 2 } satisfies PartitionStateZnode, version: 6 }],
  ]);
  const setup: Setup = {
    partition, znodes, updateMetadata: [], live: new Map([[1, 10], [2, 20], [3, 30]]), shuttingDown: new Set(), lost: false, active: true,
    handler: null as unknown as AlterPartitionHandler,
  };
  const ctx = { id: 9, behaviour: behaviourOf(profile), zk: memoryZk(znodes) } as unknown as BrokerContext;
  (setup as { handler: AlterPartitionHandler }).handler = new AlterPartitionHandler({
    ctx,
    isActive: () => setup.active,
    controllerEpoch: () => 2,
    controllerEpochZkVersion: () => 1,
    partition: (topic, p) => (topic === 't' && p === 0 ? partition : undefined),
    liveBrokerEpoch: (id) => setup.live.get(id),
    isShuttingDown: (id) => setup.shuttingDown.has(id),
    sendUpdateMetadata: (partitions) => void setup.updateMetadata.push([...partitions]),
    lose: () => (setup.lost = true),
  });
  return setup;
}

/** Sends leader 1's request (broker epoch 10 unless said) and returns the answer; tasks run at once, in order. */
function alter(setup: Setup, data: Partial<AlterPartitionData> & { newIsr: number[] }, brokerEpoch = 10): { error: KafkaError; partitions: readonly AlterPartitionResult[] } {
  const request: Extract<KafkaMessage, { type: 'AlterPartition' }> = {
    type: 'AlterPartition', correlationId: 1, brokerId: 1, brokerEpoch,
    partitions: [{ topic: 't', partition: 0, leaderEpoch: 4, zkVersion: 6, ...data }],
  };
  let answer: { error: KafkaError; partitions: readonly AlterPartitionResult[] } | null = null;
  setup.handler.receive(request, (error, partitions) => (answer = { error, partitions }), (task) => task(() => {}));
  if (answer === null) throw new Error('no answer');
  return answer;
}

const errorOf = (answer: { error: KafkaError; partitions: readonly AlterPartitionResult[] }): KafkaError => (answer.error !== 'NONE' ? answer.error : answer.partitions[0]!.error);

describe('controller: alter partition', () => {
  // The write: a multi guarded by /controller_epoch's version, at the leader's zkVersion; then UpdateMetadata.
  test('controller: alter partition: a valid change is written to the state znode, cached, answered with its new version, and sent to every broker', () => {
    const setup = controller('3.9');
    const answer = alter(setup, { newIsr: [1, 2, 3] });
    expect(answer).toEqual({ error: 'NONE', partitions: [{ topic: 't', partition: 0, error: 'NONE', leader: 1, leaderEpoch: 4, isr: [1, 2, 3], zkVersion: 7 }] });
    expect(setup.znodes.get(partitionStatePath('t', 0))).toEqual({ data: { version: 1, leader: 1, leader_epoch: 4, isr: [1, 2, 3], controller_epoch: 2 }, version: 7 });
    expect(setup.partition).toMatchObject({ isr: [1, 2, 3], zkVersion: 7 });
    expect(setup.updateMetadata).toEqual([[setup.partition]]);
  });

  // The same request again (its answer lost): the state is already so, and is answered as it is.
  test('controller: alter partition: a change already made is answered with the current state, not written again', () => {
    const setup = controller('3.9');
    alter(setup, { newIsr: [1, 2, 3] });
    const again = alter(setup, { newIsr: [1, 2, 3] }); // still based on zkVersion 6
    expect(again.partitions[0]).toMatchObject({ error: 'NONE', isr: [1, 2, 3], zkVersion: 7 });
    expect(setup.znodes.get(partitionStatePath('t', 0))!.version).toBe(7);
  });

  test('controller: alter partition: an unknown or restarted broker is refused as a whole with STALE_BROKER_EPOCH; a resigned controller answers NOT_CONTROLLER', () => {
    const setup = controller('3.9');
    expect(alter(setup, { newIsr: [1, 2, 3] }, 9)).toEqual({ error: 'STALE_BROKER_EPOCH', partitions: [] });
    setup.live.delete(1);
    expect(alter(setup, { newIsr: [1, 2, 3] })).toEqual({ error: 'STALE_BROKER_EPOCH', partitions: [] });
    setup.active = false;
    expect(alter(setup, { newIsr: [1, 2, 3] })).toEqual({ error: 'NOT_CONTROLLER', partitions: [] });
    expect(setup.znodes.get(partitionStatePath('t', 0))!.version).toBe(6);
  });

  // KIP-841 (3.3+): NOT_CONTROLLER for a leader ahead, FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION
  // before any write, INELIGIBLE_REPLICA for a new ISR naming a broker not live or shutting down.
  test('controller: alter partition: from 3.3 a leader ahead, an old leader epoch, a stale version, and a dead or stopping member are refused before any write', () => {
    const setup = controller('3.9');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], leaderEpoch: 5 }))).toBe('NOT_CONTROLLER');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], zkVersion: 7 }))).toBe('NOT_CONTROLLER');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], leaderEpoch: 3 }))).toBe('FENCED_LEADER_EPOCH');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], zkVersion: 5 }))).toBe('INVALID_UPDATE_VERSION');
    setup.live.delete(3);
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3] }))).toBe('INELIGIBLE_REPLICA');
    setup.live.set(3, 31);
    setup.shuttingDown.add(3);
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3] }))).toBe('INELIGIBLE_REPLICA');
    expect(setup.znodes.get(partitionStatePath('t', 0))!.version).toBe(6);
    // A shrink naming only live members is fine, even with a member shutting down left out.
    expect(errorOf(alter(setup, { newIsr: [1] }))).toBe('NONE');
  });

  // 2.7 to 3.2: only the leader epoch is checked; the write itself checks the version; liveness is not checked.
  test('controller: alter partition: before 3.3 a stale version fails at the write (INVALID_UPDATE_VERSION) and a dead member is accepted', () => {
    const setup = controller('2.8');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], leaderEpoch: 3 }))).toBe('FENCED_LEADER_EPOCH');
    expect(errorOf(alter(setup, { newIsr: [1, 2, 3], zkVersion: 5 }))).toBe('INVALID_UPDATE_VERSION');
    setup.live.delete(3);
    expect(alter(setup, { newIsr: [1, 2, 3] }).partitions[0]).toMatchObject({ error: 'NONE', isr: [1, 2, 3], zkVersion: 7 });
  });

  // KafkaZkClient.updateLeaderAndIsr throws ControllerMovedException; processAlterPartition answers UNKNOWN_SERVER_ERROR.
  test('controller: alter partition: a write refused because another controller took the epoch fails the request, and the controller resigns', () => {
    const setup = controller('3.9');
    setup.znodes.get(CONTROLLER_EPOCH)!.version = 2;
    expect(alter(setup, { newIsr: [1, 2, 3] })).toEqual({ error: 'UNKNOWN_SERVER_ERROR', partitions: [] });
    expect(setup.lost).toBe(true);
    expect(setup.partition.isr).toEqual([1, 2]);
  });

  test('controller: alter partition: requests still queued when the controller resigns are answered NOT_CONTROLLER', () => {
    const setup = controller('3.9');
    const answers: KafkaError[] = [];
    const request: Extract<KafkaMessage, { type: 'AlterPartition' }> = { type: 'AlterPartition', correlationId: 1, brokerId: 1, brokerEpoch: 10, partitions: [{ topic: 't', partition: 0, leaderEpoch: 4, zkVersion: 6, newIsr: [1, 2, 3] }] };
    const queued: ((done: () => void) => void)[] = [];
    setup.handler.receive(request, (error) => answers.push(error), (task) => queued.push(task));
    setup.handler.preempt();
    for (const task of queued) task(() => {}); // a task that runs after all must not answer twice
    expect(answers).toEqual(['NOT_CONTROLLER']);
  });
});
