// The producer's RecordAccumulator
// (clients/src/main/java/org/apache/kafka/clients/producer/internals/RecordAccumulator.java, read
// at 2.8.2, and 2.0.1 for the expiry before delivery.timeout.ms), with its BufferPool and
// IncompleteBatches: per partition a queue of batches up to batch.size, the memory they hold
// (buffer.memory), which brokers have a batch ready to send (ready: full, linger.ms passed, memory
// exhausted, or closing; not while a retry backs off), and what goes into one Produce request
// (drain: one batch per partition, up to max.request.size). A batch leaves its queue when it is
// drained and comes back to the front when the Sender retries it (reenqueue).
import type { KafkaRecord } from '../../kafka/records.js';
import { NEVER_US as NEVER, type ProducerSettings } from '../producer-config.js';
import type { Connection } from './network-client.js';
import { BATCH_OVERHEAD_BYTES, Batch } from './producer-batch.js';
import type { PartitionState } from './producer-metadata.js';
import type { TransactionManager } from './transaction-manager.js';

/** "Never" as a time; a module constant (an imported binding can cost a getter call per use under tsx). */
const NEVER_US = NEVER;

export class RecordAccumulator {
  /**
   * A send() waits for buffer.memory (BufferPool.queued() > 0): every partition counts as ready.
   * Set when a new batch finds no room; the KafkaProducer clears it once no send waits.
   */
  memoryExhausted = false;
  /** Set by ready(): a partition with batches has no known leader (ReadyCheckResult.unknownLeaderTopics). */
  unknownLeader = false;
  /** Filled by expiredBatches() (before 2.1), in the order they expired; the Sender fails and empties it. */
  readonly expired: Batch[] = [];
  /** BufferPool: bytes held by the batches not done. */
  private allocatedBytes = 0;
  /** close(): every partition counts as ready; linger.ms no longer waits. */
  private closed = false;
  /** beginFlush (commitTransaction): every partition counts as ready until the flush ends. */
  flushing = false;
  /** IncompleteBatches: every batch not done, in creation order (so the oldest is first), from `head`. */
  private readonly incomplete: Batch[] = [];
  private head = 0;
  private readonly batchSize: number;

  constructor(
    private readonly settings: ProducerSettings,
    /** The metadata's partitions: each one's queue is the accumulator's. */
    private readonly partitions: readonly PartitionState[],
    private readonly transactions: TransactionManager,
  ) {
    this.batchSize = settings.batchSizeBytes;
  }

  // ---------------------------------------------------------------- append

  /** The partition's last batch if a record of `bytes` fits in it; closes it for appends if not (tryAppend). */
  tryAppend(state: PartitionState, bytes: number): Batch | null {
    const last = state.queue[state.queue.length - 1];
    if (last === undefined || !last.appendable) return null;
    if (last.records.length === 0 || last.bytes + bytes <= this.batchSize) return last;
    last.appendable = false; // closeForRecordAppends
    return null;
  }

  /** A new batch at the end of the partition's queue, for a first record of `bytes`; null when buffer.memory has no room. */
  newBatch(state: PartitionState, bytes: number, now: number): Batch | null {
    // BufferPool: each batch takes max(batch.size, its first record) bytes until it completes.
    const allocated = Math.max(this.batchSize, BATCH_OVERHEAD_BYTES + bytes);
    if (this.allocatedBytes + allocated > this.settings.bufferMemoryBytes) {
      this.memoryExhausted = true;
      return null;
    }
    this.allocatedBytes += allocated;
    const batch = new Batch(state, now, allocated);
    state.queue.push(batch);
    this.compactIncomplete();
    this.incomplete.push(batch);
    return batch;
  }

  /** ProducerBatch.tryAppend: the record joins the batch; a batch of batch.size bytes or more is full. */
  append(batch: Batch, record: KafkaRecord, bytes: number, now: number): void {
    batch.records.push(record);
    batch.bytes += bytes;
    batch.lastAppendUs = now;
    if (batch.bytes >= this.batchSize) batch.appendable = false;
  }

  /** RecordAccumulator.close: the producer is closing; whatever is buffered is sent without waiting. */
  close(): void {
    this.closed = true;
  }

  // ---------------------------------------------------------------- ready and drain

  /**
   * RecordAccumulator.ready: marks with `pass` the connection of each broker leading a partition
   * whose first batch may go now (full, linger.ms passed, memory exhausted, or closing, and not
   * backing off); sets `unknownLeader`. Returns when the next partition not ready yet would be.
   */
  ready(now: number, pass: number): number {
    let nextCheckUs = NEVER_US;
    let unknownLeader = false;
    const exhausted = this.memoryExhausted || this.closed || this.flushing;
    const partitions = this.partitions;
    for (let i = 0; i < partitions.length; i++) {
      const state = partitions[i]!;
      const head = state.queue[0];
      if (head === undefined) continue;
      const connection = state.connection;
      if (connection === null) {
        unknownLeader = true;
        continue;
      }
      if (connection.readyPass === pass || state.muted) continue;
      const backingOff = this.backingOff(head, state, now);
      const waitUs = backingOff ? head.backoffUs : this.settings.lingerUs;
      const full = state.queue.length > 1 || !head.appendable;
      const expired = now - head.lastAttemptUs >= waitUs;
      if ((full || expired || exhausted) && !backingOff) connection.readyPass = pass;
      else nextCheckUs = Math.min(nextCheckUs, head.lastAttemptUs + waitUs);
    }
    this.unknownLeader = unknownLeader;
    return nextCheckUs;
  }

  /**
   * RecordAccumulator.drainBatchesForOneNode: at most one batch per partition, up to
   * max.request.size, from the broker's own drain index, left at the partition where the drain
   * stopped (3.3+, KAFKA-13834; before, one index over every broker, moved past that partition:
   * not modelled, every profile drains the 3.3 way).
   */
  drain(connection: Connection, now: number): Batch[] {
    const parts = connection.partitions;
    const batches: Batch[] = [];
    if (parts.length === 0) return batches;
    let size = 0;
    let index = connection.drainIndex % parts.length;
    const start = index;
    do {
      const state = parts[index]!;
      connection.drainIndex = index;
      index = (index + 1) % parts.length;
      if (state.muted) continue;
      const first = state.queue[0];
      if (first === undefined || this.backingOff(first, state, now)) continue;
      if (size + first.bytes > this.settings.maxRequestSizeBytes && batches.length > 0) break;
      if (this.settings.idempotence && this.transactions.shouldStopDrain(first)) break; // also isSendToPartitionAllowed
      state.queue.shift();
      first.queued = false;
      if (this.settings.idempotence) this.transactions.assignSequence(first);
      first.appendable = false;
      first.sequenceReset = false; // ProducerBatch.close()
      size += first.bytes;
      batches.push(first);
    } while (index !== start);
    return batches;
  }

  private backingOff(batch: Batch, state: PartitionState, now: number): boolean {
    if (batch.attempts === 0 || now - batch.lastAttemptUs >= batch.backoffUs) return false;
    // KIP-951: a retry to a new leader does not wait out its backoff.
    return !(this.settings.skipBackoffOnLeaderChange && state.leaderEpoch > batch.retryLeaderEpoch);
  }

  /** RecordAccumulator.reenqueue: back to the front of the queue (in sequence order when idempotent), to wait `backoffUs`. */
  reenqueue(batch: Batch, now: number, backoffUs: number): void {
    const state = batch.partition;
    batch.attempts += 1;
    batch.lastAttemptUs = now;
    batch.backoffUs = backoffUs;
    batch.retryLeaderEpoch = state.leaderEpoch;
    batch.queued = true;
    if (this.settings.idempotence && batch.baseSequence >= 0) {
      let at = 0;
      while (at < state.queue.length && state.queue[at]!.baseSequence >= 0 && state.queue[at]!.baseSequence < batch.baseSequence) at += 1;
      state.queue.splice(at, 0, batch);
    } else {
      state.queue.unshift(batch);
    }
  }

  // ---------------------------------------------------------------- expiry and completion

  /**
   * Before 2.1 (RecordAccumulator.expiredBatches, ProducerBatch.maybeExpire, 0.10.2 to 2.0), after
   * each drain: a batch waiting in a partition's queue expires once it has waited request.timeout.ms
   * since its last append (if full), since its creation plus linger.ms, or, for a retry, since its
   * last attempt plus retry.backoff.ms; the first that has not expired stops its partition. A
   * batch in flight never expires (its request times out instead), and with
   * max.in.flight.requests.per.connection=1 nothing of a partition with a batch in flight does.
   * The expired batches leave their queues for `expired`, for the Sender to fail. Returns when
   * the next batch would expire.
   */
  expiredBatches(now: number): number {
    const timeoutUs = this.settings.requestTimeoutUs;
    let nextUs = NEVER_US;
    for (const state of this.partitions) {
      if (state.muted) continue;
      const queue = state.queue;
      while (queue.length > 0) {
        const batch = queue[0]!;
        let sinceUs: number;
        if (batch.attempts > 0) sinceUs = batch.lastAttemptUs + this.settings.retryBackoffUs;
        else {
          sinceUs = batch.createdUs + this.settings.lingerUs;
          if (batch !== queue[queue.length - 1] || !batch.appendable) sinceUs = Math.min(sinceUs, batch.lastAppendUs);
        }
        // Kafka's test is requestTimeoutMs < elapsed: strictly longer than the timeout.
        if (now - sinceUs <= timeoutUs) {
          nextUs = Math.min(nextUs, sinceUs + timeoutUs + 1);
          break;
        }
        queue.shift();
        batch.queued = false;
        this.expired.push(batch);
      }
    }
    return nextUs;
  }

  /**
   * The batch is done (ProducerBatch.done, then RecordAccumulator.deallocate): closed, its memory
   * back in the pool, out of the incomplete batches, and out of its queue if it failed there
   * (delivery.timeout.ms, or a fatal error).
   */
  deallocate(batch: Batch): void {
    batch.done = true;
    batch.appendable = false;
    this.allocatedBytes -= batch.allocatedBytes;
    const state = batch.partition;
    if (batch.queued) {
      state.queue.splice(state.queue.indexOf(batch), 1);
      batch.queued = false;
    }
    const incomplete = this.incomplete;
    while (this.head < incomplete.length && incomplete[this.head]!.done) this.head += 1;
  }

  /** RecordAccumulator.hasIncomplete: a batch is not done yet. */
  hasIncomplete(): boolean {
    return this.head < this.incomplete.length;
  }

  /** The batches not done and some done since (skip those), oldest first: the array, from index `incompleteHead`. */
  get incompleteBatches(): readonly Batch[] {
    return this.incomplete;
  }

  get incompleteHead(): number {
    return this.head;
  }

  /** Drops the done batches at the head of the incomplete list once they are many. */
  compactIncomplete(): void {
    if (this.head > 1024 && this.head * 2 > this.incomplete.length) {
      this.incomplete.splice(0, this.head);
      this.head = 0;
    }
  }
}
