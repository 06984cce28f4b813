// CooperativeStickyAssignor, ported from apache/kafka 3.9 clients/src/test/java/org/apache/kafka/
// clients/consumer/CooperativeStickyAssignorTest.java and the cases of AbstractStickyAssignorTest
// whose partitionsTransferringOwnership the cooperative assignor removes from the assignment.
import { describe, expect, test } from 'vitest';
import { cooperativeStickyAssign, stickyAssign } from '../../../src/clients/assignors/index.js';
import type { GroupAssignment, PartitionsPerTopic, Subscription } from '../../../src/clients/assignors/types.js';
import { isFullyBalanced, member, owning, show, shown, verifyValidityAndBalance } from './support.js';

/** Partitions some member owned and is no longer assigned: they must be revoked first. */
function revoked(subscriptions: readonly Subscription[], assignment: GroupAssignment): string[] {
  return subscriptions.flatMap((subscription) =>
    subscription.ownedPartitions.filter((partition) => !assignment[subscription.memberId]!.some((kept) => show([kept]) === show([partition]))).map((partition) => show([partition])),
  );
}

/**
 * CooperativeStickyAssignorTest.verifyValidityAndBalance: while partitions are being revoked,
 * the members rejoin owning what they were assigned and the group rebalances again (at most
 * four times); then the assignment must be valid and balanced. Returns the final assignment.
 */
function rebalanceUntilStable(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[], generation: number): GroupAssignment {
  let current = subscriptions;
  let assignment = cooperativeStickyAssign(partitionsPerTopic, current);
  let rebalances = 0;
  while (revoked(current, assignment).length > 0) {
    current = owning(current, assignment, generation + rebalances + 1);
    assignment = cooperativeStickyAssign(partitionsPerTopic, current);
    rebalances++;
    expect(rebalances).toBeLessThanOrEqual(4);
  }
  verifyValidityAndBalance(partitionsPerTopic, current, assignment);
  return assignment;
}

describe('clients: assignors: cooperative-sticky', () => {
  test('clients: assignors: cooperative-sticky: one member, one topic: all partitions at once (nothing to revoke)', () => {
    // testOneConsumerOneTopic
    expect(shown(cooperativeStickyAssign({ topic: 3 }, [member('consumer', ['topic'])]))).toEqual({ consumer: 'topic-0, topic-1, topic-2' });
  });

  test('clients: assignors: cooperative-sticky: more members than partitions, two topics, uneven subscriptions: as sticky when nothing is owned', () => {
    // testTwoConsumersOneTopicOnePartition, testTwoConsumersTwoTopicsSixPartitions,
    // testMultipleConsumersMixedTopicSubscriptions: with no owners nothing is withheld.
    const cases: [PartitionsPerTopic, Subscription[]][] = [
      [{ topic: 1 }, [member('consumer1', ['topic']), member('consumer2', ['topic'])]],
      [{ topic1: 3, topic2: 3 }, [member('consumer1', ['topic1', 'topic2']), member('consumer2', ['topic1', 'topic2'])]],
      [{ topic1: 3, topic2: 2 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1', 'topic2']), member('consumer3', ['topic1'])]],
    ];
    for (const [counts, subscriptions] of cases) expect(cooperativeStickyAssign(counts, subscriptions)).toEqual(stickyAssign(counts, subscriptions));
    expect(shown(cooperativeStickyAssign(...cases[2]!))).toEqual({ consumer1: 'topic1-0, topic1-2', consumer2: 'topic2-0, topic2-1', consumer3: 'topic1-1' });
  });

  test('clients: assignors: cooperative-sticky: a partition claimed twice in one generation is assigned to nobody until both revoke it', () => {
    // testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-1', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-0, topic-2', generation: 1 }),
      member('consumer3', ['topic'], { owned: [], generation: 1 }),
    ];
    const assignment = cooperativeStickyAssign({ topic: 3 }, subscriptions);
    expect(shown(assignment)).toEqual({ consumer1: 'topic-1', consumer2: 'topic-2', consumer3: '' });
    expect(shown(rebalanceUntilStable({ topic: 3 }, subscriptions, 1))).toEqual({ consumer1: 'topic-1', consumer2: 'topic-2', consumer3: 'topic-0' });
  });

  test('clients: assignors: cooperative-sticky: a partition claimed twice in one generation, unequal counts', () => {
    // testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-1', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-0, topic-2', generation: 1 }),
      member('consumer3', ['topic'], { owned: [], generation: 1 }),
    ];
    expect(shown(cooperativeStickyAssign({ topic: 4 }, subscriptions))).toEqual({ consumer1: 'topic-1, topic-3', consumer2: 'topic-2', consumer3: '' });
    expect(isFullyBalanced(rebalanceUntilStable({ topic: 4 }, subscriptions, 1))).toBe(true);
  });

  test('clients: assignors: cooperative-sticky: members of older protocol versions keep what they own', () => {
    // testAssignorWithOldVersionSubscriptions
    const subscriptions = [
      member('consumer1', ['topic1'], { owned: 'topic1-0', generation: 1 }),
      member('consumer2', ['topic1'], { owned: 'topic1-1', generation: 1 }),
      member('consumer3', ['topic1'], { owned: [], generation: 1 }),
    ];
    expect(shown(cooperativeStickyAssign({ topic1: 3 }, subscriptions))).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1', consumer3: 'topic1-2' });
  });

  test('clients: assignors: cooperative-sticky: a new member waits one rebalance for the partition it takes over', () => {
    // testAddRemoveConsumerOneTopic: sticky moves topic-2 to consumer2 (partitionsTransferringOwnership).
    const subscriptions = [member('consumer1', ['topic'], { owned: 'topic-0, topic-1, topic-2', generation: 1 }), member('consumer2', ['topic'], { generation: 1 })];
    const first = cooperativeStickyAssign({ topic: 3 }, subscriptions);
    expect(shown(first)).toEqual({ consumer1: 'topic-0, topic-1', consumer2: '' });
    const second = cooperativeStickyAssign({ topic: 3 }, owning(subscriptions, first, 2));
    expect(shown(second)).toEqual({ consumer1: 'topic-0, topic-1', consumer2: 'topic-2' });
  });

  test('clients: assignors: cooperative-sticky: more members own maxQuota than may keep it: the extra one is withheld, then moves', () => {
    // testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: partitionsTransferringOwnership {topic2-0: consumer3}.
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2'], { owned: 'topic1-0, topic2-0', generation: 1 }),
      member('consumer2', ['topic1', 'topic2'], { owned: 'topic1-1, topic2-1', generation: 1 }),
      member('consumer3', ['topic1', 'topic2'], { owned: [], generation: 1 }),
    ];
    expect(shown(cooperativeStickyAssign({ topic1: 2, topic2: 2 }, subscriptions))).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-1', consumer3: '' });
    expect(shown(rebalanceUntilStable({ topic1: 2, topic2: 2 }, subscriptions, 1))).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-1', consumer3: 'topic2-0' });
  });

  test('clients: assignors: cooperative-sticky: two members join two topics: three partitions wait for revocation', () => {
    // testAddRemoveTwoConsumersTwoTopics: partitionsTransferringOwnership is
    // {topic1-2: consumer3, topic2-3: consumer3, topic2-2: consumer4}.
    const all = ['topic1', 'topic2'];
    const counts = { topic1: 3, topic2: 4 };
    const subscriptions = [
      member('consumer1', all, { owned: 'topic1-0, topic1-2, topic2-1, topic2-3', generation: 1 }),
      member('consumer2', all, { owned: 'topic1-1, topic2-0, topic2-2', generation: 1 }),
      member('consumer3', all, { generation: 1 }),
      member('consumer4', all, { generation: 1 }),
    ];
    const first = cooperativeStickyAssign(counts, subscriptions);
    expect(shown(first)).toEqual({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-0', consumer3: '', consumer4: '' });
    const second = cooperativeStickyAssign(counts, owning(subscriptions, first, 2));
    expect(shown(second)).toEqual({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-0', consumer3: 'topic1-2, topic2-3', consumer4: 'topic2-2' });
  });

  test('clients: assignors: cooperative-sticky: owned partitions outside the subscriptions are revoked, then reassigned', () => {
    // testRackAwareAssignmentWithNonEqualSubscription, the cooperative branch without rack
    // preference: owned -> intermediate -> final.
    const counts = { t1: 6, t2: 7, t3: 2 };
    const topics = [['t1', 't2', 't3'], ['t1', 't2', 't3'], ['t1', 't3']];
    const step = (owned: readonly string[]): Record<string, string> =>
      shown(cooperativeStickyAssign(counts, owned.map((partitions, i) => member(`consumer${i}`, topics[i]!, { owned: partitions }))));
    const owned = ['t1-0, t1-1, t1-2, t1-3, t1-4', 't1-5, t2-0, t2-1, t2-2, t2-3', 't2-4, t2-5, t2-6, t3-0, t3-1'];
    const intermediate = step(owned);
    expect(intermediate).toEqual({ consumer0: 't1-2, t1-3, t1-4', consumer1: 't2-0, t2-1, t2-2, t2-3', consumer2: 't3-0, t3-1' });
    expect(step(Object.values(intermediate))).toEqual({
      consumer0: 't1-2, t1-3, t1-4, t2-4, t2-5',
      consumer1: 't2-0, t2-1, t2-2, t2-3, t2-6',
      consumer2: 't1-0, t1-1, t1-5, t3-0, t3-1',
    });
  });

  test('clients: assignors: cooperative-sticky: generation conflict: the stale claimant gets other partitions at once', () => {
    // testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration: consumer2's stale claims
    // are void, and what it receives nobody else owns, so nothing is withheld.
    const subscriptions = [
      member('consumer1', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1', generation: 10 }),
      member('consumer2', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1', generation: 9 }),
    ];
    expect(shown(cooperativeStickyAssign({ topic: 3, topic2: 3 }, subscriptions))).toEqual({
      consumer1: 'topic-0, topic-2, topic2-1',
      consumer2: 'topic-1, topic2-0, topic2-2',
    });
  });

  test('clients: assignors: cooperative-sticky: with different subscriptions a move can take a third rebalance', () => {
    // ksim's case, checked against Kafka 3.9's classes round by round. m1 and m4 join; round 1
    // withholds a-0 and b-0; in round 2 the general algorithm, balancing again from the new
    // owners, gives b-0 back to m2 and takes a-1 from it; round 3 gives a-1 to m4.
    const counts = { a: 2, b: 1, c: 1 };
    let subscriptions = [
      member('m1', ['a'], { generation: 1 }),
      member('m2', ['a', 'b'], { owned: 'a-0, a-1, b-0', generation: 1 }),
      member('m3', ['b', 'c'], { owned: 'c-0', generation: 1 }),
      member('m4', ['a'], { generation: 1 }),
    ];
    const rounds: Record<string, string>[] = [];
    for (let generation = 2; generation <= 4; generation++) {
      const assignment = cooperativeStickyAssign(counts, subscriptions);
      rounds.push(shown(assignment));
      subscriptions = owning(subscriptions, assignment, generation);
    }
    expect(rounds).toEqual([
      { m1: '', m2: 'a-1', m3: 'c-0', m4: '' },
      { m1: 'a-0', m2: 'b-0', m3: 'c-0', m4: '' },
      { m1: 'a-0', m2: 'b-0', m3: 'c-0', m4: 'a-1' },
    ]);
  });

  test('clients: assignors: cooperative-sticky: one of nineteen nested subscribers leaves: valid and balanced within four rebalances', () => {
    // testReassignmentAfterOneConsumerLeaves, checked the cooperative way.
    const topics = Array.from({ length: 19 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`);
    const counts = Object.fromEntries(topics.map((topic, i) => [topic, i + 1]));
    const subscriptions = topics.map((_, i) => member(`c${String(i + 1).padStart(2, '0')}`, topics.slice(0, i + 1)));
    const first = rebalanceUntilStable(counts, subscriptions, 0);
    rebalanceUntilStable(counts, owning(subscriptions, first, 10).filter((subscription) => subscription.memberId !== 'c10'), 10);
  });

  test('clients: assignors: cooperative-sticky: when a member leaves, the others keep their partition', () => {
    // testStickiness, checked the cooperative way.
    const subscriptions = ['consumer1', 'consumer2', 'consumer3', 'consumer4'].map((id) => member(id, ['topic1']));
    const first = rebalanceUntilStable({ topic1: 3 }, subscriptions, 0);
    const rest = owning(subscriptions, first, 5).slice(1);
    const second = rebalanceUntilStable({ topic1: 3 }, rest, 5);
    for (const subscription of rest) expect(second[subscription.memberId]).toEqual(expect.arrayContaining([...first[subscription.memberId]!]));
  });
});
