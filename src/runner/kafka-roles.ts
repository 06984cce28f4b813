// Fault targets by role, read from the trace as an observer would: `leader(orders/0)`,
// `leader-was(orders/0)` (the leader before the current one), `follower(orders/0)` and
// `follower(orders/0,2)` (in-sync followers in assignment order), `replica(orders/0,1)` (assigned
// replicas in order), `preferred(orders/0)` (the first assigned), `controller`,
// `coordinator(billing)` (the leader of the group's __consumer_offsets partition),
// `not-controller` / `not-controller(2)` (the other brokers, by id); plain node names pass through. In YAML flow style a target with a comma must be quoted.
import type { TraceEvent, World } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';
import { offsetsPartitionFor } from '../kafka/offsets-topic.js';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, tpKey } from '../kafka/records.js';
import { transactionPartitionFor } from '../kafka/transaction-log.js';

interface PartitionView {
  leader: number;
  isr: readonly number[];
  leaders: number[]; // distinct leaders in order of election
}

export class KafkaRoles {
  private controller = -1;
  private readonly partitions = new Map<string, PartitionView>();

  constructor(
    world: World<unknown>,
    private readonly assignment: ReadonlyMap<string, readonly number[]>,
    private readonly nodes: readonly string[],
    /** Partitions of __consumer_offsets; 0 when the scenario has no consumer group. */
    private readonly offsetsPartitions = 0,
    /** Partitions of __transaction_state; 0 when no producer has a transactional.id. */
    private readonly transactionPartitions = 0,
  ) {
    world.trace.observe((_atUs, event) => this.observe(event), { deliveries: false });
  }

  resolve(target: string): string | null {
    if (this.nodes.includes(target)) return target;
    if (target === 'controller') return this.controller < 0 ? null : brokerNode(this.controller);
    // `not-controller`, `not-controller(2)`: the brokers other than the controller, by id.
    const notController = /^not-controller(?:\((\d+)\))?$/.exec(target);
    if (notController !== null) {
      const others = this.nodes.filter((n) => /^b\d+$/.test(n) && n !== brokerNode(this.controller)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      return others[Number(notController[1] ?? 1) - 1] ?? null;
    }
    // The transaction coordinator of an id: the leader of its __transaction_state partition (TransactionStateManager.partitionFor).
    const txnCoordinator = /^txn-coordinator\(([^/()]+)\)$/.exec(target);
    if (txnCoordinator !== null) {
      if (this.transactionPartitions === 0) return null;
      return this.resolve(`leader(${TRANSACTION_STATE}/${transactionPartitionFor(txnCoordinator[1]!, this.transactionPartitions)})`);
    }
    const coordinator = /^coordinator\(([^/()]+)\)$/.exec(target);
    if (coordinator !== null) {
      if (this.offsetsPartitions === 0) return null;
      return this.resolve(`leader(${CONSUMER_OFFSETS}/${offsetsPartitionFor(coordinator[1]!, this.offsetsPartitions)})`);
    }
    const match = /^([a-z-]+)\(([^/()]+)\/(\d+)(?:,\s*(\d+))?\)$/.exec(target);
    if (match === null) return null;
    const [, role, topic, partition, nth] = match;
    const key = tpKey(topic!, Number(partition));
    const view = this.partitions.get(key);
    const replicas = this.assignment.get(key);
    if (view === undefined || replicas === undefined) return null;
    const index = nth === undefined ? 0 : Number(nth) - 1;
    switch (role) {
      case 'leader':
        return view.leader < 0 ? null : brokerNode(view.leader);
      case 'leader-was': {
        const previous = view.leaders.filter((l) => l !== view.leader).at(-1);
        return previous === undefined ? null : brokerNode(previous);
      }
      case 'follower': {
        const followers = replicas.filter((r) => r !== view.leader && view.isr.includes(r));
        return followers[index] === undefined ? null : brokerNode(followers[index]);
      }
      case 'replica':
        return replicas[index] === undefined ? null : brokerNode(replicas[index]);
      case 'preferred':
        return brokerNode(replicas[0]!);
      default:
        return null;
    }
  }

  private observe(raw: TraceEvent): void {
    const event = raw as KafkaEvent;
    switch (event.kind) {
      case 'controller.elected':
        this.controller = event.broker;
        return;
      case 'controller.resigned':
        if (this.controller === event.broker) this.controller = -1;
        return;
      case 'election':
      case 'controller.isr':
        return this.update(event.topic, event.partition, event.leader, event.isr);
      case 'offline': {
        const view = this.partitions.get(tpKey(event.topic, event.partition));
        if (view !== undefined) view.leader = -1;
        return;
      }
      case 'isr.shrink':
      case 'isr.expand': {
        const view = this.partitions.get(tpKey(event.topic, event.partition));
        if (view !== undefined && view.leader === event.broker) view.isr = event.isr;
        return;
      }
      default:
        return;
    }
  }

  private update(topic: string, partition: number, leader: number, isr: readonly number[]): void {
    const key = tpKey(topic, partition);
    const view = this.partitions.get(key) ?? { leader: -1, isr: [], leaders: [] };
    view.leader = leader;
    view.isr = isr;
    if (leader >= 0 && view.leaders.at(-1) !== leader) view.leaders.push(leader);
    this.partitions.set(key, view);
  }
}

export function brokerNode(id: number): string {
  return `b${id}`;
}
