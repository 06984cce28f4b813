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
import type { Stat, ZkResult } from '../zookeeper/api.js';
import {
  BROKER_IDS, BROKER_TOPICS, CONTROLLER, CONTROLLER_EPOCH, ISR_CHANGE_NOTIFICATION,
  PREFERRED_REPLICA_ELECTION, partitionPath, partitionStatePath, partitionsPath, topicPath,
  sameState, type BrokerRegistration, type IsrChangeNotification, type PartitionStateZnode, type PreferredReplicaElection, type TopicAssignment,
} from '../broker/zk-paths.js';
import { AlterPartitionHandler, type AlterPartitionAnswer } from './alter-partition.js';
import { ControllerChannels } from './channel.js';
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

  /** Reads the cluster from ZooKeeper, then repairs what a dead controller may have left. */
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
        const offline = [...this.partitions.values()].filter((p) => p.leader < 0 || !this.live.has(p.leader));
        this.electLeaders(offline, 'broker-failure', () => {
          this.sendLeaderAndIsr([...this.live.keys()], [...this.partitions.values()]);
          this.sendUpdateMetadata([...this.live.keys()], [...this.partitions.values()]);
          done();
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

  private onBrokersChanged(done: () => void): void {
    this.readBrokers((brokers) => {
      // KIP-380 (2.2): a broker whose registration is newer than the one we knew restarted
      // between two reads of /brokers/ids; before 2.2 such a bounce went unseen.
      const bounced = this.ctx.behaviour.brokerEpochs
        ? [...brokers.entries()].filter(([id, b]) => this.live.has(id) && this.brokerEpochs.get(id) !== b.epoch).map(([id]) => id)
        : [];
      const dead = [...this.live.keys()].filter((id) => !brokers.has(id) || bounced.includes(id));
      const born = [...brokers.keys()].filter((id) => !this.live.has(id) || bounced.includes(id));
      for (const id of dead) {
        this.live.delete(id);
        this.shuttingDown.delete(id);
        this.channels.remove(id);
      }
      for (const [id, b] of brokers) {
        this.live.set(id, b.node);
        this.brokerEpochs.set(id, b.epoch);
      }
      for (const id of dead) this.ctx.trace({ kind: 'broker.failed', controller: this.ctx.id, broker: id });
      for (const id of born) this.ctx.trace({ kind: 'broker.joined', controller: this.ctx.id, broker: id });
      this.onBrokerFailure(dead, () => this.onBrokerStartup(born, done));
    });
  }

  /** Partitions led by a dead broker get a new leader; dead followers leave the ISR. */
  private onBrokerFailure(dead: readonly number[], then: () => void): void {
    if (dead.length === 0) return then();
    const deadSet = new Set(dead);
    const leaderless = [...this.partitions.values()].filter((p) => deadSet.has(p.leader));
    this.electLeaders(leaderless, 'broker-failure', () => {
      const shrinking = [...this.partitions.values()].filter((p) => p.isr.some((r) => deadSet.has(r)));
      this.removeFromIsr(shrinking, deadSet, () => {
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
      const moves = led.flatMap((p) => {
        const election = controlledShutdownLeaderElection(p.replicas, p.isr, live, this.shuttingDown);
        return election === null ? [] : [{ p, leader: election.leader, isr: election.isr, election }];
      });
      this.writeStates(moves, 'controlled-shutdown', () => {
        this.sendStopReplica(broker, followed);
        this.removeFromIsr(followed, new Set([broker]), () => {
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

  private createPartition(topic: string, partition: number, replicas: readonly number[], then: (info: PartitionInfo | null) => void): void {
    const election = newPartitionLeader(replicas, this.electable());
    if (election === null) return then(null);
    const zk = this.ctx.zk;
    zk.create(partitionsPath(topic), null, 'PERSISTENT', () => {
      zk.create(partitionPath(topic, partition), null, 'PERSISTENT', () => {
        const znode: PartitionStateZnode = { version: 1, leader: election.leader, leader_epoch: 0, isr: [...election.isr], controller_epoch: this.epoch };
        zk.multi([
          { op: 'check', path: CONTROLLER_EPOCH, version: this.epochZkVersion },
          { op: 'create', path: partitionStatePath(topic, partition), data: znode, mode: 'PERSISTENT' },
        ], (result) => {
          const created = (zkVersion: number): void => {
            const info: PartitionInfo = { topic, partition, replicas, leader: election.leader, leaderEpoch: 0, isr: election.isr, zkVersion, controllerEpoch: this.epoch };
            this.partitions.set(tpKey(topic, partition), info);
            this.traceElection(info, election, 'new-topic');
            then(info);
          };
          if (result.ok) return created(0);
          if (result.code === 'BADVERSION') {
            this.lose();
            return then(null);
          }
          // NODEEXISTS: maybe our own create, re-sent after its answer was lost with the connection.
          this.ctx.zk.getData(partitionStatePath(topic, partition), null, (state) => {
            if (state.ok && sameState(state.value.data as PartitionStateZnode, znode)) return created(state.value.stat.version);
            then(null);
          });
        });
      });
    });
  }

  // ---- elections and ISR changes -------------------------------------------------------------

  /** Brokers that may lead: live and not shutting down (ControllerContext.liveBrokerIds). */
  private electable(): Set<number> {
    return new Set([...this.live.keys()].filter((id) => !this.shuttingDown.has(id)));
  }

  private electLeaders(partitions: readonly PartitionInfo[], reason: ElectionReason, then: () => void): void {
    const live = this.electable();
    const changes: { p: PartitionInfo; leader: number; isr: readonly number[]; election: Election | null }[] = [];
    for (const p of partitions) {
      const unclean = this.ctx.topicSettings(p.topic).uncleanLeaderElectionEnable;
      const election = offlinePartitionLeaderElection(p.replicas, p.isr, live, unclean);
      if (election !== null) changes.push({ p, leader: election.leader, isr: election.isr, election });
      else if (p.leader >= 0) changes.push({ p, leader: -1, isr: p.isr, election: null });
      else this.ctx.trace({ kind: 'offline', controller: this.ctx.id, topic: p.topic, partition: p.partition, isr: [...p.isr] });
    }
    this.writeStates(changes, reason, then);
  }

  private removeFromIsr(partitions: readonly PartitionInfo[], dead: ReadonlySet<number>, then: () => void): void {
    const changes = partitions.map((p) => {
      let next = { leader: p.leader, isr: p.isr };
      for (const replica of dead) if (next.isr.includes(replica)) next = removeReplicaFromIsr(next.leader, next.isr, replica);
      return { p, leader: next.leader, isr: next.isr, election: null };
    });
    this.writeStates(changes.filter((c) => c.isr.length !== c.p.isr.length || c.leader !== c.p.leader), 'broker-failure', then);
  }

  /**
   * Writes each new leader and ISR (with a new leader epoch) guarded by the controller epoch's
   * version, then sends LeaderAndIsr to the partition's live replicas.
   */
  private writeStates(changes: readonly { p: PartitionInfo; leader: number; isr: readonly number[]; election: Election | null }[], reason: ElectionReason, then: () => void): void {
    if (changes.length === 0) return then();
    const written: PartitionInfo[] = [];
    const finish = latch(changes.length, () => {
      this.sendLeaderAndIsr([...this.live.keys()], written);
      this.sendUpdateMetadata([...this.live.keys()], written);
      then();
    });
    for (const { p, leader, isr, election } of changes) {
      const epoch = p.leaderEpoch + 1;
      const znode: PartitionStateZnode = { version: 1, leader, leader_epoch: epoch, isr: [...isr], controller_epoch: this.epoch };
      this.ctx.zk.multi([
        { op: 'check', path: CONTROLLER_EPOCH, version: this.epochZkVersion },
        { op: 'setData', path: partitionStatePath(p.topic, p.partition), data: znode, version: p.zkVersion },
      ], (result: ZkResult<readonly (string | Stat | null)[]>) => {
        const landed = (zkVersion: number): void => {
          p.leader = leader;
          p.leaderEpoch = epoch;
          p.isr = isr;
          p.zkVersion = zkVersion;
          p.controllerEpoch = this.epoch;
          written.push(p);
          if (election !== null) this.traceElection(p, election, reason);
          else if (leader < 0) this.ctx.trace({ kind: 'offline', controller: this.ctx.id, topic: p.topic, partition: p.partition, isr: [...isr] });
          else this.ctx.trace({ kind: 'controller.isr', controller: this.ctx.id, topic: p.topic, partition: p.partition, leader, leaderEpoch: epoch, isr: [...isr] });
          finish();
        };
        if (result.ok) return landed((result.value[1] as Stat).version);
        this.onWriteFailed(p, znode, landed, finish);
      });
    }
  }

  /**
   * A failed guarded write: a newer controller exists (resign); or our write landed and only its
   * answer was lost with the connection (ReplicationUtils' check: the znode holds what we wrote);
   * or the leader changed the ISR meanwhile (reread, and let the next event decide).
   */
  private onWriteFailed(p: PartitionInfo, intended: PartitionStateZnode, landed: (zkVersion: number) => void, finish: () => void): void {
    this.ctx.zk.getData(CONTROLLER_EPOCH, null, (epoch) => {
      if (!epoch.ok || epoch.value.stat.version !== this.epochZkVersion) {
        this.lose();
        return;
      }
      this.ctx.zk.getData(partitionStatePath(p.topic, p.partition), null, (state) => {
        if (!state.ok) return finish();
        const z = state.value.data as PartitionStateZnode;
        if (sameState(z, intended)) return landed(state.value.stat.version);
        p.isr = z.isr;
        p.zkVersion = state.value.stat.version;
        p.leaderEpoch = z.leader_epoch;
        p.leader = z.leader;
        finish();
      });
    });
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
    const changes = partitions.flatMap((p) => {
      const election = preferredReplicaLeaderElection(p.replicas, p.isr, live);
      return election === null || election.leader === p.leader ? [] : [{ p, leader: election.leader, isr: election.isr, election }];
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

