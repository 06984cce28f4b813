#!/usr/bin/env -S node --single-threaded-gc
// The `ksim` entry (package.json `bin`, `npm start`). ksim ships TypeScript sources, so this shim
// registers tsx's ESM loader before importing the real entry. tsx would otherwise read the
// tsconfig.json of the current folder, which is the user's project, not ksim: name ksim's own.
// --single-threaded-gc (in the shebang and the npm scripts): a run allocates fast and every core
// already runs a worker, so V8's helper GC threads only contend with them; the catalog runs
// about 17% faster without them. V8 flags are per process and cannot be set once it runs.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
await import('./main.ts');
