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
import type { Env, Process, ProcessFactory } from '../../sim/index.js';
import type { AppEvent } from '../kafka/events.js';
import type { KafkaRecord } from '../kafka/records.js';
import type { ProducerSpec } from '../scenario/types.js';
import { KafkaProducer, type ProducerCallback, type SendFailure } from './producer/kafka-producer.js';
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
  }

  onMessage(from: string, message: unknown): void {
    this.producer.receive(from, message);
  }

  /** SIGTERM: the application's shutdown hook stops sending and calls close() (no timeout). */
  onTerminate(exit: () => void): void {
    this.closing = true;
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
    const now = this.env.now();
    while (this.nextSeq <= this.spec.messages) {
      const due = this.dueUs(this.nextSeq);
      if (due > now || due > this.options.stopAtUs) break;
      const seq = this.nextSeq++;
      this.producer.send(this.record(seq));
    }
    this.scheduleNext();
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
