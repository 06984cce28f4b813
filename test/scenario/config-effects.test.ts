// Issue 12, item 3: no accepted key without an effect. Every key ksim knows is modelled,
// harmless or refused (config-support.ts); each modelled key is shown to change a run: its
// context scenario run twice on one seed, as is and with the key set, must differ in the trace
// hash and in one named observable, in the direction Kafka's behaviour says.
import { describe, expect, it, test } from 'vitest';
import { CONFIG_TABLES, configDefault, type KafkaConfigEntry } from '../../src/scenario/kafka-config.js';
import { CONFIG_TABLE_OF, HARMLESS, MODELLED, supportOf, type ConfigLabel } from '../../src/scenario/config-support.js';
import {
  BROKER, CONTEXTS, MEMBER, PRODUCER, configsOf, connectsFrom, count, eventsOf, firstAt, largest, observe, requests, withKey,
  type ContextName, type Measure, type Observed,
} from './config-effects.contexts.js';

const KINDS = Object.keys(MODELLED) as ConfigLabel[];

describe('config support', () => {
  test('config support: the five config kinds are the tables of kafka-config.ts', () => {
    expect(CONFIG_TABLES.map((t) => t.label).sort()).toEqual([...KINDS].sort());
    for (const { label, table } of CONFIG_TABLES) expect(CONFIG_TABLE_OF[label as ConfigLabel]).toBe(table);
    expect(Object.keys(HARMLESS).sort()).toEqual([...KINDS].sort());
  });

  for (const { label, table } of CONFIG_TABLES) {
    const kind = label as ConfigLabel;
    // A key in both lists, or in a list without being a key, would make supportOf's answer depend on list order.
    test(`config support: ${kind}: each key is modelled, harmless or refused, exactly one; the lists name only its keys`, () => {
      const modelled = MODELLED[kind];
      const harmless = Object.keys(HARMLESS[kind]);
      expect(new Set(modelled).size).toBe(modelled.length);
      expect(modelled.filter((key) => !Object.hasOwn(table, key))).toEqual([]);
      expect(harmless.filter((key) => !Object.hasOwn(table, key))).toEqual([]);
      expect(modelled.filter((key) => harmless.includes(key))).toEqual([]);
      for (const key of Object.keys(table)) {
        const support = supportOf(kind, key);
        const expected = modelled.includes(key) ? 'modelled' : harmless.includes(key) ? 'harmless' : 'not-modelled';
        expect({ key, support: support.kind }).toEqual({ key, support: expected });
        if (support.kind !== 'modelled') expect(support.why.length, `${kind} ${key} needs a reason`).toBeGreaterThan(10);
      }
    });
  }
});

type Change = 'appears' | 'vanishes' | 'rises' | 'falls' | 'differs';
const CHANGE_WORDS: Readonly<Record<Change, string>> = { appears: 'none, then some', vanishes: 'some, then none', rises: 'up', falls: 'down', differs: 'changed' };

interface Effect {
  readonly kind: ConfigLabel;
  readonly key: string;
  readonly value: string | number | boolean;
  readonly context: ContextName;
  /** What the key changes, read by `measure`. */
  readonly shows: string;
  readonly measure: Measure;
  /** appears: 0 without the key, > 0 with it; vanishes: the reverse; rises / falls / differs: compared. */
  readonly change: Change;
  /** Set when no context showed an effect: the test is expected to fail, and the report lists it. */
  readonly noEffectFound?: string;
}

const e = (kind: ConfigLabel, key: string, value: Effect['value'], context: ContextName, shows: string, change: Change, measure: Measure, noEffectFound?: string): Effect =>
  noEffectFound === undefined ? { kind, key, value, context, shows, change, measure } : { kind, key, value, context, shows, change, measure, noEffectFound };

const appends = (role: 'leader' | 'follower') => largest('log.append', (a) => a.count, (a) => a.role === role && a.topic === 'orders');
const keysOnSeveralPartitions: Measure = (o) => {
  const partitions = new Map<string, Set<number>>();
  for (const send of eventsOf(o, 'app.send')) if (send.key !== null) (partitions.get(send.key) ?? partitions.set(send.key, new Set()).get(send.key)!).add(send.partition);
  return [...partitions.values()].filter((set) => set.size > 1).length;
};
const partitionsUsed: Measure = (o) => new Set(eventsOf(o, 'app.send').map((s) => s.partition)).size;
/** Seconds from the first to the last failed commit attempt (commitSync retries until default.api.timeout.ms). */
const failedCommitSpan: Measure = (o) => {
  const failed = o.events.filter((x) => x.event.kind === 'app.commit' && x.event.error !== 'NONE').map((x) => x.atUs);
  return failed.length === 0 ? 0 : (failed[failed.length - 1]! - failed[0]!) / 1e6;
};
const failures = (error: string) => count('app.fail', (f) => f.error === error);
const anomaly = (name: keyof Observed['summary']['anomalies']): Measure => (o) => o.summary.anomalies[name];
const probe = (name: keyof Observed['summary']['coverage']): Measure => (o) => o.summary.coverage[name];
const assignments: Measure = (o) => JSON.stringify(eventsOf(o, 'group.stable').map((s) => s.assignment.map(([, partitions]) => partitions).sort()));
const offsetsTopic = (o: Observed) => eventsOf(o, 'topic.created').find((t) => t.topic === '__consumer_offsets')?.assignment ?? [];
const restartLoading = (field: 'recoveryBytes' | 'durationUs') => largest('broker.loading', (l) => l[field], (l) => l.restart);

// One entry per modelled key: its context, the value set, and the observable it changes.
const EFFECTS: readonly Effect[] = [
  // ---- broker
  e('broker', 'num.partitions', 2, 'topic-defaults', 'partitions the producer sends to', 'rises', partitionsUsed),
  e('broker', 'default.replication.factor', 3, 'topic-defaults', 'follower appends', 'appears', count('log.append', (a) => a.role === 'follower')),
  e('broker', 'min.insync.replicas', 2, 'followers-stopped', 'NOT_ENOUGH_REPLICAS refusals', 'appears', count('produce.rejected', (r) => r.error === 'NOT_ENOUGH_REPLICAS')),
  e('broker', 'unclean.leader.election.enable', true, 'leader-lost-alone', 'unclean elections', 'appears', probe('unclean-election')),
  e('broker', 'replica.lag.time.max.ms', 1000, 'follower-paused', 'ISR shrinks', 'appears', count('isr.shrink')),
  e('broker', 'replica.fetch.wait.max.ms', 100, 'steady', 'follower fetch requests', 'rises', requests('Fetch', BROKER)),
  e('broker', 'replica.fetch.max.bytes', 100, 'follower-paused', 'records in the largest follower append (catching up)', 'falls', appends('follower')),
  e('broker', 'replica.fetch.backoff.ms', 100, 'leader-killed', "followers' reconnects to the dead leader", 'rises', connectsFrom(BROKER)),
  e('broker', 'replica.socket.timeout.ms', 1000, 'leader-paused', 'connections the brokers open (fetches timed out)', 'rises', connectsFrom(BROKER)),
  e('broker', 'replica.high.watermark.checkpoint.interval.ms', 60000, 'restart-0.10', 'offset the restarted follower truncates to', 'falls', (o) => Math.min(...eventsOf(o, 'truncate').filter((t) => t.reason === 'high-watermark').map((t) => t.toOffset))),
  e('broker', 'auto.leader.rebalance.enable', false, 'preferred-moved-checked', 'preferred-leader elections', 'vanishes', count('election', (el) => el.reason === 'preferred')),
  e('broker', 'leader.imbalance.check.interval.seconds', 5, 'preferred-moved', 'preferred-leader elections', 'appears', count('election', (el) => el.reason === 'preferred')),
  e('broker', 'leader.imbalance.per.broker.percentage', 100, 'preferred-moved-checked', 'preferred-leader elections', 'vanishes', count('election', (el) => el.reason === 'preferred')),
  e('broker', 'controlled.shutdown.enable', false, 'preferred-moved', 'controlled shutdowns', 'vanishes', probe('controlled-shutdown')),
  e('broker', 'controlled.shutdown.max.retries', 1, 'shutdown-stuck', 'controlled shutdown attempts', 'falls', largest('broker.shutdown', (s) => s.attempt)),
  e('broker', 'controlled.shutdown.retry.backoff.ms', 1000, 'shutdown-stuck', 'seconds until the leader stopped', 'falls', firstAt('broker.shutdown', (s) => s.phase === 'stopped')),
  e('broker', 'controller.socket.timeout.ms', 2000, 'shutdown-unanswered', 'ControlledShutdown requests the controller handled', 'rises', count('controller.shutting-down')),
  e('broker', 'log.flush.interval.messages', 1, 'power-loss', 'acknowledged messages lost', 'vanishes', anomaly('lost')),
  e('broker', 'log.flush.interval.ms', 1000, 'power-loss-late', 'acknowledged messages lost', 'falls', anomaly('lost')),
  e('broker', 'log.flush.scheduler.interval.ms', 1000, 'power-loss-late', 'acknowledged messages lost', 'falls', anomaly('lost')),
  e('broker', 'log.flush.offset.checkpoint.interval.ms', 1000, 'restart-flushed', 'bytes the restarted broker recovers', 'falls', restartLoading('recoveryBytes')),
  e('broker', 'num.recovery.threads.per.data.dir', 2, 'restart-checkpointed', 'time the restarted broker loads its logs', 'falls', restartLoading('durationUs')),
  e('broker', 'log.segment.bytes', 1000, 'restart-checkpointed', 'bytes the restarted broker recovers', 'falls', restartLoading('recoveryBytes')),
  e('broker', 'offsets.topic.replication.factor', 1, 'group', 'replicas of __consumer_offsets', 'falls', (o) => offsetsTopic(o)[0]?.length ?? 0),
  e('broker', 'offsets.topic.num.partitions', 5, 'group-defaults', 'partitions of __consumer_offsets', 'falls', (o) => offsetsTopic(o).length),
  e('broker', 'offsets.commit.timeout.ms', 1000, 'offsets-follower-paused', 'seconds until a commit is refused (REQUEST_TIMED_OUT)', 'falls', firstAt('group.commit', (c) => c.error === 'REQUEST_TIMED_OUT')),
  e('broker', 'group.initial.rebalance.delay.ms', 0, 'group-defaults', 'seconds until the group is stable', 'falls', firstAt('group.stable')),
  e('broker', 'group.min.session.timeout.ms', 50000, 'group', 'stable generations (JoinGroup refused)', 'vanishes', count('group.stable')),
  e('broker', 'group.max.session.timeout.ms', 10000, 'group', 'stable generations (JoinGroup refused)', 'vanishes', count('group.stable')),
  e('broker', 'group.max.size', 1, 'group', 'members of the largest generation', 'falls', largest('group.generation', (g) => g.members.length)),
  // ---- topic
  e('topic', 'min.insync.replicas', 2, 'followers-stopped', 'NOT_ENOUGH_REPLICAS refusals', 'appears', count('produce.rejected', (r) => r.error === 'NOT_ENOUGH_REPLICAS')),
  e('topic', 'unclean.leader.election.enable', true, 'leader-lost-alone', 'unclean elections', 'appears', probe('unclean-election')),
  e('topic', 'flush.messages', 1, 'power-loss', 'acknowledged messages lost', 'vanishes', anomaly('lost')),
  e('topic', 'flush.ms', 1000, 'power-loss-late', 'acknowledged messages lost', 'falls', anomaly('lost')),
  e('topic', 'segment.bytes', 1000, 'restart-checkpointed', 'bytes the restarted broker recovers', 'falls', restartLoading('recoveryBytes')),
  // ---- producer
  e('producer', 'acks', '0', 'leader-killed', 'acknowledged messages lost', 'appears', anomaly('lost')),
  e('producer', 'batch.size', 100, 'burst', 'records in the largest leader append', 'falls', appends('leader')),
  e('producer', 'buffer.memory', 20000, 'producer-stalled', 'sends failed after max.block.ms', 'appears', failures('MAX_BLOCK_TIMEOUT')),
  e('producer', 'delivery.timeout.ms', 1500, 'followers-stopped-min-isr-2', 'sends failed by delivery.timeout.ms', 'appears', failures('DELIVERY_TIMEOUT')),
  e('producer', 'enable.idempotence', false, 'sends-retried', 'duplicated messages', 'appears', anomaly('duplicated')),
  e('producer', 'linger.ms', 100, 'steady', 'Produce requests', 'falls', requests('Produce', PRODUCER)),
  e('producer', 'max.block.ms', 1000, 'producer-stalled-small-buffer', 'sends failed after max.block.ms', 'appears', failures('MAX_BLOCK_TIMEOUT')),
  e('producer', 'max.in.flight.requests.per.connection', 1, 'sends-retried-not-idempotent', 'reordered messages', 'vanishes', anomaly('reordered')),
  e('producer', 'max.request.size', 100, 'burst', 'Produce requests', 'rises', requests('Produce', PRODUCER)),
  e('producer', 'metadata.max.age.ms', 1000, 'steady', 'Metadata requests', 'rises', requests('Metadata', PRODUCER)),
  e('producer', 'partitioner.class', 'org.apache.kafka.clients.producer.RoundRobinPartitioner', 'steady', 'keys sent to more than one partition', 'appears', keysOnSeveralPartitions),
  e('producer', 'partitioner.ignore.keys', true, 'steady', 'partitions the producer sends to (one sticky partition)', 'falls', partitionsUsed),
  e('producer', 'reconnect.backoff.ms', 2000, 'leader-killed-fast-retry', 'producer reconnects', 'falls', connectsFrom(PRODUCER)),
  e('producer', 'reconnect.backoff.max.ms', 100, 'leader-killed-fast-retry', 'producer reconnects', 'rises', connectsFrom(PRODUCER)),
  e('broker', 'transaction.state.log.replication.factor', 2, 'txn-steady', 'follower appends to __transaction_state', 'falls', count('log.append', (a) => a.topic === '__transaction_state' && a.role === 'follower')),
  e('broker', 'transaction.state.log.num.partitions', 3, 'txn-steady', '__transaction_state partitions loaded by coordinators', 'falls', count('txn.loaded')),
  e('producer', 'transactional.id', 'tx', 'steady', 'EndTxn requests (transactions of 100 records)', 'appears', requests('EndTxn', PRODUCER)),
  e('producer', 'transaction.timeout.ms', 2000, 'txn-producer-killed', 'seconds until the coordinator aborts the dead producer\'s transaction', 'falls', firstAt('txn.transition', (t) => t.to === 'PrepareAbort')),
  e('producer', 'request.timeout.ms', 1000, 'leader-paused', 'retries after REQUEST_TIMED_OUT', 'appears', count('producer.retry', (r) => r.error === 'REQUEST_TIMED_OUT')),
  e('producer', 'retries', 3, 'followers-stopped-min-isr-2', 'failed sends', 'appears', count('app.fail')),
  e('producer', 'retry.backoff.ms', 1000, 'followers-stopped-min-isr-2', 'retried batches', 'falls', count('producer.retry')),
  e('producer', 'retry.backoff.max.ms', 100, 'followers-stopped-min-isr-2', 'retried batches', 'rises', count('producer.retry')),
  // ---- consumer
  e('consumer', 'auto.commit.interval.ms', 1000, 'group-auto-commit', 'auto-commits', 'rises', count('app.commit', (c) => c.mode === 'auto')),
  e('consumer', 'auto.offset.reset', 'earliest', 'group-defaults', 'messages processed', 'rises', (o) => o.summary.messages.processed),
  e('consumer', 'default.api.timeout.ms', 2000, 'coordinator-killed', 'seconds a commitSync kept retrying', 'falls', failedCommitSpan),
  e('consumer', 'enable.auto.commit', true, 'group', 'auto-commits', 'appears', count('app.commit', (c) => c.mode === 'auto')),
  e('consumer', 'fetch.max.wait.ms', 100, 'group', 'consumer fetch requests', 'rises', requests('Fetch', MEMBER)),
  e('consumer', 'group.instance.id', 'billing', 'member-restarted', 'rebalances', 'falls', count('group.rebalance')),
  e('consumer', 'heartbeat.interval.ms', 500, 'group', 'heartbeats', 'rises', requests('Heartbeat', MEMBER)),
  // Processed counts distinct messages processed, aborted ones included under read_uncommitted.
  e('consumer', 'isolation.level', 'read_committed', 'group-txn-aborts', 'messages processed (aborted ones left out)', 'falls', (o) => o.summary.messages.processed),
  e('consumer', 'max.poll.interval.ms', 100, 'group-backlog', 'poll timeouts', 'appears', count('consumer.poll-timeout')),
  e('consumer', 'max.poll.records', 10, 'group-backlog', 'commits (one per poll)', 'rises', count('app.commit')),
  e('consumer', 'metadata.max.age.ms', 1000, 'group', 'consumer Metadata requests', 'rises', requests('Metadata', MEMBER)),
  e('consumer', 'partition.assignment.strategy', 'roundrobin', 'group', 'the assignment', 'differs', assignments),
  e('consumer', 'reconnect.backoff.ms', 2000, 'coordinator-killed', 'member reconnects (fetch and metadata connections)', 'falls', connectsFrom(MEMBER, 'default')),
  e('consumer', 'reconnect.backoff.max.ms', 100, 'coordinator-killed', 'member reconnects (fetch and metadata connections)', 'rises', connectsFrom(MEMBER, 'default')),
  e('consumer', 'request.timeout.ms', 1000, 'coordinator-paused', 'connections the members open (requests timed out)', 'rises', connectsFrom(MEMBER)),
  e('consumer', 'retry.backoff.ms', 1000, 'coordinator-killed', 'FindCoordinator requests', 'falls', requests('FindCoordinator', MEMBER)),
  e('consumer', 'session.timeout.ms', 6000, 'member-killed', 'members removed by session timeout', 'appears', probe('session-timeout')),
  // ---- ZooKeeper
  e('ZooKeeper', 'zookeeper.session.timeout.ms', 6000, 'broker-killed', 'brokers the controller saw fail', 'appears', count('broker.failed')),
  e('ZooKeeper', 'zookeeper.connection.timeout.ms', 2000, 'restart-without-zookeeper', 'failed broker starts', 'appears', (o) => o.summary.failedStarts.length),
  e('ZooKeeper', 'tickTime', 500, 'broker-killed', 'brokers the controller saw fail (20 × tickTime caps the session)', 'appears', count('broker.failed')),
  e('ZooKeeper', 'minSessionTimeout', 10000, 'broker-killed-6s-session', 'seconds until the killed broker fails', 'rises', firstAt('broker.failed')),
  e('ZooKeeper', 'maxSessionTimeout', 4000, 'broker-killed-6s-session', 'seconds until the killed broker fails', 'falls', firstAt('broker.failed')),
];

/** A value other than the entry's default: the other boolean, another allowed value, a larger number, a label; null if none. */
function otherValue(entry: KafkaConfigEntry): string | number | boolean | null {
  if (entry.type === 'boolean') return entry.default !== true;
  if (entry.values !== undefined) return entry.values.find((v) => v !== entry.default) ?? null;
  if (entry.type === 'int' || entry.type === 'long') return typeof entry.default === 'number' ? entry.default + 1 : 1;
  return 'ksim';
}

/** Defaults ksim derives from elsewhere than the key's table. */
const EFFECTIVE_DEFAULTS: Readonly<Record<string, string | number | boolean>> = {
  // A group's `commit:` decides it unless set (consumer-config.ts autoCommit): false but for commit: auto.
  'consumer enable.auto.commit': false,
};

describe('config effects', () => {
  test('config effects: every modelled key has exactly one effect entry, and every entry names a modelled key', () => {
    const entries = EFFECTS.map((effect) => `${effect.kind} ${effect.key}`);
    const modelled = KINDS.flatMap((kind) => MODELLED[kind].map((key) => `${kind} ${key}`));
    expect(entries.filter((entry, i) => entries.indexOf(entry) !== i)).toEqual([]);
    expect(modelled.filter((key) => !entries.includes(key))).toEqual([]);
    expect(entries.filter((entry) => !modelled.includes(entry))).toEqual([]);
  });

  // The variant must really change the key: from its effective default, in a context that leaves it unset.
  test('config effects: each entry sets a value other than the default, where its context leaves the key unset', () => {
    for (const { kind, key, value, context } of EFFECTS) {
      const effective = Object.hasOwn(EFFECTIVE_DEFAULTS, `${kind} ${key}`) ? EFFECTIVE_DEFAULTS[`${kind} ${key}`] : configDefault(CONFIG_TABLE_OF[kind], key);
      expect({ kind, key, value }).not.toEqual({ kind, key, value: effective });
      const scenario = structuredClone(CONTEXTS[context]) as Record<string, unknown>;
      const configs = configsOf(scenario, kind);
      expect(configs.length, `${context} has a place for ${kind} keys`).toBeGreaterThan(0);
      expect(configs.filter((config) => Object.hasOwn(config, key)), `${context} sets ${key}`).toEqual([]);
    }
  });

  const bases = new Map<ContextName, Observed>();
  const baseOf = (context: ContextName): Observed => {
    let base = bases.get(context);
    if (base === undefined) bases.set(context, (base = observe(CONTEXTS[context])));
    return base;
  };

  // HARMLESS keys change nothing, so setting them all leaves the trace as it was; this also shows
  // that a variant differs from its base by the key alone (withKey moves no fault line).
  for (const [kind, context] of [['broker', 'leader-killed'], ['topic', 'leader-killed'], ['producer', 'leader-killed'], ['consumer', 'member-restarted']] as const) {
    test(`config effects: ${kind}: every harmless key set at once keeps the trace hash of ${context}`, () => {
      const scenario = structuredClone(CONTEXTS[context]) as Record<string, unknown>;
      const set: string[] = [];
      for (const key of Object.keys(HARMLESS[kind])) {
        const value = otherValue(CONFIG_TABLE_OF[kind][key]!);
        if (value === null) continue; // group.protocol: "classic" is its only value
        for (const config of configsOf(scenario, kind)) config[key] = value;
        set.push(key);
      }
      expect(set.length).toBeGreaterThan(0);
      expect(observe(scenario).summary.traceHash, `with ${set.join(', ')}`).toBe(baseOf(context).summary.traceHash);
    });
  }

  for (const effect of EFFECTS) {
    const { kind, key, value, context, shows, change, measure, noEffectFound } = effect;
    const name = `config effects: ${kind} ${key}: ${JSON.stringify(value)} (${context}): ${shows}: ${CHANGE_WORDS[change]}${noEffectFound === undefined ? '' : ' (NO EFFECT FOUND)'}`;
    // NO EFFECT FOUND: the key is accepted but changes nothing ksim models (see noEffectFound); the
    // model must gain it, or config-support.ts must refuse it, and then this becomes an ordinary test.
    const define = noEffectFound === undefined ? it : it.fails;
    define(name, () => {
      const base = baseOf(context);
      const variant = observe(withKey(context, kind, key, value));
      expect(variant.summary.traceHash, 'the run with the key set').not.toBe(base.summary.traceHash);
      const [without, withIt] = [measure(base), measure(variant)];
      const seen = `${shows}: ${without} without ${key}, ${withIt} with it`;
      if (change === 'appears') expect(without === 0 && typeof withIt === 'number' && withIt > 0, seen).toBe(true);
      if (change === 'vanishes') expect(typeof without === 'number' && without > 0 && withIt === 0, seen).toBe(true);
      if (change === 'rises') expect(withIt > without, seen).toBe(true);
      if (change === 'falls') expect(withIt < without, seen).toBe(true);
      if (change === 'differs') expect(withIt !== without, seen).toBe(true);
    });
  }
});
