// Small formatting helpers shared by the text report, the JUnit file and replay.
import { ANOMALY_NAMES, type AnomalyCounts } from '../checker/anomalies.js';

/** Virtual time as seconds with milliseconds, `t=20.003s`, by integer arithmetic (no float rounding). */
export function formatAt(atUs: number): string {
  const ms = Math.floor(atUs / 1000);
  return `t=${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}s`;
}

/** Sorted seeds as ranges: `1..3, 7, 9..10`. */
export function formatSeeds(seeds: readonly number[]): string {
  const sorted = [...seeds].sort((a, b) => a - b);
  const parts: string[] = [];
  let index = 0;
  while (index < sorted.length) {
    const first = sorted[index] ?? 0;
    let last = first;
    while (sorted[index + 1] === last + 1) {
      last += 1;
      index += 1;
    }
    parts.push(first === last ? String(first) : `${first}..${last}`);
    index += 1;
  }
  return parts.join(', ');
}

/** Non-zero anomaly counts in the contract's order, `lost 3, duplicated 1`, or `none`. */
export function formatCounts(counts: AnomalyCounts): string {
  const parts = ANOMALY_NAMES.filter((name) => counts[name] > 0).map((name) => `${name} ${counts[name]}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** Quotes an argument for a POSIX shell only when it needs it, so commands stay copy-pastable. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
