// The transactional producer's state: the half of Kafka's TransactionManager that a producer with
// a transactional.id adds to the idempotent one (transaction-manager.ts)
// (clients/.../producer/internals/TransactionManager.java, read at 2.8.2; 0.11.0.3 and 2.5.0 for
// the differences noted where they live). Its state machine (State: UNINITIALIZED, INITIALIZING,
// READY, IN_TRANSACTION, COMMITTING_TRANSACTION, ABORTING_TRANSACTION, ABORTABLE_ERROR,
// FATAL_ERROR), its queue of requests to the transaction coordinator (FindCoordinator,
// InitProducerId, AddPartitionsToTxn, EndTxn: the TxnRequestHandlers), and what each answer
// does: retried (NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE after finding the coordinator
// again; CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS as they are), abortable (the
// transaction must be aborted, then the producer goes on) or fatal (PRODUCER_FENCED, and
// INVALID_PRODUCER_EPOCH which the handlers turn into it; INVALID_TXN_STATE; any other: the
// producer can only be closed).
//
// The Sender asks it first in every pass (Sender.maybeSendAndPollTransactionalRequest): while a
// request of it is in flight no produce data goes out; EndTxn waits until every batch is done;
// a partition's batches drain only once AddPartitionsToTxn added it (isSendToPartitionAllowed).
import type { KafkaError } from '../../kafka/errors.js';

export type TransactionState =
  | 'UNINITIALIZED'
  | 'INITIALIZING'
  | 'READY'
  | 'IN_TRANSACTION'
  | 'COMMITTING_TRANSACTION'
  | 'ABORTING_TRANSACTION'
  | 'ABORTABLE_ERROR'
  | 'FATAL_ERROR';

/** TransactionManager.State.isTransitionValid (2.8.2). */
const VALID_FROM: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  UNINITIALIZED: [],
  INITIALIZING: ['UNINITIALIZED', 'ABORTING_TRANSACTION'],
  READY: ['INITIALIZING', 'COMMITTING_TRANSACTION', 'ABORTING_TRANSACTION'],
  IN_TRANSACTION: ['READY'],
  COMMITTING_TRANSACTION: ['IN_TRANSACTION'],
  ABORTING_TRANSACTION: ['IN_TRANSACTION', 'ABORTABLE_ERROR'],
  ABORTABLE_ERROR: ['IN_TRANSACTION', 'COMMITTING_TRANSACTION', 'ABORTABLE_ERROR'],
  FATAL_ERROR: [], // from any state
};

/** What the application's initTransactions / commitTransaction / abortTransaction is told. */
export interface TransactionOutcome {
  /** null: done; else the exception's error. */
  readonly error: string | null;
  /** The producer can only be closed (ProducerFencedException, a KafkaException from a fatal error). */
  readonly fatal: boolean;
}

export type TransactionCallback = (outcome: TransactionOutcome) => void;

/** One queued request to the coordinator (a TxnRequestHandler). */
export type TxnRequest =
  | { readonly kind: 'FindCoordinator' }
  | { readonly kind: 'InitProducerId'; readonly bump: boolean }
  | { readonly kind: 'AddPartitionsToTxn'; readonly partitions: readonly number[] }
  | { readonly kind: 'EndTxn'; readonly committed: boolean };

/** Errors after which a coordinator request is sent again after finding the coordinator again. */
const COORDINATOR_MOVED: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE']);
/** Errors after which a coordinator request is simply sent again (after retry.backoff.ms). */
const RETRY: ReadonlySet<string> = new Set(['CONCURRENT_TRANSACTIONS', 'COORDINATOR_LOAD_IN_PROGRESS']);

export class TransactionalState {
  state: TransactionState = 'UNINITIALIZED';
  /** The coordinator of the transactional.id, once FindCoordinator named it. */
  coordinator: string | null = null;
  /** Partitions AddPartitionsToTxn added in this transaction: their batches may drain. */
  readonly partitionsInTransaction = new Set<number>();
  /** Partitions written to and not yet asked for (newPartitionsInTransaction). */
  private readonly newPartitions = new Set<number>();
  /** Partitions in the AddPartitionsToTxn in flight (pendingPartitionsInTransaction). */
  private readonly pendingPartitions = new Set<number>();
  /** A partition was added: the coordinator knows the transaction (transactionStarted). */
  private transactionStarted = false;
  /** The queue of requests, coordinator lookups first (pendingRequests). */
  private readonly pending: TxnRequest[] = [];
  /** The error that made the transaction abortable, or the producer fail. */
  lastError: string | null = null;
  /** KIP-360 (2.5+): the abort is followed by InitProducerId with the current id and epoch. */
  epochBumpRequired = false;
  private result: TransactionCallback | null = null;

  constructor(readonly transactionalId: string, readonly transactionTimeoutMs: number) {}

  private transitionTo(target: TransactionState, error: string | null = null): void {
    if (target !== 'FATAL_ERROR' && !VALID_FROM[target].includes(this.state)) {
      throw new Error(`TransactionalId ${this.transactionalId}: Invalid transition attempted from state ${this.state} to state ${target}`);
    }
    if (target === 'FATAL_ERROR' || target === 'ABORTABLE_ERROR') this.lastError = error;
    else this.lastError = null;
    this.state = target;
  }

  get hasFatalError(): boolean {
    return this.state === 'FATAL_ERROR';
  }

  get hasAbortableError(): boolean {
    return this.state === 'ABORTABLE_ERROR';
  }

  get isAborting(): boolean {
    return this.state === 'ABORTING_TRANSACTION';
  }

  get isCompleting(): boolean {
    return this.state === 'COMMITTING_TRANSACTION' || this.state === 'ABORTING_TRANSACTION';
  }

  // ---------------------------------------------------------------- the application's calls

  /** KafkaProducer.initTransactions: FindCoordinator, then InitProducerId (the fencing of older epochs). */
  initializeTransactions(done: TransactionCallback): void {
    this.transitionTo('INITIALIZING');
    this.result = done;
    this.enqueue({ kind: 'InitProducerId', bump: false });
  }

  /** KafkaProducer.beginTransaction: local only; the coordinator hears of it with the first partition. */
  beginTransaction(): void {
    this.transitionTo('IN_TRANSACTION');
  }

  /** TransactionManager.beginCommit: an abortable or fatal error is thrown instead. */
  beginCommit(done: TransactionCallback): TransactionOutcome | null {
    if (this.state === 'ABORTABLE_ERROR' || this.state === 'FATAL_ERROR') return { error: this.lastError, fatal: this.state === 'FATAL_ERROR' };
    this.transitionTo('COMMITTING_TRANSACTION');
    this.beginCompleting(true, done);
    return null;
  }

  /** TransactionManager.beginAbort: from an abortable error too; partitions not yet added are not asked for. */
  beginAbort(done: TransactionCallback): TransactionOutcome | null {
    if (this.state === 'FATAL_ERROR') return { error: this.lastError, fatal: true };
    this.transitionTo('ABORTING_TRANSACTION');
    this.newPartitions.clear();
    this.beginCompleting(false, done);
    return null;
  }

  private beginCompleting(committed: boolean, done: TransactionCallback): void {
    this.result = done;
    if (this.newPartitions.size > 0) this.enqueue(this.addPartitionsRequest());
    this.enqueue({ kind: 'EndTxn', committed });
    // KIP-360 (2.5+): an abort after an error that needs it bumps the epoch (initializeTransactions(producerIdAndEpoch)).
    if (this.epochBumpRequired && !committed) this.enqueue({ kind: 'InitProducerId', bump: true });
  }

  /** maybeAddPartitionToTransaction: true when the partition is new to the transaction. */
  maybeAddPartition(partition: number): boolean {
    if (this.partitionsInTransaction.has(partition) || this.pendingPartitions.has(partition) || this.newPartitions.has(partition)) return false;
    this.newPartitions.add(partition);
    return true;
  }

  /** isSendToPartitionAllowed. */
  sendToPartitionAllowed(partition: number): boolean {
    return this.state !== 'FATAL_ERROR' && this.partitionsInTransaction.has(partition);
  }

  // ---------------------------------------------------------------- errors from batches

  /** handleFailedBatch: a fenced producer fails for good; any other failure makes the transaction abortable. */
  onBatchFailed(error: string, fenced: boolean): void {
    if (fenced) return this.fatal('PRODUCER_FENCED');
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION' || this.state === 'ABORTABLE_ERROR') this.transitionTo('ABORTABLE_ERROR', error);
  }

  fatal(error: string): void {
    this.transitionTo('FATAL_ERROR', error);
    this.pending.length = 0;
    this.tell({ error, fatal: true });
  }

  private tell(outcome: TransactionOutcome): void {
    const result = this.result;
    this.result = null;
    if (result !== null) result(outcome);
  }

  // ---------------------------------------------------------------- the request queue

  private enqueue(request: TxnRequest): void {
    if (request.kind === 'FindCoordinator') this.pending.unshift(request);
    else this.pending.push(request);
  }

  private addPartitionsRequest(): TxnRequest {
    const partitions = [...this.newPartitions].sort((a, b) => a - b);
    for (const p of partitions) this.pendingPartitions.add(p);
    this.newPartitions.clear();
    return { kind: 'AddPartitionsToTxn', partitions };
  }

  /**
   * TransactionManager.nextRequest(hasIncompleteBatches): the request to send now, or null. New
   * partitions are asked for first; EndTxn waits for every batch; an EndTxn of a transaction the
   * coordinator never heard of completes here (no request).
   */
  nextRequest(hasIncompleteBatches: boolean): TxnRequest | null {
    // maybeTerminateRequestWithError: after an abortable error a commit (or an add) fails with it; the application must abort.
    if (this.state === 'ABORTABLE_ERROR' && this.pending.some((r) => r.kind !== 'FindCoordinator')) {
      this.pending.length = 0;
      this.tell({ error: this.lastError, fatal: false });
      return null;
    }
    if (this.newPartitions.size > 0 && this.state === 'IN_TRANSACTION') this.enqueue(this.addPartitionsRequest());
    const next = this.pending[0];
    if (next === undefined) return null;
    if (next.kind === 'EndTxn' && hasIncompleteBatches) return null;
    if (next.kind === 'EndTxn' && !this.transactionStarted) {
      this.pending.shift();
      this.completeTransaction();
      return this.nextRequest(hasIncompleteBatches);
    }
    if (next.kind !== 'FindCoordinator' && this.coordinator === null) {
      this.enqueue({ kind: 'FindCoordinator' });
      return this.pending[0]!;
    }
    return next;
  }

  /** The request left the queue for the network. */
  sent(request: TxnRequest): void {
    const at = this.pending.indexOf(request);
    if (at >= 0) this.pending.splice(at, 1);
  }

  /** The request's connection closed, or it timed out: find the coordinator again, then resend (lookupCoordinator, reenqueue). */
  onDisconnected(request: TxnRequest): void {
    if (this.state === 'FATAL_ERROR') return;
    this.coordinator = null;
    this.reenqueue(request);
  }

  private reenqueue(request: TxnRequest): void {
    if (request.kind === 'FindCoordinator') this.pending.unshift(request);
    else {
      this.pending.unshift(request);
      if (this.coordinator === null) this.pending.unshift({ kind: 'FindCoordinator' });
    }
  }

  // ---------------------------------------------------------------- the answers

  /** FindCoordinatorHandler: retriable errors are retried; the coordinator's node otherwise. */
  onFindCoordinator(request: TxnRequest, error: KafkaError, node: string): void {
    if (error === 'NONE') {
      this.coordinator = node;
      return;
    }
    if (error === 'COORDINATOR_NOT_AVAILABLE' || RETRY.has(error) || error === 'NOT_COORDINATOR') return this.reenqueue(request);
    this.fatal(error);
  }

  /**
   * InitProducerIdHandler: the producer id and epoch (READY), or after an abort's epoch bump
   * (KIP-360) the bumped epoch; retriable errors again; any other error is fatal.
   */
  onInitProducerId(request: Extract<TxnRequest, { kind: 'InitProducerId' }>, error: KafkaError, setIdAndEpoch: () => void): void {
    if (error === 'NONE') {
      setIdAndEpoch();
      if (request.bump) this.epochBumpRequired = false;
      this.transitionTo('READY');
      this.tell({ error: null, fatal: false });
      return;
    }
    if (this.retried(request, error)) return;
    this.fatal(error === 'INVALID_PRODUCER_EPOCH' ? 'PRODUCER_FENCED' : error);
  }

  /** AddPartitionsToTxnHandler: per partition; one retriable error resends them all; a fenced epoch is fatal; others abortable. */
  onAddPartitions(request: Extract<TxnRequest, { kind: 'AddPartitionsToTxn' }>, errors: readonly { readonly partition: number; readonly error: KafkaError }[]): void {
    for (const p of request.partitions) this.pendingPartitions.delete(p);
    const failed = errors.find((e) => e.error !== 'NONE' && e.error !== 'OPERATION_NOT_ATTEMPTED');
    if (failed === undefined) {
      for (const p of request.partitions) this.partitionsInTransaction.add(p);
      this.transactionStarted = true;
      return;
    }
    const error = failed.error;
    if (error === 'UNKNOWN_TOPIC_OR_PARTITION' || COORDINATOR_MOVED.has(error) || RETRY.has(error)) {
      for (const p of request.partitions) this.pendingPartitions.add(p);
      if (COORDINATOR_MOVED.has(error)) this.coordinator = null;
      this.reenqueue(request);
      return;
    }
    if (error === 'INVALID_PRODUCER_EPOCH' || error === 'PRODUCER_FENCED') return this.fatal('PRODUCER_FENCED');
    if (error === 'INVALID_TXN_STATE') return this.fatal(error);
    if (this.state === 'IN_TRANSACTION' || this.state === 'COMMITTING_TRANSACTION') this.transitionTo('ABORTABLE_ERROR', error);
  }

  /** EndTxnHandler: READY once the coordinator wrote PrepareCommit/PrepareAbort; retriable errors again; fenced is fatal. */
  onEndTxn(request: Extract<TxnRequest, { kind: 'EndTxn' }>, error: KafkaError): void {
    if (error === 'NONE') {
      if (this.pending[0]?.kind === 'InitProducerId') {
        // KIP-360: the epoch bump follows before the application is told.
        this.clearTransaction();
        return;
      }
      this.completeTransaction();
      return;
    }
    if (this.retried(request, error)) return;
    this.fatal(error === 'INVALID_PRODUCER_EPOCH' ? 'PRODUCER_FENCED' : error);
  }

  private retried(request: TxnRequest, error: KafkaError): boolean {
    if (COORDINATOR_MOVED.has(error)) {
      this.coordinator = null;
      this.reenqueue(request);
      return true;
    }
    if (RETRY.has(error)) {
      this.reenqueue(request);
      return true;
    }
    return false;
  }

  private clearTransaction(): void {
    this.partitionsInTransaction.clear();
    this.newPartitions.clear();
    this.pendingPartitions.clear();
    this.transactionStarted = false;
  }

  /** completeTransaction: READY, the partitions forgotten, the application told. */
  private completeTransaction(): void {
    this.clearTransaction();
    this.transitionTo('READY');
    this.tell({ error: null, fatal: false });
  }
}
