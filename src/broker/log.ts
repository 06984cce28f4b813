// A partition's log on one broker: record batches on the broker's disk, the log end offset
// (LEO), the leader-epoch cache (KIP-101) and the flush policy. The log is the part of a
// broker that survives a crash; everything else is rebuilt from it, ZooKeeper and the leader.
import { invariant, type Disk, type DiskFile } from '../../sim/index.js';
import { logFile, nextOffset, tpKey, type RecordBatch } from '../kafka/records.js';

/** One entry of the leader-epoch cache: the first offset written in `epoch`. */
export interface EpochEntry {
  readonly epoch: number;
  readonly startOffset: number;
}

/** The answer to OffsetsForLeaderEpoch: the largest epoch ≤ the one asked, and where it ended. */
export interface EpochEndOffset {
  readonly leaderEpoch: number; // -1 when unknown (UNDEFINED_EPOCH)
  readonly endOffset: number; // -1 when unknown (UNDEFINED_EPOCH_OFFSET)
}

/** How a release line's epoch cache answers: an end offset alone (before 2.0), or the epoch too (KIP-279). */
export type EpochEndAnswer = 'end-offset' | 'epoch-and-end-offset';

export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1;
const UNDEFINED_EPOCH_END: EpochEndOffset = { leaderEpoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };

export interface FlushPolicy {
  readonly intervalMessages: number; // log.flush.interval.messages / flush.messages
  readonly intervalMs: number; // log.flush.interval.ms / flush.ms (Number.MAX_SAFE_INTEGER = never)
  /** Records per segment (segment.bytes at the model's record size); absent: one segment. */
  readonly segmentRecords?: number;
}

export class PartitionLog {
  readonly batches: DiskFile<RecordBatch>;
  private readonly epochs: DiskFile<EpochEntry>;
  private unflushedMessages = 0;
  private lastFlushUs: number;
  /**
   * Kafka's recovery point: the LEO at the log's last flush (fsync by Kafka, not the OS's
   * writeback). After an unclean shutdown the segments from the one holding it are recovered.
   */
  private recovery = 0;
  /** The LEO, kept as the log changes: only this object writes its file while its broker lives. */
  private logEnd: number;

  constructor(
    readonly topic: string,
    readonly partition: number,
    disk: Disk,
    private readonly flushPolicy: FlushPolicy,
    nowUs: number,
  ) {
    this.batches = logFile(disk, topic, partition);
    this.epochs = disk.file<EpochEntry>(`${tpKey(topic, partition)}/leader-epoch-checkpoint`);
    this.lastFlushUs = nowUs;
    this.logEnd = this.readEndOffset();
    this.repairEpochCache();
  }

  get logEndOffset(): number {
    return this.logEnd;
  }

  get recoveryPoint(): number {
    return this.recovery;
  }

  /**
   * The recovery point a loaded log starts with: its LEO after a clean shutdown, else the
   * checkpointed one, which recovery does not advance (Log.recoverLog, 2.8; LogLoader, 3.x).
   */
  loadRecoveryPoint(checkpointed: number, cleanShutdown: boolean): void {
    this.recovery = cleanShutdown ? this.logEnd : Math.min(checkpointed, this.logEnd);
  }

  private readEndOffset(): number {
    const length = this.batches.length;
    return length === 0 ? 0 : nextOffset(this.batches.at(length - 1));
  }

  /** The offset below which records survive a power loss. */
  get durableOffset(): number {
    const durable = this.batches.durableLength;
    return durable === 0 ? 0 : nextOffset(this.batches.at(durable - 1));
  }

  get latestEpoch(): number {
    const length = this.epochs.length;
    return length === 0 ? -1 : this.epochs.at(length - 1).epoch;
  }

  epochEntries(): readonly EpochEntry[] {
    return this.epochs.slice();
  }

  /** Appends a leader's batch: assigns offsets and the leader epoch. Returns the stored batch. */
  appendAsLeader(batch: RecordBatch, leaderEpoch: number, nowUs: number): RecordBatch {
    // Spelled out, in RecordBatch's field order: an object spread costs several times as much, per produce.
    // A transactional batch or marker keeps its flags; other batches keep their shape without them.
    const stored: RecordBatch = batch.isTransactional !== true
      ? { baseOffset: this.logEndOffset, leaderEpoch, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, records: batch.records }
      : batch.control === undefined
        ? { baseOffset: this.logEndOffset, leaderEpoch, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, records: batch.records, isTransactional: true }
        : { baseOffset: this.logEndOffset, leaderEpoch, producerId: batch.producerId, producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence, records: batch.records, isTransactional: true, control: batch.control };
    this.append(stored, nowUs);
    return stored;
  }

  /** Appends batches copied from the leader, offsets and epochs as they are. */
  appendAsFollower(batches: readonly RecordBatch[], nowUs: number): void {
    for (const batch of batches) {
      // The check before the call: its message closure is made only when it fails (per batch).
      if (batch.baseOffset !== this.logEndOffset) invariant(false, () => `${tpKey(this.topic, this.partition)}: follower append at ${batch.baseOffset}, LEO ${this.logEndOffset}`);
      this.append(batch, nowUs);
    }
  }

  /** Batches from `offset` on, at most `maxRecords` records (always at least one batch). */
  read(offset: number, maxRecords: number): RecordBatch[] {
    const out: RecordBatch[] = [];
    let index = this.indexOfOffset(offset);
    if (index < 0) return out;
    let records = 0;
    for (; index < this.batches.length && (out.length === 0 || records < maxRecords); index++) {
      const batch = this.batches.at(index);
      out.push(batch);
      records += batch.records.length;
    }
    return out;
  }

  /**
   * Truncates the log so that its end offset is at most `offset`. A batch that straddles the
   * offset is cut, so the LEO is exactly `offset` when the log was longer.
   */
  truncateTo(offset: number): void {
    if (offset >= this.logEndOffset) return;
    let index = this.batches.length - 1;
    while (index >= 0 && this.batches.at(index).baseOffset >= offset) index -= 1;
    const keep = index + 1;
    const straddling = index >= 0 ? this.batches.at(index) : null;
    this.batches.truncate(keep);
    if (straddling !== null && nextOffset(straddling) > offset) {
      this.batches.truncate(keep - 1);
      this.batches.append({ ...straddling, records: straddling.records.slice(0, offset - straddling.baseOffset) });
    }
    this.logEnd = this.readEndOffset();
    if (this.recovery > this.logEnd) this.recovery = this.logEnd; // Log.truncateTo
    // Epochs that start at or after the new end are gone with their records.
    this.truncateEpochsFromEnd(offset);
    this.unflushedMessages = 0;
  }

  /**
   * Drops the cached epochs that start at or after `endOffset` (LeaderEpochFileCache.truncateFromEnd).
   * Since 2.7 (KAFKA-10706) a truncation to the log end does this too, for an epoch cached at
   * election that got no records.
   */
  truncateEpochsFromEnd(endOffset: number): void {
    let epochs = this.epochs.length;
    while (epochs > 0 && this.epochs.at(epochs - 1).startOffset >= endOffset) epochs -= 1;
    if (epochs < this.epochs.length) {
      this.epochs.truncate(epochs);
      this.epochs.flush();
    }
  }

  /** Records that `epoch` starts at `startOffset` (the leader does this on election). */
  assignEpochStartOffset(epoch: number, startOffset: number): void {
    if (epoch <= this.latestEpoch) return;
    this.epochs.append({ epoch, startOffset });
    this.epochs.flush(); // Kafka writes the leader-epoch checkpoint file synchronously
  }

  /**
   * OffsetsForLeaderEpoch on this log (LeaderEpochFileCache.endOffsetFor): where `requested`
   * ended, that is the start offset of the first epoch after it, or the LEO for the latest
   * epoch; -1 where the cache cannot say (UNDEFINED_EPOCH_OFFSET).
   * - `end-offset` (0.11 to 1.1, OffsetsForLeaderEpoch v0): the offset alone, the epoch always
   *   UNDEFINED_EPOCH; -1 for UNDEFINED_EPOCH, an empty cache, an epoch below the first cached
   *   one or above the latest.
   * - `epoch-and-end-offset` (2.0.1 on, KIP-279 with KAFKA-7415): also the largest cached epoch
   *   ≤ `requested`; an epoch below the first cached one is answered with itself and the first
   *   epoch's start offset (the log before it is gone; a follower replicates from there); an
   *   epoch above the latest, or an empty cache, with -1 and -1. (2.0.0 answered -1 and -1 below
   *   the first too; no profile follows 2.0.0.)
   */
  endOffsetForEpoch(requested: number, answer: EpochEndAnswer): EpochEndOffset {
    const length = this.epochs.length;
    if (requested === UNDEFINED_EPOCH || length === 0) return UNDEFINED_EPOCH_END;
    const withEpoch = answer === 'epoch-and-end-offset';
    if (requested === this.epochs.at(length - 1).epoch) return { leaderEpoch: withEpoch ? requested : UNDEFINED_EPOCH, endOffset: this.logEndOffset };
    // The first cached epoch above the one asked: its start is where `requested` ended.
    let higher = length - 1;
    while (higher > 0 && this.epochs.at(higher - 1).epoch > requested) higher -= 1;
    const next = this.epochs.at(higher);
    if (next.epoch <= requested) return UNDEFINED_EPOCH_END; // above the latest cached epoch
    if (higher === 0) return withEpoch ? { leaderEpoch: requested, endOffset: next.startOffset } : UNDEFINED_EPOCH_END;
    return { leaderEpoch: withEpoch ? this.epochs.at(higher - 1).epoch : UNDEFINED_EPOCH, endOffset: next.startOffset };
  }

  /** The flusher's check (2.8 LogManager.flushDirtyLogs): flush.ms since the last flush; true when it flushed. */
  flushIfDueByTime(nowUs: number): boolean {
    if (this.unflushedMessages === 0 || nowUs - this.lastFlushUs < this.flushPolicy.intervalMs * 1000) return false;
    this.flush(nowUs);
    return true;
  }

  flush(nowUs: number): void {
    this.batches.flush();
    this.unflushedMessages = 0;
    this.lastFlushUs = nowUs;
    this.recovery = this.logEnd;
  }

  private append(batch: RecordBatch, nowUs: number): void {
    if (batch.leaderEpoch > this.latestEpoch) this.assignEpochStartOffset(batch.leaderEpoch, batch.baseOffset);
    const length = this.batches.length;
    const segment = this.flushPolicy.segmentRecords;
    const rolled = segment !== undefined && length > 0 && segmentOf(batch, segment) > segmentOf(this.batches.at(length - 1), segment);
    this.batches.append(batch);
    this.logEnd = nextOffset(batch);
    this.unflushedMessages += batch.records.length;
    // A batch that starts a new segment rolls the log, and Log.roll flushes the segments before
    // it (2.8 Log.roll, "flush-log"); ksim's file flushes whole, this batch with them.
    // Only the count is checked on append (2.8 Log.append: unflushedMessages >= flush.messages);
    // flush.ms is the flusher's (flushIfDueByTime).
    if (rolled || this.unflushedMessages >= this.flushPolicy.intervalMessages) this.flush(nowUs);
  }

  private indexOfOffset(offset: number): number {
    // Followers and consumers mostly read near the log's tail: look at the last few batches first.
    const length = this.batches.length;
    const tail = Math.max(0, length - 8);
    for (let index = length - 1; index >= tail; index--) {
      const batch = this.batches.at(index);
      if (offset >= batch.baseOffset) return offset < nextOffset(batch) ? index : -1;
    }
    // Batches are in offset order: binary search for the one holding `offset`.
    let low = 0;
    let high = tail - 1;
    while (low <= high) {
      const mid = (low + high) >> 1;
      const batch = this.batches.at(mid);
      if (offset < batch.baseOffset) high = mid - 1;
      else if (offset >= nextOffset(batch)) low = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** After a power loss the epoch cache may name offsets past the surviving log; drop those. */
  private repairEpochCache(): void {
    const end = this.logEndOffset;
    let keep = this.epochs.length;
    while (keep > 0 && this.epochs.at(keep - 1).startOffset > end) keep -= 1;
    if (keep < this.epochs.length) this.epochs.truncate(keep);
  }
}

/**
 * The segment a batch is in: ksim cuts segments at whole multiples of `segmentRecords`, by each
 * batch's base offset (Kafka cuts where the next batch would not fit in segment.bytes).
 */
function segmentOf(batch: RecordBatch, segmentRecords: number): number {
  return Math.floor(batch.baseOffset / segmentRecords);
}

/**
 * Records an unclean shutdown leaves to recover: every segment from the one holding the
 * recovery point to the log's end, whole (Log.recoverLog recovers logSegments(recoveryPoint,
 * ∞), the floor segment included, 0.10 to 3.9). Zero for an empty log.
 */
export function recordsToRecover(batches: DiskFile<RecordBatch>, recoveryPoint: number, segmentRecords: number | undefined): number {
  const length = batches.length;
  if (length === 0) return 0;
  const end = nextOffset(batches.at(length - 1));
  if (segmentRecords === undefined) return end - batches.at(0).baseOffset;
  // The batch holding the recovery point, or the last one when the point is at the end.
  let index = length - 1;
  while (index > 0 && batches.at(index).baseOffset > recoveryPoint) index -= 1;
  const segment = segmentOf(batches.at(index), segmentRecords);
  while (index > 0 && segmentOf(batches.at(index - 1), segmentRecords) === segment) index -= 1;
  return end - batches.at(index).baseOffset;
}
