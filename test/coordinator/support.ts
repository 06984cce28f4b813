// A small real cluster for the group coordinator's tests: ZooKeeper, three brokers, the admin
// creating __consumer_offsets (3 partitions) and `orders`, and scripted test clients that send
// group requests by hand and keep every answer.
import { World, type Env, type TraceEvent } from '../../sim/index.js';
import { admin } from '../../src/admin/admin.js';
import { broker } from '../../src/broker/broker.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import type { GroupProtocol, KafkaMessage } from '../../src/kafka/protocol.js';
import { CONSUMER_OFFSETS } from '../../src/kafka/records.js';
import type { KafkaConfig } from '../../src/scenario/types.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';

export const MS = 1000; // µs per ms
const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
export const BROKERS = ['b1', 'b2', 'b3'];
export const GROUP = 'billing';

type Response = Extract<KafkaMessage, { correlationId: number }>;
type Build = (correlationId: number) => KafkaMessage;

export interface Timed {
  readonly atUs: number;
  readonly event: KafkaEvent;
}

/** A world with 1 ms links whose trace the test reads, and ways to run it. */
export class Harness {
  readonly world = new World<unknown>({ seed: 1, network });
  readonly events: Timed[] = [];

  constructor() {
    this.world.trace.observe((atUs: number, event: TraceEvent) => this.events.push({ atUs, event: event as KafkaEvent }));
  }

  get nowUs(): number {
    return this.world.scheduler.now();
  }

  advance(ms: number): void {
    this.world.scheduler.run(this.nowUs + ms * MS);
  }

  /** Runs in 1 ms steps until `done()` holds; fails after `maxMs`. */
  runUntil(done: () => boolean, maxMs = 120_000): void {
    const end = this.nowUs + maxMs * MS;
    while (!done()) {
      if (this.nowUs >= end) throw new Error(`runUntil: not done after ${maxMs} ms`);
      this.world.scheduler.run(this.nowUs + MS);
    }
  }

  client(name: string): TestClient {
    return new TestClient(this, name);
  }

  of<K extends KafkaEvent['kind']>(kind: K): { atUs: number; event: Extract<KafkaEvent, { kind: K }> }[] {
    return this.events.filter((e) => e.event.kind === kind) as { atUs: number; event: Extract<KafkaEvent, { kind: K }> }[];
  }
}

export class TestCluster extends Harness {
  constructor(config: KafkaConfig = {}, profile = '3.9') {
    super();
    const brokerConfig: KafkaConfig = { 'offsets.topic.num.partitions': 3, 'min.insync.replicas': 2, ...config };
    this.world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    BROKERS.forEach((node, i) => {
      this.world.spawn(node, broker({ id: i + 1, node, zookeeperNode: 'zk', profile, config: brokerConfig, zookeeper: {}, topicConfigs: new Map() }));
    });
    const topics = [
      { name: CONSUMER_OFFSETS, assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] },
      { name: 'orders', assignment: [[1, 2, 3], [2, 3, 1], [3, 1, 2]] },
    ];
    this.world.spawn('admin', admin({ zookeeperNode: 'zk', brokers: 3, topics, preferredElections: [] }));
    this.advance(2000); // registration, controller election, topic creation, LeaderAndIsr
  }

  /** The broker that last became leader of a __consumer_offsets partition, by node name. */
  offsetsLeader(partition: number): string {
    const leaders = this.of('leader').filter((e) => e.event.topic === CONSUMER_OFFSETS && e.event.partition === partition);
    return `b${leaders[leaders.length - 1]!.event.broker}`;
  }
}

/** A request in flight: its answer, once it came. */
export class Pending<R extends Response = Response> {
  response: R | null = null;

  get done(): boolean {
    return this.response !== null;
  }

  get value(): R {
    if (this.response === null) throw new Error('no response yet');
    return this.response;
  }
}

/** A scripted client process: sends what the test says, keeps every answer by correlation id. */
export class TestClient {
  private env: Env<unknown> | null = null;
  private nextCorrelationId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly cluster: Harness,
    readonly name: string,
  ) {
    cluster.world.spawn(name, (env) => {
      this.env = env;
      return {
        onMessage: (_from, message) => {
          const response = message as Response;
          const waiting = this.pending.get(response.correlationId);
          if (waiting === undefined) return;
          this.pending.delete(response.correlationId);
          waiting.response = response;
        },
      };
    });
  }

  send<T extends Response['type']>(to: string, build: Build): Pending<Extract<Response, { type: T }>> {
    const correlationId = this.nextCorrelationId++;
    const waiting = new Pending<Extract<Response, { type: T }>>();
    this.pending.set(correlationId, waiting as Pending);
    this.env!.send(to, build(correlationId));
    return waiting;
  }

  /** Sends and runs the world until the answer comes. */
  ask<T extends Response['type']>(to: string, build: Build, maxMs = 60_000): Extract<Response, { type: T }> {
    const waiting = this.send<T>(to, build);
    this.cluster.runUntil(() => waiting.done, maxMs);
    return waiting.value;
  }

  // ---- the group requests -----------------------------------------------------------------

  findCoordinator(to: string, group = GROUP): Extract<Response, { type: 'FindCoordinatorResponse' }> {
    return this.ask<'FindCoordinatorResponse'>(to, (correlationId) => ({ type: 'FindCoordinator', correlationId, key: group }));
  }

  join(to: string, options: JoinOptions = {}): Pending<Extract<Response, { type: 'JoinGroupResponse' }>> {
    return this.send<'JoinGroupResponse'>(to, (correlationId) => ({
      type: 'JoinGroup',
      correlationId,
      groupId: options.group ?? GROUP,
      sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
      rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 20_000,
      memberId: options.memberId ?? '',
      groupInstanceId: options.groupInstanceId ?? null,
      protocolType: 'consumer',
      protocols: options.protocols ?? [subscription('range', ['orders'])],
      reason: options.reason ?? '',
    }));
  }

  sync(to: string, generationId: number, memberId: string, assignments: { memberId: string; assignment: { topic: string; partition: number }[] }[] = [], groupInstanceId: string | null = null): Pending<Extract<Response, { type: 'SyncGroupResponse' }>> {
    return this.send<'SyncGroupResponse'>(to, (correlationId) => ({ type: 'SyncGroup', correlationId, groupId: GROUP, generationId, memberId, groupInstanceId, assignments }));
  }

  heartbeat(to: string, generationId: number, memberId: string, groupInstanceId: string | null = null): Extract<Response, { type: 'HeartbeatResponse' }> {
    return this.ask<'HeartbeatResponse'>(to, (correlationId) => ({ type: 'Heartbeat', correlationId, groupId: GROUP, generationId, memberId, groupInstanceId }));
  }

  leave(to: string, memberId: string, reason: string): Extract<Response, { type: 'LeaveGroupResponse' }> {
    return this.ask<'LeaveGroupResponse'>(to, (correlationId) => ({ type: 'LeaveGroup', correlationId, groupId: GROUP, memberId, reason }));
  }

  commit(to: string, generationId: number, memberId: string, offsets: { topic: string; partition: number; offset: number }[]): Extract<Response, { type: 'OffsetCommitResponse' }> {
    return this.ask<'OffsetCommitResponse'>(to, (correlationId) => ({
      type: 'OffsetCommit', correlationId, groupId: GROUP, generationId, memberId, groupInstanceId: null,
      offsets: offsets.map((o) => ({ ...o, leaderEpoch: 0 })),
    }));
  }

  fetchOffsets(to: string, partitions: { topic: string; partition: number }[]): Extract<Response, { type: 'OffsetFetchResponse' }> {
    return this.ask<'OffsetFetchResponse'>(to, (correlationId) => ({ type: 'OffsetFetch', correlationId, groupId: GROUP, partitions }));
  }
}

export interface JoinOptions {
  readonly group?: string;
  readonly memberId?: string;
  readonly groupInstanceId?: string | null;
  readonly sessionTimeoutMs?: number;
  readonly rebalanceTimeoutMs?: number;
  readonly protocols?: readonly GroupProtocol[];
  readonly reason?: string;
}

export function subscription(name: string, topics: string[]): GroupProtocol {
  return { name, metadata: { topics, ownedPartitions: [], generation: -1 } };
}
