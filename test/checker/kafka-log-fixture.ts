// A hand-driven Kafka run for the log checker's tests: brokers b1..bN whose processes do
// nothing; the test writes record batches to their disks and records the trace events a real
// run would record, in the order it would record them (kept or unkept as the brokers do).
import { World, type FaultEvent, type ProcessEvent } from '../../sim/index.js';
import { LogChecker, type KafkaLayout } from '../../src/checker/kafka-log.js';
import type { CheckOutcome } from '../../src/checker/outcome.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { logFile, nextOffset, type KafkaRecord, type RecordBatch } from '../../src/kafka/records.js';

export const TOPIC = 'orders';
const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

/** `p1#3..5` as records: producer p1, seqs 3, 4, 5. */
export function records(producer: string, fromSeq: number, toSeq = fromSeq, key: string | null = null): KafkaRecord[] {
  const out: KafkaRecord[] = [];
  for (let seq = fromSeq; seq <= toSeq; seq++) out.push({ key, producer, seq });
  return out;
}

export class Cluster {
  readonly world: World<unknown>;
  readonly checker: LogChecker;
  readonly layout: KafkaLayout;

  constructor(options: { brokers?: number; partitions?: number; transactionalProducers?: readonly string[] } = {}) {
    const brokers = options.brokers ?? 3;
    const partitions = options.partitions ?? 1;
    this.world = new World<unknown>({ seed: 1, network });
    const ids = Array.from({ length: brokers }, (_, i) => i + 1);
    this.layout = {
      topics: [{ name: TOPIC, partitions, replicas: Array.from({ length: partitions }, () => ids) }],
      brokerNode: (id) => `b${id}`,
      ...(options.transactionalProducers === undefined ? {} : { transactionalProducers: options.transactionalProducers }),
    };
    // The checker is made before the brokers start, as the runner would make it.
    this.checker = new LogChecker(this.world, this.layout);
    for (const id of ids) this.world.spawn(`b${id}`, () => ({ onMessage: () => {} }));
  }

  /** Moves the clock to `ms` (milliseconds of virtual time). */
  at(ms: number): this {
    this.world.scheduler.run(ms * 1000);
    return this;
  }

  private kafka(event: KafkaEvent, keep: boolean): this {
    this.world.record(event, keep);
    return this;
  }

  send(producer: string, fromSeq: number, toSeq = fromSeq, partition = 0, key: string | null = null): this {
    for (let seq = fromSeq; seq <= toSeq; seq++) this.kafka({ kind: 'app.send', producer, seq, key, topic: TOPIC, partition }, false);
    return this;
  }

  /** Acks seqs fromSeq..toSeq at consecutive offsets from `offset` (-1: acks=0, no offsets). */
  ack(producer: string, fromSeq: number, toSeq: number, offset: number, partition = 0): this {
    for (let seq = fromSeq; seq <= toSeq; seq++) {
      const at = offset < 0 ? -1 : offset + seq - fromSeq;
      this.kafka({ kind: 'app.ack', producer, seq, topic: TOPIC, partition, offset: at }, false);
    }
    return this;
  }

  fail(producer: string, seq: number, partition = 0, error: KafkaError = 'NOT_ENOUGH_REPLICAS'): this {
    return this.kafka({ kind: 'app.fail', producer, seq, topic: TOPIC, partition, error }, false);
  }

  /** Appends one batch at the end of each broker's log (the leader first, then its followers). */
  append(brokers: readonly number[], batch: readonly KafkaRecord[], leaderEpoch = 1, partition = 0): this {
    for (const [i, broker] of brokers.entries()) {
      const file = logFile(this.world.disk(`b${broker}`), TOPIC, partition);
      const baseOffset = file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
      const stored: RecordBatch = { baseOffset, leaderEpoch, producerId: -1, producerEpoch: -1, baseSequence: -1, records: batch };
      file.append(stored);
      const role = i === 0 ? 'leader' : 'follower';
      this.kafka({ kind: 'log.append', broker, topic: TOPIC, partition, baseOffset, count: batch.length, leaderEpoch, role }, false);
    }
    return this;
  }

  hw(brokers: readonly number[], highWatermark: number, partition = 0): this {
    for (const broker of brokers) this.kafka({ kind: 'hw', broker, topic: TOPIC, partition, highWatermark }, false);
    return this;
  }

  /** Cuts the broker's log to end at `toOffset` (a straddling batch is cut) and records it. */
  truncate(broker: number, toOffset: number, highWatermark: number, reason: 'high-watermark' | 'leader-epoch' | 'power-loss' = 'leader-epoch', partition = 0): this {
    const file = logFile(this.world.disk(`b${broker}`), TOPIC, partition);
    const fromOffset = file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
    let keep = file.length;
    while (keep > 0 && file.at(keep - 1).baseOffset >= toOffset) keep -= 1;
    const straddling = keep > 0 ? file.at(keep - 1) : null;
    file.truncate(keep);
    if (straddling !== null && nextOffset(straddling) > toOffset) {
      file.truncate(keep - 1);
      file.append({ ...straddling, records: straddling.records.slice(0, toOffset - straddling.baseOffset) });
    }
    return this.kafka({ kind: 'truncate', broker, topic: TOPIC, partition, fromOffset, toOffset, highWatermark, reason }, true);
  }

  election(leader: number, leaderEpoch: number, isr: number[], options: { unclean?: boolean; partition?: number } = {}): this {
    const partition = options.partition ?? 0;
    const unclean = options.unclean ?? false;
    const reason = leaderEpoch === 1 ? 'new-topic' : 'broker-failure';
    this.kafka({ kind: 'election', controller: 1, controllerEpoch: 1, topic: TOPIC, partition, leader, leaderEpoch, isr, unclean, reason }, true);
    return this.kafka({ kind: 'leader', broker: leader, topic: TOPIC, partition, leaderEpoch, isr }, true);
  }

  offline(isr: number[], partition = 0): this {
    return this.kafka({ kind: 'offline', controller: 2, topic: TOPIC, partition, isr }, true);
  }

  retry(producer: string, firstSeq: number, count: number, error: KafkaError, attempt = 1, partition = 0): this {
    return this.kafka({ kind: 'producer.retry', producer, topic: TOPIC, partition, firstSeq, count, error, attempt }, true);
  }

  /** A scripted kill, as the fault injector records it before it acts. */
  kill(broker: number): this {
    const node = `b${broker}`;
    this.world.record({ kind: 'fault', source: 'scripted', action: { kind: 'kill', node }, label: `kill ${node}` } satisfies FaultEvent);
    this.world.kill(node);
    return this;
  }

  restart(broker: number): this {
    this.world.restart(`b${broker}`);
    return this;
  }

  /** A scripted power loss; the broker's unflushed records are gone. */
  power(broker: number): this {
    const node = `b${broker}`;
    this.world.record({ kind: 'fault', source: 'scripted', action: { kind: 'power', node }, label: `power ${node}` } satisfies FaultEvent);
    this.world.powerLoss(node);
    return this;
  }

  flush(broker: number, partition = 0): this {
    logFile(this.world.disk(`b${broker}`), TOPIC, partition).flush();
    return this;
  }

  /** An event the log checker does not follow (kept). */
  other(event: ProcessEvent | KafkaEvent): this {
    this.world.record(event);
    return this;
  }

  finish(): CheckOutcome {
    return this.checker.finish();
  }
}

/** The stories of one anomaly, one string per line. */
export function stories(outcome: CheckOutcome, anomaly: string): string[][] {
  return outcome.instances.filter((i) => i.anomaly === anomaly).map((i) => i.story.map((line) => line.text));
}

/**
 * A large clean run for the memory bound: `producers` producers, each sending `perProducer`
 * messages in batches of 100 to its partition (of 3), replicated on b1..b3. The disks are
 * written first; `replay` then records the events (send, high watermarks, ack) batch by batch.
 */
export function syntheticRun(producers: number, perProducer: number): { cluster: Cluster; replay: () => void } {
  const batchSize = 100;
  const cluster = new Cluster({ partitions: 3 });
  for (let p = 0; p < 3; p++) cluster.election(1, 1, [1, 2, 3], { partition: p });
  const names = Array.from({ length: producers }, (_, i) => `p${i + 1}`);
  const batches = perProducer / batchSize;
  const disks = [1, 2, 3].map((b) => cluster.world.disk(`b${b}`));
  const logEnd = [0, 0, 0];
  for (let n = 0; n < batches; n++) {
    for (const [i, producer] of names.entries()) {
      const partition = i % 3;
      const batch: RecordBatch = {
        baseOffset: logEnd[partition]!, leaderEpoch: 1, producerId: -1, producerEpoch: -1, baseSequence: -1,
        records: records(producer, n * batchSize + 1, (n + 1) * batchSize),
      };
      logEnd[partition]! += batchSize;
      for (const disk of disks) logFile(disk, TOPIC, partition).append(batch);
    }
  }
  const replay = (): void => {
    const highWatermark = [0, 0, 0];
    for (let n = 0; n < batches; n++) {
      for (const [i, producer] of names.entries()) {
        const partition = i % 3;
        const first = n * batchSize + 1;
        const last = first + batchSize - 1;
        cluster.send(producer, first, last, partition);
        const offset = highWatermark[partition]!;
        highWatermark[partition] = offset + batchSize;
        cluster.hw([1, 2, 3], offset + batchSize, partition).ack(producer, first, last, offset, partition);
      }
    }
  };
  return { cluster, replay };
}
