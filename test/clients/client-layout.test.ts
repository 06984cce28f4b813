// The clients' seams as a rule a test keeps: the applications (and the rest of ksim) reach
// Kafka's producer and consumer clients only through their public faces, as a real application
// reaches KafkaProducer and KafkaConsumer (and ConsumerConfig); the accumulator, the Sender, the
// coordinator, the Fetcher, SubscriptionState, the metadata and the network clients stay internal,
// so an application cannot lean on them.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir))) {
    const path = join(dir, entry);
    if (statSync(join(root, path)).isDirectory()) out.push(...sources(path));
    else if (entry.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** The files of the client folder `client` that `file` imports. */
function clientImports(file: string, client: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/from\s+['"]([^'"]+)['"]/g)) {
    const target = relative(root, join(root, file, '..', match[1]!)).replace(/\.js$/, '.ts');
    if (target.startsWith(client + sep)) found.push(target);
  }
  return found;
}

const CLIENTS = [
  { name: 'producer', app: 'producer-app.ts', public: ['kafka-producer.ts'] },
  { name: 'consumer', app: 'consumer-app.ts', public: ['kafka-consumer.ts', 'consumer-config.ts'] },
];

describe('clients: layout', () => {
  test.each(CLIENTS)('clients: layout: outside src/clients/$name/, src/ imports only the client\'s public files ($public)', ({ name, app, public: publicFiles }) => {
    const client = join('src', 'clients', name);
    const allowed = publicFiles.map((f) => join(client, f));
    const users = sources('src').filter((file) => !file.startsWith(client + sep) && clientImports(file, client).length > 0);
    // The application process is the client's user; if nothing imported the client, this test would test nothing.
    expect(users).toContain(join('src', 'clients', app));
    const offenders = users.flatMap((file) => clientImports(file, client).filter((target) => !allowed.includes(target)).map((target) => `${file} -> ${target}`));
    expect(offenders).toEqual([]);
  });
});
