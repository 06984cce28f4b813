// `npm run schema`: regenerates scenario.schema.json next to this file. A test fails when the
// committed file differs from what this writes, so run it after changing the schema.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scenarioJsonSchemaText } from './json-schema.js';

const target = fileURLToPath(new URL('./scenario.schema.json', import.meta.url));
writeFileSync(target, scenarioJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
