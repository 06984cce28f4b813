// RangeAssignor, ported from apache/kafka 3.9 clients/src/test/java/org/apache/kafka/clients/
// consumer/RangeAssignorTest.java (the cases without racks; ksim has none). Kafka's lists are in
// topic order of a HashMap; ksim sorts each list, so expectations are given sorted.
import { describe, expect, test } from 'vitest';
import { rangeAssign } from '../../../src/clients/assignors/index.js';
import { member, parse, shown } from './support.js';

describe('clients: assignors: range', () => {
  test('clients: assignors: range: one member, no topic: an empty assignment', () => {
    // testOneConsumerNoTopic
    expect(shown(rangeAssign({}, [member('consumer1', [])]))).toEqual({ consumer1: '' });
  });

  test('clients: assignors: range: a topic without metadata assigns nothing', () => {
    // testOneConsumerNonexistentTopic
    expect(shown(rangeAssign({}, [member('consumer1', ['topic1'])]))).toEqual({ consumer1: '' });
  });

  test('clients: assignors: range: one member, one topic of 3 partitions: all three', () => {
    // testOneConsumerOneTopic
    expect(shown(rangeAssign({ topic1: 3 }, [member('consumer1', ['topic1'])]))).toEqual({ consumer1: 'topic1-0, topic1-1, topic1-2' });
  });

  test('clients: assignors: range: only partitions of subscribed topics', () => {
    // testOnlyAssignsPartitionsFromSubscribedTopics
    expect(shown(rangeAssign({ topic1: 3, other: 3 }, [member('consumer1', ['topic1'])]))).toEqual({ consumer1: 'topic1-0, topic1-1, topic1-2' });
  });

  test('clients: assignors: range: one member, two topics', () => {
    // testOneConsumerMultipleTopics
    expect(shown(rangeAssign({ topic1: 1, topic2: 2 }, [member('consumer1', ['topic1', 'topic2'])]))).toEqual({
      consumer1: 'topic1-0, topic2-0, topic2-1',
    });
  });

  test('clients: assignors: range: more members than partitions: the first member in order takes it', () => {
    // testTwoConsumersOneTopicOnePartition
    const assignment = rangeAssign({ topic1: 1 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0', consumer2: '' });
  });

  test('clients: assignors: range: two members, one topic of 2 partitions: one each', () => {
    // testTwoConsumersOneTopicTwoPartitions
    const assignment = rangeAssign({ topic1: 2 }, [member('consumer1', ['topic1']), member('consumer2', ['topic1'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1' });
  });

  test('clients: assignors: range: uneven subscriptions: each topic split among its own subscribers', () => {
    // testMultipleConsumersMixedTopics
    const assignment = rangeAssign({ topic1: 3, topic2: 2 }, [
      member('consumer1', ['topic1']),
      member('consumer2', ['topic1', 'topic2']),
      member('consumer3', ['topic1']),
    ]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-0, topic2-1', consumer3: 'topic1-2' });
  });

  test('clients: assignors: range: two members, two topics of 3: the first member takes the extra partition of each', () => {
    // testTwoConsumersTwoTopicsSixPartitions: range's known imbalance, 4 against 2.
    const assignment = rangeAssign({ topic1: 3, topic2: 3 }, [member('consumer1', ['topic1', 'topic2']), member('consumer2', ['topic1', 'topic2'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0, topic1-1, topic2-0, topic2-1', consumer2: 'topic1-2, topic2-2' });
  });

  test('clients: assignors: range: static members are ordered by group.instance.id, not member.id', () => {
    // testTwoStaticConsumersTwoTopicsSixPartitions: consumer-b has instance1, so it goes first.
    const assignment = rangeAssign({ topic1: 3, topic2: 3 }, [
      member('consumer-b', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer-a', ['topic1', 'topic2'], { instance: 'instance2' }),
    ]);
    expect(shown(assignment)).toEqual({ 'consumer-b': 'topic1-0, topic1-1, topic2-0, topic2-1', 'consumer-a': 'topic1-2, topic2-2' });
  });

  test('clients: assignors: range: a static member goes before a dynamic one', () => {
    // testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions
    const assignment = rangeAssign({ topic1: 3, topic2: 3 }, [
      member('consumer-b', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer-a', ['topic1', 'topic2']),
    ]);
    expect(shown(assignment)).toEqual({ 'consumer-b': 'topic1-0, topic1-1, topic2-0, topic2-1', 'consumer-a': 'topic1-2, topic2-2' });
  });

  test('clients: assignors: range: static members keep their ranges when a dynamic member is replaced', () => {
    // testStaticMemberRangeAssignmentPersistent
    const statics = [
      member('consumer1', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer2', ['topic1', 'topic2'], { instance: 'instance2' }),
      member('consumer3', ['topic1', 'topic2'], { instance: 'instance3' }),
    ];
    const expected = { consumer1: 'topic1-0, topic1-1, topic2-0', consumer2: 'topic1-2, topic2-1', consumer3: 'topic1-3, topic2-2' };
    const before = rangeAssign({ topic1: 5, topic2: 4 }, [...statics, member('consumer4', ['topic1', 'topic2'])]);
    expect(shown(before)).toEqual({ ...expected, consumer4: 'topic1-4, topic2-3' });
    const after = rangeAssign({ topic1: 5, topic2: 4 }, [...statics, member('consumer5', ['topic1', 'topic2'])]);
    expect(shown(after)).toEqual({ ...expected, consumer5: 'topic1-4, topic2-3' });
  });

  test('clients: assignors: range: a static member keeps its ranges when its member.id changes', () => {
    // testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges
    const byInstance = (ids: readonly string[]): Record<string, string> => {
      const subscriptions = ids.map((id, i) => member(id, ['topic1', 'topic2'], { instance: `instance${i + 1}` }));
      const assignment = shown(rangeAssign({ topic1: 5, topic2: 5 }, subscriptions));
      return Object.fromEntries(subscriptions.map((subscription) => [subscription.groupInstanceId!, assignment[subscription.memberId]!]));
    };
    const expected = { instance1: 'topic1-0, topic1-1, topic2-0, topic2-1', instance2: 'topic1-2, topic1-3, topic2-2, topic2-3', instance3: 'topic1-4, topic2-4' };
    expect(byInstance(['consumer1', 'consumer2', 'consumer3'])).toEqual(expected);
    expect(byInstance(['consumer1', 'consumer5', 'consumer4'])).toEqual(expected);
  });

  test('clients: assignors: range: owned partitions and generations change nothing', () => {
    // ksim's own case: RangeAssignor reads only topics and group.instance.id.
    const fresh = rangeAssign({ t: 4 }, [member('a', ['t']), member('b', ['t'])]);
    const owned = rangeAssign({ t: 4 }, [member('a', ['t'], { owned: parse('t-2, t-3'), generation: 7 }), member('b', ['t'], { owned: parse('t-0'), generation: 3 })]);
    expect(owned).toEqual(fresh);
  });
});
