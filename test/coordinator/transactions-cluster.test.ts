// The transaction coordinator on a real simulated cluster: ZooKeeper, three brokers, the admin
// creating __transaction_state (3 partitions, rf 3, min.isr 2), __consumer_offsets and `orders`,
// and a raw test client sending the transactional producer's requests by hand (the producer's
// TransactionManager comes later). The leaders append the markers (the broker side of issue 13).
import { describe, expect, test } from 'vitest';
import { admin } from '../../src/admin/admin.js';
import { broker } from '../../src/broker/broker.js';
import { transactionTopicConfigs } from '../../src/coordinator/transaction-config.js';
import type { KafkaMessage, TopicPartitionRef } from '../../src/kafka/protocol.js';
import { CONSUMER_OFFSETS, TRANSACTION_STATE } from '../../src/kafka/records.js';
import { transactionPartitionFor } from '../../src/kafka/transaction-log.js';
import type { KafkaConfig } from '../../src/scenario/types.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';
import { offsetsPartitionFor } from '../../src/kafka/offsets-topic.js';
import { BROKERS, GROUP, Harness, TestCluster, type TestClient } from './support.js';

const TXN_ID = 'orders-writer';
const ASSIGNMENT = [[1, 2, 3], [2, 3, 1], [3, 1, 2]];
type Response = Extract<KafkaMessage, { correlationId: number }>;

class TxnCluster extends Harness {
  constructor(profile = '3.9') {
    super();
    const config: KafkaConfig = { 'min.insync.replicas': 2, 'transaction.state.log.num.partitions': 3, 'offsets.topic.num.partitions': 3 };
    this.world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    const topicConfigs = new Map([[TRANSACTION_STATE, transactionTopicConfigs(config)]]);
    BROKERS.forEach((node, i) => {
      this.world.spawn(node, broker({ id: i + 1, node, zookeeperNode: 'zk', profile, config, zookeeper: {}, topicConfigs }));
    });
    const topics = [{ name: TRANSACTION_STATE, assignment: ASSIGNMENT }, { name: CONSUMER_OFFSETS, assignment: ASSIGNMENT }, { name: 'orders', assignment: ASSIGNMENT }];
    this.world.spawn('admin', admin({ zookeeperNode: 'zk', brokers: 3, topics, preferredElections: [] }));
    this.advance(2000);
  }

  /** The broker that last became leader of a partition, and at which leader epoch. */
  leaderOf(topic: string, partition: number): { node: string; id: number; leaderEpoch: number } {
    const leaders = this.of('leader').filter((e) => e.event.topic === topic && e.event.partition === partition);
    const last = leaders[leaders.length - 1]!.event;
    return { node: `b${last.broker}`, id: last.broker, leaderEpoch: last.leaderEpoch };
  }

  transitions(): string[] {
    return this.of('txn.transition').map((e) => e.event.to);
  }
}

/** A transactional producer's requests, sent by hand to the coordinator it found. */
class RawTxnProducer {
  coordinator = '';

  constructor(readonly client: TestClient) {}

  findCoordinator(via: string): Extract<Response, { type: 'FindCoordinatorResponse' }> {
    const answer = this.client.ask<'FindCoordinatorResponse'>(via, (correlationId) => ({ type: 'FindCoordinator', correlationId, key: TXN_ID, keyType: 'transaction' }));
    this.coordinator = answer.node;
    return answer;
  }

  init(): Extract<Response, { type: 'InitProducerIdResponse' }> {
    return this.client.ask<'InitProducerIdResponse'>(this.coordinator, (correlationId) => ({ type: 'InitProducerId', correlationId, transactionalId: TXN_ID, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }));
  }

  add(producerId: number, producerEpoch: number, partitions: TopicPartitionRef[]): string[] {
    const answer = this.client.ask<'AddPartitionsToTxnResponse'>(this.coordinator, (correlationId) => ({ type: 'AddPartitionsToTxn', correlationId, transactionalId: TXN_ID, producerId, producerEpoch, partitions }));
    return answer.partitions.map((p) => p.error);
  }

  addOffsets(producerId: number, producerEpoch: number): string {
    return this.client.ask<'AddOffsetsToTxnResponse'>(this.coordinator, (correlationId) => ({ type: 'AddOffsetsToTxn', correlationId, transactionalId: TXN_ID, producerId, producerEpoch, groupId: GROUP })).error;
  }

  /** One transactional record, at sequence `seq`, to the partition's leader. */
  produce(leader: string, partition: number, producerId: number, producerEpoch: number, seq: number): string {
    const batch = { baseOffset: -1, leaderEpoch: -1, producerId, producerEpoch, baseSequence: seq, records: [{ key: null, producer: 'p', seq }], isTransactional: true };
    return this.client.ask<'ProduceResponse'>(leader, (correlationId) => ({ type: 'Produce', correlationId, acks: -1, timeoutMs: 30_000, partitions: [{ topic: 'orders', partition, batch }] })).partitions[0]!.error;
  }

  endSend(producerId: number, producerEpoch: number, committed: boolean) {
    return this.client.send<'EndTxnResponse'>(this.coordinator, (correlationId) => ({ type: 'EndTxn', correlationId, transactionalId: TXN_ID, producerId, producerEpoch, committed }));
  }

  end(producerId: number, producerEpoch: number, committed: boolean): string {
    return this.client.ask<'EndTxnResponse'>(this.coordinator, (correlationId) => ({ type: 'EndTxn', correlationId, transactionalId: TXN_ID, producerId, producerEpoch, committed })).error;
  }
}

const ORDERS = [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }];

describe('coordinator: transactions on a cluster', () => {
  test('coordinator: transactions on a cluster: FindCoordinator(transaction) names the leader of the id\'s __transaction_state partition; a second InitProducerId fences the first; EndTxn(commit) is answered once PrepareCommit is on every replica, its markers land in the partition logs and CompleteCommit follows', () => {
    const cluster = new TxnCluster();
    const txnPartition = transactionPartitionFor(TXN_ID, 3);
    const coordinator = cluster.leaderOf(TRANSACTION_STATE, txnPartition);
    const first = new RawTxnProducer(cluster.client('p1'));
    // Any broker answers, from its metadata cache.
    expect(first.findCoordinator('b3')).toMatchObject({ error: 'NONE', node: coordinator.node });
    const a = first.init();
    expect(a).toMatchObject({ error: 'NONE', producerEpoch: 0 });

    // A second producer with the same transactional.id: the same producer id, the next epoch.
    const second = new RawTxnProducer(cluster.client('p2'));
    second.findCoordinator('b1');
    const b = second.init();
    expect([b.error, b.producerId, b.producerEpoch]).toEqual(['NONE', a.producerId, 1]);
    expect(first.add(a.producerId, a.producerEpoch, ORDERS)).toEqual(['PRODUCER_FENCED', 'PRODUCER_FENCED']);

    expect(second.add(b.producerId, b.producerEpoch, ORDERS)).toEqual(['NONE', 'NONE']);
    const orders0 = cluster.leaderOf('orders', 0);
    expect(second.produce(orders0.node, 0, b.producerId, b.producerEpoch, 0)).toBe('NONE');
    // sendOffsetsToTransaction: the group's offsets partition joins the transaction, the offsets go to the group coordinator.
    expect(second.addOffsets(b.producerId, b.producerEpoch)).toBe('NONE');
    const offsetsPartition = offsetsPartitionFor(GROUP, 3);
    const groupCoordinator = cluster.leaderOf(CONSUMER_OFFSETS, offsetsPartition);
    const txnCommit = second.client.ask<'TxnOffsetCommitResponse'>(groupCoordinator.node, (correlationId) => ({
      type: 'TxnOffsetCommit', correlationId, transactionalId: TXN_ID, groupId: GROUP, producerId: b.producerId, producerEpoch: b.producerEpoch,
      generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 'orders', partition: 0, offset: 1, leaderEpoch: 0 }],
    }));
    expect(txnCommit.partitions[0]!.error).toBe('NONE');

    expect(second.end(b.producerId, b.producerEpoch, true)).toBe('NONE');
    // The answer came after PrepareCommit was replicated: every replica of the partition has it.
    for (const node of BROKERS) {
      const appends = cluster.of('log.append').filter((e) => e.event.topic === TRANSACTION_STATE && e.event.partition === txnPartition && e.event.broker === Number(node.slice(1)));
      expect(appends.length, node).toBe(5); // Empty (epoch 0), Empty (epoch 1), Ongoing, Ongoing (+ offsets partition), PrepareCommit
    }
    cluster.runUntil(() => cluster.transitions().includes('CompleteCommit'), 10_000);
    expect(cluster.transitions()).toEqual(['Empty', 'Empty', 'Ongoing', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
    // One COMMIT marker in each partition of the transaction, appended by its leader under the coordinator's epoch.
    const markers = cluster.of('txn.marker').map((e) => e.event);
    const partitions = [...ORDERS, { topic: CONSUMER_OFFSETS, partition: offsetsPartition }];
    expect(markers.map((m) => [m.broker, m.topic, m.partition, m.result, m.producerEpoch, m.coordinatorEpoch, m.error]).sort()).toEqual(
      partitions.map((tp) => [cluster.leaderOf(tp.topic, tp.partition).id, tp.topic, tp.partition, 'COMMIT', 1, coordinator.leaderEpoch, 'NONE']).sort(),
    );
    // orders-0 has the record then the marker; read_committed sees both, the LSO past them.
    const fetch = second.client.ask<'FetchResponse'>(orders0.node, (correlationId) => ({
      type: 'Fetch', correlationId, replicaId: -1, maxWaitMs: 0, full: true, isolationLevel: 'read_committed', partitions: [{ topic: 'orders', partition: 0, fetchOffset: 0, currentLeaderEpoch: -1 }],
    })).partitions[0]!;
    expect(fetch.batches.map((batch) => batch.control?.type ?? 'data')).toEqual(['data', 'COMMIT']);
    expect(fetch.lastStableOffset).toBe(2);
    // The marker in the offsets partition made the transaction's offset the group's committed one.
    const committed = second.client.ask<'OffsetFetchResponse'>(groupCoordinator.node, (correlationId) => ({ type: 'OffsetFetch', correlationId, groupId: GROUP, partitions: [{ topic: 'orders', partition: 0 }], requireStable: true }));
    expect(committed.partitions[0]).toMatchObject({ offset: 1, error: 'NONE' });
    expect(cluster.of('group.txn-completed')[0]!.event).toMatchObject({ group: GROUP, result: 'COMMIT', offsets: [['orders', 0, 1]] });
    // The fenced producer's late commit.
    expect(first.end(a.producerId, a.producerEpoch, true)).toBe('PRODUCER_FENCED');
  });

  test('coordinator: transactions on a cluster: the coordinator killed right after PrepareCommit: the new leader of its partition loads the transaction, sends the markers again under its own coordinator epoch and writes CompleteCommit', () => {
    const cluster = new TxnCluster();
    const txnPartition = transactionPartitionFor(TXN_ID, 3);
    const before = cluster.leaderOf(TRANSACTION_STATE, txnPartition);
    const producer = new RawTxnProducer(cluster.client('p1'));
    producer.findCoordinator('b1');
    const { producerId, producerEpoch } = producer.init();
    producer.add(producerId, producerEpoch, ORDERS);
    producer.endSend(producerId, producerEpoch, true);
    // Killed within a millisecond of PrepareCommit: no marker's answer can have come back (1 ms links, acks=all).
    cluster.runUntil(() => cluster.transitions().includes('PrepareCommit'), 10_000);
    const killedAtUs = cluster.nowUs;
    cluster.world.kill(before.node);
    const reloads = (): { event: { broker: number; partition: number; coordinatorEpoch: number; completing: string[] } }[] =>
      cluster.of('txn.loaded').filter((e) => e.atUs > killedAtUs && e.event.partition === txnPartition);
    cluster.runUntil(() => reloads().length > 0, 60_000);
    const after = cluster.leaderOf(TRANSACTION_STATE, txnPartition);
    expect(after.node).not.toBe(before.node);
    expect(reloads()[0]!.event).toMatchObject({ broker: after.id, coordinatorEpoch: after.leaderEpoch, completing: [TXN_ID] });
    cluster.runUntil(() => cluster.transitions().includes('CompleteCommit'), 60_000);
    const complete = cluster.of('txn.transition').find((e) => e.event.to === 'CompleteCommit')!.event;
    expect(complete).toMatchObject({ broker: after.id, coordinatorEpoch: after.leaderEpoch, producerEpoch });
    // Every marker the new coordinator sent carries its epoch; each partition has a COMMIT marker from it.
    const resent = cluster.of('txn.markers-sent').filter((e) => e.atUs > killedAtUs).map((e) => e.event);
    expect(resent.every((m) => m.broker === after.id && m.coordinatorEpoch === after.leaderEpoch && m.result === 'COMMIT')).toBe(true);
    const written = cluster.of('txn.marker').filter((e) => e.event.coordinatorEpoch === after.leaderEpoch && e.event.error === 'NONE').map((e) => `${e.event.topic}-${e.event.partition}`);
    expect([...new Set(written)].sort()).toEqual(['orders-0', 'orders-1']);
    // The producer, retrying its EndTxn at the new coordinator, is told it committed.
    producer.findCoordinator(after.node);
    expect(producer.end(producerId, producerEpoch, true)).toBe('NONE');
  });
});

describe('coordinator: transactional offsets on a cluster', () => {
  test('coordinator: transactional offsets on a cluster: TxnOffsetCommits of one epoch all append (no sequence to check); an older epoch than the offsets partition has seen is INVALID_PRODUCER_EPOCH', () => {
    const cluster = new TestCluster();
    const coordinator = cluster.offsetsLeader(offsetsPartitionFor(GROUP, 3));
    const client = cluster.client('p1');
    const commit = (producerEpoch: number, offset: number): string => client.ask<'TxnOffsetCommitResponse'>(coordinator, (correlationId) => ({
      type: 'TxnOffsetCommit', correlationId, transactionalId: 'tx-1', groupId: GROUP, producerId: 9000, producerEpoch,
      generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 'orders', partition: 0, offset, leaderEpoch: 0 }],
    })).partitions[0]!.error;
    expect(commit(1, 10)).toBe('NONE');
    expect(commit(1, 11)).toBe('NONE'); // a coordinator's batch carries no sequence: the same epoch appends again
    // A zombie of epoch 0: the offsets partition's producer state knows epoch 1 (ProducerAppendInfo.checkProducerEpoch).
    expect(commit(0, 12)).toBe('INVALID_PRODUCER_EPOCH');
    expect(cluster.of('group.txn-commit').map((e) => e.event.error)).toEqual(['NONE', 'NONE', 'INVALID_PRODUCER_EPOCH']);
  });
});
