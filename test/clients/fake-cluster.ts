// A fake Kafka cluster for producer tests: broker processes that answer Metadata from a fixed
// layout the test may change, append Produce batches to one shared log per partition, and can
// be told to drop requests or responses or to answer with an error. Idempotent batches are
// judged by the broker's own ProducerStateTable, with the profile's rules (duplicates answered
// with their first offset, gaps refused, older epochs fenced).
import { World, type ProcessFactory, type TraceEvent } from '../../sim/index.js';
import { ProducerStateTable, type ProducerStateRules } from '../../src/broker/producer-state.js';
import { behaviourOf } from '../../src/broker/profile.js';
import { producerProcess, type ProducerOptions } from '../../src/clients/producer-app.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { AppEvent, ProducerEvent } from '../../src/kafka/events.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { KafkaRecord, RecordBatch } from '../../src/kafka/records.js';
import type { KafkaConfig, ProducerSpec } from '../../src/scenario/types.js';

export const TOPIC = 'orders';

type ProduceRequest = Extract<KafkaMessage, { type: 'Produce' }>;

/** What a broker does with one Produce request. */
export type ProduceAction = 'answer' | 'drop-request' | 'drop-response';

export interface ProduceSeen {
  readonly atUs: number;
  readonly node: string;
  readonly correlationId: number;
  readonly acks: -1 | 0 | 1;
  readonly batches: readonly {
    readonly partition: number;
    readonly firstSeq: number;
    readonly count: number;
    readonly producerId: number;
    readonly producerEpoch: number;
    readonly baseSequence: number;
  }[];
}

export class FakeCluster {
  readonly brokers: { readonly id: number; readonly node: string }[];
  /** Leader broker id per partition (-1: offline); tests may change it, then bump the epoch. */
  readonly leaders: number[];
  readonly leaderEpochs: number[];
  readonly logs: KafkaRecord[][];
  readonly produceSeen: ProduceSeen[] = [];
  metadataRequests = 0;
  /** Decide per request: answer, or drop it before (no append) or after the append (no response). */
  produceAction: (request: ProduceRequest, node: string, index: number) => ProduceAction = () => 'answer';
  /** An error for one partition of a request instead of appending it; null appends. */
  partitionError: (partition: number, batch: RecordBatch, node: string) => KafkaError | null = () => null;
  /** Until this time Metadata answers UNKNOWN_TOPIC_OR_PARTITION (the topic is being created). */
  topicUnknownUntilUs = 0;
  /** Brokers that never answer Metadata. */
  readonly silentMetadata = new Set<string>();
  /** InitProducerId requests answered, in order. */
  readonly producerIds: number[] = [];
  private readonly producerStates: ProducerStateTable[];
  private nextProducerId = 1000;

  constructor(brokers: number, partitions: number, private readonly rules: ProducerStateRules = behaviourOf('3.9').producerState) {
    this.brokers = Array.from({ length: brokers }, (_, i) => ({ id: i + 1, node: `b${i + 1}` }));
    this.leaders = Array.from({ length: partitions }, (_, p) => (p % brokers) + 1);
    this.leaderEpochs = Array.from({ length: partitions }, () => 0);
    this.logs = Array.from({ length: partitions }, () => []);
    this.producerStates = Array.from({ length: partitions }, () => new ProducerStateTable());
  }

  /** Moves a partition's leadership, as an election would (new leader epoch). */
  moveLeader(partition: number, leader: number): void {
    this.leaders[partition] = leader;
    this.leaderEpochs[partition] = this.leaderEpochs[partition]! + 1;
  }

  broker(id: number): ProcessFactory<unknown> {
    const node = `b${id}`;
    return (env) => ({
      onMessage: (from, raw, connection) => {
        const message = raw as KafkaMessage;
        switch (message.type) {
          case 'Metadata': {
            this.metadataRequests += 1;
            if (this.silentMetadata.has(node)) return;
            const unknown = env.now() < this.topicUnknownUntilUs;
            env.send(from, {
              type: 'MetadataResponse',
              correlationId: message.correlationId,
              controllerId: 1,
              brokers: this.brokers,
              topics: [
                {
                  name: TOPIC,
                  error: unknown ? 'UNKNOWN_TOPIC_OR_PARTITION' : 'NONE',
                  partitions: unknown
                    ? []
                    : this.leaders.map((leader, partition) => ({
                        partition,
                        error: leader < 0 ? 'LEADER_NOT_AVAILABLE' : 'NONE',
                        leader,
                        leaderEpoch: this.leaderEpochs[partition]!,
                        replicas: this.brokers.map((b) => b.id),
                        isr: this.brokers.map((b) => b.id),
                      })),
                },
              ],
            } satisfies KafkaMessage, connection);
            return;
          }
          case 'InitProducerId':
            this.producerIds.push(this.nextProducerId);
            env.send(from, { type: 'InitProducerIdResponse', correlationId: message.correlationId, error: 'NONE', producerId: this.nextProducerId++, producerEpoch: 0 } satisfies KafkaMessage, connection);
            return;
          case 'Produce': {
            const action = this.produceAction(message, node, this.produceSeen.length);
            this.produceSeen.push({
              atUs: env.now(),
              node,
              correlationId: message.correlationId,
              acks: message.acks,
              batches: message.partitions.map((p) => ({
                partition: p.partition,
                firstSeq: p.batch.records[0]!.seq,
                count: p.batch.records.length,
                producerId: p.batch.producerId,
                producerEpoch: p.batch.producerEpoch,
                baseSequence: p.batch.baseSequence,
              })),
            });
            if (action === 'drop-request') return;
            const partitions = message.partitions.map((p) => ({ topic: p.topic, partition: p.partition, ...this.append(id, node, p.partition, p.batch) }));
            if (action === 'drop-response' || message.acks === 0) return;
            env.send(from, { type: 'ProduceResponse', correlationId: message.correlationId, partitions } satisfies KafkaMessage, connection);
            return;
          }
          default:
            return;
        }
      },
    });
  }

  private append(id: number, node: string, partition: number, batch: RecordBatch): { error: KafkaError; baseOffset: number; logStartOffset?: number } {
    if (this.leaders[partition] !== id) return { error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 };
    const error = this.partitionError(partition, batch, node);
    // UNKNOWN_PRODUCER_ID carries the log start offset (0: nothing is ever deleted here).
    if (error !== null) return error === 'UNKNOWN_PRODUCER_ID' ? { error, baseOffset: -1, logStartOffset: 0 } : { error, baseOffset: -1 };
    const log = this.logs[partition]!;
    const producers = this.producerStates[partition]!;
    const check = producers.check(batch, this.rules);
    if (check.kind === 'duplicate') return { error: 'NONE', baseOffset: check.baseOffset };
    if (check.kind === 'error') return check.error === 'UNKNOWN_PRODUCER_ID' ? { error: check.error, baseOffset: -1, logStartOffset: 0 } : { error: check.error, baseOffset: -1 };
    const baseOffset = log.length;
    producers.record({ ...batch, baseOffset });
    log.push(...batch.records);
    return { error: 'NONE', baseOffset };
  }
}

export interface Recorded {
  readonly atUs: number;
  readonly event: TraceEvent;
}

export interface Run {
  readonly world: World<unknown>;
  readonly cluster: FakeCluster;
  readonly events: Recorded[];
  of<K extends (AppEvent | ProducerEvent)['kind']>(kind: K): { atUs: number; event: Extract<AppEvent | ProducerEvent, { kind: K }> }[];
}

export interface RunOptions {
  readonly config?: KafkaConfig;
  readonly messages?: number;
  readonly ratePerSec?: number;
  readonly keys?: number | null;
  readonly brokers?: number;
  readonly partitions?: number;
  readonly seed?: number;
  readonly profile?: string;
  readonly stopAtUs?: number;
  readonly untilUs?: number;
  readonly latencyUs?: number;
  readonly setup?: (cluster: FakeCluster, world: World<unknown>) => void;
  readonly options?: Partial<ProducerOptions>;
}

/** One producer `p1` against a fake cluster, run to `untilUs`; every trace event is collected. */
export function runProducer(options: RunOptions = {}): Run {
  const cluster = new FakeCluster(options.brokers ?? 1, options.partitions ?? 3, behaviourOf(options.profile ?? '3.9').producerState);
  const latency = options.latencyUs ?? 1000;
  const world = new World<unknown>({ seed: options.seed ?? 1, network: { latencyUs: { minUs: latency, maxUs: latency }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
  const events: Recorded[] = [];
  world.trace.observe((atUs, event) => events.push({ atUs, event }));
  for (const broker of cluster.brokers) world.spawn(broker.node, cluster.broker(broker.id));
  options.setup?.(cluster, world);
  const spec: ProducerSpec = {
    name: 'p1',
    topic: TOPIC,
    messages: options.messages ?? 100,
    ratePerSec: options.ratePerSec ?? 1000,
    keys: options.keys === undefined ? 10 : options.keys,
    config: options.config ?? {},
  };
  world.spawn(
    'p1',
    producerProcess(spec, {
      bootstrap: cluster.brokers.map((b) => b.node),
      stopAtUs: options.stopAtUs ?? 1_000_000_000,
      profile: options.profile ?? '3.9',
      ...options.options,
    }),
  );
  world.scheduler.run(options.untilUs ?? 10_000_000);
  return {
    world,
    cluster,
    events,
    of: (kind) => events.filter((r) => r.event.kind === kind) as never,
  };
}

/** Each seq's count of a given event kind. */
export function countBySeq(run: Run, kind: 'app.send' | 'app.ack' | 'app.fail'): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { event } of run.of(kind)) counts.set(event.seq, (counts.get(event.seq) ?? 0) + 1);
  return counts;
}
