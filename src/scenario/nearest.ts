// The "did you mean" helper used for every unknown name in a scenario file: top-level and
// nested keys, Kafka config keys, anomaly names, enum values, topic names.

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbouring
 * characters as one step (optimal string alignment), so `nmae` is one step from `name`.
 */
export function editDistance(source: string, target: string): number {
  const rows = source.length + 1;
  const cols = target.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i += 1) d[i * cols] = i;
  for (let j = 0; j < cols; j += 1) d[j] = j;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = source[i - 1] === target[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      const swapped = i > 1 && j > 1 && source[i - 1] === target[j - 2] && source[i - 2] === target[j - 1];
      if (swapped) best = Math.min(best, at(i - 2, j - 2) + 1);
      d[i * cols + j] = best;
    }
  }
  return at(rows - 1, cols - 1);
}

/**
 * The candidate closest to `name`, or null when none is close enough to be a plausible typo.
 * Ties go to the earlier candidate, so the answer never depends on anything but the inputs.
 * Case is ignored for the distance (`ACKS` is one step from nothing but `acks`).
 */
export function nearest(name: string, candidates: Iterable<string>): string | null {
  // A pasted paragraph is no typo, and the distance costs length × length.
  if (name.length > 200) return null;
  // Long names tolerate more typos; short ones would otherwise match almost anything
  // (`2` is one step from `0`, yet no typo of it).
  const limit = name.length < 2 ? 0 : Math.max(1, Math.floor(name.length / 3));
  const lowered = name.toLowerCase();
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  const words = wordsOf(lowered);
  for (const candidate of candidates) {
    if (candidate === name) continue;
    const lower = candidate.toLowerCase();
    // Kafka keys are dotted words; the same words in another order is one slip, not many.
    const distance = wordsOf(lower) === words ? 1 : editDistance(lowered, lower);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= limit ? best : null;
}

function wordsOf(name: string): string {
  return name.split(/[._-]/).sort().join('.');
}

/** `did you mean "X"?`, or null when nothing is near. */
export function didYouMean(name: string, candidates: Iterable<string>): string | null {
  const match = nearest(name, candidates);
  return match === null ? null : `did you mean "${match}"?`;
}
