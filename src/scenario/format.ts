// How bad input is described: the one-line message of an InputError, how a wrong value is
// quoted in it, and how a field's path is written (`producers[0].config.acks`).
import type { InputError } from './types.js';

export type PathSegment = string | number;

export interface Position {
  readonly line: number;
  readonly column: number;
}

/** `file:line:column: path: expected X, found Y (hint)`, leaving out the parts that are null or empty. */
export function formatInputError(e: InputError): string {
  let where = e.file;
  if (e.line !== null) where += `:${e.line}${e.column !== null ? `:${e.column}` : ''}`;
  const path = e.path === '' ? '' : `${e.path}: `;
  const found = e.found === null ? '' : `, found ${e.found}`;
  const hint = e.hint === null ? '' : ` (${e.hint})`;
  return `${where}: ${path}expected ${e.expected}${found}${hint}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else text += text === '' ? segment : `.${segment}`;
  }
  return text;
}

const MAX_QUOTED = 40;

/** A wrong value as a message shows it: strings quoted and cut short, collections by kind. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const cut = value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}...` : value;
    return JSON.stringify(cut);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value;
}

export function inputError(
  file: string,
  position: Position | null,
  path: readonly PathSegment[] | string,
  expected: string,
  found: string | null,
  hint: string | null = null,
): InputError {
  return {
    file,
    line: position?.line ?? null,
    column: position?.column ?? null,
    path: typeof path === 'string' ? path : formatPath(path),
    expected,
    found,
    hint,
  };
}

/** Errors in reading order: by line, then column; errors without a position last. */
export function sortErrors(errors: readonly InputError[]): InputError[] {
  const key = (e: InputError) => [e.line ?? Number.MAX_SAFE_INTEGER, e.column ?? 0] as const;
  return [...errors].sort((a, b) => {
    const [la, ca] = key(a);
    const [lb, cb] = key(b);
    return la - lb || ca - cb;
  });
}
