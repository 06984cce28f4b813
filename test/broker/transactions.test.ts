// The broker's side of transactions on a real simulated cluster (ZooKeeper, three 3.9 brokers,
// orders-0 led by b1 with b2 and b3 in sync): a scripted client writes transactional batches
// (producer id, epoch, sequence, isTransactional) and then, as a transaction coordinator would,
// WriteTxnMarkers to the leader; read_committed and read_uncommitted consumers fetch. Kafka's
// behaviour read from Log.read / collectAbortedTransactions, Partition.fetchOffsetForTimestamp
// and DelayedFetch (FetchTxnCommitted), 2.8.2.
import { describe, expect, test } from 'vitest';
import type { IsolationLevel, KafkaMessage } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import { MS, TestCluster, type TestClient } from '../coordinator/support.js';

type FetchPart = Extract<KafkaMessage, { type: 'FetchResponse' }>['partitions'][number];
const ORDERS_0 = { topic: 'orders', partition: 0 };

/** `n` records of producer `producerId` from `seq` (named p<id>#seq), transactional unless told. */
function batch(producerId: number, seq: number, n: number, transactional = true): RecordBatch {
  return {
    baseOffset: -1, leaderEpoch: -1, producerId, producerEpoch: 0, baseSequence: seq,
    records: Array.from({ length: n }, (_, i) => ({ key: null, producer: `p${producerId}`, seq: seq + i })),
    ...(transactional ? { isTransactional: true } : {}),
  };
}

function produce(client: TestClient, to: string, b: RecordBatch): { error: string; baseOffset: number } {
  return client.ask<'ProduceResponse'>(to, (correlationId) => ({ type: 'Produce', correlationId, acks: -1, timeoutMs: 30_000, partitions: [{ ...ORDERS_0, batch: b }] })).partitions[0]!;
}

function endTxn(client: TestClient, to: string, producerId: number, result: 'COMMIT' | 'ABORT'): string {
  const answer = client.ask<'WriteTxnMarkersResponse'>(to, (correlationId) => ({
    type: 'WriteTxnMarkers', correlationId, markers: [{ producerId, producerEpoch: 0, coordinatorEpoch: 0, transactionResult: result, partitions: [ORDERS_0] }],
  }));
  return answer.markers[0]!.partitions[0]!.error;
}

function fetchRequest(fetchOffset: number, isolationLevel: IsolationLevel, maxWaitMs = 0): (correlationId: number) => KafkaMessage {
  return (correlationId) => ({ type: 'Fetch', correlationId, replicaId: -1, maxWaitMs, full: true, isolationLevel, partitions: [{ ...ORDERS_0, fetchOffset, currentLeaderEpoch: -1 }] });
}

function fetch(client: TestClient, to: string, fetchOffset: number, isolationLevel: IsolationLevel): FetchPart {
  return client.ask<'FetchResponse'>(to, fetchRequest(fetchOffset, isolationLevel)).partitions[0]!;
}

function latest(client: TestClient, to: string, isolationLevel: IsolationLevel): number {
  return client.ask<'ListOffsetsResponse'>(to, (correlationId) => ({ type: 'ListOffsets', correlationId, replicaId: -1, isolationLevel, partitions: [{ ...ORDERS_0, timestamp: -1 }] })).partitions[0]!.offset;
}

/** The broker that last took the lead of orders-0. */
const leaderOf = (cluster: TestCluster): number => cluster.of('leader').filter((e) => e.event.topic === 'orders' && e.event.partition === 0).at(-1)!.event.broker;

/** The records of fetched batches as `p<id>#seq`, a marker as `ABORT(p<id>)` / `COMMIT(p<id>)`. */
const contents = (part: FetchPart): string[] =>
  part.batches.flatMap((b) => (b.control !== undefined ? [`${b.control.type}(p${b.producerId})`] : b.records.map((r) => `${r.producer}#${r.seq}`)));

/**
 * orders-0 after: p1 (id 1) opens a transaction at 0-1, p2 (id 2) opens one at 2, p1 writes 3,
 * p9 (not transactional) writes 4, and p1 aborts (marker at 5); p2's stays open. HW 6.
 */
function abortedAndOpen(): { cluster: TestCluster; client: TestClient } {
  const cluster = new TestCluster();
  const client = cluster.client('c1');
  expect(produce(client, 'b1', batch(1, 0, 2))).toMatchObject({ error: 'NONE', baseOffset: 0 });
  expect(produce(client, 'b1', batch(2, 0, 1)).baseOffset).toBe(2);
  expect(produce(client, 'b1', batch(1, 2, 1)).baseOffset).toBe(3);
  expect(produce(client, 'b1', batch(9, 0, 1, false)).baseOffset).toBe(4);
  expect(endTxn(client, 'b1', 1, 'ABORT')).toBe('NONE');
  return { cluster, client };
}

describe('broker: transactions', () => {
  test('broker: transactions: read_committed stops at an open transaction\'s first offset with the aborted ones listed; read_uncommitted reads past it', () => {
    const { cluster, client } = abortedAndOpen();
    // The ABORT marker is at 5, replicated (the WriteTxnMarkers append is acks=all): HW 6.
    const marker = cluster.of('txn.marker').map((e) => e.event);
    expect(marker).toEqual([{ kind: 'txn.marker', broker: 1, topic: 'orders', partition: 0, producerId: 1, producerEpoch: 0, result: 'ABORT', coordinatorEpoch: 0, offset: 5, error: 'NONE' }]);

    // p2's open transaction starts at 2: the LSO is 2, below the HW of 6 (Log.lastStableOffset).
    const committed = fetch(client, 'b1', 0, 'read_committed');
    expect([contents(committed), committed.highWatermark, committed.lastStableOffset]).toEqual([['p1#0', 'p1#1'], 6, 2]);
    // p1's transaction began at 0 and its marker is at 5: it overlaps the fetch (Log.collectAbortedTransactions).
    expect(committed.abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);

    const uncommitted = fetch(client, 'b1', 0, 'read_uncommitted');
    expect([contents(uncommitted), uncommitted.lastStableOffset, uncommitted.abortedTransactions]).toEqual([['p1#0', 'p1#1', 'p2#0', 'p1#2', 'p9#0', 'ABORT(p1)'], 2, undefined]);
    // ListOffsets latest: the LSO for read_committed, the HW for read_uncommitted (Partition.fetchOffsetForTimestamp).
    expect([latest(client, 'b1', 'read_committed'), latest(client, 'b1', 'read_uncommitted')]).toEqual([2, 6]);
    // A read_committed fetch at the LSO gets nothing, and no aborted transactions.
    const atLso = fetch(client, 'b1', 2, 'read_committed');
    expect([atLso.batches, atLso.abortedTransactions]).toEqual([[], []]);
    // The trace told the LSO falling behind the HW and standing at 2 since.
    expect(cluster.of('lso').filter((e) => e.event.broker === 1).map((e) => e.event.lastStableOffset).at(-1)).toBe(2);
  });

  test('broker: transactions: a read_committed fetch waiting at the LSO is answered when the commit marker is replicated, not by appends past it', () => {
    const { cluster, client } = abortedAndOpen();
    const parked = client.send<'FetchResponse'>('b1', fetchRequest(2, 'read_committed', 10_000));
    cluster.advance(50);
    // An append past the LSO moves the HW (7) but not the LSO: the fetch still waits (DelayedFetch, FetchTxnCommitted).
    const other = cluster.client('p9');
    expect(produce(other, 'b1', batch(9, 1, 1, false)).baseOffset).toBe(6);
    cluster.advance(50);
    expect(parked.done).toBe(false);
    const committedAtUs = cluster.nowUs;
    expect(endTxn(other, 'b1', 2, 'COMMIT')).toBe('NONE'); // marker at 7
    cluster.runUntil(() => parked.done);
    expect(cluster.nowUs - committedAtUs).toBeLessThan(100 * MS);
    const woken = parked.value.partitions[0]!;
    // The LSO caught up with the HW (8); p1's aborted records at 3 are still in range, so still listed.
    expect([contents(woken), woken.lastStableOffset, woken.highWatermark]).toEqual([['p2#0', 'p1#2', 'p9#0', 'ABORT(p1)', 'p9#1', 'COMMIT(p2)'], 8, 8]);
    expect(woken.abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    const lso = cluster.of('lso').filter((e) => e.event.broker === 1).at(-1)!.event;
    expect([lso.lastStableOffset, lso.highWatermark]).toEqual([8, 8]);
  });

  test('broker: transactions: a follower keeps the same transactions: after the leader dies, the new leader answers read_committed alike', () => {
    const { cluster, client } = abortedAndOpen();
    cluster.advance(1_000); // the followers fetch the HW
    cluster.world.kill('b1');
    cluster.runUntil(() => leaderOf(cluster) !== 1);
    const leader = `b${leaderOf(cluster)}`;
    // Built from the batches it replicated: p2's transaction is open at 2, p1's aborted one indexed.
    const committed = fetch(client, leader, 0, 'read_committed');
    expect([contents(committed), committed.lastStableOffset, committed.abortedTransactions]).toEqual([['p1#0', 'p1#1'], 2, [{ producerId: 1, firstOffset: 0 }]]);
    // A non-transactional write of p2 while its transaction is open is refused there too.
    expect(produce(client, leader, batch(2, 1, 1, false)).error).toBe('INVALID_TXN_STATE');
  });

  test('broker: transactions: a broker killed and restarted rebuilds its transactions from its log, and answers alike when it leads again', () => {
    const { cluster } = abortedAndOpen();
    cluster.advance(1_000);
    cluster.world.kill('b1'); // an unclean shutdown: b1's state is its log on disk
    cluster.runUntil(() => leaderOf(cluster) !== 1);
    cluster.world.restart('b1');
    // b1 rejoins the ISR having fetched nothing new: its producer state is what it rebuilt at load.
    cluster.runUntil(() => cluster.of('isr.expand').some((e) => e.event.topic === 'orders' && e.event.partition === 0 && e.event.added.includes(1)));
    cluster.world.kill(`b${leaderOf(cluster)}`);
    cluster.runUntil(() => leaderOf(cluster) === 1); // first in replica order among the ISR
    cluster.advance(1_000); // a new leader's HW waits for its followers' fetches
    const committed = fetch(cluster.client('c2'), 'b1', 0, 'read_committed');
    expect([contents(committed), committed.lastStableOffset, committed.abortedTransactions]).toEqual([['p1#0', 'p1#1'], 2, [{ producerId: 1, firstOffset: 0 }]]);
  });

  test('broker: transactions: consumer fetches carry the LSO from 0.11 (Fetch v4); 0.10 answers have none', () => {
    for (const [profile, carried] of [['0.10', false], ['0.11', true]] as const) {
      const cluster = new TestCluster({}, profile);
      const client = cluster.client('c1');
      produce(client, 'b1', batch(-1, 0, 2, false)); // not idempotent (producer id -1)
      const part = fetch(client, 'b1', 0, 'read_uncommitted');
      expect([contents(part), part.lastStableOffset]).toEqual([['p-1#0', 'p-1#1'], carried ? 2 : undefined]);
    }
  });
});
