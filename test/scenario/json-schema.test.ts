// The published JSON Schema: never stale, and helpful in an editor (every field described).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scenarioJsonSchemaText } from '../../src/scenario/json-schema.js';

const COMMITTED = new URL('../../src/scenario/scenario.schema.json', import.meta.url);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Paths of properties without a description, anywhere in the schema. */
function undescribed(node: Json, path: string): string[] {
  if (typeof node !== 'object' || node === null) return [];
  if (Array.isArray(node)) return node.flatMap((item, i) => undescribed(item, `${path}[${i}]`));
  const missing: string[] = [];
  const properties = node['properties'];
  if (typeof properties === 'object' && properties !== null && !Array.isArray(properties)) {
    for (const [key, value] of Object.entries(properties)) {
      const described = typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value['description'] === 'string';
      if (!described) missing.push(`${path}.${key}`);
    }
  }
  for (const [key, value] of Object.entries(node)) missing.push(...undescribed(value, `${path}.${key}`));
  return missing;
}

describe('scenario: json schema', () => {
  it('scenario: json schema: the committed scenario.schema.json is what `npm run schema` writes', () => {
    // If this fails, run `npm run schema` and commit the result.
    expect(readFileSync(COMMITTED, 'utf8')).toBe(scenarioJsonSchemaText());
  });

  it('scenario: json schema: every field has a description, for editor help', () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as Json;
    expect(undescribed(schema, '$')).toEqual([]);
  });

  it('scenario: json schema: it describes the file as written (durations as strings, with defaults)', () => {
    const schema = JSON.parse(scenarioJsonSchemaText()) as { properties: Record<string, { type?: string; default?: unknown }> };
    expect(schema.properties['duration']).toMatchObject({ type: 'string', default: '60s' });
    expect(schema.properties['seed']).toMatchObject({ type: 'integer', default: 1 });
  });
});
