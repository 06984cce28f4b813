// Batch expiry before delivery.timeout.ms (KIP-91, 2.1): from 0.10 to 2.0 a batch waiting in the
// accumulator expired after request.timeout.ms (RecordAccumulator.expiredBatches,
// ProducerBatch.maybeExpire / RecordBatch.maybeExpire in 0.10), while a batch in flight never did.
import { describe, expect, test } from 'vitest';
import { runProducer, type Run, type RunOptions } from './fake-cluster.js';

const NO_IDEMPOTENCE = { acks: '1', 'enable.idempotence': false } as const;

function failuresAt(run: Run): [number, number, string][] {
  return run.of('app.fail').map(({ atUs, event }) => [event.seq, atUs, event.error]);
}

/** acks=1 without idempotence (before 3.0 the default), one partition, keyless. */
function produce(profile: string, messages: number, ratePerSec: number, config: RunOptions['config'], setup: RunOptions['setup']): Run {
  const explicit = profile < '0.11' ? { acks: '1' } : NO_IDEMPOTENCE;
  return runProducer({ profile, messages, ratePerSec, keys: null, partitions: 1, untilUs: 20_000_000, config: { ...explicit, 'request.timeout.ms': 1000, ...config }, setup });
}

describe('clients: producer: batch expiry before 2.1', () => {
  test('clients: producer: before 2.1 a batch waiting for a leader expires request.timeout.ms after its creation plus linger.ms (BATCH_EXPIRED)', () => {
    for (const profile of ['0.10', '1.1', '2.0']) {
      // No leader: the three records wait in one open batch, created with #1 at 100 ms.
      const run = produce(profile, 3, 10, { 'linger.ms': 200 }, (cluster) => {
        cluster.leaders[0] = -1;
      });
      // ProducerBatch.maybeExpire: requestTimeoutMs < now - (createdMs + lingerMs), so just past 1.3 s.
      expect(failuresAt(run), profile).toEqual([1, 2, 3].map((seq) => [seq, 1_300_001, 'BATCH_EXPIRED']));
    }
    // From 2.1 the same batch waits delivery.timeout.ms (here 5 s) from its creation.
    const since21 = produce('2.1', 3, 10, { 'linger.ms': 200, 'delivery.timeout.ms': 5000 }, (cluster) => {
      cluster.leaders[0] = -1;
    });
    expect(failuresAt(since21)).toEqual([1, 2, 3].map((seq) => [seq, 5_100_000, 'DELIVERY_TIMEOUT']));
  });

  test('clients: producer: before 2.1 a full batch expires request.timeout.ms after its last append', () => {
    // batch.size 161: a 61-byte header and two 50-byte records. #1, #2 (50, 100 ms) fill batch A,
    // #3, #4 (150, 200 ms) batch B; linger.ms 500 would allow 1.55 s, but a full batch waits less.
    const run = produce('2.0', 4, 20, { 'linger.ms': 500, 'batch.size': 161 }, (cluster) => {
      cluster.leaders[0] = -1;
    });
    expect(failuresAt(run)).toEqual([
      [1, 1_100_001, 'BATCH_EXPIRED'],
      [2, 1_100_001, 'BATCH_EXPIRED'],
      [3, 1_200_001, 'BATCH_EXPIRED'],
      [4, 1_200_001, 'BATCH_EXPIRED'],
    ]);
  });

  test('clients: producer: before 2.1 a retry waiting in the accumulator expires request.timeout.ms after its last attempt plus retry.backoff.ms', () => {
    // #1 is written; then the leader goes away: #2 is refused (NOT_LEADER_OR_FOLLOWER), and its
    // retry waits for a leader the metadata no longer names.
    const run = produce('2.0', 2, 10, { retries: 3, 'retry.backoff.ms': 100 }, (cluster, world) => {
      world.scheduler.at(150_000, () => cluster.moveLeader(0, -1), undefined);
    });
    const [retry] = run.of('producer.retry');
    expect(retry?.event).toMatchObject({ firstSeq: 2, error: 'NOT_LEADER_OR_FOLLOWER', attempt: 1 });
    expect(failuresAt(run)).toEqual([[2, retry!.atUs + 100_000 + 1_000_000 + 1, 'BATCH_EXPIRED']]);
  });

  test('clients: producer: before 2.1 a batch in flight never expires: its request times out, and a retry may outlive request.timeout.ms', () => {
    // The first request is lost: the batch fails (retries=0, the 2.0 default) when the request
    // times out, with the connection's error, not BATCH_EXPIRED.
    const once = produce('2.0', 1, 10, {}, (cluster) => {
      cluster.produceAction = (_, __, index) => (index === 0 ? 'drop-request' : 'answer');
    });
    const [failed] = failuresAt(once);
    const sentUs = once.cluster.produceSeen[0]!.atUs - 1000; // one 1 ms hop before the broker saw it
    expect(failed![0]).toBe(1);
    expect(failed![1]).toBe(sentUs + 1_000_000);
    expect(failed![2]).not.toBe('BATCH_EXPIRED');
    // With retries it is sent again after request.timeout.ms and acknowledged, 1.1 s after its creation.
    const retried = produce('2.0', 1, 10, { retries: 1, 'retry.backoff.ms': 100 }, (cluster) => {
      cluster.produceAction = (_, __, index) => (index === 0 ? 'drop-request' : 'answer');
    });
    expect(retried.of('app.fail')).toEqual([]);
    const [ack] = retried.of('app.ack');
    const [send] = retried.of('app.send');
    expect(ack!.atUs - send!.atUs).toBeGreaterThan(1_000_000);
  });
});
