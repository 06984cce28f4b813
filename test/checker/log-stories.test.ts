// The causes a log story picks from the trace: the events of the message's own partition, its
// replicas, its batch's retries, from its send on; and the story's shape (order, length).
import { describe, expect, test } from 'vitest';
import type { FaultEvent } from '../../sim/index.js';
import type { StoryLine } from '../../src/checker/anomalies.js';
import { closeStory, eventText, type StoryContext, type StoryEvent } from '../../src/checker/log-stories.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { Cluster, records, stories, TOPIC } from './kafka-log-fixture.js';

const ctx: StoryContext = { records: [], endUs: 0, node: (id) => `b${id}` };

describe('checker: log stories', () => {
  test('checker: log stories: a loss tells its partition\'s events and its replicas\' faults from the send on, and no other partition\'s', () => {
    const c = new Cluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3]).election(2, 1, [2, 3, 1], { partition: 1 });
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3).ack('p1', 1, 3, 0);
    c.at(15).other({ kind: 'hw.held', broker: 1, topic: TOPIC, partition: 1, highWatermark: 0, logEndOffset: 1, isr: [2], minIsr: 2 }); // before the send
    // A fault at the very time of the send belongs to its story.
    c.at(20).send('p1', 4);
    c.world.record({ kind: 'fault', source: 'scripted', action: { kind: 'pause', node: 'b2' }, label: 'pause b2' } satisfies FaultEvent);
    c.append([1], records('p1', 4)).hw([1], 4).ack('p1', 4, 4, 3);
    const p1Events: KafkaEvent[] = [
      { kind: 'isr.expand', broker: 2, topic: TOPIC, partition: 1, leaderEpoch: 1, isr: [2, 3, 1], added: [1] },
      { kind: 'offline', controller: 1, topic: TOPIC, partition: 1, isr: [2] },
      { kind: 'election', controller: 1, controllerEpoch: 1, topic: TOPIC, partition: 1, leader: 3, leaderEpoch: 2, isr: [3], unclean: true, reason: 'broker-failure' },
      { kind: 'truncate', broker: 1, topic: TOPIC, partition: 1, fromOffset: 5, toOffset: 0, highWatermark: 0, reason: 'leader-epoch' },
    ];
    c.at(25);
    for (const e of p1Events) c.other(e);
    c.at(26).other({ kind: 'proc.power', node: 'zk1', lostRecords: 2 }); // not a replica of orders-0
    c.other({ kind: 'broker.start-failed', broker: 9, reason: 'zookeeper-connection-timeout', timeoutMs: 18_000 }); // nor is b9
    c.at(28).other({ kind: 'controller.isr', controller: 1, topic: TOPIC, partition: 0, leader: 1, leaderEpoch: 2, isr: [1], reason: 'broker-failure' });
    c.other({ kind: 'hw.held', broker: 1, topic: TOPIC, partition: 0, highWatermark: 4, logEndOffset: 4, isr: [1], minIsr: 2 });
    c.at(30).kill(1).offline([1]);
    c.at(31).election(2, 3, [2], { unclean: true });
    c.at(40).send('p2', 1, 2).append([2, 3], records('p2', 1, 2), 3).hw([2, 3], 5).ack('p2', 1, 2, 3);
    // b1 comes back and fails to start; then, started again, cuts its log: 6→5 cuts above offset 3, 5→3 at it.
    c.at(50).other({ kind: 'broker.start-failed', broker: 1, reason: 'registration-exists', path: '/brokers/ids/1', heldBySessionId: 4, sessionId: 9 });
    c.at(60).restart(1).append([1], records('p9', 1)).append([1], records('p9', 2));
    c.truncate(1, 5, 4).truncate(1, 3, 3);
    const out = c.finish();
    expect(out.anomalies.lost).toBe(1);
    const story = stories(out, 'lost')[0]!;
    expect(story).toEqual([
      'p1 sent p1#4 to orders-0',
      'p1 was told p1#4 succeeded at offset 3; the leader then was b1 (epoch 1)',
      'fault (scripted): pause b2',
      'controller b1 set the ISR of orders-0 to [b1] (leader b1, epoch 2, broker-failure)',
      'b1 held the high watermark of orders-0 at 4 below its log end 4: ISR [b1] smaller than min.insync.replicas 2',
      'fault (scripted): kill b1',
      'orders-0 went offline: no replica of ISR [b1] is alive to lead (controller b2)',
      'controller b1 elected b2 leader of orders-0 (epoch 3, unclean, ISR [b2], broker-failure)',
      'b1 failed to start and exited: /brokers/ids/1 is still held by session 4, its previous process\'s, not yet expired',
      'b1 truncated orders-0 from 5 to 3 (leader-epoch; its high watermark 3)',
      'the final log of orders-0 (leader b2, epoch 3, high watermark 5) has p2#1 at offset 3',
    ]);
  });

  test('checker: log stories: a duplicate tells the retries of the batches that held it, its partition\'s elections meanwhile, and no ack it never had', () => {
    const c = new Cluster({ partitions: 2 });
    c.at(0).election(1, 1, [1, 2, 3]);
    c.at(10).send('p1', 1, 3).append([1, 2, 3], records('p1', 1, 3)).hw([1, 2, 3], 3);
    c.at(35).election(1, 2, [1, 2, 3]); // between its send and its last retry: its story
    c.at(40).retry('p1', 1, 3, 'REQUEST_TIMED_OUT');
    c.retry('p1', 4, 2, 'REQUEST_TIMED_OUT').retry('p2', 1, 3, 'REQUEST_TIMED_OUT').retry('p1', 1, 3, 'REQUEST_TIMED_OUT', 1, 1); // other batches
    c.at(42).append([1, 2, 3], records('p1', 1, 3), 2).hw([1, 2, 3], 6).ack('p1', 1, 2, 3); // p1#3's answer never comes
    c.at(50).election(1, 3, [1, 2, 3]); // after its last retry: not its story
    const out = c.finish();
    expect(out.anomalies.duplicated).toBe(3);
    expect(stories(out, 'duplicated')[2]).toEqual([
      'p1 sent p1#3 to orders-0',
      'controller b1 elected b1 leader of orders-0 (epoch 2, clean, ISR [b1 b2 b3], broker-failure)',
      'p1 retried #1..3 to orders-0 after REQUEST_TIMED_OUT (attempt 1)',
      'p1#3 stands at offsets 2 and 5 of the final log of orders-0 (leader b1, epoch 3, high watermark 6)',
    ]);
  });

  test('checker: log stories: a long story keeps its first ten lines, a count of the rest and its last twenty-nine, in time order, ties in the order told', () => {
    const lines: StoryLine[] = Array.from({ length: 60 }, (_, i) => ({ atUs: 60 - i, text: `line ${60 - i}` }));
    lines.push({ atUs: 1, text: 'also at 1' });
    const story = closeStory(lines, { atUs: 100, text: 'closing' });
    expect(story).toHaveLength(40);
    expect(story.slice(0, 3).map((l) => l.text)).toEqual(['line 1', 'also at 1', 'line 2']);
    expect(story[10]).toEqual({ atUs: 10, text: '… 23 more lines like these …' });
    expect(story[11]!.text).toBe('line 33');
    expect(story.at(-1)!.text).toBe('closing');
    // Forty lines in all are kept whole.
    expect(closeStory(lines.slice(0, 39), { atUs: 100, text: 'closing' })).toHaveLength(40);
  });

  // The wording of the causes a story can tell (each says what Kafka did and why).
  test('checker: log stories: each kind of cause reads as what Kafka did', () => {
    const cases: [StoryEvent, string][] = [
      [{ kind: 'truncation.round', broker: 2, leader: 1, topic: TOPIC, partition: 0, askedEpoch: 3, leaderEpoch: -1, endOffset: -1, logEndOffset: 9, truncateTo: 7, final: true },
        'b2 asked b1 where its epoch 3 of orders-0 ended: b1 could not say, so b2 keeps its log up to its high watermark'],
      [{ kind: 'truncation.round', broker: 2, leader: 1, topic: TOPIC, partition: 0, askedEpoch: 3, leaderEpoch: -1, endOffset: 0, logEndOffset: 9, truncateTo: 0, final: true },
        'b2 asked b1 where its epoch 3 of orders-0 ended: at 0 (an end offset alone, before KIP-279)'],
      [{ kind: 'truncation.round', broker: 2, leader: 1, topic: TOPIC, partition: 0, askedEpoch: 3, leaderEpoch: 0, endOffset: 5, logEndOffset: 9, truncateTo: 5, final: true },
        "b2 asked b1 where its epoch 3 of orders-0 ended: b1's epoch 0 ended at 5"],
      [{ kind: 'truncation.round', broker: 2, leader: 1, topic: TOPIC, partition: 0, askedEpoch: 3, leaderEpoch: 2, endOffset: 5, logEndOffset: 9, truncateTo: 4, final: false },
        "b2 asked b1 where its epoch 3 of orders-0 ended: b1's epoch 2 ended at 5, an epoch b2 never had: it cuts back to 4, where its own epoch before that ends, and asks again (KIP-279)"],
      [{ kind: 'isr.expand', broker: 1, topic: TOPIC, partition: 0, leaderEpoch: 2, isr: [1, 3], added: [3] }, 'b1 grew the ISR of orders-0 to [b1 b3] (added [b3]; epoch 2)'],
      [{ kind: 'controller.isr', controller: 2, topic: TOPIC, partition: 0, leader: -1, leaderEpoch: 4, isr: [1], reason: 'controller-failover' },
        'controller b2 set the ISR of orders-0 to [b1] (leader none, epoch 4, controller-failover)'],
      [{ kind: 'broker.bounced', controller: 1, broker: 2, previousEpoch: 13, brokerEpoch: 28 },
        'controller b1 found b2 registered again (broker epoch 13 → 28): failed it before starting it again (KIP-380)'],
      [{ kind: 'proc.power', node: 'b1', lostRecords: 1 }, 'power loss on b1: 1 unflushed disk write gone'],
      [{ kind: 'broker.start-failed', broker: 3, reason: 'zookeeper-connection-timeout', timeoutMs: 18_000 }, 'b3 failed to start and exited: no ZooKeeper connection within 18000 ms'],
      [{ kind: 'producer.retry', producer: 'p1', topic: TOPIC, partition: 0, firstSeq: 7, count: 1, error: 'NOT_LEADER_OR_FOLLOWER', attempt: 2 },
        'p1 retried #7 to orders-0 after NOT_LEADER_OR_FOLLOWER (attempt 2)'],
      [{ kind: 'producer.sequence-reset', producer: 'p1', topic: TOPIC, reason: 'epoch-bump', producerId: 7, producerEpoch: 1, partitions: [0, 2] },
        'p1 bumped its producer epoch to 1 and renumbered its batches in flight to orders-0, orders-2 from sequence 0'],
      [{ kind: 'producer.sequence-reset', producer: 'p1', topic: TOPIC, reason: 'new-producer-id', producerId: 8, producerEpoch: 0, partitions: [0] },
        'p1 discarded its producer id: every partition starts again at sequence 0 under a new one'],
      [{ kind: 'fault', source: 'random', action: { kind: 'kill', node: 'b1' }, label: 'kill b1' }, 'fault (random): kill b1'],
    ];
    for (const [event, text] of cases) expect(eventText(ctx, event)).toBe(text);
  });
});
