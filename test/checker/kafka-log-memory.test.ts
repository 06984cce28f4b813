import { describe, expect, test } from 'vitest';
import { syntheticRun } from './kafka-log-fixture.js';

const MESSAGES = 600_000; // the benchmark's size
const BYTES_PER_MESSAGE_MAX = 300;

describe('checker: log: memory', () => {
  test('checker: log: the ledger and committed offsets of 600,000 messages stay under 300 bytes a message', () => {
    const { cluster, replay } = syntheticRun(6, MESSAGES / 6);
    const gc = (globalThis as { gc?: () => void }).gc;
    const used = (): number => {
      gc!();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.arrayBuffers;
    };
    const before = gc === undefined ? 0 : used();
    replay();
    // With --expose-gc the whole heap growth is measured (the disks were written before);
    // without it, what the checker holds in its typed arrays (capacities, doubling included).
    if (gc !== undefined) expect((used() - before) / MESSAGES).toBeLessThanOrEqual(BYTES_PER_MESSAGE_MAX);
    expect(cluster.checker.retainedBytes() / MESSAGES).toBeLessThanOrEqual(BYTES_PER_MESSAGE_MAX);
    const out = cluster.finish();
    expect(out.messages).toEqual({ sent: MESSAGES, acked: MESSAGES, failed: 0, inLog: MESSAGES, processed: 0 });
    expect(Object.values(out.anomalies).every((n) => n === 0)).toBe(true);
  });
});
