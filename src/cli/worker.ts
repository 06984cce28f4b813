// A worker thread of the run pool (started through worker.mjs): runs one job per message and
// posts back its outcome. Runs are synchronous and CPU-bound, so a worker holds one job at a time.
import { parentPort } from 'node:worker_threads';
import { bugOutcome, isJob, runJob, type JobOutcome } from './run-job.js';

export interface WorkerReply {
  readonly index: number;
  readonly outcome: JobOutcome;
}

const port = parentPort;
if (port === null) throw new Error('src/cli/worker.ts runs only as a worker thread (see pool.ts)');

port.on('message', (message: unknown) => {
  if (!isJob(message)) {
    port.postMessage({ index: -1, outcome: bugOutcome(new Error('the pool sent a malformed job')) });
    return;
  }
  const reply: WorkerReply = { index: message.index, outcome: runJob(message) };
  port.postMessage(reply);
});
