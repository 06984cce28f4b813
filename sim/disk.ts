// A node's disk. It belongs to the machine, not the process: a process crash (kill) keeps
// everything written, since the OS page cache survives; a power loss keeps only what a flush
// (fsync) made durable. Records are stored as values; a process must not mutate a record after
// appending it, exactly as it cannot change bytes it already wrote.
import type { Scheduler } from './scheduler.js';

export class DiskFile<T> {
  private readonly records: T[] = [];
  private durable = 0;
  private flushEpoch = 0; // a power loss invalidates flushes still in flight
  private lengthSamples: { atUs: number; length: number }[] = []; // for the OS writeback

  constructor(
    readonly name: string,
    private readonly disk: Disk,
  ) {}

  /** Records written, durable or not (what a process reads back). */
  get length(): number {
    return this.records.length;
  }

  /** Records that survive a power loss. */
  get durableLength(): number {
    return this.durable;
  }

  at(index: number): T {
    if (index < 0 || index >= this.records.length) throw new Error(`disk: ${this.name}[${index}] is outside 0..${this.records.length - 1}`);
    return this.records[index]!;
  }

  /** Records in [start, end). */
  slice(start = 0, end = this.records.length): readonly T[] {
    return this.records.slice(start, end);
  }

  append(record: T): void {
    this.records.push(record);
  }

  /** Drops records from `length` on, in the page cache and on the durable disk alike. */
  truncate(length: number): void {
    if (length < 0 || length > this.records.length) throw new Error(`disk: truncate ${this.name} to ${length} of ${this.records.length}`);
    this.records.length = length;
    if (this.durable > length) this.durable = length;
  }

  /** Replaces the whole content (a checkpoint file); durable only after the next flush. */
  overwrite(records: readonly T[]): void {
    this.truncate(0);
    for (const record of records) this.records.push(record);
  }

  /**
   * Makes everything written so far durable, now or, on a slow disk, after the disk's write
   * latency. Returns that latency in µs so the caller can wait for it with a timer.
   */
  flush(): number {
    const latencyUs = this.disk.writeLatencyUs;
    const target = this.records.length;
    if (latencyUs === 0) {
      this.durable = target;
      return 0;
    }
    const epoch = this.flushEpoch;
    this.disk.scheduler.after(latencyUs, () => {
      if (epoch !== this.flushEpoch) return;
      // Records truncated meanwhile cannot become durable.
      this.durable = Math.max(this.durable, Math.min(target, this.records.length));
    }, undefined);
    return latencyUs;
  }

  /** Power loss: the unflushed tail is gone, and so are flushes still in flight. */
  loseUnflushed(): void {
    this.records.length = this.durable;
    this.flushEpoch += 1;
    this.lengthSamples = [];
  }

  /** The OS writes back what has been dirty for `expireUs`: what the file held that long ago. */
  writeBack(nowUs: number, expireUs: number): void {
    this.lengthSamples.push({ atUs: nowUs, length: this.records.length });
    let due = -1;
    while (this.lengthSamples.length > 0 && this.lengthSamples[0]!.atUs <= nowUs - expireUs) due = this.lengthSamples.shift()!.length;
    if (due > this.durable) this.durable = Math.min(due, this.records.length);
  }
}

export class Disk {
  private readonly files = new Map<string, DiskFile<unknown>>();
  writeLatencyUs = 0;

  constructor(
    readonly node: string,
    readonly scheduler: Scheduler,
  ) {}

  /** The file called `name`, created empty on first use. */
  file<T>(name: string): DiskFile<T> {
    let file = this.files.get(name);
    if (file === undefined) {
      file = new DiskFile<unknown>(name, this);
      this.files.set(name, file);
    }
    return file as DiskFile<T>;
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  fileNames(): string[] {
    return [...this.files.keys()].sort();
  }

  delete(name: string): void {
    this.files.delete(name);
  }

  /** Every file loses its unflushed records. */
  powerLoss(): void {
    for (const file of this.files.values()) file.loseUnflushed();
  }

  /** One pass of the OS flusher thread over every file. */
  writeBack(nowUs: number, expireUs: number): void {
    for (const file of this.files.values()) file.writeBack(nowUs, expireUs);
  }
}
