// How the CLI reports what stops it before or instead of a verdict. Exit codes (DESIGN.md):
// 0 every expectation held, 1 an expectation failed or the simulator crashed, 2 bad input or usage;
// and, beyond DESIGN.md, a run stopped by a signal exits as a shell reports it, 128 + the signal's
// number: 130 for Ctrl-C (SIGINT), 143 for SIGTERM (what CI runners and `timeout` send).
import { formatInputError } from '../scenario/index.js';
import type { InputError } from '../scenario/types.js';
import { colorsFor } from './colors.js';
import { plural } from './format.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;
export const EXIT_TERMINATED = 143;

/** The signals that stop a run and let it report what it found. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export function exitCodeFor(signal: StopSignal): number {
  return signal === 'SIGINT' ? EXIT_INTERRUPTED : EXIT_TERMINATED;
}

export function printError(message: string): void {
  process.stderr.write(`${colorsFor('stderr').red.bold('ksim: error:')} ${message}\n`);
}

export function printWarning(message: string): void {
  process.stderr.write(`${colorsFor('stderr').yellow('ksim: warning:')} ${message}\n`);
}

/** Every input error at once (a user fixes them in one pass), then what happened as a result. */
export function printInputErrors(errors: readonly InputError[], consequence: string): void {
  for (const error of errors) process.stderr.write(`${formatInputError(error)}\n`);
  printError(`${plural(errors.length, 'error')} in the scenario input; ${consequence}`);
}
