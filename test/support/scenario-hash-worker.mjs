// Loads a scenario from its text and prints its trace hash, on a worker thread.
import { register } from 'tsx/esm/api';
import { parentPort, workerData } from 'node:worker_threads';

register();
const { runScenario } = await import('../../src/runner/index.ts');
const { loadScenarioText } = await import('../../src/scenario/index.ts');
const loaded = loadScenarioText(workerData.text, workerData.file);
if (!loaded.ok) throw new Error(`worker could not load ${workerData.file}`);
parentPort.postMessage(runScenario(loaded.value, workerData.seed).traceHash);
