// The broker's socket server side: one request at a time per connection, answered in order, and
// the next request taken in an event of its own once the previous one is answered.
import { describe, expect, test } from 'vitest';
import { Channels } from '../../src/broker/channels.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';

const heartbeat = (correlationId: number): KafkaMessage => ({ type: 'Heartbeat', correlationId, groupId: 'g', generationId: 1, memberId: 'm', groupInstanceId: null } as KafkaMessage);

function setup(): { channels: Channels; handled: number[]; later: (() => void)[] } {
  const handled: number[] = [];
  const later: (() => void)[] = [];
  const channels = new Channels((_from, request) => handled.push((request as { correlationId: number }).correlationId), (fn) => later.push(fn));
  return { channels, handled, later };
}

describe('broker: channels', () => {
  // A response is often sent from inside a completion (the coordinator's stored generation): taking
  // the next request there would run it inside that completion, as Kafka never does
  // (SocketServer unmutes the channel; a request handler takes the next request later).
  test('broker: channels: the next request of a connection is taken after its predecessor is answered, in an event of its own', () => {
    const { channels, handled, later } = setup();
    channels.receive('c1', heartbeat(1), 'coordinator#1');
    channels.receive('c1', heartbeat(2), 'coordinator#1');
    expect(handled).toEqual([1]); // one request at a time
    const connection = channels.route('c1', { type: 'HeartbeatResponse', correlationId: 1, error: 'NONE' } as KafkaMessage & { correlationId: number })!;
    expect(connection).not.toBeNull();
    channels.responded(connection, 'c1');
    expect(handled).toEqual([1]); // not inside the answer
    channels.receive('c1', heartbeat(3), 'coordinator#1');
    expect(handled).toEqual([1]); // still queued behind 2
    later.splice(0).forEach((fn) => fn());
    expect(handled).toEqual([1, 2]);
  });

  test('broker: channels: a connection closed before its next request is taken drops its queue', () => {
    const { channels, handled, later } = setup();
    channels.receive('c1', heartbeat(1), 'coordinator#1');
    channels.receive('c1', heartbeat(2), 'coordinator#1');
    channels.responded(channels.route('c1', { type: 'HeartbeatResponse', correlationId: 1, error: 'NONE' } as KafkaMessage & { correlationId: number })!, 'c1');
    channels.closed('c1', 'coordinator#1');
    later.splice(0).forEach((fn) => fn());
    expect(handled).toEqual([1]);
  });
});
