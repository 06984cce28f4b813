// A hand-driven Kafka run with consumer groups, for the consumer half of the checker: the log
// fixture's brokers and data partitions, plus consumer nodes whose processes do nothing, a
// __consumer_offsets topic the test writes the coordinator's records to, and the consumer and
// group events a real run would record (kept or unkept as the clients and coordinator do).
import type { FaultEvent } from '../../sim/index.js';
import type { GroupLayout } from '../../src/checker/consumer-checker.js';
import { LogChecker } from '../../src/checker/kafka-log.js';
import type { CheckOutcome } from '../../src/checker/outcome.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { offsetsPartitionFor, offsetsTopicKey, type OffsetCommitValue } from '../../src/kafka/offsets-topic.js';
import { CONSUMER_OFFSETS, logFile, nextOffset, type KafkaRecord } from '../../src/kafka/records.js';
import { Cluster, TOPIC } from './kafka-log-fixture.js';

export const GROUP = 'billing';

export interface GroupClusterOptions {
  readonly partitions?: number;
  /** offsets.topic.num.partitions; the groups' partition of it is offsetsPartitionFor(group, n). */
  readonly offsetsPartitions?: number;
  readonly groups?: readonly GroupLayout[];
  /** false: the layout names no offsets topic (the checker falls back on the coordinator's answers). */
  readonly offsetsTopic?: boolean;
}

/** The member id the coordinator gives a member: `billing-1` → `billing-1-id`. */
export function memberIdOf(member: string): string {
  return `${member}-id`;
}

export class GroupCluster extends Cluster {
  /** The checker under test: the base fixture's layout plus the groups and the offsets topic. */
  readonly groupChecker: LogChecker;
  readonly offsetsPartitions: number;

  constructor(options: GroupClusterOptions = {}) {
    super({ partitions: options.partitions ?? 1 });
    this.offsetsPartitions = options.offsetsPartitions ?? 1;
    const groups = options.groups ?? [{ name: GROUP, topic: TOPIC, members: ['billing-1', 'billing-2'] }];
    const replicas = Array.from({ length: this.offsetsPartitions }, () => [1, 2, 3]);
    const offsetsTopic = options.offsetsTopic === false ? undefined : { partitions: this.offsetsPartitions, replicas };
    this.groupChecker = new LogChecker(this.world, { ...this.layout, groups, ...(offsetsTopic === undefined ? {} : { offsetsTopic }) });
    for (const group of groups) for (const member of group.members) this.world.spawn(member, () => ({ onMessage: () => {} }));
  }

  override finish(): CheckOutcome {
    return this.groupChecker.finish();
  }

  private event(event: KafkaEvent, keep = true): this {
    this.world.record(event, keep);
    return this;
  }

  offsetsPartitionOf(group = GROUP): number {
    return offsetsPartitionFor(group, this.offsetsPartitions);
  }

  /** The group's __consumer_offsets partition gets a leader, and the group a coordinator. */
  coordinator(leader: number, leaderEpoch = 1, isr = [1, 2, 3], group = GROUP): this {
    const partition = this.offsetsPartitionOf(group);
    this.event({ kind: 'election', controller: 1, controllerEpoch: 1, topic: CONSUMER_OFFSETS, partition, leader, leaderEpoch, isr, unclean: false, reason: 'new-topic' });
    this.event({ kind: 'leader', broker: leader, topic: CONSUMER_OFFSETS, partition, leaderEpoch, isr });
    return this.event({ kind: 'group.loaded', broker: leader, partition, groups: [group] });
  }

  /**
   * The coordinator on `brokers[0]` stores a commit: one record per partition appended to the
   * offsets log of `brokers`, their high watermark moved past it, group.commit NONE; then, with a
   * mode, the application's app.commit NONE.
   */
  commit(
    member: string, generation: number, offsets: readonly [partition: number, offset: number][],
    options: { mode?: 'sync' | 'async' | 'auto'; brokers?: readonly number[]; highWatermark?: readonly number[]; group?: string } = {},
  ): this {
    const group = options.group ?? GROUP;
    const brokers = options.brokers ?? [1, 2, 3];
    const hwBrokers = options.highWatermark ?? brokers;
    const memberId = memberIdOf(member);
    const partition = this.offsetsPartitionOf(group);
    const records: KafkaRecord[] = offsets.map(([p, offset]) => {
      const value: OffsetCommitValue = { kind: 'offset', group, topic: TOPIC, partition: p, offset, leaderEpoch: 1, memberId, generation, committedUs: this.world.now() };
      return { key: offsetsTopicKey(value), producer: '__coordinator', seq: -1, value };
    });
    let end = 0;
    for (const broker of brokers) {
      const file = logFile(this.world.disk(`b${broker}`), CONSUMER_OFFSETS, partition);
      const baseOffset = file.length === 0 ? 0 : nextOffset(file.at(file.length - 1));
      file.append({ baseOffset, leaderEpoch: 1, producerId: -1, producerEpoch: -1, baseSequence: -1, records });
      end = baseOffset + records.length;
    }
    for (const broker of hwBrokers) this.event({ kind: 'hw', broker, topic: CONSUMER_OFFSETS, partition, highWatermark: end }, false);
    const triples = offsets.map(([p, offset]): [string, number, number] => [TOPIC, p, offset]);
    this.event({ kind: 'group.commit', broker: brokers[0]!, group, memberId, generation, offsets: triples, error: 'NONE' }, false);
    if (options.mode !== undefined) this.event({ kind: 'app.commit', group, member, memberId, generation, mode: options.mode, offsets: triples, error: 'NONE' }, false);
    return this;
  }

  /** The coordinator `broker` refuses a commit with `error`, and the application is told. */
  refuseCommit(broker: number, member: string, generation: number, offsets: readonly [partition: number, offset: number][], error: KafkaError, mode: 'sync' | 'async' | 'auto' = 'sync'): this {
    const memberId = memberIdOf(member);
    const triples = offsets.map(([p, offset]): [string, number, number] => [TOPIC, p, offset]);
    this.event({ kind: 'group.commit', broker, group: GROUP, memberId, generation, offsets: triples, error }, false);
    return this.event({ kind: 'app.commit', group: GROUP, member, memberId, generation, mode, offsets: triples, error }, false);
  }

  /** The member processes the records at offsets from..to of `partition`, each as its fetch returned it. */
  process(
    member: string, generation: number, from: number, to: number,
    record: (offset: number) => [producer: string, seq: number],
    options: { partition?: number; highWatermark?: number; lastStableOffset?: number; group?: string } = {},
  ): this {
    const partition = options.partition ?? 0;
    for (let offset = from; offset <= to; offset++) {
      const [producer, seq] = record(offset);
      const highWatermark = options.highWatermark ?? to + 1;
      const lastStableOffset = options.lastStableOffset ?? -1; // -1: the answer carried none (before 0.11)
      this.event({ kind: 'app.processed', group: options.group ?? GROUP, member, generation, topic: TOPIC, partition, offset, producer, seq, highWatermark, lastStableOffset }, false);
    }
    return this;
  }

  assigned(member: string, generation: number, partitions: readonly number[]): this {
    return this.event({ kind: 'app.assigned', group: GROUP, member, memberId: memberIdOf(member), generation, partitions: partitions.map((p) => `${TOPIC}-${p}`) });
  }

  revoked(member: string, generation: number, partitions: readonly number[], lost = false): this {
    return this.event({ kind: 'app.revoked', group: GROUP, member, memberId: memberIdOf(member), generation, partitions: partitions.map((p) => `${TOPIC}-${p}`), lost });
  }

  position(member: string, partition: number, offset: number, source: 'committed' | 'reset-earliest' | 'reset-latest' = 'committed'): this {
    const reason = source === 'committed' ? 'committed' : 'no-committed-offset';
    return this.event({ kind: 'consumer.position', group: GROUP, member, topic: TOPIC, partition, offset, source, reason });
  }

  join(member: string, reason: string): this {
    return this.event({ kind: 'consumer.join', group: GROUP, member, memberId: memberIdOf(member), reason });
  }

  pollTimeout(member: string, generation: number, sinceLastPollMs: number): this {
    return this.event({ kind: 'consumer.poll-timeout', group: GROUP, member, memberId: memberIdOf(member), generation, sinceLastPollMs });
  }

  rebalance(broker: number, generation: number, reason: string): this {
    return this.event({ kind: 'group.rebalance', broker, group: GROUP, generation, reason });
  }

  memberRemoved(broker: number, member: string, generation: number, reason: 'session-timeout' | 'leave' | 'rebalance-timeout' | 'fenced'): this {
    return this.event({ kind: 'group.member-removed', broker, group: GROUP, memberId: memberIdOf(member), generation, reason });
  }

  /** A new generation of `owners` (member → partitions), then Stable with that assignment. */
  generation(broker: number, generation: number, owners: readonly [member: string, partitions: readonly number[]][]): this {
    const members = owners.map(([member]) => memberIdOf(member));
    this.event({ kind: 'group.generation', broker, group: GROUP, generation, protocol: 'range', leader: members[0]!, members });
    const assignment = owners.map(([member, partitions]): [string, string[]] => [memberIdOf(member), partitions.map((p) => `${TOPIC}-${p}`)]);
    return this.event({ kind: 'group.stable', broker, group: GROUP, generation, assignment });
  }

  /** A scripted kill of any node (a consumer's, say), as the fault injector records it. */
  killNode(node: string): this {
    this.world.record({ kind: 'fault', source: 'scripted', action: { kind: 'kill', node }, label: `kill ${node}` } satisfies FaultEvent);
    this.world.kill(node);
    return this;
  }
}

/** p1#(offset+1) at each offset: the records `append([..], records('p1', 1, n))` wrote. */
export const p1 = (offset: number): [string, number] => ['p1', offset + 1];
