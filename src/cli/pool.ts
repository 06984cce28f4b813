// Runs jobs on worker threads, or in-process for one worker or one job. Whatever the worker
// count and whichever worker finishes first, `deliver` sees the outcomes in job order, so what
// the CLI prints and its exit code depend only on the jobs.
import { Worker } from 'node:worker_threads';
import { runJob, type Job, type JobOutcome } from './run-job.js';
import type { RunOptions } from '../runner/index.js';

export type Deliver = (job: Job, outcome: JobOutcome) => void;

/** Hands outcomes on in job-index order, holding back the ones that finished early. */
class InOrder {
  private next = 0;
  private readonly early = new Map<number, { job: Job; outcome: JobOutcome }>();

  constructor(private readonly deliver: Deliver) {}

  add(job: Job, outcome: JobOutcome): void {
    this.early.set(job.index, { job, outcome });
    for (let ready = this.early.get(this.next); ready !== undefined; ready = this.early.get(this.next)) {
      this.early.delete(this.next);
      this.next += 1;
      this.deliver(ready.job, ready.outcome);
    }
  }
}

export async function runJobs(jobs: readonly Job[], workers: number, deliver: Deliver, options: RunOptions = {}): Promise<void> {
  jobs.forEach((job, position) => {
    if (job.index !== position) throw new Error(`job ${position} has index ${job.index}: indexes must be 0..n-1 in order`);
  });
  if (workers <= 1 || jobs.length <= 1) {
    for (const job of jobs) deliver(job, runJob(job, options));
    return;
  }
  await runOnWorkers(jobs, Math.min(workers, jobs.length), new InOrder(deliver));
}

const WORKER_URL = new URL('./worker.mjs', import.meta.url);

interface Slot {
  readonly worker: Worker;
  job: Job | null; // the job in flight on this worker
}

function runOnWorkers(jobs: readonly Job[], count: number, inOrder: InOrder): Promise<void> {
  return new Promise((resolve, reject) => {
    const pool = new Pool(jobs, inOrder, resolve, reject);
    for (let i = 0; i < count; i += 1) pool.spawn();
  });
}

/** One job in flight per worker: runs are long and CPU-bound, so a deeper queue gains nothing. */
class Pool {
  private readonly slots: Slot[] = [];
  private next = 0; // the first job not yet handed to a worker
  private done = 0;
  private alive = 0;
  private closing = false;

  constructor(
    private readonly jobs: readonly Job[],
    private readonly inOrder: InOrder,
    private readonly resolve: () => void,
    private readonly reject: (error: Error) => void,
  ) {}

  spawn(): void {
    const slot: Slot = { worker: new Worker(WORKER_URL), job: null };
    this.slots.push(slot);
    this.alive += 1;
    slot.worker.on('message', (reply: unknown) => {
      const job = this.take(slot);
      if (job !== null) this.finish(job, outcomeOf(reply));
      this.feed(slot);
    });
    slot.worker.on('error', (error: Error) => {
      const job = this.take(slot);
      if (job !== null) this.finish(job, bug(`the worker thread failed: ${error.message}`, error.stack ?? null));
    });
    slot.worker.on('exit', (code: number) => this.exited(slot, code));
    this.feed(slot);
  }

  private feed(slot: Slot): void {
    const job = this.jobs[this.next];
    if (job === undefined || this.closing) return;
    this.next += 1;
    slot.job = job;
    slot.worker.postMessage(job);
  }

  private take(slot: Slot): Job | null {
    const job = slot.job;
    slot.job = null;
    return job;
  }

  /** A worker gone for good (its run called process.exit, or it ran out of memory): the jobs it
   * held, and, once no worker is left, the jobs never started, are reported as simulator bugs. */
  private exited(slot: Slot, code: number): void {
    this.alive -= 1;
    if (this.closing) return;
    const job = this.take(slot);
    if (job !== null) this.finish(job, bug(`the worker thread exited (code ${code}) during this run`, null));
    if (this.alive > 0) return;
    while (this.next < this.jobs.length && !this.closing) {
      const unstarted = this.jobs[this.next];
      this.next += 1;
      if (unstarted !== undefined) this.finish(unstarted, bug('no worker thread was left to run this seed', null));
    }
  }

  // A throw from the consumer (say, a report folder that cannot be written) must reach the
  // caller, not surface as an uncaught exception inside a worker event handler.
  private finish(job: Job, outcome: JobOutcome): void {
    if (this.closing) return;
    try {
      this.inOrder.add(job, outcome);
    } catch (error) {
      this.close();
      this.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.done += 1;
    if (this.done === this.jobs.length) {
      this.close();
      this.resolve();
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
