// The controller's side of KIP-497: a leader's AlterIsr (2.7; AlterPartition from 3.2) is queued
// with the controller's other events, checked against the controller's view of the partition,
// written to the partition state znode (guarded by the controller epoch, at the version the
// leader based its change on), and answered per partition with the state now in ZooKeeper; every
// live broker then gets UpdateMetadata (KafkaController.processAlterIsr / processAlterPartition).
import type { BrokerContext } from '../broker/context.js';
import { partitionStatePath, type PartitionStateZnode } from '../broker/zk-paths.js';
import type { KafkaError } from '../kafka/errors.js';
import type { AlterPartitionData, AlterPartitionResult, KafkaMessage } from '../kafka/protocol.js';
import type { PartitionInfo } from './controller-context.js';
import { updateLeaderAndIsr } from './kafka-zk-client.js';

type AlterPartition = Extract<KafkaMessage, { type: 'AlterPartition' }>;
export type AlterPartitionAnswer = (error: KafkaError, partitions: readonly AlterPartitionResult[]) => void;
type Task = (done: () => void) => void;

/** What the handler reads and does in the controller. */
export interface ControllerAccess {
  readonly ctx: BrokerContext;
  isActive(): boolean;
  controllerEpoch(): number;
  controllerEpochZkVersion(): number;
  partition(topic: string, partition: number): PartitionInfo | undefined;
  /** The broker's registration (broker epoch) if it is live, shutting down or not; undefined if not live. */
  liveBrokerEpoch(id: number): number | undefined;
  isShuttingDown(id: number): boolean;
  /** UpdateMetadata for these partitions to every live broker (shutting down ones too). */
  sendUpdateMetadata(partitions: readonly PartitionInfo[]): void;
  /** Another controller holds the epoch: resign. */
  lose(): void;
}

export class AlterPartitionHandler {
  /** Answers of requests queued or being written: a resigning controller answers NOT_CONTROLLER. */
  private readonly waiting = new Set<AlterPartitionAnswer>();

  constructor(private readonly c: ControllerAccess) {}

  /** A leader's request, queued as an event (AlterPartitionReceived); `enqueue` is the controller's. */
  receive(request: AlterPartition, answer: AlterPartitionAnswer, enqueue: (task: Task) => void): void {
    this.waiting.add(answer);
    enqueue((done) => this.process(request, answer, done));
  }

  /**
   * The controller resigned: what it had not answered is answered NOT_CONTROLLER, and the leader
   * sends it to the next controller. (Kafka runs queued events after a resignation and answers
   * them so; after a session expiry it drops them unanswered, and the leader waits for its timeout.)
   */
  preempt(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const answer of waiting) answer('NOT_CONTROLLER', []);
  }

  private reply(answer: AlterPartitionAnswer, error: KafkaError, partitions: readonly AlterPartitionResult[]): void {
    if (!this.waiting.delete(answer)) return; // answered already, by a resignation
    answer(error, partitions);
  }

  private process(request: AlterPartition, answer: AlterPartitionAnswer, done: () => void): void {
    const c = this.c;
    if (!c.isActive()) {
      this.reply(answer, 'NOT_CONTROLLER', []);
      return done();
    }
    const brokerEpoch = c.liveBrokerEpoch(request.brokerId);
    if (brokerEpoch === undefined || brokerEpoch !== request.brokerEpoch) {
      // An unknown broker, or an older registration of it (a restarted or expired one).
      this.reply(answer, 'STALE_BROKER_EPOCH', []);
      return done();
    }
    const results = new Map<string, AlterPartitionResult>();
    const writes: { data: AlterPartitionData; p: PartitionInfo }[] = [];
    for (const data of request.partitions) {
      const p = c.partition(data.topic, data.partition);
      const checked = p === undefined ? 'UNKNOWN_TOPIC_OR_PARTITION' : this.check(request.brokerId, data, p);
      if (checked === 'WRITE') writes.push({ data, p: p! });
      else results.set(key(data), checked === 'CURRENT' ? current(p!) : refusal(data, checked));
    }
    let pending = writes.length;
    let controllerMoved = false;
    const written = (): void => {
      if (--pending > 0) return;
      if (controllerMoved) {
        // KafkaZkClient.updateLeaderAndIsr threw ControllerMovedException: the whole request fails.
        this.reply(answer, 'UNKNOWN_SERVER_ERROR', []);
        c.lose();
        return done();
      }
      const known = request.partitions.flatMap((data) => c.partition(data.topic, data.partition) ?? []);
      c.sendUpdateMetadata(known);
      this.reply(answer, 'NONE', request.partitions.map((data) => results.get(key(data))!));
      done();
    };
    if (writes.length === 0) {
      pending = 1;
      return written();
    }
    for (const { data, p } of writes) {
      this.write(request.brokerId, data, (outcome) => {
        if (outcome === 'controller-moved') controllerMoved = true;
        else if (typeof outcome === 'number') {
          // updateLeaderAndIsrCache: the controller's view is what it wrote.
          p.leader = request.brokerId;
          p.leaderEpoch = data.leaderEpoch;
          p.isr = data.newIsr;
          p.zkVersion = outcome;
          p.controllerEpoch = c.controllerEpoch();
          results.set(key(data), current(p));
        } else results.set(key(data), refusal(data, outcome));
        written();
      });
    }
  }

  /**
   * Whether the change may be written, per release line. 2.7 to 3.2: an older leader epoch is
   * FENCED_LEADER_EPOCH; a change already made is answered with the current state; anything else
   * is written at the leader's version (a stale one fails: INVALID_UPDATE_VERSION). From 3.3
   * (KIP-841, KAFKA-14154 and KAFKA-14144): a leader ahead of the controller is told
   * NOT_CONTROLLER, a stale partition epoch is refused before writing, and a new ISR naming a
   * broker that is not live, or is shutting down, is INELIGIBLE_REPLICA.
   */
  private check(brokerId: number, data: AlterPartitionData, p: PartitionInfo): 'WRITE' | 'CURRENT' | Exclude<KafkaError, 'NONE'> {
    const c = this.c;
    const sameState = p.leader === brokerId && p.leaderEpoch === data.leaderEpoch && sameIsr(p.isr, data.newIsr);
    if (!c.ctx.behaviour.ineligibleReplicas) {
      if (data.leaderEpoch < p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
      return sameState ? 'CURRENT' : 'WRITE';
    }
    if (data.zkVersion > p.zkVersion || data.leaderEpoch > p.leaderEpoch) return 'NOT_CONTROLLER';
    if (data.leaderEpoch !== p.leaderEpoch) return 'FENCED_LEADER_EPOCH';
    if (sameState) return 'CURRENT'; // before the partition epoch check, so a retry is answered the same
    if (data.zkVersion !== p.zkVersion) return 'INVALID_UPDATE_VERSION';
    const ineligible = data.newIsr.some((r) => c.liveBrokerEpoch(r) === undefined || c.isShuttingDown(r));
    return ineligible ? 'INELIGIBLE_REPLICA' : 'WRITE';
  }

  /**
   * One partition's write (KafkaZkClient.updateLeaderAndIsr): a multi that checks the controller
   * epoch's version and sets the state at the leader's version. Calls back with the new version,
   * INVALID_UPDATE_VERSION for a stale one, or `controller-moved`.
   */
  private write(brokerId: number, data: AlterPartitionData, then: (outcome: number | 'controller-moved' | Exclude<KafkaError, 'NONE'>) => void): void {
    const c = this.c;
    const zk = c.ctx.zk;
    const epochZkVersion = c.controllerEpochZkVersion();
    const znode: PartitionStateZnode = { version: 1, leader: brokerId, leader_epoch: data.leaderEpoch, isr: [...data.newIsr], controller_epoch: c.controllerEpoch() };
    updateLeaderAndIsr(zk, epochZkVersion, partitionStatePath(data.topic, data.partition), znode, data.zkVersion, (write) => {
      if (write.outcome === 'written') return then(write.zkVersion);
      if (write.outcome === 'controller-moved') return then('controller-moved');
      then(write.code === 'BADVERSION' ? 'INVALID_UPDATE_VERSION' : 'UNKNOWN_SERVER_ERROR');
    });
  }
}

function key(data: { readonly topic: string; readonly partition: number }): string {
  return `${data.topic}-${data.partition}`;
}

/** LeaderAndIsr.equalsIgnoreZk compares ISR lists; ksim keeps ISRs in replica order, so as sets. */
function sameIsr(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((r) => b.includes(r));
}

function current(p: PartitionInfo): AlterPartitionResult {
  return { topic: p.topic, partition: p.partition, error: 'NONE', leader: p.leader, leaderEpoch: p.leaderEpoch, isr: p.isr, zkVersion: p.zkVersion };
}

function refusal(data: AlterPartitionData, error: Exclude<KafkaError, 'NONE'>): AlterPartitionResult {
  return { topic: data.topic, partition: data.partition, error, leader: -1, leaderEpoch: -1, isr: [], zkVersion: -1 };
}
