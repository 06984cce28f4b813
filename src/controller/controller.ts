// The controller (ZooKeeper mode; Kafka's KafkaController): one broker, elected through the
// ephemeral /controller znode, that watches /brokers/ids and /brokers/topics, elects partition
// leaders, writes each partition's state znode, and tells brokers with LeaderAndIsr and UpdateMetadata.
//
// Its ZooKeeper writes are multi-ops guarded by a check of /controller_epoch's version, so a
// zombie controller (one whose session expired without it noticing) cannot overwrite what the
// new one decided; brokers refuse its requests by controller epoch (STALE_CONTROLLER_EPOCH).
// Events are handled one at a time, in arrival order, like Kafka's controller event thread.
//
// This file holds the event queue, failover, broker changes, controlled shutdown, topic loading,
// ISR change notifications and the preferred-leader requests and rebalance: when a state changes.
// What the controller knows is in controller-context.ts (ControllerContext); the state writes,
// elections and their retries in partition-state-machine.ts; the requests to brokers in channel.ts.
import type { BrokerContext } from '../broker/context.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { tpKey } from '../kafka/records.js';
import type { KafkaConfig } from '../scenario/types.js';
import {
  BROKER_IDS, BROKER_TOPICS, CONTROLLER, CONTROLLER_EPOCH, ISR_CHANGE_NOTIFICATION,
  PREFERRED_REPLICA_ELECTION, partitionStatePath, topicPath,
  type BrokerRegistration, type IsrChangeNotification, type PartitionStateZnode, type PreferredReplicaElection, type TopicAssignment,
} from '../broker/zk-paths.js';
import { AlterPartitionHandler, type AlterPartitionAnswer } from './alter-partition.js';
import { ControllerBrokerRequestBatch, ControllerChannels } from './channel.js';
import { ControllerContext, type PartitionInfo } from './controller-context.js';
import { latch } from './kafka-zk-client.js';
import { PartitionStateMachine } from './partition-state-machine.js';
import type { KafkaError } from '../kafka/errors.js';

type Task = (done: () => void) => void;

export class Controller {
  private active = false;
  private readonly controllerContext = new ControllerContext();
  private readonly knownTopics = new Set<string>();
  private readonly queue: Task[] = [];
  private running = false;
  private readonly channels: ControllerChannels;
  private readonly requests: ControllerBrokerRequestBatch;
  private readonly partitionStateMachine: PartitionStateMachine;
  private readonly alterPartitions: AlterPartitionHandler;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly onLost: () => void,
    private readonly topicConfigs: ReadonlyMap<string, KafkaConfig>,
  ) {
    const cc = this.controllerContext;
    this.channels = new ControllerChannels(ctx, (broker) => this.active && cc.live.has(broker));
    this.requests = new ControllerBrokerRequestBatch(ctx, cc, this.channels);
    this.partitionStateMachine = new PartitionStateMachine(ctx, cc, this.requests, () => this.lose());
    this.alterPartitions = new AlterPartitionHandler({
      ctx,
      isActive: () => this.active,
      controllerEpoch: () => cc.epoch,
      controllerEpochZkVersion: () => cc.epochZkVersion,
      partition: (topic, partition) => cc.partitions.get(tpKey(topic, partition)),
      liveBrokerEpoch: (id) => (cc.live.has(id) ? cc.brokerEpochs.get(id) : undefined),
      isShuttingDown: (id) => cc.shuttingDown.has(id),
      sendUpdateMetadata: (partitions) => this.requests.sendUpdateMetadata([...cc.live.keys()], partitions),
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
    this.ctx.trace({ kind: 'controller.resigned', broker: this.ctx.id, controllerEpoch: this.controllerContext.epoch });
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
          this.controllerContext.epoch = 1;
          this.controllerContext.epochZkVersion = 0;
          this.elected(then);
        });
        return;
      }
      const next = (current.value.data as number) + 1;
      zk.setData(CONTROLLER_EPOCH, next, current.value.stat.version, (set) => {
        if (!set.ok) return this.lose(); // another controller incremented first
        this.controllerContext.epoch = next;
        this.controllerContext.epochZkVersion = set.value.version;
        this.elected(then);
      });
    });
  }

  private elected(then: () => void): void {
    this.ctx.trace({ kind: 'controller.elected', broker: this.ctx.id, controllerEpoch: this.controllerContext.epoch });
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
        this.controllerContext.live.set(id, b.node);
        this.controllerContext.brokerEpochs.set(id, b.epoch);
      }
      this.watchIsrChanges();
      this.watchPreferredElectionRequests();
      this.scheduleLeaderRebalance();
      this.onTopicsChanged(() => {
        const live = [...this.controllerContext.live.keys()];
        const all = [...this.controllerContext.partitions.values()];
        // Before 2.2 an UpdateMetadata naming no partition carried them all (addUpdateMetadataRequestForBrokers, 2.1.1).
        this.requests.sendUpdateMetadata(live, this.ctx.behaviour.brokerEpochs ? [] : all);
        this.requests.sendLeaderAndIsr(live, all);
        const dead = new Set(all.flatMap((p) => p.replicas).filter((r) => !this.controllerContext.live.has(r)));
        const withDead = this.ctx.behaviour.offlineReplicasOnFailover ? all.filter((p) => p.isr.some((r) => dead.has(r))) : [];
        this.partitionStateMachine.removeFromIsr(withDead, dead, 'controller-failover', () => {
          const offline = [...this.controllerContext.partitions.values()].filter((p) => p.leader < 0 || !this.controllerContext.live.has(p.leader));
          this.partitionStateMachine.electLeaders(offline, 'broker-failure', done);
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
      const known = [...this.controllerContext.live.keys()].sort((a, b) => a - b);
      const born = [...brokers.keys()].filter((id) => !this.controllerContext.live.has(id));
      const dead = known.filter((id) => !brokers.has(id));
      const bounced = this.ctx.behaviour.brokerEpochs
        ? known.filter((id) => brokers.has(id) && brokers.get(id)!.epoch > (this.controllerContext.brokerEpochs.get(id) ?? -1))
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
          this.controllerContext.live.set(id, b.node);
          this.controllerContext.brokerEpochs.set(id, b.epoch);
        }
      };
      // ControllerContext.addLiveBrokers / removeLiveBrokers: a broker and its epoch come and go together.
      const removeLive = (ids: readonly number[]): void => {
        for (const id of ids) {
          this.controllerContext.live.delete(id);
          this.controllerContext.brokerEpochs.delete(id);
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
          this.ctx.trace({ kind: 'broker.bounced', controller: this.ctx.id, broker: id, previousEpoch: this.controllerContext.brokerEpochs.get(id) ?? -1, brokerEpoch: brokers.get(id)!.epoch });
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
      this.controllerContext.shuttingDown.delete(id);
      this.ctx.trace({ kind: 'broker.failed', controller: this.ctx.id, broker: id });
    }
    const leaderless = [...this.controllerContext.partitions.values()].filter((p) => deadSet.has(p.leader));
    this.partitionStateMachine.electLeaders(leaderless, 'broker-failure', () => {
      const shrinking = [...this.controllerContext.partitions.values()].filter((p) => p.isr.some((r) => deadSet.has(r)));
      this.partitionStateMachine.removeFromIsr(shrinking, deadSet, 'broker-failure', () => {
        this.requests.sendUpdateMetadata([...this.controllerContext.live.keys()], [...this.controllerContext.partitions.values()]);
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
      if (!this.controllerContext.live.has(broker)) {
        answer('BROKER_NOT_AVAILABLE', []);
        return done();
      }
      this.controllerContext.shuttingDown.add(broker);
      this.ctx.trace({ kind: 'controller.shutting-down', controller: this.ctx.id, broker });
      const replicated = [...this.controllerContext.partitions.values()].filter((p) => p.replicas.length > 1 && p.leader >= 0 && p.replicas.includes(broker));
      const led = replicated.filter((p) => p.leader === broker);
      const followed = replicated.filter((p) => p.leader !== broker);
      this.partitionStateMachine.electLeadersForControlledShutdown(led, () => {
        this.requests.sendStopReplica(broker, followed);
        this.partitionStateMachine.removeFromIsr(followed, new Set([broker]), 'controlled-shutdown', () => {
          const remaining = [...this.controllerContext.partitions.values()].filter((p) => p.leader === broker && p.replicas.length > 1);
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
    this.requests.sendUpdateMetadata([...this.controllerContext.live.keys()], [...this.controllerContext.partitions.values()]);
    const hosted = [...this.controllerContext.partitions.values()].filter((p) => p.replicas.some((r) => bornSet.has(r)));
    this.requests.sendLeaderAndIsr(born, hosted);
    // Offline partitions may have a leader again (an ISR member came back, or unclean is allowed).
    const offline = [...this.controllerContext.partitions.values()].filter((p) => p.leader < 0);
    this.partitionStateMachine.electLeaders(offline, 'offline-recovered', done);
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
      const ids = Object.keys(assignment).map(Number).filter((p) => !this.controllerContext.partitions.has(tpKey(topic, p))).sort((a, b) => a - b);
      if (ids.length === 0) return then();
      const created: PartitionInfo[] = [];
      const finish = latch(ids.length, () => {
        this.requests.sendLeaderAndIsr([...this.controllerContext.live.keys()], created);
        this.requests.sendUpdateMetadata([...this.controllerContext.live.keys()], [...this.controllerContext.partitions.values()]);
        then();
      });
      for (const partition of ids) {
        const replicas = assignment[String(partition)]!;
        this.ctx.zk.getData(partitionStatePath(topic, partition), null, (state) => {
          if (state.ok) {
            const z = state.value.data as PartitionStateZnode;
            this.controllerContext.partitions.set(tpKey(topic, partition), { topic, partition, replicas, leader: z.leader, leaderEpoch: z.leader_epoch, isr: z.isr, zkVersion: state.value.stat.version, controllerEpoch: z.controller_epoch });
            return finish();
          }
          this.partitionStateMachine.createPartition(topic, partition, replicas, (info) => {
            if (info !== null) created.push(info);
            finish();
          });
        });
      }
    });
  }

  // ---- ISR change notifications --------------------------------------------------------------

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
              const p = this.controllerContext.partitions.get(tpKey(topic, partition));
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
      this.requests.sendUpdateMetadata([...this.controllerContext.live.keys()], partitions);
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
      const partitions = requested.flatMap(({ topic, partition }) => this.controllerContext.partitions.get(tpKey(topic, partition)) ?? []);
      this.partitionStateMachine.electPreferred(partitions, () => {
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
    const live = new Set(this.controllerContext.live.keys());
    const candidates: PartitionInfo[] = [];
    for (const broker of live) {
      const preferredHere = [...this.controllerContext.partitions.values()].filter((p) => p.replicas[0] === broker);
      const notLed = preferredHere.filter((p) => p.leader !== broker);
      if (preferredHere.length === 0) continue;
      const imbalancePercent = (notLed.length * 100) / preferredHere.length;
      if (imbalancePercent > this.ctx.settings.leaderImbalancePerBrokerPercentage) candidates.push(...notLed);
    }
    this.partitionStateMachine.electPreferred(candidates, done);
  }
}
