// The small scenarios config-effects.test.ts runs each modelled key in, and what it reads from a
// run. Each context is the least a key needs to matter (a fault, a profile, other keys); a key's
// effect is the difference between its context run as is and with the key set.
//
// `faults` come first in every scenario object: run() prints the object as YAML, and a fault's
// trace label carries its line, so a config key added above the faults would shift their lines
// and change the trace hash by itself.
import type { TraceEvent } from '../../sim/index.js';
import type { KafkaEvent } from '../../src/kafka/events.js';
import { run, type RunSummary } from '../../src/index.js';
import type { ConfigLabel } from '../../src/scenario/config-support.js';

type Value = string | number | boolean;
type Config = Readonly<Record<string, Value>>;
type Scenario = Readonly<Record<string, unknown>>;

const topic = (partitions: number, rf: number) => ({ name: 'orders', partitions, 'replication.factor': rf });
const producer = (messages: number, rate: string, config: Config = {}, keys = 10) => ({ name: 'p1', topic: 'orders', messages, rate, keys, config });
/** One group of two members committing after processing, reading from the start. */
const group = (config: Config = { 'auto.offset.reset': 'earliest' }, commit = 'after-processing') => ({ group: 'g', members: 2, topic: 'orders', processing: '2ms', commit, config });
/** A group's first rebalance at once, and its offsets on one partition (role targets reach it). */
const FAST_GROUP = { 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 1 };
const cluster = (config: Config = {}, more: Record<string, unknown> = {}) => ({ brokers: 3, config, ...more });
const zookeeper6s = { 'zookeeper.session.timeout.ms': 6000 };
const groupScenario = (faults: unknown[], consumerConfig?: Config) => ({
  faults, cluster: cluster(FAST_GROUP), topics: [topic(3, 3)], producers: [producer(300, '50/s')],
  consumers: [group(consumerConfig)], duration: '8s', settle: '2s',
});

export const CONTEXTS = {
  /** The topic leaves its partition count and replication factor to the broker defaults. */
  'topic-defaults': { faults: [], cluster: cluster(), topics: [{ name: 'orders' }], producers: [producer(300, '50/s')], duration: '8s', settle: '2s' },
  /** Five keys over two partitions: a key-blind partitioner puts one key on both. */
  steady: { faults: [], cluster: cluster(), topics: [topic(2, 3)], producers: [producer(300, '50/s', {}, 5)], duration: '8s', settle: '2s' },
  /** Many records at once: batches of several records, several partitions per leader. */
  burst: { faults: [], cluster: cluster(), topics: [topic(6, 2)], producers: [producer(600, '1000/s', { 'linger.ms': 20 })], duration: '3s', settle: '2s' },
  /**
   * acks=1: the leader's log grows in one-record batches while the follower is paused; resumed, the
   * follower fetches them in as many batches as replica.fetch.max.bytes lets (at least one, KIP-74).
   */
  'follower-paused': {
    faults: [{ at: '2s', pause: 'follower(orders/0)', heal: '4s' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(400, '50/s', { acks: '1' })], duration: '8s', settle: '2s',
  },
  /**
   * Both followers stop cleanly: the controller shrinks the ISR to the leader at once. An acks=all
   * request caught by the shrink waits in purgatory and holds its connection (the broker reads one
   * request at a time from it): request.timeout.ms 1 s frees it, so the next sends reach the leader.
   */
  'followers-stopped': {
    faults: [{ at: '2s', stop: 'follower(orders/0)', heal: '3s' }, { at: '2s', stop: 'follower(orders/0,2)', heal: '3s' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(400, '50/s', { 'request.timeout.ms': 1000 })], duration: '8s', settle: '2s',
  },
  /** The same under min.insync.replicas=2: acks=all sends are refused and retried. */
  'followers-stopped-min-isr-2': {
    faults: [{ at: '2s', stop: 'follower(orders/0)', heal: '3s' }, { at: '2s', stop: 'follower(orders/0,2)', heal: '3s' }],
    cluster: cluster({ 'min.insync.replicas': 2 }), topics: [topic(1, 3)], producers: [producer(400, '50/s', { 'request.timeout.ms': 1000 })], duration: '8s', settle: '2s',
  },
  /** The leader stalls for 4 s while its machine still takes requests: nothing is answered. */
  'leader-paused': {
    faults: [{ at: '2s', pause: 'leader(orders/0)', heal: '4s' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(400, '50/s')], duration: '8s', settle: '2s',
  },
  /** Killed, the leader stays registered for its session (18 s): its partition waits, clients and followers reconnect. */
  'leader-killed': {
    faults: [{ at: '2s', kill: 'leader(orders/0)' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s')], duration: '8s', settle: '3s',
  },
  /** The same with a producer retrying every 100 ms: its reconnect backoff paces it. */
  'leader-killed-fast-retry': {
    faults: [{ at: '2s', kill: 'leader(orders/0)' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s', { 'retry.backoff.max.ms': 100 })], duration: '8s', settle: '3s',
  },
  /** A paused leader holds the producer's batches, and with them its buffer memory. */
  'producer-stalled': {
    faults: [{ at: '2s', pause: 'leader(orders/0)', heal: '4s' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s', { 'max.block.ms': 1000 })], duration: '8s', settle: '3s',
  },
  /** The same with room for one batch, and send() blocking up to max.block.ms (60 s). */
  'producer-stalled-small-buffer': {
    faults: [{ at: '2s', pause: 'leader(orders/0)', heal: '4s' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s', { 'buffer.memory': 20000 })], duration: '8s', settle: '3s',
  },
  /** Requests to a paused leader time out and are sent again, though the leader wrote them. */
  'sends-retried': {
    faults: [{ at: '2s', pause: 'leader(orders/0)', heal: '3s' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s', { 'request.timeout.ms': 1000 })], duration: '8s', settle: '3s',
  },
  /** The same without idempotence: the retries duplicate, and with five requests in flight, reorder. */
  'sends-retried-not-idempotent': {
    faults: [{ at: '2s', pause: 'leader(orders/0)', heal: '3s' }],
    cluster: cluster(), topics: [topic(2, 3)], producers: [producer(400, '50/s', { 'request.timeout.ms': 1000, 'enable.idempotence': false })], duration: '8s', settle: '3s',
  },
  /** The preferred replica stops cleanly and returns: another replica leads meanwhile. */
  'preferred-moved': {
    faults: [{ at: '1s', stop: 'preferred(orders/0)', heal: '1s' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(400, '50/s')], duration: '12s', settle: '2s',
  },
  /** The same with the controller checking leader imbalance every 5 s (default: 300 s). */
  'preferred-moved-checked': {
    faults: [{ at: '1s', stop: 'preferred(orders/0)', heal: '1s' }],
    cluster: cluster({ 'leader.imbalance.check.interval.seconds': 5 }), topics: [topic(1, 3)], producers: [producer(400, '50/s')], duration: '12s', settle: '2s',
  },
  /** The leader stops after both followers died: no replica can take its leadership. */
  'shutdown-stuck': {
    faults: [{ at: '1s', kill: 'follower(orders/0)' }, { at: '1s', kill: 'follower(orders/0,2)' }, { at: '9s', stop: 'leader(orders/0)' }],
    cluster: cluster({}, { zookeeper: zookeeper6s }), topics: [topic(1, 3)], producers: [producer(200, '50/s')], duration: '26s', settle: '1s',
  },
  /** The controller's answers to a stopping broker are cut off. */
  'shutdown-unanswered': {
    faults: [{ at: '1s', 'one-way': { from: 'controller', to: 'not-controller' } }, { at: '2s', stop: 'not-controller' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(200, '50/s')], duration: '12s', settle: '1s',
  },
  /** Followers stopped, the leader killed alone in the ISR, the followers back: only an unclean election can lead. */
  'leader-lost-alone': {
    faults: [{ at: '1s', stop: 'follower(orders/0)', heal: '4s' }, { at: '1s', stop: 'follower(orders/0,2)', heal: '4s' }, { at: '3s', kill: 'leader(orders/0)' }],
    cluster: cluster({}, { zookeeper: zookeeper6s }), topics: [topic(1, 3)], producers: [producer(600, '50/s')], duration: '12s', settle: '2s',
  },
  /** Every broker loses power at once; the supervisor starts them again once their sessions expired. */
  'power-loss': {
    faults: ['b1', 'b2', 'b3'].map((b) => ({ at: '5s', power: b, heal: '1s' })),
    cluster: cluster({}, { zookeeper: zookeeper6s, supervisor: { 'restart-after': '4s' } }), topics: [topic(1, 3)], producers: [producer(300, '50/s')], duration: '16s', settle: '2s',
  },
  /** The same after the log flusher's first run (30 s after start). */
  'power-loss-late': {
    faults: ['b1', 'b2', 'b3'].map((b) => ({ at: '33s', power: b, heal: '7s' })),
    cluster: cluster({}, { zookeeper: zookeeper6s }), topics: [topic(1, 3)], producers: [producer(660, '20/s')], duration: '41s', settle: '2s',
  },
  /** b2 killed and started again: it recovers its logs from their checkpointed recovery points (slowly, to be seen). */
  'restart-checkpointed': {
    faults: [{ at: '6s', kill: 'b2', heal: '8s' }],
    cluster: cluster({ 'log.flush.interval.messages': 50, 'log.flush.offset.checkpoint.interval.ms': 1000 }, { zookeeper: zookeeper6s, startup: { 'log-recovery': '100KB/s' } }),
    topics: [topic(2, 3)], producers: [producer(500, '100/s')], duration: '16s', settle: '1s',
  },
  /** The same with small segments, and recovery points left at their first checkpoint (60 s away). */
  'restart-flushed': {
    faults: [{ at: '6s', kill: 'b2', heal: '8s' }],
    cluster: cluster({ 'log.flush.interval.messages': 50, 'log.segment.bytes': 1000 }, { zookeeper: zookeeper6s }),
    topics: [topic(2, 3)], producers: [producer(500, '100/s')], duration: '16s', settle: '1s',
  },
  /** Before KIP-101 (0.10) a restarted follower truncates to its checkpointed high watermark. */
  'restart-0.10': {
    faults: [{ at: '6s', kill: 'b2', heal: '8s' }],
    cluster: { ...cluster(), kafka: '0.10' }, topics: [topic(1, 3)], producers: [producer(500, '100/s')], duration: '16s', settle: '1s',
  },
  /** Two members committing after processing, stable within 0.3 s. */
  group: groupScenario([]),
  /** The first rebalance after Kafka's initial delay (3 s, then 3 s more as the second member joins): a backlog to read. */
  'group-backlog': { ...groupScenario([]), cluster: cluster({ 'offsets.topic.num.partitions': 1 }) },
  /** The group commits automatically (enable.auto.commit, every auto.commit.interval.ms). */
  'group-auto-commit': { ...groupScenario([]), consumers: [group({ 'auto.offset.reset': 'earliest' }, 'auto')] },
  /** Kafka's group defaults: a delayed first rebalance, 50 offsets partitions, auto.offset.reset latest. */
  'group-defaults': { ...groupScenario([]), cluster: cluster(), consumers: [group({})] },
  /** g-2 killed: it stays a member until its session times out (45 s by default). */
  'member-killed': groupScenario([{ at: '1s', kill: 'g-2' }]),
  /** g-2 killed and started again a second later: it joins as a new member. */
  'member-restarted': groupScenario([{ at: '2s', kill: 'g-2', heal: '1s' }]),
  /** A follower of the group's __consumer_offsets partition paused: offset commits wait for it (acks=all). */
  'offsets-follower-paused': groupScenario([{ at: '1s', pause: 'follower(__consumer_offsets/0)', heal: '6s' }]),
  /** The coordinator killed: it stays registered for its session, and commits to it fail. */
  'coordinator-killed': groupScenario([{ at: '2s', kill: 'coordinator(g)' }]),
  /** The coordinator stalls for 4 s: requests to it go unanswered. */
  'coordinator-paused': groupScenario([{ at: '2s', pause: 'coordinator(g)', heal: '4s' }]),
  /** b3 killed: its session lives on until ZooKeeper expires it. */
  /** A group reading a transactional producer that aborts half its transactions (of 20 records). */
  'group-txn-aborts': {
    faults: [], cluster: cluster(FAST_GROUP), topics: [topic(3, 3)],
    producers: [{ ...producer(300, '50/s', { 'transactional.id': 'tx' }), transactions: { records: 20, abort: '50%' } }],
    consumers: [group()], duration: '8s', settle: '2s',
  },
  /** A transactional producer (transactions of 100 records): __transaction_state exists. */
  'txn-steady': { faults: [], cluster: cluster(), topics: [topic(2, 3)], producers: [producer(300, '50/s', { 'transactional.id': 'tx' })], duration: '8s', settle: '2s' },
  /**
   * A transactional producer killed mid-transaction: its coordinator aborts it after
   * transaction.timeout.ms (60 s by default), or when the producer restarts at the heal (20 s) and fences it.
   */
  'txn-producer-killed': {
    faults: [{ at: '2s', kill: 'p1' }], cluster: cluster(), topics: [topic(2, 3)], producers: [producer(300, '50/s', { 'transactional.id': 'tx' })], duration: '20s', settle: '2s',
  },
  'broker-killed': { faults: [{ at: '1s', kill: 'b3' }], cluster: cluster(), topics: [topic(1, 3)], producers: [producer(300, '50/s')], duration: '14s', settle: '1s' },
  /** The same with 6 s sessions. */
  'broker-killed-6s-session': {
    // tickTime 1 s: the server grants 2 s to 20 s, so the 6 s asked for is granted as asked.
    faults: [{ at: '1s', kill: 'b3' }], cluster: cluster({}, { zookeeper: { ...zookeeper6s, tickTime: 1000 } }), topics: [topic(1, 3)], producers: [producer(300, '50/s')], duration: '14s', settle: '1s',
  },
  /** b3 restarted while cut off from ZooKeeper: its start waits for a connection. */
  'restart-without-zookeeper': {
    faults: [{ at: '1s', partition: [['b3'], ['zk']], heal: '9s' }, { at: '2s', restart: 'b3' }],
    cluster: cluster(), topics: [topic(1, 3)], producers: [producer(300, '50/s')], duration: '12s', settle: '1s',
  },
} satisfies Record<string, Scenario>;

export type ContextName = keyof typeof CONTEXTS;

/** The config maps where a `kind` key goes: cluster.config, cluster.zookeeper, every topic's, producer's or consumer's. */
export function configsOf(scenario: Scenario, kind: ConfigLabel): Record<string, Value>[] {
  const s = scenario as { cluster: Record<string, unknown>; topics: Record<string, unknown>[]; producers: Record<string, unknown>[]; consumers?: Record<string, unknown>[] };
  const map = (owner: Record<string, unknown>, field: string): Record<string, Value> => (owner[field] ??= {}) as Record<string, Value>;
  switch (kind) {
    case 'broker': return [map(s.cluster, 'config')];
    case 'ZooKeeper': return [map(s.cluster, 'zookeeper')];
    case 'topic': return s.topics.map((t) => map(t, 'config'));
    case 'producer': return s.producers.map((p) => map(p, 'config'));
    case 'consumer': return (s.consumers ?? []).map((c) => map(c, 'config'));
  }
}

/** The context with the key set (a copy; key order, hence the faults' lines, unchanged). */
export function withKey(context: ContextName, kind: ConfigLabel, key: string, value: Value): Scenario {
  const scenario = structuredClone(CONTEXTS[context]) as Scenario;
  const configs = configsOf(scenario, kind);
  if (configs.length === 0) throw new Error(`context ${context} has no place for a ${kind} key`);
  for (const config of configs) config[key] = value;
  return scenario;
}

export interface Observed {
  readonly summary: RunSummary;
  /** Every event but the network's, in order (deliveries and connections are counted below). */
  readonly events: readonly { readonly atUs: number; readonly event: KafkaEvent }[];
  /** Requests and responses delivered, by `type from` (e.g. `Fetch b2`, `Heartbeat g-1`). */
  readonly delivered: ReadonlyMap<string, number>;
  /** Connections opened, by `node label` (e.g. `g-1 coordinator`, `b2 replication`, `p1 producer`). */
  readonly connects: ReadonlyMap<string, number>;
}

export function observe(scenario: Scenario): Observed {
  const events: { atUs: number; event: KafkaEvent }[] = [];
  const delivered = new Map<string, number>();
  const connects = new Map<string, number>();
  const bump = (map: Map<string, number>, key: string): void => void map.set(key, (map.get(key) ?? 0) + 1);
  const observer = (atUs: number, event: TraceEvent): void => {
    const e = event as TraceEvent & { from?: string; type?: string; label?: string };
    if (e.kind === 'net.deliver') bump(delivered, `${e.type} ${e.from}`);
    else if (e.kind === 'net.connect') bump(connects, `${e.from} ${e.label}`);
    else if (!e.kind.startsWith('net.')) events.push({ atUs, event: event as KafkaEvent });
  };
  return { summary: run(scenario, { seed: 1, observer }), events, delivered, connects };
}

// ---- measures: what a key's effect is read from -------------------------------------------

export type Measure = (o: Observed) => number | string;
type EventOf<K extends KafkaEvent['kind']> = Extract<KafkaEvent, { kind: K }>;

export const eventsOf = <K extends KafkaEvent['kind']>(o: Observed, kind: K): EventOf<K>[] =>
  o.events.filter((e) => e.event.kind === kind).map((e) => e.event as EventOf<K>);

export const count = <K extends KafkaEvent['kind']>(kind: K, where: (e: EventOf<K>) => boolean = () => true): Measure =>
  (o) => eventsOf(o, kind).filter(where).length;

/** Seconds until the first such event (Infinity when none). */
export const firstAt = <K extends KafkaEvent['kind']>(kind: K, where: (e: EventOf<K>) => boolean = () => true): Measure =>
  (o) => (o.events.find((e) => e.event.kind === kind && where(e.event as EventOf<K>))?.atUs ?? Number.POSITIVE_INFINITY) / 1e6;

export const largest = <K extends KafkaEvent['kind']>(kind: K, value: (e: EventOf<K>) => number, where: (e: EventOf<K>) => boolean = () => true): Measure =>
  (o) => Math.max(0, ...eventsOf(o, kind).filter(where).map(value));

export const requests = (type: string, from: RegExp): Measure =>
  (o) => [...o.delivered].filter(([key]) => key.startsWith(`${type} `) && from.test(key.slice(type.length + 1))).reduce((sum, [, n]) => sum + n, 0);

/** Connections opened by nodes matching `from`, on connections named `label` (any when omitted). */
export const connectsFrom = (from: RegExp, label?: string): Measure => (o) =>
  [...o.connects].filter(([key]) => from.test(key.split(' ')[0]!) && (label === undefined || key.split(' ')[1] === label)).reduce((sum, [, n]) => sum + n, 0);

export const BROKER = /^b\d+$/;
export const MEMBER = /^g-\d+$/;
export const PRODUCER = /^p1$/;
