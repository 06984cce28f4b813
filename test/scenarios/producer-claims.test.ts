// The idempotent producer's claims, read from the trace of its catalog scenarios.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import type { AppEvent, KafkaEvent } from '../../src/kafka/events.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

const { scenarios } = loadScenarioPaths([join(import.meta.dirname, '..', '..', 'scenarios')]);

type Recorded = { atUs: number; event: KafkaEvent | AppEvent };

/** Runs a catalog scenario on its own `seed:` (the run a user sees first), optionally on another release line. */
function run(name: string, kafka?: string): { events: Recorded[]; summary: ReturnType<typeof runScenario> } {
  const found = scenarios.find((s) => s.scenario.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}`);
  const cluster = found.scenario.cluster;
  if (cluster === null) throw new Error(`${name} has no Kafka cluster`);
  const loaded = kafka === undefined ? found : { ...found, scenario: { ...found.scenario, cluster: { ...cluster, kafka } } };
  const events: Recorded[] = [];
  const summary = runScenario(loaded, loaded.scenario.seed, { observer: (atUs: number, event: TraceEvent) => events.push({ atUs, event: event as KafkaEvent | AppEvent }) });
  return { events, summary };
}

const of = <K extends (KafkaEvent | AppEvent)['kind']>(events: readonly Recorded[], kind: K) =>
  events.filter((e) => e.event.kind === kind) as { atUs: number; event: Extract<KafkaEvent | AppEvent, { kind: K }> }[];

describe('claims: idempotent producer', () => {
  // Claim 13: the idempotent producer removes duplicates and keeps order, even when batches fail for good.
  test('claims: idempotence: with faults on the leaders batches fail for good, some after they were written, the epoch is bumped, and nothing is written twice or out of order (3.9)', () => {
    const { events, summary } = run('idempotent-producer-nemesis');
    // Many batches fail for good (delivery.timeout.ms), and some of them are in the log all the
    // same: "maybe sent", told failed, and written once.
    const failed = of(events, 'app.fail');
    expect(failed.length).toBeGreaterThan(summary.messages.sent / 5);
    expect(failed.every(({ event }) => event.error === 'DELIVERY_TIMEOUT')).toBe(true);
    expect(summary.messages.inLog).toBeGreaterThan(summary.messages.acked);
    // The gaps they left were closed by local epoch bumps of one partition each (KIP-360), never a new producer id.
    const resets = of(events, 'producer.sequence-reset');
    expect(resets.length).toBeGreaterThan(0);
    expect(resets.every(({ event }) => event.reason === 'epoch-bump' && event.partitions.length === 1)).toBe(true);
    expect(resets.map(({ event }) => event.producerEpoch)).toEqual(resets.map((_, i) => i + 1));
    expect(summary.coverage['producer-sequence-reset']).toBe(resets.length);
    expect(summary.anomalies).toMatchObject({ duplicated: 0, reordered: 0, lost: 0 });
  });

  test('claims: idempotence: the same faults write batches twice on 3.5, whose late failure of an expired batch bumps the epoch (KAFKA-14831)', () => {
    const { summary } = run('idempotent-producer-nemesis-3.5');
    expect(summary.anomalies.duplicated).toBeGreaterThan(0);
    expect(summary.anomalies).toMatchObject({ reordered: 0, lost: 0 });
    expect(summary.coverage['producer-sequence-reset']).toBeGreaterThan(0);
    // The same seed on 3.6, whose Sender.failBatch hands a batch to handleFailedBatch only on its
    // first completion: the late failures bump no epoch, so fewer bumps, and nothing is written twice.
    const fixed = run('idempotent-producer-nemesis-3.5', '3.6').summary;
    expect(fixed.anomalies).toMatchObject({ duplicated: 0, reordered: 0, lost: 0 });
    expect(fixed.coverage['producer-sequence-reset']).toBeLessThan(summary.coverage['producer-sequence-reset']!);
  });
});
