// Prints the trace hash of the shared example scenario for the seed in argv[2] (for the
// cross-process determinism test: a fresh process, fresh module state, fresh JIT).
import { runScenario } from '../../src/runner/index.js';
import { exampleScenario } from './example-scenario.js';

process.stdout.write(runScenario(exampleScenario(), Number(process.argv[2])).traceHash + '\n');
