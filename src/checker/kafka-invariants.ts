// Online invariants of the Kafka model, checked as events happen. A broken one is a simulator
// bug, never an anomaly: it throws out of the event that broke it, and the run stops loudly.
// (HW <= LEO and ISR ⊆ replicas inside a broker are asserted where they change: broker/partition.ts.)
//
// The observer runs on every trace event, so the checks, whose messages are closures over the
// event, live in functions of their own: the observer itself allocates nothing per event.
import { invariant, type TraceEvent, type World } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { tpKey } from '../kafka/records.js';

interface Watched {
  readonly controllerOfEpoch: Map<number, number>;
  latestControllerEpoch: number;
  readonly assignment: Map<string, readonly number[]>;
}

export function watchKafkaInvariants(world: Pick<World<unknown>, 'trace'>): void {
  const watched: Watched = { controllerOfEpoch: new Map(), latestControllerEpoch: 0, assignment: new Map() };
  world.trace.observe((_atUs: number, raw: TraceEvent) => {
    const event = raw as KafkaEvent;
    switch (event.kind) {
      case 'topic.created':
        return onTopicCreated(watched, event);
      case 'controller.elected':
        return onControllerElected(watched, event);
      case 'election':
        return onElection(watched, event);
      case 'isr.shrink':
      case 'isr.expand':
      case 'controller.isr':
        return checkIsr(watched.assignment, event.topic, event.partition, event.isr);
      default:
        return;
    }
  }, { deliveries: false });
}

function onTopicCreated(watched: Watched, event: Extract<KafkaEvent, { kind: 'topic.created' }>): void {
  event.assignment.forEach((replicas, p) => watched.assignment.set(tpKey(event.topic, p), replicas));
}

/** One controller per controller epoch, and epochs only grow. */
function onControllerElected(watched: Watched, event: Extract<KafkaEvent, { kind: 'controller.elected' }>): void {
  const holder = watched.controllerOfEpoch.get(event.controllerEpoch);
  invariant(holder === undefined, () => `controller epoch ${event.controllerEpoch} claimed by broker ${event.broker} and broker ${holder}`);
  invariant(event.controllerEpoch > watched.latestControllerEpoch, () => `controller epoch went from ${watched.latestControllerEpoch} to ${event.controllerEpoch}`);
  watched.controllerOfEpoch.set(event.controllerEpoch, event.broker);
  watched.latestControllerEpoch = event.controllerEpoch;
}

function onElection(watched: Watched, event: Extract<KafkaEvent, { kind: 'election' }>): void {
  if (!event.unclean) invariant(event.isr.includes(event.leader), () => `clean election of ${tpKey(event.topic, event.partition)} chose ${event.leader}, outside its ISR [${event.isr}]`);
  checkIsr(watched.assignment, event.topic, event.partition, event.isr);
}

function checkIsr(assignment: ReadonlyMap<string, readonly number[]>, topic: string, partition: number, isr: readonly number[]): void {
  const replicas = assignment.get(tpKey(topic, partition));
  if (replicas === undefined) return;
  invariant(isr.length > 0 && isr.every((r) => replicas.includes(r)), () => `ISR [${isr}] of ${tpKey(topic, partition)} is not a non-empty subset of its replicas [${replicas}]`);
}
