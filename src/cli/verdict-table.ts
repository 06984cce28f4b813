// The verdict table at the end of a run of several scenarios (and of `ksim judge`): one row per
// scenario with its verdict, seeds, each expectation's verdict, the anomalies found over all its
// seeds, and its claim, shortened. Built from results only, so two runs of the same seeds, on any
// number of workers or shards, print the same table.
import type { ChalkInstance } from 'chalk';
import { ANOMALY_NAMES, type AnomalyCounts } from '../checker/anomalies.js';
import type { JudgedName } from '../checker/judged.js';
import type { ScenarioVerdict } from '../checker/verdict.js';
import type { Expectation } from '../scenario/types.js';
import { plural } from './format.js';

/** `open`: a `sometimes` this shard did not see, while other shards ran some of the seeds. */
export type ExpectationState = 'ok' | 'FAIL' | 'open';

export interface TableRow {
  readonly name: string;
  readonly claim: string | null;
  readonly seeds: number;
  readonly bugs: number;
  readonly totals: AnomalyCounts;
  readonly expectations: readonly TableExpectation[];
  readonly ok: boolean;
}

export interface TableExpectation {
  readonly anomaly: JudgedName; // an anomaly or a coverage probe
  readonly expectation: Expectation;
  readonly state: ExpectationState;
  /** Why it failed, where the anomalies column cannot show it: `not reproduced in 20 seeds`. */
  readonly why: string | null;
}

/** A row from a verdict; `open` names the expectations left to other shards. */
export function tableRow(
  name: string,
  claim: string | null,
  seeds: number,
  bugs: number,
  totals: AnomalyCounts,
  verdict: ScenarioVerdict,
  open: ReadonlySet<JudgedName> = new Set(),
): TableRow {
  const expectations = verdict.expectations.map((e): TableExpectation => {
    const state = open.has(e.anomaly) ? 'open' : e.ok ? 'ok' : 'FAIL';
    // A `sometimes` no seed showed: its count is zero, so the table says it in words, as the
    // text report and the JUnit file do (the checker's own wording).
    const unreproduced = state === 'FAIL' && e.expectation === 'sometimes' && e.seedsWith === 0;
    return { anomaly: e.anomaly, expectation: e.expectation, state, why: unreproduced ? e.why : null };
  });
  return { name, claim, seeds, bugs, totals, expectations, ok: verdict.ok && bugs === 0 };
}

const CLAIM_COLUMNS = 60;
const HEADINGS = ['verdict', 'scenario', 'seeds', 'expect', 'anomalies', 'claim'] as const;

interface Cell {
  readonly text: string;
  readonly paint: (text: string) => string;
}

export function verdictTable(rows: readonly TableRow[], c: ChalkInstance): string {
  const plain = (text: string): Cell => ({ text, paint: (t) => t });
  const grid: Cell[][][] = rows.map((row) => [
    [row.ok ? { text: 'PASS', paint: c.green.bold } : { text: 'FAIL', paint: c.red.bold }],
    [plain(row.name)],
    [plain(String(row.seeds))],
    expectationCells(row, c),
    foundCells(row).map(plain),
    [plain(row.claim === null ? '' : shorten(row.claim, CLAIM_COLUMNS))],
  ]);
  // Pad the plain text, then colour it, so colour never shifts a column. The claim comes last:
  // it may hold double-width characters, which would misalign any column after it.
  const widths = HEADINGS.map((heading, column) => Math.max(heading.length, ...grid.map((cells) => Math.max(0, ...(cells[column] ?? []).map((cell) => cell.text.length)))));
  const lines = [c.bold(joinColumns(HEADINGS.map((heading) => plain(heading)), widths))];
  for (const cells of grid) {
    const height = Math.max(...cells.map((column) => column.length));
    for (let line = 0; line < height; line += 1) lines.push(joinColumns(cells.map((column) => column[line] ?? plain('')), widths));
  }
  const failed = rows.filter((row) => !row.ok).length;
  const title = `verdicts: ${plural(rows.length, 'scenario')}, ${failed === 0 ? 'all passed' : `${failed} failed`}`;
  return `\n${c.bold(title)}\n${lines.join('\n')}\n\n`;
}

function joinColumns(cells: readonly Cell[], widths: readonly number[]): string {
  const last = cells.length - 1;
  return cells
    .map((cell, column) => cell.paint(column === last ? cell.text : cell.text.padEnd(widths[column] ?? 0)))
    .join('  ')
    .trimEnd();
}

function expectationCells(row: TableRow, c: ChalkInstance): Cell[] {
  if (row.expectations.length === 0) return [{ text: '-', paint: c.dim }];
  return row.expectations.map((e) => {
    const text = `${e.anomaly}: ${e.expectation} ${e.state}${e.why === null ? '' : `: ${e.why}`}`;
    const paint = e.state === 'ok' ? (t: string) => t : e.state === 'open' ? c.yellow : c.red.bold;
    return { text, paint };
  });
}

/** Non-zero totals, one anomaly per line; simulator bugs too, since they decide the verdict. */
function foundCells(row: TableRow): string[] {
  const found = ANOMALY_NAMES.filter((name) => row.totals[name] > 0).map((name) => `${name} ${row.totals[name]}`);
  if (row.bugs > 0) found.push(plural(row.bugs, 'simulator bug'));
  return found.length === 0 ? ['none'] : found;
}

/** At most `columns` terminal columns (CJK and full-width characters take two), ending in `…` when cut. */
export function shorten(text: string, columns: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if ([...oneLine].reduce((sum, char) => sum + (isWide(char) ? 2 : 1), 0) <= columns) return oneLine;
  let used = 0;
  let out = '';
  for (const char of oneLine) {
    const width = isWide(char) ? 2 : 1;
    if (used + width > columns - 1) return `${out}…`;
    used += width;
    out += char;
  }
  return out;
}

function isWide(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6)
  );
}
