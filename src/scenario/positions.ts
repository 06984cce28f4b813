// Offsets in a text → 1-based line and column. Computed from the text itself rather than from
// yaml's LineCounter, which misses the line breaks inside some multi-line flow scalars.
import type { Position } from './format.js';

export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** Line and column (both from 1; the column counts UTF-16 code units, as editors do). */
  positionAt(offset: number): Position {
    let low = 0;
    let high = this.starts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((this.starts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, column: offset - (this.starts[low] ?? 0) + 1 };
  }
}

export function positionInText(text: string, offset: number): Position {
  return new LineIndex(text).positionAt(offset);
}
