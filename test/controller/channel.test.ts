// The controller's channels (ControllerChannelManager): a broker whose channel was removed gets
// nothing until it is added again, and what was queued for it before goes with the channel.
import { describe, expect, test } from 'vitest';
import type { BrokerContext } from '../../src/broker/context.js';
import { ControllerChannels } from '../../src/controller/channel.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';

/** A context whose requests are only recorded, never answered: each stays in flight. */
function recordingContext(): { ctx: BrokerContext; sent: { to: string; correlationId: number }[] } {
  const sent: { to: string; correlationId: number }[] = [];
  let correlationId = 0;
  const ctx = {
    request: (to: string, build: (correlationId: number) => KafkaMessage) => {
      correlationId += 1;
      build(correlationId);
      sent.push({ to, correlationId });
    },
    env: { setTimer: () => 0 },
  } as unknown as BrokerContext;
  return { ctx, sent };
}

const updateMetadata = (correlationId: number): KafkaMessage => ({
  type: 'UpdateMetadata', correlationId, controllerId: 1, controllerEpoch: 1, brokerEpoch: 7, partitionStates: [], liveBrokers: [],
});

describe('controller: channel', () => {
  test('controller: channel: requests for a removed broker are dropped until it is added again, on a fresh queue', () => {
    const { ctx, sent } = recordingContext();
    const channels = new ControllerChannels(ctx, () => true);
    channels.send(2, 'b2', updateMetadata);
    channels.send(2, 'b2', updateMetadata); // queued behind the first, which is never answered
    expect(sent.map((s) => s.to)).toEqual(['b2']);
    channels.remove(2); // dead (or bounced): the queued request goes with the channel
    channels.send(2, 'b2', updateMetadata);
    expect(sent).toHaveLength(1);
    channels.add(2);
    channels.send(2, 'b2', updateMetadata);
    expect(sent.map((s) => s.to)).toEqual(['b2', 'b2']); // the new queue sends at once, not behind the old head
  });
});
