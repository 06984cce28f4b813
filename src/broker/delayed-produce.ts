// The produce purgatory (Kafka's DelayedProduce, kept in a DelayedOperationPurgatory): an acks=all
// append waits here until the high watermark covers it, its partition's leadership is lost, or the
// request's timeout passes; then it is answered (the client's ProduceResponse, or the group
// coordinator's callback). Each hosted partition keeps the appends waiting on it (produceWaits).
import type { EventId } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { BrokerContext } from './context.js';
import type { Partition } from './partition.js';
import type { HostedPartition } from './replica-manager.js';

export type ProduceResult = { topic: string; partition: number; error: KafkaError; baseOffset: number; logStartOffset?: number };

/**
 * An acks=all append waiting in purgatory for the high watermark (DelayedProduce): a client's
 * Produce, or the group coordinator's own write to __consumer_offsets. `onComplete` answers it.
 */
export interface DelayedProduce {
  readonly results: ProduceResult[];
  pending: number;
  timer: EventId | null;
  done: boolean;
  readonly onComplete: (results: readonly ProduceResult[]) => void;
}

export interface ProduceWait {
  readonly produce: DelayedProduce;
  readonly index: number;
  readonly requiredOffset: number;
}

export class ProducePurgatory {
  constructor(
    private readonly ctx: BrokerContext,
    /** Every hosted partition: an expired produce leaves each one's waits. */
    private readonly hosted: ReadonlyMap<string, HostedPartition>,
    /** The partition's min.insync.replicas, as the replica manager counts it. */
    private readonly minIsr: (p: Partition) => number,
  ) {}

  /** Parks appends in the produce purgatory until the HW covers them, or the timeout. */
  delayProduce(results: ProduceResult[], waits: readonly { index: number; hosted: HostedPartition; requiredOffset: number }[], timeoutMs: number, onComplete: DelayedProduce['onComplete']): void {
    const delayed: DelayedProduce = { results, pending: waits.length, timer: null, done: false, onComplete };
    for (const wait of waits) wait.hosted.produceWaits.push({ produce: delayed, index: wait.index, requiredOffset: wait.requiredOffset });
    delayed.timer = this.ctx.env.setTimer(timeoutMs * 1000, () => this.expireProduce(delayed));
    for (const wait of waits) this.completeProduceWaits(wait.hosted);
  }

  /** Answers every waiting produce the high watermark now covers (DelayedProduce.tryComplete). */
  completeProduceWaits(hosted: HostedPartition): void {
    const p = hosted.partition;
    if (hosted.produceWaits.length === 0) return;
    const minIsr = this.minIsr(p);
    const inSync = p.isrSizeAfterAppend(this.ctx.behaviour);
    const still: ProduceWait[] = [];
    for (const wait of hosted.produceWaits) {
      if (wait.produce.done) continue;
      if (p.highWatermark < wait.requiredOffset) {
        still.push(wait);
        continue;
      }
      // Replicated, but by fewer than min.insync.replicas: the write stays, the producer is told.
      const error: KafkaError = inSync < minIsr ? 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' : 'NONE';
      this.settleProduceWait(wait, error);
    }
    hosted.produceWaits = still;
  }

  private settleProduceWait(wait: ProduceWait, error: KafkaError): void {
    const produce = wait.produce;
    const result = produce.results[wait.index]!;
    // Spelled out: an object spread costs several times as much, once per acks=all partition.
    produce.results[wait.index] = { topic: result.topic, partition: result.partition, error, baseOffset: error === 'NONE' ? result.baseOffset : -1 };
    produce.pending -= 1;
    if (produce.pending === 0) this.respondProduce(produce);
  }

  private expireProduce(produce: DelayedProduce): void {
    if (produce.done) return;
    produce.timer = null;
    for (const hosted of this.hosted.values()) {
      for (const wait of hosted.produceWaits) if (wait.produce === produce && !produce.done) this.settleProduceWait(wait, 'REQUEST_TIMED_OUT');
      hosted.produceWaits = hosted.produceWaits.filter((w) => w.produce !== produce);
    }
  }

  private respondProduce(produce: DelayedProduce): void {
    produce.done = true;
    if (produce.timer !== null) this.ctx.env.cancelTimer(produce.timer);
    produce.onComplete(produce.results);
  }

  /** Leadership lost: every waiting produce of the partition fails with NOT_LEADER_OR_FOLLOWER. */
  failProduceWaits(hosted: HostedPartition): void {
    const waits = hosted.produceWaits;
    hosted.produceWaits = [];
    for (const wait of waits) if (!wait.produce.done) this.settleProduceWait(wait, 'NOT_LEADER_OR_FOLLOWER');
  }
}
