// The checker on transactional topics (KIP-98): the final log means its committed records. A
// transactional producer's application is told success only by its transaction's commit
// (app.txn), so a record of an aborted or undecided transaction is neither lost nor counted in
// the final log; a read_committed group that processed one made a dirty read, a read_uncommitted
// group an aborted read (a probe, not an anomaly).
import { describe, expect, test } from 'vitest';
import { controlBatch, logFile, nextOffset, type RecordBatch } from '../../src/kafka/records.js';
import { GROUP, GroupCluster, p1 } from './consumer-fixture.js';
import { Cluster, records, TOPIC } from './kafka-log-fixture.js';

const PRODUCER_ID = 7;

/** Appends `batch` at the end of each broker's log of orders-0, leader first. */
function append(c: Cluster, batch: RecordBatch, brokers: readonly number[] = [1, 2, 3]): void {
  for (const [i, broker] of brokers.entries()) {
    const file = logFile(c.world.disk(`b${broker}`), TOPIC, 0);
    const baseOffset = file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
    file.append({ ...batch, baseOffset, leaderEpoch: 1 });
    c.other({ kind: 'log.append', broker, topic: TOPIC, partition: 0, baseOffset, count: batch.records.length, leaderEpoch: 1, role: i === 0 ? 'leader' : 'follower' });
  }
}

const txnBatch = (from: number, to: number): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId: PRODUCER_ID, producerEpoch: 0, baseSequence: from - 1, records: records('p1', from, to), isTransactional: true,
});
const marker = (type: 'COMMIT' | 'ABORT'): RecordBatch => controlBatch(PRODUCER_ID, 0, { type, coordinatorEpoch: 0 });
const told = (c: Cluster, firstSeq: number, lastSeq: number, outcome: 'committed' | 'aborted' | 'unknown'): void => {
  c.other({ kind: 'app.txn', producer: 'p1', transactionalId: 't1', producerId: PRODUCER_ID, producerEpoch: 0, firstSeq, lastSeq, outcome, error: outcome === 'unknown' ? 'REQUEST_TIMED_OUT' : null });
};

/** p1#1-2 aborted (offsets 0-1, marker 2), p1#3-4 committed (offsets 3-4, marker 5), both told. */
function abortedThenCommitted(c: Cluster): void {
  c.at(0).election(1, 1, [1, 2, 3]);
  c.at(10).send('p1', 1, 4);
  append(c, txnBatch(1, 2));
  c.ack('p1', 1, 2, 0);
  append(c, marker('ABORT'));
  told(c, 1, 2, 'aborted');
  append(c, txnBatch(3, 4));
  c.ack('p1', 3, 4, 3);
  append(c, marker('COMMIT'));
  c.hw([1, 2, 3], 6);
  told(c, 3, 4, 'committed');
}

describe('checker: transactions', () => {
  test('checker: transactions: an aborted transaction is neither lost nor in the final log; a committed one is acknowledged by its commit', () => {
    const c = new Cluster({ transactionalProducers: ['p1'] });
    abortedThenCommitted(c);
    const out = c.finish();
    expect(out.anomalies.lost).toBe(0);
    expect(out.anomalies.duplicated).toBe(0);
    // Per-record answers acknowledge nothing: p1#1-2 failed with their abort, p1#3-4 succeeded with their commit.
    expect(out.messages).toMatchObject({ sent: 4, acked: 2, failed: 2, inLog: 2 });
  });

  test('checker: transactions: a transaction the application was told committed, whose marker in the final log is ABORT, is lost', () => {
    const c = new Cluster({ transactionalProducers: ['p1'] });
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 2);
    append(c, txnBatch(1, 2));
    c.ack('p1', 1, 2, 0);
    append(c, marker('ABORT'));
    c.hw([1, 2, 3], 3);
    told(c, 1, 2, 'committed');
    const out = c.finish();
    expect(out.anomalies.lost).toBe(2);
    expect(out.messages.inLog).toBe(0);
  });

  test('checker: transactions: an undecided transaction (no marker below the high watermark) whose end the application never learnt is maybe sent, not lost', () => {
    const c = new Cluster({ transactionalProducers: ['p1'] });
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 2);
    append(c, txnBatch(1, 2));
    c.ack('p1', 1, 2, 0);
    c.hw([1, 2, 3], 2);
    told(c, 1, 2, 'unknown');
    const out = c.finish();
    expect(out.anomalies.lost).toBe(0);
    expect(out.messages).toMatchObject({ acked: 0, failed: 0, inLog: 0 });
  });

  test('checker: transactions: a non-transactional producer is still acknowledged per record (the layout names who is transactional)', () => {
    const c = new Cluster();
    abortedThenCommitted(c);
    // Without the layout's word, app.ack is success: the aborted p1#1-2 are acknowledged and lost.
    expect(c.finish().anomalies.lost).toBe(2);
  });

  const groupRun = (readCommitted: boolean): GroupCluster => {
    const c = new GroupCluster({ groups: [{ name: GROUP, topic: TOPIC, members: ['billing-1'], readCommitted }] });
    abortedThenCommitted(c);
    c.coordinator(1).generation(1, 1, [['billing-1', [0]]]).assigned('billing-1', 1, [0]);
    return c;
  };

  test('checker: transactions: a read_committed group that processed aborted records made dirty reads', () => {
    const c = groupRun(true);
    c.process('billing-1', 1, 0, 1, p1, { highWatermark: 6 }).process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6 });
    c.commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies['dirty-read']).toBe(2);
    expect(out.instances.find((i) => i.anomaly === 'dirty-read')?.summary).toContain('an aborted transaction');
    expect(c.groupChecker.abortedReads()).toBe(0);
  });

  test('checker: transactions: a read_uncommitted group may process aborted records: no anomaly, the aborted-read count', () => {
    const c = groupRun(false);
    c.process('billing-1', 1, 0, 1, p1, { highWatermark: 6 }).process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6 });
    c.commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies['dirty-read']).toBe(0);
    expect(c.groupChecker.abortedReads()).toBe(2);
  });

  test('checker: transactions: aborted records a read_committed group skipped are neither unprocessed nor unconsumed', () => {
    const c = groupRun(true);
    c.process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6 });
    c.commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies).toMatchObject({ 'dirty-read': 0, unprocessed: 0, unconsumed: 0 });
    expect(out.messages.processed).toBe(2);
  });

  test('checker: transactions: lag at the end, both ways: an undecided transaction holds the last stable offset at its first offset', () => {
    const c = groupRun(true);
    // p1#5-6 in a transaction still open at the end (offsets 6-7, no marker): HW 8, LSO 6.
    c.send('p1', 5, 6);
    append(c, txnBatch(5, 6));
    c.hw([1, 2, 3], 8);
    c.process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6 });
    c.commit('billing-1', 1, [[0, 5]], { mode: 'sync' });
    const [lag] = c.finish().lag ?? [];
    expect(lag).toMatchObject({ group: GROUP, isolationLevel: 'read_committed', highWatermarkLag: 3, lastStableLag: 1 });
    expect(lag?.partitions).toEqual([{ topic: TOPIC, partition: 0, committed: 5, highWatermark: 8, lastStableOffset: 6 }]);
  });

  test('checker: transactions: a read_committed group that processed a record at or above its fetch\'s last stable offset made a dirty read, even if the transaction later committed', () => {
    const c = groupRun(true);
    // p1#3-4 committed in the end, but the fetch that returned them said LSO 3: they were undecided then.
    c.process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6, lastStableOffset: 3 });
    c.commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    const out = c.finish();
    expect(out.anomalies['dirty-read']).toBe(2);
    expect(out.instances.find((i) => i.anomaly === 'dirty-read')?.summary).toContain('at or above the last stable offset 3');
    // The same fetch read under read_uncommitted is no dirty read: the bound is the high watermark.
    const uncommitted = groupRun(false);
    uncommitted.process('billing-1', 1, 3, 4, (o) => ['p1', o], { highWatermark: 6, lastStableOffset: 3 });
    uncommitted.commit('billing-1', 1, [[0, 6]], { mode: 'sync' });
    expect(uncommitted.finish().anomalies['dirty-read']).toBe(0);
  });
});
