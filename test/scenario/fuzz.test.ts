// Property: whatever a scenario file is mangled into, the loader answers with errors that name
// the file and point inside the text, and never throws or hits an internal error.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInputError, loadScenarioText, type InputError } from '../../src/scenario/index.js';
import { DESIGN_EXAMPLE, EXAMPLE_SYSTEM, MINIMAL } from './support.js';

const FILE = 'fuzz/scenario.yaml';

const BLOCK_STYLE = `name: block-style
duration: 30s
cluster:
  brokers: 3
  config:
    min.insync.replicas: 2
    log.flush.interval.messages: 1000
topics:
  - name: orders
    partitions: 2
    config: { flush.ms: 60000 }
producers:
  - name: p1
    topic: orders
    messages: 100
    rate: 50/s
    config:
      acks: all
      enable.idempotence: false
faults:
  - at: 5s
    slow-disk: b1
    latency: 20ms
    heal: 2s
  - { at: 6s, one-way: { from: b1, to: zk }, heal: 1s }
  - { at: 7s, hold: { from: b2 } }
`;

const SEEDS = [DESIGN_EXAMPLE, MINIMAL, EXAMPLE_SYSTEM, BLOCK_STYLE];

/** Scalars that are YAML but not what a field wants, and fragments that are not YAML at all. */
const JUNK = ['-1', '0', '1e999', '.inf', '.nan', '~', 'null', 'true', '0x1F', '0o17', '[', ']', '{', '}', '"', "'", '*x', '&a', '!!binary', '!tag', '? ', '- ', '|', '>', '@', '`', '%YAML 1.1', '---', '...', '1ms..', '99999999999999999999h', '1/0', '\t', ' \u00a0', '\u0000', '\ufeff', '\ud800'];

type Mutation =
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'swap'; a: number; b: number }
  | { kind: 'scalar'; index: number; junk: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.nat({ max: 120 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 12 }) }),
  // Random bytes, read as Latin-1, the way a binary blob pasted into an editor looks.
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('latin1')) }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ kind: fc.constant('scalar' as const), index: fc.nat(), junk: fc.oneof(fc.constantFrom(...JUNK), fc.string({ maxLength: 8 })) }),
);

function apply(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'delete': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + text.slice(at + m.length);
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.text + text.slice(at);
    }
    case 'swap': {
      const lines = text.split('\n');
      const a = m.a % lines.length;
      const b = m.b % lines.length;
      [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
      return lines.join('\n');
    }
    case 'scalar': {
      // Replace the value after one `key: ` with junk.
      const values = [...text.matchAll(/: ([^\s,{}[\]#]+)/g)];
      const target = values[m.index % Math.max(1, values.length)];
      if (target?.index === undefined) return text;
      const start = target.index + 2;
      return text.slice(0, start) + m.junk + text.slice(start + (target[1]?.length ?? 0));
    }
  }
}

/** Why an error does not fit the text, or null when it does. */
function misfit(error: InputError, text: string): string | null {
  if (error.file !== FILE) return `file is ${error.file}`;
  if (error.expected === '') return 'empty "expected"';
  if (error.found?.startsWith('an internal error') === true) return `internal error: ${error.found}`;
  const lines = text.split('\n');
  if (error.line === null) return null;
  if (!Number.isInteger(error.line) || error.line < 1 || error.line > lines.length) return `line ${error.line} of ${lines.length}`;
  const length = lines[error.line - 1]?.length ?? 0;
  if (error.column !== null && (error.column < 1 || error.column > length + 1)) return `column ${error.column} of a ${length}-long line`;
  return null;
}

describe('scenario: fuzz', () => {
  it('scenario: fuzz: mutated scenario texts never throw, and every error names the file and a place inside the text', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SEEDS), fc.array(mutation, { minLength: 1, maxLength: 4 }), (seed, mutations) => {
        const text = mutations.reduce(apply, seed);
        const result = loadScenarioText(text, FILE);
        if (result.ok) {
          expect(result.value.file).toBe(FILE);
          return;
        }
        expect(result.errors.length).toBeGreaterThan(0);
        for (const error of result.errors) {
          expect(misfit(error, text), formatInputError(error)).toBeNull();
          expect(formatInputError(error).startsWith(`${FILE}`)).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('scenario: fuzz: the unmutated seeds load', () => {
    for (const seed of SEEDS) expect(loadScenarioText(seed, FILE).ok).toBe(true);
  });
});
