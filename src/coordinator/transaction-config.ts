// The transaction coordinator's broker settings (Kafka's TransactionConfig, built in
// TransactionCoordinator.apply from KafkaConfig), and the rules that changed between release lines.
import { numberSetting } from '../broker/config.js';
import { profileNumber } from '../broker/profile.js';
import { DEFAULT_KAFKA_PROFILE, BROKER_CONFIG } from '../scenario/kafka-config.js';
import type { KafkaConfig } from '../scenario/types.js';

/** How the coordinator judges producer ids and epochs; it changed between release lines. */
export interface TransactionRules {
  /**
   * KIP-360 (2.5, KAFKA-8710): InitProducerId may carry the producer's id and epoch, to have that
   * epoch bumped after an abortable error; the coordinator keeps the previous id and epoch to
   * recognise a retry. Before 2.5 the request has no such fields.
   */
  readonly expectedProducerIdAndEpoch: boolean;
  /** KAFKA-9600 (2.6): an EndTxn from a client must carry exactly the current epoch; before, only an older one was refused. */
  readonly strictClientEpoch: boolean;
  /**
   * KAFKA-9666 (2.6): a fence whose log append failed is remembered, and the next fence does not
   * bump the epoch again; before, each failed fence left one more bump in memory.
   */
  readonly failedFenceKeepsEpoch: boolean;
  /** KIP-588 (2.7, KAFKA-9911): a fenced producer is told PRODUCER_FENCED; INVALID_PRODUCER_EPOCH before. */
  readonly fencedError: 'PRODUCER_FENCED' | 'INVALID_PRODUCER_EPOCH';
  /** KIP-447 (2.5): TxnOffsetCommit carries the consumer's member id and generation, checked as an OffsetCommit's; OffsetFetch may require stable offsets. */
  readonly txnOffsetCommitGroupMetadata: boolean;
  /**
   * KAFKA-16352 (3.8): a transaction's pending completion is dropped only by the markers sent for
   * it; before, an answer from an older coordinator epoch removed a newer load's entry by
   * transactional id, and that transaction stayed in PrepareCommit/PrepareAbort.
   */
  readonly pendingMarkersRemovedByValue: boolean;
}

export interface TransactionSettings {
  readonly transactionStateLogNumPartitions: number;
  readonly transactionStateLogReplicationFactor: number;
  readonly transactionStateLogMinIsr: number;
  readonly transactionMaxTimeoutMs: number;
  readonly abortTimedOutTransactionCleanupIntervalMs: number;
  /** The broker's request.timeout.ms: how long a WriteTxnMarkers request waits for its answer (KafkaConfig.requestTimeoutMs). */
  readonly requestTimeoutMs: number;
  readonly rules: TransactionRules;
}

/** The broker's request.timeout.ms default (Defaults.RequestTimeoutMs, 0.11 to 3.9); not a key ksim lets a scenario set. */
const BROKER_REQUEST_TIMEOUT_MS = 30_000;

export function transactionRules(profile: string): TransactionRules {
  const n = profileNumber(profile);
  return {
    expectedProducerIdAndEpoch: n >= 205,
    strictClientEpoch: n >= 206,
    failedFenceKeepsEpoch: n >= 206,
    fencedError: n >= 207 ? 'PRODUCER_FENCED' : 'INVALID_PRODUCER_EPOCH',
    txnOffsetCommitGroupMetadata: n >= 205,
    pendingMarkersRemovedByValue: n >= 308,
  };
}

export function transactionSettings(broker: KafkaConfig, profile: string = DEFAULT_KAFKA_PROFILE): TransactionSettings {
  const n = (key: string): number => numberSetting(broker, BROKER_CONFIG, key);
  return {
    transactionStateLogNumPartitions: n('transaction.state.log.num.partitions'),
    transactionStateLogReplicationFactor: n('transaction.state.log.replication.factor'),
    transactionStateLogMinIsr: n('transaction.state.log.min.isr'),
    transactionMaxTimeoutMs: n('transaction.max.timeout.ms'),
    abortTimedOutTransactionCleanupIntervalMs: n('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    requestTimeoutMs: BROKER_REQUEST_TIMEOUT_MS,
    rules: transactionRules(profile),
  };
}

/**
 * The topic configs __transaction_state is created with (TransactionStateManager.transactionTopicConfigs):
 * min.insync.replicas from transaction.state.log.min.isr, unclean leader election off. (Also
 * compaction, no compression and its segment size, which change nothing ksim models.)
 */
export function transactionTopicConfigs(broker: KafkaConfig): KafkaConfig {
  return {
    'min.insync.replicas': numberSetting(broker, BROKER_CONFIG, 'transaction.state.log.min.isr'),
    'unclean.leader.election.enable': false,
  };
}
