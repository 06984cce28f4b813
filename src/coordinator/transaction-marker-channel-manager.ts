// Sends a decided transaction's COMMIT or ABORT markers to the leaders of its partitions, and
// writes its CompleteCommit / CompleteAbort once every marker landed (Kafka's
// TransactionMarkerChannelManager and TransactionMarkerRequestCompletionHandler, core/src/main/
// scala/kafka/coordinator/transaction/, 0.11 to 3.9).
//
// Markers are queued per destination broker (the partition's leader in this broker's metadata
// cache) and sent as one WriteTxnMarkers request per broker, one request in flight per broker (the
// sender's NetworkClient allows one per connection). A partition whose leader is known but not
// alive waits in the unknown-broker queue, looked at again at the sender's next poll. A marker
// refused with NOT_LEADER_OR_FOLLOWER (or unanswered) is queued again for the leader then known,
// until it lands. Markers are dropped when this broker no longer coordinates the transaction under
// the same coordinator epoch (its __transaction_state partition moved), or when the leader fences
// them (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED). A partition the metadata does not
// know at all is skipped (deleted). The sender's poll runs when woken (new markers, an answer) and,
// as NetworkClient.poll is bounded by request.timeout.ms, at most that long after the last one
// while markers or Complete records wait.
//
// Dropping a transaction's pending completion (its partition moved, or an answer came for an older
// coordinator epoch) removed it by transactional id before 3.8: an answer of the old epoch could
// remove the entry a newer load had made, and the transaction stayed in PrepareCommit/PrepareAbort
// (KAFKA-16352). From 3.8 only the entry the markers were sent for is removed.
import { invariant } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { TransactionEvent } from '../kafka/events.js';
import type { KafkaMessage, TopicPartitionRef } from '../kafka/protocol.js';
import { tpKey } from '../kafka/records.js';
import type { TransactionMetadata, TxnTransitMetadata } from './transaction-metadata.js';
import type { TransactionStateManager } from './transaction-state-manager.js';

export type TransactionResult = 'COMMIT' | 'ABORT';

/** TransactionMarkerChannelManager.apply builds its NetworkClient with reconnect backoff 50 ms (and 50 ms at most), 0.11 to 3.9. */
const RECONNECT_BACKOFF_MS = 50;
type WriteTxnMarkers = Extract<KafkaMessage, { type: 'WriteTxnMarkers' }>;
export type TxnMarkerEntry = WriteTxnMarkers['markers'][number];
export type WriteTxnMarkersResponse = Extract<KafkaMessage, { type: 'WriteTxnMarkersResponse' }>;

/** A partition's leader as the broker's metadata cache has it (MetadataCache.getPartitionLeaderEndpoint). */
export type LeaderEndpoint = { readonly id: number; readonly node: string } | 'not-alive' | 'unknown-partition';

/** What the channel manager needs of its broker: the metadata cache and the inter-broker request channel. */
export interface MarkerChannel {
  leaderOf(topic: string, partition: number): LeaderEndpoint;
  /** Sends WriteTxnMarkers and calls back with the answer, or null when none came within `timeoutMs` or the connection broke. */
  send(destination: { readonly id: number; readonly node: string }, markers: readonly TxnMarkerEntry[], timeoutMs: number, onResponse: (response: WriteTxnMarkersResponse | null) => void): void;
}

export interface MarkerEnv {
  readonly brokerId: number;
  setTimer(delayMs: number, fn: () => void): () => void;
  nowMs(): number;
  trace(event: TransactionEvent): void;
}

/** A marker to send, with the transaction completion it belongs to (PendingCompleteTxnAndMarkerEntry, 3.8; TxnIdAndMarkerEntry before). */
interface TxnIdAndMarker {
  readonly pending: PendingCompleteTxn;
  readonly marker: TxnMarkerEntry;
}

/** The transaction whose Complete record waits for its markers (PendingCompleteTxn). */
interface PendingCompleteTxn {
  readonly transactionalId: string;
  readonly coordinatorEpoch: number;
  readonly metadata: TransactionMetadata;
  readonly transit: TxnTransitMetadata;
}

/** A destination's queue: markers per __transaction_state partition, so a resigned partition's can be dropped (TxnMarkerQueue). */
class TxnMarkerQueue {
  readonly byTxnPartition = new Map<number, TxnIdAndMarker[]>();

  constructor(public destination: { readonly id: number; readonly node: string } | null) {}

  add(txnPartition: number, entry: TxnIdAndMarker): void {
    const queue = this.byTxnPartition.get(txnPartition) ?? [];
    queue.push(entry);
    this.byTxnPartition.set(txnPartition, queue);
  }

  drain(): TxnIdAndMarker[] {
    const all = [...this.byTxnPartition.keys()].sort((a, b) => a - b).flatMap((p) => this.byTxnPartition.get(p)!);
    this.byTxnPartition.clear();
    return all;
  }

  get size(): number {
    let n = 0;
    for (const q of this.byTxnPartition.values()) n += q.length;
    return n;
  }
}

export class TransactionMarkerChannelManager {
  private readonly queuePerBroker = new Map<number, TxnMarkerQueue>();
  private readonly queueForUnknownBroker = new TxnMarkerQueue(null);
  private readonly inFlight = new Set<number>();
  /** Destinations whose connection failed: not ready again until this time (ms), NetworkClient's reconnect backoff. */
  private readonly backoffUntilMs = new Map<number, number>();
  private readonly backoffTimers = new Set<number>();
  private readonly txnLogAppendRetryQueue: PendingCompleteTxn[] = [];
  private readonly transactionsWithPendingMarkers = new Map<string, PendingCompleteTxn>();
  private pollScheduled = false;
  private cancelBoundedPoll: (() => void) | null = null;

  constructor(
    private readonly txnManager: TransactionStateManager,
    private readonly channel: MarkerChannel,
    private readonly env: MarkerEnv,
    private readonly requestTimeoutMs: number,
    /** KAFKA-16352 (3.8): a dropped completion removes only its own entry, not any of its transactional id. */
    private readonly removeByValue: boolean,
  ) {}

  /** A transaction's Prepare record is written (or was loaded): send its markers, then write `transit` (addTxnMarkersToSend). */
  addTxnMarkersToSend(coordinatorEpoch: number, result: TransactionResult, metadata: TransactionMetadata, transit: TxnTransitMetadata): void {
    const pending: PendingCompleteTxn = { transactionalId: metadata.transactionalId, coordinatorEpoch, metadata, transit };
    this.transactionsWithPendingMarkers.set(metadata.transactionalId, pending);
    this.addTxnMarkersToBrokerQueue(pending, { producerId: metadata.producerId, producerEpoch: metadata.producerEpoch, coordinatorEpoch, transactionResult: result, partitions: metadata.topicPartitions });
    this.maybeWriteTxnCompletion(metadata.transactionalId);
  }

  /** Queues one marker per destination broker for the marker's partitions, and wakes the sender (addTxnMarkersToBrokerQueue). */
  private addTxnMarkersToBrokerQueue(pending: PendingCompleteTxn, marker: TxnMarkerEntry): void {
    this.queueMarkers(pending, marker);
    this.wakeup();
  }

  /**
   * The broker's metadata changed (UpdateMetadata): markers waiting for a live leader are looked at
   * again. Kafka's sender spins on them (each re-queue wakes its poll), so they leave as soon as
   * the metadata cache names a live leader; this hook has the same effect without the spin.
   */
  onMetadataUpdate(): void {
    if (this.queueForUnknownBroker.size > 0) this.wakeup();
  }

  private queueMarkers(pending: PendingCompleteTxn, { producerId, producerEpoch, coordinatorEpoch, transactionResult, partitions }: TxnMarkerEntry): void {
    const txnPartition = this.txnManager.partitionFor(pending.transactionalId);
    const byDestination = new Map<number | 'not-alive' | 'unknown-partition', { node: string; partitions: TopicPartitionRef[] }>();
    for (const tp of partitions) {
      const leader = this.channel.leaderOf(tp.topic, tp.partition);
      const key = typeof leader === 'string' ? leader : leader.id;
      const group = byDestination.get(key) ?? { node: typeof leader === 'string' ? '' : leader.node, partitions: [] };
      group.partitions.push(tp);
      byDestination.set(key, group);
    }
    for (const [destination, { node, partitions: tps }] of byDestination) {
      const marker: TxnMarkerEntry = { producerId, producerEpoch, coordinatorEpoch, transactionResult, partitions: tps };
      if (destination === 'not-alive') this.queueForUnknownBroker.add(txnPartition, { pending, marker });
      else if (destination === 'unknown-partition') this.skipUnknownPartitions(pending, tps);
      else this.addMarkersForBroker({ id: destination, node }, txnPartition, { pending, marker });
    }
  }

  /** The metadata has no such partition (deleted, as Kafka reasons): its marker is not needed. */
  private skipUnknownPartitions(pending: PendingCompleteTxn, partitions: readonly TopicPartitionRef[]): void {
    const { transactionalId, coordinatorEpoch } = pending;
    const state = this.txnManager.getTransactionState(transactionalId);
    if (state.error !== null || state.coordinatorEpoch !== coordinatorEpoch) {
      this.removeMarkersForTxn(pending);
      return this.dropped(transactionalId, coordinatorEpoch, state.error ?? 'coordinator epoch changed');
    }
    invariant(state.metadata !== undefined, () => `transaction ${transactionalId}: coordinated here but not in the cache`);
    for (const tp of partitions) state.metadata.removePartition(tp);
    this.maybeWriteTxnCompletion(transactionalId);
  }

  private addMarkersForBroker(destination: { id: number; node: string }, txnPartition: number, entry: TxnIdAndMarker): void {
    let queue = this.queuePerBroker.get(destination.id);
    if (queue === undefined) {
      queue = new TxnMarkerQueue(destination);
      this.queuePerBroker.set(destination.id, queue);
    }
    queue.destination = destination;
    queue.add(txnPartition, entry);
  }

  /** Every marker landed: the Complete record is written, if this broker still coordinates the transaction (maybeWriteTxnCompletion). */
  maybeWriteTxnCompletion(transactionalId: string): void {
    const pending = this.transactionsWithPendingMarkers.get(transactionalId);
    if (pending === undefined || pending.metadata.topicPartitions.length > 0) return;
    this.transactionsWithPendingMarkers.delete(transactionalId);
    const state = this.txnManager.getTransactionState(transactionalId);
    if (state.error !== null) return this.dropped(transactionalId, pending.coordinatorEpoch, state.error); // the new coordinator or the load completes it
    invariant(state.metadata !== undefined, () => `transaction ${transactionalId}: coordinated here but not in the cache`);
    if (state.coordinatorEpoch !== pending.coordinatorEpoch) return this.dropped(transactionalId, pending.coordinatorEpoch, 'coordinator epoch changed');
    this.tryAppendToLog(pending);
  }

  private tryAppendToLog(pending: PendingCompleteTxn): void {
    this.txnManager.appendTransactionToLog(pending.transactionalId, pending.coordinatorEpoch, pending.transit, (error) => {
      switch (error) {
        case 'NONE':
        case 'NOT_COORDINATOR': // moved away: the new coordinator completes it
        case 'COORDINATOR_LOAD_IN_PROGRESS': // the load completes it
          return;
        case 'COORDINATOR_NOT_AVAILABLE': // not enough replicas, timed out: written again at the next poll
          this.txnLogAppendRetryQueue.push(pending);
          return this.scheduleBoundedPoll();
        default:
          invariant(false, () => `transaction ${pending.transactionalId}: unexpected ${error} writing ${pending.transit.txnState}`);
      }
    }, (error) => error === 'COORDINATOR_NOT_AVAILABLE');
  }

  /** The partition moved away or is loaded again: its queued markers go (removeMarkersForTxnTopicPartition). */
  removeMarkersForTxnTopicPartition(txnPartition: number): void {
    for (const queue of [this.queueForUnknownBroker, ...this.queuePerBroker.values()]) {
      for (const { pending } of queue.byTxnPartition.get(txnPartition) ?? []) this.removeMarkersForTxn(pending);
      queue.byTxnPartition.delete(txnPartition);
    }
  }

  /** Forgets a transaction's pending completion: by its transactional id before 3.8, only this very entry from 3.8 (KAFKA-16352). */
  private removeMarkersForTxn(pending: PendingCompleteTxn): void {
    if (!this.removeByValue || this.transactionsWithPendingMarkers.get(pending.transactionalId) === pending) this.transactionsWithPendingMarkers.delete(pending.transactionalId);
  }

  /** Transactions whose markers are out (for tests). */
  get pendingTransactions(): string[] {
    return [...this.transactionsWithPendingMarkers.keys()];
  }

  /** Markers queued and not yet sent, per destination broker id ('unknown' for the leaderless). */
  queuedMarkers(): Record<string, number> {
    const sizes: Record<string, number> = { unknown: this.queueForUnknownBroker.size };
    for (const [id, queue] of this.queuePerBroker) sizes[String(id)] = queue.size;
    return sizes;
  }

  // ---- the sender (InterBrokerSendThread) ---------------------------------------------------

  private wakeup(): void {
    if (this.pollScheduled) return;
    this.pollScheduled = true;
    this.env.setTimer(0, () => {
      this.pollScheduled = false;
      this.pollOnce();
    });
  }

  /** NetworkClient.poll waits at most request.timeout.ms: the unknown-broker queue and the retried writes are looked at then. */
  private scheduleBoundedPoll(): void {
    if (this.cancelBoundedPoll !== null) return;
    this.cancelBoundedPoll = this.env.setTimer(this.requestTimeoutMs, () => {
      this.cancelBoundedPoll = null;
      this.pollOnce();
    });
  }

  /** generateRequests: retry the Complete writes, re-route the leaderless markers, send a request to each free destination. */
  private pollOnce(): void {
    const retries = this.txnLogAppendRetryQueue.splice(0);
    for (const pending of retries) this.tryAppendToLog(pending);
    for (const { pending, marker } of this.queueForUnknownBroker.drain()) this.queueMarkers(pending, marker);
    const now = this.env.nowMs();
    for (const [id, queue] of [...this.queuePerBroker].sort(([a], [b]) => a - b)) {
      if (this.inFlight.has(id) || queue.size === 0 || queue.destination === null) continue;
      const readyAt = this.backoffUntilMs.get(id) ?? 0;
      if (readyAt > now) {
        if (!this.backoffTimers.has(id)) {
          this.backoffTimers.add(id);
          this.env.setTimer(readyAt - now, () => {
            this.backoffTimers.delete(id);
            this.wakeup();
          });
        }
        continue;
      }
      this.sendTo(queue.destination, queue.drain());
    }
    if (this.queueForUnknownBroker.size > 0 || this.txnLogAppendRetryQueue.length > 0) this.scheduleBoundedPoll();
  }

  private sendTo(destination: { id: number; node: string }, entries: TxnIdAndMarker[]): void {
    this.inFlight.add(destination.id);
    for (const { pending, marker } of entries) {
      this.env.trace({
        kind: 'txn.markers-sent', broker: this.env.brokerId, destination: destination.id, transactionalId: pending.transactionalId, producerId: marker.producerId,
        producerEpoch: marker.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch, result: marker.transactionResult, partitions: marker.partitions.map((tp) => tpKey(tp.topic, tp.partition)),
      });
    }
    this.channel.send(destination, entries.map((e) => e.marker), this.requestTimeoutMs, (response) => {
      this.inFlight.delete(destination.id);
      // A failed connection is not tried again before reconnect.backoff.ms (the marker sender's NetworkClient: 50 ms).
      if (response === null) this.backoffUntilMs.set(destination.id, this.env.nowMs() + RECONNECT_BACKOFF_MS);
      this.onComplete(destination.id, entries, response);
      this.wakeup();
    });
  }

  // ---- answers (TransactionMarkerRequestCompletionHandler) ------------------------------------

  private onComplete(destination: number, entries: readonly TxnIdAndMarker[], response: WriteTxnMarkersResponse | null): void {
    for (const { pending, marker } of entries) {
      const { transactionalId } = pending;
      const state = this.txnManager.getTransactionState(transactionalId);
      if (state.error !== null) {
        this.removeMarkersForTxn(pending);
        this.dropped(transactionalId, marker.coordinatorEpoch, state.error);
        continue;
      }
      invariant(state.metadata !== undefined, () => `transaction ${transactionalId}: coordinated here but not in the cache`);
      if (state.coordinatorEpoch !== marker.coordinatorEpoch) {
        this.removeMarkersForTxn(pending);
        this.dropped(transactionalId, marker.coordinatorEpoch, 'coordinator epoch changed');
        continue;
      }
      if (response === null) {
        // Disconnected or timed out: all of them again, to the leaders known now.
        this.answered(destination, transactionalId, marker, [], marker.partitions.map((tp) => [tpKey(tp.topic, tp.partition), 'disconnected']));
        this.addTxnMarkersToBrokerQueue(pending, marker);
        continue;
      }
      this.onMarkerAnswer(destination, pending, marker, state.metadata, response);
    }
  }

  private onMarkerAnswer(destination: number, pending: PendingCompleteTxn, marker: TxnMarkerEntry, metadata: TransactionMetadata, response: WriteTxnMarkersResponse): void {
    const { transactionalId } = pending;
    const errors = response.markers.find((m) => m.producerId === marker.producerId);
    invariant(errors !== undefined, () => `WriteTxnMarkersResponse from broker ${destination} has no errors for producer id ${marker.producerId}`);
    const written: string[] = [];
    const retry: TopicPartitionRef[] = [];
    const retried: [string, string][] = [];
    for (const tp of marker.partitions) {
      const error: KafkaError = errors.partitions.find((p) => p.topic === tp.topic && p.partition === tp.partition)?.error ?? 'UNKNOWN_SERVER_ERROR';
      switch (error) {
        case 'NONE':
          metadata.removePartition(tp);
          written.push(tpKey(tp.topic, tp.partition));
          break;
        case 'UNKNOWN_TOPIC_OR_PARTITION':
        case 'NOT_LEADER_OR_FOLLOWER':
        case 'NOT_ENOUGH_REPLICAS':
        case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
        case 'REQUEST_TIMED_OUT':
          retry.push(tp);
          retried.push([tpKey(tp.topic, tp.partition), error]);
          break;
        case 'INVALID_PRODUCER_EPOCH':
        case 'TRANSACTION_COORDINATOR_FENCED':
          // The producer or the coordinator moved on: this transaction's markers are obsolete.
          this.answered(destination, transactionalId, marker, written, retried);
          this.removeMarkersForTxn(pending);
          return this.dropped(transactionalId, marker.coordinatorEpoch, error);
        default:
          invariant(false, () => `transaction ${transactionalId}: unexpected ${error} writing its marker to ${tpKey(tp.topic, tp.partition)}`);
      }
    }
    this.answered(destination, transactionalId, marker, written, retried);
    if (retry.length > 0) this.addTxnMarkersToBrokerQueue(pending, { ...marker, partitions: retry });
    else this.maybeWriteTxnCompletion(transactionalId);
  }

  private answered(destination: number, transactionalId: string, marker: TxnMarkerEntry, written: string[], retried: [string, string][]): void {
    this.env.trace({ kind: 'txn.markers-answered', broker: this.env.brokerId, destination, transactionalId, result: marker.transactionResult, written, retried });
  }

  private dropped(transactionalId: string, coordinatorEpoch: number, reason: string): void {
    this.env.trace({ kind: 'txn.markers-dropped', broker: this.env.brokerId, transactionalId, coordinatorEpoch, reason });
  }
}
