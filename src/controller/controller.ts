// The controller (ZooKeeper mode): one broker, elected through the ephemeral /controller znode,
// that watches /brokers/ids and /brokers/topics, elects partition leaders, writes each
// partition's state znode, and tells brokers with LeaderAndIsr and UpdateMetadata.
//
// Its ZooKeeper writes are multi-ops guarded by a check of /controller_epoch's version, so a
// zombie controller (one whose session expired without it noticing) cannot overwrite what the
// new one decided; brokers refuse its requests by controller epoch (STALE_CONTROLLER_EPOCH).
// Events are handled one at a time, in arrival order, like Kafka's controller event thread.
import type { BrokerContext } from '../broker/context.js';
import type { BrokerEndpoint, KafkaMessage, PartitionState } from '../kafka/protocol.js';
import { tpKey } from '../kafka/records.js';
import type { KafkaConfig } from '../scenario/types.js';
import {
  BROKER_IDS, BROKER_TOPICS, CONTROLLER, CONTROLLER_EPOCH, ISR_CHANGE_NOTIFICATION,
  PREFERRED_REPLICA_ELECTION, partitionPath, partitionStatePath, partitionsPath, topicPath,
  sameState, type BrokerRegistration, type IsrChangeNotification, type PartitionStateZnode, type PreferredReplicaElection, type TopicAssignment,
} from '../broker/zk-paths.js';
import { AlterPartitionHandler, type AlterPartitionAnswer } from './alter-partition.js';
import { ControllerChannels } from './channel.js';
import { createPartitionState, guardedMulti, updateLeaderAndIsr } from './kafka-zk-client.js';
import {
  controlledShutdownLeaderElection, newPartitionLeader, offlinePartitionLeaderElection, preferredReplicaLeaderElection, removeReplicaFromIsr, type Election,
} from './election.js';
import type { KafkaError } from '../kafka/errors.js';
import type { ControllerEvent } from '../kafka/events.js';

interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  leader: number;
  leaderEpoch: number;
  isr: readonly number[];
  zkVersion: number;
  controllerEpoch: number;
}

type Task = (done: () => void) => void;
type ElectionReason = Extract<ControllerEvent, { kind: 'election' }>['reason'];

/** A partition's next leader and ISR; `election` when a leader was elected (else an ISR change, or leader -1). */
interface StateChange {
  readonly leader: number;
  readonly isr: readonly number[];
  readonly election: Election | null;
}

/**
 * The rule that made a change, run again on the state re-read after a BADVERSION (the election
 * strategy of PartitionStateMachine.doElectLeaderForPartitions, or ReplicaStateMachine's ISR
 * removal); null: nothing to change on that state.
 */
type Decide = (current: PartitionInfo) => StateChange | null;

/** A change to write for `p`. Without `decide`, a BADVERSION only refreshes what the controller knows of `p`. */
interface PartitionChange extends StateChange {
  readonly p: PartitionInfo;
  readonly decide?: Decide;
}


export class Controller {
  private epoch = 0;
  private epochZkVersion = -1;
  private active = false;
  private readonly live = new Map<number, string>(); // broker id -> node
  private readonly brokerEpochs = new Map<number, number>(); // broker id -> czxid of its registration
  private readonly shuttingDown = new Set<number>(); // live, but stopping cleanly: never elected
  private readonly partitions = new Map<string, PartitionInfo>();
  private readonly knownTopics = new Set<string>();
  private readonly queue: Task[] = [];
  private running = false;
  private readonly channels: ControllerChannels;
  private readonly alterPartitions: AlterPartitionHandler;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly onLost: () => void,
    private readonly topicConfigs: ReadonlyMap<string, KafkaConfig>,
  ) {
    this.channels = new ControllerChannels(ctx, (broker) => this.active && this.live.has(broker));
    this.alterPartitions = new AlterPartitionHandler({
      ctx,
      isActive: () => this.active,
      controllerEpoch: () => this.epoch,
      controllerEpochZkVersion: () => this.epochZkVersion,
      partition: (topic, partition) => this.partitions.get(tpKey(topic, partition)),
      liveBrokerEpoch: (id) => (this.live.has(id) ? this.brokerEpochs.get(id) : undefined),
      isShuttingDown: (id) => this.shuttingDown.has(id),
      sendUpdateMetadata: (partitions) => this.sendUpdateMetadata([...this.live.keys()], partitions),
      lose: () => this.lose(),
    });
  }

  start(): void {
    this.active = true;
    this.enqueue((done) => this.incrementEpoch(() => this.failover(done)));
  }

  /** Stops acting: our session expired or /controller went to someone else. */
  resign(): void {
    if (!this.active) return;
    this.active = false;
    this.queue.length = 0;
    this.channels.close();
    this.alterPartitions.preempt();
    this.ctx.trace({ kind: 'controller.resigned', broker: this.ctx.id, controllerEpoch: this.epoch });
  }

  /** A leader's AlterIsr / AlterPartition (KIP-497, 2.7+): queued with the other events (alter-partition.ts). */
  onAlterPartition(request: Extract<KafkaMessage, { type: 'AlterPartition' }>, answer: AlterPartitionAnswer): void {
    if (!this.active) return answer('NOT_CONTROLLER', []);
    this.alterPartitions.receive(request, answer, (task) => this.enqueue(task));
  }

  onResponse(_response: KafkaMessage): void {
    // Responses are routed by correlation id; a late one after a timeout needs nothing.
  }

  // ---- the event queue ---------------------------------------------------------------------

  private enqueue(task: Task): void {
    if (!this.active) return;
    this.queue.push(task);
    this.runNext();
  }

  private runNext(): void {
    if (this.running || !this.active) return;
    const task = this.queue.shift();
    if (task === undefined) return;
    this.running = true;
    task(() => {
      this.running = false;
      this.runNext();
    });
  }

  // ---- becoming controller ---------------------------------------------------------------

  private incrementEpoch(then: () => void): void {
    const zk = this.ctx.zk;
    zk.getData(CONTROLLER_EPOCH, null, (current) => {
      if (!current.ok) {
        zk.create(CONTROLLER_EPOCH, 1, 'PERSISTENT', (created) => {
          if (!created.ok) return this.lose();
          this.epoch = 1;
          this.epochZkVersion = 0;
          this.elected(then);
        });
        return;
      }
      const next = (current.value.data as number) + 1;
      zk.setData(CONTROLLER_EPOCH, next, current.value.stat.version, (set) => {
        if (!set.ok) return this.lose(); // another controller incremented first
        this.epoch = next;
        this.epochZkVersion = set.value.version;
        this.elected(then);
      });
    });
  }

  private elected(then: () => void): void {
    this.ctx.trace({ kind: 'controller.elected', broker: this.ctx.id, controllerEpoch: this.epoch });
    this.ctx.zk.exists(CONTROLLER, (event) => {
      if (event.type === 'NodeDeleted' || event.type === 'NodeDataChanged') this.lose();
    }, () => {});
    then();
  }

  private lose(): void {
    if (!this.active) return;
    this.resign();
    this.onLost();
  }

  /**
   * Reads the cluster from ZooKeeper, then repairs what a dead controller may have left, in the
   * order of KafkaController.onControllerFailover (2.8.2, 3.9): UpdateMetadata to every live
   * broker first (they must know the live brokers before any LeaderAndIsr), then
   * ReplicaStateMachine.startup (LeaderAndIsr with the current state to every live replica; from
   * 2.3, KAFKA-3143, replicas on dead brokers go OfflineReplica: out of the ISR, and a dead leader
   * leaves its partition leaderless), then PartitionStateMachine.startup (elections for the
   * partitions without a live leader). Before 2.3 a dead follower stayed in the ISR until its
   * leader shrank it after replica.lag.time.max.ms.
   */
  private failover(done: () => void): void {
    this.readBrokers((brokers) => {
      for (const [id, b] of brokers) {
        this.live.set(id, b.node);
        this.brokerEpochs.set(id, b.epoch);
      }
      this.watchIsrChanges();
      this.watchPreferredElectionRequests();
      this.scheduleLeaderRebalance();
      this.onTopicsChanged(() => {
        const live = [...this.live.keys()];
        const all = [...this.partitions.values()];
        // Before 2.2 an UpdateMetadata naming no partition carried them all (addUpdateMetadataRequestForBrokers, 2.1.1).
        this.sendUpdateMetadata(live, this.ctx.behaviour.brokerEpochs ? [] : all);
        this.sendLeaderAndIsr(live, all);
        const dead = new Set(all.flatMap((p) => p.replicas).filter((r) => !this.live.has(r)));
        const withDead = this.ctx.behaviour.offlineReplicasOnFailover ? all.filter((p) => p.isr.some((r) => dead.has(r))) : [];
        this.removeFromIsr(withDead, dead, 'controller-failover', () => {
          const offline = [...this.partitions.values()].filter((p) => p.leader < 0 || !this.live.has(p.leader));
          this.electLeaders(offline, 'broker-failure', done);
        });
      });
    });
  }

  // ---- brokers -----------------------------------------------------------------------------

  /** The registered brokers: node name and broker epoch (the czxid of its registration, KIP-380). */
  private readBrokers(then: (brokers: Map<number, { node: string; epoch: number }>) => void): void {
    this.ctx.zk.getChildren(BROKER_IDS, () => this.enqueue((done) => this.onBrokersChanged(done)), (children) => {
      const ids = children.ok ? children.value.map(Number).sort((a, b) => a - b) : [];
      const brokers = new Map<number, { node: string; epoch: number }>();
      const read = latch(ids.length, () => then(new Map([...brokers.entries()].sort((a, b) => a[0] - b[0]))));
      for (const id of ids) {
        this.ctx.zk.getData(`${BROKER_IDS}/${id}`, null, (data) => {
          if (data.ok) brokers.set(id, { node: (data.value.data as BrokerRegistration).node, epoch: data.value.stat.czxid });
          read();
        });
      }
    });
  }

  /**
   * /brokers/ids changed (KafkaController.processBrokerChange, 2.2.0 and 2.8.2): new brokers are
   * added and started first; then bounced ones (registered again under a newer broker epoch,
   * KIP-380) are taken out of the live brokers, failed, added back and started, so they take no
   * part in the elections their own failure causes; dead ones are failed last. Until each step,
   * brokers still count as they did before it (a dead broker is live while the new ones start).
   * Before 2.2 (BrokerChange, 2.1.1) the live brokers become the registered ones at once, new ones
   * start, dead ones fail, and a bounce between two reads goes unseen.
   */
  private onBrokersChanged(done: () => void): void {
    this.readBrokers((brokers) => {
      const known = [...this.live.keys()].sort((a, b) => a - b);
      const born = [...brokers.keys()].filter((id) => !this.live.has(id));
      const dead = known.filter((id) => !brokers.has(id));
      const bounced = this.ctx.behaviour.brokerEpochs
        ? known.filter((id) => brokers.has(id) && brokers.get(id)!.epoch > (this.brokerEpochs.get(id) ?? -1))
        : [];
      for (const id of born) this.channels.add(id);
      for (const id of bounced) {
        this.channels.remove(id); // requests queued for the old registration go
        this.channels.add(id);
      }
      for (const id of dead) this.channels.remove(id);
      const addLive = (ids: readonly number[]): void => {
        for (const id of ids) {
          const b = brokers.get(id)!;
          this.live.set(id, b.node);
          this.brokerEpochs.set(id, b.epoch);
        }
      };
      // ControllerContext.addLiveBrokers / removeLiveBrokers: a broker and its epoch come and go together.
      const removeLive = (ids: readonly number[]): void => {
        for (const id of ids) {
          this.live.delete(id);
          this.brokerEpochs.delete(id);
        }
      };
      if (!this.ctx.behaviour.brokerEpochs) {
        removeLive(dead);
        addLive([...brokers.keys()]);
        return this.onBrokerStartup(born, () => this.onBrokerFailure(dead, done));
      }
      addLive(born);
      this.onBrokerStartup(born, () => {
        for (const id of bounced) {
          this.ctx.trace({ kind: 'broker.bounced', controller: this.ctx.id, broker: id, previousEpoch: this.brokerEpochs.get(id) ?? -1, brokerEpoch: brokers.get(id)!.epoch });
        }
        removeLive(bounced);
        this.onBrokerFailure(bounced, () => {
          addLive(bounced);
          this.onBrokerStartup(bounced, () => {
            removeLive(dead);
            this.onBrokerFailure(dead, done);
          });
        });
      });
    });
  }

  /**
   * Partitions led by a dead broker get a new leader; dead followers leave the ISR
   * (KafkaController.onBrokerFailure → onReplicasBecomeOffline: elections first, then OfflineReplica).
   */
  private onBrokerFailure(dead: readonly number[], then: () => void): void {
    if (dead.length === 0) return then();
    const deadSet = new Set(dead);
    for (const id of dead) {
      this.shuttingDown.delete(id);
      this.ctx.trace({ kind: 'broker.failed', controller: this.ctx.id, broker: id });
    }
    const leaderless = [...this.partitions.values()].filter((p) => deadSet.has(p.leader));
    this.electLeaders(leaderless, 'broker-failure', () => {
      const shrinking = [...this.partitions.values()].filter((p) => p.isr.some((r) => deadSet.has(r)));
      this.removeFromIsr(shrinking, deadSet, 'broker-failure', () => {
        this.sendUpdateMetadata([...this.live.keys()], [...this.partitions.values()]);
        then();
      });
    });
  }

  /**
   * A broker about to stop cleanly (KafkaController.doControlledShutdown): its leaderships move to
   * another live ISR member, it leaves the ISR of the partitions it follows and stops fetching
   * them. The answer lists what it still leads (no other ISR member was live).
   */
  onControlledShutdown(broker: number, answer: (error: KafkaError, remaining: { topic: string; partition: number }[]) => void): void {
    this.enqueue((done) => {
      if (!this.live.has(broker)) {
        answer('BROKER_NOT_AVAILABLE', []);
        return done();
      }
      this.shuttingDown.add(broker);
      this.ctx.trace({ kind: 'controller.shutting-down', controller: this.ctx.id, broker });
      const replicated = [...this.partitions.values()].filter((p) => p.replicas.length > 1 && p.leader >= 0 && p.replicas.includes(broker));
      const led = replicated.filter((p) => p.leader === broker);
      const followed = replicated.filter((p) => p.leader !== broker);
      const live = new Set(this.live.keys());
      const decide: Decide = (current) => {
        const election = controlledShutdownLeaderElection(current.replicas, current.isr, live, this.shuttingDown);
        return election === null ? null : { leader: election.leader, isr: election.isr, election };
      };
      const moves = led.flatMap((p) => {
        const change = decide(p);
        return change === null ? [] : [{ p, ...change, decide }];
      });
      this.writeStates(moves, 'controlled-shutdown', () => {
        this.sendStopReplica(broker, followed);
        this.removeFromIsr(followed, new Set([broker]), 'controlled-shutdown', () => {
          const remaining = [...this.partitions.values()].filter((p) => p.leader === broker && p.replicas.length > 1);
          answer('NONE', remaining.map((p) => ({ topic: p.topic, partition: p.partition })));
          done();
        });
      });
    });
  }

  private onBrokerStartup(born: readonly number[], done: () => void): void {
    if (born.length === 0) return done();
    const bornSet = new Set(born);
    for (const id of born) this.ctx.trace({ kind: 'broker.joined', controller: this.ctx.id, broker: id });
    this.sendUpdateMetadata([...this.live.keys()], [...this.partitions.values()]);
    const hosted = [...this.partitions.values()].filter((p) => p.replicas.some((r) => bornSet.has(r)));
    this.sendLeaderAndIsr(born, hosted);
    // Offline partitions may have a leader again (an ISR member came back, or unclean is allowed).
    const offline = [...this.partitions.values()].filter((p) => p.leader < 0);
    this.electLeaders(offline, 'offline-recovered', done);
  }

  // ---- topics and partitions ---------------------------------------------------------------

  /** New topics: read their assignment, then each partition's state (or create it). */
  private onTopicsChanged(done: () => void): void {
    this.ctx.zk.getChildren(BROKER_TOPICS, () => this.enqueue((next) => this.onTopicsChanged(next)), (children) => {
      const topics = (children.ok ? [...children.value] : []).sort();
      const fresh = topics.filter((t) => !this.knownTopics.has(t));
      for (const t of fresh) this.knownTopics.add(t);
      const loaded = latch(fresh.length, done);
      for (const topic of fresh) this.loadTopic(topic, loaded);
    });
  }

  /**
   * A topic's assignment, and each partition's state (or a new partition created). The watch on
   * the topic znode sees partitions added later (PartitionModificationsHandler); then only the
   * partitions this controller does not know yet are loaded.
   */
  private loadTopic(topic: string, then: () => void): void {
    this.ctx.zk.getData(topicPath(topic), () => this.enqueue((next) => this.loadTopic(topic, next)), (data) => {
      if (!data.ok) return then();
      const assignment = (data.value.data as TopicAssignment).partitions;
      const ids = Object.keys(assignment).map(Number).filter((p) => !this.partitions.has(tpKey(topic, p))).sort((a, b) => a - b);
      if (ids.length === 0) return then();
      const created: PartitionInfo[] = [];
      const finish = latch(ids.length, () => {
        this.sendLeaderAndIsr([...this.live.keys()], created);
        this.sendUpdateMetadata([...this.live.keys()], [...this.partitions.values()]);
        then();
      });
      for (const partition of ids) {
        const replicas = assignment[String(partition)]!;
        this.ctx.zk.getData(partitionStatePath(topic, partition), null, (state) => {
          if (state.ok) {
            const z = state.value.data as PartitionStateZnode;
            this.partitions.set(tpKey(topic, partition), { topic, partition, replicas, leader: z.leader, leaderEpoch: z.leader_epoch, isr: z.isr, zkVersion: state.value.stat.version, controllerEpoch: z.controller_epoch });
            return finish();
          }
          this.createPartition(topic, partition, replicas, (info) => {
            if (info !== null) created.push(info);
            finish();
          });
        });
      }
    });
  }

  /**
   * A new partition's state znode (PartitionStateMachine.initializeLeaderAndIsrForPartitions):
   * the first live replica leads, every live one is in sync. The creates are guarded by the
   * controller epoch (KafkaZkClient.createTopicPartitionStatesRaw, 2.1+); the state create
   * succeeds or the partition stays new: NODEEXISTS (even our own create, re-sent after its
   * answer was lost with the connection: Kafka has no check of what the znode holds here, in
   * any version) and no live replica are failed state changes, logged and not retried.
   */
  private createPartition(topic: string, partition: number, replicas: readonly number[], then: (info: PartitionInfo | null) => void): void {
    const election = newPartitionLeader(replicas, this.electable());
    if (election === null) {
      this.traceFailedChange(topic, partition, 'create', 'no assigned replica is alive');
      return then(null);
    }
    const zk = this.ctx.zk;
    const create = (path: string, next: () => void): void =>
      guardedMulti(zk, this.epochZkVersion, { op: 'create', path, data: null, mode: 'PERSISTENT' }, (write) => {
        // Only a moved controller matters here: NODEEXISTS is the usual answer for /partitions.
        if (write.outcome === 'controller-moved') return this.lose();
        next();
      });
    create(partitionsPath(topic), () => create(partitionPath(topic, partition), () => {
      const znode: PartitionStateZnode = { version: 1, leader: election.leader, leader_epoch: 0, isr: [...election.isr], controller_epoch: this.epoch };
      createPartitionState(zk, this.epochZkVersion, partitionStatePath(topic, partition), znode, (write) => {
        if (write.outcome === 'controller-moved') return this.lose();
        if (write.outcome === 'failed') {
          this.traceFailedChange(topic, partition, 'create', write.code);
          return then(null);
        }
        const info: PartitionInfo = { topic, partition, replicas, leader: election.leader, leaderEpoch: 0, isr: election.isr, zkVersion: write.zkVersion, controllerEpoch: this.epoch };
        this.partitions.set(tpKey(topic, partition), info);
        this.traceElection(info, election, 'new-topic');
        then(info);
      });
    }));
  }

  // ---- elections and ISR changes -------------------------------------------------------------

  /** Brokers that may lead: live and not shutting down (ControllerContext.liveBrokerIds). */
  private electable(): Set<number> {
    return new Set([...this.live.keys()].filter((id) => !this.shuttingDown.has(id)));
  }

  private electLeaders(partitions: readonly PartitionInfo[], reason: ElectionReason, then: () => void): void {
    const live = this.electable();
    const changes: PartitionChange[] = [];
    for (const p of partitions) {
      const unclean = this.ctx.topicSettings(p.topic).uncleanLeaderElectionEnable;
      // OfflinePartitionLeaderElectionStrategy; with none electable, a partition that had a leader loses it (leader -1).
      const decide: Decide = (current) => {
        const election = offlinePartitionLeaderElection(current.replicas, current.isr, live, unclean);
        if (election !== null) return { leader: election.leader, isr: election.isr, election };
        return current.leader >= 0 ? { leader: -1, isr: current.isr, election: null } : null;
      };
      const change = decide(p);
      if (change !== null) changes.push({ p, ...change, decide });
      else this.ctx.trace({ kind: 'offline', controller: this.ctx.id, topic: p.topic, partition: p.partition, isr: [...p.isr] });
    }
    this.writeStates(changes, reason, then);
  }

  private removeFromIsr(partitions: readonly PartitionInfo[], dead: ReadonlySet<number>, reason: ElectionReason, then: () => void): void {
    // ReplicaStateMachine.doRemoveReplicasFromIsr: decided on what was read; a replica already out needs nothing.
    const decide: Decide = (current) => {
      let next = { leader: current.leader, isr: current.isr };
      for (const replica of dead) if (next.isr.includes(replica)) next = removeReplicaFromIsr(next.leader, next.isr, replica);
      const changed = next.isr.length !== current.isr.length || next.leader !== current.leader;
      return changed ? { leader: next.leader, isr: next.isr, election: null } : null;
    };
    const changes = partitions.flatMap((p) => {
      const change = decide(p);
      return change === null ? [] : [{ p, ...change, decide }];
    });
    this.writeStates(changes, reason, then);
  }

  /**
   * Writes each new leader and ISR (with a new leader epoch) guarded by the controller epoch's
   * version, then sends LeaderAndIsr to the partition's live replicas. A partition whose write
   * meets BADVERSION is re-read and decided again until its write lands or is not needed
   * (PartitionStateMachine.electLeaderForPartitions' loop over "updatesToRetry", 1.1+;
   * ReplicaStateMachine.removeReplicasFromIsr's; before 1.1 the while loop of
   * electLeaderForPartition). A failed check of /controller_epoch means another controller was
   * elected: this one resigns (ControllerMovedException).
   */
  private writeStates(changes: readonly PartitionChange[], reason: ElectionReason, then: () => void): void {
    if (changes.length === 0) return then();
    const written: PartitionInfo[] = [];
    const finish = latch(changes.length, () => {
      this.sendLeaderAndIsr([...this.live.keys()], written);
      this.sendUpdateMetadata([...this.live.keys()], written);
      then();
    });
    for (const change of changes) this.writeState(change.p, change, change.decide, reason, written, finish);
  }

  /** One partition's guarded write (KafkaZkClient.updateLeaderAndIsr); `finish` once it is settled. */
  private writeState(p: PartitionInfo, change: StateChange, decide: Decide | undefined, reason: ElectionReason, written: PartitionInfo[], finish: () => void): void {
    const epoch = p.leaderEpoch + 1;
    const znode: PartitionStateZnode = { version: 1, leader: change.leader, leader_epoch: epoch, isr: [...change.isr], controller_epoch: this.epoch };
    updateLeaderAndIsr(this.ctx.zk, this.epochZkVersion, partitionStatePath(p.topic, p.partition), znode, p.zkVersion, (write) => {
      switch (write.outcome) {
        case 'written':
          this.landed(p, change, epoch, write.zkVersion, reason);
          written.push(p);
          return finish();
        case 'controller-moved':
          return this.lose();
        case 'failed':
          if (write.code === 'BADVERSION') return this.onWriteConflict(p, znode, change, decide, reason, written, finish);
          this.traceFailedChange(p.topic, p.partition, 'update', write.code);
          return finish();
      }
    });
  }

  /** A change written: the controller's view of `p` takes it, and the trace says what it was. */
  private landed(p: PartitionInfo, change: StateChange, leaderEpoch: number, zkVersion: number, reason: ElectionReason): void {
    const { leader, isr, election } = change;
    Object.assign(p, { leader, leaderEpoch, isr, zkVersion, controllerEpoch: this.epoch });
    if (election !== null) this.traceElection(p, election, reason);
    // A new controller leaves a dead leader's partition leaderless before electing: whether it stays offline is the election's to say.
    else if (leader < 0 && reason !== 'controller-failover') this.ctx.trace({ kind: 'offline', controller: this.ctx.id, topic: p.topic, partition: p.partition, isr: [...isr] });
    else this.ctx.trace({ kind: 'controller.isr', controller: this.ctx.id, topic: p.topic, partition: p.partition, leader, leaderEpoch, isr: [...isr], reason });
  }

  /**
   * Our write met BADVERSION: the znode changed since we read it (the leader shrank or expanded
   * the ISR). Re-read it (getTopicPartitionStatesRaw) and, unless a newer controller wrote it
   * ("Aborted leader election ... written by another controller"), decide again on what it
   * holds and write that. Before 1.1, ReplicationUtils' checker first takes a znode equal to
   * what we wrote as our own write, whose answer the connection lost; 1.1+ has no such check
   * and decides again (a second leader epoch for the same leader).
   */
  private onWriteConflict(
    p: PartitionInfo, intended: PartitionStateZnode, change: StateChange, decide: Decide | undefined,
    reason: ElectionReason, written: PartitionInfo[], finish: () => void,
  ): void {
    const expectedZkVersion = p.zkVersion;
    this.ctx.zk.getData(partitionStatePath(p.topic, p.partition), null, (state) => {
      if (!state.ok) {
        this.traceFailedChange(p.topic, p.partition, 'update', state.code);
        return finish();
      }
      const z = state.value.data as PartitionStateZnode;
      const zkVersion = state.value.stat.version;
      const conflict = (then: Extract<ControllerEvent, { kind: 'controller.write-conflict' }>['then']): void => this.ctx.trace({
        kind: 'controller.write-conflict', controller: this.ctx.id, topic: p.topic, partition: p.partition, expectedZkVersion, zkVersion,
        leader: z.leader, leaderEpoch: z.leader_epoch, isr: [...z.isr], controllerEpoch: z.controller_epoch, then,
      });
      if (this.ctx.behaviour.controllerWriteChecker && sameState(z, intended)) {
        conflict('ours');
        this.landed(p, change, intended.leader_epoch, zkVersion, reason);
        written.push(p);
        return finish();
      }
      if (z.controller_epoch > this.epoch) {
        conflict('newer-controller');
        return finish();
      }
      Object.assign(p, { leader: z.leader, leaderEpoch: z.leader_epoch, isr: z.isr, zkVersion, controllerEpoch: z.controller_epoch });
      const next = decide?.(p) ?? null;
      if (next === null) {
        conflict('not-needed');
        // An ISR change found already made is sent as read (removeReplicasFromIsr keeps it); a failed election sends nothing.
        if (change.election === null) written.push(p);
        return finish();
      }
      conflict('retry');
      this.writeState(p, next, decide, reason, written, finish);
    });
  }

  /** A state change that could not be made (Kafka's logFailedStateChange): the partition stays as it was. */
  private traceFailedChange(topic: string, partition: number, change: 'create' | 'update', error: string): void {
    this.ctx.trace({ kind: 'controller.state-change-failed', controller: this.ctx.id, topic, partition, change, error });
  }

  private traceElection(p: PartitionInfo, election: Election, reason: ElectionReason): void {
    this.ctx.trace({
      kind: 'election', controller: this.ctx.id, controllerEpoch: this.epoch, topic: p.topic, partition: p.partition,
      leader: election.leader, leaderEpoch: p.leaderEpoch, isr: [...election.isr], unclean: election.unclean, reason,
    });
  }

  /** Leaders report ISR changes through sequential znodes; re-read those partitions' states. */
  private watchIsrChanges(): void {
    this.ctx.zk.getChildren(ISR_CHANGE_NOTIFICATION, () => this.enqueue((done) => this.onIsrChanges(done)), (children) => {
      if (children.ok && children.value.length > 0) this.enqueue((done) => this.onIsrChanges(done));
    });
  }

  private onIsrChanges(done: () => void): void {
    const zk = this.ctx.zk;
    zk.getChildren(ISR_CHANGE_NOTIFICATION, () => this.enqueue((next) => this.onIsrChanges(next)), (children) => {
      const names = children.ok ? [...children.value].sort() : [];
      const changed = new Map<string, PartitionInfo>();
      const handled = latch(names.length, () => this.refreshStates([...changed.values()], done));
      for (const name of names) {
        const path = `${ISR_CHANGE_NOTIFICATION}/${name}`;
        zk.getData(path, null, (data) => {
          if (data.ok) {
            for (const { topic, partition } of (data.value.data as IsrChangeNotification).partitions) {
              const p = this.partitions.get(tpKey(topic, partition));
              if (p !== undefined) changed.set(tpKey(topic, partition), p);
            }
          }
          zk.delete(path, -1, handled);
        });
      }
    });
  }

  private refreshStates(partitions: readonly PartitionInfo[], done: () => void): void {
    if (partitions.length === 0) return done();
    const refreshed = latch(partitions.length, () => {
      this.sendUpdateMetadata([...this.live.keys()], partitions);
      done();
    });
    for (const p of partitions) {
      this.ctx.zk.getData(partitionStatePath(p.topic, p.partition), null, (state) => {
        if (state.ok) {
          const z = state.value.data as PartitionStateZnode;
          p.isr = z.isr;
          p.leader = z.leader;
          p.leaderEpoch = z.leader_epoch;
          p.zkVersion = state.value.stat.version;
        }
        refreshed();
      });
    }
  }


  // ---- preferred leaders -----------------------------------------------------------------------

  /** An admin asks for preferred-leader elections by creating /admin/preferred_replica_election. */
  private watchPreferredElectionRequests(): void {
    this.ctx.zk.exists(PREFERRED_REPLICA_ELECTION, () => this.enqueue((done) => this.onPreferredElectionRequest(done)), (stat) => {
      if (stat.ok && stat.value !== null) this.enqueue((done) => this.onPreferredElectionRequest(done));
    });
  }

  private onPreferredElectionRequest(done: () => void): void {
    const zk = this.ctx.zk;
    zk.getData(PREFERRED_REPLICA_ELECTION, null, (data) => {
      if (!data.ok) {
        this.watchPreferredElectionRequests();
        return done();
      }
      const requested = (data.value.data as PreferredReplicaElection).partitions;
      const partitions = requested.flatMap(({ topic, partition }) => this.partitions.get(tpKey(topic, partition)) ?? []);
      this.electPreferred(partitions, () => {
        // Done: the znode goes, and the watch is set again for the next request.
        zk.delete(PREFERRED_REPLICA_ELECTION, -1, () => {
          this.watchPreferredElectionRequests();
          done();
        });
      });
    });
  }

  /** auto.leader.rebalance.enable: move leadership back to preferred replicas when imbalanced. */
  private scheduleLeaderRebalance(): void {
    const { autoLeaderRebalanceEnable, leaderImbalanceCheckIntervalSeconds } = this.ctx.settings;
    if (!autoLeaderRebalanceEnable) return;
    const check = (): void => {
      if (!this.active) return;
      this.enqueue((done) => this.rebalanceLeaders(done));
      this.ctx.env.setTimer(leaderImbalanceCheckIntervalSeconds * 1_000_000, check);
    };
    this.ctx.env.setTimer(leaderImbalanceCheckIntervalSeconds * 1_000_000, check);
  }

  private rebalanceLeaders(done: () => void): void {
    const live = new Set(this.live.keys());
    const candidates: PartitionInfo[] = [];
    for (const broker of live) {
      const preferredHere = [...this.partitions.values()].filter((p) => p.replicas[0] === broker);
      const notLed = preferredHere.filter((p) => p.leader !== broker);
      if (preferredHere.length === 0) continue;
      const imbalancePercent = (notLed.length * 100) / preferredHere.length;
      if (imbalancePercent > this.ctx.settings.leaderImbalancePerBrokerPercentage) candidates.push(...notLed);
    }
    this.electPreferred(candidates, done);
  }

  electPreferred(partitions: readonly PartitionInfo[], done: () => void): void {
    const live = this.electable();
    const decide: Decide = (current) => {
      const election = preferredReplicaLeaderElection(current.replicas, current.isr, live);
      return election === null ? null : { leader: election.leader, isr: election.isr, election };
    };
    // Partitions already led by their preferred replica are left out; a retry elects on what it read.
    const changes = partitions.flatMap((p) => {
      const change = decide(p);
      return change === null || change.leader === p.leader ? [] : [{ p, ...change, decide }];
    });
    this.writeStates(changes, 'preferred', done);
  }

  // ---- requests to brokers -------------------------------------------------------------------

  private state(p: PartitionInfo): PartitionState {
    return { topic: p.topic, partition: p.partition, controllerEpoch: this.epoch, leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, zkVersion: p.zkVersion, replicas: p.replicas };
  }

  /**
   * KIP-380: requests name the registration they are meant for, fixed when queued (not at each
   * re-send), so a restarted broker refuses the ones queued for its predecessor.
   */
  private brokerEpochOf(broker: number): number {
    return this.ctx.behaviour.brokerEpochs ? (this.brokerEpochs.get(broker) ?? -1) : -1;
  }

  private endpoints(): BrokerEndpoint[] {
    return [...this.live.entries()].map(([id, node]) => ({ id, node }));
  }

  /** Each live broker hosting one of `partitions` learns its role for them. */
  private sendLeaderAndIsr(brokers: readonly number[], partitions: readonly PartitionInfo[]): void {
    for (const broker of brokers) {
      const node = this.live.get(broker);
      const states = partitions.filter((p) => p.replicas.includes(broker)).map((p) => this.state(p));
      if (node === undefined || states.length === 0) continue;
      const liveLeaders = this.endpoints();
      const brokerEpoch = this.brokerEpochOf(broker);
      this.channels.send(broker, node, (correlationId) => ({
        type: 'LeaderAndIsr', correlationId, controllerId: this.ctx.id, controllerEpoch: this.epoch, brokerEpoch, partitionStates: states, liveLeaders,
      }));
    }
  }

  private sendStopReplica(broker: number, partitions: readonly PartitionInfo[]): void {
    const node = this.live.get(broker);
    if (node === undefined || partitions.length === 0) return;
    const stopped = partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const brokerEpoch = this.brokerEpochOf(broker);
    this.channels.send(broker, node, (correlationId) => ({
      type: 'StopReplica', correlationId, controllerId: this.ctx.id, controllerEpoch: this.epoch, brokerEpoch, partitions: stopped,
    }));
  }

  private sendUpdateMetadata(brokers: readonly number[], partitions: readonly PartitionInfo[]): void {
    const states = partitions.map((p) => this.state(p));
    for (const broker of brokers) {
      const node = this.live.get(broker);
      if (node === undefined) continue;
      const liveBrokers = this.endpoints();
      const brokerEpoch = this.brokerEpochOf(broker);
      this.channels.send(broker, node, (correlationId) => ({
        type: 'UpdateMetadata', correlationId, controllerId: this.ctx.id, controllerEpoch: this.epoch, brokerEpoch, partitionStates: states, liveBrokers,
      }));
    }
  }
}

/** Calls `then` once `count` replies are in (at once when there are none): a fan-in of ZooKeeper callbacks. */
function latch(count: number, then: () => void): () => void {
  let pending = count;
  if (pending === 0) then();
  return () => {
    if (--pending === 0) then();
  };
}

