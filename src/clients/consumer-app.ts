// A consumer group member of a scenario: the application process that hosts a KafkaConsumer
// (src/clients/consumer/, Kafka's client library) and uses it only through its public
// methods and its rebalance listener, as a real application would. It runs the poll loop,
// takes its processing time per record, commits by the scenario's strategy, and stops on
// SIGTERM; its trace (app.processed, app.assigned, app.revoked) is what the checker reads.
// It lives outside the library's folder because it is no part of Kafka.
//
//   poll() ─▶ records ─▶ process each (processing time) ─▶ commit, by strategy:
//     before-processing  commitSync(positions) right after poll, then process
//     after-processing   process the poll's records, then commitSync(positions)
//     per-batch          per partition of the poll: process its records, then commitSync(that partition)
//     async              process the poll's records, then commitAsync(positions)
//     auto               enable.auto.commit: poll() commits the positions every auto.commit.interval.ms
//
// The positions committed are those right after the poll. The position moves when poll()
// returns records, before they are processed; so a crash after a commit and before processing
// loses the rest of the batch (unprocessed); a crash after processing and before the commit
// makes the next owner process them again (reprocessed). A loop slower than
// max.poll.interval.ms is left out of the group by the consumer's heartbeat thread, and finds
// its next commit refused and its partitions given to someone else.
//
// A clean stop (SIGTERM) ends the loop after the batch in hand and its commit, then close():
// an auto-commit, and LeaveGroup, so the group rebalances without waiting for the session.
import type { Env, Process, ProcessFactory } from '../../sim/index.js';
import type { ConsumerAppEvent } from '../kafka/events.js';
import type { KafkaMessage } from '../kafka/protocol.js';
import { tpKey, type KafkaRecord } from '../kafka/records.js';
import type { ConsumerSpec } from '../scenario/types.js';
import { consumerSettings, type ConsumerSettings } from './consumer/consumer-config.js';
import { KafkaConsumer, type CommitError, type ConsumerRebalanceListener, type PartitionRecords } from './consumer/kafka-consumer.js';

export interface ConsumerOptions {
  readonly bootstrap: readonly string[];
  readonly profile: string;
  /** 1-based index of this member in its group's entry (a static member's group.instance.id gets it as a suffix). */
  readonly memberIndex: number;
}

/** poll(Duration.ofMillis(100)): how long an empty poll waits for records before returning. */
const POLL_TIMEOUT_US = 100_000;

/** One step of the application's loop. */
type Step =
  /** The records poll() returned from one partition, processed in order. */
  | { readonly kind: 'process'; readonly records: PartitionRecords }
  | { readonly kind: 'commit'; readonly offsets: readonly [number, number][]; readonly mode: 'sync' | 'async' }
  | { readonly kind: 'poll' };
type ProcessStep = Extract<Step, { kind: 'process' }>;

const POLL: Step = { kind: 'poll' };

export function consumerProcess(spec: ConsumerSpec, member: string, options: ConsumerOptions): ProcessFactory<unknown> {
  const settings = consumerSettings(spec.config, spec.commit, options.profile);
  return (env) => new ConsumerApplication(env, spec, member, options, settings);
}

class ConsumerApplication implements Process<unknown>, ConsumerRebalanceListener {
  private readonly consumer: KafkaConsumer;
  private readonly group: string;
  private readonly topic: string;
  private readonly steps: Step[] = [];
  private stepIndex = 0;
  private busy = false; // a step waits on a timer or a response
  /** The loop ended: the consumer is being closed. */
  private stopped = false;
  /** SIGTERM came: the loop closes the consumer at its next poll, then the process exits. */
  private exitWhenClosed: (() => void) | null = null;
  /** Where processing stands inside the current process step. */
  private readonly cursor: { step: ProcessStep | null; batchIndex: number; offset: number } = { step: null, batchIndex: 0, offset: 0 };
  /** A poll that found nothing returned: the loop polls again. */
  private readonly onPollReturn = (): void => {
    this.stepIndex = 0;
    this.runApp();
  };

  constructor(
    private readonly env: Env<unknown>,
    private readonly spec: ConsumerSpec,
    private readonly member: string,
    options: ConsumerOptions,
    settings: ConsumerSettings,
  ) {
    this.group = spec.group;
    this.topic = spec.topic;
    // One group.instance.id for the group's entry: each member's gets its index as a suffix.
    const groupInstanceId = settings.groupInstanceId === null ? null : `${settings.groupInstanceId}-${options.memberIndex}`;
    this.consumer = new KafkaConsumer(env, { bootstrap: options.bootstrap, profile: options.profile, groupId: spec.group, groupInstanceId, member }, settings);
    this.consumer.subscribe(spec.topic, this);
    this.steps.push(POLL);
    this.runApp();
  }

  onMessage(from: string, message: unknown): void {
    if (typeof message !== 'object' || message === null) return;
    this.consumer.receive(from, message as KafkaMessage); // ignores what has no correlation id
  }

  onUnreachable(to: string, _message: unknown, connection: string): void {
    this.consumer.connectionLost(to, connection);
  }

  onConnectionClosed(peer: string, connection: string): void {
    this.consumer.connectionLost(peer, connection);
  }

  /**
   * SIGTERM. The application's shutdown hook clears its loop's running flag and wakes a waiting
   * poll (wakeup()): the loop finishes the current batch and that batch's commit, by its
   * strategy, and then calls close() instead of polling again.
   */
  onTerminate(exit: () => void): void {
    this.exitWhenClosed = exit;
    if (this.stopped || this.consumer.fatalError !== null) return exit(); // the loop already ended (on a fatal error)
    this.consumer.wakeup();
  }

  // ================================================================ the rebalance listener

  onPartitionsRevoked(partitions: readonly number[]): void {
    this.revoked(partitions, false);
  }

  onPartitionsLost(partitions: readonly number[]): void {
    this.revoked(partitions, true);
  }

  onPartitionsAssigned(partitions: readonly number[]): void {
    const { memberId, generationId } = this.consumer.groupMetadata();
    this.trace({ kind: 'app.assigned', group: this.group, member: this.member, memberId, generation: generationId, partitions: partitions.map((p) => tpKey(this.topic, p)) });
  }

  private revoked(partitions: readonly number[], lost: boolean): void {
    const { memberId, generationId } = this.consumer.groupMetadata();
    this.trace({ kind: 'app.revoked', group: this.group, member: this.member, memberId, generation: generationId, partitions: partitions.map((p) => tpKey(this.topic, p)), lost });
  }

  // ================================================================ the loop

  /** Runs steps until one has to wait (a processing timer, a commit's answer, an empty poll). */
  private runApp(): void {
    // A fatal group error: poll() would throw it, and the loop ends.
    if (this.busy || this.stopped || this.consumer.fatalError !== null) return;
    while (this.stepIndex < this.steps.length) {
      const step = this.steps[this.stepIndex++]!;
      if (step.kind === 'poll') {
        if (this.exitWhenClosed !== null) return this.close(this.exitWhenClosed);
        this.steps.length = 0;
        this.stepIndex = 0;
        const records = this.consumer.poll(POLL_TIMEOUT_US, this.onPollReturn);
        if (records === null) {
          this.steps.push(POLL); // nothing yet: the consumer calls onPollReturn when records come or the timeout passes
          return;
        }
        this.planBatch(records);
        continue;
      }
      if (step.kind === 'process') {
        if (this.process(step)) continue;
        this.stepIndex -= 1; // a record is being processed: this step resumes after it
        return;
      }
      if (step.mode === 'async') {
        this.consumer.commitAsync(step.offsets);
        continue;
      }
      this.busy = true;
      this.consumer.commitSync(step.offsets, this.onCommitSync);
      return;
    }
  }

  private readonly onCommitSync = (error: CommitError): void => {
    this.busy = false;
    // commitSync threw (CommitFailedException, RebalanceInProgressException, TimeoutException):
    // the loop's iteration ends there; the application catches it and polls again.
    if (error !== 'NONE') this.stepIndex = this.steps.length - 1;
    this.runApp();
  };

  /** The loop's end: close the consumer, then exit. */
  private close(exit: () => void): void {
    this.stopped = true;
    this.consumer.close(exit);
  }

  /** Arranges the commits around the records poll() just returned, by the commit strategy. */
  private planBatch(records: readonly PartitionRecords[]): void {
    const work = records.map((r): ProcessStep => ({ kind: 'process', records: r }));
    switch (this.spec.commit) {
      case 'before-processing':
        this.steps.push({ kind: 'commit', offsets: this.consumer.positions(), mode: 'sync' }, ...work);
        break;
      case 'after-processing':
        this.steps.push(...work, { kind: 'commit', offsets: this.consumer.positions(), mode: 'sync' });
        break;
      case 'async':
        this.steps.push(...work, { kind: 'commit', offsets: this.consumer.positions(), mode: 'async' });
        break;
      case 'per-batch':
        for (const step of work) this.steps.push(step, { kind: 'commit', offsets: [[step.records.partition, step.records.toOffset]], mode: 'sync' });
        break;
      case 'auto':
        this.steps.push(...work);
        break;
    }
    this.steps.push(POLL);
    this.stepIndex = 0;
  }

  private processingUs(): number {
    const { minUs, maxUs } = this.spec.processingUs;
    return maxUs <= minUs ? minUs : minUs + this.env.random.int(maxUs - minUs + 1);
  }

  /**
   * Processes the step's records from the cursor on; false when one takes time (a timer will
   * finish it and run the loop again), true when the step is done.
   */
  private process(step: ProcessStep): boolean {
    const cursor = this.cursor;
    const records = step.records;
    if (cursor.step !== step) {
      cursor.step = step;
      cursor.batchIndex = 0;
      cursor.offset = records.fromOffset;
    }
    while (cursor.offset < records.toOffset) {
      let batch = records.batches[cursor.batchIndex]!;
      while (cursor.offset >= batch.baseOffset + batch.records.length) batch = records.batches[++cursor.batchIndex]!;
      // Offsets no returned record holds (a transaction marker, an aborted transaction's records) are not the application's.
      if (cursor.offset < batch.baseOffset) cursor.offset = batch.baseOffset;
      const offset = cursor.offset;
      const record = batch.records[offset - batch.baseOffset]!;
      cursor.offset += 1;
      const durationUs = this.processingUs();
      if (durationUs === 0) {
        this.processed(records, offset, record);
        continue;
      }
      this.busy = true;
      this.env.setTimer(durationUs, () => {
        this.busy = false;
        this.processed(records, offset, record);
        this.runApp();
      });
      return false;
    }
    cursor.step = null;
    return true;
  }

  private processed(records: PartitionRecords, offset: number, record: KafkaRecord): void {
    this.trace({
      kind: 'app.processed',
      group: this.group,
      member: this.member,
      generation: this.consumer.groupMetadata().generationId,
      topic: this.topic,
      partition: records.partition,
      offset,
      producer: record.producer,
      seq: record.seq,
      highWatermark: records.highWatermark,
      lastStableOffset: records.lastStableOffset,
    }, false);
  }

  private trace(event: ConsumerAppEvent, keep = true): void {
    this.env.trace(event, keep);
  }
}
