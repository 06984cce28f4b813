// Parsers for the scenario file's unit-bearing strings: durations (`250ms`), ranges
// (`1ms..5ms`), rates (`500/s`) and ratios (`0.5%`, `1/1000`). Each returns the integer the model
// uses (µs, ppm) or what was expected, so the schema can report it at the right line.
import type { RangeUs } from './types.js';

export type Parsed<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly expected: string; readonly hint: string | null };

const UNIT_US = { us: 1n, µs: 1n, ms: 1_000n, s: 1_000_000n, m: 60_000_000n, h: 3_600_000_000n } as const;
type Unit = keyof typeof UNIT_US;

/** Longer than any useful simulated run; a bigger value is a typo (`10h` for `10s`). */
export const MAX_DURATION_US = 24 * 3_600_000_000;
/** At most one message per simulated microsecond: the clock's resolution. */
export const MAX_RATE_PER_SEC = 1_000_000;

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(us|µs|ms|s|m|h)$';
export const RANGE_PATTERN = '^\\d+(\\.\\d+)?(us|µs|ms|s|m|h)(\\.\\.\\d+(\\.\\d+)?(us|µs|ms|s|m|h))?$';
export const RATE_PATTERN = '^\\d+(\\.\\d+)?/(s|m)$';
export const RATIO_PATTERN = '^(\\d+(\\.\\d+)?%|\\d+/\\d+)$';
export const BYTE_RATE_PATTERN = '^\\d+(\\.\\d+)?(B|KB|MB|GB|KiB|MiB|GiB)/s$';

const DURATION_RE = /^(\d+)(?:\.(\d+))?(us|µs|ms|s|m|h)$/;
const RATE_RE = /^(\d+(?:\.\d+)?)\/(s|m)$/;
const PERCENT_RE = /^(\d+(?:\.\d+)?)%$/;
const FRACTION_RE = /^(\d+)\/(\d+)$/;
const BYTE_RATE_RE = /^(\d+(?:\.\d+)?)(B|KB|MB|GB|KiB|MiB|GiB)\/s$/;
const BYTE_UNITS = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 } as const;

const fail = <T>(expected: string, hint: string | null = null): Parsed<T> => ({ ok: false, expected, hint });
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });

export const RATE_EXPECTED = 'a rate such as "500/s" or "30/m"';
export const RATIO_EXPECTED = 'a ratio from 0 to 1, such as 0.01, "1%" or "1/1000"';
export const BYTE_RATE_EXPECTED = 'a byte rate such as "50MB/s" or "100MiB/s"';

export function durationExpected(minUs: number): string {
  return minUs > 0 ? 'a duration above zero such as "250ms"' : 'a duration such as "250ms"';
}

export function rangeExpected(minUs: number): string {
  return minUs > 0 ? 'a range above zero such as "1ms..5ms"' : 'a range such as "1ms..5ms"';
}

/** `250ms` → 250000. Units: us, ms, s, m, h; a fraction must come to whole microseconds. */
export function parseDuration(text: string, minUs = 0): Parsed<number> {
  const expected = durationExpected(minUs);
  const match = DURATION_RE.exec(text.trim());
  if (match === null) return fail(expected, durationHint(text));
  const [, whole = '0', fraction = '', unit = 's'] = match;
  // Exact integer arithmetic: 1.1s must be 1100000, not 1100000.0000000002.
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) * UNIT_US[unit as Unit];
  if (scaled % scale !== 0n) return fail(expected, 'that is not a whole number of microseconds');
  const us = scaled / scale;
  if (us > BigInt(MAX_DURATION_US)) return fail(`${expected}, at most 24h`, 'a run longer than a day is almost surely a typo');
  if (Number(us) < minUs) return fail(expected);
  return ok(Number(us));
}

function durationHint(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) return 'a duration cannot be negative';
  if (/^\d+(\.\d+)?$/.test(trimmed)) return `add a unit: "${trimmed}ms" or "${trimmed}s"`;
  return null;
}

/** `1ms..5ms` → {minUs, maxUs}; a single duration means min = max. */
export function parseRange(text: string, minUs = 0): Parsed<RangeUs> {
  const parts = text.split('..');
  const expected = rangeExpected(minUs);
  if (parts.length > 2) return fail(expected);
  const low = parseDuration(parts[0] ?? '', minUs);
  const high = parts.length === 2 ? parseDuration(parts[1] ?? '', minUs) : low;
  if (!low.ok) return fail(expected, low.hint);
  if (!high.ok) return fail(expected, high.hint);
  if (low.value > high.value) return fail('a range whose minimum is not above its maximum', `write "${parts[1]}..${parts[0]}"`);
  return ok({ minUs: low.value, maxUs: high.value });
}

/** `500/s` → 500, `30/m` → 0.5 (per second). */
export function parseRate(text: string): Parsed<number> {
  const expected = RATE_EXPECTED;
  const match = RATE_RE.exec(text.trim());
  if (match === null) {
    const bare = /^\d+(\.\d+)?$/.test(text.trim());
    return fail(expected, bare ? `add a unit: "${text.trim()}/s"` : null);
  }
  const perUnit = Number(match[1]);
  const perSec = match[2] === 'm' ? perUnit / 60 : perUnit;
  if (perSec <= 0) return fail(`${expected}, above zero`);
  if (perSec > MAX_RATE_PER_SEC) return fail(`${expected}, at most ${MAX_RATE_PER_SEC}/s`);
  return ok(perSec);
}

/** `50MB/s` → 50000000 bytes a second (decimal KB/MB/GB, binary KiB/MiB/GiB), at least 1 B/s. */
export function parseByteRate(text: string): Parsed<number> {
  const match = BYTE_RATE_RE.exec(text.trim());
  if (match === null) {
    const bare = /^\d+(\.\d+)?$/.test(text.trim());
    return fail(BYTE_RATE_EXPECTED, bare ? `add a unit: "${text.trim()}MB/s"` : null);
  }
  const perSec = Math.round(Number(match[1]) * BYTE_UNITS[match[2] as keyof typeof BYTE_UNITS]);
  if (perSec < 1) return fail(`${BYTE_RATE_EXPECTED}, of at least 1B/s`);
  if (perSec > Number.MAX_SAFE_INTEGER / 1_000_000) return fail(`${BYTE_RATE_EXPECTED}, at most 9GB/s`);
  return ok(perSec);
}

/**
 * A probability as integer parts per million: `0.5%` → 5000, `1/1000` → 1000, `0.25` → 250000.
 * Rounded to the nearest ppm, but a non-zero ratio never silently rounds down to zero.
 */
export function parseRatio(value: number | string): Parsed<number> {
  const expected = RATIO_EXPECTED;
  const ratio = ratioValue(value);
  if (ratio === null) return fail(expected);
  if (!(ratio >= 0 && ratio <= 1)) return fail(expected, 'a ratio cannot be above 100% or below 0');
  const ppm = Math.round(ratio * 1_000_000);
  if (ppm === 0 && ratio > 0) return fail(expected, 'that is below one part per million');
  return ok(ppm);
}

function ratioValue(value: number | string): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  const text = value.trim();
  const percent = PERCENT_RE.exec(text);
  if (percent !== null) return Number(percent[1]) / 100;
  const fraction = FRACTION_RE.exec(text);
  if (fraction !== null) {
    const denominator = Number(fraction[2]);
    return denominator === 0 ? null : Number(fraction[1]) / denominator;
  }
  return null;
}

/** 60000000 → "60s", 1500 → "1500us": the shortest exact spelling, for messages. */
export function formatDuration(us: number): string {
  const units: readonly [string, number][] = [['h', 3_600_000_000], ['m', 60_000_000], ['s', 1_000_000], ['ms', 1_000]];
  for (const [unit, size] of units) if (us !== 0 && us % size === 0) return `${us / size}${unit}`;
  return `${us}us`;
}
