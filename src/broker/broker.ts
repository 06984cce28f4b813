// A Kafka broker (ZooKeeper mode) as a simulated process (Kafka's KafkaServer): it connects to
// ZooKeeper, loads (and after an unclean shutdown recovers) its logs, registers under /brokers/ids
// with an ephemeral znode, runs for controller, and serves
// Produce, Fetch, ListOffsets, Metadata, the controller's requests, and (through its group
// coordinator) the consumer groups whose __consumer_offsets partition it leads. Told to stop
// (SIGTERM), it shuts down as KafkaServer does: a controlled shutdown, then logs flushed and the
// ZooKeeper session closed. A start that cannot register (the previous process's session still
// holds /brokers/ids/<id>) or cannot reach ZooKeeper fails, and the process exits with status 1.
//
// This file holds the process: startup order, registration, controller election, connections
// and shutdown. Each request, once taken off its connection, is handled in kafka-apis.ts
// (KafkaApis); what the broker knows of the cluster is in metadata-cache.ts (MetadataCache).
import { invariant, type Env, type ProcessFactory } from '../../sim/index.js';
import type { KafkaEvent, StartFailure } from '../kafka/events.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, tpKey } from '../kafka/records.js';
import type { KafkaConfig } from '../scenario/types.js';
import { createZkClient } from '../zookeeper/client.js';
import { retryingZk } from './zk-retry.js';
import type { Stat, ZkClient } from '../zookeeper/api.js';
import { Controller } from '../controller/controller.js';
import { coordinatorSettings } from '../coordinator/config.js';
import { GroupCoordinator } from '../coordinator/group-coordinator.js';
import { transactionSettings } from '../coordinator/transaction-config.js';
import { TransactionCoordinator } from '../coordinator/transaction-coordinator.js';
import type { MarkerChannel } from '../coordinator/transaction-marker-channel-manager.js';
import { RECORD_BYTES, brokerSettings, topicSettings, type TopicSettings } from './config.js';
import { Channels } from './channels.js';
import { InFlightRequests, type BrokerContext } from './context.js';
import { ReplicaFetcher } from './fetcher.js';
import { KafkaApis } from './kafka-apis.js';
import { DEFAULT_STARTUP_MODEL, markCleanShutdown, planLoad, splitKey, takeCleanShutdownMarker, writeMetaProperties, writeRecoveryPoints, type LoadPlan, type StartupModel } from './log-manager.js';
import { MetadataCache } from './metadata-cache.js';
import { behaviourOf } from './profile.js';
import { ReplicaManager } from './replica-manager.js';
import { CONTROLLER, PERSISTENT_PATHS, brokerPath, type BrokerRegistration, type ControllerZnode } from './zk-paths.js';

export interface BrokerSpec {
  readonly id: number;
  readonly node: string;
  readonly zookeeperNode: string;
  readonly profile: string;
  readonly config: KafkaConfig; // broker configs
  readonly zookeeper: KafkaConfig;
  readonly topicConfigs: ReadonlyMap<string, KafkaConfig>;
  /** How long a restart takes before the registration; default DEFAULT_STARTUP_MODEL. */
  readonly startup?: StartupModel;
}

/**
 * Where KafkaServer.startup is: connecting to ZooKeeper, loading logs (its listener not open:
 * connections are refused), registering (connections wait: from 1.0 the request processors start
 * after the registration), running, or failed (exiting).
 */
type Phase = 'connecting' | 'loading' | 'registering' | 'running' | 'failed';

const HW_CHECKPOINT_FILE = 'replication-offset-checkpoint';
const PRODUCER_ID_FILE = 'producer-id-block';

export function broker(spec: BrokerSpec): ProcessFactory<unknown> {
  return (env) => new Broker(spec, env);
}

class Broker {
  private readonly ctx: BrokerContext;
  private readonly zk: ZkClient;
  private readonly requests: InFlightRequests;
  private readonly channels: Channels;
  private readonly replicas: ReplicaManager;
  private readonly fetcher: ReplicaFetcher;
  private readonly coordinator: GroupCoordinator;
  private readonly txnCoordinator: TransactionCoordinator;
  private readonly topicSettingsCache = new Map<string, TopicSettings>();
  private readonly apis: KafkaApis;
  private controller: Controller | null = null;
  private readonly metadataCache = new MetadataCache();
  private nextProducerId: number;
  private shuttingDown = false;
  private brokerEpoch = -1; // the czxid of this process's registration, once made
  private phase: Phase = 'connecting';
  private readonly connectTimer: number;
  // Requests that came while the broker registers: handled, in order, once it has.
  private parkedRequests: { from: string; request: KafkaMessage; connection: string }[] = [];

  constructor(
    private readonly spec: BrokerSpec,
    private readonly env: Env<unknown>,
  ) {
    const settings = brokerSettings(spec.config, spec.zookeeper);
    this.requests = new InFlightRequests(env);
    this.channels = new Channels((from, request) => this.apis.handleRequest(from, request), (fn) => void env.setTimer(0, fn));
    this.zk = retryingZk(createZkClient(env, {
      server: spec.zookeeperNode,
      sessionTimeoutMs: settings.zookeeperSessionTimeoutMs,
      listener: {
        onConnected: (_sessionId, isNew) => this.onConnected(isNew),
        onExpired: () => this.resignController(),
      },
    }));
    // A response goes back on its request's connection, which then takes its next request.
    const channelEnv: Env<unknown> = {
      ...env,
      send: (to, message, connection) => {
        const m = message as KafkaMessage;
        if (connection !== undefined || !m.type.endsWith('Response')) return env.send(to, message, connection);
        const channel = this.channels.route(to, m as Extract<KafkaMessage, { correlationId: number }>);
        if (channel === null) return; // its connection closed: SocketServer drops it
        env.send(to, message, channel.name);
        this.channels.responded(channel, to);
      },
    };
    this.ctx = {
      id: spec.id,
      node: spec.node,
      env: channelEnv,
      zk: this.zk,
      settings,
      behaviour: behaviourOf(spec.profile),
      topicSettings: (topic) => this.topicSettingsOf(topic),
      trace: (event: KafkaEvent, keep = true) => env.trace(event, keep),
      request: (to, build, timeoutMs, onResponse) => this.requests.send(to, build, timeoutMs, onResponse),
    };
    this.replicas = new ReplicaManager(this.ctx, this.readHighWatermarkCheckpoint(), {
      controllerNode: () => this.metadataCache.liveBrokers.find((b) => b.id === this.metadataCache.controllerId)?.node ?? null,
      brokerEpoch: () => this.brokerEpoch,
      isAliveBroker: (id) => this.metadataCache.liveBrokers.some((b) => b.id === id),
    });
    this.fetcher = new ReplicaFetcher(this.ctx, this.replicas);
    this.coordinator = new GroupCoordinator(this.ctx, coordinatorSettings(spec.config, spec.profile), {
      read: (partition) => this.replicas.get(CONSUMER_OFFSETS, partition)?.partition.log.batches.slice() ?? [],
      append: (partition, records, timeoutMs, onComplete, producer) => this.replicas.appendAsCoordinator(CONSUMER_OFFSETS, partition, records, timeoutMs, onComplete, producer),
    });
    this.txnCoordinator = new TransactionCoordinator(this.ctx, transactionSettings(spec.config, spec.profile), {
      read: (partition) => this.replicas.get(TRANSACTION_STATE, partition)?.partition.log.batches.slice() ?? [],
      append: (partition, records, timeoutMs, onComplete) => this.replicas.appendAsCoordinator(TRANSACTION_STATE, partition, records, timeoutMs, (error) => onComplete(error)),
    }, this.markerChannel(), {
      allocateProducerId: () => this.allocateProducerId(),
      knowsPartition: (topic, partition) => this.metadataCache.partitionStates.has(tpKey(topic, partition)),
      offsetsPartitionFor: (groupId) => this.coordinator.partitionFor(groupId),
    });
    this.apis = new KafkaApis(this.ctx, this.replicas, this.fetcher, this.coordinator, this.metadataCache,
      () => this.controller, () => this.brokerEpoch, () => this.allocateProducerId(), this.txnCoordinator);
    this.nextProducerId = this.reserveProducerIds();
    // initZkClient waits for the connection; none within zookeeper.connection.timeout.ms is fatal.
    this.connectTimer = env.setTimer(settings.zookeeperConnectionTimeoutMs * 1000, () => this.startFailed({ reason: 'zookeeper-connection-timeout', timeoutMs: settings.zookeeperConnectionTimeoutMs }));
  }

  /** The transaction coordinator's way to the partition leaders: the metadata cache, and WriteTxnMarkers on its own connection. */
  private markerChannel(): MarkerChannel {
    return {
      leaderOf: (topic, partition) => {
        const state = this.metadataCache.partitionStates.get(tpKey(topic, partition));
        if (state === undefined) return 'unknown-partition';
        return this.metadataCache.liveBrokers.find((b) => b.id === state.leader) ?? 'not-alive';
      },
      send: (destination, markers, timeoutMs, onResponse) => this.ctx.request(destination.node, (correlationId) => ({ type: 'WriteTxnMarkers', correlationId, markers }), timeoutMs,
        (response) => onResponse(response?.type === 'WriteTxnMarkersResponse' ? response : null)),
    };
  }

  onMessage(from: string, message: unknown, connection?: string): void {
    if (this.zk.handle(from, message)) return;
    const m = message as KafkaMessage;
    if (m.type.endsWith('Response')) {
      if (!this.requests.complete(m as Extract<KafkaMessage, { correlationId: number }>) && this.controller !== null) this.controller.onResponse(m);
      return;
    }
    // (Tested before calling invariant: its explanation would be a closure made per request.)
    if (connection === undefined) return invariant(false, () => `broker ${this.spec.id}: a ${m.type} from ${from} came as a datagram, not on a connection`);
    if (this.phase === 'connecting' || this.phase === 'loading') return this.env.refuse(from, m, connection);
    if (this.phase === 'registering') {
      this.parkedRequests.push({ from, request: m, connection });
      return;
    }
    this.channels.receive(from, m, connection);
  }

  /** A connection of ours was reset (its peer's process died, or its machine rebooted). */
  onUnreachable(to: string, _message: unknown, connection: string): void {
    this.connectionEnded(to, connection);
  }

  /** A peer closed a connection (its application, or its OS when its process died). */
  onConnectionClosed(peer: string, connection: string): void {
    this.connectionEnded(peer, connection);
  }

  /** ZooKeeper's, one of the broker's own requests' (they fail now), or a client's (its queue goes, and what it parked). */
  private connectionEnded(peer: string, connection: string): void {
    if (this.zk.connectionLost(peer, connection)) return;
    if (this.requests.connectionLost(peer, connection)) return;
    this.channels.closed(peer, connection);
    if (this.parkedRequests.length > 0) this.parkedRequests = this.parkedRequests.filter((r) => r.from !== peer || r.connection !== connection);
  }

  // ---- clean shutdown ----------------------------------------------------------------------

  /** SIGTERM (KafkaServer.shutdown): move leaderships away first, when controlled.shutdown.enable. */
  onTerminate(exit: () => void): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    // Still starting: KafkaServer.shutdown refuses ("still starting up"), the shutdown hook halts
    // the JVM (Exit.halt(1)): nothing flushed, the session left to expire.
    if (this.phase !== 'running') return exit();
    if (!this.ctx.settings.controlledShutdownEnable) return this.stop(exit, 0);
    this.controlledShutdown(1, exit);
  }

  /**
   * Asks the controller to move this broker's leaderships away, up to
   * controlled.shutdown.max.retries times, controlled.shutdown.retry.backoff.ms apart; then the
   * broker stops even if some partitions could not be moved (an unclean shutdown for them).
   */
  private controlledShutdown(attempt: number, exit: () => void): void {
    const { controlledShutdownMaxRetries, controlledShutdownRetryBackoffMs, controllerSocketTimeoutMs } = this.ctx.settings;
    const answered = (remaining: readonly { topic: string; partition: number }[] | null): void => {
      const names = (remaining ?? []).map((p) => tpKey(p.topic, p.partition));
      if (remaining !== null) this.ctx.trace({ kind: 'broker.shutdown', broker: this.spec.id, phase: 'controlled-shutdown', attempt, remaining: names });
      if (remaining !== null && remaining.length === 0) return this.stop(exit, attempt);
      this.ctx.env.setTimer(controlledShutdownRetryBackoffMs * 1000, () => {
        if (attempt < controlledShutdownMaxRetries) return this.controlledShutdown(attempt + 1, exit);
        this.ctx.trace({ kind: 'broker.shutdown', broker: this.spec.id, phase: 'unclean', attempt, remaining: names });
        this.stop(exit, attempt);
      });
    };
    // The controller as this broker's metadata cache knows it; unknown counts as a failed attempt.
    const controller = this.metadataCache.liveBrokers.find((b) => b.id === this.metadataCache.controllerId);
    if (controller === undefined) return answered(null);
    this.ctx.request(controller.node, (correlationId) => ({ type: 'ControlledShutdown', correlationId, brokerId: this.spec.id }), controllerSocketTimeoutMs, (response) => {
      answered(response?.type === 'ControlledShutdownResponse' && response.error === 'NONE' ? response.remainingPartitions : null);
    });
  }

  /** The rest of KafkaServer.shutdown: the controller resigns, logs are flushed, the session closed. */
  private stop(exit: () => void, attempt: number): void {
    this.closeLogsAndSession();
    this.ctx.trace({ kind: 'broker.shutdown', broker: this.spec.id, phase: 'stopped', attempt, remaining: [] });
    exit();
  }

  /** KafkaServer.shutdown after the logs were loaded: LogManager.shutdown leaves the clean-shutdown marker. */
  private closeLogsAndSession(): void {
    this.resignController();
    this.replicas.flushAll();
    this.writeHighWatermarkCheckpoint();
    writeRecoveryPoints(this.env.disk, this.replicas.recoveryPoints());
    markCleanShutdown(this.env.disk);
    this.zk.close();
  }

  // ---- startup (KafkaServer.startup) -----------------------------------------------------

  /**
   * Connected: LogManager.startup loads every log on disk, recovering, after an unclean
   * shutdown, each log's segments from the one holding its recovery point; then the registration.
   */
  private loadLogs(): void {
    this.env.cancelTimer(this.connectTimer);
    this.phase = 'loading';
    const { numRecoveryThreadsPerDataDir } = this.ctx.settings;
    const plan = planLoad(this.env.disk, this.spec.startup ?? DEFAULT_STARTUP_MODEL, numRecoveryThreadsPerDataDir, (topic) => this.segmentRecordsOf(topic));
    takeCleanShutdownMarker(this.env.disk);
    this.ctx.trace({
      kind: 'broker.loading', broker: this.spec.id, logs: plan.logs.length, cleanShutdown: plan.cleanShutdown, restart: plan.restart,
      recoveryBytes: plan.recoveryBytes, durationUs: plan.durationUs,
    });
    if (plan.durationUs === 0) return this.logsLoaded(plan);
    this.env.setTimer(plan.durationUs, () => this.logsLoaded(plan));
  }

  /** Every partition log is open; roles come later, from the controller. */
  private logsLoaded(plan: LoadPlan): void {
    for (const key of plan.logs) {
      const { topic, partition } = splitKey(key);
      this.replicas.getOrCreate(topic, partition).partition.log.loadRecoveryPoint(plan.recoveryPoints.get(key) ?? 0, plan.cleanShutdown);
    }
    this.ctx.trace({ kind: 'broker.started', broker: this.spec.id, recovered: plan.logs.length });
    this.startTimers();
    this.txnCoordinator.startup();
    this.phase = 'registering';
    this.ensurePersistentPaths(() => {
      // 0.10 to 1.0 start the controller (and run for it) before the registration (KafkaHealthcheck,
      // last); from 1.1 the registration comes first (KafkaServer.startup, 1.1.1 and 2.0.0).
      if (this.ctx.behaviour.electionBeforeRegistration) this.electController();
      this.register();
    });
  }

  private segmentRecordsOf(topic: string): number {
    return Math.max(1, Math.floor(this.topicSettingsOf(topic).segmentBytes / RECORD_BYTES));
  }

  /**
   * A fatal error in KafkaServer.startup: it shuts down what it had started (no controlled
   * shutdown: startup never completed) and the process exits with status 1 (Kafka.main). A start
   * that never connected to ZooKeeper has no logs open to close.
   */
  private startFailed(failure: StartFailure): void {
    if (this.phase === 'failed') return;
    const loaded = this.phase === 'registering';
    this.phase = 'failed';
    this.ctx.trace({ kind: 'broker.start-failed', broker: this.spec.id, ...failure });
    if (loaded) this.closeLogsAndSession();
    else this.zk.close();
    this.env.exit(1);
  }

  private readHighWatermarkCheckpoint(): Map<string, number> {
    const file = this.env.disk.file<[string, number][]>(HW_CHECKPOINT_FILE);
    return new Map(file.length === 0 ? [] : file.at(file.length - 1));
  }

  private writeHighWatermarkCheckpoint(): void {
    const file = this.env.disk.file<[string, number][]>(HW_CHECKPOINT_FILE);
    file.overwrite([this.replicas.highWatermarks()]);
    file.flush(); // Kafka writes checkpoint files with fsync
  }

  /** Producer ids are unique per broker: the broker id in the high bits, a durable counter below. */
  private reserveProducerIds(): number {
    const file = this.env.disk.file<number>(PRODUCER_ID_FILE);
    const start = file.length === 0 ? 0 : file.at(file.length - 1);
    file.overwrite([start + 1000]);
    file.flush();
    return this.spec.id * 1_000_000_000 + start;
  }

  private allocateProducerId(): number {
    const id = this.nextProducerId++;
    if (id % 1000 === 999) this.nextProducerId = this.reserveProducerIds();
    return id;
  }

  private startTimers(): void {
    const { replicaLagTimeMaxMs, highWatermarkCheckpointIntervalMs, logFlushOffsetCheckpointIntervalMs, logFlushSchedulerIntervalMs } = this.ctx.settings;
    const every = (ms: number, fn: () => void): void => {
      const tick = (): void => {
        fn();
        this.env.setTimer(ms * 1000, tick);
      };
      this.env.setTimer(ms * 1000, tick);
    };
    every(Math.max(1, Math.floor(replicaLagTimeMaxMs / 2)), () => this.replicas.maybeShrinkIsrs());
    every(highWatermarkCheckpointIntervalMs, () => this.writeHighWatermarkCheckpoint());
    // LogManager.startup (2.8): the log flusher first runs 30 s after start (InitialTaskDelayMs),
    // then every log.flush.scheduler.interval.ms, whose default (Long.MAX_VALUE) is never again.
    const flusher = (): void => {
      this.replicas.flushDueLogs();
      if (Number.isSafeInteger(logFlushSchedulerIntervalMs * 1000)) this.env.setTimer(logFlushSchedulerIntervalMs * 1000, flusher);
    };
    this.env.setTimer(30_000_000, flusher);
    if (logFlushOffsetCheckpointIntervalMs > 0) every(logFlushOffsetCheckpointIntervalMs, () => writeRecoveryPoints(this.env.disk, this.replicas.recoveryPoints()));
  }

  // ---- ZooKeeper: registration and controller election -------------------------------------

  /** A session: the first one starts the log loading; a later one (the last expired) registers again. */
  private onConnected(isNew: boolean): void {
    if (this.phase === 'connecting') return this.loadLogs();
    if (!isNew || (this.phase !== 'registering' && this.phase !== 'running')) return;
    this.ensurePersistentPaths(() => {
      // 1.1+: RegisterBrokerAndReelect; before, the health check and the elector each reacted.
      if (this.ctx.behaviour.electionBeforeRegistration) this.electController();
      this.register();
    });
  }

  private ensurePersistentPaths(then: () => void): void {
    let pending = PERSISTENT_PATHS.length;
    for (const path of PERSISTENT_PATHS) {
      this.zk.create(path, null, 'PERSISTENT', () => {
        if (--pending === 0) then();
      });
    }
  }

  /**
   * The ephemeral /brokers/ids/<id>, created with a setData in one multi, as Kafka's
   * registration does, so the answer carries its czxid: the broker epoch (KIP-380). A node that
   * exists already is read: ours (a create whose answer the connection lost) is the
   * registration; another session's (the previous process's, not yet expired) is fatal to a
   * starting broker (ZKCheckedEphemeral, 0.10 to 1.0; KafkaZkClient's CheckedEphemeral, 1.1+).
   */
  private register(): void {
    const registration: BrokerRegistration = { node: this.spec.node, version: 5 };
    const path = brokerPath(this.spec.id);
    this.zk.multi([{ op: 'create', path, data: registration, mode: 'EPHEMERAL' }, { op: 'setData', path, data: registration, version: 0 }], (result) => {
      if (result.ok) return this.registered((result.value[1] as Stat).czxid);
      if (result.code !== 'NODEEXISTS') return;
      this.zk.exists(path, null, (exists) => {
        if (!exists.ok) return;
        if (exists.value === null) return this.register(); // gone while we read it: create again
        if (exists.value.ephemeralOwner === this.zk.sessionId) return this.registered(exists.value.czxid);
        const heldBySessionId = exists.value.ephemeralOwner;
        // A running broker re-registers only after its own session expired, which took its node with it.
        invariant(this.phase === 'registering', () => `b${this.spec.id}: re-registration found ${path} held by session ${heldBySessionId}, not ours (${this.zk.sessionId})`);
        this.startFailed({ reason: 'registration-exists', path, heldBySessionId, sessionId: this.zk.sessionId });
      });
    });
  }

  /** Requests that came while the broker registered are handled now, in order, against its epoch. */
  private registered(brokerEpoch: number): void {
    this.brokerEpoch = brokerEpoch;
    this.ctx.trace({ kind: 'broker.registered', broker: this.spec.id, sessionId: this.zk.sessionId, brokerEpoch });
    writeMetaProperties(this.env.disk, this.spec.id);
    if (this.phase !== 'registering') {
      if (!this.ctx.behaviour.electionBeforeRegistration) this.electController();
      return;
    }
    this.phase = 'running';
    if (!this.ctx.behaviour.electionBeforeRegistration) this.electController();
    const parked = this.parkedRequests;
    this.parkedRequests = [];
    for (const { from, request, connection } of parked) this.channels.receive(from, request, connection);
  }

  private electController(): void {
    const znode: ControllerZnode = { version: 1, brokerid: this.spec.id };
    this.zk.create(CONTROLLER, znode, 'EPHEMERAL', (result) => {
      if (result.ok) {
        this.becomeController();
        return;
      }
      // Someone else leads: watch /controller and run again when it goes.
      this.zk.getData(CONTROLLER, (event) => {
        if (event.type === 'NodeDeleted') this.electController();
      }, (data) => {
        if (!data.ok) {
          if (data.code === 'NONODE') this.electController();
          return;
        }
        this.metadataCache.controllerId = (data.value.data as ControllerZnode).brokerid;
        // Our own create, whose answer the connection lost: we won.
        if (data.value.stat.ephemeralOwner === this.zk.sessionId && this.controller === null) this.becomeController();
      });
    });
  }

  private becomeController(): void {
    this.metadataCache.controllerId = this.spec.id;
    this.controller = new Controller(this.ctx, () => this.onControllerLost(), this.spec.topicConfigs);
    this.controller.start();
  }

  private onControllerLost(): void {
    this.controller = null;
    this.electController();
  }

  private resignController(): void {
    this.controller?.resign();
    this.controller = null;
  }

  private topicSettingsOf(topic: string): TopicSettings {
    let settings = this.topicSettingsCache.get(topic);
    if (settings === undefined) {
      settings = topicSettings(this.spec.config, this.spec.topicConfigs.get(topic) ?? {});
      this.topicSettingsCache.set(topic, settings);
    }
    return settings;
  }
}

