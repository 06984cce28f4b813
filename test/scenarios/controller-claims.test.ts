// The controller's ZooKeeper writes in a catalog scenario, read from the trace.
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { runScenario } from '../../src/runner/index.js';
import { loadScenarioPaths } from '../../src/scenario/index.js';

const { scenarios } = loadScenarioPaths([join(import.meta.dirname, '..', '..', 'scenarios', 'controller-write-retried.yaml')]);

describe('claims: controller writes', () => {
  // PartitionStateMachine.electLeaderForPartitions / ReplicaStateMachine.removeReplicasFromIsr
  // (2.8.2): a BADVERSION re-reads the partition state and decides again on the ISR written there.
  test('claims: controller: a write that meets BADVERSION is decided again on the ISR in ZooKeeper, not on the stale one, and lands', () => {
    const loaded = scenarios[0]!;
    const events: KafkaEvent[] = [];
    const summary = runScenario(loaded, loaded.scenario.seed, { observer: (_atUs: number, event: TraceEvent) => void events.push(event as KafkaEvent) });
    const conflicts = events.filter((e): e is Extract<KafkaEvent, { kind: 'controller.write-conflict' }> => e.kind === 'controller.write-conflict');
    expect(conflicts.map((c) => c.then).sort()).toEqual(['not-needed', 'retry']);
    for (const conflict of conflicts.filter((c) => c.then === 'retry')) {
      const after = events.slice(events.indexOf(conflict));
      const decided = after.find((e): e is Extract<KafkaEvent, { kind: 'election' | 'controller.isr' }> =>
        (e.kind === 'election' || e.kind === 'controller.isr') && e.topic === conflict.topic && e.partition === conflict.partition)!;
      // The new leader epoch follows the one read back, and the new ISR comes out of the ISR read back:
      // the replica its leader had dropped (unknown to the controller) is not put back in.
      expect(decided.leaderEpoch).toBe(conflict.leaderEpoch + 1);
      expect(decided.isr.every((r) => conflict.isr.includes(r))).toBe(true);
    }
    expect(summary.coverage['controller-write-retried']).toBe(2);
    expect(summary.anomalies.lost).toBe(0);
  });
});
