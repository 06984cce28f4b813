// RoundRobinAssignor, ported from apache/kafka 3.9 clients/src/test/java/org/apache/kafka/clients/
// consumer/RoundRobinAssignorTest.java.
import { describe, expect, test } from 'vitest';
import { roundRobinAssign } from '../../../src/clients/assignors/index.js';
import { member, parse, shown } from './support.js';

describe('clients: assignors: roundrobin', () => {
  test('clients: assignors: roundrobin: one member, no topic: an empty assignment', () => {
    // testOneConsumerNoTopic
    expect(shown(roundRobinAssign({}, [member('consumer', [])]))).toEqual({ consumer: '' });
  });

  test('clients: assignors: roundrobin: a topic without metadata assigns nothing', () => {
    // testOneConsumerNonexistentTopic
    expect(shown(roundRobinAssign({}, [member('consumer', ['topic'])]))).toEqual({ consumer: '' });
  });

  test('clients: assignors: roundrobin: one member, one topic of 3 partitions: all three', () => {
    // testOneConsumerOneTopic
    expect(shown(roundRobinAssign({ topic: 3 }, [member('consumer', ['topic'])]))).toEqual({ consumer: 'topic-0, topic-1, topic-2' });
  });

  test('clients: assignors: roundrobin: only partitions of subscribed topics', () => {
    // testOnlyAssignsPartitionsFromSubscribedTopics
    expect(shown(roundRobinAssign({ topic: 3, other: 3 }, [member('consumer', ['topic'])]))).toEqual({ consumer: 'topic-0, topic-1, topic-2' });
  });

  test('clients: assignors: roundrobin: one member, two topics', () => {
    // testOneConsumerMultipleTopics
    expect(shown(roundRobinAssign({ topic1: 1, topic2: 2 }, [member('consumer', ['topic1', 'topic2'])]))).toEqual({
      consumer: 'topic1-0, topic2-0, topic2-1',
    });
  });

  test('clients: assignors: roundrobin: more members than partitions: the first member in order takes it', () => {
    // testTwoConsumersOneTopicOnePartition
    const assignment = roundRobinAssign({ topic: 1 }, [member('consumer1', ['topic']), member('consumer2', ['topic'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic-0', consumer2: '' });
  });

  test('clients: assignors: roundrobin: two members, one topic of 2 partitions: one each', () => {
    // testTwoConsumersOneTopicTwoPartitions
    const assignment = roundRobinAssign({ topic: 2 }, [member('consumer1', ['topic']), member('consumer2', ['topic'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic-0', consumer2: 'topic-1' });
  });

  test('clients: assignors: roundrobin: uneven subscriptions: members not subscribed to a topic are passed over', () => {
    // testMultipleConsumersMixedTopics: topic2's partitions skip consumer3 and consumer1.
    const assignment = roundRobinAssign({ topic1: 3, topic2: 2 }, [
      member('consumer1', ['topic1']),
      member('consumer2', ['topic1', 'topic2']),
      member('consumer3', ['topic1']),
    ]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0', consumer2: 'topic1-1, topic2-0, topic2-1', consumer3: 'topic1-2' });
  });

  test('clients: assignors: roundrobin: two members, two topics of 3: dealt across topics, 3 and 3', () => {
    // testTwoDynamicConsumersTwoTopicsSixPartitions
    const assignment = roundRobinAssign({ topic1: 3, topic2: 3 }, [member('consumer1', ['topic1', 'topic2']), member('consumer2', ['topic1', 'topic2'])]);
    expect(shown(assignment)).toEqual({ consumer1: 'topic1-0, topic1-2, topic2-1', consumer2: 'topic1-1, topic2-0, topic2-2' });
  });

  test('clients: assignors: roundrobin: static members are ordered by group.instance.id, not member.id', () => {
    // testTwoStaticConsumersTwoTopicsSixPartitions
    const assignment = roundRobinAssign({ topic1: 3, topic2: 3 }, [
      member('consumer-b', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer-a', ['topic1', 'topic2'], { instance: 'instance2' }),
    ]);
    expect(shown(assignment)).toEqual({ 'consumer-b': 'topic1-0, topic1-2, topic2-1', 'consumer-a': 'topic1-1, topic2-0, topic2-2' });
  });

  test('clients: assignors: roundrobin: a static member goes before a dynamic one', () => {
    // testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions
    const assignment = roundRobinAssign({ topic1: 3, topic2: 3 }, [
      member('consumer-b', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer-a', ['topic1', 'topic2']),
    ]);
    expect(shown(assignment)).toEqual({ 'consumer-b': 'topic1-0, topic1-2, topic2-1', 'consumer-a': 'topic1-1, topic2-0, topic2-2' });
  });

  test('clients: assignors: roundrobin: static members keep their partitions when a dynamic member is replaced', () => {
    // testStaticMemberRoundRobinAssignmentPersistent
    const statics = [
      member('consumer1', ['topic1', 'topic2'], { instance: 'instance1' }),
      member('consumer2', ['topic1', 'topic2'], { instance: 'instance2' }),
      member('consumer3', ['topic1', 'topic2'], { instance: 'instance3' }),
    ];
    const expected = { consumer1: 'topic1-0, topic2-1', consumer2: 'topic1-1, topic2-2', consumer3: 'topic1-2' };
    expect(shown(roundRobinAssign({ topic1: 3, topic2: 3 }, [...statics, member('consumer4', ['topic1', 'topic2'])]))).toEqual({ ...expected, consumer4: 'topic2-0' });
    expect(shown(roundRobinAssign({ topic1: 3, topic2: 3 }, [...statics, member('consumer5', ['topic1', 'topic2'])]))).toEqual({ ...expected, consumer5: 'topic2-0' });
  });

  test('clients: assignors: roundrobin: a static member keeps its partitions when its member.id changes', () => {
    // testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges
    const byInstance = (ids: readonly string[]): Record<string, string> => {
      const subscriptions = ids.map((id, i) => member(id, ['topic1', 'topic2'], { instance: `instance${i + 1}` }));
      const assignment = shown(roundRobinAssign({ topic1: 5, topic2: 5 }, subscriptions));
      return Object.fromEntries(subscriptions.map((subscription) => [subscription.groupInstanceId!, assignment[subscription.memberId]!]));
    };
    const expected = { instance1: 'topic1-0, topic1-3, topic2-1, topic2-4', instance2: 'topic1-1, topic1-4, topic2-2', instance3: 'topic1-2, topic2-0, topic2-3' };
    expect(byInstance(['consumer1', 'consumer2', 'consumer3'])).toEqual(expected);
    expect(byInstance(['consumer1', 'consumer5', 'consumer4'])).toEqual(expected);
  });

  test('clients: assignors: roundrobin: owned partitions and generations change nothing', () => {
    // ksim's own case: RoundRobinAssignor reads only topics and group.instance.id.
    const fresh = roundRobinAssign({ t: 5 }, [member('a', ['t']), member('b', ['t'])]);
    const owned = roundRobinAssign({ t: 5 }, [member('a', ['t'], { owned: parse('t-1, t-3'), generation: 4 }), member('b', ['t'], { owned: parse('t-0, t-2, t-4'), generation: 4 })]);
    expect(owned).toEqual(fresh);
  });
});
