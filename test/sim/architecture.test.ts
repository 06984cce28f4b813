// Design rules that a reviewer could miss but a test cannot.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry)) out.push(path);
  }
  return out;
}

// The wall clock, real timers and ambient randomness break "same seed, same trace".
const FORBIDDEN = /\b(Math\.random|Date\.now|new Date\b|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime|crypto\.random\w*|randomUUID|randomBytes|queueMicrotask)\b/;

describe('architecture', () => {
  test('architecture: sim/ never imports from src/ (the kernel knows nothing of Kafka)', () => {
    const offenders = sources('sim').filter((file) => /from\s+['"][^'"]*\/src\//.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });

  test('architecture: no wall clock, real timers or ambient randomness in sim/ or src/ outside src/cli/', () => {
    const files = [...sources('sim'), ...sources('src')].filter((f) => !f.startsWith(join('src', 'cli')));
    expect(files.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    for (const file of files) {
      readFileSync(join(root, file), 'utf8').split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        if (FORBIDDEN.test(code)) offenders.push(`${relative(root, join(root, file))}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  test('architecture: model code has no Promises (handlers are synchronous; microtasks are outside the scheduler)', () => {
    const files = [...sources('sim'), ...sources('src')].filter((f) => !f.startsWith(join('src', 'cli')) && !f.startsWith(join('src', 'scenario')));
    const offenders = files.filter((file) => /\basync\s+(function|\(|\w+\s*\()|\bawait\b|new Promise\b/.test(readFileSync(join(root, file), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
