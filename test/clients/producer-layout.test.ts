// The producer's seam as a rule a test keeps: the application (and the rest of ksim) reaches
// Kafka's producer client only through producer/kafka-producer.ts, its public face, as a real
// application reaches KafkaProducer; the accumulator, the Sender, the metadata and the network
// client stay internal to the client, so an application cannot lean on them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const CLIENT = join('src', 'clients', 'producer');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The files of src/clients/producer/ that `file` imports. */
function clientImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
    const target = relative(root, join(root, file, '..', match[1]!)).replace(/\.js$/, '.ts');
    if (target.startsWith(CLIENT + sep)) found.push(target);
  }
  return found;
}

describe('clients: producer layout', () => {
  test('clients: producer layout: outside src/clients/producer/, src/ imports only kafka-producer.ts of the client', () => {
    const outside = sources('src').filter((file) => !file.startsWith(CLIENT + sep));
    const users = outside.filter((file) => clientImports(file).length > 0);
    // The application process is the client's user; if nothing imported the client, this test would test nothing.
    expect(users).toContain(join('src', 'clients', 'producer-app.ts'));
    const offenders = users.flatMap((file) => clientImports(file).filter((target) => target !== join(CLIENT, 'kafka-producer.ts')).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });
});
