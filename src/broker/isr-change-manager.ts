// How a leader's ISR change reaches ZooKeeper (Kafka's AlterIsrManager, 2.8's split of it):
// before 2.7 the leader writes the partition state znode itself and tells the controller through
// /isr_change_notification (ZkIsrManager, Partition.scala 2.6); from 2.7 it sends AlterIsr
// (AlterPartition from 3.2) to the controller, which validates and writes it (KIP-497).
// Either way the answer comes back per partition, as the controller would give it.
import type { EventId } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { AlterPartitionResult, KafkaMessage } from '../kafka/protocol.js';
import type { Stat, ZkResult } from '../zookeeper/api.js';
import type { BrokerContext } from './context.js';
import type { Partition, PendingIsrChange } from './partition.js';
import { ISR_CHANGE_PREFIX, partitionStatePath, sameState, type IsrChangeNotification, type PartitionStateZnode } from './zk-paths.js';

/** What the broker's metadata cache knows that the ISR code needs (UpdateMetadata, the registration). */
export interface BrokerMetadata {
  /** The controller's node, if the metadata names one that is alive (MetadataCacheControllerNodeProvider). */
  controllerNode(): string | null;
  /** This broker's registration (KIP-380 broker epoch), -1 before it registered. */
  brokerEpoch(): number;
  /** Whether the metadata has the broker alive (ZkMetadataCache.hasAliveBroker). */
  isAliveBroker(id: number): boolean;
}

export type IsrAnswer = (answer: AlterPartitionResult) => void;

export interface IsrChangeManager {
  /** Sends the change; `onAnswer` hears its partition's answer, once (or never, if it is dropped). */
  submit(p: Partition, change: PendingIsrChange, onAnswer: IsrAnswer): void;
  /** A LeaderAndIsr reached the partition (2.7 and 2.8 drop its unsent change: AlterIsrManager.clearPending). */
  clearPending(key: string): void;
}

export function refused(p: Partition, error: Exclude<KafkaError, 'NONE'>): AlterPartitionResult {
  return { topic: p.topic, partition: p.partition, error, leader: -1, leaderEpoch: -1, isr: [], zkVersion: -1 };
}

/**
 * Before 2.7: a conditional write of the state znode at the version the leader knows. If the
 * controller changed it meanwhile the write fails and the leader keeps its ISR until the
 * controller's LeaderAndIsr. The controller hears of a change through /isr_change_notification.
 */
export class ZkIsrManager implements IsrChangeManager {
  constructor(private readonly ctx: BrokerContext) {}

  submit(p: Partition, change: PendingIsrChange, onAnswer: IsrAnswer): void {
    const znode: PartitionStateZnode = { version: 1, leader: this.ctx.id, leader_epoch: change.leaderEpoch, isr: [...change.isr], controller_epoch: p.controllerEpoch };
    const path = partitionStatePath(p.topic, p.partition);
    const written = (zkVersion: number): void => {
      const notification: IsrChangeNotification = { version: 1, partitions: [{ topic: p.topic, partition: p.partition }] };
      this.ctx.zk.create(ISR_CHANGE_PREFIX, notification, 'PERSISTENT_SEQUENTIAL', () => {});
      onAnswer({ topic: p.topic, partition: p.partition, error: 'NONE', leader: this.ctx.id, leaderEpoch: change.leaderEpoch, isr: change.isr, zkVersion });
    };
    this.ctx.zk.setData(path, znode, change.zkVersion, (result: ZkResult<Stat>) => {
      if (result.ok) return written(result.value.version);
      if (result.code !== 'BADVERSION') return onAnswer(refused(p, 'UNKNOWN_SERVER_ERROR'));
      // ReplicationUtils.updateLeaderAndIsr: our write may have landed before its answer was
      // lost; if the znode holds what we wrote, it did. Otherwise the controller moved on and
      // its LeaderAndIsr will follow.
      this.ctx.zk.getData(path, null, (state) => {
        if (state.ok && sameState(state.value.data as PartitionStateZnode, znode)) return written(state.value.stat.version);
        onAnswer(refused(p, 'INVALID_UPDATE_VERSION'));
      });
    });
  }

  clearPending(): void {
    // The write is made at once: nothing waits unsent (ZkIsrManager.clearPending).
  }
}

interface Item {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly change: PendingIsrChange;
  readonly onAnswer: IsrAnswer;
}

/** AlterIsrManager's period before 2.8, and its retry after a top-level error since. */
const PROPAGATION_MS = 50;
/** reconnect.backoff.ms: how soon the channel to the controller sends a request again. */
const RECONNECT_BACKOFF_MS = 50;
/** BrokerToControllerRequestThread: how long it waits when the metadata names no controller. */
const NO_CONTROLLER_BACKOFF_MS = 100;

/**
 * From 2.7 (AlterIsrManager; AlterPartitionManager from 3.2): one unsent change per partition,
 * every unsent change in one request, one request in flight. The channel to the controller
 * (BrokerToControllerChannelManager) sends it to the controller the metadata names and sends it
 * again, never giving up, after no answer or NOT_CONTROLLER; a top-level error leaves the changes
 * unsent for the next request. Each partition's answer goes to its change, and the partition's
 * entry goes with it (by partition: in 2.7 and 2.8 that can be a newer change, dropped unsent).
 */
export class AlterPartitionManager implements IsrChangeManager {
  private readonly unsent = new Map<string, Item>();
  private inFlight = false;
  private timer: EventId | null = null;
  /** 2.7 sends on a 50 ms schedule counted from startup. */
  private readonly startUs: number;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly metadata: BrokerMetadata,
  ) {
    this.startUs = ctx.env.now();
  }

  submit(p: Partition, change: PendingIsrChange, onAnswer: IsrAnswer): void {
    // One change per partition until its answer: a second one is not sent (3.0+: the partition
    // goes back to its committed ISR; 3.1 says OPERATION_NOT_ATTEMPTED).
    if (this.unsent.has(p.key)) return onAnswer(refused(p, 'OPERATION_NOT_ATTEMPTED'));
    this.unsent.set(p.key, { key: p.key, topic: p.topic, partition: p.partition, change, onAnswer });
    this.maybePropagate();
  }

  clearPending(key: string): void {
    this.unsent.delete(key);
  }

  private maybePropagate(): void {
    if (this.unsent.size === 0 || this.inFlight || this.timer !== null) return;
    if (this.ctx.behaviour.alterIsrSentAtOnce) return this.send();
    // 2.7: the next tick of the 50 ms schedule sends.
    const now = this.ctx.env.now();
    const nextTickUs = this.startUs + (Math.floor((now - this.startUs) / (PROPAGATION_MS * 1000)) + 1) * PROPAGATION_MS * 1000;
    this.later(nextTickUs - now, 'send');
  }

  /** After `delayUs`: send (a tick of 2.7's schedule, or the channel sending again), or see whether to send. */
  private later(delayUs: number, then: 'send' | 'propagate'): void {
    this.timer = this.ctx.env.setTimer(delayUs, () => {
      this.timer = null;
      if (then === 'send') this.send();
      else this.maybePropagate();
    });
  }

  private send(): void {
    const items = [...this.unsent.values()];
    if (items.length === 0) {
      this.inFlight = false;
      return;
    }
    this.inFlight = true;
    const controller = this.metadata.controllerNode();
    if (controller === null) return this.retry(items.length, 'no-controller', NO_CONTROLLER_BACKOFF_MS);
    const brokerEpoch = this.metadata.brokerEpoch();
    const partitions = items.map((item) => ({ topic: item.topic, partition: item.partition, leaderEpoch: item.change.leaderEpoch, newIsr: item.change.isr, zkVersion: item.change.zkVersion }));
    this.ctx.request(controller, (correlationId) => ({ type: 'AlterPartition', correlationId, brokerId: this.ctx.id, brokerEpoch, partitions }), this.ctx.settings.controllerSocketTimeoutMs, (response) => this.onResponse(items, response));
  }

  /** The channel sends the request again (to the controller the metadata names by then). */
  private retry(partitions: number, why: 'no-controller' | 'no-answer' | KafkaError, backoffMs: number): void {
    this.ctx.trace({ kind: 'isr.alter-retry', broker: this.ctx.id, partitions, why }, false);
    this.later(backoffMs * 1000, 'send');
  }

  private onResponse(items: readonly Item[], response: KafkaMessage | null): void {
    if (response === null || response.type !== 'AlterPartitionResponse') return this.retry(items.length, 'no-answer', RECONNECT_BACKOFF_MS);
    // NOT_CONTROLLER anywhere in the answer: the channel forgets that controller and sends again.
    if (response.error === 'NOT_CONTROLLER' || response.partitions.some((r) => r.error === 'NOT_CONTROLLER')) return this.retry(items.length, 'NOT_CONTROLLER', RECONNECT_BACKOFF_MS);
    this.inFlight = false;
    if (response.error !== 'NONE') {
      // STALE_BROKER_EPOCH, UNKNOWN_SERVER_ERROR: every change stays unsent, tried again soon.
      this.ctx.trace({ kind: 'isr.alter-retry', broker: this.ctx.id, partitions: items.length, why: response.error }, false);
      if (this.ctx.behaviour.alterIsrSentAtOnce) this.later(PROPAGATION_MS * 1000, 'propagate');
      else this.maybePropagate();
      return;
    }
    for (const item of items) {
      const answer = response.partitions.find((r) => r.topic === item.topic && r.partition === item.partition);
      if (answer === undefined) continue; // left unsent: in the next request
      this.unsent.delete(item.key);
      item.onAnswer(answer);
    }
    this.maybePropagate();
  }
}
