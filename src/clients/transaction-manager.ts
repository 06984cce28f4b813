// The idempotent producer's state: the half of Kafka's TransactionManager that a producer
// without transactions uses (clients/.../producer/internals/TransactionManager.java): the
// producer id and epoch, and per partition the next sequence number and the batches that hold
// one and are not done yet.
import type { Batch, PartitionQueue } from './producer-batch.js';

/** One partition's sequence bookkeeping (TxnPartitionEntry). */
interface TxnPartitionEntry {
  nextSequence: number;
  /** Batches holding a sequence number that are not done, in sequence order. */
  readonly inflight: Batch[];
}

export class TransactionManager {
  producerId = -1;
  producerEpoch = -1;
  /** A batch failed for good: start over with a new producer id. */
  resetPending = false;
  private readonly entries: TxnPartitionEntry[] = [];

  private entry(partition: number): TxnPartitionEntry {
    while (this.entries.length <= partition) this.entries.push({ nextSequence: 0, inflight: [] });
    return this.entries[partition]!;
  }

  /** No producer id yet, or a new one is due: the sender asks for one before it drains. */
  needsProducerId(): boolean {
    return this.producerId < 0 || this.resetPending;
  }

  /**
   * RecordAccumulator.shouldStopDrainBatchesForPartition: a retried batch (it has a sequence)
   * goes out only as the partition's first unacknowledged sequence, which brings the partition
   * down to one batch in flight until the retries are through.
   */
  shouldStopDrain(first: Batch): boolean {
    if (first.baseSequence < 0) return false;
    const oldest = this.entry(first.partition.id).inflight[0];
    return oldest !== undefined && oldest !== first;
  }

  /** A drained batch without a sequence gets the producer id, epoch and the partition's next sequence. */
  assignSequence(batch: Batch): void {
    if (batch.baseSequence >= 0) return;
    const entry = this.entry(batch.partition.id);
    batch.producerId = this.producerId;
    batch.producerEpoch = this.producerEpoch;
    batch.baseSequence = entry.nextSequence;
    entry.nextSequence += batch.records.length;
    entry.inflight.push(batch);
  }

  /** The batch is done (acknowledged or failed): it no longer holds a sequence. */
  removeInFlightBatch(batch: Batch): void {
    if (batch.baseSequence < 0) return;
    const inflight = this.entry(batch.partition.id).inflight;
    const at = inflight.indexOf(batch);
    if (at >= 0) inflight.splice(at, 1);
  }

  /** A new producer id: every partition starts again at sequence 0, queued retries included. */
  setProducerIdAndEpoch(producerId: number, producerEpoch: number, partitions: readonly PartitionQueue[]): void {
    this.producerId = producerId;
    this.producerEpoch = producerEpoch;
    if (!this.resetPending) return;
    this.resetPending = false;
    for (const state of partitions) {
      const entry = this.entry(state.id);
      entry.nextSequence = 0;
      entry.inflight.length = 0;
      for (const batch of state.queue) batch.baseSequence = -1;
    }
  }
}
