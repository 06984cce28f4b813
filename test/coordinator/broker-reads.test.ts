// What the broker gives consumers, and how their coordinator connection behaves: a consumer's
// Fetch reads only below the high watermark and, when there is nothing, waits until the high
// watermark moves; ListOffsets names the log start and the high watermark; a consumer that dies
// while its JoinGroup is parked does not hold up its restarted successor.
import { describe, expect, test } from 'vitest';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';
import { offsetsPartitionFor } from '../../src/kafka/offsets-topic.js';
import { GROUP, MS, TestCluster, type TestClient } from './support.js';

function batch(seqs: number[]): RecordBatch {
  return { baseOffset: -1, leaderEpoch: -1, producerId: -1, producerEpoch: -1, baseSequence: -1, records: seqs.map((seq) => ({ key: null, producer: 'p1', seq })) };
}

function produce(client: TestClient, to: string, acks: -1 | 1, seqs: number[]): void {
  const answer = client.ask<'ProduceResponse'>(to, (correlationId) => ({ type: 'Produce', correlationId, acks, timeoutMs: 30_000, partitions: [{ topic: 'orders', partition: 0, batch: batch(seqs) }] }));
  expect(answer.partitions[0]!.error).toBe('NONE');
}

function consumerFetch(fetchOffset: number): (correlationId: number) => KafkaMessage {
  return (correlationId) => ({ type: 'Fetch', correlationId, replicaId: -1, maxWaitMs: 500, full: true, partitions: [{ topic: 'orders', partition: 0, fetchOffset, currentLeaderEpoch: -1 }] });
}

function listOffsets(client: TestClient, to: string, timestamp: -1 | -2): { offset: number; leaderEpoch: number; error: string } {
  const answer = client.ask<'ListOffsetsResponse'>(to, (correlationId) => ({ type: 'ListOffsets', correlationId, replicaId: -1, partitions: [{ topic: 'orders', partition: 0, timestamp }] }));
  return answer.partitions[0]!;
}

const seqsOf = (batches: readonly RecordBatch[]): number[] => batches.flatMap((b) => b.records.map((r) => r.seq));

describe('broker: consumer reads', () => {
  test('broker: consumer fetch: only what is below the high watermark; an empty fetch waits for the high watermark, not for the append', () => {
    const cluster = new TestCluster();
    const client = cluster.client('c1');
    const producer = cluster.client('p1'); // its own connection: c1's is busy with a parked fetch
    produce(producer, 'b1', -1, [1, 2, 3]); // orders-0 is led by broker 1, its preferred replica
    expect(listOffsets(client, 'b1', -1)).toMatchObject({ error: 'NONE', offset: 3, leaderEpoch: 0 });
    expect(listOffsets(client, 'b1', -2)).toMatchObject({ error: 'NONE', offset: 0 });
    expect(listOffsets(client, 'b2', -1).error).toBe('NOT_LEADER_OR_FOLLOWER');
    const first = client.ask<'FetchResponse'>('b1', consumerFetch(0)).partitions[0]!;
    expect([seqsOf(first.batches), first.highWatermark]).toEqual([[1, 2, 3], 3]);

    // A fetch at the end waits; an acks=1 append does not answer it (the records are not yet
    // replicated); the followers' next fetches move the high watermark, and that answers it.
    const parked = client.send<'FetchResponse'>('b1', consumerFetch(3));
    cluster.advance(5);
    expect(parked.done).toBe(false);
    const appendedAtUs = cluster.nowUs;
    produce(producer, 'b1', 1, [4, 5]);
    cluster.runUntil(() => parked.done);
    const woken = parked.value.partitions[0]!;
    expect([seqsOf(woken.batches), woken.highWatermark]).toEqual([[4, 5], 5]);
    expect(cluster.nowUs - appendedAtUs).toBeLessThan(100 * MS);

    // Followers stalled: the leader has offset 5, the high watermark stays 5, consumers see nothing.
    cluster.world.pause('b2');
    cluster.world.pause('b3');
    produce(producer, 'b1', 1, [6]);
    expect(listOffsets(client, 'b1', -1).offset).toBe(5);
    const stalledAtUs = cluster.nowUs;
    const stalled = client.ask<'FetchResponse'>('b1', consumerFetch(5)).partitions[0]!;
    expect([seqsOf(stalled.batches), stalled.highWatermark]).toEqual([[], 5]);
    expect(cluster.nowUs - stalledAtUs).toBeGreaterThanOrEqual(500 * MS); // it waited maxWaitMs
  });
});

describe('broker: coordinator connection', () => {
  test('broker: coordinator connection: a restarted consumer is not queued behind its dead predecessor\'s parked JoinGroup', () => {
    const cluster = new TestCluster();
    const coordinator = cluster.offsetsLeader(offsetsPartitionFor(GROUP, 3));
    const consumer = cluster.client('billing-1');
    const first = consumer.join(coordinator); // parked for group.initial.rebalance.delay.ms
    cluster.advance(100);
    cluster.world.kill('billing-1');
    cluster.advance(10);
    cluster.world.restart('billing-1');
    const second = consumer.join(coordinator);
    cluster.runUntil(() => second.done);
    // Both members joined the same join phase; the dead one's answer was never sent.
    expect(second.value.error).toBe('NONE');
    expect(cluster.of('group.generation')[0]!.event.members).toHaveLength(2);
    expect(cluster.of('group.rebalance')).toHaveLength(1);
    expect(first.done).toBe(false);
  });
});
