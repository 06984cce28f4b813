// Online invariants of the Kafka model, checked as events happen. A broken one is a simulator
// bug, never an anomaly: it throws out of the event that broke it, and the run stops loudly.
// (HW <= LEO and ISR ⊆ replicas inside a broker are asserted where they change: broker/partition.ts.)
import { invariant, type TraceEvent, type World } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { tpKey } from '../kafka/records.js';

export function watchKafkaInvariants(world: Pick<World<unknown>, 'trace'>): void {
  const controllerOfEpoch = new Map<number, number>();
  let latestControllerEpoch = 0;
  const assignment = new Map<string, readonly number[]>();
  world.trace.observe((_atUs: number, raw: TraceEvent) => {
    const event = raw as KafkaEvent;
    switch (event.kind) {
      case 'topic.created':
        event.assignment.forEach((replicas, p) => assignment.set(tpKey(event.topic, p), replicas));
        return;
      case 'controller.elected': {
        const holder = controllerOfEpoch.get(event.controllerEpoch);
        invariant(holder === undefined, () => `controller epoch ${event.controllerEpoch} claimed by broker ${event.broker} and broker ${holder}`);
        invariant(event.controllerEpoch > latestControllerEpoch, () => `controller epoch went from ${latestControllerEpoch} to ${event.controllerEpoch}`);
        controllerOfEpoch.set(event.controllerEpoch, event.broker);
        latestControllerEpoch = event.controllerEpoch;
        return;
      }
      case 'election':
        if (!event.unclean) invariant(event.isr.includes(event.leader), () => `clean election of ${tpKey(event.topic, event.partition)} chose ${event.leader}, outside its ISR [${event.isr}]`);
        return checkIsr(assignment, event.topic, event.partition, event.isr);
      case 'isr.shrink':
      case 'isr.expand':
      case 'controller.isr':
        return checkIsr(assignment, event.topic, event.partition, event.isr);
      default:
        return;
    }
  });
}

function checkIsr(assignment: ReadonlyMap<string, readonly number[]>, topic: string, partition: number, isr: readonly number[]): void {
  const replicas = assignment.get(tpKey(topic, partition));
  if (replicas === undefined) return;
  invariant(isr.length > 0 && isr.every((r) => replicas.includes(r)), () => `ISR [${isr}] of ${tpKey(topic, partition)} is not a non-empty subset of its replicas [${replicas}]`);
}
