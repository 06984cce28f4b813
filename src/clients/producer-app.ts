// The producing application of a scenario's `producers:` entry: the simulated process that hosts
// Kafka's producer client (producer/kafka-producer.ts) and uses it as an application would, only
// through send(), the callback and close(). Not a class of Kafka's: the user's code around the
// client, like the throttled send loop of Kafka's ProducerPerformance tool (2.8.2,
// tools/src/main/java/org/apache/kafka/tools/ProducerPerformance.java).
//
// It sends `messages` records at `rate`: record i (from 1) is due at startAtUs + i / rate, with
// key k((i - 1) mod keys) or none, and none due after stopAtUs. A (re)started application
// resumes the schedule where the clock is. SIGTERM (a clean stop) makes it stop sending and
// call close(); it exits once close() returns, every buffered record sent and answered.
//
// What it is told is the checker's input (AppEvent): app.send when send() returns (its
// partition known), then app.ack (offset) or app.fail (error) per record, from the callback. A
// crash loses the process's memory, buffered batches included, and emits nothing: the checker
// treats a send with neither ack nor fail as "maybe sent".
//
// With a transactional.id (KIP-98) the application runs transactions, like the loop of Kafka's
// TransactionalMessageCopier and KafkaProducer's javadoc (2.8.2): initTransactions, then
// beginTransaction, `records` sends, and commitTransaction, or abortTransaction for a share
// `abort` of them (drawn from the process's random stream), again and again on the send
// schedule (records that come due while a transaction ends go out in the next one). It emits
// app.txn when the commit or abort returns (committed / aborted) or fails (unknown, with the
// error). A commit refused with an abortable error (a batch failed) is followed by an abort; a
// fatal error (PRODUCER_FENCED) closes the producer and the application sends no more. SIGTERM
// aborts an open transaction before close() (Sender.run, 2.8.2: "Aborting incomplete transaction
// due to shutdown").
import type { Env, Process, ProcessFactory } from '../../sim/index.js';
import type { AppEvent } from '../kafka/events.js';
import type { KafkaRecord } from '../kafka/records.js';
import type { ProducerSpec, TransactionsSpec } from '../scenario/types.js';
import { KafkaProducer, type ProducerCallback, type SendFailure, type TransactionOutcome } from './producer/kafka-producer.js';
import { producerSettings, type ProducerSettings } from './producer-config.js';

export interface ProducerOptions {
  /** Broker node names to ask for metadata first (bootstrap.servers). */
  readonly bootstrap: readonly string[];
  /**
   * The application sends no message due after this time (one due exactly then is sent, so
   * `messages: N` at `rate: R` over a duration of N / R sends all N); buffered ones still go out.
   */
  readonly stopAtUs: number;
  /** Behaviour profile (Kafka release line), e.g. "3.9". */
  readonly profile: string;
  /** Origin of the send schedule: message i is due at startAtUs + i / ratePerSec (default 0). */
  readonly startAtUs?: number;
}

/** The producer process: the application's sends and the client under them. Ignores non-Kafka messages. */
export function producerProcess(spec: ProducerSpec, options: ProducerOptions): ProcessFactory<unknown> {
  const settings = producerSettings(spec.config, options.profile);
  return (env) => new ProducerApplication(env, spec, options, settings);
}

/** A transactional.id without `transactions:`: 100 records per transaction, none aborted. */
export const DEFAULT_TRANSACTIONS: TransactionsSpec = { records: 100, abortPpm: 0 };

/** Where the transactional application is: initTransactions, between transactions, in one, ending one, or done (fatal error). */
type TxnPhase = 'init' | 'ready' | 'open' | 'ending' | 'closed';

class ProducerApplication implements Process<unknown>, ProducerCallback {
  private readonly name: string;
  private readonly topic: string;
  /** The key of each key index, made once: every record of a key carries the same string. */
  private readonly keyNames: string[] = [];
  private nextSeq: number;
  private readonly tick = (): void => this.onTick();
  /** SIGTERM came: no more sends; the process exits when close() returns. */
  private closing = false;
  private readonly producer: KafkaProducer;
  /** With a transactional.id: the application's transactions; null otherwise. */
  private readonly txnSpec: TransactionsSpec | null;
  private txnPhase: TxnPhase = 'init';
  private txnFirstSeq = -1;
  private txnLastSeq = -1;
  private txnCount = 0;
  private txnProducerId = -1;
  private txnProducerEpoch = -1;
  private onExit: (() => void) | null = null;

  constructor(
    private readonly env: Env<unknown>,
    private readonly spec: ProducerSpec,
    private readonly options: ProducerOptions,
    settings: ProducerSettings,
  ) {
    this.name = spec.name;
    this.topic = spec.topic;
    // Messages that came due while the process was down are never sent (it was not running to send them).
    this.nextSeq = this.firstSeqDueFrom(env.now());
    this.scheduleNext();
    // Made after the first send is scheduled: the client asks for metadata at once, and its
    // request's timer is set after the application's (timers due together fire in the order set).
    this.producer = new KafkaProducer(env, { clientId: spec.name, topic: spec.topic, bootstrap: options.bootstrap, profile: options.profile }, settings, this);
    this.txnSpec = settings.transactionalId === null ? null : (spec.transactions ?? DEFAULT_TRANSACTIONS);
    if (this.txnSpec !== null) {
      this.producer.initTransactions((outcome) => {
        if (outcome.fatal) return this.closeAfterFatal();
        this.txnPhase = 'ready';
        this.onTick();
      });
    }
  }

  onMessage(from: string, message: unknown): void {
    this.producer.receive(from, message);
  }

  /** SIGTERM: the application's shutdown hook stops sending and calls close() (no timeout). */
  onTerminate(exit: () => void): void {
    this.closing = true;
    if (this.txnSpec !== null) {
      this.onExit = exit;
      if (this.txnPhase === 'open') this.endTransaction(false);
      else if (this.txnPhase !== 'ending') this.producer.close(exit);
      return;
    }
    this.producer.close(exit);
  }

  /** A request met a closed end (the broker restarted, its machine rebooted) and was reset. */
  onUnreachable(to: string, _message: unknown, connection: string): void {
    this.producer.connectionLost(to, connection);
  }

  /** The broker's process died, or the broker closed our connection. */
  onConnectionClosed(peer: string, connection: string): void {
    this.producer.connectionLost(peer, connection);
  }

  // ---------------------------------------------------------------- the callback

  onSendReturned(record: KafkaRecord, partition: number): void {
    this.env.trace({ kind: 'app.send', producer: this.name, seq: record.seq, key: record.key, topic: this.topic, partition } satisfies AppEvent, false);
  }

  onCompletion(record: KafkaRecord, partition: number, offset: number, error: SendFailure | null): void {
    if (error === null) this.env.trace({ kind: 'app.ack', producer: this.name, seq: record.seq, topic: this.topic, partition, offset } satisfies AppEvent, false);
    else this.env.trace({ kind: 'app.fail', producer: this.name, seq: record.seq, topic: this.topic, partition, error } satisfies AppEvent, false);
  }

  // ---------------------------------------------------------------- the send schedule

  private dueUs(seq: number): number {
    return (this.options.startAtUs ?? 0) + Math.floor((seq * 1_000_000) / this.spec.ratePerSec);
  }

  private firstSeqDueFrom(nowUs: number): number {
    if (this.spec.ratePerSec <= 0) return this.spec.messages + 1;
    const start = this.options.startAtUs ?? 0;
    let seq = Math.max(1, Math.floor(((nowUs - start) * this.spec.ratePerSec) / 1_000_000));
    while (seq > 1 && this.dueUs(seq - 1) >= nowUs) seq -= 1;
    while (this.dueUs(seq) < nowUs) seq += 1;
    return seq;
  }

  private scheduleNext(): void {
    if (this.nextSeq > this.spec.messages || this.closing) return;
    const due = this.dueUs(this.nextSeq);
    if (due > this.options.stopAtUs) return;
    this.env.setTimer(Math.max(0, due - this.env.now()), this.tick);
  }

  private onTick(): void {
    if (this.closing) return;
    if (this.txnSpec !== null) return this.onTransactionalTick(this.txnSpec);
    const now = this.env.now();
    while (this.nextSeq <= this.spec.messages) {
      const due = this.dueUs(this.nextSeq);
      if (due > now || due > this.options.stopAtUs) break;
      const seq = this.nextSeq++;
      this.producer.send(this.record(seq));
    }
    this.scheduleNext();
  }

  // ---------------------------------------------------------------- transactions

  /** The sends due now, in transactions of `records`; a transaction is ended when full or when no record will come. */
  private onTransactionalTick(txn: TransactionsSpec): void {
    const now = this.env.now();
    const producer = this.producer;
    while ((this.txnPhase === 'ready' || this.txnPhase === 'open') && this.hasMoreToSend() && this.dueUs(this.nextSeq) <= now) {
      if (this.txnPhase === 'ready') {
        producer.beginTransaction();
        const { producerId, producerEpoch } = producer.producerIdAndEpoch;
        this.txnPhase = 'open';
        this.txnFirstSeq = this.nextSeq;
        this.txnLastSeq = -1;
        this.txnCount = 0;
        this.txnProducerId = producerId;
        this.txnProducerEpoch = producerEpoch;
      }
      const seq = this.nextSeq;
      // send() throws after an error (failIfNotReadyForSend): the record waits for the next transaction.
      if (producer.send(this.record(seq)) !== null) {
        this.endTransaction(false);
        break;
      }
      this.nextSeq += 1;
      this.txnLastSeq = seq;
      this.txnCount += 1;
      if (this.txnCount >= txn.records) this.endTransaction(this.drawCommit(txn));
    }
    if (this.txnPhase === 'open' && !this.hasMoreToSend()) this.endTransaction(this.drawCommit(txn));
    // Initializing or ending a transaction: its callback looks at the schedule again.
    if (this.txnPhase === 'ready' || this.txnPhase === 'open') this.scheduleNext();
  }

  private hasMoreToSend(): boolean {
    return this.nextSeq <= this.spec.messages && this.dueUs(this.nextSeq) <= this.options.stopAtUs;
  }

  /** Commit, or abort for the spec's share of transactions (no draw when none is aborted). */
  private drawCommit(txn: TransactionsSpec): boolean {
    return txn.abortPpm === 0 || !this.env.random.chance(txn.abortPpm);
  }

  /** commitTransaction (an abortable error then aborts) or abortTransaction. */
  private endTransaction(commit: boolean): void {
    this.txnPhase = 'ending';
    const aborted = (outcome: TransactionOutcome): void => this.transactionEnded(outcome.error === null ? 'aborted' : 'unknown', outcome);
    if (!commit) return this.producer.abortTransaction(aborted);
    this.producer.commitTransaction((outcome) => {
      if (outcome.error === null) return this.transactionEnded('committed', outcome);
      if (!outcome.fatal) return this.producer.abortTransaction(aborted);
      this.transactionEnded('unknown', outcome);
    });
  }

  private transactionEnded(result: 'committed' | 'aborted' | 'unknown', outcome: TransactionOutcome): void {
    if (this.txnCount > 0) {
      this.env.trace({
        kind: 'app.txn',
        producer: this.name,
        transactionalId: this.producerTransactionalId(),
        producerId: this.txnProducerId,
        producerEpoch: this.txnProducerEpoch,
        firstSeq: this.txnFirstSeq,
        lastSeq: this.txnLastSeq,
        outcome: result,
        error: outcome.error,
      } satisfies AppEvent);
    }
    this.txnCount = 0;
    if (outcome.fatal) return this.closeAfterFatal();
    this.txnPhase = 'ready';
    if (this.onExit !== null) return this.producer.close(this.onExit);
    this.env.setTimer(0, this.tick);
  }

  private producerTransactionalId(): string {
    return String(this.spec.config['transactional.id']);
  }

  /** A fatal error (ProducerFencedException): the application closes its producer and sends no more. */
  private closeAfterFatal(): void {
    this.txnPhase = 'closed';
    const exit = this.onExit;
    this.producer.close(exit ?? (() => {}));
  }

  /** The record of message `seq`: the checker knows it by (producer, seq); its key is k((seq - 1) mod keys). */
  private record(seq: number): KafkaRecord {
    const keys = this.spec.keys;
    if (keys === null) return { key: null, producer: this.name, seq };
    const index = (seq - 1) % keys;
    let key = this.keyNames[index];
    if (key === undefined) {
      key = `k${index}`;
      this.keyNames[index] = key;
    }
    return { key, producer: this.name, seq };
  }
}
