// Kafka's trace events: the checker's input and the raw material of every causal story.
// High-volume events (per batch or per message) are recorded unkept (hashed and observed,
// not stored); rare ones (elections, ISR changes, truncations) are kept for stories.
import type { KafkaError } from './errors.js';

/** What the producing application was told about one send (DESIGN: "maybe sent" = neither). */
export type AppEvent =
  | { kind: 'app.send'; producer: string; seq: number; key: string | null; topic: string; partition: number }
  | { kind: 'app.ack'; producer: string; seq: number; topic: string; partition: number; offset: number }
  /** partition -1 with MAX_BLOCK_TIMEOUT: send() gave up after max.block.ms (no metadata or no buffer memory). */
  /** DELIVERY_TIMEOUT: delivery.timeout.ms (2.1+, KIP-91); BATCH_EXPIRED: before 2.1, a batch waited request.timeout.ms in the accumulator. */
  | { kind: 'app.fail'; producer: string; seq: number; topic: string; partition: number; error: KafkaError | 'DELIVERY_TIMEOUT' | 'BATCH_EXPIRED' | 'MAX_BLOCK_TIMEOUT' | 'TRANSACTION_ABORTED' }
  /**
   * A transactional application's transaction ended, as the application was told (KIP-98): its
   * records firstSeq..lastSeq (every send between beginTransaction and the end, in seq order) are
   * acknowledged only by `committed` (commitTransaction returned), failed by `aborted`
   * (abortTransaction returned), and stay "maybe sent" by `unknown` (commit or abort threw: a
   * timeout, fencing, a fatal error; `error` says which). A transactional producer's app.ack of a
   * single record says its batch was written, not that it will be visible.
   */
  | { kind: 'app.txn'; producer: string; transactionalId: string; producerId: number; producerEpoch: number; firstSeq: number; lastSeq: number; outcome: 'committed' | 'aborted' | 'unknown'; error: string | null };

export type ProducerEvent =
  | { kind: 'producer.retry'; producer: string; topic: string; partition: number; firstSeq: number; count: number; error: KafkaError; attempt: number }
  | { kind: 'producer.metadata'; producer: string; topic: string; partition: number; leader: number; leaderEpoch: number }
  /**
   * The idempotent producer gave up sequence numbers it could not trust: `epoch-bump` (2.5+,
   * KIP-360) renumbers the in-flight batches of `partitions` from 0 under the new epoch;
   * `new-producer-id` (before 2.5, or an exhausted epoch) discards the producer id, so every
   * partition starts again at 0 once InitProducerId answers (producerId -1 until then).
   */
  | { kind: 'producer.sequence-reset'; producer: string; topic: string; reason: 'epoch-bump' | 'new-producer-id'; producerId: number; producerEpoch: number; partitions: number[] };

/** Why KafkaServer.startup failed ("Fatal error during KafkaServer startup"): the process exits with status 1. */
export type StartFailure =
  /** /brokers/ids/<id> exists, owned by another session: the previous process's, not yet expired. */
  | { reason: 'registration-exists'; path: string; heldBySessionId: number; sessionId: number }
  /** No ZooKeeper connection within zookeeper.connection.timeout.ms. */
  | { reason: 'zookeeper-connection-timeout'; timeoutMs: number };

export type BrokerEvent =
  /**
   * Connected to ZooKeeper, the broker loads its logs (LogManager.loadLogs): after an unclean
   * shutdown (no marker) it recovers `recoveryBytes`; a restart also pays the start-up time.
   */
  | { kind: 'broker.loading'; broker: number; logs: number; cleanShutdown: boolean; restart: boolean; recoveryBytes: number; durationUs: number }
  /** Its logs are loaded: it registers next. */
  | { kind: 'broker.started'; broker: number; recovered: number }
  | ({ kind: 'broker.start-failed'; broker: number } & StartFailure)
  | { kind: 'broker.registered'; broker: number; sessionId: number; brokerEpoch: number }
  /** A controller request meant for an older registration of this broker was refused (STALE_BROKER_EPOCH, KIP-380). */
  | { kind: 'broker.stale-request'; broker: number; request: string; requestBrokerEpoch: number; brokerEpoch: number }
  /**
   * A clean stop (SIGTERM): `controlled-shutdown` when the controller answered (remaining: the
   * partitions it could not move away), `unclean` when every attempt failed or it was off,
   * `stopped` once logs are flushed and the ZooKeeper session is closed, just before the exit.
   */
  | { kind: 'broker.shutdown'; broker: number; phase: 'controlled-shutdown' | 'unclean' | 'stopped'; attempt: number; remaining: string[] }
  | { kind: 'log.append'; broker: number; topic: string; partition: number; baseOffset: number; count: number; leaderEpoch: number; role: 'leader' | 'follower' }
  | { kind: 'hw'; broker: number; topic: string; partition: number; highWatermark: number }
  /**
   * The last stable offset (KIP-98) fell behind the high watermark, moved while behind it, or caught
   * up with it (lastStableOffset = highWatermark); at any other time it is the high watermark.
   */
  | { kind: 'lso'; broker: number; topic: string; partition: number; lastStableOffset: number; highWatermark: number }
  /**
   * A leader's answer to one marker of a WriteTxnMarkers: appended at `offset` (error NONE), or
   * refused by the producer state (INVALID_PRODUCER_EPOCH, TRANSACTION_COORDINATOR_FENCED) or the
   * ISR (NOT_ENOUGH_REPLICAS), offset -1.
   */
  | {
      kind: 'txn.marker';
      broker: number;
      topic: string;
      partition: number;
      producerId: number;
      producerEpoch: number;
      result: 'COMMIT' | 'ABORT';
      coordinatorEpoch: number;
      offset: number;
      error: KafkaError;
    }
  | { kind: 'leader'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[] }
  | { kind: 'follower'; broker: number; topic: string; partition: number; leader: number; leaderEpoch: number }
  | { kind: 'isr.shrink'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[]; removed: number[]; lagMs: number }
  | { kind: 'isr.expand'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[]; added: number[] }
  /**
   * Unkept: the leader asked for an ISR change (a ZooKeeper write before 2.7; AlterIsr / AlterPartition
   * to the controller since), based on state znode version zkVersion. Until the answer, the HW counts
   * the maximal ISR (the ISR plus a replica being added) and no other change starts.
   */
  | { kind: 'isr.proposed'; broker: number; topic: string; partition: number; leaderEpoch: number; zkVersion: number; isr: number[]; maximalIsr: number[]; via: 'zookeeper' | 'AlterIsr' | 'AlterPartition' }
  /**
   * Unkept: the controller refused the leader's ISR change for this partition (its error), and what
   * the leader did: keeps waiting for a LeaderAndIsr with the change pending, went back to its
   * committed ISR, or sends the change again.
   */
  | { kind: 'isr.refused'; broker: number; topic: string; partition: number; leaderEpoch: number; isr: number[]; error: KafkaError; then: 'stays-pending' | 'back-to-committed' | 'retries' }
  /**
   * Unkept: an AlterIsr / AlterPartition request is sent again, its partitions still unanswered: no
   * controller known yet, no answer (unreachable, timed out, reset), or a top-level error.
   */
  | { kind: 'isr.alter-retry'; broker: number; partitions: number; why: 'no-controller' | 'no-answer' | KafkaError }
  /**
   * Kept, once per stay: the leader holds the HW although its log goes further, because its ISR is
   * smaller than min.insync.replicas (KAFKA-15583, 3.7+): records above it are invisible to consumers.
   */
  | { kind: 'hw.held'; broker: number; topic: string; partition: number; highWatermark: number; logEndOffset: number; isr: number[]; minIsr: number }
  | {
      kind: 'truncate';
      broker: number;
      topic: string;
      partition: number;
      fromOffset: number; // log end offset before
      toOffset: number; // log end offset after
      highWatermark: number;
      /** out-of-range: the leader's log ends below ours (OFFSET_OUT_OF_RANGE); cut to its end. */
      reason: 'high-watermark' | 'leader-epoch' | 'out-of-range' | 'power-loss';
    }
  /**
   * One round of a follower's truncation by leader epoch (KIP-101): it asked its leader where
   * `askedEpoch` ended and was told `leaderEpoch` (-1 before 2.0: the answer had none) ended at
   * `endOffset`; it truncates its log (ending at `logEndOffset`) to `truncateTo` and, unless
   * `final`, asks again (KIP-279: the leader's epoch was one it never had).
   */
  | {
      kind: 'truncation.round';
      broker: number;
      leader: number;
      topic: string;
      partition: number;
      askedEpoch: number;
      leaderEpoch: number;
      endOffset: number;
      logEndOffset: number;
      truncateTo: number;
      final: boolean;
    }
  | { kind: 'produce.rejected'; broker: number; topic: string; partition: number; error: KafkaError; isr: number[] }
  | { kind: 'log.flush'; broker: number; topic: string; partition: number; durableOffset: number };

export type ControllerEvent =
  | { kind: 'controller.elected'; broker: number; controllerEpoch: number }
  | { kind: 'controller.resigned'; broker: number; controllerEpoch: number }
  | { kind: 'controller.fenced'; broker: number; staleEpoch: number; currentEpoch: number }
  | { kind: 'broker.failed'; controller: number; broker: number }
  | { kind: 'broker.joined'; controller: number; broker: number }
  /**
   * The controller found a live broker registered again under a newer broker epoch (the czxid of
   * /brokers/ids/<id>): it restarted or lost its session between two reads (KIP-380, 2.2+).
   */
  | { kind: 'broker.bounced'; controller: number; broker: number; previousEpoch: number; brokerEpoch: number }
  /** A broker asked to stop cleanly: the controller no longer elects it and moves its leaderships away. */
  | { kind: 'controller.shutting-down'; controller: number; broker: number }
  | {
      kind: 'election';
      controller: number;
      controllerEpoch: number;
      topic: string;
      partition: number;
      leader: number;
      leaderEpoch: number;
      isr: number[];
      unclean: boolean;
      reason: ControllerReason;
    }
  | { kind: 'offline'; controller: number; topic: string; partition: number; isr: number[] }
  /**
   * The controller took dead replicas out of an ISR (a new leader epoch; leader -1 when the dead
   * replica led): on a broker failure, a controlled shutdown, or as a new controller (2.3+).
   */
  | {
      kind: 'controller.isr';
      controller: number;
      topic: string;
      partition: number;
      leader: number;
      leaderEpoch: number;
      isr: number[];
      reason: ControllerReason;
    }
  /**
   * The controller's write of a partition state failed with BADVERSION (the leader had changed
   * the ISR since the controller read it): it re-read the znode (what it found is given) and
   * `then` retried the election or ISR change on it, found none needed, found its own write there
   * (before 1.1: ReplicationUtils' checker), or gave up on a state a newer controller wrote.
   */
  | {
      kind: 'controller.write-conflict';
      controller: number;
      topic: string;
      partition: number;
      expectedZkVersion: number;
      zkVersion: number;
      leader: number;
      leaderEpoch: number;
      isr: number[];
      controllerEpoch: number;
      then: 'retry' | 'not-needed' | 'ours' | 'newer-controller';
    }
  /** A partition state change the controller could not make (Kafka's logFailedStateChange), with the ZooKeeper error. */
  | { kind: 'controller.state-change-failed'; controller: number; topic: string; partition: number; change: 'create' | 'update'; error: string };

/**
 * Why the controller wrote a partition's state: its leader's broker failed, a new topic, a
 * preferred-leader election, an offline partition found a leader, a controlled shutdown, or a
 * new controller repairing what it found (ISR writes only: ReplicaStateMachine.startup, 2.3+).
 */
export type ControllerReason =
  | 'broker-failure' | 'new-topic' | 'preferred' | 'offline-recovered' | 'isr-change' | 'controlled-shutdown' | 'controller-failover';

export type AdminEvent =
  | { kind: 'topic.created'; topic: string; assignment: number[][] }
  | { kind: 'admin.elect-preferred'; partitions: string[]; line: number }
  | { kind: 'admin.add-partitions'; topic: string; from: number; to: number; line: number };

export type ZooKeeperEvent =
  | { kind: 'zk.session'; node: string; sessionId: number; timeoutMs: number }
  | { kind: 'zk.expired'; sessionId: number; owner: string; ephemerals: string[] }
  /** The client closed its session (e.g. a controlled shutdown): its ephemerals were deleted at once. */
  | { kind: 'zk.closed'; sessionId: number; owner: string; ephemerals: string[] };

/**
 * What a consuming application did and was told. `member` is the consumer's process (node) name,
 * e.g. `billing-1`; `memberId` the id the coordinator gave it; `generation` the group generation
 * the member was in when it did it (-1 outside one).
 */
export type ConsumerAppEvent =
  /** Unkept (one per record): the application finished processing one record. */
  | {
      kind: 'app.processed';
      group: string;
      member: string;
      generation: number;
      topic: string;
      partition: number;
      offset: number;
      producer: string;
      seq: number;
      /** The high watermark the fetch response that delivered the record carried (dirty read if offset >= it). */
      highWatermark: number;
      /**
       * That response's last stable offset (0.11+: every answer to a consumer carries it, whatever
       * its isolation.level); -1 when it carried none (before 0.11). A read_committed consumer's
       * record at or above it would be a dirty read.
       */
      lastStableOffset: number;
    }
  /** Unkept: a commit the application made, and what it was told. offsets: the next offsets to read. */
  | {
      kind: 'app.commit';
      group: string;
      member: string;
      memberId: string;
      generation: number;
      mode: 'sync' | 'async' | 'auto';
      offsets: [topic: string, partition: number, offset: number][];
      /** COMMIT_FAILED: refused before sending, the member not being in a stable generation (CommitFailedException). */
      error: KafkaError | 'COMMIT_FAILED';
    }
  /** Kept: the member was given partitions (after a SyncGroup), and where it starts reading each. */
  | { kind: 'app.assigned'; group: string; member: string; memberId: string; generation: number; partitions: string[] }
  /** Kept: the member gave up partitions (eager: all of them before rejoining; cooperative: the revoked ones; lost: after a fatal group error). */
  | { kind: 'app.revoked'; group: string; member: string; memberId: string; generation: number; partitions: string[]; lost: boolean }
  /** Kept: where the consumer starts reading a partition: a committed offset, or auto.offset.reset. */
  | {
      kind: 'consumer.position';
      group: string;
      member: string;
      topic: string;
      partition: number;
      offset: number;
      source: 'committed' | 'reset-earliest' | 'reset-latest' | 'truncation-detected';
      /**
       * Why: a reset when there is no committed offset or the position fell out of the log's
       * range; log-truncation when a new leader's log ends below the position (KIP-320, 2.3+).
       */
      reason: 'committed' | 'no-committed-offset' | 'out-of-range' | 'log-truncation';
    }
  /** Kept: max.poll.interval.ms passed without a poll: the consumer leaves the group (its heartbeat thread does). */
  | { kind: 'consumer.poll-timeout'; group: string; member: string; memberId: string; generation: number; sinceLastPollMs: number }
  /** Kept: the consumer (re)joins the group, and why. */
  | { kind: 'consumer.join'; group: string; member: string; memberId: string; reason: string };

/** The group coordinator's decisions, all kept (rare; the stories of rebalances and commits). */
export type GroupEvent =
  /** The coordinator became (loaded) or stopped being (unloaded) the coordinator of an __consumer_offsets partition. */
  | { kind: 'group.loaded'; broker: number; partition: number; groups: string[] }
  | { kind: 'group.unloaded'; broker: number; partition: number; groups: string[] }
  /** A rebalance starts (the group enters PreparingRebalance). */
  | { kind: 'group.rebalance'; broker: number; group: string; generation: number; reason: string }
  /** The join phase is over: a new generation with its members, leader and protocol (assignor). */
  | { kind: 'group.generation'; broker: number; group: string; generation: number; protocol: string | null; leader: string; members: string[] }
  /** The leader's assignment was stored: the group is Stable. assignment: member id → partitions (`t-p`). */
  | { kind: 'group.stable'; broker: number; group: string; generation: number; assignment: [memberId: string, partitions: string[]][] }
  | { kind: 'group.member-removed'; broker: number; group: string; memberId: string; generation: number; reason: 'session-timeout' | 'leave' | 'rebalance-timeout' | 'fenced' }
  /** Unkept: an OffsetCommit the coordinator answered; error NONE means stored (replicated to the offsets partition's ISR). */
  | { kind: 'group.commit'; broker: number; group: string; memberId: string; generation: number; offsets: [topic: string, partition: number, offset: number][]; error: KafkaError }

  /** Kept: a TxnOffsetCommit the coordinator answered (KIP-98); with NONE its offsets are written and pending until the transaction's marker. */
  | { kind: 'group.txn-commit'; broker: number; group: string; transactionalId: string; producerId: number; producerEpoch: number; memberId: string; generation: number; offsets: [topic: string, partition: number, offset: number][]; error: KafkaError }
  /** Kept: the marker of a producer's transaction reached the group's offsets partition: its pending offsets are committed (COMMIT) or dropped (ABORT). */
  | { kind: 'group.txn-completed'; broker: number; group: string; producerId: number; result: 'COMMIT' | 'ABORT'; offsets: [topic: string, partition: number, offset: number][] };

/** The transaction coordinator's decisions (KIP-98), all kept: the stories of transactions, fencing and failover. */
export type TransactionEvent =
  /** A state change was written to __transaction_state and replicated, so the coordinator took it. partitions: `t-p`. */
  | {
      kind: 'txn.transition'; broker: number; transactionalId: string; producerId: number; producerEpoch: number;
      from: string; to: string; coordinatorEpoch: number; partitions: string[];
    }
  /**
   * The epoch was bumped to fence the producer: an InitProducerId found the transaction Ongoing, or
   * it outlived its transaction.timeout.ms. The transaction is aborted under the new epoch, which is
   * never handed out.
   */
  | { kind: 'txn.fence'; broker: number; transactionalId: string; producerId: number; fromEpoch: number; toEpoch: number; reason: 'init-producer-id' | 'timeout' }
  /** A request with an older (or unknown) producer epoch was refused: the producer is a zombie. */
  | { kind: 'txn.fenced'; broker: number; transactionalId: string; request: string; producerId: number; producerEpoch: number; currentEpoch: number; error: KafkaError }
  /** The coordinator loaded an __transaction_state partition it now leads (coordinator epoch = its leader epoch); `completing`: transactions found in PrepareCommit/PrepareAbort, whose markers it sends again. */
  | { kind: 'txn.loaded'; broker: number; partition: number; coordinatorEpoch: number; transactionalIds: string[]; completing: string[] }
  | { kind: 'txn.unloaded'; broker: number; partition: number; coordinatorEpoch: number; transactionalIds: string[] }
  /** A WriteTxnMarkers request to a partition leader, for one transaction's partitions there. */
  | {
      kind: 'txn.markers-sent'; broker: number; destination: number; transactionalId: string; producerId: number; producerEpoch: number;
      coordinatorEpoch: number; result: 'COMMIT' | 'ABORT'; partitions: string[];
    }
  /** Its answer: the partitions whose marker landed, those to retry (with the leader then known), or 'disconnected' (no answer: all retried). */
  | { kind: 'txn.markers-answered'; broker: number; destination: number; transactionalId: string; result: 'COMMIT' | 'ABORT'; written: string[]; retried: [partition: string, error: string][] }
  /** The coordinator stopped sending a transaction's markers: it no longer coordinates it (the partition moved, or is loading), or the leaders fenced them. */
  | { kind: 'txn.markers-dropped'; broker: number; transactionalId: string; coordinatorEpoch: number; reason: string }
  /** A transaction older than its transaction.timeout.ms is being aborted by the coordinator (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
  | { kind: 'txn.timeout-abort'; broker: number; transactionalId: string; producerId: number; producerEpoch: number; startedAtMs: number; timeoutMs: number };

export type KafkaEvent = AppEvent | ProducerEvent | BrokerEvent | ControllerEvent | ZooKeeperEvent | AdminEvent | ConsumerAppEvent | GroupEvent | TransactionEvent;
