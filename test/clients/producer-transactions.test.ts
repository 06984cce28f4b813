// The transactional producer (KafkaProducer with a transactional.id, its TransactionManager's
// transactional half and the Sender's transactional requests) on a real simulated cluster:
// ZooKeeper, three brokers, __transaction_state, and `orders` with two partitions; the producer
// process is the scenario's application (producer-app.ts), running transactions.
import { describe, expect, test } from 'vitest';
import { admin } from '../../src/admin/admin.js';
import { broker } from '../../src/broker/broker.js';
import { producerProcess } from '../../src/clients/producer-app.js';
import { transactionTopicConfigs } from '../../src/coordinator/transaction-config.js';
import type { AppEvent } from '../../src/kafka/events.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import { TRANSACTION_STATE } from '../../src/kafka/records.js';
import type { KafkaConfig, ProducerSpec } from '../../src/scenario/types.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';
import { BROKERS, Harness } from '../coordinator/support.js';

const TXN_ID = 'orders-writer';
type AppTxn = Extract<AppEvent, { kind: 'app.txn' }>;

class TxnCluster extends Harness {
  constructor(profile = '3.9') {
    super();
    const config: KafkaConfig = { 'min.insync.replicas': 2, 'transaction.state.log.num.partitions': 3 };
    this.world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    const topicConfigs = new Map([[TRANSACTION_STATE, transactionTopicConfigs(config)]]);
    BROKERS.forEach((node, i) => {
      this.world.spawn(node, broker({ id: i + 1, node, zookeeperNode: 'zk', profile, config, zookeeper: {}, topicConfigs }));
    });
    const topics = [{ name: TRANSACTION_STATE, assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] }, { name: 'orders', assignment: [[1, 2, 3], [2, 3, 1]] }];
    this.world.spawn('admin', admin({ zookeeperNode: 'zk', brokers: 3, topics, preferredElections: [] }));
    this.advance(2000);
  }

  producer(name: string, spec: Partial<ProducerSpec>, profile = '3.9'): void {
    const full: ProducerSpec = { name, topic: 'orders', messages: 10, ratePerSec: 100, keys: 3, config: { 'transactional.id': TXN_ID }, ...spec };
    this.world.spawn(name, producerProcess(full, { bootstrap: BROKERS, stopAtUs: Number.MAX_SAFE_INTEGER, profile, startAtUs: this.nowUs }));
  }

  txns(producer: string): AppTxn[] {
    return this.of('app.txn').map((e) => e.event).filter((e) => e.producer === producer);
  }

  /** The partition's log on its leader, as a read_uncommitted fetch returns it: 'data:<seqs>' or the marker's type, per batch. */
  log(partition: number): string[] {
    const leaders = this.of('leader').filter((e) => e.event.topic === 'orders' && e.event.partition === partition);
    const node = `b${leaders[leaders.length - 1]!.event.broker}`;
    const client = this.client(`reader-${partition}-${this.nowUs}`);
    const fetch = client.ask<'FetchResponse'>(node, (correlationId) => ({
      type: 'Fetch', correlationId, replicaId: -1, maxWaitMs: 0, full: true, isolationLevel: 'read_uncommitted', partitions: [{ topic: 'orders', partition, fetchOffset: 0, currentLeaderEpoch: -1 }],
    }) satisfies KafkaMessage).partitions[0]!;
    return fetch.batches.map((batch) => (batch.control !== undefined && batch.control !== null ? batch.control.type : `data:${batch.records.map((r) => r.seq).join(',')}`));
  }
}

/** The seqs of the data batches of both partitions, and each data run's following marker. */
function runs(log: readonly string[]): { seqs: number[]; markers: string[] } {
  const seqs: number[] = [];
  const markers: string[] = [];
  for (const entry of log) {
    if (entry.startsWith('data:')) seqs.push(...entry.slice(5).split(',').map(Number));
    else markers.push(entry);
  }
  return { seqs, markers };
}

describe('producer: transactions', () => {
  test('producer: transactions: committed transactions of 5 records: every record in the partition logs once, each transaction\'s batches followed by a COMMIT marker, the application told committed', () => {
    const cluster = new TxnCluster();
    cluster.producer('p1', { transactions: { records: 5, abortPpm: 0 } });
    cluster.runUntil(() => cluster.txns('p1').length === 2, 20_000);
    cluster.advance(500); // the markers land after EndTxn is answered
    const txns = cluster.txns('p1');
    expect(txns.map((t) => [t.outcome, t.firstSeq, t.lastSeq, t.error])).toEqual([['committed', 1, 5, null], ['committed', 6, 10, null]]);
    // Each partition written to has its transactions' batches, each followed by a COMMIT marker.
    const logs = [cluster.log(0), cluster.log(1)].filter((log) => log.length > 0);
    for (const log of logs) {
      expect(log[log.length - 1]).toBe('COMMIT');
      expect(runs(log).markers.every((m) => m === 'COMMIT')).toBe(true);
    }
    expect(logs.flatMap((log) => log).filter((e) => e === 'COMMIT').length).toBeGreaterThanOrEqual(2);
    expect(logs.flatMap((log) => runs(log).seqs).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // The transaction's batches went out only after AddPartitionsToTxn: one Ongoing per transaction, before any data.
    const ongoing = cluster.of('txn.transition').filter((e) => e.event.to === 'Ongoing');
    const firstAppend = cluster.of('log.append').find((e) => e.event.topic === 'orders')!;
    expect(ongoing.length).toBe(2);
    expect(ongoing[0]!.atUs).toBeLessThan(firstAppend.atUs);
  });

  test('producer: transactions: every transaction aborted: its records are in the log followed by ABORT markers, the application told aborted', () => {
    const cluster = new TxnCluster();
    cluster.producer('p1', { transactions: { records: 5, abortPpm: 1_000_000 } });
    cluster.runUntil(() => cluster.txns('p1').length === 2, 20_000);
    cluster.advance(500);
    expect(cluster.txns('p1').map((t) => t.outcome)).toEqual(['aborted', 'aborted']);
    for (const partition of [0, 1]) {
      const log = cluster.log(partition);
      // Records that had not gone out when the abort came fail unsent; those written are followed by an ABORT marker.
      if (runs(log).seqs.length > 0) expect(log[log.length - 1]).toBe('ABORT');
      expect(runs(log).markers.every((m) => m === 'ABORT')).toBe(true);
    }
    expect(cluster.of('txn.marker').filter((e) => e.event.topic === 'orders').every((e) => e.event.result === 'ABORT')).toBe(true);
  });

  test('producer: transactions: a second producer with the same transactional.id fences the first: the first\'s transaction ends unknown with PRODUCER_FENCED and it sends no more, the second commits', () => {
    const cluster = new TxnCluster();
    // Slow transactions (5 records at 10/s): the second producer's InitProducerId comes in the middle of one.
    cluster.producer('p1', { messages: 50, ratePerSec: 10, transactions: { records: 5, abortPpm: 0 } });
    cluster.runUntil(() => cluster.txns('p1').length === 1, 20_000);
    cluster.advance(200);
    cluster.producer('p2', { messages: 5, ratePerSec: 100, transactions: { records: 5, abortPpm: 0 } });
    cluster.runUntil(() => cluster.txns('p2').length === 1, 20_000);
    cluster.advance(3000);
    const first = cluster.txns('p1');
    expect(first[0]!.outcome).toBe('committed');
    // The open transaction of the fenced epoch: told PRODUCER_FENCED (fatal), not committed.
    expect(first.slice(1).map((t) => [t.outcome, t.error])).toEqual([['unknown', 'PRODUCER_FENCED']]);
    // The coordinator fenced the open transaction with a bumped epoch (PrepareEpochFence), then gave p2 the next.
    expect(cluster.txns('p2').map((t) => t.outcome)).toEqual(['committed']);
    expect(cluster.txns('p2')[0]!.producerEpoch).toBeGreaterThan(first[0]!.producerEpoch);
    // After the fence p1 sends nothing more: its last app.send is before p2's transaction ended.
    const fencedAt = cluster.of('app.txn').find((e) => e.event.producer === 'p1' && e.event.outcome === 'unknown')!.atUs;
    expect(cluster.of('app.send').filter((e) => e.event.producer === 'p1' && e.atUs > fencedAt)).toEqual([]);
  });

  // Before 2.7 (KIP-588) the coordinator answers a fenced epoch with INVALID_PRODUCER_EPOCH; the
  // TransactionManager's handlers throw ProducerFencedException for it all the same (0.11.0.3, 2.5.0).
  for (const profile of ['0.11', '2.5']) {
    test(`producer: transactions: ${profile}: transactions commit, and a second producer with the same transactional.id fences the first`, () => {
      const cluster = new TxnCluster(profile);
      cluster.producer('p1', { messages: 50, ratePerSec: 10, transactions: { records: 5, abortPpm: 0 } }, profile);
      cluster.runUntil(() => cluster.txns('p1').length === 1, 20_000);
      cluster.advance(200);
      cluster.producer('p2', { messages: 5, ratePerSec: 100, transactions: { records: 5, abortPpm: 0 } }, profile);
      cluster.runUntil(() => cluster.txns('p2').length === 1, 20_000);
      cluster.advance(3000);
      const first = cluster.txns('p1');
      expect(first.map((t) => t.outcome)).toEqual(['committed', 'unknown']);
      expect(first[1]!.error).toBe('PRODUCER_FENCED');
      expect(cluster.txns('p2').map((t) => t.outcome)).toEqual(['committed']);
    });
  }
});
