// The schema's building blocks. Each sets its error message to the "expected ..." text of an
// InputError, so zod's issues convert to messages without a second table of texts.
import { z } from 'zod';
import { didYouMean } from './nearest.js';
import {
  BYTE_RATE_EXPECTED,
  BYTE_RATE_PATTERN,
  DURATION_PATTERN,
  RANGE_PATTERN,
  RATE_EXPECTED,
  RATE_PATTERN,
  RATIO_EXPECTED,
  RATIO_PATTERN,
  durationExpected,
  rangeExpected,
  parseByteRate,
  parseDuration,
  parseRange,
  parseRate,
  parseRatio,
  type Parsed,
} from './units.js';

/** The hint rides on a custom issue's params; see issues.ts. */
export interface IssueParams {
  readonly hint?: string | null;
}

/**
 * A map whose unknown keys are errors. `map` says what the map is; `key` what a key of it is,
 * by default the list of its keys when that list is short enough to read.
 */
export function strictMap<Shape extends z.ZodRawShape>(shape: Shape, labels: { map: string; key?: string }) {
  const keys = Object.keys(shape);
  const key = labels.key ?? (keys.length <= 8 ? `one of the keys ${keys.join(', ')}` : 'a known key');
  return z.strictObject(shape, {
    error: (issue) => (issue.code === 'unrecognized_keys' ? key : labels.map),
  });
}

export function intBetween(min: number, max: number, what = 'an integer'): z.ZodNumber {
  const expected = max === Number.MAX_SAFE_INTEGER ? `${what} of at least ${min}` : `${what} from ${min} to ${max}`;
  return z.int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

/** Runs a units.ts parser inside a schema, turning its failure into an issue with a hint. */
function parsedBy<T>(parse: (text: string) => Parsed<T>) {
  return (text: string, ctx: z.RefinementCtx): T => {
    const result = parse(text);
    if (result.ok) return result.value;
    const params: IssueParams = { hint: result.hint };
    ctx.addIssue({ code: 'custom', message: result.expected, input: text, params });
    return z.NEVER;
  };
}

// Unit strings are parsed by a transform, which reports what was wrong with a hint; the
// pattern is metadata only, so editors can still check the shape from the JSON Schema.

/** A duration string (`250ms`) → integer µs. */
export function duration(minUs = 0) {
  return z
    .string({ error: durationExpected(minUs) })
    .meta({ pattern: DURATION_PATTERN })
    .transform(parsedBy((text) => parseDuration(text, minUs)));
}

/** `1ms..5ms`, or one duration for min = max → {minUs, maxUs}. */
export function range(minUs = 0) {
  return z
    .string({ error: rangeExpected(minUs) })
    .meta({ pattern: RANGE_PATTERN })
    .transform(parsedBy((text) => parseRange(text, minUs)));
}

/** `500/s` or `30/m` → messages per second. */
export function rate() {
  return z
    .string({ error: RATE_EXPECTED })
    .meta({ pattern: RATE_PATTERN })
    .transform(parsedBy(parseRate));
}

/** `50MB/s` or `100MiB/s` → bytes per second. */
export function byteRate() {
  return z
    .string({ error: BYTE_RATE_EXPECTED })
    .meta({ pattern: BYTE_RATE_PATTERN })
    .transform(parsedBy(parseByteRate));
}

/** `0.5%`, `1/1000` or a number in [0, 1] → integer ppm. */
export function ratio() {
  const number = z.number().meta({ minimum: 0, maximum: 1 });
  const text = z.string().meta({ pattern: RATIO_PATTERN });
  return z.union([number, text], { error: RATIO_EXPECTED }).transform((value, ctx) => {
    const result = parseRatio(value);
    if (result.ok) return result.value;
    const params: IssueParams = { hint: result.hint };
    ctx.addIssue({ code: 'custom', message: result.expected, input: value, params });
    return z.NEVER;
  });
}

/** One of a fixed set of words; a near miss gets a "did you mean". */
export function oneOf<const Values extends readonly [string, ...string[]]>(values: Values) {
  return z.enum(values, { error: `one of ${values.map((v) => `"${v}"`).join(', ')}` });
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** A name used in reports and targets: letters, digits, `.`, `_`, `-` (Kafka's topic alphabet). */
export function name(what: string) {
  const expected = `${what} of letters, digits, ".", "_" and "-"`;
  return z
    .string({ error: expected })
    .min(1, { error: expected })
    .max(249, { error: `${expected}, at most 249 long` })
    .regex(NAME_RE, { error: expected });
}

// A node name (`b1`, `zk`, `client`) or a role (`controller`, `leader(orders/0)`); the runner
// resolves it, so only the shape is checked here.
export const TARGET_RE = /^[A-Za-z][A-Za-z0-9_.-]*(\([A-Za-z0-9_./,-]*\))?$/;

export function target() {
  const expected = 'a node name such as "b1" or a role such as "leader(orders/0)"';
  return z.string({ error: expected }).regex(TARGET_RE, { error: expected });
}

/** `did you mean` the nearest of `values`, for a wrong string value. */
export function hintFor(value: unknown, values: readonly string[]): string | null {
  return typeof value === 'string' ? didYouMean(value, values) : null;
}
