// Scenario files and folders on disk → loaded scenarios and input errors. Never throws: a
// missing path, a folder without scenarios, a huge or binary file each become an InputError.
import { readFileSync, readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, resolve } from 'node:path';
import { inputError } from './format.js';
import { MAX_SCENARIO_BYTES, formatBytes, loadScenarioSource } from './loader.js';
import { positionInText } from './positions.js';
import type { InputError, LoadedScenario } from './types.js';

const SCENARIO_FILE = /\.ya?ml$/i;

export interface PathsResult {
  scenarios: LoadedScenario[];
  errors: InputError[];
}

/** Files in the order given; a folder's files sorted by path, so runs never depend on the disk. */
export function loadScenarioPaths(paths: readonly string[]): PathsResult {
  const result: PathsResult = { scenarios: [], errors: [] };
  const seen = new Set<string>();
  const nameOwners = new Map<string, string>();
  for (const path of paths) {
    for (const file of expand(path, result.errors)) {
      // A file named directly and again through its folder is one scenario, not a duplicate.
      if (seen.has(resolve(file))) continue;
      seen.add(resolve(file));
      addFile(file, result, nameOwners);
    }
  }
  return result;
}

function addFile(file: string, result: PathsResult, nameOwners: Map<string, string>): void {
  const loaded = loadFile(file);
  if (!loaded.ok) {
    result.errors.push(...loaded.errors);
    return;
  }
  const { value, namePosition } = loaded;
  const owner = nameOwners.get(value.scenario.name);
  if (owner === undefined) {
    nameOwners.set(value.scenario.name, file);
    result.scenarios.push(value);
    return;
  }
  const found = `${JSON.stringify(value.scenario.name)}, also the name of ${owner}`;
  const hint = namePosition === null ? 'the name comes from the file name; set name: to tell them apart' : null;
  const path = namePosition === null ? '' : 'name';
  result.errors.push(inputError(file, namePosition, path, 'a scenario name used by no other file', found, hint));
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A file stands for itself; a folder for its scenario files, recursively. */
function expand(path: string, errors: InputError[]): string[] {
  const stats = statOrNull(path);
  if (stats === null) {
    errors.push(inputError(path, null, '', 'a file or folder', 'nothing at that path'));
    return [];
  }
  if (!stats.isDirectory()) return [path];
  const found: string[] = [];
  walk(path, found, new Set<string>(), errors);
  if (found.length === 0) errors.push(inputError(path, null, '', 'a folder with scenario files (*.yaml, *.yml)', 'none'));
  return found.sort(comparePaths);
}

/** Plain code-unit order: locale-independent, the same on every machine. */
function comparePaths(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function walk(folder: string, found: string[], visited: Set<string>, errors: InputError[]): void {
  let real: string;
  let names: string[];
  try {
    real = realpathSync(folder);
    names = readdirSync(folder);
  } catch (error) {
    errors.push(inputError(folder, null, '', 'a readable folder', errorCode(error)));
    return;
  }
  // A symbolic link back to an ancestor would otherwise recurse forever.
  if (visited.has(real)) return;
  visited.add(real);
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(folder, name);
    const stats = statOrNull(path);
    if (stats?.isDirectory() === true) walk(path, found, visited, errors);
    else if (stats?.isFile() === true && SCENARIO_FILE.test(name)) found.push(path);
  }
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : null;
  return code ?? (error instanceof Error ? error.message : String(error));
}

/** Size first (a 50 MB file is refused without being read), then bytes, then text. */
function loadFile(file: string): ReturnType<typeof loadScenarioSource> {
  const fail = (line: { line: number; column: number } | null, expected: string, found: string) => ({
    ok: false as const,
    errors: [inputError(file, line, '', expected, found)],
  });
  const stats = statOrNull(file);
  if (stats === null) return fail(null, 'a file or folder', 'nothing at that path');
  if (!stats.isFile()) return fail(null, 'a scenario file', stats.isDirectory() ? 'a folder' : 'something that is not a regular file');
  if (stats.size > MAX_SCENARIO_BYTES) return fail(null, 'a scenario file of at most 1 MiB', formatBytes(stats.size));
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return fail(null, 'a readable file', errorCode(error));
  }
  const text = decodeUtf8(bytes);
  if (typeof text !== 'string') return fail(text.position, 'UTF-8 text', text.found);
  return loadScenarioSource(text, file);
}

/** The text, or where the first byte that is not UTF-8 text is. */
function decodeUtf8(bytes: Buffer): string | { position: { line: number; column: number }; found: string } {
  const nul = bytes.indexOf(0);
  const bad = firstInvalidUtf8(bytes);
  const offset = nul >= 0 && (bad < 0 || nul < bad) ? nul : bad;
  if (offset < 0) return new TextDecoder('utf-8').decode(bytes);
  // Only the valid prefix is decoded, to count lines and columns up to the bad byte.
  const prefix = new TextDecoder('utf-8').decode(bytes.subarray(0, offset));
  const byte = (bytes[offset] ?? 0).toString(16).padStart(2, '0');
  const found = offset === nul ? 'a NUL byte (binary data)' : `the byte 0x${byte}, which is not UTF-8`;
  return { position: positionInText(prefix, prefix.length), found };
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629: no overlongs, no surrogates), or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i] ?? 0;
    const length = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return i;
    if (length > 1 && !validContinuation(bytes, i, length)) return i;
    i += length;
  }
  return -1;
}

function validContinuation(bytes: Uint8Array, start: number, length: number): boolean {
  const first = bytes[start] ?? 0;
  const second = bytes[start + 1] ?? 0;
  // The second byte's range is narrower after E0, ED, F0 and F4 (overlongs, surrogates, > U+10FFFF).
  const low = first === 0xe0 ? 0xa0 : first === 0xf0 ? 0x90 : 0x80;
  const high = first === 0xed ? 0x9f : first === 0xf4 ? 0x8f : 0xbf;
  if (start + length > bytes.length || second < low || second > high) return false;
  for (let k = 2; k < length; k += 1) {
    const next = bytes[start + k] ?? 0;
    if (next < 0x80 || next > 0xbf) return false;
  }
  return true;
}
