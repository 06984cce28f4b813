// How the CLI reports what stops it before or instead of a verdict. Exit codes (DESIGN.md):
// 0 every expectation held, 1 an expectation failed or the simulator crashed, 2 bad input or usage;
// and, beyond DESIGN.md, 130 for a run stopped by Ctrl-C (the shell's 128 + SIGINT).
import { formatInputError } from '../scenario/index.js';
import type { InputError } from '../scenario/types.js';
import { colorsFor } from './colors.js';
import { plural } from './format.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

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
