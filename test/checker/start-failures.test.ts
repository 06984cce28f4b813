// The start failures the report lists: when and why a broker's start failed, when the ZooKeeper
// session that blocked it expired, and what started it again; a pure observer of the trace.
import { describe, expect, test } from 'vitest';
import { Trace, type ProcessEvent } from '../../sim/index.js';
import { StartFailures } from '../../src/checker/start-failures.js';
import type { KafkaEvent } from '../../src/kafka/events.js';

function watched(): { trace: Trace; failures: StartFailures } {
  const trace = new Trace();
  return { trace, failures: new StartFailures({ trace }, (id) => `b${id}`) };
}

const registrationExists = (broker: number, heldBySessionId: number): KafkaEvent => ({
  kind: 'broker.start-failed', broker, reason: 'registration-exists', path: `/brokers/ids/${broker}`, heldBySessionId, sessionId: heldBySessionId + 10,
});

describe('checker: start failures', () => {
  test('checker: start failures: a start inside the old session: its session expiry, the supervisor\'s restart, the next start, in milliseconds', () => {
    const { trace, failures } = watched();
    trace.record(1_500_999, registrationExists(2, 4));
    trace.record(1_600_000, { kind: 'zk.expired', sessionId: 9, owner: 'b3', ephemerals: [] }); // another session
    trace.record(1_700_000, { kind: 'proc.restart-scheduled', node: 'b3', status: 1, atUs: 9_000_000 } satisfies ProcessEvent); // another node
    trace.record(1_800_000, { kind: 'proc.restart-scheduled', node: 'b2', status: 1, atUs: 6_500_000 } satisfies ProcessEvent);
    trace.record(6_000_000, { kind: 'zk.expired', sessionId: 4, owner: 'b2', ephemerals: ['/brokers/ids/2'] });
    trace.record(6_500_000, { kind: 'proc.start', node: 'b2', incarnation: 3 } satisfies ProcessEvent);
    // Later events about b2 belong to no failure: the one above has its next start.
    trace.record(7_000_000, { kind: 'zk.expired', sessionId: 4, owner: 'b2', ephemerals: [] });
    trace.record(8_000_000, { kind: 'proc.start', node: 'b2', incarnation: 4 } satisfies ProcessEvent);
    expect(failures.list()).toEqual([
      { broker: 'b2', atMs: 1500, reason: 'registration-exists', path: '/brokers/ids/2', heldBySessionId: 4, sessionExpiredAtMs: 6000, restartAtMs: 6500, nextStartAtMs: 6500 },
    ]);
  });

  test('checker: start failures: a ZooKeeper timeout names no session; a cancelled restart leaves the broker down', () => {
    const { trace, failures } = watched();
    trace.record(2_000_000, { kind: 'broker.start-failed', broker: 1, reason: 'zookeeper-connection-timeout', timeoutMs: 18_000 });
    trace.record(2_100_000, { kind: 'proc.restart-scheduled', node: 'b1', status: 1, atUs: 5_000_000 } satisfies ProcessEvent);
    trace.record(2_200_000, { kind: 'proc.restart-cancelled', node: 'b1', why: 'stop' } satisfies ProcessEvent);
    trace.record(2_300_000, { kind: 'proc.start', node: 'b9', incarnation: 2 } satisfies ProcessEvent); // another node
    const list = failures.list();
    expect(list).toEqual([
      { broker: 'b1', atMs: 2000, reason: 'zookeeper-connection-timeout', path: null, heldBySessionId: null, sessionExpiredAtMs: null, restartAtMs: null, nextStartAtMs: null },
    ]);
    // The list is a copy: the report cannot change what the observer keeps.
    (list[0] as { atMs: number }).atMs = 0;
    expect(failures.list()[0]!.atMs).toBe(2000);
  });

  test('checker: start failures: two failures of one broker each get their own next start', () => {
    const { trace, failures } = watched();
    trace.record(1_000_000, registrationExists(2, 4));
    trace.record(2_000_000, { kind: 'proc.start', node: 'b2', incarnation: 2 } satisfies ProcessEvent);
    trace.record(3_000_000, registrationExists(2, 4));
    trace.record(4_000_000, { kind: 'zk.expired', sessionId: 4, owner: 'b2', ephemerals: ['/brokers/ids/2'] });
    trace.record(5_000_000, { kind: 'proc.start', node: 'b2', incarnation: 3 } satisfies ProcessEvent);
    expect(failures.list().map((f) => [f.atMs, f.sessionExpiredAtMs, f.nextStartAtMs])).toEqual([
      [1000, 4000, 2000],
      [3000, 4000, 5000],
    ]);
  });
});
