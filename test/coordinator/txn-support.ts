// The transaction coordinator alone, on a process `b1` whose __transaction_state log and marker
// channel are test doubles: the test decides when b1 gains or loses a partition, what the appends
// answer, who leads each partition, and how each WriteTxnMarkers is answered.
import type { BrokerContext } from '../../src/broker/context.js';
import { transactionSettings } from '../../src/coordinator/transaction-config.js';
import { TransactionCoordinator } from '../../src/coordinator/transaction-coordinator.js';
import type { LeaderEndpoint, TxnMarkerEntry, WriteTxnMarkersResponse } from '../../src/coordinator/transaction-marker-channel-manager.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { KafkaMessage, TopicPartitionRef } from '../../src/kafka/protocol.js';
import { tpKey, type RecordBatch } from '../../src/kafka/records.js';
import type { TransactionLogValue } from '../../src/kafka/transaction-log.js';
import type { KafkaConfig } from '../../src/scenario/types.js';
import { Harness, MS, type TestClient } from './support.js';

export const TXN_ID = 'tx-1';
export const ORDERS_0 = { topic: 'orders', partition: 0 };
export const ORDERS_1 = { topic: 'orders', partition: 1 };
export const ORDERS_2 = { topic: 'orders', partition: 2 };

type Response = Extract<KafkaMessage, { correlationId: number }>;

/** One WriteTxnMarkers the coordinator sent, waiting for the test to answer it. */
export interface SentMarkers {
  readonly destination: number;
  readonly markers: readonly TxnMarkerEntry[];
  answered: boolean;
  answer(errorOf?: (tp: TopicPartitionRef) => KafkaError): void;
  /** No answer: the connection broke (or the request timed out). */
  disconnect(): void;
}

export class BareTxnCoordinator extends Harness {
  coordinator!: TransactionCoordinator;
  /** __transaction_state partition 0's log (the only partition: transaction.state.log.num.partitions 1). */
  readonly batches: RecordBatch[] = [];
  /** What the next appends answer, 2 ms after they are made. */
  appendError: KafkaError = 'NONE';
  /** Leaders by `t-p`; partitions not listed are led by broker (p % 3) + 1. */
  readonly leaders = new Map<string, LeaderEndpoint>();
  readonly sent: SentMarkers[] = [];
  private nextProducerId = 1000;

  constructor(profile = '3.9', config: KafkaConfig = {}) {
    super();
    this.world.spawn('b1', (env) => {
      const ctx = { id: 1, node: 'b1', env, trace: (event: never, keep = true) => env.trace(event, keep) } as unknown as BrokerContext;
      const settings = transactionSettings({ 'transaction.state.log.num.partitions': 1, ...config }, profile);
      this.coordinator = new TransactionCoordinator(ctx, settings, {
        read: () => this.batches,
        append: (_partition, records, _timeoutMs, onComplete) => {
          const error = this.appendError;
          env.setTimer(2 * MS, () => {
            if (error !== 'NONE') return onComplete(error);
            const baseOffset = this.batches.reduce((n, b) => n + b.records.length, 0);
            this.batches.push({ baseOffset, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, records });
            onComplete('NONE');
          });
        },
      }, {
        leaderOf: (topic, partition) => this.leaders.get(tpKey(topic, partition)) ?? { id: (partition % 3) + 1, node: `b${(partition % 3) + 1}` },
        send: (destination, markers, _timeoutMs, onResponse) => {
          const sent: SentMarkers = {
            destination: destination.id,
            markers,
            answered: false,
            answer: (errorOf = () => 'NONE') => {
              sent.answered = true;
              const response: WriteTxnMarkersResponse = {
                type: 'WriteTxnMarkersResponse', correlationId: 0,
                markers: markers.map((m) => ({ producerId: m.producerId, partitions: m.partitions.map((tp) => ({ ...tp, error: errorOf(tp) })) })),
              };
              env.setTimer(MS, () => onResponse(response));
            },
            disconnect: () => {
              sent.answered = true;
              env.setTimer(MS, () => onResponse(null));
            },
          };
          this.sent.push(sent);
        },
      }, {
        allocateProducerId: () => this.nextProducerId++,
        knowsPartition: (topic) => topic === 'orders' || topic === '__consumer_offsets',
        offsetsPartitionFor: () => 7,
      });
      this.coordinator.startup();
      return { onMessage: (from, message) => route(this.coordinator, from, message as KafkaMessage) };
    });
  }

  /** b1 becomes the coordinator of partition 0 at `epoch` and loads it. */
  elect(epoch = 0): void {
    this.coordinator.onElection(0, epoch);
    this.advance(1);
  }

  /** The states written to the log, in order. */
  written(): TransactionLogValue[] {
    return this.batches.flatMap((b) => b.records.map((r) => r.value as TransactionLogValue));
  }

  /** Writes a record to the log as if an earlier coordinator had (before an election). */
  preload(value: Omit<TransactionLogValue, 'kind' | 'transactionalId' | 'txnTimeoutMs' | 'txnLastUpdateTimestampMs' | 'txnStartTimestampMs'> & Partial<TransactionLogValue>): void {
    const record: TransactionLogValue = { kind: 'transaction', transactionalId: TXN_ID, txnTimeoutMs: 60_000, txnLastUpdateTimestampMs: 0, txnStartTimestampMs: 0, ...value };
    this.batches.push({ baseOffset: this.batches.length, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, records: [{ key: TXN_ID, producer: '__transaction_coordinator', seq: -1, value: record }] });
  }

  /** The markers sent and not yet answered. */
  unanswered(): SentMarkers[] {
    return this.sent.filter((s) => !s.answered);
  }
}

function route(coordinator: TransactionCoordinator, from: string, m: KafkaMessage): void {
  switch (m.type) {
    case 'InitProducerId':
      return coordinator.handleInitProducerId(from, m);
    case 'AddPartitionsToTxn':
      return coordinator.handleAddPartitionsToTxn(from, m);
    case 'AddOffsetsToTxn':
      return coordinator.handleAddOffsetsToTxn(from, m);
    case 'EndTxn':
      return coordinator.handleEndTxn(from, m);
    default:
      throw new Error(`unexpected ${m.type}`);
  }
}

/** A producer's requests, by hand. */
export class TxnClient {
  constructor(
    readonly client: TestClient,
    readonly transactionalId = TXN_ID,
  ) {}

  initSend(options: { timeoutMs?: number; producerId?: number; producerEpoch?: number } = {}) {
    return this.client.send<'InitProducerIdResponse'>('b1', (correlationId) => ({
      type: 'InitProducerId', correlationId, transactionalId: this.transactionalId, transactionTimeoutMs: options.timeoutMs ?? 60_000,
      producerId: options.producerId ?? -1, producerEpoch: options.producerEpoch ?? -1,
    }));
  }

  init(options: { timeoutMs?: number; producerId?: number; producerEpoch?: number } = {}): Extract<Response, { type: 'InitProducerIdResponse' }> {
    return this.client.ask<'InitProducerIdResponse'>('b1', (correlationId) => ({
      type: 'InitProducerId', correlationId, transactionalId: this.transactionalId, transactionTimeoutMs: options.timeoutMs ?? 60_000,
      producerId: options.producerId ?? -1, producerEpoch: options.producerEpoch ?? -1,
    }));
  }

  addPartitions(producerId: number, producerEpoch: number, partitions: TopicPartitionRef[]): Extract<Response, { type: 'AddPartitionsToTxnResponse' }> {
    return this.client.ask<'AddPartitionsToTxnResponse'>('b1', (correlationId) => ({ type: 'AddPartitionsToTxn', correlationId, transactionalId: this.transactionalId, producerId, producerEpoch, partitions }));
  }

  addOffsets(producerId: number, producerEpoch: number, groupId: string): KafkaError {
    return this.client.ask<'AddOffsetsToTxnResponse'>('b1', (correlationId) => ({ type: 'AddOffsetsToTxn', correlationId, transactionalId: this.transactionalId, producerId, producerEpoch, groupId })).error;
  }

  endSend(producerId: number, producerEpoch: number, committed: boolean) {
    return this.client.send<'EndTxnResponse'>('b1', (correlationId) => ({ type: 'EndTxn', correlationId, transactionalId: this.transactionalId, producerId, producerEpoch, committed }));
  }

  end(producerId: number, producerEpoch: number, committed: boolean): KafkaError {
    return this.client.ask<'EndTxnResponse'>('b1', (correlationId) => ({ type: 'EndTxn', correlationId, transactionalId: this.transactionalId, producerId, producerEpoch, committed })).error;
  }
}
