// Transaction markers in the logs the checker reads: a control batch takes an offset and holds
// no application record (KIP-98's EndTransactionMarker), so it is neither a message of the final
// log nor one that is lost; where one replica holds a marker and another a message at a committed
// offset, that is still two records at one offset.
import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { controlBatch, logFile, nextOffset, type RecordBatch } from '../../src/kafka/records.js';
import { Cluster, records, TOPIC } from './kafka-log-fixture.js';

/** Appends `batch` at the end of each broker's log of orders-0, as a leader and its followers store it. */
function appendBatch(c: Cluster, brokers: readonly number[], batch: RecordBatch): void {
  for (const [i, broker] of brokers.entries()) {
    const file = logFile(c.world.disk(`b${broker}`), TOPIC, 0);
    const baseOffset = file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
    file.append({ ...batch, baseOffset, leaderEpoch: 1 });
    c.other({ kind: 'log.append', broker, topic: TOPIC, partition: 0, baseOffset, count: batch.records.length, leaderEpoch: 1, role: i === 0 ? 'leader' : 'follower' });
  }
}

const transactional = (producer: string, from: number, to: number): RecordBatch => ({
  baseOffset: -1, leaderEpoch: -1, producerId: 7, producerEpoch: 0, baseSequence: from - 1, records: records(producer, from, to), isTransactional: true,
});

describe('checker: log: control batches', () => {
  test('checker: log: control batches: a COMMIT marker in the final log is no message: nothing lost, duplicated or reordered, and it is not counted', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3);
    appendBatch(c, [1, 2, 3], transactional('p1', 1, 2)); // offsets 0-1
    appendBatch(c, [1, 2, 3], controlBatch(7, 0, { type: 'COMMIT', coordinatorEpoch: 0 })); // offset 2
    appendBatch(c, [1, 2, 3], transactional('p1', 3, 3)); // offset 3
    c.hw([1, 2, 3], 4).ack('p1', 1, 2, 0).ack('p1', 3, 3, 3);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.inLog).toBe(3);
  });

  test('checker: log: control batches: a marker on one replica where another holds a message at a committed offset is inconsistent', () => {
    const c = new Cluster();
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1);
    appendBatch(c, [1], controlBatch(7, 0, { type: 'ABORT', coordinatorEpoch: 0 })); // b1: the marker at 0
    c.hw([1], 1);
    appendBatch(c, [2], transactional('p1', 1, 1)); // b2: p1#1 at 0
    c.hw([2], 1);
    expect(c.finish().anomalies.inconsistent).toBe(1);
  });
});
