// The report's line for a broker whose start failed: when, why, and what started it again.
import { describe, expect, test } from 'vitest';
import { failedStartText } from '../../src/cli/text-report.js';
import type { FailedStart } from '../../src/checker/start-failures.js';

const failed: FailedStart = {
  broker: 'b2', atMs: 27_102, reason: 'registration-exists', path: '/brokers/ids/2', heldBySessionId: 4,
  sessionExpiredAtMs: 38_001, restartAtMs: null, nextStartAtMs: null,
};

describe('cli: report: failed starts', () => {
  test('cli: report: a failed start names the path, the old session\'s expiry, and that nothing started it again', () => {
    expect(failedStartText(failed)).toBe(
      'b2 failed to start at t=27.102s: /brokers/ids/2 still held by the session of its previous process (expires at t=38.001s); ' +
        'nothing started it again (no supervisor): it stayed down',
    );
  });

  test('cli: report: a failed start says when the supervisor, or something else, started it again', () => {
    expect(failedStartText({ ...failed, restartAtMs: 37_102, nextStartAtMs: 37_102 })).toMatch(/; the supervisor started it again at t=37\.102s$/);
    expect(failedStartText({ ...failed, nextStartAtMs: 30_000 })).toMatch(/; it was started again at t=30\.000s$/);
    expect(failedStartText({ ...failed, restartAtMs: 95_000 })).toMatch(/; the supervisor would start it at t=95\.000s, after the run$/);
    expect(failedStartText({ ...failed, sessionExpiredAtMs: null })).toMatch(/\(which outlived the run\)/);
  });

  test('cli: report: a start that found no ZooKeeper says so', () => {
    expect(failedStartText({ ...failed, reason: 'zookeeper-connection-timeout', path: null, heldBySessionId: null, sessionExpiredAtMs: null }))
      .toMatch(/^b2 failed to start at t=27\.102s: no ZooKeeper connection within zookeeper.connection.timeout.ms; /);
  });
});
