// Zod schemas for Kafka config maps, built from the tables in kafka-config.ts: each key is
// type-checked as Kafka's ConfigDef would, and an unknown key is an error.
import { z } from 'zod';
import {
  INT_MAX,
  INT_MIN,
  LONG_MAX,
  LONG_MIN,
  type KafkaConfigEntry,
  type KafkaConfigTable,
  type KafkaConfigValue,
} from './kafka-config.js';
import { hintFor, strictMap, type IssueParams } from './schema-leaves.js';

const TYPE_BOUNDS = { int: [INT_MIN, INT_MAX], long: [LONG_MIN, LONG_MAX], double: [-Number.MAX_VALUE, Number.MAX_VALUE] } as const;

function numberExpected(entry: KafkaConfigEntry, type: 'int' | 'long' | 'double'): string {
  const noun = type === 'int' ? 'an int' : type === 'long' ? 'a long' : 'a double';
  const { min, max } = entry;
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun} of at least ${min}`;
  if (max !== undefined) return `${noun} of at most ${max}`;
  return noun;
}

function numberSchema(entry: KafkaConfigEntry, type: 'int' | 'long' | 'double') {
  const error = numberExpected(entry, type);
  const [low, high] = TYPE_BOUNDS[type];
  let schema = z.number({ error }).min(entry.min ?? low, { error });
  // A long above the safe range is Long.MAX_VALUE copied from Kafka's docs; it is kept as LONG_MAX.
  if (type !== 'long' || entry.max !== undefined) schema = schema.max(entry.max ?? high, { error });
  if (type === 'double') return schema;
  if (type === 'int') return schema.int({ error });
  return schema.multipleOf(1, { error }).transform((n) => Math.min(Math.max(n, LONG_MIN), LONG_MAX));
}

/** A string or class key with a fixed set of values; `acks: 1` (a YAML number) becomes "1". */
function choiceSchema(values: readonly string[]) {
  const error = `one of ${values.map((v) => `"${v}"`).join(', ')}`;
  const choices = z.enum(values as [string, ...string[]], { error });
  if (!values.some((v) => /^-?\d+$/.test(v))) return choices;
  return z.union([choices, z.number()], { error }).transform((value, ctx) => {
    const text = String(value);
    if (values.includes(text)) return text;
    const params: IssueParams = { hint: hintFor(text, values) };
    ctx.addIssue({ code: 'custom', message: error, input: value, params });
    return z.NEVER;
  });
}

/** A list key: `"a, b"` or a YAML list → Kafka's comma-separated form `a,b`, aliases resolved. */
function listSchema(entry: KafkaConfigEntry) {
  const values = entry.values;
  const error = values === undefined ? 'a list of strings' : `a list of ${values.map((v) => `"${v}"`).join(', ')}`;
  const items = z.union([z.string(), z.array(z.string())], { error });
  return items.transform((raw, ctx) => {
    const parts = typeof raw === 'string' ? raw.split(',') : raw;
    const resolved = parts.map((item) => item.trim()).map((item) => entry.aliases?.[item] ?? item);
    const bad = values === undefined ? -1 : resolved.findIndex((item) => item !== '' && !values.includes(item));
    if (bad >= 0 && values !== undefined) {
      const params: IssueParams = { hint: hintFor(resolved[bad], values) };
      // A YAML list points at the bad item; a comma-separated string at the whole string.
      const path = typeof raw === 'string' ? [] : [bad];
      ctx.addIssue({ code: 'custom', message: error, input: parts[bad]?.trim(), path, params });
      return z.NEVER;
    }
    return resolved.filter((item) => item !== '').join(',');
  });
}

function valueSchema(entry: KafkaConfigEntry): z.ZodType<KafkaConfigValue, unknown> {
  switch (entry.type) {
    case 'int':
    case 'long':
    case 'double':
      return numberSchema(entry, entry.type);
    case 'boolean':
      return z.boolean({ error: 'a boolean (true or false)' });
    case 'string':
    case 'class':
      if (entry.values !== undefined) return choiceSchema(entry.values);
      return z.string({ error: entry.type === 'class' ? 'a Java class name' : 'a string' });
    case 'list':
      return listSchema(entry);
  }
}

function formatDefault(entry: KafkaConfigEntry): string {
  if (entry.default === null) return 'unset';
  if (entry.default === LONG_MAX) return 'Long.MAX_VALUE (never)';
  return typeof entry.default === 'string' ? `"${entry.default}"` : String(entry.default);
}

function keySchema(entry: KafkaConfigEntry) {
  const schema = valueSchema(entry);
  // Keys whose Kafka default is null accept an explicit null ("leave it unset").
  const nullable = entry.default === null ? schema.nullable() : schema;
  const since = entry.since === undefined ? '' : ` Since Kafka ${entry.since.line} (${entry.since.source}).`;
  return nullable.optional().describe(`${entry.doc} Kafka ${entry.type}, default ${formatDefault(entry)}.${since}`);
}

/** A strict map of one table's keys, each type-checked; `label` names the table in messages. */
export function configMap(table: KafkaConfigTable, label: string) {
  const shape: Record<string, ReturnType<typeof keySchema>> = {};
  for (const [key, entry] of Object.entries(table)) shape[key] = keySchema(entry);
  return strictMap(shape, { map: `a map of ${label} configs`, key: `a ${label} config key` });
}
