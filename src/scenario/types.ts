// The normalized scenario: what the loader hands the runner after validation.
// Every duration is an integer count of microseconds (names end in `Us`); every ratio is an
// integer count of parts per million (names end in `Ppm`), so the model never sees a float.
import type { JudgedName } from '../checker/judged.js';
import type { NEMESIS_FAULTS } from './schema.js';

export type Expectation = 'never' | 'sometimes' | 'always';

export interface RangeUs {
  readonly minUs: number;
  readonly maxUs: number;
}

/** A Kafka config map, keys verbatim (`min.insync.replicas`), values already type-checked. */
export type KafkaConfig = Readonly<Record<string, string | number | boolean | null>>;

/**
 * What a config's own rules refuse (Kafka's ConfigException, or what a profile's Kafka lacks),
 * found by a pure check where the config lives; the loader puts it at `key` in the file.
 */
export interface ConfigFinding {
  readonly key: string;
  readonly expected: string;
  readonly found: string;
  readonly hint: string | null;
}

export interface NetworkSpec {
  readonly latencyUs: RangeUs; // default 1ms..5ms
  readonly dropPpm: number; // default 0
  readonly duplicatePpm: number; // default 0
  readonly reorderPpm: number; // default 0
}

export interface ClusterSpec {
  readonly brokers: number;
  readonly kafka: string; // behaviour profile, e.g. "3.9", "2.8", "0.10"
  readonly config: KafkaConfig; // broker configs
  readonly zookeeper: KafkaConfig; // zookeeper.* broker configs and ZooKeeper server settings (tickTime)
  /** Starts a broker that exited with a failure this long after (systemd's RestartSec); null: nothing does. */
  readonly supervisor: { readonly restartAfterUs: number } | null;
  /** A restart's start-up time, and the rate of its log recovery after an unclean shutdown. */
  readonly startup: { readonly baseUs: number; readonly recoveryBytesPerSec: number };
}

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: KafkaConfig; // topic configs
}

export interface ProducerSpec {
  readonly name: string;
  readonly topic: string;
  readonly messages: number;
  readonly ratePerSec: number;
  readonly keys: number | null; // number of distinct keys; null = no key
  readonly config: KafkaConfig; // producer configs
  /** With a transactional.id: records per transaction and the share aborted (omitted: 100 and 0). */
  readonly transactions?: TransactionsSpec | null;
}

/** A transactional producer's application: `records` per transaction, `abortPpm` of them aborted. */
export interface TransactionsSpec {
  readonly records: number;
  readonly abortPpm: number;
}

export type CommitStrategy = 'auto' | 'after-processing' | 'before-processing' | 'per-batch' | 'async';

export interface ConsumerSpec {
  readonly group: string;
  readonly members: number;
  readonly topic: string;
  readonly processingUs: RangeUs;
  readonly commit: CommitStrategy;
  readonly config: KafkaConfig; // consumer configs
}

/** A fault target: a node name (`b1`, `zk`, `n2`) or a role (`leader(orders/0)`, `controller`, `primary`). */
export type Target = string;

export type FaultActionSpec =
  | { readonly kind: 'kill'; readonly target: Target }
  | { readonly kind: 'stop'; readonly target: Target }
  | { readonly kind: 'power'; readonly target: Target }
  | { readonly kind: 'restart'; readonly target: Target }
  | { readonly kind: 'pause'; readonly target: Target }
  | { readonly kind: 'resume'; readonly target: Target }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly Target[])[] }
  | { readonly kind: 'isolate'; readonly target: Target }
  | { readonly kind: 'one-way'; readonly from: Target; readonly to: Target }
  | { readonly kind: 'slow-disk'; readonly target: Target; readonly latencyUs: number }
  | { readonly kind: 'hold'; readonly from: Target | null; readonly to: Target | null }
  /** An admin request, not a fault: a preferred-leader election of `topic/partition`, or `all`. */
  | { readonly kind: 'elect-preferred'; readonly partition: string }
  /** An admin request, not a fault: raise a topic's partition count. */
  | { readonly kind: 'add-partitions'; readonly topic: string; readonly partitions: number };

export interface FaultSpec {
  readonly atUs: number;
  readonly action: FaultActionSpec;
  /** When set, the fault's inverse runs this long after `atUs` (restart, resume, heal, release, disk restored). */
  readonly healAfterUs: number | null;
  /** 1-based line of the fault in the scenario file, for stories and error messages. */
  readonly line: number;
  /** `may-miss: true`: a target naming nobody when the fault comes due is reported, not failed. */
  readonly mayMiss: boolean;
}

export type NemesisFaultKind = (typeof NEMESIS_FAULTS)[number];

export interface NemesisSpec {
  readonly faults: readonly NemesisFaultKind[];
  readonly intervalUs: RangeUs; // time between two random faults
  readonly faultDurationUs: RangeUs; // how long each random fault lasts
  /** What it may hit (nodes, roles, or the sets brokers/zookeeper/producers/consumers); null: brokers and ZooKeeper. */
  readonly targets: readonly Target[] | null;
}

/** The kernel's example system (not Kafka): a primary-backup replicated log. */
export interface ExampleSpec {
  readonly replicas: number; // nodes n1..nN
  readonly replication: 'async' | 'sync';
  readonly writes: number;
  readonly ratePerSec: number;
  readonly failoverUs: number; // a backup takes over after this long without the primary's heartbeat
}

export interface Scenario {
  readonly name: string; // defaults to the file name without extension
  readonly description: string | null;
  readonly claim: string | null;
  readonly seed: number; // default 1
  /** `judged-over:` the seeds a `sometimes` is judged over; fewer leave it open. Default 1. */
  readonly judgedOver: number;
  /** The report's note on keys that are set but change nothing ksim judges (config-support.ts), or null. */
  readonly harmlessKeys: string | null;
  readonly durationUs: number; // default 60s
  readonly settleUs: number; // default 30s
  readonly network: NetworkSpec;
  readonly cluster: ClusterSpec | null; // exactly one of `cluster` and `example` is set
  readonly example: ExampleSpec | null;
  readonly topics: readonly TopicSpec[];
  readonly producers: readonly ProducerSpec[];
  readonly consumers: readonly ConsumerSpec[];
  readonly faults: readonly FaultSpec[];
  readonly nemesis: NemesisSpec | null;
  readonly expect: Readonly<Partial<Record<JudgedName, Expectation>>>; // anomalies and coverage probes
}

/** A validated scenario together with the text it came from (failure files embed the text). */
export interface LoadedScenario {
  readonly file: string; // path as given or found in a folder
  readonly text: string;
  readonly scenario: Scenario;
}

/** One bad-input finding. Printed as `file:line:column: path: expected ..., found ... (hint)`. */
export interface InputError {
  readonly file: string;
  readonly line: number | null; // 1-based
  readonly column: number | null; // 1-based
  readonly path: string; // e.g. `producers[0].config.acks`, or '' for the whole file
  readonly expected: string;
  readonly found: string | null;
  readonly hint: string | null; // e.g. `did you mean "min.insync.replicas"?`
}
