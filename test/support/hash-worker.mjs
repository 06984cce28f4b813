// A worker thread that computes the same hash as hash-in-process.ts (tsx registered here,
// since a worker does not inherit the parent's loader).
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { runScenario } = await import('../../src/runner/index.ts');
const { exampleScenario } = await import('./example-scenario.ts');
parentPort.postMessage(runScenario(exampleScenario(), workerData.seed).traceHash);
