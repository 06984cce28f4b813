// The consumer's seam as a rule a test keeps: the application (and the rest of ksim) reaches
// Kafka's consumer client only through its public face, consumer/kafka-consumer.ts (and
// consumer/consumer-config.ts, Kafka's public ConsumerConfig), as a real application reaches
// KafkaConsumer; the coordinator, the Fetcher, SubscriptionState and the metadata stay
// internal to the client, so the application cannot lean on them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const CLIENT = join('src', 'clients', 'consumer');
const PUBLIC = [join(CLIENT, 'kafka-consumer.ts'), join(CLIENT, 'consumer-config.ts')];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The files of src/clients/consumer/ that `file` imports. */
function clientImports(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
    const target = relative(root, join(root, file, '..', match[1]!)).replace(/\.js$/, '.ts');
    if (target.startsWith(CLIENT + sep)) found.push(target);
  }
  return found;
}

describe('clients: consumer layout', () => {
  test('clients: consumer layout: outside src/clients/consumer/, src/ imports only kafka-consumer.ts and consumer-config.ts of the client', () => {
    const outside = sources('src').filter((file) => !file.startsWith(CLIENT + sep));
    const users = outside.filter((file) => clientImports(file).length > 0);
    // The application process is the client's user; if nothing imported the client, this test would test nothing.
    expect(users).toContain(join('src', 'clients', 'consumer-app.ts'));
    const offenders = users.flatMap((file) => clientImports(file).filter((target) => !PUBLIC.includes(target)).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });
});
