// The consumer's isolation.level end to end, on a real simulated cluster (ZooKeeper, three 3.9
// brokers, orders-0 led by b1): a scripted client writes transactional batches and, as a
// transaction coordinator would, WriteTxnMarkers to the leader (as test/broker/transactions.test.ts
// does); two real consumer groups, one read_committed and one read_uncommitted, read orders with
// the scenario's consumer application (consumerProcess), and the test reads their app.processed
// and app.commit events. Kafka's behaviour: Fetcher.PartitionRecords (0.11.0) / CompletedFetch
// (2.8.2, 3.5.0) on the client, Log.read with FetchTxnCommitted and collectAbortedTransactions on
// the broker.
import { describe, expect, test } from 'vitest';
import { consumerProcess } from '../../src/clients/consumer-app.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { IsolationLevel } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import type { ConsumerSpec } from '../../src/scenario/types.js';
import { BROKERS, GROUP, TestCluster, type TestClient } from '../coordinator/support.js';

const ORDERS_0 = { topic: 'orders', partition: 0 };
type Processed = Extract<KafkaEvent, { kind: 'app.processed' }>;

/** `n` records of producer id `producerId` (named p<id>, seqs from `seq`); transactional unless told; -1: not idempotent. */
function batch(producerId: number, seq: number, n: number, transactional = true): RecordBatch {
  return {
    baseOffset: -1, leaderEpoch: -1, producerId, producerEpoch: 0, baseSequence: producerId < 0 ? -1 : seq,
    records: Array.from({ length: n }, (_, i) => ({ key: null, producer: `p${producerId}`, seq: seq + i })),
    ...(transactional ? { isTransactional: true } : {}),
  };
}

/** Appends to orders-0 on its leader b1 (acks=all); the batch's base offset. */
function produce(client: TestClient, b: RecordBatch): number {
  const part = client.ask<'ProduceResponse'>('b1', (correlationId) => ({ type: 'Produce', correlationId, acks: -1, timeoutMs: 30_000, partitions: [{ ...ORDERS_0, batch: b }] })).partitions[0]!;
  expect(part.error).toBe('NONE');
  return part.baseOffset;
}

/** The marker a transaction coordinator has the leader write (WriteTxnMarkers). */
function endTxn(client: TestClient, producerId: number, result: 'COMMIT' | 'ABORT'): void {
  const answer = client.ask<'WriteTxnMarkersResponse'>('b1', (correlationId) => ({
    type: 'WriteTxnMarkers', correlationId, markers: [{ producerId, producerEpoch: 0, coordinatorEpoch: 0, transactionResult: result, partitions: [ORDERS_0] }],
  }));
  expect(answer.markers[0]!.partitions[0]!.error).toBe('NONE');
}

/** A group of one member reading orders from the start, committing after processing, with `level`. */
function startGroup(cluster: TestCluster, group: string, level: IsolationLevel): void {
  const spec: ConsumerSpec = {
    group, members: 1, topic: 'orders', processingUs: { minUs: 1000, maxUs: 1000 }, commit: 'after-processing',
    config: { 'isolation.level': level, 'auto.offset.reset': 'earliest' },
  };
  cluster.world.spawn(`${group}-1`, consumerProcess(spec, `${group}-1`, { bootstrap: BROKERS, profile: '3.9', memberIndex: 1 }));
}

/** What a group's application processed of orders-0, in order. */
const processed = (cluster: TestCluster, group: string): Processed[] =>
  cluster.of('app.processed').map((e) => e.event).filter((e) => e.group === group && e.partition === 0);

/** The last offset of orders-0 a group committed without error. */
const committed = (cluster: TestCluster, group: string): number | undefined =>
  cluster.of('app.commit').map((e) => e.event).filter((c) => c.group === group && c.error === 'NONE')
    .flatMap((c) => c.offsets.filter(([topic, partition]) => topic === 'orders' && partition === 0).map(([, , offset]) => offset)).at(-1);

const label = (e: Processed): string => `${e.offset}:${e.producer}#${e.seq}`;

/** A cluster whose groups rebalance at once. */
const newCluster = (): TestCluster => new TestCluster({ 'group.initial.rebalance.delay.ms': 0 });

describe('clients: consumer: transactions', () => {
  test('clients: consumer: transactions: a read_committed group never processes an aborted or a control record; a read_uncommitted group processes the aborted ones, never a marker', () => {
    const cluster = newCluster();
    const client = cluster.client('txn');
    // orders-0: p1's transaction 0-2, COMMIT at 3; p2's 4-5, ABORT at 6; p1's next transaction 7, COMMIT at 8; a plain record at 9.
    expect(produce(client, batch(1, 0, 3))).toBe(0);
    endTxn(client, 1, 'COMMIT');
    expect(produce(client, batch(2, 0, 2))).toBe(4);
    endTxn(client, 2, 'ABORT');
    expect(produce(client, batch(1, 3, 1))).toBe(7);
    endTxn(client, 1, 'COMMIT');
    expect(produce(client, batch(-1, 0, 1, false))).toBe(9);
    startGroup(cluster, 'rc', 'read_committed');
    startGroup(cluster, 'ru', 'read_uncommitted');
    cluster.runUntil(() => committed(cluster, 'rc') === 10 && committed(cluster, 'ru') === 10, 30_000);

    // read_committed: the aborted transaction's records (p2) are dropped, markers never returned.
    expect(processed(cluster, 'rc').map(label)).toEqual(['0:p1#0', '1:p1#1', '2:p1#2', '7:p1#3', '9:p-1#0']);
    // read_uncommitted: everything written but the markers (control records are never returned, in any level).
    expect(processed(cluster, 'ru').map(label)).toEqual(['0:p1#0', '1:p1#1', '2:p1#2', '4:p2#0', '5:p2#1', '7:p1#3', '9:p-1#0']);
    // Every answer from a 3.9 leader carries the LSO; nothing is open here, so it is the HW (10) once all was written.
    expect(new Set(processed(cluster, 'rc').map((e) => e.lastStableOffset))).toEqual(new Set([10]));
  });

  test('clients: consumer: transactions: an open transaction holds a read_committed group at its first offset while a read_uncommitted group reads on; its COMMIT releases it', () => {
    const cluster = newCluster();
    const client = cluster.client('txn');
    // orders-0: plain 0-1; p3's transaction opens at 2 (2-3); plain 4-5 after it. LSO 2, HW 6.
    expect(produce(client, batch(-1, 0, 2, false))).toBe(0);
    expect(produce(client, batch(3, 0, 2))).toBe(2);
    expect(produce(client, batch(-1, 2, 2, false))).toBe(4);
    startGroup(cluster, 'rc', 'read_committed');
    startGroup(cluster, 'ru', 'read_uncommitted');
    cluster.runUntil(() => committed(cluster, 'rc') === 2 && committed(cluster, 'ru') === 6, 30_000);
    cluster.advance(3_000); // long enough for many more fetches: the read_committed group stays where it is

    // The LSO is the open transaction's first offset: read_committed stops there (the broker's FetchTxnCommitted bound).
    expect(processed(cluster, 'rc').map(label)).toEqual(['0:p-1#0', '1:p-1#1']);
    expect(committed(cluster, 'rc')).toBe(2);
    // read_uncommitted reads the open transaction's records too, up to the HW; the answers told it the LSO (2).
    expect(processed(cluster, 'ru').map(label)).toEqual(['0:p-1#0', '1:p-1#1', '2:p3#0', '3:p3#1', '4:p-1#2', '5:p-1#3']);
    expect(processed(cluster, 'ru').filter((e) => e.offset >= e.lastStableOffset).map((e) => e.offset)).toEqual([2, 3, 4, 5]);

    endTxn(client, 3, 'COMMIT'); // marker at 6: the LSO moves to 7
    cluster.runUntil(() => committed(cluster, 'rc') === 7, 30_000);
    expect(processed(cluster, 'rc').map(label)).toEqual(['0:p-1#0', '1:p-1#1', '2:p3#0', '3:p3#1', '4:p-1#2', '5:p-1#3']);
    // A read_committed consumer never returns a record at or above the LSO its answer carried.
    expect(processed(cluster, 'rc').filter((e) => e.offset >= e.lastStableOffset)).toEqual([]);
  });

  test('clients: consumer: transactions: a read_committed group restarted from a committed offset inside an aborted transaction skips the rest of it', () => {
    const cluster = newCluster();
    const client = cluster.client('txn');
    // p4's transaction 0-1 and 2-3 (two batches), ABORT at 4, a plain record at 5.
    expect(produce(client, batch(4, 0, 2))).toBe(0);
    expect(produce(client, batch(4, 2, 2))).toBe(2);
    endTxn(client, 4, 'ABORT');
    expect(produce(client, batch(-1, 0, 1, false))).toBe(5);
    // The group committed 2 before (say, as read_uncommitted): its read_committed member starts there.
    const member = cluster.client('old-member');
    const coordinator = `b${member.findCoordinator('b1', GROUP).nodeId}`;
    const join = member.join(coordinator, { sessionTimeoutMs: 6_000 });
    cluster.runUntil(() => join.done);
    const { generationId, memberId } = join.value;
    const sync = member.sync(coordinator, generationId, memberId, [{ memberId, assignment: [ORDERS_0] }]);
    cluster.runUntil(() => sync.done);
    expect(member.commit(coordinator, generationId, memberId, [{ ...ORDERS_0, offset: 2 }]).partitions[0]!.error).toBe('NONE');
    expect(member.leave(coordinator, memberId, 'done').error).toBe('NONE');

    startGroup(cluster, GROUP, 'read_committed');
    cluster.runUntil(() => committed(cluster, GROUP) === 6, 30_000);
    // The leader lists the transaction that began at 0 (its marker is after the fetch offset 2), so 2-3 are dropped too.
    expect(processed(cluster, GROUP).map(label)).toEqual(['5:p-1#0']);
    expect(cluster.of('consumer.position').map((e) => e.event).filter((p) => p.group === GROUP && p.partition === 0).map((p) => [p.offset, p.source])).toEqual([[2, 'committed']]);
  });
});
