import { describe, expect, test } from 'vitest';
import { newPartitionLeader, offlinePartitionLeaderElection, preferredReplicaLeaderElection, removeReplicaFromIsr } from '../../src/controller/election.js';
import { assignReplicas } from '../../src/admin/assignment.js';

describe('controller: election', () => {
  test('controller: election: the first live ISR member in assignment order leads; the ISR keeps the live ones', () => {
    expect(offlinePartitionLeaderElection([3, 1, 2], [1, 2], new Set([1, 2]), false)).toEqual({ leader: 1, isr: [1, 2], unclean: false });
    expect(offlinePartitionLeaderElection([3, 1, 2], [3, 1, 2], new Set([1, 2]), false)).toEqual({ leader: 1, isr: [1, 2], unclean: false });
  });

  test('controller: election: with no live ISR member, only unclean.leader.election.enable picks an out-of-sync replica', () => {
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], new Set([2, 3]), false)).toBeNull();
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], new Set([3, 2]), true)).toEqual({ leader: 2, isr: [2], unclean: true });
    expect(offlinePartitionLeaderElection([1, 2, 3], [1], new Set([]), true)).toBeNull();
  });

  test('controller: election: the preferred replica leads again only if live and in the ISR', () => {
    expect(preferredReplicaLeaderElection([2, 1, 3], [1, 2, 3], new Set([1, 2, 3]))?.leader).toBe(2);
    expect(preferredReplicaLeaderElection([2, 1, 3], [1, 3], new Set([1, 2, 3]))).toBeNull();
    expect(newPartitionLeader([2, 3, 1], new Set([1, 3]))).toEqual({ leader: 3, isr: [3, 1], unclean: false });
  });

  test('controller: election: a dead replica leaves the ISR, except the last member', () => {
    expect(removeReplicaFromIsr(1, [1, 2, 3], 2)).toEqual({ leader: 1, isr: [1, 3] });
    expect(removeReplicaFromIsr(1, [1, 2], 1)).toEqual({ leader: -1, isr: [2] });
    expect(removeReplicaFromIsr(1, [1], 1)).toEqual({ leader: -1, isr: [1] });
  });

  // Kafka's own example (AdminUtilsTest.testReplicaAssignment): 5 brokers, 10 partitions, RF 3, start 0.
  test('admin: assignment: matches Kafka\'s rack-unaware layout for a fixed start index', () => {
    expect(assignReplicas(10, 3, [0, 1, 2, 3, 4], { startIndex: 0, replicaShift: 0 })).toEqual([
      [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 0], [4, 0, 1], [0, 2, 3], [1, 3, 4], [2, 4, 0], [3, 0, 1], [4, 1, 2],
    ]);
    expect(() => assignReplicas(1, 4, [1, 2, 3], { startIndex: 0, replicaShift: 0 })).toThrow(/larger than the 3 brokers/);
  });
});
