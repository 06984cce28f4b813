// Worker-thread entry. A Worker started on a .ts file does not inherit the parent's tsx loader,
// so each worker registers it itself (with ksim's own tsconfig, as ksim.mjs does) before
// importing the real worker code.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const tsconfig = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
register({ tsconfig: existsSync(tsconfig) ? tsconfig : false });
await import('./worker.ts');
