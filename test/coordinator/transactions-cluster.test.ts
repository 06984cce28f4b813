// The transaction coordinator on a real simulated cluster: ZooKeeper, three brokers, the admin
// creating __transaction_state (3 partitions, rf 3, min.isr 2) and `orders`, and a raw test client
// sending the transactional producer's requests by hand (the producer's TransactionManager comes later).
import { describe, expect, test } from 'vitest';
import { admin } from '../../src/admin/admin.js';
import { broker } from '../../src/broker/broker.js';
import { transactionTopicConfigs } from '../../src/coordinator/transaction-config.js';
import type { KafkaMessage, TopicPartitionRef } from '../../src/kafka/protocol.js';
import { TRANSACTION_STATE } from '../../src/kafka/records.js';
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
    const config: KafkaConfig = { 'min.insync.replicas': 2, 'transaction.state.log.num.partitions': 3 };
    this.world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    const topicConfigs = new Map([[TRANSACTION_STATE, transactionTopicConfigs(config)]]);
    BROKERS.forEach((node, i) => {
      this.world.spawn(node, broker({ id: i + 1, node, zookeeperNode: 'zk', profile, config, zookeeper: {}, topicConfigs }));
    });
    const topics = [{ name: TRANSACTION_STATE, assignment: ASSIGNMENT }, { name: 'orders', assignment: ASSIGNMENT }];
    this.world.spawn('admin', admin({ zookeeperNode: 'zk', brokers: 3, topics, preferredElections: [] }));
    this.advance(2000);
  }

  /** The broker that last became leader of a partition, and at which leader epoch. */
  leaderOf(topic: string, partition: number): { node: string; leaderEpoch: number } {
    const leaders = this.of('leader').filter((e) => e.event.topic === topic && e.event.partition === partition);
    const last = leaders[leaders.length - 1]!.event;
    return { node: `b${last.broker}`, leaderEpoch: last.leaderEpoch };
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

  end(producerId: number, producerEpoch: number, committed: boolean): string {
    return this.client.ask<'EndTxnResponse'>(this.coordinator, (correlationId) => ({ type: 'EndTxn', correlationId, transactionalId: TXN_ID, producerId, producerEpoch, committed })).error;
  }
}

const ORDERS = [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }];

describe('coordinator: transactions on a cluster', () => {
  test('coordinator: transactions on a cluster: FindCoordinator(transaction) names the leader of the id\'s __transaction_state partition; a second InitProducerId fences the first; EndTxn(commit) writes PrepareCommit to every replica and sends the markers to the partition leaders', () => {
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
    expect(second.end(b.producerId, b.producerEpoch, true)).toBe('NONE');
    // The answer came after PrepareCommit was replicated: every replica of the partition has it.
    for (const node of BROKERS) {
      const states = cluster.of('log.append').filter((e) => e.event.topic === TRANSACTION_STATE && e.event.partition === txnPartition && e.event.broker === Number(node.slice(1)));
      expect(states.length, node).toBe(4); // Empty (epoch 0), Empty (epoch 1), Ongoing, PrepareCommit
    }
    cluster.advance(20);
    // One WriteTxnMarkers per partition leader, with the coordinator epoch = the leader epoch of the coordinator's partition.
    const sent = cluster.of('txn.markers-sent').map((e) => e.event);
    expect(sent.map((m) => [m.destination, m.partitions, m.result, m.producerEpoch, m.coordinatorEpoch]).sort()).toEqual(
      ORDERS.map((tp) => [Number(cluster.leaderOf(tp.topic, tp.partition).node.slice(1)), [`orders-${tp.partition}`], 'COMMIT', 1, coordinator.leaderEpoch]).sort(),
    );
    expect(cluster.of('txn.transition').map((e) => e.event.to)).toEqual(['Empty', 'Empty', 'Ongoing', 'PrepareCommit']);
  });

  test('coordinator: transactions on a cluster: the coordinator killed after PrepareCommit: the new leader of its partition loads the transaction and sends the markers again under its own coordinator epoch', () => {
    const cluster = new TxnCluster();
    const txnPartition = transactionPartitionFor(TXN_ID, 3);
    const before = cluster.leaderOf(TRANSACTION_STATE, txnPartition);
    const producer = new RawTxnProducer(cluster.client('p1'));
    producer.findCoordinator('b1');
    const { producerId, producerEpoch } = producer.init();
    producer.add(producerId, producerEpoch, ORDERS);
    expect(producer.end(producerId, producerEpoch, true)).toBe('NONE');
    const killedAtUs = cluster.nowUs;
    cluster.world.kill(before.node);
    const reloads = (): { atUs: number; event: { broker: number; partition: number } }[] => cluster.of('txn.loaded').filter((e) => e.atUs > killedAtUs && e.event.partition === txnPartition);
    cluster.runUntil(() => reloads().length > 0, 60_000);
    const after = cluster.leaderOf(TRANSACTION_STATE, txnPartition);
    expect(after.node).not.toBe(before.node);
    const loaded = cluster.of('txn.loaded').filter((e) => e.atUs > killedAtUs && e.event.partition === txnPartition)[0]!.event;
    expect(loaded).toMatchObject({ broker: Number(after.node.slice(1)), partition: txnPartition, coordinatorEpoch: after.leaderEpoch, completing: [TXN_ID] });
    cluster.advance(50);
    const resent = cluster.of('txn.markers-sent').filter((e) => e.atUs > killedAtUs && e.event.broker === loaded.broker).map((e) => e.event);
    expect(resent.length).toBeGreaterThan(0);
    expect(resent.every((m) => m.coordinatorEpoch === after.leaderEpoch && m.result === 'COMMIT' && m.producerEpoch === producerEpoch)).toBe(true);
    // The new coordinator answers the producer: the transaction is still completing.
    producer.findCoordinator(after.node);
    expect(producer.coordinator).toBe(after.node);
    expect(producer.end(producerId, producerEpoch, true)).toBe('CONCURRENT_TRANSACTIONS');
    const state = cluster.of('txn.transition').at(-1)!.event;
    expect(state.to).toBe('PrepareCommit');
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
