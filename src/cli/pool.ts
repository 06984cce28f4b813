// Runs jobs on worker threads, or in-process for one worker, one run, or run options. Whatever the worker
// count and whichever worker finishes first, `deliver` sees the outcomes in job order, so what
// the CLI prints and its exit code depend only on the jobs.
//
// Two extras for CI: `twice` runs every job a second time (on another worker thread when there
// are several) so the caller can compare trace hashes; `signal` stops the run early (Ctrl-C, SIGTERM):
// workers are terminated, and outcomes not yet delivered in order are dropped.
import { threadId, Worker } from 'node:worker_threads';
import { runJob, type Job, type JobOutcome } from './run-job.js';
import type { RunOptions } from '../runner/index.js';

/** The second run of a job under `twice`, and the threads the two runs used (0 is the main thread). */
export interface Rerun {
  readonly outcome: JobOutcome;
  readonly threads: readonly [number, number];
}

export type Deliver = (job: Job, outcome: JobOutcome, rerun: Rerun | null) => void;

export interface PoolOptions {
  readonly twice?: boolean;
  readonly signal?: AbortSignal;
}

export interface PoolResult {
  /** Jobs delivered (all of them unless the signal stopped the run). */
  readonly delivered: number;
  readonly interrupted: boolean;
}

/** Hands outcomes on in job-index order, holding back the ones that finished early. */
class InOrder {
  private next = 0;
  private readonly early = new Map<number, { job: Job; outcome: JobOutcome; rerun: Rerun | null }>();

  constructor(private readonly deliver: Deliver) {}

  get delivered(): number {
    return this.next;
  }

  add(job: Job, outcome: JobOutcome, rerun: Rerun | null): void {
    this.early.set(job.index, { job, outcome, rerun });
    for (let ready = this.early.get(this.next); ready !== undefined; ready = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.next += 1;
      this.deliver(ready.job, ready.outcome, ready.rerun);
    }
  }
}

export async function runJobs(jobs: readonly Job[], workers: number, deliver: Deliver, options: RunOptions = {}, pool: PoolOptions = {}): Promise<PoolResult> {
  jobs.forEach((job, position) => {
    if (job.index !== position) throw new Error(`job ${position} has index ${job.index}: indexes must be 0..n-1 in order`);
  });
  const twice = pool.twice === true;
  const runs = jobs.length * (twice ? 2 : 1);
  // Run options (a trace file, an observer) reach in-process runs only; the CLI asks for them
  // only for a single run.
  const inProcess = workers <= 1 || runs <= 1 || Object.keys(options).length > 0;
  if (inProcess) return runInProcess(jobs, deliver, options, pool);
  return runOnWorkers(jobs, Math.min(workers, runs), new InOrder(deliver), twice, pool.signal);
}

async function runInProcess(jobs: readonly Job[], deliver: Deliver, options: RunOptions, pool: PoolOptions): Promise<PoolResult> {
  let delivered = 0;
  for (const job of jobs) {
    if (pool.signal?.aborted === true) return { delivered, interrupted: true };
    const outcome = runJob(job, options);
    // A fresh run of the same job: the model keeps no module-level state, so nothing carries over.
    const rerun: Rerun | null = pool.twice === true ? { outcome: runJob(job), threads: [threadId, threadId] } : null;
    deliver(job, outcome, rerun);
    delivered += 1;
    // Runs are synchronous: give a signal handler (Ctrl-C, SIGTERM) its turn between them.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { delivered, interrupted: pool.signal?.aborted === true && delivered < jobs.length };
}

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

/** One run of a job: its first, or (under `twice`) its second, kept off the first one's worker. */
interface Task {
  readonly job: Job;
  readonly first: { readonly outcome: JobOutcome; readonly thread: number } | null;
}

interface Slot {
  readonly worker: Worker;
  readonly thread: number;
  task: Task | null; // the run in flight on this worker
  alive: boolean;
}

function runOnWorkers(jobs: readonly Job[], count: number, inOrder: InOrder, twice: boolean, signal: AbortSignal | undefined): Promise<PoolResult> {
  return new Promise((resolve, reject) => {
    const pool = new Pool(jobs, inOrder, twice, resolve, reject);
    if (signal !== undefined) {
      if (signal.aborted) return pool.interrupt();
      signal.addEventListener('abort', () => pool.interrupt(), { once: true });
    }
    for (let i = 0; i < count; i += 1) pool.spawn();
  });
}

/** One run in flight per worker: runs are long and CPU-bound, so a deeper queue gains nothing. */
class Pool {
  private readonly slots: Slot[] = [];
  private readonly reruns: Task[] = []; // second runs waiting for a worker other than their first's
  private next = 0; // the first job not yet handed to a worker
  private done = 0;
  private closing = false;

  constructor(
    private readonly jobs: readonly Job[],
    private readonly inOrder: InOrder,
    private readonly twice: boolean,
    private readonly resolve: (result: PoolResult) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  spawn(): void {
    const worker = new Worker(WORKER_URL);
    const slot: Slot = { worker, thread: worker.threadId, task: null, alive: true };
    this.slots.push(slot);
    worker.on('message', (reply: unknown) => {
      const task = this.take(slot);
      if (task !== null) this.settle(task, outcomeOf(reply), slot.thread);
      this.feedIdle();
    });
    worker.on('error', (error: Error) => {
      const task = this.take(slot);
      if (task !== null) this.settle(task, bug(`the worker thread failed: ${error.message}`, error.stack ?? null), slot.thread);
    });
    worker.on('exit', (code: number) => this.exited(slot, code));
    this.feed(slot);
  }

  interrupt(): void {
    if (this.closing) return;
    this.close();
    this.resolve({ delivered: this.inOrder.delivered, interrupted: true });
  }

  /** Second runs first (so results complete in order and little is held), then the next job. A
   * second run waits for a worker other than its first's, unless no other worker is left. */
  private feed(slot: Slot): void {
    if (this.closing || !slot.alive || slot.task !== null) return;
    const othersAlive = this.slots.some((other) => other !== slot && other.alive);
    const rerun = this.reruns.findIndex((task) => task.first?.thread !== slot.thread || !othersAlive);
    let task: Task | undefined;
    if (rerun >= 0) task = this.reruns.splice(rerun, 1)[0];
    else if (this.next < this.jobs.length) {
      const job = this.jobs[this.next];
      this.next += 1;
      if (job !== undefined) task = { job, first: null };
    }
    if (task === undefined) return;
    slot.task = task;
    slot.worker.postMessage(task.job);
  }

  private feedIdle(): void {
    for (const slot of this.slots) this.feed(slot);
  }

  private take(slot: Slot): Task | null {
    const task = slot.task;
    slot.task = null;
    return task;
  }

  /** A run is over: without `twice`, its job is done; with it, the first run queues the second. */
  private settle(task: Task, outcome: JobOutcome, thread: number): void {
    if (!this.twice) return this.finish(task.job, outcome, null);
    if (task.first === null) {
      this.reruns.push({ job: task.job, first: { outcome, thread } });
      return;
    }
    this.finish(task.job, task.first.outcome, { outcome, threads: [task.first.thread, thread] });
  }

  /** A worker gone for good (its run called process.exit, or it ran out of memory): the run it
   * held, and, once no worker is left, the runs never started, are reported as simulator bugs. */
  private exited(slot: Slot, code: number): void {
    slot.alive = false;
    if (this.closing) return;
    const task = this.take(slot);
    if (task !== null) this.settle(task, bug(`the worker thread exited (code ${code}) during this run`, null), slot.thread);
    if (this.slots.some((other) => other.alive)) {
      this.feedIdle(); // a second run that was waiting for another worker may now take any
      return;
    }
    const none = bug('no worker thread was left to run this seed', null);
    while (!this.closing && (this.reruns.length > 0 || this.next < this.jobs.length)) {
      const waiting = this.reruns.shift();
      if (waiting !== undefined) {
        this.settle(waiting, none, -1);
        continue;
      }
      const unstarted = this.jobs[this.next];
      this.next += 1;
      if (unstarted !== undefined) this.settle({ job: unstarted, first: null }, none, -1);
    }
  }

  // A throw from the consumer (say, a report folder that cannot be written) must reach the
  // caller, not surface as an uncaught exception inside a worker event handler.
  private finish(job: Job, outcome: JobOutcome, rerun: Rerun | null): void {
    if (this.closing) return;
    try {
      this.inOrder.add(job, outcome, rerun);
    } catch (error) {
      this.close();
      this.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.done += 1;
    if (this.done === this.jobs.length) {
      this.close();
      this.resolve({ delivered: this.inOrder.delivered, interrupted: false });
    }
  }

  private close(): void {
    this.closing = true;
    for (const slot of this.slots) void slot.worker.terminate();
  }
}

function bug(message: string, stack: string | null): JobOutcome {
  return { kind: 'bug', message, stack };
}

function outcomeOf(reply: unknown): JobOutcome {
  if (typeof reply === 'object' && reply !== null && 'outcome' in reply) {
    const outcome = (reply as { outcome: unknown }).outcome;
    if (typeof outcome === 'object' && outcome !== null && 'kind' in outcome) return outcome as JobOutcome;
  }
  return { kind: 'bug', message: 'the worker thread sent a malformed reply', stack: null };
}
