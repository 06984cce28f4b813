// The transaction coordinator's answers (TransactionCoordinator, checked against Kafka's
// TransactionCoordinatorTest): InitProducerId, fencing by epoch, AddPartitionsToTxn, EndTxn with
// its markers and Complete record, the abort of timed-out transactions, loading a partition, and
// the version differences (KIP-360 in 2.5, KAFKA-9600 in 2.6, KIP-588 in 2.7).
import { describe, expect, test } from 'vitest';
import { BareTxnCoordinator, ORDERS_0, ORDERS_1, ORDERS_2, TXN_ID, TxnClient } from './txn-support.js';
import { MS } from './support.js';

function setup(profile = '3.9', config = {}): { c: BareTxnCoordinator; p: TxnClient } {
  const c = new BareTxnCoordinator(profile, config);
  c.elect();
  return { c, p: new TxnClient(c.client('p1')) };
}

/** init, then partitions added: the transaction is Ongoing. */
function ongoing(c: BareTxnCoordinator, p: TxnClient, partitions = [ORDERS_0, ORDERS_1]): { producerId: number; producerEpoch: number } {
  const { producerId, producerEpoch } = p.init();
  expect(p.addPartitions(producerId, producerEpoch, partitions).partitions.every((r) => r.error === 'NONE')).toBe(true);
  return { producerId, producerEpoch };
}

describe('coordinator: transactions: InitProducerId', () => {
  test('coordinator: transactions: init: a new transactional id gets a new producer id at epoch 0, once Empty is written', () => {
    const { c, p } = setup();
    const answer = p.init();
    expect(answer).toMatchObject({ error: 'NONE', producerId: 1000, producerEpoch: 0 });
    // The answer came only after the state was in the log (acks=all).
    expect(c.written().map((v) => [v.state, v.producerId, v.producerEpoch])).toEqual([['Empty', 1000, 0]]);
    expect(c.of('txn.transition').map((e) => [e.event.from, e.event.to])).toEqual([['Empty', 'Empty']]);
  });

  test('coordinator: transactions: init: a second InitProducerId bumps the epoch and fences the first producer (PRODUCER_FENCED from 2.7, INVALID_PRODUCER_EPOCH before)', () => {
    for (const [profile, error] of [['3.9', 'PRODUCER_FENCED'], ['2.8', 'PRODUCER_FENCED'], ['2.6', 'INVALID_PRODUCER_EPOCH'], ['0.11', 'INVALID_PRODUCER_EPOCH']] as const) {
      const { c, p } = setup(profile);
      const first = p.init();
      const second = new TxnClient(c.client('p2')).init();
      // The same producer id, the next epoch: the id's older producer is now a zombie.
      expect([second.producerId, second.producerEpoch]).toEqual([first.producerId, 1]);
      expect(p.addPartitions(first.producerId, first.producerEpoch, [ORDERS_0]).partitions[0]!.error, profile).toBe(error);
      expect(c.of('txn.fenced')[0]!.event).toMatchObject({ request: 'AddPartitionsToTxn', producerEpoch: 0, currentEpoch: 1, error });
    }
  });

  test('coordinator: transactions: init: an open transaction is aborted first under a bumped epoch, and the caller told CONCURRENT_TRANSACTIONS; its retry bumps again', () => {
    const { c, p } = setup();
    const { producerId } = ongoing(c, p);
    const newcomer = new TxnClient(c.client('p2'));
    expect(newcomer.init().error).toBe('CONCURRENT_TRANSACTIONS');
    // PrepareAbort was written with epoch 1 (never handed out), and its markers carry it.
    expect(c.written().at(-1)).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    expect(c.of('txn.fence')[0]!.event).toMatchObject({ fromEpoch: 0, toEpoch: 1, reason: 'init-producer-id' });
    expect(c.unanswered().flatMap((s) => s.markers.map((m) => [s.destination, m.producerEpoch, m.transactionResult]))).toEqual([[1, 1, 'ABORT'], [2, 1, 'ABORT']]);
    // While the markers are out the transaction is PrepareAbort: a retry is told to wait again.
    expect(newcomer.init().error).toBe('CONCURRENT_TRANSACTIONS');
    for (const s of c.unanswered()) s.answer();
    c.advance(10);
    expect(c.written().at(-1)).toMatchObject({ state: 'CompleteAbort', producerEpoch: 1, partitions: [] });
    expect(newcomer.init()).toMatchObject({ error: 'NONE', producerId, producerEpoch: 2 });
  });

  test('coordinator: transactions: init: a transaction.timeout.ms above transaction.max.timeout.ms is INVALID_TRANSACTION_TIMEOUT', () => {
    const { c, p } = setup('3.9', { 'transaction.max.timeout.ms': 30_000 });
    expect(p.init({ timeoutMs: 30_001 }).error).toBe('INVALID_TRANSACTION_TIMEOUT');
    expect(p.init({ timeoutMs: 0 }).error).toBe('INVALID_TRANSACTION_TIMEOUT');
    expect(p.init({ timeoutMs: 30_000 }).error).toBe('NONE');
    expect(c.written()).toHaveLength(1);
  });

  test('coordinator: transactions: init: with its epochs exhausted, the id gets a new producer id at epoch 0', () => {
    const c = new BareTxnCoordinator();
    c.preload({ producerId: 77, producerEpoch: 32766, state: 'CompleteCommit', partitions: [] }); // Short.MaxValue - 1
    c.elect();
    expect(new TxnClient(c.client('p1')).init()).toMatchObject({ error: 'NONE', producerId: 1000, producerEpoch: 0 });
  });

  test('coordinator: transactions: init: from 2.5 (KIP-360) a producer passing its id and epoch has that epoch bumped; another id is fenced; before 2.5 they are not read', () => {
    const { c, p } = setup('2.8');
    const first = p.init();
    // The producer's own id and epoch: bumped (after an abortable error).
    expect(p.init({ producerId: first.producerId, producerEpoch: 0 })).toMatchObject({ error: 'NONE', producerEpoch: 1 });
    // A retry of that call (its answer lost) gets the same epoch, not another bump.
    expect(p.init({ producerId: first.producerId, producerEpoch: 0 })).toMatchObject({ error: 'NONE', producerEpoch: 1 });
    // A producer id this transactional id does not have: fenced.
    expect(p.init({ producerId: 4242, producerEpoch: 3 }).error).toBe('PRODUCER_FENCED');
    expect(p.init({ producerId: first.producerId, producerEpoch: -1 }).error).toBe('INVALID_REQUEST');
    expect(c.written().map((v) => v.producerEpoch)).toEqual([0, 1, 1]);
    // 2.4: the same requests just bump.
    const old = setup('2.4');
    const o = old.p.init();
    expect(old.p.init({ producerId: 4242, producerEpoch: 3 })).toMatchObject({ error: 'NONE', producerId: o.producerId, producerEpoch: 1 });
  });

  test('coordinator: transactions: init: NOT_COORDINATOR when b1 does not lead the id\'s partition, COORDINATOR_LOAD_IN_PROGRESS while it loads it', () => {
    const c = new BareTxnCoordinator();
    const p = new TxnClient(c.client('p1'));
    expect(p.init().error).toBe('NOT_COORDINATOR');
    // The load runs in an event of its own: a request handled in between sees it loading (the
    // election is scheduled for the request's arrival, before it).
    c.world.scheduler.at(c.nowUs + 1 * MS, () => c.coordinator.onElection(0, 3), undefined);
    const pending = p.initSend();
    c.runUntil(() => pending.done);
    expect(pending.value.error).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect(p.init().error).toBe('NONE');
    expect(c.of('txn.transition')[0]!.event.coordinatorEpoch).toBe(3);
  });
});

describe('coordinator: transactions: AddPartitionsToTxn and AddOffsetsToTxn', () => {
  test('coordinator: transactions: add: the transaction becomes Ongoing with its partitions; partitions already in it are answered without a write', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_0]);
    expect(c.written().at(-1)).toMatchObject({ state: 'Ongoing', partitions: [ORDERS_0] });
    const writes = c.written().length;
    expect(p.addPartitions(producerId, producerEpoch, [ORDERS_0]).partitions[0]!.error).toBe('NONE');
    expect(c.written()).toHaveLength(writes);
    expect(p.addOffsets(producerId, producerEpoch, 'billing')).toBe('NONE');
    expect(c.written().at(-1)).toMatchObject({ state: 'Ongoing', partitions: [ORDERS_0, { topic: '__consumer_offsets', partition: 7 }] });
  });

  test('coordinator: transactions: add: a partition the metadata does not know fails the request: UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the rest', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = p.init();
    const answer = p.addPartitions(producerId, producerEpoch, [ORDERS_0, { topic: 'nope', partition: 0 }]);
    expect(answer.partitions.map((r) => r.error)).toEqual(['OPERATION_NOT_ATTEMPTED', 'UNKNOWN_TOPIC_OR_PARTITION']);
    expect(c.written()).toHaveLength(1);
  });

  test('coordinator: transactions: add: an unknown transactional id or another producer id is INVALID_PRODUCER_ID_MAPPING; during PrepareCommit, CONCURRENT_TRANSACTIONS', () => {
    const { c, p } = setup();
    expect(p.addPartitions(1000, 0, [ORDERS_0]).partitions[0]!.error).toBe('INVALID_PRODUCER_ID_MAPPING');
    const { producerId, producerEpoch } = ongoing(c, p);
    expect(p.addPartitions(producerId + 1, producerEpoch, [ORDERS_0]).partitions[0]!.error).toBe('INVALID_PRODUCER_ID_MAPPING');
    expect(p.end(producerId, producerEpoch, true)).toBe('NONE');
    expect(p.addPartitions(producerId, producerEpoch, [ORDERS_2]).partitions[0]!.error).toBe('CONCURRENT_TRANSACTIONS');
  });
});

describe('coordinator: transactions: EndTxn', () => {
  test('coordinator: transactions: end: commit answers once PrepareCommit is written; markers go one request per leader; CompleteCommit once they all landed', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_0, ORDERS_1, { topic: 'orders', partition: 3 }]);
    expect(p.end(producerId, producerEpoch, true)).toBe('NONE');
    expect(c.written().at(-1)).toMatchObject({ state: 'PrepareCommit', partitions: [ORDERS_0, ORDERS_1, { topic: 'orders', partition: 3 }] });
    // orders-0 and orders-3 are led by b1, orders-1 by b2: two requests.
    const sent = c.unanswered();
    expect(sent.map((s) => [s.destination, s.markers.flatMap((m) => m.partitions.map((tp) => tp.partition))])).toEqual([[1, [0, 3]], [2, [1]]]);
    expect(sent.every((s) => s.markers.every((m) => m.transactionResult === 'COMMIT' && m.producerEpoch === producerEpoch && m.coordinatorEpoch === 0))).toBe(true);
    // A second EndTxn meanwhile: the Complete record is pending, whatever it asks.
    expect(p.end(producerId, producerEpoch, true)).toBe('CONCURRENT_TRANSACTIONS');
    expect(p.end(producerId, producerEpoch, false)).toBe('CONCURRENT_TRANSACTIONS');
    sent[0]!.answer();
    c.advance(10);
    expect(c.written().at(-1)!.state).toBe('PrepareCommit'); // orders-1's marker is still out
    sent[1]!.answer();
    c.advance(10);
    expect(c.written().at(-1)).toMatchObject({ state: 'CompleteCommit', partitions: [] });
    // Committing again once complete is answered NONE (a retry whose answer was lost); aborting is INVALID_TXN_STATE.
    expect(p.end(producerId, producerEpoch, true)).toBe('NONE');
    expect(p.end(producerId, producerEpoch, false)).toBe('INVALID_TXN_STATE');
  });

  test('coordinator: transactions: end: a marker refused with NOT_LEADER_OR_FOLLOWER goes again to the leader known then; one whose leader is not alive waits for the metadata', () => {
    const { c, p } = setup();
    c.leaders.set('orders-1', 'not-alive');
    const { producerId, producerEpoch } = ongoing(c, p);
    expect(p.end(producerId, producerEpoch, false)).toBe('NONE');
    expect(c.unanswered().map((s) => s.destination)).toEqual([1]); // orders-1 waits: no live leader
    c.leaders.set('orders-0', { id: 3, node: 'b3' });
    c.unanswered()[0]!.answer(() => 'NOT_LEADER_OR_FOLLOWER');
    c.advance(10);
    expect(c.unanswered().map((s) => s.destination)).toEqual([3]);
    expect(c.of('txn.markers-answered')[0]!.event.retried).toEqual([['orders-0', 'NOT_LEADER_OR_FOLLOWER']]);
    c.unanswered()[0]!.answer();
    // The metadata names a live leader for orders-1: its marker leaves.
    c.leaders.set('orders-1', { id: 2, node: 'b2' });
    c.coordinator.onMetadataUpdate();
    c.advance(10);
    expect(c.unanswered().map((s) => s.destination)).toEqual([2]);
    c.unanswered()[0]!.answer();
    c.advance(10);
    expect(c.written().at(-1)!.state).toBe('CompleteAbort');
  });

  test('coordinator: transactions: end: an unanswered WriteTxnMarkers is sent again after the reconnect backoff, until it lands', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_1]);
    p.end(producerId, producerEpoch, true);
    c.unanswered()[0]!.disconnect();
    c.advance(10);
    expect(c.unanswered()).toHaveLength(0); // reconnect.backoff.ms (50 ms) not yet over
    c.advance(60);
    expect(c.unanswered().map((s) => s.destination)).toEqual([2]);
    c.unanswered()[0]!.answer();
    c.advance(10);
    expect(c.written().at(-1)!.state).toBe('CompleteCommit');
  });

  test('coordinator: transactions: end: a leader that fences the markers (INVALID_PRODUCER_EPOCH) ends their sending: nothing more is written', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_1]);
    p.end(producerId, producerEpoch, true);
    c.unanswered()[0]!.answer(() => 'INVALID_PRODUCER_EPOCH');
    c.advance(100);
    expect(c.of('txn.markers-dropped').map((e) => e.event.reason)).toEqual(['INVALID_PRODUCER_EPOCH']);
    expect([c.written().at(-1)!.state, c.sent.length]).toEqual(['PrepareCommit', 1]);
  });

  test('coordinator: transactions: end: a Complete record that cannot be replicated is written again at the sender\'s next poll (at most request.timeout.ms later)', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_1]);
    p.end(producerId, producerEpoch, true);
    c.appendError = 'NOT_ENOUGH_REPLICAS';
    c.unanswered()[0]!.answer();
    c.advance(1000);
    expect(c.written().at(-1)!.state).toBe('PrepareCommit');
    c.appendError = 'NONE';
    c.advance(30_000); // NetworkClient.poll is bounded by request.timeout.ms (30 s)
    expect(c.written().at(-1)!.state).toBe('CompleteCommit');
  });

  test('coordinator: transactions: end: a partition the metadata no longer knows needs no marker (deleted, as Kafka reasons)', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_0, ORDERS_1]);
    c.leaders.set('orders-1', 'unknown-partition');
    p.end(producerId, producerEpoch, false);
    expect(c.unanswered().map((s) => s.destination)).toEqual([1]);
    c.unanswered()[0]!.answer();
    c.advance(10);
    expect(c.written().at(-1)!.state).toBe('CompleteAbort');
  });

  test('coordinator: transactions: end: EndTxn on an Empty transaction is INVALID_TXN_STATE; on an unknown id INVALID_PRODUCER_ID_MAPPING', () => {
    const { p } = setup();
    expect(p.end(1000, 0, true)).toBe('INVALID_PRODUCER_ID_MAPPING');
    const { producerId, producerEpoch } = p.init();
    expect(p.end(producerId, producerEpoch, true)).toBe('INVALID_TXN_STATE');
  });

  test('coordinator: transactions: end: an EndTxn with a newer epoch is fenced before anything is written from 2.6 (KAFKA-9600); before, its Prepare record was written and the transaction stuck without markers', () => {
    for (const [profile, error, written] of [['2.6', 'INVALID_PRODUCER_EPOCH', 'Ongoing'], ['3.9', 'PRODUCER_FENCED', 'Ongoing'], ['2.5', 'INVALID_PRODUCER_EPOCH', 'PrepareAbort']] as const) {
      const { c, p } = setup(profile);
      const { producerId, producerEpoch } = ongoing(c, p);
      expect(p.end(producerId, producerEpoch + 1, false), profile).toBe(error);
      // 2.5 checked the epoch for equality only after writing PrepareAbort: no markers ever go (until a failover reloads it).
      expect(c.written().at(-1)!.state, profile).toBe(written);
      c.advance(100);
      expect(c.sent, profile).toHaveLength(0);
    }
  });

  test('coordinator: transactions: end: a Prepare record that cannot be replicated is COORDINATOR_NOT_AVAILABLE and leaves the transaction Ongoing', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p);
    c.appendError = 'NOT_ENOUGH_REPLICAS';
    expect(p.end(producerId, producerEpoch, true)).toBe('COORDINATOR_NOT_AVAILABLE');
    c.appendError = 'NOT_LEADER_OR_FOLLOWER';
    expect(p.end(producerId, producerEpoch, true)).toBe('NOT_COORDINATOR');
    c.appendError = 'NONE';
    expect(p.end(producerId, producerEpoch, true)).toBe('NONE');
    expect(c.sent).toHaveLength(2);
  });
});

describe('coordinator: transactions: timeouts', () => {
  test('coordinator: transactions: timeout: an Ongoing transaction older than its transaction.timeout.ms is aborted at the next cleanup, under a bumped epoch that fences its producer', () => {
    const { c, p } = setup('3.9', { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000 });
    const { producerId } = p.init({ timeoutMs: 5000 });
    const startedAtUs = c.nowUs;
    p.addPartitions(producerId, 0, [ORDERS_0]);
    c.runUntil(() => c.of('txn.timeout-abort').length > 0, 20_000);
    const abortedAtUs = c.of('txn.timeout-abort')[0]!.atUs;
    // Older than 5 s, found by a cleanup run (every 1 s): between 5 and 6 s after it started.
    expect(abortedAtUs - startedAtUs).toBeGreaterThan(5000 * MS);
    expect(abortedAtUs - startedAtUs).toBeLessThanOrEqual(6100 * MS);
    c.advance(10);
    expect(c.written().at(-1)).toMatchObject({ state: 'PrepareAbort', producerEpoch: 1 });
    expect(c.unanswered()[0]!.markers[0]).toMatchObject({ transactionResult: 'ABORT', producerEpoch: 1 });
    // The producer's commit comes too late: it is fenced.
    expect(p.end(producerId, 0, true)).toBe('PRODUCER_FENCED');
    expect(c.of('txn.fence')[0]!.event.reason).toBe('timeout');
  });

  test('coordinator: transactions: timeout: a transaction within its timeout is left alone', () => {
    const { c, p } = setup('3.9', { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000 });
    ongoing(c, p);
    c.advance(50_000); // the 60 s default timeout is not over
    expect(c.of('txn.timeout-abort')).toHaveLength(0);
    c.advance(11_000);
    expect(c.of('txn.timeout-abort')).toHaveLength(1);
  });

  test('coordinator: transactions: timeout: a fence whose PrepareAbort cannot be written is not bumped again at the next try (2.6+, KAFKA-9666); before, each try bumped', () => {
    for (const [profile, epochs] of [['3.9', [1]], ['2.5', [1, 2]]] as const) {
      const { c, p } = setup(profile, { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 1000 });
      p.init({ timeoutMs: 1000 });
      p.addPartitions(1000, 0, [ORDERS_0]);
      c.appendError = 'NOT_ENOUGH_REPLICAS';
      c.runUntil(() => c.of('txn.timeout-abort').length >= 2, 10_000);
      c.appendError = 'NONE';
      c.runUntil(() => c.written().at(-1)!.state === 'PrepareAbort', 10_000);
      const fences = c.of('txn.fence').map((e) => e.event.toEpoch);
      expect([...new Set(fences)].slice(0, 2), profile).toEqual(epochs);
    }
  });
});

describe('coordinator: transactions: coordinator failover', () => {
  test('coordinator: transactions: load: a transaction found in PrepareCommit has its markers sent again, then CompleteCommit is written', () => {
    const c = new BareTxnCoordinator();
    c.preload({ producerId: 55, producerEpoch: 2, state: 'Ongoing', partitions: [ORDERS_0] });
    c.preload({ producerId: 55, producerEpoch: 2, state: 'PrepareCommit', partitions: [ORDERS_0, ORDERS_2] });
    c.elect(4);
    expect(c.of('txn.loaded')[0]!.event).toMatchObject({ coordinatorEpoch: 4, transactionalIds: [TXN_ID], completing: [TXN_ID] });
    const sent = c.unanswered();
    expect(sent.flatMap((s) => s.markers.map((m) => [s.destination, m.producerId, m.producerEpoch, m.coordinatorEpoch, m.transactionResult]))).toEqual([[1, 55, 2, 4, 'COMMIT'], [3, 55, 2, 4, 'COMMIT']]);
    for (const s of sent) s.answer();
    c.advance(10);
    expect(c.written().at(-1)).toMatchObject({ state: 'CompleteCommit', producerId: 55, producerEpoch: 2 });
  });

  test('coordinator: transactions: resignation: markers answered after the partition moved away are dropped, and nothing more is written', () => {
    const { c, p } = setup();
    const { producerId, producerEpoch } = ongoing(c, p);
    p.end(producerId, producerEpoch, true);
    const writes = c.written().length;
    c.coordinator.onResignation(0);
    for (const s of c.unanswered()) s.answer();
    c.advance(10);
    expect(c.written()).toHaveLength(writes);
    expect(c.of('txn.markers-dropped').map((e) => e.event.reason)).toEqual(['NOT_COORDINATOR', 'NOT_COORDINATOR']);
    expect(c.of('txn.unloaded')[0]!.event).toMatchObject({ partition: 0, transactionalIds: [TXN_ID] });
    expect(p.end(producerId, producerEpoch, true)).toBe('NOT_COORDINATOR');
  });

  test('coordinator: transactions: resignation: elected again at a newer epoch, the old epoch\'s markers are dropped and the load sends its own; before 3.8 the old answer also dropped the new completion (KAFKA-16352)', () => {
    for (const [profile, final] of [['3.9', 'CompleteAbort'], ['3.8', 'CompleteAbort'], ['3.7', 'PrepareAbort'], ['2.8', 'PrepareAbort']] as const) {
      const { c, p } = setup(profile);
      const { producerId, producerEpoch } = ongoing(c, p, [ORDERS_1]);
      p.end(producerId, producerEpoch, false);
      const old = c.unanswered()[0]!;
      c.coordinator.onResignation(0);
      c.elect(1);
      // One request in flight per broker: the load's markers wait for the old request's answer.
      expect(c.unanswered()).toEqual([old]);
      old.answer();
      c.advance(10);
      expect(c.written().at(-1)!.state).toBe('PrepareAbort'); // the old epoch's answer completes nothing
      expect(c.of('txn.markers-dropped')[0]!.event.reason).toBe('coordinator epoch changed');
      const resent = c.unanswered();
      expect(resent[0]!.markers[0]).toMatchObject({ coordinatorEpoch: 1, transactionResult: 'ABORT' });
      resent[0]!.answer();
      c.advance(10);
      // Before 3.8 nothing is left to write CompleteAbort: the transaction is stuck until the next load.
      expect(c.written().at(-1)!.state, profile).toBe(final);
      expect(c.coordinator.markers.pendingTransactions).toEqual([]);
    }
  });
});
