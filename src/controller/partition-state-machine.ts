// The controller's partition state changes (Kafka's PartitionStateMachine, with the ISR removal
// of its ReplicaStateMachine): a new partition's first state znode, leader elections (offline
// partitions, preferred leaders, controlled shutdown) and dead or stopping replicas taken out of
// the ISR. Each change is a guarded write of the partition's state znode; one that meets
// BADVERSION is re-read and decided again by the rule that made it (the "updatesToRetry" loop),
// and what landed is sent to the brokers. The ISR removal shares that loop here; Kafka's
// ReplicaStateMachine.removeReplicasFromIsr has one of its own, the same in what it does.
// The controller (controller.ts) decides when; this file decides what is written, and how.
import type { BrokerContext } from '../broker/context.js';
import { partitionPath, partitionStatePath, partitionsPath, sameState, type PartitionStateZnode } from '../broker/zk-paths.js';
import type { ControllerEvent } from '../kafka/events.js';
import { tpKey } from '../kafka/records.js';
import type { ControllerBrokerRequestBatch } from './channel.js';
import type { ControllerContext, PartitionInfo } from './controller-context.js';
import {
  controlledShutdownLeaderElection, newPartitionLeader, offlinePartitionLeaderElection, preferredReplicaLeaderElection, removeReplicaFromIsr, type Election,
} from './election.js';
import { createPartitionState, guardedMulti, latch, updateLeaderAndIsr } from './kafka-zk-client.js';

export type ElectionReason = Extract<ControllerEvent, { kind: 'election' }>['reason'];

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

export class PartitionStateMachine {
  constructor(
    private readonly ctx: BrokerContext,
    private readonly controllerContext: ControllerContext,
    private readonly requests: ControllerBrokerRequestBatch,
    /** Another controller holds the epoch (ControllerMovedException): the controller resigns. */
    private readonly lose: () => void,
  ) {}

  // ---- new partitions ------------------------------------------------------------------------

  /**
   * A new partition's state znode (PartitionStateMachine.initializeLeaderAndIsrForPartitions):
   * the first live replica leads, every live one is in sync. The creates are guarded by the
   * controller epoch (KafkaZkClient.createTopicPartitionStatesRaw, 2.1+); the state create
   * succeeds or the partition stays new: NODEEXISTS (even our own create, re-sent after its
   * answer was lost with the connection: Kafka has no check of what the znode holds here, in
   * any version) and no live replica are failed state changes, logged and not retried.
   */
  createPartition(topic: string, partition: number, replicas: readonly number[], then: (info: PartitionInfo | null) => void): void {
    const election = newPartitionLeader(replicas, this.controllerContext.electable());
    if (election === null) {
      this.traceFailedChange(topic, partition, 'create', 'no assigned replica is alive');
      return then(null);
    }
    const zk = this.ctx.zk;
    const create = (path: string, next: () => void): void =>
      guardedMulti(zk, this.controllerContext.epochZkVersion, { op: 'create', path, data: null, mode: 'PERSISTENT' }, (write) => {
        // Only a moved controller matters here: NODEEXISTS is the usual answer for /partitions.
        if (write.outcome === 'controller-moved') return this.lose();
        next();
      });
    create(partitionsPath(topic), () => create(partitionPath(topic, partition), () => {
      const znode: PartitionStateZnode = { version: 1, leader: election.leader, leader_epoch: 0, isr: [...election.isr], controller_epoch: this.controllerContext.epoch };
      createPartitionState(zk, this.controllerContext.epochZkVersion, partitionStatePath(topic, partition), znode, (write) => {
        if (write.outcome === 'controller-moved') return this.lose();
        if (write.outcome === 'failed') {
          this.traceFailedChange(topic, partition, 'create', write.code);
          return then(null);
        }
        const info: PartitionInfo = { topic, partition, replicas, leader: election.leader, leaderEpoch: 0, isr: election.isr, zkVersion: write.zkVersion, controllerEpoch: this.controllerContext.epoch };
        this.controllerContext.partitions.set(tpKey(topic, partition), info);
        this.traceElection(info, election, 'new-topic');
        then(info);
      });
    }));
  }

  // ---- elections and ISR changes -------------------------------------------------------------

  electLeaders(partitions: readonly PartitionInfo[], reason: ElectionReason, then: () => void): void {
    const live = this.controllerContext.electable();
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

  /** The leaderships of a broker shutting down move to another live ISR member (ControlledShutdownPartitionLeaderElectionStrategy). */
  electLeadersForControlledShutdown(partitions: readonly PartitionInfo[], then: () => void): void {
    const live = new Set(this.controllerContext.live.keys());
    const decide: Decide = (current) => {
      const election = controlledShutdownLeaderElection(current.replicas, current.isr, live, this.controllerContext.shuttingDown);
      return election === null ? null : { leader: election.leader, isr: election.isr, election };
    };
    const moves = partitions.flatMap((p) => {
      const change = decide(p);
      return change === null ? [] : [{ p, ...change, decide }];
    });
    this.writeStates(moves, 'controlled-shutdown', then);
  }

  electPreferred(partitions: readonly PartitionInfo[], done: () => void): void {
    const live = this.controllerContext.electable();
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

  removeFromIsr(partitions: readonly PartitionInfo[], dead: ReadonlySet<number>, reason: ElectionReason, then: () => void): void {
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
      this.requests.sendLeaderAndIsr([...this.controllerContext.live.keys()], written);
      this.requests.sendUpdateMetadata([...this.controllerContext.live.keys()], written);
      then();
    });
    for (const change of changes) this.writeState(change.p, change, change.decide, reason, written, finish);
  }

  /** One partition's guarded write (KafkaZkClient.updateLeaderAndIsr); `finish` once it is settled. */
  private writeState(p: PartitionInfo, change: StateChange, decide: Decide | undefined, reason: ElectionReason, written: PartitionInfo[], finish: () => void): void {
    const epoch = p.leaderEpoch + 1;
    const znode: PartitionStateZnode = { version: 1, leader: change.leader, leader_epoch: epoch, isr: [...change.isr], controller_epoch: this.controllerContext.epoch };
    updateLeaderAndIsr(this.ctx.zk, this.controllerContext.epochZkVersion, partitionStatePath(p.topic, p.partition), znode, p.zkVersion, (write) => {
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
    Object.assign(p, { leader, leaderEpoch, isr, zkVersion, controllerEpoch: this.controllerContext.epoch });
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
      if (z.controller_epoch > this.controllerContext.epoch) {
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
      kind: 'election', controller: this.ctx.id, controllerEpoch: this.controllerContext.epoch, topic: p.topic, partition: p.partition,
      leader: election.leader, leaderEpoch: p.leaderEpoch, isr: [...election.isr], unclean: election.unclean, reason,
    });
  }
}
