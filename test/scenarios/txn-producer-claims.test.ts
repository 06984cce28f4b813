// Issue 13, catalog 5: a transactional producer killed mid-transaction, read from the trace of
// scenarios/txn-producer-dies.yaml and its twin txn-producer-commits.yaml.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths, loadScenarioText } from '../../src/scenario/index.js';
import { TRANSACTION_STATE } from '../../src/kafka/records.js';
import { transactionPartitionFor } from '../../src/kafka/transaction-log.js';

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

describe('claims: transactional producer: the txn-coordinator role', () => {
  // txn-coordinator(ID) resolves, when the fault comes, to the leader of the id's
  // __transaction_state partition (TransactionStateManager.partitionFor): the broker the
  // producer's EndTxn goes to. Its death moves the coordinator; the producer finds the new one.
  test('claims: transactional producer: kill txn-coordinator(orders-writer) kills the leader of its __transaction_state partition, and every transaction still ends committed or aborted', () => {
    const base = scenarios.find((s) => s.scenario.name === 'txn-producer-commits')!;
    const text = base.text.replace(/\nexpect:/, '\nfaults:\n  - { at: 4s, kill: txn-coordinator(orders-writer), heal: 5s }\nexpect:');
    const result = loadScenarioText(text, 'txn-coordinator.yaml');
    if (!result.ok) throw new Error('the scenario did not load');
    const events: { atUs: number; event: KafkaEvent }[] = [];
    const summary = runScenario(result.value, 1, { observer: (atUs: number, event: TraceEvent) => events.push({ atUs, event: event as KafkaEvent }) });
    expect(summary.skippedFaults).toEqual([]);
    const partition = transactionPartitionFor('orders-writer', 50);
    const leaderAt4s = events.filter((e) => e.atUs < 4_000_000 && e.event.kind === 'leader' && e.event.topic === TRANSACTION_STATE && e.event.partition === partition).at(-1);
    const killed = events.find((e) => (e.event as { kind: string }).kind === 'proc.kill')?.event as unknown as { node: string } | undefined;
    expect(killed?.node).toBe(`b${(leaderAt4s?.event as { broker: number }).broker}`);
    // Another broker loads the partition and coordinates the id from then on.
    expect(events.some((e) => e.atUs > 4_000_000 && e.event.kind === 'txn.loaded')).toBe(true);
    expect(summary.anomalies.lost).toBe(0);
  });
});
