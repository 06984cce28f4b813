#!/usr/bin/env node
// The `ksim` entry (package.json `bin`, `npm start`). ksim ships TypeScript sources, so this shim
// registers tsx's ESM loader before importing the real entry. tsx would otherwise read the
// tsconfig.json of the current folder, which is the user's project, not ksim: name ksim's own.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
await import('./main.ts');
