// Issue 13, catalog 5: a transactional producer killed mid-transaction, read from the trace of
// scenarios/txn-producer-dies.yaml and its twin txn-producer-commits.yaml.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

const { scenarios } = loadScenarioPaths([join(import.meta.dirname, '..', '..', 'scenarios')]);

function run(name: string): { atUs: number; event: KafkaEvent }[] {
  const loaded = scenarios.find((s) => s.scenario.name === name)!;
  const events: { atUs: number; event: KafkaEvent }[] = [];
  runScenario(loaded, loaded.scenario.seed, { observer: (atUs: number, event: TraceEvent) => events.push({ atUs, event: event as KafkaEvent }) });
  return events;
}

const KILL_US = 3_250_000;
const TIMEOUT_US = 3_000_000; // the scenario's transaction.timeout.ms
const HEAL_US = 25_000_000; // the killed producer starts again when the faults heal (duration)

describe('claims: transactional producer', () => {
  // The coordinator aborts a transaction open longer than transaction.timeout.ms on its periodic
  // check (TransactionCoordinator.abortTimedOutTransactions), not when the producer comes back.
  test('claims: transactional producer: killed mid-transaction, its transaction is aborted by the coordinator after transaction.timeout.ms, before the producer restarts; read_committed never returns its records', () => {
    const events = run('txn-producer-dies');
    const ended = events.filter((e) => e.event.kind === 'app.txn').map((e) => e.event as Extract<KafkaEvent, { kind: 'app.txn' }>);
    expect(ended.length).toBeGreaterThan(0);
    expect(ended.every((t) => t.outcome === 'committed')).toBe(true);
    const lastCommitted = Math.max(...ended.filter((t) => t.producer === 'p1').map((t) => t.lastSeq));
    // Records sent after the last commit belong to the transaction the kill left open.
    const open = events.filter((e) => e.event.kind === 'app.send' && e.atUs < KILL_US && (e.event as { seq: number }).seq > lastCommitted);
    expect(open.length).toBeGreaterThan(0);
    const aborts = events.filter((e) => e.event.kind === 'txn.transition' && (e.event as { to: string }).to === 'PrepareAbort');
    expect(aborts.length).toBeGreaterThan(0);
    expect(aborts[0]!.atUs).toBeGreaterThanOrEqual(KILL_US + TIMEOUT_US);
    expect(aborts[0]!.atUs).toBeLessThan(HEAL_US);
    const markers = events.filter((e) => e.event.kind === 'txn.marker' && (e.event as { topic: string }).topic === 'orders');
    expect(markers.some((m) => (m.event as { result: string }).result === 'ABORT')).toBe(true);
    const processed = events.filter((e) => e.event.kind === 'app.processed').map((e) => (e.event as unknown as { seq: number }).seq);
    expect(processed.filter((seq) => seq > lastCommitted && seq <= lastCommitted + open.length)).toEqual([]);
  });

  test('claims: transactional producer: without the kill every transaction commits and no ABORT marker is written', () => {
    const events = run('txn-producer-commits');
    const ended = events.filter((e) => e.event.kind === 'app.txn').map((e) => (e.event as { outcome: string }).outcome);
    expect(ended.length).toBe(20); // 1000 records in transactions of 50
    expect(ended.every((o) => o === 'committed')).toBe(true);
    expect(events.filter((e) => e.event.kind === 'txn.marker' && (e.event as { result: string }).result === 'ABORT')).toEqual([]);
  });
});
