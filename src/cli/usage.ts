// Command-line arguments that commander cannot check by itself: seed selections and counts.
// Every mistake is a UsageError: one line, exit code 2, no stack trace.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Which seeds to run: the scenario's own `seed:`, or an explicit inclusive range. */
export type SeedSelection = { readonly kind: 'scenario' } | { readonly kind: 'range'; readonly first: number; readonly last: number };

/** More runs than this in one invocation is almost certainly a typo (`--seeds 1..10000000`). */
export const MAX_RUNS = 1_000_000;

const DIGITS = /^\d+$/;

/** A seed or a count: plain decimal digits only, so `1e3`, `-1`, `0x10` and `2.5` are refused. */
export function parseWholeNumber(text: string, what: string): number {
  const trimmed = text.trim();
  const value = Number(trimmed);
  if (!DIGITS.test(trimmed) || !Number.isSafeInteger(value)) {
    throw new UsageError(`${what} must be a whole number such as 7, found "${text}"`);
  }
  return value;
}

export function parseSeedSelection(seed: string | undefined, seeds: string | undefined): SeedSelection {
  if (seed !== undefined && seeds !== undefined) {
    throw new UsageError('use either --seed N or --seeds N|A..B, not both');
  }
  if (seed !== undefined) {
    const value = parseWholeNumber(seed, '--seed');
    return { kind: 'range', first: value, last: value };
  }
  if (seeds === undefined) return { kind: 'scenario' };
  return parseSeedsOption(seeds);
}

/** `--seeds N` means seeds 1..N; `--seeds A..B` means A..B inclusive. */
function parseSeedsOption(text: string): SeedSelection {
  const parts = text.split('..');
  if (parts.length === 1) {
    const count = parseWholeNumber(text, '--seeds');
    if (count < 1) throw new UsageError('--seeds N needs N >= 1 (it runs seeds 1..N)');
    return checkedRange(1, count);
  }
  const [from, to] = parts;
  if (parts.length !== 2 || from === undefined || to === undefined) {
    throw new UsageError(`--seeds takes N or A..B, found "${text}"`);
  }
  const first = parseWholeNumber(from, '--seeds A..B: A');
  const last = parseWholeNumber(to, '--seeds A..B: B');
  if (first > last) throw new UsageError(`--seeds A..B needs A <= B, found ${first}..${last}`);
  return checkedRange(first, last);
}

function checkedRange(first: number, last: number): SeedSelection {
  if (last - first + 1 > MAX_RUNS) {
    throw new UsageError(`--seeds ${first}..${last} is ${last - first + 1} seeds; at most ${MAX_RUNS} per invocation`);
  }
  return { kind: 'range', first, last };
}

export function seedsOf(selection: SeedSelection, scenarioSeed: number): number[] {
  if (selection.kind === 'scenario') return [scenarioSeed];
  const seeds: number[] = [];
  for (let seed = selection.first; seed <= selection.last; seed += 1) seeds.push(seed);
  return seeds;
}

export function parseWorkers(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const workers = parseWholeNumber(text, '--workers');
  if (workers < 1) throw new UsageError('--workers must be at least 1');
  return workers;
}

/** This machine's share of a suite split over `count` machines; `index` counts from 1, as CI does. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const SHARD = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

export function parseShard(text: string | undefined): Shard | null {
  if (text === undefined) return null;
  const match = SHARD.exec(text);
  if (match === null) throw new UsageError(`--shard takes I/N, this machine's shard I of N, such as 2/3; found "${text}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`--shard I/N needs N >= 1 machines; found "${text}"`);
  if (!Number.isSafeInteger(index) || index < 1 || index > count) {
    throw new UsageError(`--shard I/N needs 1 <= I <= N (shards count from 1, as CI machines do); found "${text}"`);
  }
  return { index, count };
}

/** The items of shard I/N: every N-th item, starting from the I-th (item k goes to shard k mod N + 1).
 * Round-robin rather than contiguous blocks, so each shard gets about 1/N of every scenario's
 * seeds and the machines finish together even when scenarios differ tenfold in cost. */
export function shardOf<T>(items: readonly T[], shard: Shard): T[] {
  return items.filter((_, position) => position % shard.count === shard.index - 1);
}
