// One transactional id's state at its coordinator (Kafka's TransactionMetadata, core/src/main/
// scala/kafka/coordinator/transaction/TransactionMetadata.scala, 0.11.0 to 3.9): the producer id
// and epoch in use, the state of its transaction and the partitions in it. A change is first
// prepared (a TxnTransitMetadata, the state marked pending so no other change starts), written to
// __transaction_state, and completed only once the record is replicated. Kafka throws
// IllegalStateException on an invalid transition; here that is a broken invariant (a simulator bug).
import { invariant } from '../../sim/index.js';
import type { TopicPartitionRef } from '../kafka/protocol.js';
import { tpKey } from '../kafka/records.js';
import type { TransactionLogValue, TransactionState } from '../kafka/transaction-log.js';

export type { TransactionState } from '../kafka/transaction-log.js';

export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Java's Short.MAX_VALUE: epochs are int16. */
export const SHORT_MAX = 32767;

/** The states each state may be reached from (TransactionMetadata.validPreviousStates; the same from 0.11 to 3.9). */
export const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  Empty: ['Empty', 'CompleteCommit', 'CompleteAbort'],
  Ongoing: ['Ongoing', 'Empty', 'CompleteCommit', 'CompleteAbort'],
  PrepareCommit: ['Ongoing'],
  PrepareAbort: ['Ongoing', 'PrepareEpochFence'],
  CompleteCommit: ['PrepareCommit'],
  CompleteAbort: ['PrepareAbort'],
  Dead: ['Empty', 'CompleteAbort', 'CompleteCommit'],
  PrepareEpochFence: ['Ongoing'],
};

export function isValidTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** No epoch equal to Short.MAX_VALUE is handed out, so the coordinator can always fence one more time. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= SHORT_MAX - 1;
}

/** The target of a prepared change (TxnTransitMetadata): immutable, written to the log as is. */
export interface TxnTransitMetadata {
  readonly producerId: number;
  readonly lastProducerId: number;
  readonly producerEpoch: number;
  readonly lastProducerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnState: TransactionState;
  readonly topicPartitions: readonly TopicPartitionRef[];
  readonly txnStartTimestamp: number;
  readonly txnLastUpdateTimestamp: number;
}

/** A failure to prepare a change, as the coordinator answers it. */
export type PrepareError = 'PRODUCER_FENCED' | 'INVALID_PRODUCER_EPOCH';

export class TransactionMetadata {
  /** The state a prepared change is going to; while set, no other change may start. */
  pendingState: TransactionState | null = null;
  /**
   * KAFKA-9666 (2.6): a fence whose log append failed already bumped the epoch in memory; the
   * next fence does not bump it again (that epoch was never returned to anyone).
   */
  hasFailedEpochFence = false;
  private readonly partitions = new Map<string, TopicPartitionRef>();

  constructor(
    readonly transactionalId: string,
    public producerId: number,
    public lastProducerId: number,
    public producerEpoch: number,
    public lastProducerEpoch: number,
    public txnTimeoutMs: number,
    public state: TransactionState,
    public txnStartTimestamp: number,
    public txnLastUpdateTimestamp: number,
  ) {}

  /** A transaction as its last record in __transaction_state left it (TransactionLog.readTxnRecordValue). */
  static fromLog(value: TransactionLogValue): TransactionMetadata {
    const metadata = new TransactionMetadata(value.transactionalId, value.producerId, NO_PRODUCER_ID, value.producerEpoch, NO_PRODUCER_EPOCH,
      value.txnTimeoutMs, value.state, value.txnStartTimestampMs, value.txnLastUpdateTimestampMs);
    if (value.state !== 'Empty') metadata.addPartitions(value.partitions);
    return metadata;
  }

  get topicPartitions(): TopicPartitionRef[] {
    return [...this.partitions.values()];
  }

  hasPartition(tp: TopicPartitionRef): boolean {
    return this.partitions.has(tpKey(tp.topic, tp.partition));
  }

  get pendingTransitionInProgress(): boolean {
    return this.pendingState !== null;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  /** A marker landed: its partition is done (only while the markers of PrepareCommit/PrepareAbort are out). */
  removePartition(tp: TopicPartitionRef): void {
    invariant(this.state === 'PrepareCommit' || this.state === 'PrepareAbort',
      () => `transaction ${this.transactionalId}: a marker of ${tpKey(tp.topic, tp.partition)} landed in state ${this.state} (pending ${this.pendingState})`);
    this.partitions.delete(tpKey(tp.topic, tp.partition));
  }

  // ---- preparing changes -------------------------------------------------------------------

  /** Bumps the epoch to fence the producer of an Ongoing transaction, which is then aborted (never returned to a client). */
  prepareFenceProducerEpoch(): TxnTransitMetadata {
    invariant(this.producerEpoch < SHORT_MAX, () => `transaction ${this.transactionalId}: cannot fence epoch ${this.producerEpoch}`);
    const bumped = this.hasFailedEpochFence ? this.producerEpoch : this.producerEpoch + 1;
    return this.prepareTransitionTo('PrepareEpochFence', this.producerId, bumped, NO_PRODUCER_EPOCH, this.txnTimeoutMs, this.topicPartitions, this.txnStartTimestamp, this.txnLastUpdateTimestamp);
  }

  /**
   * InitProducerId on an id without an open transaction: the next epoch. From 2.5 (KIP-360) a
   * producer may pass the epoch it has: the current one is bumped, the previous one (a retry
   * whose answer was lost) gets the current one again, any other is fenced. `expectedEpoch`
   * null: none was passed (every producer before 2.5, and a new producer after).
   */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedEpoch: number | null, nowMs: number, fencedError: PrepareError): TxnTransitMetadata | PrepareError {
    invariant(!this.isProducerEpochExhausted, () => `transaction ${this.transactionalId}: no epoch left after ${this.producerEpoch} for producer id ${this.producerId}`);
    const bumped = this.producerEpoch + 1; // a new producer: -1 + 1 = 0
    let next: [epoch: number, lastEpoch: number];
    if (expectedEpoch === null) next = [bumped, NO_PRODUCER_EPOCH];
    else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedEpoch === this.producerEpoch) next = [bumped, this.producerEpoch];
    else if (expectedEpoch === this.lastProducerEpoch) next = [this.producerEpoch, this.lastProducerEpoch];
    else return fencedError;
    return this.prepareTransitionTo('Empty', this.producerId, next[0], next[1], newTxnTimeoutMs, [], -1, nowMs);
  }

  /** Epochs exhausted: a new producer id at epoch 0 (the last epoch kept when the producer passed its own, KIP-360). */
  prepareProducerIdRotation(newProducerId: number, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TxnTransitMetadata {
    invariant(!this.hasPendingTransaction, () => `transaction ${this.transactionalId}: cannot rotate producer ids in state ${this.state}`);
    return this.prepareTransitionTo('Empty', newProducerId, 0, recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH, newTxnTimeoutMs, [], -1, nowMs);
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing, started now unless it already was. */
  prepareAddPartitions(added: readonly TopicPartitionRef[], nowMs: number): TxnTransitMetadata {
    const starts = this.state === 'Empty' || this.state === 'CompleteAbort' || this.state === 'CompleteCommit';
    const partitions = new Map(this.partitions);
    for (const tp of added) partitions.set(tpKey(tp.topic, tp.partition), tp);
    return this.prepareTransitionTo('Ongoing', this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [...partitions.values()], starts ? nowMs : this.txnStartTimestamp, nowMs);
  }

  prepareAbortOrCommit(newState: 'PrepareCommit' | 'PrepareAbort', nowMs: number): TxnTransitMetadata {
    return this.prepareTransitionTo(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, this.topicPartitions, this.txnStartTimestamp, nowMs);
  }

  /** Every marker landed: CompleteCommit or CompleteAbort, with no partitions. */
  prepareComplete(nowMs: number): TxnTransitMetadata {
    invariant(this.state === 'PrepareCommit' || this.state === 'PrepareAbort', () => `transaction ${this.transactionalId}: completing in state ${this.state}`);
    const newState = this.state === 'PrepareCommit' ? 'CompleteCommit' : 'CompleteAbort';
    // The Prepare record is written: a fence that failed earlier is now behind us.
    this.hasFailedEpochFence = false;
    return this.prepareTransitionTo(newState, this.producerId, this.producerEpoch, this.lastProducerEpoch, this.txnTimeoutMs, [], this.txnStartTimestamp, nowMs);
  }

  private get hasPendingTransaction(): boolean {
    return this.state === 'Ongoing' || this.state === 'PrepareAbort' || this.state === 'PrepareCommit';
  }

  private prepareTransitionTo(
    newState: TransactionState, newProducerId: number, newEpoch: number, newLastEpoch: number, newTxnTimeoutMs: number,
    newTopicPartitions: readonly TopicPartitionRef[], newTxnStartTimestamp: number, updateTimestamp: number,
  ): TxnTransitMetadata {
    invariant(this.pendingState === null, () => `transaction ${this.transactionalId}: preparing ${newState} while ${this.pendingState} is pending`);
    invariant(newProducerId >= 0 && newEpoch >= 0, () => `transaction ${this.transactionalId}: illegal producer id ${newProducerId} / epoch ${newEpoch} for ${newState}`);
    invariant(isValidTransition(this.state, newState), () => `transaction ${this.transactionalId}: ${this.state} → ${newState} is not a valid transition`);
    this.pendingState = newState;
    return {
      producerId: newProducerId, lastProducerId: this.producerId, producerEpoch: newEpoch, lastProducerEpoch: newLastEpoch, txnTimeoutMs: newTxnTimeoutMs,
      txnState: newState, topicPartitions: newTopicPartitions, txnStartTimestamp: newTxnStartTimestamp, txnLastUpdateTimestamp: updateTimestamp,
    };
  }

  // ---- completing a change, once its record is replicated ------------------------------------

  /** The prepared change is in the log: the metadata takes it (TransactionMetadata.completeTransitionTo). */
  completeTransitionTo(transit: TxnTransitMetadata): void {
    const toState = this.pendingState;
    const fail = (): string => `transaction ${this.transactionalId}: ${this.state} (epoch ${this.producerEpoch}) cannot complete the transition to ${JSON.stringify(transit)}`;
    invariant(toState !== null && toState === transit.txnState, fail);
    switch (toState) {
      case 'Empty': // InitProducerId
        invariant((this.producerEpoch === transit.producerEpoch || this.validProducerEpochBump(transit)) && transit.topicPartitions.length === 0 && transit.txnStartTimestamp === -1, fail);
        this.txnTimeoutMs = transit.txnTimeoutMs;
        this.producerEpoch = transit.producerEpoch;
        this.lastProducerEpoch = transit.lastProducerEpoch;
        this.producerId = transit.producerId;
        this.lastProducerId = transit.lastProducerId;
        break;
      case 'Ongoing': // AddPartitionsToTxn
        invariant(this.validProducerEpoch(transit) && this.topicPartitions.every((tp) => transit.topicPartitions.some((t) => t.topic === tp.topic && t.partition === tp.partition)) && this.txnTimeoutMs === transit.txnTimeoutMs, fail);
        this.txnStartTimestamp = transit.txnStartTimestamp;
        this.addPartitions(transit.topicPartitions);
        break;
      case 'PrepareCommit':
      case 'PrepareAbort': // EndTxn
        invariant(this.validProducerEpoch(transit) && sameSet(this.topicPartitions, transit.topicPartitions) && this.txnTimeoutMs === transit.txnTimeoutMs && this.txnStartTimestamp === transit.txnStartTimestamp, fail);
        break;
      case 'CompleteCommit':
      case 'CompleteAbort': // the markers landed
        invariant(this.validProducerEpoch(transit) && this.txnTimeoutMs === transit.txnTimeoutMs && transit.txnStartTimestamp !== -1, fail);
        this.txnStartTimestamp = transit.txnStartTimestamp;
        this.partitions.clear();
        break;
      case 'PrepareEpochFence': // never written: the fence becomes a PrepareAbort first
      case 'Dead': // transactional id expiry is not modelled
        invariant(false, fail);
    }
    this.txnLastUpdateTimestamp = transit.txnLastUpdateTimestamp;
    this.pendingState = null;
    this.state = toState;
  }

  private addPartitions(partitions: readonly TopicPartitionRef[]): void {
    for (const tp of partitions) this.partitions.set(tpKey(tp.topic, tp.partition), tp);
  }

  private validProducerEpoch(transit: TxnTransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpoch && transit.producerId === this.producerId;
  }

  private validProducerEpochBump(transit: TxnTransitMetadata): boolean {
    return transit.producerEpoch === this.producerEpoch + 1 || (transit.producerEpoch === 0 && transit.producerId !== this.producerId);
  }
}

function sameSet(a: readonly TopicPartitionRef[], b: readonly TopicPartitionRef[]): boolean {
  const keys = new Set(a.map((tp) => tpKey(tp.topic, tp.partition)));
  return a.length === b.length && b.every((tp) => keys.has(tpKey(tp.topic, tp.partition)));
}

/** The record a change writes (TransactionLog.valueToBytes): no partitions in Empty. */
export function transactionLogValue(transactionalId: string, transit: TxnTransitMetadata): TransactionLogValue {
  invariant(transit.txnState !== 'Empty' || transit.topicPartitions.length === 0, () => `transaction ${transactionalId}: Empty with partitions`);
  return {
    kind: 'transaction', transactionalId, producerId: transit.producerId, producerEpoch: transit.producerEpoch, txnTimeoutMs: transit.txnTimeoutMs,
    state: transit.txnState, partitions: transit.topicPartitions, txnLastUpdateTimestampMs: transit.txnLastUpdateTimestamp, txnStartTimestampMs: transit.txnStartTimestamp,
  };
}
