// WriteTxnMarkers on one broker's replica manager, driven by hand: b1 leads orders-0 with b2 as
// its in-sync follower (whose fetches the test makes) and follows orders-1. Each marker is a
// control batch appended with acks=all (KafkaApis.handleWriteTxnMarkersRequest, 2.8.2): answered
// per partition once the ISR has it, and the hook hears only the replicated ones.
import { describe, expect, test } from 'vitest';
import { World, type Env, type TraceEvent } from '../../sim/index.js';
import { brokerSettings, topicSettings } from '../../src/broker/config.js';
import type { BrokerContext } from '../../src/broker/context.js';
import { behaviourOf } from '../../src/broker/profile.js';
import { ReplicaManager } from '../../src/broker/replica-manager.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import type { ZkClient } from '../../src/zookeeper/api.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
type Marker = Extract<KafkaMessage, { type: 'WriteTxnMarkers' }>['markers'][number];
type MarkersResponse = Extract<KafkaMessage, { type: 'WriteTxnMarkersResponse' }>;

class OneBroker {
  readonly world = new World<unknown>({ seed: 1, network });
  readonly events: KafkaEvent[] = [];
  readonly received: KafkaMessage[] = [];
  readonly written: string[] = [];
  readonly replicas: ReplicaManager;
  private correlationId = 1;

  constructor() {
    let env: Env<unknown> | null = null;
    this.world.spawn('b1', (e) => {
      env = e;
      return { onMessage: () => {} };
    });
    this.world.spawn('tc', () => ({ onMessage: (_from, m) => void this.received.push(m as KafkaMessage) }));
    this.world.trace.observe((_atUs: number, event: TraceEvent) => this.events.push(event as KafkaEvent));
    const ctx: BrokerContext = {
      id: 1,
      node: 'b1',
      env: env!,
      zk: null as unknown as ZkClient, // a 3.9 leader asks the controller (AlterPartition), never ZooKeeper
      settings: brokerSettings({}, {}),
      behaviour: behaviourOf('3.9'),
      topicSettings: () => topicSettings({}, {}),
      trace: (event, keep = true) => env!.trace(event, keep),
      request: () => {},
    };
    this.replicas = new ReplicaManager(ctx, new Map());
    const state = (partition: number, leader: number) => ({ topic: 'orders', partition, controllerEpoch: 1, leader, leaderEpoch: 0, isr: [1, 2], zkVersion: 0, replicas: [1, 2] });
    this.replicas.becomeLeaderOrFollower({ type: 'LeaderAndIsr', correlationId: 0, controllerId: 1, controllerEpoch: 1, brokerEpoch: -1, partitionStates: [state(0, 1), state(1, 2)], liveLeaders: [] });
  }

  /** b2's fetch of orders-0 from `fetchOffset` (no session): the leader records it, which may move the HW. */
  followerFetch(fetchOffset: number): void {
    this.replicas.handleFetch('b2', { type: 'Fetch', correlationId: this.correlationId++, replicaId: 2, maxWaitMs: 0, full: true, partitions: [{ topic: 'orders', partition: 0, fetchOffset, currentLeaderEpoch: -1 }] });
  }

  produce(batch: RecordBatch): void {
    this.replicas.handleProduce('tc', { type: 'Produce', correlationId: this.correlationId++, acks: 1, timeoutMs: 30_000, partitions: [{ topic: 'orders', partition: 0, batch }] });
  }

  markers(markers: Marker[]): void {
    const hook = (topic: string, partition: number, producerId: number, result: string): void => void this.written.push(`${topic}-${partition} ${producerId} ${result}`);
    this.replicas.handleWriteTxnMarkers('tc', { type: 'WriteTxnMarkers', correlationId: this.correlationId++, markers }, hook);
  }

  run(ms: number): void {
    this.world.scheduler.run(this.world.scheduler.now() + ms * 1000);
  }

  responses(): MarkersResponse[] {
    return this.received.filter((m): m is MarkersResponse => m.type === 'WriteTxnMarkersResponse');
  }
}

const txnBatch = (producerId: number, producerEpoch: number, baseSequence: number, n: number): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId, producerEpoch, baseSequence, isTransactional: true,
  records: Array.from({ length: n }, (_, i) => ({ key: null, producer: 'p1', seq: baseSequence + i })),
});

const commit = (partitions: { topic: string; partition: number }[], producerEpoch = 0, coordinatorEpoch = 0): Marker =>
  ({ producerId: 7, producerEpoch, coordinatorEpoch, transactionResult: 'COMMIT', partitions });

describe('broker: write txn markers', () => {
  test('broker: write txn markers: answered per partition once replicated; the hook hears only the replicated marker', () => {
    const b = new OneBroker();
    b.produce(txnBatch(7, 0, 0, 2)); // offsets 0-1
    b.followerFetch(2); // b2 has them: HW 2
    b.markers([commit([{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }, { topic: 'nope', partition: 0 }])]);
    // The marker is in b1's log at offset 2, traced, but not yet replicated: no answer, no hook.
    const traced = b.events.filter((e) => e.kind === 'txn.marker');
    expect(traced).toEqual([{ kind: 'txn.marker', broker: 1, topic: 'orders', partition: 0, producerId: 7, producerEpoch: 0, result: 'COMMIT', coordinatorEpoch: 0, offset: 2, error: 'NONE' }]);
    b.run(10);
    expect([b.responses(), b.written]).toEqual([[], []]);
    b.followerFetch(3); // b2 has the marker: HW 3, the append is answered
    b.run(10);
    expect(b.written).toEqual(['orders-0 7 COMMIT']);
    expect(b.responses()[0]!.markers).toEqual([{ producerId: 7, partitions: [
      { topic: 'orders', partition: 0, error: 'NONE' },
      { topic: 'orders', partition: 1, error: 'NOT_LEADER_OR_FOLLOWER' }, // b1 follows it
      { topic: 'nope', partition: 0, error: 'UNKNOWN_TOPIC_OR_PARTITION' }, // no log here (getMagic None)
    ] }]);
  });

  test('broker: write txn markers: a stale producer epoch or coordinator epoch is refused at once, and no hook is called', () => {
    const b = new OneBroker();
    b.produce(txnBatch(7, 1, 0, 1));
    b.markers([commit([{ topic: 'orders', partition: 0 }], 1, 3)]);
    b.followerFetch(2);
    b.run(10);
    b.markers([commit([{ topic: 'orders', partition: 0 }], 0, 3), commit([{ topic: 'orders', partition: 0 }], 1, 2)]);
    b.run(10);
    // ProducerAppendInfo.appendEndTxnMarker: checkProducerEpoch, then checkCoordinatorEpoch.
    expect(b.responses()[1]!.markers.map((m) => m.partitions[0]!.error)).toEqual(['INVALID_PRODUCER_EPOCH', 'TRANSACTION_COORDINATOR_FENCED']);
    expect(b.written).toEqual(['orders-0 7 COMMIT']);
    expect(b.events.filter((e) => e.kind === 'txn.marker').map((e) => e.kind === 'txn.marker' && [e.offset, e.error])).toEqual([[1, 'NONE'], [-1, 'INVALID_PRODUCER_EPOCH'], [-1, 'TRANSACTION_COORDINATOR_FENCED']]);
  });

  test('broker: write txn markers: a marker the ISR never gets is REQUEST_TIMED_OUT after request.timeout.ms', () => {
    const b = new OneBroker();
    b.produce(txnBatch(7, 0, 0, 1));
    b.markers([commit([{ topic: 'orders', partition: 0 }])]);
    b.run(29_000);
    expect(b.responses()).toEqual([]);
    b.run(2_000); // 30 s, the broker's request.timeout.ms
    expect(b.responses()[0]!.markers[0]!.partitions).toEqual([{ topic: 'orders', partition: 0, error: 'REQUEST_TIMED_OUT' }]);
    expect(b.written).toEqual([]);
  });

  test('broker: write txn markers: a request with no markers is answered at once, empty', () => {
    const b = new OneBroker();
    b.markers([]);
    b.run(5);
    expect(b.responses().map((r) => r.markers)).toEqual([[]]);
  });
});
