// SubscriptionState (clients/consumer/internals/SubscriptionState.java, read at 2.8.2): the
// topic the consumer subscribed to with its rebalance listener, the partitions the group gave
// it and, per partition (TopicPartitionState), the fetch position, the leader epoch that goes
// with it, whether it is being looked up (awaiting a committed offset or a reset) or validated
// (KIP-320), and what the Fetcher holds of it. It sends nothing: the coordinator and the
// Fetcher move it. ksim's groups read one topic, so a partition is its number.
import type { RecordBatch } from '../../kafka/records.js';

/** ConsumerRebalanceListener: the application hears what the group gave it and took away. */
export interface ConsumerRebalanceListener {
  /** Before a rebalance (eager), or for the partitions a cooperative one takes away. */
  onPartitionsRevoked(partitions: readonly number[]): void;
  /** The generation was lost (the member was fenced or timed out): another may already own them. */
  onPartitionsLost(partitions: readonly number[]): void;
  /** After every SyncGroup, with the partitions newly given (maybe none: Kafka calls it anyway from 2.4). */
  onPartitionsAssigned(partitions: readonly number[]): void;
}

/** An assigned partition (SubscriptionState's TopicPartitionState) and its fetched records. */
export interface TopicPartitionState {
  readonly partition: number;
  /** The next offset poll() returns; null until found (committed offset or auto.offset.reset). */
  position: number | null;
  /** An OffsetFetch or a ListOffsets for it is in flight (FetchStates INITIALIZING / AWAIT_RESET). */
  lookingUp: boolean;
  fetching: boolean;
  /**
   * A fetch answer not yet all consumed by poll() (Fetcher's CompletedFetch): the batches it may
   * return (control batches and, under read_committed, aborted ones left out), from batchIndex
   * on, records from the position on; fetchedEnd is where the position moves once they are all
   * returned (the offset after the answer's last batch, returned or not), -1 when nothing is buffered.
   */
  batches: readonly RecordBatch[];
  batchIndex: number;
  fetchedEnd: number;
  /** The leader epoch of the answer's last batch: the position's once it moves to fetchedEnd. */
  fetchedEndEpoch: number;
  highWatermark: number;
  /** The last fetch answer's last stable offset (0.11+, Fetch v4); -1 when the answer carried none. */
  lastStableOffset: number;
  /** Bumped whenever the position is set from outside the fetch path: answers to older fetches are dropped. */
  epoch: number;
  /** The leader epoch of the record before the position (the last one returned, or the committed offset's); -1 unknown. */
  positionEpoch: number;
  /** The leader epoch the position was last checked against (KIP-320); a newer leader epoch means validating it first. */
  validatedEpoch: number;
  /** An OffsetsForLeaderEpoch for it is in flight (FetchStates AWAIT_VALIDATION). */
  validating: boolean;
}

export type PositionSource = 'committed' | 'reset-earliest' | 'reset-latest' | 'truncation-detected';
export type PositionReason = 'committed' | 'no-committed-offset' | 'out-of-range' | 'log-truncation';

const NO_LISTENER: ConsumerRebalanceListener = { onPartitionsRevoked() {}, onPartitionsLost() {}, onPartitionsAssigned() {} };

export class SubscriptionState {
  /** The subscribed topic ('' before subscribe). */
  topic = '';
  listener: ConsumerRebalanceListener = NO_LISTENER;
  /** In assignment order: the order fetches, poll() and commits walk them. */
  private readonly assignment = new Map<number, TopicPartitionState>();

  constructor(
    /** Told every position set from outside the fetch path (a committed offset, a reset, a truncation), after it is set. */
    private readonly onSeek: (state: TopicPartitionState, source: PositionSource, reason: PositionReason) => void,
  ) {}

  subscribe(topic: string, listener: ConsumerRebalanceListener): void {
    this.topic = topic;
    this.listener = listener;
  }

  get size(): number {
    return this.assignment.size;
  }

  /** The assigned partitions' states, in assignment order. */
  states(): IterableIterator<TopicPartitionState> {
    return this.assignment.values();
  }

  assignedPartitions(): number[] {
    return [...this.assignment.keys()];
  }

  isAssigned(partition: number): boolean {
    return this.assignment.has(partition);
  }

  stateOf(partition: number): TopicPartitionState | undefined {
    return this.assignment.get(partition);
  }

  /** Still this partition's state: not revoked (and maybe assigned again) since a request about it was sent. */
  isCurrent(state: TopicPartitionState): boolean {
    return this.assignment.get(state.partition) === state;
  }

  /** assignFromSubscribed, for partitions newly given: no position yet. */
  assign(partition: number): void {
    this.assignment.set(partition, newState(partition));
  }

  remove(partitions: readonly number[]): void {
    for (const partition of partitions) this.assignment.delete(partition);
  }

  /** Partitions with no position and no lookup in flight (initializingPartitions). */
  missingPositions(): TopicPartitionState[] {
    return [...this.assignment.values()].filter((s) => s.position === null && !s.lookingUp);
  }

  /**
   * seekUnvalidated / seekValidated: a position set from outside the fetch path. What was
   * buffered is dropped, and answers to fetches sent before are ignored (the epoch moves on).
   * validatedEpoch: the leader epoch it is known good against (-1: validate it first, KIP-320).
   */
  seek(state: TopicPartitionState, offset: number, leaderEpoch: number, validatedEpoch: number, source: PositionSource, reason: PositionReason): void {
    state.position = offset;
    state.positionEpoch = leaderEpoch;
    state.validatedEpoch = validatedEpoch;
    state.batches = [];
    state.batchIndex = 0;
    state.fetchedEnd = -1;
    state.epoch += 1;
    this.onSeek(state, source, reason);
  }

  /** allConsumed: every assigned partition's position, where it has one; what a commit of "everything consumed" stores. */
  allConsumed(): [number, number][] {
    const positions: [number, number][] = [];
    for (const state of this.assignment.values()) if (state.position !== null) positions.push([state.partition, state.position]);
    return positions;
  }
}

function newState(partition: number): TopicPartitionState {
  return { partition, position: null, lookingUp: false, fetching: false, batches: [], batchIndex: 0, fetchedEnd: -1, fetchedEndEpoch: -1, highWatermark: -1, lastStableOffset: -1, epoch: 0, positionEpoch: -1, validatedEpoch: -1, validating: false };
}
