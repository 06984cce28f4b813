// The group coordinator's part of transactions: a TxnOffsetCommit is written as a transactional
// batch of its producer and stays pending per producer id until the transaction's marker reaches
// the offsets partition; COMMIT makes it the group's committed offset, ABORT drops it
// (GroupMetadataManager.storeOffsets / handleTxnCompletion / loadGroupsAndOffsets, 0.11 to 3.9;
// KIP-447's member and generation checks and OffsetFetch's requireStable from 2.5).
import { describe, expect, test } from 'vitest';
import type { BrokerContext } from '../../src/broker/context.js';
import { coordinatorSettings } from '../../src/coordinator/config.js';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.js';
import type { KafkaError } from '../../src/kafka/errors.js';
import type { KafkaMessage } from '../../src/kafka/protocol.js';
import type { KafkaRecord, RecordBatch } from '../../src/kafka/records.js';
import { Harness, MS, type TestClient } from './support.js';

const GROUP = 'billing';
const PRODUCER_ID = 4000;

/** One group coordinator on `b1` leading the single __consumer_offsets partition 0, its log a test double. */
class OffsetsCoordinator extends Harness {
  coordinator!: GroupCoordinator;
  readonly batches: RecordBatch[] = [];
  appendError: KafkaError = 'NONE';

  constructor(profile = '3.9', load = true) {
    super();
    this.world.spawn('b1', (env) => {
      const ctx = { id: 1, node: 'b1', env, trace: (event: never, keep = true) => env.trace(event, keep) } as unknown as BrokerContext;
      this.coordinator = new GroupCoordinator(ctx, coordinatorSettings({ 'offsets.topic.num.partitions': 1 }, profile), {
        read: () => this.batches,
        append: (_partition, records, _timeoutMs, onComplete, producer) => {
          const error = this.appendError;
          env.setTimer(2 * MS, () => {
            if (error !== 'NONE') return onComplete(error, -1);
            const baseOffset = this.nextOffset();
            this.batches.push(producer === undefined
              ? { baseOffset, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, records }
              : { baseOffset, leaderEpoch: 0, producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: -1, records, isTransactional: true });
            onComplete('NONE', baseOffset);
          });
        },
      });
      return { onMessage: (from, message) => route(this.coordinator, from, message as KafkaMessage) };
    });
    if (load) this.coordinator.onElection(0);
  }

  nextOffset(): number {
    return this.batches.reduce((n, b) => n + b.records.length, 0);
  }

  /** A COMMIT or ABORT marker of `producerId`, as the partition leader appends it. */
  marker(producerId: number, type: 'COMMIT' | 'ABORT'): void {
    const record: KafkaRecord = { key: null, producer: '__marker', seq: -1 };
    this.batches.push({ baseOffset: this.nextOffset(), leaderEpoch: 0, producerId, producerEpoch: 0, baseSequence: -1, records: [record], isTransactional: true, control: { type, coordinatorEpoch: 0 } });
  }
}

function route(coordinator: GroupCoordinator, from: string, m: KafkaMessage): void {
  switch (m.type) {
    case 'JoinGroup':
      return coordinator.handleJoinGroup(from, m);
    case 'SyncGroup':
      return coordinator.handleSyncGroup(from, m);
    case 'OffsetCommit':
      return coordinator.handleCommitOffsets(from, m);
    case 'OffsetFetch':
      return coordinator.handleFetchOffsets(from, m);
    case 'TxnOffsetCommit':
      return coordinator.handleTxnCommitOffsets(from, m);
    default:
      throw new Error(`unexpected ${m.type}`);
  }
}

function txnCommit(client: TestClient, offset: number, member: { memberId?: string; generationId?: number } = {}): KafkaError {
  const answer = client.ask<'TxnOffsetCommitResponse'>('b1', (correlationId) => ({
    type: 'TxnOffsetCommit', correlationId, transactionalId: 'tx-1', groupId: GROUP, producerId: PRODUCER_ID, producerEpoch: 0,
    generationId: member.generationId ?? -1, memberId: member.memberId ?? '', groupInstanceId: null,
    offsets: [{ topic: 'orders', partition: 0, offset, leaderEpoch: 0 }],
  }));
  return answer.partitions[0]!.error;
}

function commit(client: TestClient, offset: number): KafkaError {
  const answer = client.ask<'OffsetCommitResponse'>('b1', (correlationId) => ({
    type: 'OffsetCommit', correlationId, groupId: GROUP, generationId: -1, memberId: '', groupInstanceId: null, offsets: [{ topic: 'orders', partition: 0, offset, leaderEpoch: 0 }],
  }));
  return answer.partitions[0]!.error;
}

function fetched(client: TestClient, requireStable = false): { offset: number; error: KafkaError } {
  const answer = client.ask<'OffsetFetchResponse'>('b1', (correlationId) => ({ type: 'OffsetFetch', correlationId, groupId: GROUP, partitions: [{ topic: 'orders', partition: 0 }], requireStable }));
  const { offset, error } = answer.partitions[0]!;
  return { offset, error };
}

describe('coordinator: transactional offsets', () => {
  test('coordinator: transactional offsets: a TxnOffsetCommit is written as a transactional batch of its producer and is not the committed offset until COMMIT', () => {
    const c = new OffsetsCoordinator();
    const p = c.client('p1');
    expect(commit(p, 10)).toBe('NONE');
    expect(txnCommit(p, 20)).toBe('NONE');
    expect(c.batches.at(-1)).toMatchObject({ producerId: PRODUCER_ID, producerEpoch: 0, isTransactional: true });
    // Pending: a plain fetch still returns the last committed offset; requireStable (2.5+) says wait.
    expect(fetched(p)).toEqual({ offset: 10, error: 'NONE' });
    expect(fetched(p, true)).toEqual({ offset: -1, error: 'UNSTABLE_OFFSET_COMMIT' });
    c.coordinator.handleTxnCompletion(PRODUCER_ID, [0], 'COMMIT');
    expect(fetched(p, true)).toEqual({ offset: 20, error: 'NONE' });
    expect(c.of('group.txn-completed')[0]!.event).toMatchObject({ group: GROUP, producerId: PRODUCER_ID, result: 'COMMIT', offsets: [['orders', 0, 20]] });
  });

  test('coordinator: transactional offsets: ABORT drops the pending offsets; a completion for another offsets partition or producer changes nothing', () => {
    const c = new OffsetsCoordinator();
    const p = c.client('p1');
    commit(p, 10);
    txnCommit(p, 20);
    c.coordinator.handleTxnCompletion(PRODUCER_ID + 1, [0], 'COMMIT');
    c.coordinator.handleTxnCompletion(PRODUCER_ID, [5], 'COMMIT');
    expect(fetched(p, true).error).toBe('UNSTABLE_OFFSET_COMMIT');
    c.coordinator.handleTxnCompletion(PRODUCER_ID, [0], 'ABORT');
    expect(fetched(p, true)).toEqual({ offset: 10, error: 'NONE' });
  });

  test('coordinator: transactional offsets: a committed transaction\'s offset does not replace a newer plain commit (the later record wins)', () => {
    const c = new OffsetsCoordinator();
    const p = c.client('p1');
    txnCommit(p, 20);
    commit(p, 30); // written after the transactional one
    c.coordinator.handleTxnCompletion(PRODUCER_ID, [0], 'COMMIT');
    expect(fetched(p).offset).toBe(30);
  });

  test('coordinator: transactional offsets: a TxnOffsetCommit whose append fails is not pending', () => {
    const c = new OffsetsCoordinator();
    const p = c.client('p1');
    c.appendError = 'NOT_ENOUGH_REPLICAS';
    expect(txnCommit(p, 20)).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(fetched(p, true)).toEqual({ offset: -1, error: 'NONE' });
  });

  test('coordinator: transactional offsets: from 2.5 (KIP-447) the member id and generation are checked when given; before, not at all', () => {
    for (const [profile, unknownMember, staleGeneration] of [['3.9', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'], ['2.5', 'UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'], ['2.4', 'NONE', 'NONE']] as const) {
      const c = new OffsetsCoordinator(profile);
      const consumer = c.client('billing-1');
      const join = consumer.join('b1');
      c.runUntil(() => join.done, 10_000);
      const { memberId, generationId } = join.value;
      const p = c.client('p1');
      expect(txnCommit(p, 20, { memberId: 'someone-else', generationId }), profile).toBe(unknownMember);
      expect(txnCommit(p, 20, { memberId, generationId: generationId + 1 }), profile).toBe(staleGeneration);
      expect(txnCommit(p, 20, { memberId, generationId }), profile).toBe('NONE');
      // OffsetFetch's requireStable is v7 (2.5): before, the pending offset is not reported.
      expect(fetched(p, true).error, profile).toBe(profile === '2.4' ? 'NONE' : 'UNSTABLE_OFFSET_COMMIT');
    }
  });

  test('coordinator: transactional offsets: loading the offsets partition: a COMMIT marker makes the producer\'s offsets committed, ABORT drops them, none keeps them pending', () => {
    const writer = new OffsetsCoordinator();
    const p = writer.client('p1');
    commit(p, 10);
    txnCommit(p, 20);
    // Three logs: the transaction committed, aborted, and still open.
    const committed = new OffsetsCoordinator('3.9', false);
    committed.batches.push(...writer.batches);
    committed.marker(PRODUCER_ID, 'COMMIT');
    committed.coordinator.onElection(0);
    expect(fetched(committed.client('c'), true)).toEqual({ offset: 20, error: 'NONE' });
    const aborted = new OffsetsCoordinator('3.9', false);
    aborted.batches.push(...writer.batches);
    aborted.marker(PRODUCER_ID, 'ABORT');
    aborted.coordinator.onElection(0);
    expect(fetched(aborted.client('c'), true)).toEqual({ offset: 10, error: 'NONE' });
    const open = new OffsetsCoordinator('3.9', false);
    open.batches.push(...writer.batches);
    open.coordinator.onElection(0);
    const reader = open.client('c');
    expect(fetched(reader, true).error).toBe('UNSTABLE_OFFSET_COMMIT');
    // The marker written after the load completes it, as for an offset committed here.
    open.coordinator.handleTxnCompletion(PRODUCER_ID, [0], 'COMMIT');
    expect(fetched(reader, true)).toEqual({ offset: 20, error: 'NONE' });
  });
});
