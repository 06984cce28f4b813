// `npm run bench`: figures to compare run to run. Readable lines first, then one JSON line.
// Run with --expose-gc for the memory figure (the npm script does). The suite figure runs the
// whole catalog × 100 seeds (minutes); `npm run bench -- --no-suite` leaves it out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Scheduler, World } from '../../sim/index.js';
import { runScenario } from '../../src/runner/index.js';
import type { LoadedScenario, Scenario } from '../../src/scenario/types.js';
import { loadScenarioText } from '../../src/scenario/index.js';

const gc = (globalThis as { gc?: () => void }).gc;

function time<T>(fn: () => T): { result: T; seconds: number } {
  const start = performance.now();
  const result = fn();
  return { result, seconds: (performance.now() - start) / 1000 };
}

/** Scheduled-and-run events per second with trivial handlers and `pending` events waiting. */
function kernelEventsPerSec(pending: number, total: number): number {
  const scheduler = new Scheduler();
  let state = 12345;
  let ran = 0;
  // A handler that reschedules itself keeps the heap at `pending` events throughout.
  const handler = (): void => {
    ran += 1;
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    if (ran <= total) scheduler.after(1 + (state % 10_000), handler, undefined);
  };
  for (let i = 0; i < pending; i++) scheduler.at(i % 10_000, handler, undefined);
  const { seconds } = time(() => scheduler.run());
  return scheduler.eventsRun / seconds;
}

function bytesPerPendingEvent(count: number): number | null {
  if (gc === undefined) return null;
  const handler = (): void => {};
  gc();
  const before = process.memoryUsage();
  const scheduler = new Scheduler();
  for (let i = 0; i < count; i++) scheduler.at(i, handler, undefined);
  gc();
  const after = process.memoryUsage();
  const used = after.heapUsed - before.heapUsed + (after.arrayBuffers - before.arrayBuffers);
  if (scheduler.pending !== count) throw new Error('bench: events went missing');
  return used / count;
}

interface Ball {
  readonly type: 'ball';
  readonly hops: number;
}

/** Messages sent, carried (latency, FIFO, trace hash) and delivered per second among 8 nodes. */
function networkMessagesPerSec(messages: number): number {
  const nodes = Array.from({ length: 8 }, (_, i) => `n${i}`);
  const world = new World<Ball>({ seed: 1, network: { latencyUs: { minUs: 100, maxUs: 2000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
  let delivered = 0;
  for (const name of nodes) {
    world.spawn(name, (env) => ({
      onMessage(_from, ball) {
        delivered += 1;
        if (ball.hops < messages) env.send(nodes[env.random.int(nodes.length)]!, { type: 'ball', hops: ball.hops + 64 });
      },
    }));
  }
  for (let i = 0; i < 64; i++) world.network.send('n0', nodes[i % nodes.length]!, { type: 'ball', hops: i });
  const { seconds } = time(() => world.scheduler.run());
  return delivered / seconds;
}

function exampleScenario(): Scenario {
  return {
    name: 'bench-example', description: null, claim: null, seed: 1, judgedOver: 1, harmlessKeys: null, durationUs: 600_000_000, settleUs: 30_000_000,
    network: { latencyUs: { minUs: 1000, maxUs: 5000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 },
    cluster: null, example: { replicas: 3, replication: 'sync', writes: 60_000, ratePerSec: 100, failoverUs: 300_000 },
    topics: [], producers: [], consumers: [], faults: [], nemesis: { faults: ['kill', 'partition', 'pause'], intervalUs: { minUs: 5_000_000, maxUs: 15_000_000 }, faultDurationUs: { minUs: 1_000_000, maxUs: 5_000_000 }, targets: null },
    expect: {},
  };
}

function exampleFigures(): { simSecondsPerWallSecond: number; eventsPerSec: number } {
  const scenario = exampleScenario();
  const loaded: LoadedScenario = { file: 'bench', text: '', scenario };
  const { result, seconds } = time(() => runScenario(loaded, 1));
  return { simSecondsPerWallSecond: result.simulatedMs / 1000 / seconds, eventsPerSec: result.events / seconds };
}

/** The cluster issue's workload: 3 brokers, RF 3, 6 partitions, acks=all, 10,000 msg/s for 60 s, no faults. */
function clusterFigures(): { messagesPerSec: number; simSecondsPerWallSecond: number; ledgerBytesPerMessage: number; messages: number } {
  const text = [
    'name: bench-cluster',
    'duration: 60s',
    'settle: 10s',
    'cluster: { brokers: 3, kafka: "3.9", config: { min.insync.replicas: 2 } }',
    'topics: [{ name: orders, partitions: 6, replication.factor: 3 }]',
    'producers: [{ name: p1, topic: orders, messages: 600000, rate: 10000/s, keys: 1000, config: { acks: all } }]',
    'expect: { lost: never }',
  ].join('\n');
  const loaded = loadScenarioText(text, 'bench-cluster.yaml');
  if (!loaded.ok) throw new Error(`bench: ${JSON.stringify(loaded.errors)}`);
  const { result, seconds } = time(() => runScenario(loaded.value, 1));
  // A benchmark of a wrong run measures nothing: check the run first.
  if (result.anomalies.lost !== 0 || result.messages.acked < 599_000) throw new Error(`bench: the cluster run is wrong: ${JSON.stringify(result.messages)}`);
  return {
    messagesPerSec: result.messages.acked / seconds,
    simSecondsPerWallSecond: result.simulatedMs / 1000 / seconds,
    ledgerBytesPerMessage: result.checkerBytes / result.messages.sent,
    messages: result.messages.acked,
  };
}

/**
 * The clients issue's workload: the cluster workload above with a 3-member group committing
 * after processing, counted as messages produced, replicated, consumed, processed and checked
 * per wall-second.
 */
function e2eFigures(): { messagesPerSec: number; processed: number } {
  const text = [
    'name: bench-e2e',
    'duration: 60s',
    'settle: 10s',
    'cluster: { brokers: 3, kafka: "3.9", config: { min.insync.replicas: 2 } }',
    'topics: [{ name: orders, partitions: 6, replication.factor: 3 }]',
    'producers: [{ name: p1, topic: orders, messages: 600000, rate: 10000/s, keys: 1000, config: { acks: all } }]',
    'consumers: [{ group: billing, members: 3, topic: orders, commit: after-processing, config: { auto.offset.reset: earliest } }]',
    'expect: { lost: never, unprocessed: never, reprocessed: never }',
  ].join('\n');
  const loaded = loadScenarioText(text, 'bench-e2e.yaml');
  if (!loaded.ok) throw new Error(`bench: ${JSON.stringify(loaded.errors)}`);
  const { result, seconds } = time(() => runScenario(loaded.value, 1));
  if (!result.ok || result.messages.processed < 599_000) throw new Error(`bench: the e2e run is wrong: ${JSON.stringify(result.messages)} ${JSON.stringify(result.anomalies)}`);
  return { messagesPerSec: result.messages.processed / seconds, processed: result.messages.processed };
}

const ROOT = join(import.meta.dirname, '..', '..');
const SUITE_SEEDS = 100;

/**
 * `npm run suite` as CI runs it: the catalog × 100 seeds on 2 worker threads, through the CLI,
 * timed from the outside. Every expectation must hold, or the figure would time a broken suite.
 */
function suiteFigures(): { seconds: number; runs: number; report: string } {
  const folder = mkdtempSync(join(tmpdir(), 'ksim-bench-')); // failure files, if any, go there
  const start = performance.now();
  const child = spawnSync(process.execPath, ['--single-threaded-gc', join(ROOT, 'src', 'cli', 'ksim.mjs'), 'run', join(ROOT, 'scenarios'), '--seeds', String(SUITE_SEEDS), '--workers', '2', '--json'], {
    cwd: folder,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const seconds = (performance.now() - start) / 1000;
  // With --json the verdicts and the verdict table go to stderr: kept for reading, not printed.
  const report = join(folder, 'suite-report.txt');
  writeFileSync(report, child.stderr);
  if (child.status !== 0) throw new Error(`bench: the suite did not hold (exit ${child.status}), see ${report}:\n${child.stderr.slice(-3000)}`);
  return { seconds, runs: child.stdout.split('\n').filter((line) => line.startsWith('{')).length, report };
}

const round = (x: number): number => Math.round(x);
kernelEventsPerSec(10_000, 1_000_000); // warm-up
const kernel = kernelEventsPerSec(10_000, 5_000_000);
const bytes = bytesPerPendingEvent(1_000_000);
networkMessagesPerSec(100_000); // warm-up
const network = networkMessagesPerSec(1_000_000);
const example = exampleFigures();
/** The fastest of `n` runs: a shared machine only ever slows a run down, so the best is the least disturbed. */
function best<T extends { messagesPerSec: number }>(n: number, measure: () => T): T {
  let top = measure();
  for (let i = 1; i < n; i++) {
    const next = measure();
    if (next.messagesPerSec > top.messagesPerSec) top = next;
  }
  return top;
}

clusterFigures(); // warm-up
const cluster = best(3, clusterFigures);
e2eFigures(); // warm-up (consumer and coordinator code)
const e2e = best(3, e2eFigures);
const peakRssMb = process.resourceUsage().maxRSS / 1024;
const suite = process.argv.includes('--no-suite') ? null : suiteFigures();

console.log(`kernel: ${(kernel / 1e6).toFixed(2)} M events/s (10,000 pending, trivial handlers)`);
console.log(`kernel: ${bytes === null ? 'n/a (run with --expose-gc)' : bytes.toFixed(1)} bytes per pending event`);
console.log(`network: ${(network / 1e6).toFixed(2)} M messages/s (8 nodes, traced, FIFO links)`);
console.log(`example: ${example.simSecondsPerWallSecond.toFixed(0)} simulated s per wall s, ${(example.eventsPerSec / 1e6).toFixed(2)} M events/s (3 replicas, sync, nemesis)`);
console.log(`cluster: ${(cluster.messagesPerSec / 1e3).toFixed(0)} k messages/s produced, replicated and checked (best of 3; ${cluster.messages} messages, 3 brokers, RF 3, 6 partitions, acks=all)`);
console.log(`cluster: ${cluster.simSecondsPerWallSecond.toFixed(1)} simulated s per wall s; ledger ${cluster.ledgerBytesPerMessage.toFixed(0)} bytes per message`);
console.log(`e2e: ${(e2e.messagesPerSec / 1e3).toFixed(0)} k messages/s produced, replicated, consumed, processed and checked (best of 3; ${e2e.processed} messages, a 3-member group committing after processing)`);
console.log(`peak memory: ${peakRssMb.toFixed(0)} MB RSS`);
console.log(suite === null
  ? 'suite: skipped (--no-suite)'
  : `suite: ${suite.seconds.toFixed(0)} s for the catalog × ${SUITE_SEEDS} seeds (${suite.runs} runs) on 2 workers, every expectation held (target 300 s); verdicts in ${suite.report}`);
console.log(JSON.stringify({
  kernelEventsPerSec: round(kernel),
  kernelBytesPerPendingEvent: bytes === null ? null : Number(bytes.toFixed(1)),
  networkMessagesPerSec: round(network),
  exampleSimSecondsPerWallSecond: round(example.simSecondsPerWallSecond),
  exampleEventsPerSec: round(example.eventsPerSec),
  clusterMessagesPerSec: round(cluster.messagesPerSec),
  clusterSimSecondsPerWallSecond: Number(cluster.simSecondsPerWallSecond.toFixed(1)),
  ledgerBytesPerMessage: round(cluster.ledgerBytesPerMessage),
  e2eMessagesPerSec: round(e2e.messagesPerSec),
  peakRssMb: round(peakRssMb),
  suiteSeconds: suite === null ? null : round(suite.seconds),
  suiteRuns: suite === null ? null : suite.runs,
}));
