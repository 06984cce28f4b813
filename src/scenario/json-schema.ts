// The scenario schema as JSON Schema, for editors (YAML language servers read it from a
// `# yaml-language-server: $schema=...` comment). It describes the file as written: the input
// side of every transform (durations as strings, not µs).
import { z } from 'zod';
import { scenarioSchema } from './schema.js';

export function scenarioJsonSchemaText(): string {
  const schema = z.toJSONSchema(scenarioSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = schema;
  const document = { $schema, title: 'ksim scenario', ...rest };
  return `${JSON.stringify(document, null, 2)}\n`;
}
