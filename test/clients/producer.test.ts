import { describe, expect, test } from 'vitest';
import { partitionForKey } from '../../src/clients/partitioner.js';
import { countBySeq, runProducer, type Run } from './fake-cluster.js';

const NO_IDEMPOTENCE = { acks: '1', 'enable.idempotence': false } as const;
const FIXED_BACKOFF = { 'retry.backoff.ms': 100, 'retry.backoff.max.ms': 100 } as const;

/** Offsets of the acks of one partition, in seq order. */
function ackOffsets(run: Run, partition: number): number[] {
  return run
    .of('app.ack')
    .filter(({ event }) => event.partition === partition)
    .sort((a, b) => a.event.seq - b.event.seq)
    .map(({ event }) => event.offset);
}

function logSeqs(run: Run, partition: number): number[] {
  return run.cluster.logs[partition]!.map((r) => r.seq);
}

/** 50 keyless sends whose `lost`-th Produce request (from 0) is lost; request.timeout.ms 500. */
function requestLost(config: Record<string, string | number | boolean>, lost = 0) {
  return runProducer({
    config: { ...FIXED_BACKOFF, 'request.timeout.ms': 500, ...config },
    messages: 50,
    ratePerSec: 1000,
    keys: null,
    partitions: 1,
    setup: (cluster) => {
      cluster.produceAction = (_, __, index) => (index === lost ? 'drop-request' : 'answer');
    },
  });
}

describe('clients: producer', () => {
  test('clients: producer: acks=1 acknowledges every message once, offsets increasing per partition', () => {
    const run = runProducer({ config: NO_IDEMPOTENCE, messages: 1000, ratePerSec: 1000, partitions: 3, brokers: 3 });
    const sends = countBySeq(run, 'app.send');
    const acks = countBySeq(run, 'app.ack');
    expect(sends.size).toBe(1000);
    expect(acks.size).toBe(1000);
    expect([...sends.values(), ...acks.values()].every((n) => n === 1)).toBe(true);
    expect(run.of('app.fail')).toEqual([]);
    for (let p = 0; p < 3; p++) {
      // No fault, so no retry: the log holds the partition's messages in send order, and each
      // ack names the offset where the broker put that message.
      const offsets = ackOffsets(run, p);
      expect(offsets).toEqual(offsets.map((_, i) => i));
      const acked = run.of('app.ack').filter(({ event }) => event.partition === p);
      for (const { event } of acked) expect(run.cluster.logs[p]![event.offset]!.seq).toBe(event.seq);
    }
  });

  test('clients: producer: the first message is sent one interval after the start, then evenly spaced', () => {
    const run = runProducer({ config: NO_IDEMPOTENCE, messages: 5, ratePerSec: 100, untilUs: 1_000_000 });
    // KafkaProducer.send blocks until metadata is known; at 1 ms per hop it is known long before 10 ms.
    expect(run.of('app.send').map((r) => r.atUs)).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
  });

  test("clients: producer: keyed messages go to murmur2(key) mod partitions, as the Java client's would", () => {
    const run = runProducer({ config: NO_IDEMPOTENCE, messages: 200, keys: 17, partitions: 5, brokers: 2 });
    const sends = run.of('app.send');
    expect(sends.length).toBe(200);
    for (const { event } of sends) {
      expect(event.key).toBe(`k${(event.seq - 1) % 17}`);
      expect(event.partition).toBe(partitionForKey(event.key!, 5));
    }
    for (let p = 0; p < 5; p++) for (const record of run.cluster.logs[p]!) expect(partitionForKey(record.key!, 5)).toBe(p);
  });

  test('clients: producer: a retriable error (NOT_ENOUGH_REPLICAS) is retried after retry.backoff.ms, then succeeds', () => {
    let failed = false;
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF },
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.partitionError = () => {
          if (failed) return null;
          failed = true;
          return 'NOT_ENOUGH_REPLICAS';
        };
      },
    });
    const [retry] = run.of('producer.retry');
    expect(retry?.event).toMatchObject({ error: 'NOT_ENOUGH_REPLICAS', attempt: 1, firstSeq: 1, count: 1, partition: 0 });
    const produces = run.cluster.produceSeen;
    expect(produces.length).toBe(2);
    // The failure reached the producer at retry.atUs; the resend left 100 ms later and took 1 ms.
    expect(produces[1]!.atUs - retry!.atUs).toBe(100_000 + 1000);
    expect(run.of('app.ack').map((r) => r.event)).toEqual([{ kind: 'app.ack', producer: 'p1', seq: 1, topic: 'orders', partition: 0, offset: 0 }]);
    expect(run.of('app.fail')).toEqual([]);
  });

  test('clients: producer: from 3.7 the retry backoff grows exponentially with ±20% jitter (KIP-580)', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, 'retry.backoff.ms': 100, 'retry.backoff.max.ms': 1000, 'delivery.timeout.ms': 5000, 'request.timeout.ms': 1000 },
      messages: 1,
      keys: null,
      partitions: 1,
      untilUs: 4_000_000,
      setup: (cluster) => {
        cluster.partitionError = () => 'NOT_ENOUGH_REPLICAS';
      },
    });
    const sent = run.cluster.produceSeen.map((p) => p.atUs);
    const gaps = sent.slice(1).map((t, i) => t - sent[i]! - 2000); // minus the round trip
    // Attempt n waits 100 ms × 2^(n-1) × [0.8, 1.2), capped at 1000 ms.
    gaps.slice(0, 4).forEach((gap, n) => {
      expect(gap).toBeGreaterThanOrEqual(Math.min(1000_000, 0.8 * 100_000 * 2 ** n));
      expect(gap).toBeLessThanOrEqual(Math.min(1000_000, 1.2 * 100_000 * 2 ** n));
    });
  });

  test('clients: producer: request.timeout.ms expiry retries the batch; with acks=1 a lost response duplicates it (claim 13)', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 120000 },
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.produceAction = (_, __, index) => (index === 0 ? 'drop-response' : 'answer');
      },
    });
    const [retry] = run.of('producer.retry');
    expect(retry?.event).toMatchObject({ error: 'REQUEST_TIMED_OUT', attempt: 1 });
    // Sent at 1 ms, timed out 1000 ms later.
    expect(retry!.atUs).toBe(run.cluster.produceSeen[0]!.atUs - 1000 + 1_000_000);
    expect(logSeqs(run, 0)).toEqual([1, 1]);
    expect(run.of('app.ack').map((r) => r.event.offset)).toEqual([1]);
  });

  test('clients: producer: idempotence deduplicates the retry of a lost response: the leader answers it with the first offset', () => {
    const run = runProducer({
      config: { ...FIXED_BACKOFF, 'request.timeout.ms': 1000 },
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.produceAction = (_, __, index) => (index === 0 ? 'drop-response' : 'answer');
      },
    });
    expect(run.cluster.produceSeen.map((p) => p.batches[0]!.baseSequence)).toEqual([0, 0]);
    expect(logSeqs(run, 0)).toEqual([1]);
    // The leader still knows the batch's offset (one of the last five), so the ack carries it.
    expect(run.of('app.ack').map((r) => r.event.offset)).toEqual([0]);
  });

  test('clients: producer: idempotence: DUPLICATE_SEQUENCE_NUMBER is success with no offset (Sender.completeBatch)', () => {
    const run = runProducer({
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.partitionError = () => 'DUPLICATE_SEQUENCE_NUMBER';
      },
    });
    // "The only thing we can do is to return success to the user and not return a valid offset."
    expect(run.of('app.ack').map((r) => r.event.offset)).toEqual([-1]);
    expect(run.of('app.fail')).toEqual([]);
  });

  test('clients: producer: delivery.timeout.ms fails records whose retries never succeed with DELIVERY_TIMEOUT', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 2000 },
      messages: 3,
      ratePerSec: 1000,
      keys: null,
      partitions: 1,
      untilUs: 5_000_000,
      setup: (cluster) => {
        cluster.partitionError = () => 'NOT_ENOUGH_REPLICAS';
      },
    });
    const sentAt = new Map(run.of('app.send').map(({ atUs, event }) => [event.seq, atUs]));
    const fails = run.of('app.fail');
    expect(fails.map((r) => r.event.seq).sort()).toEqual([1, 2, 3]);
    // RecordAccumulator.expiredBatches: a batch expires delivery.timeout.ms after its creation,
    // backing off in the queue or in flight alike. Every retry failed with NOT_ENOUGH_REPLICAS.
    for (const { atUs, event } of fails) {
      expect(event.error).toBe('DELIVERY_TIMEOUT');
      expect(atUs).toBe(sentAt.get(event.seq)! + 2_000_000);
    }
    expect(run.of('producer.retry').every(({ event }) => event.error === 'NOT_ENOUGH_REPLICAS')).toBe(true);
    expect(run.of('app.ack')).toEqual([]);
  });

  test('clients: producer: when retries run out the record fails with the last error', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF, retries: 2 },
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.partitionError = () => 'NOT_ENOUGH_REPLICAS';
      },
    });
    // Sender.canRetry: attempts < retries, so one send and two retries.
    expect(run.cluster.produceSeen.length).toBe(3);
    expect(run.of('producer.retry').map(({ event }) => event.attempt)).toEqual([1, 2]);
    expect(run.of('app.fail').map(({ event }) => event.error)).toEqual(['NOT_ENOUGH_REPLICAS']);
  });

  test('clients: producer: a non-retriable error fails the record at once', () => {
    const run = runProducer({
      config: NO_IDEMPOTENCE,
      messages: 1,
      keys: null,
      partitions: 1,
      setup: (cluster) => {
        cluster.partitionError = () => 'INVALID_PRODUCER_EPOCH';
      },
    });
    expect(run.of('producer.retry')).toEqual([]);
    expect(run.of('app.fail').map(({ event }) => event.error)).toEqual(['INVALID_PRODUCER_EPOCH']);
  });

  test('clients: producer: delivery.timeout.ms expires a batch in flight with DELIVERY_TIMEOUT', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF, 'request.timeout.ms': 1500, 'delivery.timeout.ms': 2000 },
      messages: 1,
      keys: null,
      partitions: 1,
      untilUs: 5_000_000,
      setup: (cluster) => {
        cluster.produceAction = () => 'drop-request';
      },
    });
    // Metadata is known at 2 ms, so the batch is created then; sent at 2 ms, timed out at
    // 1.502 s, resent at 1.602 s, and expired at 2.002 s while in flight.
    expect(run.of('app.fail')).toEqual([{ atUs: 2_002_000, event: { kind: 'app.fail', producer: 'p1', seq: 1, topic: 'orders', partition: 0, error: 'DELIVERY_TIMEOUT' } }]);
    expect(run.cluster.produceSeen.map((p) => p.atUs)).toEqual([3000, 1_603_000]);
  });

  test('clients: producer: acks=0 acknowledges each record when it is sent, with offset -1, and expects no response', () => {
    const run = runProducer({ config: { acks: '0' }, messages: 50, ratePerSec: 1000 });
    const sends = run.of('app.send');
    const acks = run.of('app.ack');
    expect(acks.length).toBe(50);
    expect(acks.every(({ event }) => event.offset === -1)).toBe(true);
    // linger.ms=0: the batch goes out in the same instant as send(), which completes it.
    const sentAt = new Map(sends.map((r) => [r.event.seq, r.atUs]));
    for (const { atUs, event } of acks) expect(atUs).toBe(sentAt.get(event.seq));
    expect(run.cluster.produceSeen.every((p) => p.acks === 0)).toBe(true);
    expect(run.cluster.logs.flat().length).toBe(50);
  });

  test('clients: producer: max.in.flight=5 without idempotence reorders after a lost request (claim 14)', () => {
    const run = requestLost({ ...NO_IDEMPOTENCE, 'max.in.flight.requests.per.connection': 5 });
    const log = logSeqs(run, 0);
    // 1. seq 1's request is lost; 2. seq 2.. go out in later requests and are appended;
    // 3. after request.timeout.ms seq 1 is retried, and lands behind them.
    expect(log.indexOf(1)).toBeGreaterThan(log.indexOf(2));
    const offsets = new Map(run.of('app.ack').map(({ event }) => [event.seq, event.offset]));
    expect(offsets.get(1)!).toBeGreaterThan(offsets.get(2)!);
    expect(countBySeq(run, 'app.ack').size).toBe(50);
  });

  test('clients: producer: a hold past request.timeout.ms: the closed connection\'s requests still land, then their retries, newest first (claim 14 on TCP)', () => {
    // The link to b1 is held from 300 ms to 1100 ms (request.timeout.ms is 500). The requests in
    // flight time out: the producer closes the connection and re-enqueues their batches at the
    // front, newest first (InFlightRequests.clearAll yields the oldest first; reenqueue adds
    // each at the front). At the release TCP delivers the old connection's requests, which b1
    // appends, then the retries on the new connection: appended again, in reverse.
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF, 'request.timeout.ms': 500, 'max.in.flight.requests.per.connection': 5 },
      messages: 50,
      ratePerSec: 50,
      keys: null,
      partitions: 1,
      setup: (_cluster, world) => {
        world.scheduler.at(300_000, () => {
          const hold = world.network.hold('p1', 'b1');
          world.scheduler.at(1_100_000, () => world.network.release(hold), undefined);
        }, undefined);
      },
    });
    // Seq 15-19 were in flight (one batch each, one request each) when the hold began.
    const retried = run.of('producer.retry').map(({ event }) => `${event.firstSeq} ${event.error}`);
    expect(retried).toEqual([15, 16, 17, 18, 19].map((seq) => `${seq} REQUEST_TIMED_OUT`));
    const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(logSeqs(run, 0)).toEqual([...range(1, 19), 19, 18, 17, 16, 15, ...range(20, 50)]);
  });

  test('clients: producer: max.in.flight=1 keeps order after a lost request (the twin of claim 14)', () => {
    const run = requestLost({ ...NO_IDEMPOTENCE, 'max.in.flight.requests.per.connection': 1 });
    expect(logSeqs(run, 0)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test('clients: producer: idempotence with max.in.flight=5 keeps order and has no duplicate after a lost request', () => {
    // The fourth request is lost, so the leader knows the producer id by then: it refuses the
    // later batches' gap (OUT_OF_ORDER_SEQUENCE_NUMBER). (From 2.5 a leader appends any sequence of
    // a producer id it has no record of, KIP-360; TCP never loses a request and delivers the next.)
    const run = requestLost({}, 3);
    // The answer to a later request overtakes the lost one: as NetworkClient does on a
    // correlation-id mismatch, the producer closes the connection and resends everything in order.
    expect(run.of('producer.retry').some(({ event }) => event.error === 'NETWORK_EXCEPTION')).toBe(true);
    expect(logSeqs(run, 0)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(countBySeq(run, 'app.ack').size).toBe(50);
  });

  test('clients: producer: NOT_LEADER_OR_FOLLOWER refreshes metadata and resends to the new leader', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF },
      messages: 200,
      ratePerSec: 1000,
      keys: null,
      brokers: 2,
      partitions: 1,
      setup: (cluster, world) => {
        world.scheduler.at(100_000, () => cluster.moveLeader(0, 2), undefined);
      },
    });
    expect(run.of('producer.retry').some(({ event }) => event.error === 'NOT_LEADER_OR_FOLLOWER')).toBe(true);
    expect(run.of('producer.metadata').map(({ event }) => [event.leader, event.leaderEpoch])).toEqual([
      [1, 0],
      [2, 1],
    ]);
    const nodes = run.cluster.produceSeen.map((p) => p.node);
    expect(nodes.lastIndexOf('b1')).toBeLessThan(nodes.indexOf('b2'));
    expect(countBySeq(run, 'app.ack').size).toBe(200);
    expect(run.of('app.fail')).toEqual([]);
  });

  test('clients: producer: a dead leader resets the connection: retries start at once, not after request.timeout.ms', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF },
      messages: 300,
      ratePerSec: 1000,
      keys: null,
      brokers: 2,
      partitions: 1,
      setup: (cluster, world) => {
        world.scheduler.at(100_000, () => world.kill('b1'), undefined);
        world.scheduler.at(150_000, () => cluster.moveLeader(0, 2), undefined); // the election
      },
    });
    const retries = run.of('producer.retry');
    // b1's machine answers the next request with a reset one round trip after the kill.
    expect(retries[0]!.event.error).toBe('NETWORK_EXCEPTION');
    expect(retries[0]!.atUs).toBeLessThan(105_000);
    expect(run.of('producer.metadata').at(-1)!.event).toMatchObject({ leader: 2, leaderEpoch: 1 });
    expect(countBySeq(run, 'app.ack').size).toBe(300);
    expect(run.of('app.fail')).toEqual([]);
  });

  test('clients: producer: batching: at 10,000 msg/s with linger.ms=5 each Produce request carries many records', () => {
    const run = runProducer({ config: { ...NO_IDEMPOTENCE, 'linger.ms': 5 }, messages: 5000, ratePerSec: 10_000, keys: 100, partitions: 3, brokers: 1 });
    const records = run.cluster.produceSeen.map((p) => p.batches.reduce((n, b) => n + b.count, 0));
    const mean = records.reduce((a, b) => a + b, 0) / records.length;
    // One broker leads all three partitions: a request every ~5 ms carries ~50 records.
    expect(mean).toBeGreaterThan(40);
    expect(run.cluster.produceSeen.every((p) => p.batches.length <= 3)).toBe(true);
    expect(countBySeq(run, 'app.ack').size).toBe(5000);
  });

  test('clients: producer: batch.size closes a batch before linger.ms ends', () => {
    // 50 + 2 key bytes per record, 61 bytes of batch header: 10 records fill 600 bytes.
    const run = runProducer({ config: { ...NO_IDEMPOTENCE, 'linger.ms': 1000, 'batch.size': 600 }, messages: 100, ratePerSec: 10_000, keys: 1, partitions: 1 });
    const sizes = run.cluster.produceSeen.flatMap((p) => p.batches.map((b) => b.count));
    expect(sizes.slice(0, 9)).toEqual(Array.from({ length: 9 }, () => 10));
  });

  test('clients: producer: keyless records stick to a partition per batch from 2.4 (KIP-480), round-robin before', () => {
    const sticky = runProducer({ profile: '2.8', config: { 'linger.ms': 10 }, messages: 300, ratePerSec: 1000, keys: null, partitions: 4 });
    const runs = (run: Run): number =>
      run.of('app.send').reduce((n, { event }, i, all) => n + (i === 0 || all[i - 1]!.event.partition !== event.partition ? 1 : 0), 0);
    // A batch lingers 10 ms, so the sticky partition changes about every 10 records.
    expect(runs(sticky)).toBeGreaterThan(15);
    expect(runs(sticky)).toBeLessThan(60);
    const roundRobin = runProducer({ profile: '2.3', config: { 'linger.ms': 10 }, messages: 300, ratePerSec: 1000, keys: null, partitions: 4 });
    expect(runs(roundRobin)).toBe(300);
    const partitions = roundRobin.of('app.send').map(({ event }) => event.partition);
    expect(partitions.slice(4, 8)).toEqual(partitions.slice(0, 4));
  });

  test('clients: producer: without metadata send() blocks, then fails after max.block.ms', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, 'max.block.ms': 1000 },
      messages: 3,
      ratePerSec: 1000,
      setup: (cluster) => {
        cluster.silentMetadata.add('b1');
      },
      untilUs: 3_000_000,
    });
    expect(run.of('app.send')).toEqual([]);
    expect(run.of('app.fail').map(({ atUs, event }) => [atUs, event.seq, event.partition, event.error])).toEqual([
      [1_001_000, 1, -1, 'MAX_BLOCK_TIMEOUT'],
      [1_002_000, 2, -1, 'MAX_BLOCK_TIMEOUT'],
      [1_003_000, 3, -1, 'MAX_BLOCK_TIMEOUT'],
    ]);
  });

  test('clients: producer: sends wait for the topic to appear in metadata, asking again every retry.backoff.ms', () => {
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, ...FIXED_BACKOFF },
      messages: 3,
      ratePerSec: 1000,
      setup: (cluster) => {
        cluster.topicUnknownUntilUs = 250_000;
      },
    });
    // Metadata at 0, 100, 200 ms (unknown topic), 300 ms (known): the blocked sends go out then.
    const sends = run.of('app.send');
    expect(sends.map((r) => r.atUs)).toEqual([302_000, 302_000, 302_000]);
    expect(countBySeq(run, 'app.ack').size).toBe(3);
  });

  test('clients: producer: buffer.memory full blocks send() until batches complete', () => {
    // Room for two batches of 16384 bytes; every request is lost, so nothing is freed until
    // delivery.timeout.ms fails the first batches.
    const run = runProducer({
      config: { ...NO_IDEMPOTENCE, 'buffer.memory': 2 * 16384, 'max.block.ms': 500, 'request.timeout.ms': 1000, 'delivery.timeout.ms': 1000 },
      messages: 10,
      ratePerSec: 1000,
      keys: null,
      partitions: 1,
      untilUs: 5_000_000,
      setup: (cluster) => {
        cluster.produceAction = () => 'drop-request';
      },
    });
    const failures = run.of('app.fail').map(({ event }) => event.error);
    expect(failures.filter((e) => e === 'MAX_BLOCK_TIMEOUT').length).toBeGreaterThan(0);
    expect(run.of('app.send').length + failures.filter((e) => e === 'MAX_BLOCK_TIMEOUT').length).toBe(10);
  });

  test('clients: producer: metadata.max.age.ms refreshes metadata periodically', () => {
    const run = runProducer({ config: { ...NO_IDEMPOTENCE, 'metadata.max.age.ms': 1000 }, messages: 1, untilUs: 5_500_000 });
    expect(run.cluster.metadataRequests).toBe(6); // at 0 s, then every second
  });

  test('clients: producer: the idempotent producer asks for a producer id first and numbers each partition from 0', () => {
    const run = runProducer({ messages: 100, ratePerSec: 1000, partitions: 2, keys: 5 });
    for (let p = 0; p < 2; p++) {
      const batches = run.cluster.produceSeen.flatMap((r) => r.batches.filter((b) => b.partition === p));
      let next = 0;
      for (const batch of batches) {
        expect(batch.baseSequence).toBe(next);
        next += batch.count;
      }
    }
    expect(countBySeq(run, 'app.ack').size).toBe(100);
  });

  test('clients: producer: stops sending at stopAtUs; a restarted producer resumes the schedule without resending', () => {
    const run = runProducer({
      config: NO_IDEMPOTENCE,
      messages: 1000,
      ratePerSec: 1000,
      stopAtUs: 500_000,
      setup: (_, world) => {
        world.scheduler.at(100_000, () => world.kill('p1'), undefined);
        world.scheduler.at(200_500, () => world.restart('p1'), undefined);
      },
    });
    const seqs = run.of('app.send').map(({ event }) => event.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Math.max(...seqs)).toBe(500); // due at exactly stopAtUs: still sent
    expect(seqs).not.toContain(150); // due while the producer was down
    expect(seqs).toContain(201);
  });

  test('clients: producer: determinism: the same seed gives the same trace hash; keyless partitions follow the seed', () => {
    // 2.8: the KIP-480 sticky partition changes with every batch, drawing from the producer's stream.
    const hash = (seed: number): string =>
      runProducer({ seed, profile: '2.8', messages: 500, ratePerSec: 5000, keys: null, partitions: 6, config: { 'linger.ms': 2 } }).world.trace.hash;
    expect(hash(7)).toBe(hash(7));
    expect(new Set([1, 2, 3, 4].map(hash)).size).toBe(4);
  });
});

describe('clients: producer under random faults', () => {
  /**
   * Drops 10% of requests and 10% of responses, answers 10% with a retriable error, and moves
   * leaders, for 2 s, once every partition holds a batch of the producer (from 2.5 a leader
   * appends any sequence of a producer id it has no record of, KIP-360, so a lost first request
   * could let a later one in first; TCP never loses one request and delivers the next).
   */
  function chaos(seed: number, config: Record<string, string | number | boolean>): Run {
    return runProducer({
      seed,
      config: { 'request.timeout.ms': 200, 'delivery.timeout.ms': 600_000, ...config },
      messages: 400,
      ratePerSec: 200,
      keys: 7,
      brokers: 3,
      partitions: 3,
      untilUs: 60_000_000,
      setup: (cluster, world) => {
        const random = world.random.stream('chaos');
        const faulty = (): boolean => world.now() < 2_000_000 && cluster.logs.every((log) => log.length > 0);
        cluster.produceAction = () => {
          if (!faulty()) return 'answer';
          const roll = random.int(10);
          return roll === 0 ? 'drop-request' : roll === 1 ? 'drop-response' : 'answer';
        };
        cluster.partitionError = () => (faulty() && random.int(10) === 0 ? 'NOT_ENOUGH_REPLICAS' : null);
        for (let t = 300_000; t < 2_000_000; t += 400_000) {
          world.scheduler.at(t, () => cluster.moveLeader(random.int(3), 1 + random.int(3)), undefined);
        }
      },
    });
  }

  test('clients: producer under random faults: every send ends in exactly one ack or fail', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const run = chaos(seed, { acks: '1', 'enable.idempotence': false });
      const sends = countBySeq(run, 'app.send');
      const acks = countBySeq(run, 'app.ack');
      const fails = countBySeq(run, 'app.fail');
      expect(sends.size, `seed ${seed}`).toBe(400);
      for (const seq of sends.keys()) expect((acks.get(seq) ?? 0) + (fails.get(seq) ?? 0), `seed ${seed} seq ${seq}`).toBe(1);
    }
  });

  test('clients: producer under random faults: the idempotent producer leaves each partition in send order without duplicates (claim 13)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const run = chaos(seed, {});
      expect(countBySeq(run, 'app.ack').size, `seed ${seed}`).toBe(400);
      for (let p = 0; p < 3; p++) {
        const sent = run
          .of('app.send')
          .filter(({ event }) => event.partition === p)
          .map(({ event }) => event.seq);
        // Retries happened (the faults saw to it), yet the log is exactly what was sent, in order.
        expect(logSeqs(run, p), `seed ${seed} partition ${p}`).toEqual(sent);
      }
      expect(run.of('producer.retry').length).toBeGreaterThan(0);
    }
  });
});
