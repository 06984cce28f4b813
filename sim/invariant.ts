// A broken invariant is a simulator bug, never an anomaly: it stops the run loudly.
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
}

export function invariant(condition: boolean, explain: () => string): asserts condition {
  if (!condition) throw new InvariantViolation(explain());
}
