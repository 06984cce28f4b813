// The consumer's SubscriptionState and Fetcher on their own, without a group: positions, seeks,
// and what a fetch answer becomes in poll(), against a one-broker fake that serves a fixed log.
import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { consumerSettings } from '../../src/clients/consumer/consumer-config.js';
import { ConsumerMetadata } from '../../src/clients/consumer/consumer-metadata.js';
import { Fetcher, type PartitionRecords } from '../../src/clients/consumer/fetcher.js';
import { SubscriptionState, type PositionSource } from '../../src/clients/consumer/subscription-state.js';
import { NetworkClient } from '../../src/clients/network-client.js';
import type { IsolationLevel, KafkaMessage } from '../../src/kafka/protocol.js';
import { controlBatch, nextOffset, type RecordBatch } from '../../src/kafka/records.js';

const TOPIC = 'orders';
const LEADER_EPOCH = 3;
const LOG_END = 10;

/** Offsets [0, 10) of a partition in batches of 4, 4 and 2 records, appended in leader epoch 3. */
function partitionLog(partition: number): RecordBatch[] {
  const batch = (baseOffset: number, count: number): RecordBatch => ({
    baseOffset, leaderEpoch: LEADER_EPOCH, producerId: -1, producerEpoch: -1, baseSequence: -1,
    records: Array.from({ length: count }, (_, i) => ({ key: null, producer: `p${partition}`, seq: baseOffset + i })),
  });
  return [batch(0, 4), batch(4, 4), batch(8, 2)];
}

function noSeeks(): SubscriptionState {
  return new SubscriptionState(() => {});
}

describe('clients: consumer: subscription state', () => {
  test('clients: consumer: subscription state: allConsumed lists positions in assignment order and leaves out partitions with none', () => {
    const s = noSeeks();
    for (const p of [2, 0, 1]) s.assign(p);
    s.seek(s.stateOf(0)!, 7, LEADER_EPOCH, LEADER_EPOCH, 'committed', 'committed');
    s.seek(s.stateOf(2)!, 3, LEADER_EPOCH, LEADER_EPOCH, 'committed', 'committed');
    // Partition 1 has no position yet (its OffsetFetch has not answered): nothing to commit for it.
    expect(s.allConsumed()).toEqual([[2, 3], [0, 7]]);
    expect(s.missingPositions().map((st) => st.partition)).toEqual([1]);
  });

  test('clients: consumer: subscription state: a seek drops what was buffered and moves the epoch past in-flight fetches', () => {
    const heard: PositionSource[] = [];
    const s = new SubscriptionState((_state, source) => heard.push(source));
    s.assign(0);
    const st = s.stateOf(0)!;
    st.position = 4;
    st.batches = partitionLog(0);
    st.batchIndex = 1;
    const epochBefore = st.epoch;
    s.seek(st, 2, 1, -1, 'truncation-detected', 'log-truncation');
    // A fetch sent before the seek carries the old epoch: its answer must not refill the buffer.
    expect(st.epoch).toBe(epochBefore + 1);
    expect({ position: st.position, batches: st.batches.length, batchIndex: st.batchIndex, positionEpoch: st.positionEpoch, validatedEpoch: st.validatedEpoch })
      .toEqual({ position: 2, batches: 0, batchIndex: 0, positionEpoch: 1, validatedEpoch: -1 });
    expect(heard).toEqual(['truncation-detected']);
  });

  test('clients: consumer: subscription state: a partition revoked and assigned again is a new state, so answers about the old one are dropped', () => {
    const s = noSeeks();
    s.assign(0);
    const old = s.stateOf(0)!;
    s.remove([0]);
    s.assign(0);
    expect(s.isCurrent(old)).toBe(false);
    expect(s.isCurrent(s.stateOf(0)!)).toBe(true);
  });
});

/** An aborted transaction as the broker's index holds it: its producer, first offset and ABORT marker's offset. */
interface AbortedTxn {
  readonly producerId: number;
  readonly firstOffset: number;
  readonly markerOffset: number;
}

/** What the fake leader serves of a partition: its log (HW = its end), and the LSO and aborted transactions (0.11+). */
interface ServedLog {
  readonly batches: readonly RecordBatch[];
  readonly lastStableOffset?: number;
  readonly aborted?: readonly AbortedTxn[];
}

interface SetUpOptions {
  readonly profile?: string;
  readonly logs?: readonly ServedLog[];
  /** Batches the leader returns to a read_committed fetch, bounded by the LSO unless this says otherwise (a broken broker). */
  readonly readCommittedBound?: (log: ServedLog) => number;
}

const endOf = (log: ServedLog): number => (log.batches.length === 0 ? 0 : nextOffset(log.batches[log.batches.length - 1]!));

/**
 * A host process with a Fetcher over one broker b1 that leads both partitions; `logStart` can move
 * (retention). The broker answers as Kafka's leader does (ReplicaManager.readFromLocalLog):
 * whole batches from the one holding the fetch offset, below the HW, or read_committed below the
 * LSO with the aborted transactions the answer overlaps; from 0.11 every answer has the LSO.
 */
function setUp(config: Record<string, number | string>, options: SetUpOptions = {}) {
  const profile = options.profile ?? '3.9';
  const world = new World<unknown>({ seed: 1, network: { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
  const logs: readonly ServedLog[] = options.logs ?? [{ batches: partitionLog(0) }, { batches: partitionLog(1) }];
  const broker = { logStart: [0, 0], fetches: 0, fetchOffsets: [] as number[], listOffsets: [] as number[], isolationLevels: [] as (IsolationLevel | undefined)[] };
  world.spawn('b1', (env) => ({
    onMessage: (from, message, connection) => {
      const m = message as KafkaMessage;
      const answer = (response: KafkaMessage): void => env.send(from, response, connection);
      if (m.type === 'Metadata') {
        answer({
          type: 'MetadataResponse', correlationId: m.correlationId, controllerId: 1, brokers: [{ id: 1, node: 'b1' }],
          topics: [{ name: TOPIC, error: 'NONE', partitions: logs.map((_, partition) => ({ partition, error: 'NONE', leader: 1, leaderEpoch: LEADER_EPOCH, replicas: [1], isr: [1] })) }],
        });
      } else if (m.type === 'Fetch') {
        broker.fetches += 1;
        broker.fetchOffsets.push(...m.partitions.map((p) => p.fetchOffset));
        broker.isolationLevels.push(m.isolationLevel);
        const readCommitted = m.isolationLevel === 'read_committed';
        answer({
          type: 'FetchResponse', correlationId: m.correlationId, error: 'NONE', sessionId: 0,
          partitions: m.partitions.map((p) => {
            const log = logs[p.partition]!;
            const end = endOf(log);
            const stable = log.lastStableOffset ?? end;
            const bound = readCommitted ? (options.readCommittedBound ?? (() => stable))(log) : end;
            const outOfRange = p.fetchOffset < broker.logStart[p.partition]! || p.fetchOffset > end;
            const batches = outOfRange ? [] : log.batches.filter((b) => nextOffset(b) > p.fetchOffset && b.baseOffset < bound);
            const upTo = batches.length === 0 ? p.fetchOffset : nextOffset(batches[batches.length - 1]!);
            const aborted = (log.aborted ?? []).filter((a) => a.markerOffset >= p.fetchOffset && a.firstOffset < upTo).map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset }));
            return {
              topic: TOPIC, partition: p.partition, error: outOfRange ? 'OFFSET_OUT_OF_RANGE' : 'NONE', highWatermark: end, logStartOffset: broker.logStart[p.partition]!, batches,
              ...(profile === '0.10' ? {} : { lastStableOffset: stable }),
              ...(readCommitted ? { abortedTransactions: aborted } : {}),
            };
          }),
        });
      } else if (m.type === 'ListOffsets') {
        broker.listOffsets.push(...m.partitions.map((p) => p.timestamp));
        broker.isolationLevels.push(m.isolationLevel);
        const latest = (log: ServedLog): number => (m.isolationLevel === 'read_committed' ? (log.lastStableOffset ?? endOf(log)) : endOf(log));
        answer({
          type: 'ListOffsetsResponse', correlationId: m.correlationId,
          partitions: m.partitions.map((p) => ({ topic: TOPIC, partition: p.partition, error: 'NONE', offset: p.timestamp === -2 ? broker.logStart[p.partition]! : latest(logs[p.partition]!), leaderEpoch: LEADER_EPOCH })),
        });
      }
    },
  }));
  const seeks: string[] = [];
  const subscriptions = new SubscriptionState((state, source) => seeks.push(`${state.partition}@${state.position}:${source}`));
  let fetcher!: Fetcher;
  let ready = 0;
  world.spawn('c1', (env) => {
    const settings = consumerSettings(config, 'after-processing', profile);
    const net = new NetworkClient(env, settings, () => {});
    const metadata = new ConsumerMetadata(env, net, settings, ['b1'], subscriptions, () => fetcher.sendFetches());
    fetcher = new Fetcher(env, net, settings, profile, metadata, subscriptions, () => ready++);
    subscriptions.subscribe(TOPIC, { onPartitionsRevoked() {}, onPartitionsLost() {}, onPartitionsAssigned() {} });
    metadata.refresh();
    return { onMessage: (from, message) => void net.receive(from, message as KafkaMessage) };
  });
  /** Positions as if committed offsets had been found; the metadata answer then starts the fetches. */
  const start = (positions: readonly [number, number][]): void => {
    for (const [partition, offset] of positions) {
      subscriptions.assign(partition);
      // validated against this leader epoch already: no OffsetsForLeaderEpoch first
      subscriptions.seek(subscriptions.stateOf(partition)!, offset, LEADER_EPOCH, LEADER_EPOCH, 'committed', 'committed');
    }
  };
  const poll = (): string[] => (fetcher.fetchedRecords() ?? []).map((r: PartitionRecords) => `${r.partition}:[${r.fromOffset},${r.toOffset})`);
  /** The records one poll returns, as `offset:producer#seq`, read as an application reads them (batches in [fromOffset, toOffset)). */
  const pollRecords = (): string[] => (fetcher.fetchedRecords() ?? []).flatMap(recordsOf);
  /** Runs the world for `ms` (fetches go out and are answered). */
  const run = (ms = 100): void => void world.scheduler.run(world.scheduler.now() + ms * 1000, 1_000_000);
  const position = (partition = 0): number | null => subscriptions.stateOf(partition)!.position;
  return { world, broker, subscriptions, seeks, start, poll, pollRecords, run, position, ready: () => ready, fetcher: () => fetcher };
}

/** The records of what poll() returned for one partition, in offset order. */
function recordsOf(r: PartitionRecords): string[] {
  const out: string[] = [];
  for (const batch of r.batches) {
    for (let offset = Math.max(batch.baseOffset, r.fromOffset); offset < Math.min(nextOffset(batch), r.toOffset); offset++) {
      const record = batch.records[offset - batch.baseOffset]!;
      out.push(`${offset}:${record.producer}#${record.seq}`);
    }
  }
  return out;
}

describe('clients: consumer: fetcher', () => {
  test('clients: consumer: fetcher: poll returns at most max.poll.records across partitions, each from its position, and moves the positions', () => {
    const t = setUp({ 'max.poll.records': 5 });
    t.start([[0, 2], [1, 9]]);
    t.world.scheduler.run(100_000, 1_000_000);
    expect(t.ready()).toBeGreaterThan(0);
    // Partition 0 holds 8 records from offset 2 (its first batch only from 2 on): 5 of them, then the rest next poll.
    expect(t.poll()).toEqual(['0:[2,7)']);
    expect(t.poll()).toEqual(['0:[7,10)', '1:[9,10)']);
    expect(t.poll()).toEqual([]);
    expect(t.subscriptions.allConsumed()).toEqual([[0, 10], [1, 10]]);
    expect(t.subscriptions.stateOf(0)!.positionEpoch).toBe(LEADER_EPOCH); // what a commit will carry (KIP-320)
  });

  test('clients: consumer: fetcher: OFFSET_OUT_OF_RANGE resets the position by auto.offset.reset (earliest: the log start, by ListOffsets)', () => {
    const t = setUp({ 'auto.offset.reset': 'earliest' });
    t.broker.logStart[0] = 4; // retention removed offsets 0..3 under the committed offset 1
    t.start([[0, 1]]);
    t.world.scheduler.run(100_000, 1_000_000);
    expect(t.broker.listOffsets).toEqual([-2]);
    expect(t.seeks).toEqual(['0@1:committed', '0@4:reset-earliest']);
    expect(t.poll()).toEqual(['0:[4,10)']);
  });
});

/** `count` records of producer id `producerId` (named p<id>, seqs from `seq`) at `baseOffset`; transactional unless told. */
function records(baseOffset: number, producerId: number, seq: number, count: number, transactional = true): RecordBatch {
  return {
    baseOffset, leaderEpoch: LEADER_EPOCH, producerId, producerEpoch: 0, baseSequence: seq,
    records: Array.from({ length: count }, (_, i) => ({ key: null, producer: `p${producerId}`, seq: seq + i })),
    ...(transactional ? { isTransactional: true } : {}),
  };
}

/** A non-transactional producer's records (no producer id). */
const plain = (baseOffset: number, seq: number, count: number): RecordBatch => records(baseOffset, -1, seq, count, false);

/** A transaction marker of `producerId` at `offset`, as the leader appended it. */
function marker(offset: number, producerId: number, type: 'COMMIT' | 'ABORT'): RecordBatch {
  return { ...controlBatch(producerId, 0, { type, coordinatorEpoch: 0 }), baseOffset: offset, leaderEpoch: LEADER_EPOCH };
}

const LEVELS: readonly IsolationLevel[] = ['read_uncommitted', 'read_committed'];

describe('clients: consumer: fetcher: transactions', () => {
  test('clients: consumer: fetcher: transactions: a marker is never returned and the position moves past it, in both isolation levels', () => {
    for (const level of LEVELS) {
      const t = setUp({ 'isolation.level': level }, { logs: [{ batches: [records(0, 1, 0, 3), marker(3, 1, 'COMMIT'), plain(4, 0, 2)] }] });
      t.start([[0, 0]]);
      t.run();
      // Control records are not returned to the user (Fetcher.PartitionRecords.nextFetchedRecord, 0.11.0; CompletedFetch, 2.8.2).
      expect(t.pollRecords(), level).toEqual(['0:p1#0', '1:p1#1', '2:p1#2', '4:p-1#0', '5:p-1#1']);
      expect(t.position(), level).toBe(6);
    }
  });

  test('clients: consumer: fetcher: transactions: an answer holding only a marker moves the position past it though poll returns nothing, and the next fetch starts there', () => {
    const t = setUp({}, { logs: [{ batches: [records(0, 1, 0, 2), marker(2, 1, 'COMMIT')] }] });
    t.start([[0, 2]]); // committed after the transaction's records, before its marker
    t.run();
    // The marker is buffered: the partition is not fetched again until poll() has used the answer.
    expect(t.broker.fetchOffsets).toEqual([2]);
    expect(t.poll()).toEqual([]);
    // Kafka moves the position to the batch's next offset once the answer is used up (KAFKA-5443).
    expect(t.position()).toBe(3);
    t.run();
    expect(t.broker.fetchOffsets.slice(0, 2)).toEqual([2, 3]);
  });

  test('clients: consumer: fetcher: transactions: read_committed drops an aborted transaction (abortedTransactions, producer id, until its ABORT marker); read_uncommitted returns it', () => {
    const log: ServedLog = {
      batches: [records(0, 1, 0, 2), records(2, 1, 2, 1), plain(3, 0, 1), marker(4, 1, 'ABORT'), plain(5, 1, 1)],
      aborted: [{ producerId: 1, firstOffset: 0, markerOffset: 4 }],
    };
    const read = (level: IsolationLevel): { records: string[]; position: number | null; levels: (IsolationLevel | undefined)[] } => {
      const t = setUp({ 'isolation.level': level }, { logs: [log] });
      t.start([[0, 0]]);
      t.run();
      return { records: t.pollRecords(), position: t.position(), levels: [...new Set(t.broker.isolationLevels)] };
    };
    // Producer 1's batches are transactional and its transaction began at 0 <= their last offsets: aborted (isBatchAborted).
    expect(read('read_committed')).toEqual({ records: ['3:p-1#0', '5:p-1#1'], position: 6, levels: ['read_committed'] });
    expect(read('read_uncommitted')).toEqual({ records: ['0:p1#0', '1:p1#1', '2:p1#2', '3:p-1#0', '5:p-1#1'], position: 6, levels: ['read_uncommitted'] });
  });

  test('clients: consumer: fetcher: transactions: read_committed returns a committed transaction, and the same producer\'s next one after its ABORT marker', () => {
    const t = setUp({ 'isolation.level': 'read_committed' }, {
      logs: [{
        batches: [records(0, 1, 0, 2), marker(2, 1, 'COMMIT'), records(3, 1, 2, 2), marker(5, 1, 'ABORT'), records(6, 1, 4, 1), marker(7, 1, 'COMMIT')],
        aborted: [{ producerId: 1, firstOffset: 3, markerOffset: 5 }],
      }],
    });
    t.start([[0, 0]]);
    t.run();
    // The aborted transaction begins at 3: it is not on the list when 0-1 are read; its ABORT marker takes it off before 6.
    expect(t.pollRecords()).toEqual(['0:p1#0', '1:p1#1', '6:p1#4']);
    expect(t.position()).toBe(8);
  });

  test('clients: consumer: fetcher: transactions: interleaved producers: read_committed drops only the aborted producers\' records, whatever the order of the answer\'s list', () => {
    const t = setUp({ 'isolation.level': 'read_committed' }, {
      logs: [{
        batches: [records(0, 3, 0, 1), records(1, 1, 0, 1), records(2, 2, 0, 1), records(3, 3, 1, 1), records(4, 2, 1, 1), marker(5, 2, 'ABORT'), marker(6, 3, 'ABORT'), records(7, 1, 1, 1), marker(8, 1, 'COMMIT')],
        // In marker order, as the broker's transaction index lists them: p2's (marker 5) before p3's (marker 6), though p3's began first.
        aborted: [{ producerId: 2, firstOffset: 2, markerOffset: 5 }, { producerId: 3, firstOffset: 0, markerOffset: 6 }],
      }],
    });
    t.start([[0, 0]]);
    t.run();
    // CompletedFetch orders the list by first offset (its priority queue): p3's transaction is aborted from offset 0.
    expect(t.pollRecords()).toEqual(['1:p1#0', '7:p1#1']);
    expect(t.position()).toBe(9);
  });

  test('clients: consumer: fetcher: transactions: from a committed offset inside an aborted transaction, the rest of it is still dropped', () => {
    const log: ServedLog = { batches: [records(0, 1, 0, 2), records(2, 1, 2, 2), marker(4, 1, 'ABORT'), plain(5, 0, 1)], aborted: [{ producerId: 1, firstOffset: 0, markerOffset: 4 }] };
    for (const [level, expected] of [['read_committed', ['5:p-1#0']], ['read_uncommitted', ['3:p1#3', '5:p-1#0']]] as const) {
      const t = setUp({ 'isolation.level': level }, { logs: [log] });
      t.start([[0, 3]]);
      t.run();
      // The leader lists every aborted transaction whose marker is at or after the fetch offset (Log.collectAbortedTransactions),
      // so the one that began at 0, before the fetch, is known: the batch 2-3 holding offset 3 is dropped.
      expect(t.pollRecords(), level).toEqual(expected);
      expect(t.position(), level).toBe(6);
    }
  });

  test('clients: consumer: fetcher: transactions: poll() skips a marker between records within max.poll.records, and moves past the last one once the answer is used up', () => {
    const t = setUp({ 'max.poll.records': 3 }, { logs: [{ batches: [records(0, 1, 0, 2), marker(2, 1, 'COMMIT'), records(3, 1, 2, 2), marker(5, 1, 'COMMIT')] }] });
    t.start([[0, 0]]);
    t.run();
    // Three records: 0, 1 and 3 (the marker at 2 costs nothing); the position is after the last one returned.
    expect(t.poll()).toEqual(['0:[0,4)']);
    expect(t.position()).toBe(4);
    expect(t.pollRecords()).toEqual(['4:p1#3']);
    expect(t.position()).toBe(6);
  });

  test('clients: consumer: fetcher: transactions: read_committed reads up to the LSO, and auto.offset.reset latest starts there; the LSO comes with the records', () => {
    // Offsets 0-1 plain, 2-3 an open transaction: LSO 2, HW 4.
    const log: ServedLog = { batches: [plain(0, 0, 2), records(2, 1, 0, 2)], lastStableOffset: 2 };
    const latest = (level: IsolationLevel): { position: number | null; levels: (IsolationLevel | undefined)[] } => {
      const t = setUp({ 'isolation.level': level, 'auto.offset.reset': 'latest' }, { logs: [log] });
      t.subscriptions.assign(0);
      t.run(); // metadata
      t.fetcher().resetOffset(t.subscriptions.stateOf(0)!, 'no-committed-offset');
      t.run();
      return { position: t.position(), levels: t.broker.isolationLevels.slice(0, 1) };
    };
    // ListOffsets v2 (0.11) with the isolation level: latest is the LSO for read_committed, the HW otherwise.
    expect(latest('read_committed')).toEqual({ position: 2, levels: ['read_committed'] });
    expect(latest('read_uncommitted')).toEqual({ position: 4, levels: ['read_uncommitted'] });

    const t = setUp({ 'isolation.level': 'read_committed' }, { logs: [log] });
    t.start([[0, 0]]);
    t.run();
    const polled = t.fetcher().fetchedRecords()!;
    expect(polled.map((r) => ({ from: r.fromOffset, to: r.toOffset, highWatermark: r.highWatermark, lastStableOffset: r.lastStableOffset }))).toEqual([{ from: 0, to: 2, highWatermark: 4, lastStableOffset: 2 }]);
  });

  test('clients: consumer: fetcher: transactions: before 0.11 fetches and ListOffsets carry no isolation level, and records no LSO', () => {
    const t = setUp({ 'auto.offset.reset': 'earliest' }, { profile: '0.10', logs: [{ batches: [plain(0, 0, 2)] }] });
    t.subscriptions.assign(0);
    t.run();
    t.fetcher().resetOffset(t.subscriptions.stateOf(0)!, 'no-committed-offset');
    t.run();
    // Fetch v3 and ListOffsets v1 have no isolation level field; the broker's answer no LSO (-1 in app.processed).
    expect(new Set(t.broker.isolationLevels)).toEqual(new Set([undefined]));
    expect(t.fetcher().fetchedRecords()!.map((r) => r.lastStableOffset)).toEqual([-1]);
  });

  test('clients: consumer: fetcher: transactions: a read_committed answer with records at or above its LSO breaks the model\'s invariant', () => {
    const t = setUp({ 'isolation.level': 'read_committed' }, { logs: [{ batches: [plain(0, 0, 2), records(2, 1, 0, 2)], lastStableOffset: 2 }], readCommittedBound: endOf });
    t.start([[0, 0]]);
    // A broker that ignored the LSO (Log.read's FetchTxnCommitted bound) would hand out an open transaction.
    expect(() => t.run()).toThrow(/at or above its LSO 2/);
  });
});
