// The consumer's SubscriptionState and Fetcher on their own, without a group: positions, seeks,
// and what a fetch answer becomes in poll(), against a one-broker fake that serves a fixed log.
import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';
import { consumerSettings } from '../../src/clients/consumer/consumer-config.js';
import { ConsumerMetadata } from '../../src/clients/consumer/consumer-metadata.js';
import { Fetcher, type PartitionRecords } from '../../src/clients/consumer/fetcher.js';
import { SubscriptionState, type PositionSource } from '../../src/clients/consumer/subscription-state.js';
import { NetworkClient } from '../../src/clients/network-client.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { RecordBatch } from '../../src/kafka/records.js';

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

/** A host process with a Fetcher over one broker b1 that leads both partitions; `logStart` can move (retention). */
function setUp(config: Record<string, number | string>) {
  const world = new World<unknown>({ seed: 1, network: { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
  const logs = [partitionLog(0), partitionLog(1)];
  const broker = { logStart: [0, 0], fetches: 0, listOffsets: [] as number[] };
  world.spawn('b1', (env) => ({
    onMessage: (from, message, connection) => {
      const m = message as KafkaMessage;
      const answer = (response: KafkaMessage): void => env.send(from, response, connection);
      if (m.type === 'Metadata') {
        answer({
          type: 'MetadataResponse', correlationId: m.correlationId, controllerId: 1, brokers: [{ id: 1, node: 'b1' }],
          topics: [{ name: TOPIC, error: 'NONE', partitions: [0, 1].map((partition) => ({ partition, error: 'NONE', leader: 1, leaderEpoch: LEADER_EPOCH, replicas: [1], isr: [1] })) }],
        });
      } else if (m.type === 'Fetch') {
        broker.fetches += 1;
        answer({
          type: 'FetchResponse', correlationId: m.correlationId, error: 'NONE', sessionId: 0,
          partitions: m.partitions.map((p) => {
            const outOfRange = p.fetchOffset < broker.logStart[p.partition]! || p.fetchOffset > LOG_END;
            return {
              topic: TOPIC, partition: p.partition, error: outOfRange ? 'OFFSET_OUT_OF_RANGE' : 'NONE', highWatermark: LOG_END, logStartOffset: broker.logStart[p.partition]!,
              batches: outOfRange ? [] : logs[p.partition]!.filter((b) => b.baseOffset + b.records.length > p.fetchOffset),
            };
          }),
        });
      } else if (m.type === 'ListOffsets') {
        broker.listOffsets.push(...m.partitions.map((p) => p.timestamp));
        answer({
          type: 'ListOffsetsResponse', correlationId: m.correlationId,
          partitions: m.partitions.map((p) => ({ topic: TOPIC, partition: p.partition, error: 'NONE', offset: p.timestamp === -2 ? broker.logStart[p.partition]! : LOG_END, leaderEpoch: LEADER_EPOCH })),
        });
      }
    },
  }));
  const seeks: string[] = [];
  const subscriptions = new SubscriptionState((state, source) => seeks.push(`${state.partition}@${state.position}:${source}`));
  let fetcher!: Fetcher;
  let ready = 0;
  world.spawn('c1', (env) => {
    const settings = consumerSettings(config, 'after-processing', '3.9');
    const net = new NetworkClient(env, settings, () => {});
    const metadata = new ConsumerMetadata(env, net, settings, ['b1'], subscriptions, () => fetcher.sendFetches());
    fetcher = new Fetcher(env, net, settings, '3.9', metadata, subscriptions, () => ready++);
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
  return { world, broker, subscriptions, seeks, start, poll, ready: () => ready };
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
