// The idempotent producer when a batch fails for good, per release line (TransactionManager,
// Sender.completeBatch / failBatch, RecordAccumulator.shouldStopDrainBatchesForPartition): which
// batches keep their sequence, which are renumbered and under what epoch or producer id, and
// what the application is told. The fake cluster judges batches with the broker's own
// ProducerStateTable, so a batch written twice shows up in its log.
import { describe, expect, test } from 'vitest';
import { partitionForKey } from '../../src/clients/partitioner.js';
import type { ProducerEvent } from '../../src/kafka/events.js';
import { countBySeq, runProducer, type ProduceSeen, type Run, type RunOptions } from './fake-cluster.js';

const FIXED_BACKOFF = { 'retry.backoff.ms': 100, 'retry.backoff.max.ms': 100 } as const;

type Attempt = ProduceSeen['batches'][number] & { readonly atUs: number; readonly index: number };

/** Every Produce attempt that carried message `seq`, in order. */
function attempts(run: Run, seq: number): Attempt[] {
  return run.cluster.produceSeen.flatMap((request, index) =>
    request.batches.filter((b) => b.firstSeq <= seq && seq < b.firstSeq + b.count).map((b) => ({ ...b, atUs: request.atUs, index })),
  );
}

type Batches = readonly { readonly records: readonly { readonly seq: number }[] }[];

/**
 * Which attempt at message `seq` these batches are (1 for the first), -1 if they do not carry it.
 * produceAction runs before the fake records the request, partitionError after it.
 */
function attemptAt(cluster: Run['cluster'], seq: number, batches: Batches, recorded: boolean): number {
  if (!batches.some((b) => b.records.some((r) => r.seq === seq))) return -1;
  const earlier = cluster.produceSeen.filter((p) => p.batches.some((b) => b.firstSeq <= seq && seq < b.firstSeq + b.count)).length;
  return recorded ? earlier : earlier + 1;
}

/** The attempt at `seq` a Produce request is (for produceAction). */
const requestAttempt = (cluster: Run['cluster'], seq: number, request: { readonly partitions: readonly { readonly batch: Batches[number] }[] }): number =>
  attemptAt(cluster, seq, request.partitions.map((p) => p.batch), false);

/** The attempt at `seq` a batch being appended is (for partitionError). */
const batchAttempt = (cluster: Run['cluster'], seq: number, batch: Batches[number]): number => attemptAt(cluster, seq, [batch], true);

function logSeqs(run: Run, partition: number): number[] {
  return run.cluster.logs[partition]!.map((r) => r.seq);
}

function resets(run: Run): Extract<ProducerEvent, { kind: 'producer.sequence-reset' }>[] {
  return run.of('producer.sequence-reset').map((r) => r.event);
}

function failures(run: Run): Map<number, string> {
  return new Map(run.of('app.fail').map(({ event }) => [event.seq, event.error]));
}

/** One partition, keyless, one message per batch (linger.ms=0), the idempotent producer. */
function onePartition(profile: string, messages: number, ratePerSec: number, config: RunOptions['config'], setup: RunOptions['setup']): Run {
  const explicit: Record<string, boolean> = profile < '3.0' ? { 'enable.idempotence': true } : {};
  return runProducer({ profile, messages, ratePerSec, keys: null, partitions: 1, untilUs: 30_000_000, config: { ...FIXED_BACKOFF, ...explicit, ...config }, setup });
}

describe('clients: producer: idempotence when a batch fails for good', () => {
  /**
   * Nine messages 100 ms apart to one partition; #1 is written and acknowledged, then for 1.85 s
   * the leader gets no request (`drop-request`: a one-way cut towards it) or answers none
   * (`drop-response`: the cut the other way; it writes what it gets). request.timeout.ms 1 s,
   * delivery.timeout.ms 1.5 s:
   *   1. #2 … #6 go out (five in flight); their requests time out together at 1.2 s;
   *   2. the retries go one at a time, in sequence order (only the first in-flight sequence may
   *      be drained), and each expires in flight: its partition's sequence is now unresolved,
   *      and #7 … #9 wait unsent;
   *   3. the cut heals at 2 s.
   */
  function cut(profile: string, mode: 'drop-request' | 'drop-response', retryBackoffMs: number): Run {
    const backoff = { 'retry.backoff.ms': retryBackoffMs, 'retry.backoff.max.ms': retryBackoffMs };
    return onePartition(profile, 9, 10, { ...backoff, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 1500 }, (cluster, world) => {
      cluster.produceAction = () => (world.now() >= 150_000 && world.now() < 2_000_000 ? mode : 'answer');
    });
  }

  test('clients: producer: idempotence: batches written but unanswered exhaust delivery.timeout.ms in flight: the application is told they failed, nothing is written twice (3.9)', () => {
    const run = cut('3.9', 'drop-response', 50);
    // "Maybe sent": in the log, yet failed to the application; never sent under a new sequence.
    expect([...failures(run).entries()]).toEqual([2, 3, 4, 5].map((seq) => [seq, 'DELIVERY_TIMEOUT']));
    expect(logSeqs(run, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // #6's retry after the heal is a duplicate to the leader: acknowledged with its first offset.
    expect(run.of('app.ack').find(({ event }) => event.seq === 6)!.event.offset).toBe(5);
    for (let seq = 2; seq <= 6; seq++) expect(attempts(run, seq).every((a) => a.producerEpoch === 0 && a.baseSequence === seq - 1), `#${seq}`).toBe(true);
    // Once nothing was in flight, the last acknowledged sequence (#6's) was right before the next: no bump.
    expect(resets(run)).toEqual([]);
  });

  test('clients: producer: idempotence: batches never written exhaust delivery.timeout.ms in flight: no new batch goes out while the sequence is unresolved; then the gap bumps the epoch (3.9) or takes a new producer id (2.4)', () => {
    const bumped = cut('3.9', 'drop-request', 100);
    expect([...failures(bumped).entries()]).toEqual([2, 3, 4, 5, 6].map((seq) => [seq, 'DELIVERY_TIMEOUT']));
    const [bump] = bumped.of('producer.sequence-reset');
    expect(bump!.event).toMatchObject({ reason: 'epoch-bump', producerEpoch: 1, partitions: [0] });
    // #7 … #9 waited (unresolved), and go out when #6, the last in flight, expired: epoch 1, from 0.
    expect(bump!.atUs).toBe(bumped.of('app.fail').at(-1)!.atUs);
    expect(attempts(bumped, 7)).toEqual([expect.objectContaining({ producerEpoch: 1, baseSequence: 0, atUs: expect.any(Number) })]);
    expect(attempts(bumped, 7)[0]!.atUs).toBeGreaterThan(bump!.atUs);
    expect(logSeqs(bumped, 0)).toEqual([1, 7, 8, 9]);

    const reset = cut('2.4', 'drop-request', 100);
    expect([...failures(reset).entries()]).toEqual([2, 3, 4, 5, 6].map((seq) => [seq, 'DELIVERY_TIMEOUT']));
    expect(resets(reset)).toEqual([expect.objectContaining({ reason: 'new-producer-id' })]);
    expect(attempts(reset, 7)[0]).toMatchObject({ producerId: reset.cluster.producerIds[1], baseSequence: 0 });
    expect(logSeqs(reset, 0)).toEqual([1, 7, 8, 9]);
  });

  test('clients: producer: idempotence: the late answer to a batch that already expired bumps the epoch up to 3.5, and a written batch in flight is written twice (KAFKA-14831)', () => {
    // The cut above, answers lost: #2 … #5 expire in flight. #6's retry is answered after the heal,
    // but its request overtook #5's, so the connection closes and fails them all, late for #2 … #5.
    for (const profile of ['3.5', '2.8']) {
      const run = cut(profile, 'drop-response', 50);
      // Sender.failBatch called handleFailedBatch for an expired batch too: "did not exhaust its
      // retries", so the epoch is bumped for the partition and #6, in flight, renumbered from 0.
      expect(resets(run)[0], profile).toMatchObject({ reason: 'epoch-bump', producerEpoch: 1, partitions: [0] });
      expect(attempts(run, 6).map((a) => [a.producerEpoch, a.baseSequence]).at(-1), profile).toEqual([1, 0]);
      expect(logSeqs(run, 0), profile).toEqual([1, 2, 3, 4, 5, 6, 6, 7, 8, 9]);
    }
    // 1.0-2.4: handleFailedBatch took the expired batches' sequences back (adjustSequencesDueToFailedBatch):
    // #6 went out again as sequence 2, #3's range, and was told it is at #3's offset.
    const adjusted = cut('2.4', 'drop-response', 50);
    expect(attempts(adjusted, 6).map((a) => a.baseSequence)).toEqual([5, 5, 2]);
    expect(adjusted.of('app.ack').find(({ event }) => event.seq === 6)!.event.offset).toBe(2);
    expect(logSeqs(adjusted, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('clients: producer: idempotence: a request that times out at the delivery deadline bumps the epoch and renumbers written batches: 3.9 writes them twice when delivery.timeout.ms = linger.ms + request.timeout.ms (KAFKA-14397 not merged)', () => {
    // Answers lost from 150 ms to 1.25 s; #2 went out at 200 ms with linger.ms=0: its request times
    // out at 1.2 s, the very moment delivery.timeout.ms (1 s) runs out. canRetry says no, and since
    // the batch "did not exhaust its retries", handleFailedBatch bumps the epoch: #3 … #6, written
    // and unanswered, are renumbered from 0 under it and written again.
    const tied = onePartition('3.9', 9, 10, { 'retry.backoff.ms': 10, 'retry.backoff.max.ms': 10, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 1000 }, (cluster, world) => {
      cluster.produceAction = () => (world.now() >= 150_000 && world.now() < 1_250_000 ? 'drop-response' : 'answer');
    });
    expect(failures(tied).get(2)).toBe('REQUEST_TIMED_OUT');
    expect(resets(tied)[0]).toMatchObject({ reason: 'epoch-bump', producerEpoch: 1, partitions: [0] });
    expect(logSeqs(tied, 0)).toEqual([1, 2, 3, 4, 5, 6, 3, 4, 5, 6, 7, 8, 9]);

    // With half a second more, #2 expires before its request times out: nothing is renumbered.
    const apart = onePartition('3.9', 9, 10, { 'retry.backoff.ms': 10, 'retry.backoff.max.ms': 10, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 1500 }, (cluster, world) => {
      cluster.produceAction = () => (world.now() >= 150_000 && world.now() < 1_250_000 ? 'drop-response' : 'answer');
    });
    expect(resets(apart)).toEqual([]);
    expect(logSeqs(apart, 0)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  /** Three messages; the leader answers #2's first request with `error` (it wrote nothing). */
  function refusedOnce(profile: string, error: 'UNKNOWN_PRODUCER_ID' | 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH', seq = 2, config: RunOptions['config'] = {}): Run {
    return onePartition(profile, 4, 10, config, (cluster) => {
      cluster.partitionError = (_, batch) => (batchAttempt(cluster, seq, batch) === 1 ? error : null);
    });
  }

  test('clients: producer: idempotence: UNKNOWN_PRODUCER_ID is retried under a bumped epoch from sequence 0 (2.5+)', () => {
    const run = refusedOnce('3.9', 'UNKNOWN_PRODUCER_ID');
    // TransactionManager.canRetry: the log start offset is known and nothing was reset, so bump and retry.
    expect(attempts(run, 2).map((a) => [a.producerEpoch, a.baseSequence])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(resets(run)).toEqual([expect.objectContaining({ reason: 'epoch-bump', producerEpoch: 1, partitions: [0] })]);
    expect(run.of('app.fail')).toEqual([]);
    expect(logSeqs(run, 0)).toEqual([1, 2, 3, 4]);
  });

  test('clients: producer: idempotence: UNKNOWN_PRODUCER_ID before 2.5: renumbered from 0 if nothing was acknowledged, else failed and a new producer id (1.0-2.4, KAFKA-5793)', () => {
    const first = refusedOnce('2.4', 'UNKNOWN_PRODUCER_ID', 1);
    // lastAckedOffset (none) < logStartOffset (0): startSequencesAtBeginning, same producer id.
    expect(attempts(first, 1).map((a) => [a.producerId, a.baseSequence])).toEqual([
      [first.cluster.producerIds[0], 0],
      [first.cluster.producerIds[0], 0],
    ]);
    expect(first.of('app.fail')).toEqual([]);
    expect(logSeqs(first, 0)).toEqual([1, 2, 3, 4]);

    const later = refusedOnce('2.4', 'UNKNOWN_PRODUCER_ID');
    // #1 was acknowledged at offset 0, not below the log start: UnknownProducerIdException, a
    // subclass of OutOfOrderSequenceException, so resetProducerId.
    expect([...failures(later).entries()]).toEqual([[2, 'UNKNOWN_PRODUCER_ID']]);
    expect(later.cluster.producerIds.length).toBe(2);
    expect(attempts(later, 3)[0]).toMatchObject({ producerId: later.cluster.producerIds[1], baseSequence: 0 });
    expect(logSeqs(later, 0)).toEqual([1, 3, 4]);
  });

  test('clients: producer: idempotence: OUT_OF_ORDER_SEQUENCE_NUMBER for the next sequence is a real gap: bump and retry (2.5+); failed and a new producer id before (2.4, 0.11)', () => {
    const bumped = refusedOnce('3.9', 'OUT_OF_ORDER_SEQUENCE_NUMBER');
    expect(attempts(bumped, 2).map((a) => [a.producerEpoch, a.baseSequence])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(bumped.of('app.fail')).toEqual([]);
    expect(logSeqs(bumped, 0)).toEqual([1, 2, 3, 4]);

    for (const profile of ['2.4', '0.11']) {
      const reset = refusedOnce(profile, 'OUT_OF_ORDER_SEQUENCE_NUMBER');
      // Not retriable (the batch is the next sequence): the application hears it, the id is discarded.
      expect([...failures(reset).entries()], profile).toEqual([[2, 'OUT_OF_ORDER_SEQUENCE_NUMBER']]);
      expect(reset.cluster.producerIds.length, profile).toBe(2);
      expect(attempts(reset, 3)[0], profile).toMatchObject({ producerId: reset.cluster.producerIds[1], baseSequence: 0 });
      expect(logSeqs(reset, 0), profile).toEqual([1, 3, 4]);
    }
  });

  test('clients: producer: idempotence: OUT_OF_ORDER_SEQUENCE_NUMBER past the last retry is told to the application, and the epoch still bumps (3.9)', () => {
    const run = onePartition('3.9', 4, 10, { retries: 1 }, (cluster) => {
      cluster.partitionError = (_, batch) => (batch.records.some((r) => r.seq === 2) ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : null);
    });
    // Attempt 0 bumps to epoch 1 and retries; attempt 1 has no retry left: the gap bumps again.
    expect([...failures(run).entries()]).toEqual([[2, 'OUT_OF_ORDER_SEQUENCE_NUMBER']]);
    expect(resets(run).map((r) => r.producerEpoch)).toEqual([1, 2]);
    // #3 went out under epoch 1 behind #2, met a gap, and was renumbered by the second bump.
    expect(attempts(run, 3).at(-1)).toMatchObject({ producerEpoch: 2, baseSequence: 0 });
    expect(logSeqs(run, 0)).toEqual([1, 3, 4]);
  });

  test('clients: producer: idempotence: INVALID_PRODUCER_EPOCH fails the batch and bumps the epoch (2.7+); before 2.7 it is fatal to the producer', () => {
    const bumped = refusedOnce('3.9', 'INVALID_PRODUCER_EPOCH');
    expect([...failures(bumped).entries()]).toEqual([[2, 'INVALID_PRODUCER_EPOCH']]);
    expect(attempts(bumped, 3)[0]).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
    expect(logSeqs(bumped, 0)).toEqual([1, 3, 4]);

    const fatal = refusedOnce('2.6', 'INVALID_PRODUCER_EPOCH');
    // ProducerFencedException: the sender aborts every batch from then on (maybeAbortBatches).
    expect([...failures(fatal).entries()]).toEqual([
      [2, 'INVALID_PRODUCER_EPOCH'],
      [3, 'INVALID_PRODUCER_EPOCH'],
      [4, 'INVALID_PRODUCER_EPOCH'],
    ]);
    expect(logSeqs(fatal, 0)).toEqual([1]);
  });

  test('clients: producer: idempotence: 0.11 moves a sequence on only when its batch is acknowledged', () => {
    const run = onePartition('0.11', 3, 10, { retries: 1 }, (cluster) => {
      cluster.partitionError = (_, batch) => (batch.records.some((r) => r.seq === 2) ? 'NOT_ENOUGH_REPLICAS' : null);
    });
    // #2 fails for good after its one retry; #3 is given #2's sequence again (Sender.completeBatch, 0.11).
    expect([...failures(run).entries()]).toEqual([[2, 'NOT_ENOUGH_REPLICAS']]);
    expect(attempts(run, 2).map((a) => a.baseSequence)).toEqual([1, 1]);
    expect(attempts(run, 3)[0]).toMatchObject({ baseSequence: 1 });
    expect(run.cluster.producerIds.length).toBe(1);
    expect(logSeqs(run, 0)).toEqual([1, 3]);
  });
});

describe('clients: producer: idempotence and a lost response', () => {
  test("clients: producer: idempotence: a lost response's retry after another partition's epoch bump keeps its epoch and sequence: written once (3.9)", () => {
    // Keys k0-k2 hash to partition 1 (led by b2), k3-k5 to partition 0 (led by b1): #1-#3 go to
    // partition 1, #4-#6 to partition 0, and so on, 100 ms apart.
    expect([0, 1, 2, 3, 4, 5].map((i) => partitionForKey(`k${i}`, 2))).toEqual([1, 1, 1, 0, 0, 0]);
    const run = runProducer({
      messages: 12,
      ratePerSec: 10,
      keys: 6,
      partitions: 2,
      brokers: 2,
      untilUs: 30_000_000,
      config: { ...FIXED_BACKOFF, 'request.timeout.ms': 1000 },
      setup: (cluster) => {
        // #2 is written and its answer lost (#3's answer then closes the connection, failing #2 and #3);
        // #4, the first batch of partition 0, meets a gap there.
        cluster.produceAction = (request) => (requestAttempt(cluster, 2, request) === 1 ? 'drop-response' : 'answer');
        cluster.partitionError = (_, batch) => (batchAttempt(cluster, 4, batch) === 1 ? 'OUT_OF_ORDER_SEQUENCE_NUMBER' : null);
      },
    });
    expect(resets(run)).toEqual([expect.objectContaining({ reason: 'epoch-bump', producerEpoch: 1, partitions: [0] })]);
    // The bump renumbered partition 0 only: #2's retry keeps epoch 0 and sequence 1, and the
    // leader answers it with its first offset.
    expect(attempts(run, 2).map((x) => [x.producerEpoch, x.baseSequence])).toEqual([
      [0, 1],
      [0, 1],
    ]);
    expect(run.of('app.ack').filter(({ event }) => event.seq === 2).map(({ event }) => event.offset)).toEqual([1]);
    // Partition 1 moves to epoch 1 at sequence 0 with its next batch, once its own batches are done.
    expect(attempts(run, 7)[0]).toMatchObject({ producerEpoch: 1, baseSequence: 0 });
    expect(logSeqs(run, 1)).toEqual([1, 2, 3, 7, 8, 9]);
    expect(logSeqs(run, 0)).toEqual([4, 5, 6, 10, 11, 12]);
    expect([...countBySeq(run, 'app.ack').values()]).toEqual(Array.from({ length: 12 }, () => 1));
  });

});
