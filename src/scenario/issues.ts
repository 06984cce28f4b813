// Turns zod's validation issues into InputErrors at the node they concern. Every schema leaf
// sets its message to the "expected ..." text (schema-leaves.ts), so this file only finds the
// position, describes what was found, and adds a hint.
import { z } from 'zod';
import { describeValue, inputError, type PathSegment } from './format.js';
import { CONFIG_TABLES } from './kafka-config.js';
import { didYouMean, editDistance, nearest } from './nearest.js';
import type { IssueParams } from './schema-leaves.js';
import type { InputError } from './types.js';
import { locate, type Source } from './yaml-source.js';

type Issue = z.core.$ZodIssue;

export function issuesToErrors(source: Source, schema: z.ZodType, data: unknown, issues: readonly Issue[]): InputError[] {
  return issues.flatMap((issue) => {
    const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(source, schema, path, key, issue.message));
    const found = 'input' in issue ? issue.input : valueAt(data, path);
    return [inputError(source.file, locate(source, path), path, issue.message, describeValue(found), hintOf(issue, found))];
  });
}

function unknownKey(source: Source, schema: z.ZodType, path: PathSegment[], key: string, expected: string): InputError {
  const known = keysAt(schema, path);
  // A right key in the wrong map beats a far-fetched lookalike in this one.
  const near = nearest(key, known);
  const close = near !== null && editDistance(key.toLowerCase(), near.toLowerCase()) <= 2;
  const suggestion = near === null ? null : `did you mean "${near}"?`;
  const hint = close ? suggestion : (elsewhere(key) ?? suggestion);
  return inputError(source.file, locate(source, [...path, key], true), path, expected, JSON.stringify(key), hint);
}

/** A key that is right but in the wrong map: `acks` under a consumer, `tickTime` under cluster.config. */
function elsewhere(key: string): string | null {
  const homes = CONFIG_TABLES.filter(({ table }) => Object.hasOwn(table, key));
  if (homes.length === 0) return null;
  const labels = homes.map((home) => home.label).join(' and ');
  const wheres = homes.map((home) => home.where).join(' or ');
  return `"${key}" is a ${labels} config: put it under ${wheres}`;
}

function hintOf(issue: Issue, found: unknown): string | null {
  if (issue.code === 'custom') return (issue.params as IssueParams | undefined)?.hint ?? null;
  if (issue.code === 'invalid_value' && typeof found === 'string') {
    const words = issue.values.filter((v): v is string => typeof v === 'string');
    return didYouMean(found, words);
  }
  return quotingHint(issue.message, found) ?? unitHint(issue.message, found);
}

/** `"3"` where an int is expected, `"true"` where a boolean is: the YAML quotes are the mistake. */
function quotingHint(expected: string, found: unknown): string | null {
  if (typeof found !== 'string') return null;
  const wantsNumber = /^(an int|a long|a double|an integer|a whole number)\b/.test(expected);
  if (wantsNumber && /^-?\d+(\.\d+)?$/.test(found.trim())) return `write it without quotes: ${found.trim()}`;
  if (expected.startsWith('a boolean') && /^(true|false)$/.test(found.trim())) return `write it without quotes: ${found.trim()}`;
  return null;
}

/** A plain number where a unit string is expected. */
function unitHint(expected: string, found: unknown): string | null {
  if (typeof found !== 'number') return null;
  if (expected.includes('"250ms"') || expected.includes('"1ms..5ms"')) return `add a unit: "${found}ms" or "${found}s"`;
  if (expected.includes('"500/s"')) return `add a unit: "${found}/s"`;
  return null;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let value = data;
  for (const segment of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PathSegment, unknown>)[segment];
  }
  return value;
}

/** The keys a strict map at `path` accepts, found by walking the schema itself. */
function keysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let current: z.ZodType | undefined = schema;
  for (const segment of path) {
    const inner = unwrap(current);
    const key = String(segment);
    if (inner instanceof z.ZodObject) current = Object.hasOwn(inner.shape, key) ? (inner.shape[key] as z.ZodType) : undefined;
    else if (inner instanceof z.ZodArray) current = inner.element as z.ZodType;
    else current = undefined;
    if (current === undefined) return [];
  }
  const target = unwrap(current);
  return target instanceof z.ZodObject ? Object.keys(target.shape) : [];
}

function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let current = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodDefault || current instanceof z.ZodPrefault) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}
