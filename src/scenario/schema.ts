// The scenario file as written (raw YAML), in zod: the loader validates with it, and
// json-schema.ts publishes its input side as scenario.schema.json for editors. Unit strings
// are already turned into integers here (µs, ppm); normalize.ts fills the rest of `Scenario`.
import { z } from 'zod';
import { ANOMALY_NAMES } from '../checker/anomalies.js';
import { COVERAGE_PROBES } from '../checker/coverage.js';
import type { JudgedName } from '../checker/judged.js';
import { configMap } from './config-schema.js';
import {
  BROKER_CONFIG,
  CONSUMER_CONFIG,
  DEFAULT_KAFKA_PROFILE,
  KAFKA_PROFILES,
  PRODUCER_CONFIG,
  TOPIC_CONFIG,
  ZOOKEEPER_CONFIG,
} from './kafka-config.js';
import { nearest } from './nearest.js';
import { byteRate, duration, intBetween, name, oneOf, range, rate, ratio, strictMap, target, type IssueParams } from './schema-leaves.js';

export const MAX_BROKERS = 64;
const MAX_MESSAGES = 10_000_000;

export const FAULT_ACTIONS = [
  'kill', 'stop', 'power', 'restart', 'pause', 'resume', 'isolate', 'partition', 'one-way', 'slow-disk', 'hold', 'elect-preferred', 'add-partitions',
] as const;
export type FaultAction = (typeof FAULT_ACTIONS)[number];
/** Actions with an inverse that `heal` can schedule; restart and resume are inverses themselves. */
export const HEALABLE_ACTIONS: readonly FaultAction[] = ['kill', 'stop', 'power', 'pause', 'partition', 'isolate', 'one-way', 'slow-disk', 'hold'];
export const NEMESIS_FAULTS = [
  'kill', 'power', 'restart', 'pause', 'partition', 'isolate', 'one-way', 'hold', 'slow-disk', 'majority-split', 'zookeeper-split', 'zookeeper-expiry',
] as const;
export const COMMIT_STRATEGIES = ['auto', 'after-processing', 'before-processing', 'per-batch', 'async'] as const;
export const EXPECTATIONS = ['never', 'sometimes', 'always'] as const;

const network = strictMap(
  {
    latency: range().prefault('1ms..5ms').describe('One-way delay of every message, drawn uniformly from this range.'),
    drop: ratio().prefault(0).describe('Share of packets the network loses: 0.01, "1%" or "1/100". On a TCP connection (all of Kafka\'s traffic) a lost segment is retransmitted after the RTO (200 ms, doubling): a delay, not a loss.'),
    duplicate: ratio().prefault(0).describe('Share of datagrams the network delivers twice (the example system only: TCP never duplicates, so a Kafka scenario refuses it).'),
    reorder: ratio().prefault(0).describe('Share of datagrams delayed past the ones sent after them (the example system only: TCP never reorders, so a Kafka scenario refuses it).'),
  },
  { map: 'a map of network settings' },
);

const PROFILE_EXPECTED = 'a Kafka version in quotes: "0.10", "0.11", "1.0", "1.1", "2.0" to "2.8", or "3.0" to "3.9"';

/** `"2.8"`; an unquoted 2.8 is accepted, but 0.10 read as a YAML number is 0.1, so say so. */
const kafkaProfile = z
  .union([z.string().meta({ enum: [...KAFKA_PROFILES] }), z.number()], { error: PROFILE_EXPECTED })
  .transform((value, ctx) => {
    const known: readonly string[] = KAFKA_PROFILES;
    const text = typeof value === 'number' ? value.toFixed(1) : value;
    if (known.includes(text)) return text;
    const near = nearest(String(value), known);
    const quoted = near === null ? 'it in quotes' : `"${near}"`;
    const unquoted = typeof value === 'number' ? `YAML reads an unquoted version as a number; write ${quoted}` : null;
    const params: IssueParams = { hint: unquoted ?? (near === null ? null : `did you mean "${near}"?`) };
    ctx.addIssue({ code: 'custom', message: PROFILE_EXPECTED, input: value, params });
    return z.NEVER;
  });

const supervisor = strictMap(
  {
    'restart-after': duration(1).describe(
      'Time from a failed exit to the next start (systemd\'s RestartSec); a broker exits with a failure when its ' +
        'start fails, e.g. when its previous process\'s ZooKeeper session still holds /brokers/ids/<id>.',
    ),
  },
  { map: 'a map such as { restart-after: 10s }' },
);

// Defaults: DEFAULT_STARTUP_MODEL in src/broker/log-manager.ts (a test keeps them equal).
const startup = strictMap(
  {
    time: duration()
      .prefault('1s')
      .describe('Time a restarted broker spends starting (JVM, services) before it loads its logs; the first start of a run takes none.'),
    'log-recovery': byteRate()
      .prefault('50MB/s')
      .describe(
        'Rate at which a broker restarted after an unclean shutdown (kill, power loss) recovers its logs: every segment ' +
          'from the one holding the log\'s recovery point (its last flush) on, at 100 bytes a record, one log per ' +
          'num.recovery.threads.per.data.dir thread.',
      ),
  },
  { map: 'a map such as { time: 1s, log-recovery: 50MB/s }' },
);

const cluster = strictMap(
  {
    brokers: intBetween(1, MAX_BROKERS).describe('Number of Kafka brokers, named b1..bN.'),
    kafka: kafkaProfile
      .prefault(DEFAULT_KAFKA_PROFILE)
      .describe(
        'Behaviour profile: the Kafka release line whose defaults and behaviour to follow ' +
          '(e.g. "0.10" truncates to the high watermark, "0.11" and later use leader epochs).',
      ),
    config: configMap(BROKER_CONFIG, 'broker').prefault({}).describe('Broker configs (server.properties keys), applied to every broker.'),
    zookeeper: configMap(ZOOKEEPER_CONFIG, 'ZooKeeper')
      .prefault({})
      .describe('The brokers\' zookeeper.* configs and the ZooKeeper server\'s settings (tickTime, minSessionTimeout, maxSessionTimeout).'),
    supervisor: supervisor
      .optional()
      .describe(
        'What starts a broker whose process exited with a failure (systemd\'s Restart=on-failure): omitted, nothing ' +
          'does, and a failed start stays down. A killed broker is started by its fault\'s heal, not by the supervisor.',
      ),
    startup: startup.prefault({}).describe('How long a restarted broker takes before it registers: a start-up time, then log recovery.'),
  },
  { map: 'a map describing the Kafka cluster' },
);

const topic = strictMap(
  {
    name: name('a topic name').describe('Topic name (Kafka\'s alphabet: letters, digits, ".", "_", "-").'),
    partitions: intBetween(1, 10_000).optional().describe('Partition count; default: the broker config num.partitions.'),
    'replication.factor': intBetween(1, MAX_BROKERS)
      .optional()
      .describe('Replicas per partition, at most the broker count; default: the broker config default.replication.factor.'),
    config: configMap(TOPIC_CONFIG, 'topic').prefault({}).describe('Topic configs (overrides of the broker defaults).'),
  },
  { map: 'a map describing a topic' },
);

const producer = strictMap(
  {
    name: name('a producer name').describe('Producer name; its node and its random stream are named after it.'),
    topic: name('a topic name').describe('The topic it sends to; must be declared under topics.'),
    messages: intBetween(0, MAX_MESSAGES).describe('Messages the application sends in total.'),
    rate: rate().describe('Send rate: "500/s" or "30/m".'),
    keys: intBetween(1, 1_000_000)
      .nullable()
      .optional()
      .describe('Distinct keys, cycled in order; omitted or null: no key (sticky partitioning).'),
    config: configMap(PRODUCER_CONFIG, 'producer').prefault({}).describe('Producer configs.'),
    transactions: strictMap(
      {
        records: intBetween(1, MAX_MESSAGES).default(100).describe('Records per transaction (default 100).'),
        abort: ratio().prefault(0).describe('Share of transactions the application aborts instead of committing: 0.1, "10%" or "1/10" (default 0).'),
      },
      { map: 'a map with records and abort' },
    )
      .optional()
      .describe('With config transactional.id (needed): the application commits every `records` records and aborts a share `abort` of its transactions. Omitted with a transactional.id: records 100, abort 0.'),
  },
  { map: 'a map describing a producer' },
);

const consumer = strictMap(
  {
    group: name('a group name').describe('Consumer group id (group.id).'),
    members: intBetween(1, 64).default(1).describe('Consumers in the group.'),
    topic: name('a topic name').describe('The topic the group subscribes to; must be declared under topics.'),
    processing: range().prefault('0ms').describe('Time the application takes per message, drawn from this range.'),
    commit: oneOf(COMMIT_STRATEGIES)
      .default('auto')
      .describe(
        'When the application commits: auto (enable.auto.commit, in poll()), before-processing (commitSync ' +
          'right after poll), after-processing (commitSync once the poll\'s records are processed), per-batch ' +
          '(commitSync of each partition once its records of the poll are processed), async (commitAsync after processing).',
      ),
    config: configMap(CONSUMER_CONFIG, 'consumer').prefault({}).describe('Consumer configs.'),
  },
  { map: 'a map describing a consumer group' },
);

const example = strictMap(
  {
    replicas: intBetween(2, 9).default(3).describe('Nodes n1..nN of the primary-backup log.'),
    replication: oneOf(['async', 'sync'])
      .default('async')
      .describe('async: the primary acknowledges before the backups have the write; sync: after.'),
    writes: intBetween(0, MAX_MESSAGES).default(200).describe('Writes the client sends in total.'),
    rate: rate().prefault('50/s').describe('Write rate.'),
    failover: duration(1).prefault('300ms').describe('A backup takes over after this long without the primary\'s heartbeat.'),
  },
  { map: 'a map describing the example system' },
);

const TARGET_HELP =
  'A node (b1, zk, n2, p1, billing-1) or a role (controller, primary, leader(orders/0), leader-was(orders/0), follower(orders/0), coordinator(billing), txn-coordinator(orders-writer)).';
const targetField = (what: string) => target().optional().describe(`${what} ${TARGET_HELP}`);

const partitionGroups = z
  .array(z.array(target(), { error: 'a group: a list of nodes' }).min(1, { error: 'a non-empty group of nodes' }), {
    error: 'a list of groups, such as [[b1], [b2, b3]]',
  })
  .min(2, { error: 'at least two groups, such as [[b1], [b2, b3]]' });

const fault = strictMap(
  {
    at: duration().describe('When the fault happens, from the start of the run.'),
    kill: targetField('Crash the process; the OS page cache survives.'),
    stop: targetField(
      'A clean stop (SIGTERM): a broker first moves its leaderships away (controlled shutdown, when ' +
        'controlled.shutdown.enable), then flushes its logs and closes its ZooKeeper session; heal starts it again.',
    ),
    power: targetField('Power loss: crash and lose what was not flushed to disk.'),
    restart: targetField('Start a crashed or stopped process again; a running one is stopped cleanly (as by `stop`) and started again once it has exited.'),
    pause: targetField('Freeze the process (a long GC pause); timers and messages wait.'),
    resume: targetField('Unfreeze a paused process.'),
    isolate: targetField('Cut the node off from every other node.'),
    partition: partitionGroups.optional().describe('Split the network into groups that cannot reach each other.'),
    'one-way': strictMap(
      { from: target().describe(`Sender. ${TARGET_HELP}`), to: target().describe(`Receiver. ${TARGET_HELP}`) },
      { map: 'a map {from, to}' },
    )
      .optional()
      .describe('Drop messages from one node to another, not back.'),
    'slow-disk': targetField('Make the node\'s disk writes take `latency` each.'),
    latency: duration(1).optional().describe('Write latency of a slow-disk fault.'),
    hold: strictMap(
      { from: targetField('Only messages from this node; omitted: from any.'), to: targetField('Only messages to this node; omitted: to any.') },
      { map: 'a map {from, to}' },
    )
      .optional()
      .describe('Hold messages (from one node, to one node, or all) until healed, then deliver them.'),
    'elect-preferred': z
      .string({ error: 'a partition such as "orders/0", or "all"' })
      .regex(/^(all|[A-Za-z0-9._-]+\/\d+)$/, { error: 'a partition such as "orders/0", or "all"' })
      .optional()
      .describe('Ask the controller for a preferred-leader election (kafka-leader-election.sh) of one partition or all.'),
    'add-partitions': strictMap(
      {
        topic: name('a topic name').describe('The topic; must be declared under topics.'),
        partitions: intBetween(2, 10_000).describe('Its new partition count (kafka-topics.sh --alter --partitions).'),
      },
      { map: 'a map {topic, partitions}' },
    )
      .optional()
      .describe('Add partitions to a topic, as an admin would: keyed records then map to other partitions.'),
    heal: duration(1).optional().describe('Undo the fault this long after `at` (restart, resume, reconnect, release, restore).'),
    'may-miss': z
      .boolean({ error: 'true or false' })
      .optional()
      .describe('The fault may find its role empty when it comes due (leader(orders/0) while the partition is offline): the run still passes, and says so. Default false: such a fault fails the seed, since the scenario did not run as written.'),
  },
  { map: 'a map describing a fault, such as { at: 20s, kill: b1 }' },
).meta({ oneOf: FAULT_ACTIONS.map((action) => ({ required: [action] })) });

const nemesis = strictMap(
  {
    faults: z
      .array(oneOf(NEMESIS_FAULTS), { error: 'a list of fault kinds' })
      .min(1, { error: 'at least one fault kind' })
      .describe(
        'Fault kinds the nemesis draws from: kill (SIGKILL, healed by a start), power (power loss), restart (SIGTERM: a ' +
          'clean stop, with a controlled shutdown for a broker; started again when the fault heals), pause, partition ' +
          '(a random split of the targets), isolate, one-way, hold (what one target sends is held, then delivered ' +
          'late), slow-disk, majority-split (a minority of the targets cut from the rest), zookeeper-split (every ' +
          'broker cut from ZooKeeper, clients unaffected), zookeeper-expiry (one broker cut from ZooKeeper past ' +
          'zookeeper.session.timeout.ms, so its session expires; the fault lasts that long plus its drawn duration).',
      ),
    interval: range(1).prefault('5s..15s').describe('Time between two random faults.'),
    'fault-duration': range(1).prefault('1s..10s').describe('How long each random fault lasts before it heals.'),
    targets: z
      .array(target(), { error: 'a list of targets' })
      .min(1, { error: 'at least one target' })
      .optional()
      .describe(
        'What the nemesis may hit, resolved at each fault: nodes (b1, zk, billing-1), roles (leader(orders/0), ' +
          'follower(orders/0), controller, coordinator(billing), txn-coordinator(orders-writer)) or sets (brokers, zookeeper, producers, consumers). ' +
          'Default: brokers and zookeeper.',
      ),
  },
  { map: 'a map describing the random nemesis' },
);

const expectShape = {} as Record<JudgedName, z.ZodOptional<ReturnType<typeof oneOf<typeof EXPECTATIONS>>>>;
for (const anomaly of ANOMALY_NAMES) {
  expectShape[anomaly] = oneOf(EXPECTATIONS).optional().describe(`How often "${anomaly}" must occur across the seeds run.`);
}
// DESIGN.md: expect: also judges the coverage probes (how often a seed reached each rare situation).
for (const probe of COVERAGE_PROBES) {
  expectShape[probe.name] = oneOf(EXPECTATIONS).optional().describe(`How often the run must reach the coverage probe "${probe.name}": ${probe.description}.`);
}
const expectations = strictMap(expectShape, { map: 'a map of anomaly or coverage probe: never | sometimes | always', key: 'an anomaly or coverage probe name' });

const listOf = <T extends z.ZodType>(item: T, what: string) => z.array(item, { error: `a list of ${what}` }).prefault([]);

export const scenarioSchema = strictMap(
  {
    name: name('a scenario name').optional().describe('Scenario name; default: the file name without extension.'),
    description: z.string({ error: 'a string' }).nullable().optional().describe('What the scenario shows.'),
    claim: z.string({ error: 'a string' }).nullable().optional().describe('The documented claim it demonstrates.'),
    seed: intBetween(0, Number.MAX_SAFE_INTEGER, 'a whole number').default(1).describe('Default seed; --seed overrides.'),
    'judged-over': intBetween(1, 1_000_000, 'a number of seeds').default(1).describe('How many seeds its `sometimes` expectations are judged over (the suite runs 100): a run of fewer seeds that has not seen one reports it open, not failed. Default 1: every run judges them.'),
    duration: duration(1).prefault('60s').describe('Time during which the workload and the faults run.'),
    settle: duration().prefault('30s').describe('Then faults heal, producers stop and consumers drain for this long.'),
    network: network.prefault({}).describe('The simulated network.'),
    cluster: cluster.optional().describe('A Kafka cluster (ZooKeeper mode). Exactly one of cluster and example.'),
    example: example.optional().describe('The kernel\'s example system instead of Kafka. Exactly one of cluster and example.'),
    topics: listOf(topic, 'topics').describe('Topics created before the run.'),
    producers: listOf(producer, 'producers').describe('Producer applications.'),
    consumers: listOf(consumer, 'consumer groups').describe('Consumer group applications.'),
    faults: listOf(fault, 'faults').describe('Scripted faults, such as { at: 20s, kill: leader(orders/0), heal: 10s }.'),
    nemesis: nemesis.optional().describe('Seeded random faults, for exploring many seeds.'),
    expect: expectations.prefault({}).describe('Per anomaly or coverage probe: never, sometimes or always. Unlisted ones are reported, not judged.'),
  },
  { map: 'a map of scenario settings (name, cluster, topics, ...)', key: 'a scenario key' },
)
  .meta({ oneOf: [{ required: ['cluster'] }, { required: ['example'] }] })
  .describe('A ksim scenario: a Kafka cluster or the example system, a workload, faults and expectations.');

export type RawScenario = z.output<typeof scenarioSchema>;
