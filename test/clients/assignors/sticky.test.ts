// StickyAssignor, ported from apache/kafka 3.9 clients/src/test/java/org/apache/kafka/clients/
// consumer/internals/AbstractStickyAssignorTest.java (as StickyAssignorTest runs it) and
// StickyAssignorTest.java, without racks. Kafka's `subscription(topics, i)` is member(id, topics);
// its `buildSubscriptionV2Above(topics, owned, generation, i)` adds owned and generation. Exact
// expectations depend on the order Kafka's HashMap gives the member ids, which ksim reproduces.
import { describe, expect, test } from 'vitest';
import { stickyAssign } from '../../../src/clients/assignors/index.js';
import { groupOf } from '../../../src/clients/assignors/group.js';
import { abstractStickyAssign, PartitionInterner } from '../../../src/clients/assignors/sticky-core.js';
import type { PartitionsPerTopic, Subscription } from '../../../src/clients/assignors/types.js';
import { isFullyBalanced, member, owning, parse, partitionsOfTopic, show, shown, verifyValidityAndBalance } from './support.js';

/** Kafka's assignor.partitionsTransferringOwnership after the same call (null: general algorithm). */
function transferring(partitionsPerTopic: PartitionsPerTopic, subscriptions: readonly Subscription[]): Record<string, string> | null {
  const moves = abstractStickyAssign(groupOf(partitionsPerTopic, subscriptions), new PartitionInterner()).partitionsTransferringOwnership;
  return moves === null ? null : Object.fromEntries([...moves].map(([partition, consumer]) => [show([partition]), consumer]));
}

function names(prefix: string, from: number, to: number, digits: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => prefix + String(from + i).padStart(digits, '0'));
}

describe('clients: assignors: sticky: Kafka cases', () => {
  test('clients: assignors: sticky: one member, no topic or a topic without metadata: nothing', () => {
    // testOneConsumerNoTopic, testOneConsumerNonexistentTopic
    expect(shown(stickyAssign({}, [member('consumer', [])]))).toEqual({ consumer: '' });
    expect(shown(stickyAssign({ topic: 0 }, [member('consumer', ['topic'])]))).toEqual({ consumer: '' });
  });

  test('clients: assignors: sticky: one member, one topic of 3 partitions: all three', () => {
    // testOneConsumerOneTopic
    expect(shown(stickyAssign({ topic: 3 }, [member('consumer', ['topic'])]))).toEqual({ consumer: 'topic-0, topic-1, topic-2' });
  });

  test('clients: assignors: sticky: owned partitions of topics outside the subscription are dropped', () => {
    // testOnlyAssignsPartitionsFromSubscribedTopics
    const subscriptions = [member('consumer', ['topic'], { owned: 'topic-0, topic-1, other-0, other-1', generation: 1 })];
    expect(shown(stickyAssign({ topic: 2 }, subscriptions))).toEqual({ consumer: 'topic-0, topic-1' });
    expect(transferring({ topic: 2 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: one member, two topics', () => {
    // testOneConsumerMultipleTopics
    expect(shown(stickyAssign({ topic1: 1, topic2: 2 }, [member('consumer', ['topic1', 'topic2'])]))).toEqual({ consumer: 'topic1-0, topic2-0, topic2-1' });
  });

  test('clients: assignors: sticky: more members than partitions: one member gets it, still balanced', () => {
    // testTwoConsumersOneTopicOnePartition
    const subscriptions = [member('consumer1', ['topic']), member('consumer2', ['topic'])];
    const assignment = stickyAssign({ topic: 1 }, subscriptions);
    verifyValidityAndBalance({ topic: 1 }, subscriptions, assignment);
    expect(isFullyBalanced(assignment)).toBe(true);
  });

  test('clients: assignors: sticky: two members, one topic of 2 partitions: one each', () => {
    // testTwoConsumersOneTopicTwoPartitions
    expect(shown(stickyAssign({ topic: 2 }, [member('consumer1', ['topic']), member('consumer2', ['topic'])]))).toEqual({ consumer1: 'topic-0', consumer2: 'topic-1' });
  });

  test('clients: assignors: sticky: uneven subscriptions: the general algorithm serves the single-subscriber topic first', () => {
    // testMultipleConsumersMixedTopicSubscriptions
    const subscriptions = [member('consumer1', ['topic1']), member('consumer2', ['topic1', 'topic2']), member('consumer3', ['topic1'])];
    expect(shown(stickyAssign({ topic1: 3, topic2: 2 }, subscriptions))).toEqual({ consumer1: 'topic1-0, topic1-2', consumer2: 'topic2-0, topic2-1', consumer3: 'topic1-1' });
    expect(transferring({ topic1: 3, topic2: 2 }, subscriptions)).toBeNull();
  });

  test('clients: assignors: sticky: two members, two topics of 3: round-robin over all six', () => {
    // testTwoConsumersTwoTopicsSixPartitions
    const subscriptions = [member('consumer1', ['topic1', 'topic2']), member('consumer2', ['topic1', 'topic2'])];
    expect(shown(stickyAssign({ topic1: 3, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic1-0, topic1-2, topic2-1', consumer2: 'topic1-1, topic2-0, topic2-2' });
  });

  test('clients: assignors: sticky: a member owning minQuota gets the extra partition', () => {
    // testConsumerOwningMinQuotaExpectedMaxQuota
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2'], { owned: 'topic1-0, topic2-1', generation: 1 }),
      member('consumer2', ['topic1', 'topic2'], { owned: 'topic1-1, topic2-2', generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic1: 2, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic1-0, topic2-0, topic2-1', consumer2: 'topic1-1, topic2-2' });
    expect(transferring({ topic1: 2, topic2: 3 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: more members own maxQuota than may keep it: the last in map order gives one up', () => {
    // testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: Java's HashMap visits consumer2
    // before consumer1, so consumer1 keeps minQuota and topic2-0 moves to consumer3.
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2'], { owned: 'topic1-0, topic2-0', generation: 1 }),
      member('consumer2', ['topic1', 'topic2'], { owned: 'topic1-1, topic2-1', generation: 1 }),
      member('consumer3', ['topic1', 'topic2'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic1: 2, topic2: 2 }, subscriptions))).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-1', consumer3: 'topic2-0' });
    expect(transferring({ topic1: 2, topic2: 2 }, subscriptions)).toEqual({ 'topic2-0': 'consumer3' });
  });

  test('clients: assignors: sticky: every member under minQuota keeps what it owns', () => {
    // testAllConsumersAreUnderMinQuota
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2'], { owned: 'topic1-0', generation: 1 }),
      member('consumer2', ['topic1', 'topic2'], { owned: 'topic1-1', generation: 1 }),
      member('consumer3', ['topic1', 'topic2'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic1: 2, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-2', consumer3: 'topic2-0' });
    expect(transferring({ topic1: 2, topic2: 3 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: a member joins and leaves one topic: only the needed partition moves', () => {
    // testAddRemoveConsumerOneTopic
    const first = stickyAssign({ topic: 3 }, [member('consumer1', ['topic'])]);
    expect(shown(first)).toEqual({ consumer1: 'topic-0, topic-1, topic-2' });
    const joined = [member('consumer1', ['topic'], { owned: first.consumer1, generation: 1 }), member('consumer2', ['topic'], { owned: [], generation: 1 })];
    const second = stickyAssign({ topic: 3 }, joined);
    expect(shown(second)).toEqual({ consumer1: 'topic-0, topic-1', consumer2: 'topic-2' });
    expect(transferring({ topic: 3 }, joined)).toEqual({ 'topic-2': 'consumer2' });
    const third = stickyAssign({ topic: 3 }, [member('consumer2', ['topic'], { owned: second.consumer2, generation: 1 })]);
    expect(shown(third)).toEqual({ consumer2: 'topic-0, topic-1, topic-2' });
  });

  test('clients: assignors: sticky: members joining and leaving keep each topic spread evenly', () => {
    // testTopicBalanceAfterReassignment
    const counts = { topic1: 12, topic2: 12 };
    const all = ['topic1', 'topic2'];
    const perTopic = (assignment: ReturnType<typeof stickyAssign>, expected: number): void => {
      for (const partitions of Object.values(assignment)) for (const topic of all) expect(partitionsOfTopic(partitions, topic)).toBe(expected);
    };
    let subscriptions = [member('consumer1', all)];
    let assignment = stickyAssign(counts, subscriptions);
    perTopic(assignment, 12);
    subscriptions = [member('consumer1', all, { owned: assignment.consumer1, generation: 1 }), member('consumer2', all, { owned: [], generation: 1 })];
    assignment = stickyAssign(counts, subscriptions);
    perTopic(assignment, 6);
    subscriptions = [...owning(subscriptions, assignment, 1), member('consumer3', all, { generation: 1 }), member('consumer4', all, { generation: 1 })];
    assignment = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, assignment);
    perTopic(assignment, 3);
    subscriptions = owning(subscriptions, assignment, 1).filter((subscription) => subscription.memberId >= 'consumer3');
    assignment = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, assignment);
    perTopic(assignment, 6);
  });

  test('clients: assignors: sticky: two members join and then two leave, two topics', () => {
    // testAddRemoveTwoConsumersTwoTopics
    const counts = { topic1: 3, topic2: 4 };
    const all = ['topic1', 'topic2'];
    let subscriptions = [member('consumer1', all), member('consumer2', all)];
    let assignment = stickyAssign(counts, subscriptions);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0, topic1-2, topic2-1, topic2-3', consumer2: 'topic1-1, topic2-0, topic2-2' });
    subscriptions = [...owning(subscriptions, assignment, 1), member('consumer3', all, { generation: 1 }), member('consumer4', all, { generation: 1 })];
    assignment = stickyAssign(counts, subscriptions);
    expect(transferring(counts, subscriptions)).toEqual({ 'topic1-2': 'consumer3', 'topic2-3': 'consumer3', 'topic2-2': 'consumer4' });
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-0', consumer3: 'topic1-2, topic2-3', consumer4: 'topic2-2' });
    subscriptions = owning(subscriptions, assignment, 1).slice(2);
    assignment = stickyAssign(counts, subscriptions);
    expect(shown(assignment)).toEqual({ consumer3: 'topic1-0, topic1-2, topic2-1, topic2-3', consumer4: 'topic1-1, topic2-0, topic2-2' });
    expect(transferring(counts, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: the case roundrobin handles poorly is balanced', () => {
    // testPoorRoundRobinAssignmentScenario: topic1..topic5 with 2, 1, 2, 1, 2 partitions.
    const counts = { topic1: 2, topic2: 1, topic3: 2, topic4: 1, topic5: 2 };
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2', 'topic3', 'topic4', 'topic5']),
      member('consumer2', ['topic1', 'topic3', 'topic5']),
      member('consumer3', ['topic1', 'topic3', 'topic5']),
      member('consumer4', ['topic1', 'topic2', 'topic3', 'topic4', 'topic5']),
    ];
    const assignment = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, assignment);
    expect(Math.max(...Object.values(assignment).map((partitions) => partitions.length))).toBe(2);
  });

  test('clients: assignors: sticky: a topic added and then removed: each member keeps its partitions', () => {
    // testAddRemoveTopicTwoConsumers
    const subscriptions = [member('consumer1', ['topic']), member('consumer2', ['topic'])];
    const first = stickyAssign({ topic: 3 }, subscriptions);
    expect(isFullyBalanced(first)).toBe(true);
    const twoTopics = owning(subscriptions, first, 1).map((subscription) => ({ ...subscription, topics: ['topic', 'topic2'] }));
    const second = stickyAssign({ topic: 3, topic2: 3 }, twoTopics);
    verifyValidityAndBalance({ topic: 3, topic2: 3 }, twoTopics, second);
    for (const consumer of ['consumer1', 'consumer2']) {
      expect(second[consumer]).toHaveLength(3);
      expect(second[consumer]).toEqual(expect.arrayContaining([...first[consumer]!]));
    }
    const oneTopic = owning(twoTopics, second, 1).map((subscription) => ({ ...subscription, topics: ['topic2'] }));
    const third = stickyAssign({ topic2: 3 }, oneTopic);
    verifyValidityAndBalance({ topic2: 3 }, oneTopic, third);
    for (const consumer of ['consumer1', 'consumer2']) expect(second[consumer]).toEqual(expect.arrayContaining([...third[consumer]!]));
  });

  test('clients: assignors: sticky: one member of nineteen with nested subscriptions leaves', () => {
    // testReassignmentAfterOneConsumerLeaves: t01..t19 with i partitions; c01..c19, ci subscribes t01..ti.
    const topics = names('t', 1, 19, 2);
    const counts = Object.fromEntries(topics.map((topic, i) => [topic, i + 1]));
    const subscriptions = names('c', 1, 19, 2).map((id, i) => member(id, topics.slice(0, i + 1)));
    const first = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, first);
    const without10 = owning(subscriptions, first, 1).filter((subscription) => subscription.memberId !== 'c10');
    const second = stickyAssign(counts, without10);
    verifyValidityAndBalance(counts, without10, second);
  });

  test('clients: assignors: sticky: a tenth member joins a topic of 20 partitions', () => {
    // testReassignmentAfterOneConsumerAdded (nine members, then a tenth; owners not updated, as in Kafka)
    const subscriptions = names('c', 1, 9, 2).map((id) => member(id, ['topic']));
    verifyValidityAndBalance({ topic: 20 }, subscriptions, stickyAssign({ topic: 20 }, subscriptions));
    const more = [...subscriptions, member('c10', ['topic'])];
    const assignment = stickyAssign({ topic: 20 }, more);
    verifyValidityAndBalance({ topic: 20 }, more, assignment);
    expect(transferring({ topic: 20 }, more)).toEqual({});
  });

  test('clients: assignors: sticky: eight members with the same fourteen topics, then one leaves', () => {
    // testSameSubscriptions
    const topics = names('t', 1, 14, 2);
    const counts = Object.fromEntries(topics.map((topic, i) => [topic, i + 1]));
    const subscriptions = names('c', 1, 8, 1).map((id) => member(id, topics));
    const first = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, first);
    const without5 = owning(subscriptions, first, 1).filter((subscription) => subscription.memberId !== 'c5');
    const second = stickyAssign(counts, without5);
    verifyValidityAndBalance(counts, without5, second);
    expect(transferring(counts, without5)).toEqual({});
    for (const subscription of without5) expect(second[subscription.memberId]).toEqual(expect.arrayContaining([...first[subscription.memberId]!]));
  });

  test('clients: assignors: sticky: three generations claiming one partition, in every order, never assign it twice', () => {
    // testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
    for (const [g1, g2, g3] of [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] as const) {
      const subscriptions = [
        member('consumer1', ['topic'], { owned: 'topic-0, topic-2', generation: g1 }),
        member('consumer2', ['topic'], { owned: 'topic-1, topic-2, topic-3', generation: g2 }),
        member('consumer3', ['topic'], { owned: 'topic-2, topic-4, topic-5', generation: g3 }),
        member('consumer4', ['topic1'], { owned: 'topic1-0', generation: 2 }),
      ];
      const assignment = stickyAssign({ topic: 6, topic1: 1 }, subscriptions);
      const all = Object.values(assignment).flatMap((partitions) => partitions.map((partition) => show([partition])));
      expect(new Set(all).size).toBe(all.length);
      for (const partitions of Object.values(assignment)) expect(partitions.length).toBeGreaterThanOrEqual(1);
      for (const partitions of Object.values(assignment)) expect(partitions.length).toBeLessThanOrEqual(2);
    }
  });

  test('clients: assignors: sticky: a member that adds a topic to its subscription', () => {
    // testNewSubscription: t1..t4 with one partition; c0 subscribes nothing, c1 t1, c2 t2..t4; then c0 adds t1.
    const counts = { t1: 1, t2: 1, t3: 1, t4: 1 };
    const subscriptions = [member('c0', []), member('c1', ['t1']), member('c2', ['t2', 't3', 't4'])];
    const first = stickyAssign(counts, subscriptions);
    verifyValidityAndBalance(counts, subscriptions, first);
    const added = subscriptions.map((subscription) => (subscription.memberId === 'c0' ? { ...subscription, topics: ['t1'] } : subscription));
    verifyValidityAndBalance(counts, added, stickyAssign(counts, added));
  });

  test('clients: assignors: sticky: existing assignments move to balance six single-partition topics', () => {
    // testMoveExistingAssignments
    const counts = { topic1: 1, topic2: 1, topic3: 1, topic4: 1, topic5: 1, topic6: 1 };
    const subscriptions = [
      member('consumer1', ['topic1', 'topic2'], { owned: 'topic1-0', generation: 1 }),
      member('consumer2', ['topic1', 'topic2', 'topic3', 'topic4'], { owned: 'topic2-0, topic3-0', generation: 1 }),
      member('consumer3', ['topic2', 'topic3', 'topic4', 'topic5', 'topic6'], { owned: 'topic4-0, topic5-0, topic6-0', generation: 1 }),
    ];
    verifyValidityAndBalance(counts, subscriptions, stickyAssign(counts, subscriptions));
    expect(transferring(counts, subscriptions)).toBeNull();
  });

  test('clients: assignors: sticky: when a member leaves, the others keep their partition', () => {
    // testStickiness: four members, three partitions; the first leaves.
    const subscriptions = ['consumer1', 'consumer2', 'consumer3', 'consumer4'].map((id) => member(id, ['topic1']));
    const first = stickyAssign({ topic1: 3 }, subscriptions);
    for (const partitions of Object.values(first)) expect(partitions.length).toBeLessThanOrEqual(1);
    const rest = owning(subscriptions, first, 1).slice(1);
    const second = stickyAssign({ topic1: 3 }, rest);
    verifyValidityAndBalance({ topic1: 3 }, rest, second);
    for (const subscription of rest) {
      expect(second[subscription.memberId]).toHaveLength(1);
      expect(second[subscription.memberId]).toEqual(expect.arrayContaining([...first[subscription.memberId]!]));
    }
  });

  test('clients: assignors: sticky: a deleted topic, and a member whose only topic was deleted', () => {
    // testAssignmentUpdatedForDeletedTopic, testNoExceptionThrownWhenOnlySubscribedTopicDeleted
    const assignment = stickyAssign({ topic1: 1, topic3: 100 }, [member('consumer', ['topic1', 'topic2', 'topic3'])]);
    expect(assignment.consumer).toHaveLength(101);
    const first = stickyAssign({ topic: 3 }, [member('consumer', ['topic'])]);
    const deleted = stickyAssign({}, [member('consumer', ['topic'], { owned: first.consumer, generation: 1 })]);
    expect(shown(deleted)).toEqual({ consumer: '' });
  });

  test('clients: assignors: sticky: members at minQuota after the extra partitions are placed count as filled', () => {
    // testAllConsumersReachExpectedQuotaAndAreConsideredFilled
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-1', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-2', generation: 1 }),
      member('consumer3', ['topic'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic: 4 }, subscriptions))).toEqual({ consumer1: 'topic-0, topic-1', consumer2: 'topic-2', consumer3: 'topic-3' });
    expect(transferring({ topic: 4 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: generation conflict: the claim of a stale generation loses', () => {
    // testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration
    const subscriptions = [
      member('consumer1', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1', generation: 10 }),
      member('consumer2', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1', generation: 9 }),
    ];
    expect(shown(stickyAssign({ topic: 3, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic-0, topic-2, topic2-1', consumer2: 'topic-1, topic2-0, topic2-2' });
    expect(transferring({ topic: 3, topic2: 3 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: generation conflict: a claim without a generation loses', () => {
    // testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration
    const subscriptions = [
      member('consumer1', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1', generation: 10 }),
      member('consumer2', ['topic', 'topic2'], { owned: 'topic-0, topic-2, topic2-1' }),
    ];
    expect(shown(stickyAssign({ topic: 3, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic-0, topic-2, topic2-1', consumer2: 'topic-1, topic2-0, topic2-2' });
  });

  test('clients: assignors: sticky: generation conflict: two owners in one generation both lose the partition', () => {
    // testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration,
    // StickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-1', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-0, topic-2', generation: 1 }),
      member('consumer3', ['topic'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic: 3 }, subscriptions))).toEqual({ consumer1: 'topic-1', consumer2: 'topic-2', consumer3: 'topic-0' });
    expect(transferring({ topic: 3 }, subscriptions)).toEqual({ 'topic-0': 'consumer3' });
  });

  test('clients: assignors: sticky: generation conflict in one generation, unequal counts', () => {
    // StickyAssignorTest.testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-1', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-0, topic-2', generation: 1 }),
      member('consumer3', ['topic'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic: 4 }, subscriptions))).toEqual({ consumer1: 'topic-1, topic-3', consumer2: 'topic-2', consumer3: 'topic-0' });
  });

  test('clients: assignors: sticky: generation conflict: each partition goes to its highest-generation claimant', () => {
    // testEnsurePartitionsAssignedToHighestGeneration
    const all = ['topic', 'topic2', 'topic3'];
    const subscriptions = [
      member('consumer1', all, { owned: 'topic-0, topic2-0, topic3-0', generation: 10 }),
      member('consumer2', all, { owned: 'topic-1, topic2-1, topic3-1', generation: 9 }),
      member('consumer3', all, { owned: 'topic2-1, topic3-0, topic3-2', generation: 8 }),
    ];
    expect(shown(stickyAssign({ topic: 3, topic2: 3, topic3: 3 }, subscriptions))).toEqual({
      consumer1: 'topic-0, topic2-0, topic3-0',
      consumer2: 'topic-1, topic2-1, topic3-1',
      consumer3: 'topic-2, topic2-2, topic3-2',
    });
    expect(transferring({ topic: 3, topic2: 3, topic3: 3 }, subscriptions)).toEqual({});
  });

  test('clients: assignors: sticky: a member without a generation gets only the unowned partitions', () => {
    // testNoReassignmentOnCurrentMembers
    const all = ['topic', 'topic2', 'topic3', 'topic1'];
    const subscriptions = [
      member('consumer1', all, { owned: [] }),
      member('consumer2', all, { owned: 'topic-0, topic2-0, topic1-0', generation: 9 }),
      member('consumer3', all, { owned: 'topic3-2, topic2-2, topic1-1', generation: 8 }),
      member('consumer4', all, { owned: 'topic3-1, topic-1, topic-2', generation: 7 }),
    ];
    const assignment = stickyAssign({ topic: 3, topic1: 3, topic2: 3, topic3: 3 }, subscriptions);
    expect(show(assignment.consumer1!)).toBe('topic1-2, topic2-1, topic3-0');
    expect(isFullyBalanced(assignment)).toBe(true);
  });

  test('clients: assignors: sticky: generation conflict over several partitions', () => {
    // testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
    const subscriptions = [
      member('consumer1', ['topic', 'topic2'], { owned: 'topic-0, topic2-1, topic-1', generation: 10 }),
      member('consumer2', ['topic', 'topic2'], { owned: 'topic-0, topic2-1, topic2-2', generation: 8 }),
    ];
    expect(shown(stickyAssign({ topic: 3, topic2: 3 }, subscriptions))).toEqual({ consumer1: 'topic-0, topic-1, topic2-1', consumer2: 'topic-2, topic2-0, topic2-2' });
  });

  for (const allSubscriptionsEqual of [true, false]) {
    test(`clients: assignors: sticky: multiple generations, owners from the newest kept (${allSubscriptionsEqual ? 'same' : 'different'} subscriptions)`, () => {
      // StickyAssignorTest.testAssignmentWithMultipleGenerations1
      const counts = { topic: 6, topic2: 6 };
      const all = ['topic', 'topic2'];
      const topics2 = allSubscriptionsEqual ? all : ['topic'];
      const r1 = stickyAssign(counts, [member('consumer1', all), member('consumer2', topics2), member('consumer3', all)]);
      expect(Object.values(r1).map((partitions) => partitions.length)).toEqual([4, 4, 4]);
      const round2 = [member('consumer1', all, { owned: r1.consumer1, generation: 1 }), member('consumer2', topics2, { owned: r1.consumer2, generation: 1 })];
      const r2 = stickyAssign(counts, round2);
      expect([r2.consumer1!.length, r2.consumer2!.length]).toEqual([6, 6]);
      if (allSubscriptionsEqual) expect(r2.consumer1).toEqual(expect.arrayContaining([...r1.consumer1!]));
      expect(r2.consumer2).toEqual(expect.arrayContaining([...r1.consumer2!]));
      expect(r2.consumer2!.some((partition) => r1.consumer3!.some((other) => show([other]) === show([partition])))).toBe(true);
      const round3 = [member('consumer2', topics2, { owned: r2.consumer2, generation: 2 }), member('consumer3', all, { owned: r1.consumer3, generation: 1 })];
      const r3 = stickyAssign(counts, round3);
      verifyValidityAndBalance(counts, round3, r3);
      expect([r3.consumer2!.length, r3.consumer3!.length]).toEqual([6, 6]);
    });

    test(`clients: assignors: sticky: a member returning with an old generation (${allSubscriptionsEqual ? 'same' : 'different'} subscriptions)`, () => {
      // StickyAssignorTest.testAssignmentWithMultipleGenerations2
      const counts = { topic: 4, topic2: 4, topic3: 4 };
      const all = ['topic', 'topic2', 'topic3'];
      const topics1 = allSubscriptionsEqual ? all : ['topic'];
      const topics3 = allSubscriptionsEqual ? all : ['topic', 'topic2'];
      const r1 = stickyAssign(counts, [member('consumer1', topics1), member('consumer2', all), member('consumer3', topics3)]);
      const r2 = stickyAssign(counts, [member('consumer2', all, { owned: r1.consumer2, generation: 1 })]);
      expect(r2.consumer2).toHaveLength(12);
      const round3 = [
        member('consumer1', topics1, { owned: r1.consumer1, generation: 1 }),
        member('consumer2', all, { owned: r2.consumer2, generation: 2 }),
        member('consumer3', topics3, { owned: r1.consumer3, generation: 1 }),
      ];
      const r3 = stickyAssign(counts, round3);
      verifyValidityAndBalance(counts, round3, r3);
      expect(Object.values(r3).map((partitions) => partitions.length)).toEqual([4, 4, 4]);
    });

    test(`clients: assignors: sticky: conflicting previous generations (${allSubscriptionsEqual ? 'same' : 'different'} subscriptions)`, () => {
      // StickyAssignorTest.testAssignmentWithConflictingPreviousGenerations
      const counts = { topic: 4, topic2: 4, topic3: 4 };
      const all = ['topic', 'topic2', 'topic3'];
      const c2 = 'topic-0, topic-1, topic2-0, topic2-1, topic2-2, topic2-3';
      const c3 = 'topic-2, topic-3, topic3-0, topic3-1, topic3-2, topic3-3';
      const subscriptions = [
        member('consumer1', allSubscriptionsEqual ? all : ['topic'], { owned: allSubscriptionsEqual ? 'topic-0, topic-1, topic-2, topic2-2, topic2-3, topic3-0' : 'topic-0, topic-1, topic-2, topic-3', generation: 1 }),
        member('consumer2', allSubscriptionsEqual ? all : ['topic', 'topic2'], { owned: c2, generation: 2 }),
        member('consumer3', all, { owned: c3, generation: 2 }),
      ];
      const assignment = stickyAssign(counts, subscriptions);
      verifyValidityAndBalance(counts, subscriptions, assignment);
      expect(Object.values(assignment).map((partitions) => partitions.length)).toEqual([4, 4, 4]);
      expect(parse(c2).map((partition) => show([partition]))).toEqual(expect.arrayContaining(assignment.consumer2!.map((partition) => show([partition]))));
      expect(parse(c3).map((partition) => show([partition]))).toEqual(expect.arrayContaining(assignment.consumer3!.map((partition) => show([partition]))));
    });
  }

  test('clients: assignors: sticky: a member of the old user-data schema, without a generation', () => {
    // StickyAssignorTest.testSchemaBackwardCompatibility
    const subscriptions = [
      member('consumer1', ['topic'], { owned: 'topic-0, topic-2', generation: 1 }),
      member('consumer2', ['topic'], { owned: 'topic-1' }),
      member('consumer3', ['topic']),
    ];
    const assignment = stickyAssign({ topic: 3 }, subscriptions);
    expect(Object.values(assignment).map((partitions) => partitions.length)).toEqual([1, 1, 1]);
    expect(['topic-0', 'topic-2']).toContain(show(assignment.consumer1!));
    expect(show(assignment.consumer2!)).toBe('topic-1');
  });

  test('clients: assignors: sticky: members of older protocol versions keep what they own', () => {
    // StickyAssignorTest.testAssignorWithOldVersionSubscriptions (V0, V1, V2 all carry generation 1)
    const subscriptions = [
      member('consumer1', ['topic1'], { owned: 'topic1-0', generation: 1 }),
      member('consumer2', ['topic1'], { owned: 'topic1-1', generation: 1 }),
      member('consumer3', ['topic1'], { owned: [], generation: 1 }),
    ];
    expect(shown(stickyAssign({ topic1: 3 }, subscriptions))).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1', consumer3: 'topic1-2' });
  });

  test('clients: assignors: sticky: uniform subscription over t1 (6), t2 (7), t3 (2), and kept when owned', () => {
    // testRackAwareAssignmentWithUniformSubscription: its non-rack-aware expectation, which
    // verifyUniformSubscription also checks with the result as owned partitions.
    const counts = { t1: 6, t2: 7, t3: 2 };
    const expected = { consumer0: 't1-0, t1-3, t2-0, t2-3, t2-6', consumer1: 't1-1, t1-4, t2-1, t2-4, t3-0', consumer2: 't1-2, t1-5, t2-2, t2-5, t3-1' };
    const ids = ['consumer0', 'consumer1', 'consumer2'] as const;
    expect(shown(stickyAssign(counts, ids.map((id) => member(id, ['t1', 't2', 't3']))))).toEqual(expected);
    expect(shown(stickyAssign(counts, ids.map((id) => member(id, ['t1', 't2', 't3'], { owned: expected[id] }))))).toEqual(expected);
  });

  test('clients: assignors: sticky: non-equal subscription over t1 (6), t2 (7), t3 (2), and kept when owned', () => {
    // testRackAwareAssignmentWithNonEqualSubscription: its non-rack-aware expectation.
    const counts = { t1: 6, t2: 7, t3: 2 };
    const topics = { consumer0: ['t1', 't2', 't3'], consumer1: ['t1', 't2', 't3'], consumer2: ['t1', 't3'] };
    const expected = { consumer0: 't1-5, t2-0, t2-2, t2-4, t2-6', consumer1: 't1-3, t2-1, t2-3, t2-5, t3-0', consumer2: 't1-0, t1-1, t1-2, t1-4, t3-1' };
    const ids = ['consumer0', 'consumer1', 'consumer2'] as const;
    expect(shown(stickyAssign(counts, ids.map((id) => member(id, topics[id]))))).toEqual(expected);
    expect(shown(stickyAssign(counts, ids.map((id) => member(id, topics[id], { owned: expected[id] }))))).toEqual(expected);
  });

  test('clients: assignors: sticky: a large uniform group stays fast (200 members, 50 topics of 200)', () => {
    // testLargeAssignmentAndGroupWithUniformSubscription, scaled down from 2,000 x 500 x 2,000.
    const topics = names('t', 0, 49, 2);
    const counts = Object.fromEntries(topics.map((topic) => [topic, 200]));
    const subscriptions = names('c', 0, 199, 3).map((id) => member(id, topics));
    const first = stickyAssign(counts, subscriptions);
    const second = stickyAssign(counts, owning(subscriptions, first, 1).slice(1));
    expect(isFullyBalanced(second)).toBe(true);
    expect(Object.values(second).reduce((sum, partitions) => sum + partitions.length, 0)).toBe(10_000);
  });
});

describe('clients: assignors: sticky: ksim notes', () => {
  test('clients: assignors: sticky: a member with no topics met first does not make subscriptions unequal (as in Kafka)', () => {
    // AbstractStickyAssignor.allSubscriptionsEqual takes the first non-empty subscription as the
    // reference, so an empty one visited before it (here consumer2, which Java's HashMap visits
    // before consumer1) leaves the group "equal" and the constrained algorithm gives it
    // partitions of a topic it does not subscribe to. Visited after, it would not.
    const assignment = stickyAssign({ topic: 2 }, [member('consumer1', ['topic']), member('consumer2', [])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic-0', consumer2: 'topic-1' });
    const other = stickyAssign({ topic: 2 }, [member('consumer1', []), member('consumer2', ['topic'])]);
    expect(shown(other)).toEqual({ consumer1: '', consumer2: 'topic-0, topic-1' });
  });

  test('clients: assignors: sticky: an old owner outside the reassignment does not stop the assignment', () => {
    // X owned T-0 in generation 1 and now holds all of U, a topic nobody else reads, so it takes
    // no part in the balancing. Kafka 3.9 then throws a NullPointerException looking up X's
    // count to return T-0 to it; ksim skips the return.
    const subscriptions = [
      member('A', ['T'], { owned: 'T-0, T-1', generation: 2 }),
      member('B', ['T'], { generation: 2 }),
      member('X', ['U'], { owned: 'T-0', generation: 1 }),
    ];
    expect(shown(stickyAssign({ T: 2, U: 1 }, subscriptions))).toEqual({ A: 'T-1', B: 'T-0', X: 'U-0' });
  });

  test('clients: assignors: sticky: a partition is never returned to an old owner that no longer subscribes to it', () => {
    // z owned T-0 in generation 1 and now subscribes to U only; A owns T-0 in generation 2.
    // Kafka 3.9 returns T-0 to z, its previous owner, because z holds two fewer partitions than
    // A: {A: T-1, B: -, y: U-0, z: T-0}. ksim skips that return (see sticky-general.ts), and
    // the usual rebalancing gives T-0 to B, the least loaded subscriber of T.
    const subscriptions = [
      member('A', ['T'], { owned: 'T-0, T-1', generation: 2 }),
      member('B', ['T'], { generation: 2 }),
      member('y', ['U'], { generation: 1 }),
      member('z', ['U'], { owned: 'T-0', generation: 1 }),
    ];
    const assignment = stickyAssign({ T: 2, U: 1 }, subscriptions);
    expect(shown(assignment)).toEqual({ A: 'T-1', B: 'T-0', y: 'U-0', z: '' });
    verifyValidityAndBalance({ T: 2, U: 1 }, subscriptions, assignment);
  });
});
