// The RecordAccumulator on its own, without a Sender, a network or a clock: batches appended by
// hand, then what ready() and drain() make of them at given times. These are the decisions that
// shape every Produce request (linger.ms, batch.size, buffer.memory, max.request.size), seen
// directly rather than through the requests a whole producer sends.
import { describe, expect, test } from 'vitest';
import type { KafkaRecord } from '../../src/kafka/records.js';
import { producerSettings, type ProducerSettings } from '../../src/clients/producer-config.js';
import type { Connection } from '../../src/clients/producer/network-client.js';
import type { Batch } from '../../src/clients/producer/producer-batch.js';
import type { PartitionState } from '../../src/clients/producer/producer-metadata.js';
import { RecordAccumulator } from '../../src/clients/producer/record-accumulator.js';
import { TransactionManager, idempotenceRules } from '../../src/clients/producer/transaction-manager.js';

/** Bytes each test record counts for: RECORD_OVERHEAD_BYTES (50) + a two-character key. */
const RECORD_BYTES = 52;

function broker(node: string): Connection {
  return { node, blockedUntilUs: 0, failures: 0, drainIndex: 0, partitions: [], readyPass: 0, pending: [], timer: -1, onTimer: () => {} };
}

/** An accumulator over `leaders.length` partitions, partition i led by the broker leaders[i]. */
function accumulator(settings: ProducerSettings, leaders: readonly Connection[]) {
  const partitions: PartitionState[] = leaders.map((connection, id) => ({ id, leader: id, leaderEpoch: 0, connection, queue: [], muted: false }));
  for (const state of partitions) state.connection!.partitions.push(state);
  const transactions = new TransactionManager(idempotenceRules('3.9'), () => {});
  return { partitions, acc: new RecordAccumulator(settings, partitions, transactions) };
}

let seq = 0;

/** Appends one record to the partition as KafkaProducer.append does; the batch it went to, or null without memory. */
function append(acc: RecordAccumulator, state: PartitionState, nowUs: number): Batch | null {
  const record: KafkaRecord = { key: 'k1', producer: 'p1', seq: ++seq };
  const batch = acc.tryAppend(state, RECORD_BYTES) ?? acc.newBatch(state, RECORD_BYTES, nowUs);
  if (batch !== null) acc.append(batch, record, RECORD_BYTES, nowUs);
  return batch;
}

const PLAIN = { acks: '1', 'enable.idempotence': false } as const;

describe('clients: record accumulator', () => {
  test('clients: record accumulator: ready: a batch waits linger.ms for more records; a full one is ready at once', () => {
    const [b1, b2] = [broker('b1'), broker('b2')];
    const { partitions, acc } = accumulator(producerSettings({ ...PLAIN, 'linger.ms': 10, 'batch.size': 500 }, '3.9'), [b1, b2]);
    append(acc, partitions[0]!, 0);
    // 61 bytes of batch header + 9 records of 52 = 529 ≥ batch.size 500: the ninth closes the batch.
    for (let i = 0; i < 9; i++) append(acc, partitions[1]!, 0);
    expect(partitions[1]!.queue[0]!.appendable).toBe(false);

    // At 5 ms the lone record still lingers (its leader is told to look again at 10 ms); the full batch goes now.
    expect(acc.ready(5_000, 1)).toBe(10_000);
    expect(b1.readyPass).not.toBe(1);
    expect(b2.readyPass).toBe(1);
    // At 10 ms linger.ms has passed: ready, and nothing left to wait for.
    expect(acc.ready(10_000, 2)).toBeGreaterThan(1e12);
    expect(b1.readyPass).toBe(2);
  });

  test('clients: record accumulator: ready: with buffer.memory exhausted every partition is ready, linger.ms or not', () => {
    // RecordAccumulator.ready: `exhausted` (a send waits for memory) makes batches sendable, so
    // that sending them frees memory. Two batches of batch.size 200 fit in 450 bytes; a third does not.
    const [b1, b2] = [broker('b1'), broker('b2')];
    const { partitions, acc } = accumulator(producerSettings({ ...PLAIN, 'linger.ms': 1000, 'batch.size': 200, 'buffer.memory': 450 }, '3.9'), [b1, b2]);
    expect(append(acc, partitions[0]!, 0)).not.toBeNull();
    expect(append(acc, partitions[1]!, 0)).not.toBeNull();
    expect(acc.ready(1, 1)).toBe(1_000_000); // both linger
    expect(b1.readyPass).toBe(0);

    const full = partitions[0]!.queue[0]!;
    full.appendable = false; // a record that did not fit closed it
    expect(append(acc, partitions[0]!, 2)).toBeNull(); // no memory for a new batch
    expect(acc.memoryExhausted).toBe(true);
    acc.ready(3, 2);
    expect([b1.readyPass, b2.readyPass]).toEqual([2, 2]);

    // The batch failed in its queue (say, delivery.timeout.ms): out of the queue, its memory back, a new batch fits.
    acc.deallocate(full);
    expect(partitions[0]!.queue).toEqual([]);
    expect(append(acc, partitions[0]!, 4)).not.toBeNull();
  });

  test('clients: record accumulator: drain: one batch per partition, up to max.request.size, the next drain starting where this one stopped', () => {
    // Three partitions on one broker, two batches each (batch.size 100: one record fills a batch).
    // max.request.size 250 takes two batches of 113 bytes; the third would not fit.
    const b1 = broker('b1');
    const settings = producerSettings({ ...PLAIN, 'batch.size': 100, 'max.request.size': 250 }, '3.9');
    const { partitions, acc } = accumulator(settings, [b1, b1, b1]);
    for (const state of partitions) for (let i = 0; i < 2; i++) append(acc, state, 0);
    expect(partitions.map((p) => p.queue.length)).toEqual([2, 2, 2]);

    const drained: number[][] = [];
    for (let i = 0; i < 3; i++) drained.push(acc.drain(b1, 0).map((batch) => batch.partition.id));
    // KAFKA-13834 (3.3): the broker's drain index stays at the partition that did not fit, so
    // it goes first next time, and no partition starves behind the others.
    expect(drained).toEqual([[0, 1], [2, 0], [1, 2]]);
    expect(partitions.map((p) => p.queue.length)).toEqual([0, 0, 0]);
    expect(acc.drain(b1, 0)).toEqual([]);
  });
});
