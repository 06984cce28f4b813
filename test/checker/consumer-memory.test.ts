// The consumer half's memory bound. Apart from consumer.test.ts because 600,000 messages take
// seconds, and many more through instrumented code: mutation testing of the checker
// (vitest.stryker.config.ts) leaves it out.
import { describe, expect, test } from 'vitest';
import { zeroCounts } from '../../src/checker/anomalies.js';
import { GroupCluster, GROUP, p1 } from './consumer-fixture.js';
import { records, TOPIC } from './kafka-log-fixture.js';

describe('checker: consumer: memory', () => {
  test('checker: consumer: one group processing 600,000 messages keeps the checker under 300 bytes a message', () => {
    const messages = 600_000;
    const batch = 1000;
    const c = new GroupCluster({ groups: [{ name: GROUP, topic: TOPIC, members: ['billing-1'] }] });
    c.at(0).election(1, 1, [1, 2, 3]).coordinator(1);
    c.at(100).assigned('billing-1', 1, [0]).position('billing-1', 0, 0, 'reset-earliest');
    for (let first = 0; first < messages; first += batch) {
      // The log half reads committed offsets from the disks: one batch of records, then its high watermark.
      c.send('p1', first + 1, first + batch).append([1], records('p1', first + 1, first + batch)).hw([1], first + batch).ack('p1', first + 1, first + batch, first);
      c.process('billing-1', 1, first, first + batch - 1, p1).commit('billing-1', 1, [[0, first + batch]], { mode: 'auto', brokers: [1] });
    }
    expect(c.groupChecker.retainedBytes() / messages).toBeLessThanOrEqual(300);
    const out = c.finish();
    expect(out.anomalies).toEqual(zeroCounts());
    expect(out.messages.processed).toBe(messages);
  });
});
