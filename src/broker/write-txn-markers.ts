// WriteTxnMarkers on a partition leader (KafkaApis.handleWriteTxnMarkersRequest, 0.11 to 3.9):
// the transaction coordinator has this broker end a transaction in each partition it leads by
// appending a COMMIT or ABORT marker, a control batch of one record, with acks=all and the
// broker's request.timeout.ms (ReplicaManager.appendRecords, requiredAcks -1, AppendOrigin
// Coordinator). The producer state checks the marker: an older producer epoch is
// INVALID_PRODUCER_EPOCH, a coordinator epoch older than the producer's last marker's is
// TRANSACTION_COORDINATOR_FENCED. Each partition is answered once the ISR has its marker (or
// why not); the response goes when every marker's appends are answered.
import type { KafkaError } from '../kafka/errors.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { controlBatch, type RecordBatch } from '../kafka/records.js';
import type { BrokerContext } from './context.js';
import type { ProduceResult } from './delayed-produce.js';
import type { AppendOrigin } from './producer-state.js';
import type { AppendOutcome, HostedPartition } from './replica-manager.js';

type WriteTxnMarkers = Extract<KafkaMessage, { type: 'WriteTxnMarkers' }>;
type Marker = WriteTxnMarkers['markers'][number];
type MarkerAnswer = { producerId: number; partitions: { topic: string; partition: number; error: KafkaError }[] };
type Wait = { index: number; hosted: HostedPartition; requiredOffset: number };

/**
 * A marker is in the partition's log and replicated to the ISR (its append answered NONE).
 * Kafka then has the group coordinator complete the transaction's offsets for each such
 * __consumer_offsets partition (scheduleHandleTxnCompletion, 0.11-3.4; onTransactionCompleted, 3.5+).
 */
export type MarkerWritten = (topic: string, partition: number, producerId: number, result: 'COMMIT' | 'ABORT') => void;

/** What the markers need of the replica manager: its partitions, a leader's acks=all append, and the produce purgatory. */
export interface MarkerAppends {
  get(topic: string, partition: number): HostedPartition | undefined;
  appendToLeader(hosted: HostedPartition, batch: RecordBatch, origin: AppendOrigin): AppendOutcome;
  delayProduce(results: ProduceResult[], waits: readonly Wait[], timeoutMs: number, onComplete: (results: readonly ProduceResult[]) => void): void;
}

const NOT_LEADER: AppendOutcome = { error: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1 };
const UNKNOWN_PARTITION: AppendOutcome = { error: 'UNKNOWN_TOPIC_OR_PARTITION', baseOffset: -1 };

/**
 * Appends each marker to each partition it names: one with no log on this broker is
 * UNKNOWN_TOPIC_OR_PARTITION (ReplicaManager.getMagic is None); on a follower,
 * NOT_LEADER_OR_FOLLOWER; a refusal of the producer state or the ISR (NOT_ENOUGH_REPLICAS) is
 * that partition's answer. The appended ones wait for the ISR: NONE, or NOT_ENOUGH_REPLICAS_AFTER_APPEND,
 * NOT_LEADER_OR_FOLLOWER (leadership lost), REQUEST_TIMED_OUT.
 */
export function writeTxnMarkers(ctx: BrokerContext, appends: MarkerAppends, from: string, request: WriteTxnMarkers, onMarkerWritten: MarkerWritten | null): void {
  const answers: MarkerAnswer[] = request.markers.map((marker) => ({ producerId: marker.producerId, partitions: [] }));
  let pending = request.markers.length;
  const respond = (): void => ctx.env.send(from, { type: 'WriteTxnMarkersResponse', correlationId: request.correlationId, markers: answers });
  if (pending === 0) return respond();
  request.markers.forEach((marker, i) => {
    const results: ProduceResult[] = [];
    const waits: Wait[] = [];
    for (const { topic, partition } of marker.partitions) {
      const hosted = appends.get(topic, partition);
      const outcome = hosted === undefined ? UNKNOWN_PARTITION : hosted.partition.isLeader ? appendMarker(ctx, appends, hosted, marker) : NOT_LEADER;
      results.push({ topic, partition, error: outcome.error, baseOffset: outcome.baseOffset });
      if (outcome.error === 'NONE') waits.push({ index: results.length - 1, hosted: hosted!, requiredOffset: outcome.requiredOffset! });
    }
    // The marker's appends are answered (maybeSendResponseCallback): the hook hears the replicated ones.
    const done = (partitions: readonly ProduceResult[]): void => {
      const answer = answers[i]!.partitions;
      for (const { topic, partition, error } of partitions) {
        answer.push({ topic, partition, error });
        if (error === 'NONE' && onMarkerWritten !== null) onMarkerWritten(topic, partition, marker.producerId, marker.transactionResult);
      }
      pending -= 1;
      if (pending === 0) respond();
    };
    if (waits.length === 0) return done(results);
    appends.delayProduce(results, waits, ctx.settings.requestTimeoutMs, done);
  });
}

/** A leader appends one marker (MemoryRecords.withEndTransactionMarker) and tells the trace what came of it. */
function appendMarker(ctx: BrokerContext, appends: MarkerAppends, hosted: HostedPartition, marker: Marker): AppendOutcome {
  const { producerId, producerEpoch, coordinatorEpoch, transactionResult } = marker;
  const outcome = appends.appendToLeader(hosted, controlBatch(producerId, producerEpoch, { type: transactionResult, coordinatorEpoch }), 'coordinator');
  const p = hosted.partition;
  ctx.trace({
    kind: 'txn.marker', broker: ctx.id, topic: p.topic, partition: p.partition, producerId, producerEpoch,
    result: transactionResult, coordinatorEpoch, offset: outcome.baseOffset, error: outcome.error,
  });
  return outcome;
}
