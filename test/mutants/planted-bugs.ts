// The planted bugs of `npm run mutants` (issue 12, item 7): realistic mistakes a Kafka modeller
// could make, each one exact source fragment (found exactly once in its file) and its
// replacement, with the catalog scenarios whose expectations should catch it. run.ts applies
// them one at a time to a scratch copy of the sources; planted-bugs.test.ts checks, in the normal
// test suite, that every fragment is still there once and every scenario still exists, so a
// refactor that moves a mechanism also moves its planted bug.
//
// Each bug names one of the cheapest catalog scenarios that caught it in every seed of a 5-seed
// survey, and runs it at 2 seeds: runs are deterministic, so a catch is repeatable, and a second
// seed keeps one model change from hiding it. `npm run mutants -- --catalog` shows every catalog
// scenario that catches each bug, to choose from when one stops doing so.

export interface PlantedBug {
  /** What is wrong, in Kafka's words. */
  readonly name: string;
  /** The file, relative to the repository root. */
  readonly file: string;
  /** An exact fragment of that file: it must occur there exactly once. */
  readonly find: string;
  readonly replace: string;
  /** What Kafka does instead, and where (file, version). */
  readonly kafka: string;
  /** Catalog scenarios (file names in scenarios/, without .yaml) that should catch it. */
  readonly scenarios: readonly string[];
  /** Seeds 1..seeds of each scenario. */
  readonly seeds: number;
}

export const PLANTED_BUGS: readonly PlantedBug[] = [
  {
    name: 'acks=all answered before the ISR has the record (DelayedProduce waits for the leader LEO, not the high watermark)',
    file: 'src/broker/delayed-produce.ts',
    find: 'if (p.highWatermark < wait.requiredOffset) {',
    replace: 'if (p.log.logEndOffset < wait.requiredOffset) {',
    kafka: 'Partition.checkEnoughReplicasReachOffset: done when the high watermark reaches the required offset (3.9.0-rc3)',
    scenarios: ['zombie-leader-acks-all'],
    seeds: 2,
  },
  {
    name: 'high watermark as the largest LEO of the ISR instead of the smallest',
    file: 'src/broker/partition.ts',
    find: 'if (end < candidate) candidate = end;',
    replace: 'if (end > candidate) candidate = end;',
    kafka: 'Partition.maybeIncrementLeaderHW: the minimum log end offset of the (maximal) ISR (3.9.0-rc3)',
    scenarios: ['failover-dead-follower-2.2'],
    seeds: 2,
  },
  {
    name: 'min.insync.replicas never checked (the leader counts it as 1)',
    file: 'src/broker/replica-manager.ts',
    find: 'const minIsr = settings.minInsyncReplicas;',
    replace: 'const minIsr = 1;',
    kafka: 'Partition.appendRecordsToLeader: NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas (3.9.0-rc3)',
    scenarios: ['min-insync-rejects'],
    seeds: 2,
  },
  {
    name: 'clean election of a replica outside the ISR (the first live assigned replica leads)',
    file: 'src/controller/election.ts',
    find: 'const clean = assignment.find((r) => live.has(r) && isr.includes(r));',
    replace: 'const clean = assignment.find((r) => live.has(r));',
    kafka: 'PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection: the first live replica in the ISR (2.8.2)',
    scenarios: ['clean-election-waits'],
    seeds: 2,
  },
  {
    name: 'unclean leader election although unclean.leader.election.enable is false',
    file: 'src/controller/election.ts',
    find: '  if (!uncleanEnabled) return null;\n',
    replace: '',
    kafka: 'PartitionLeaderElectionAlgorithms.offlinePartitionLeaderElection: an out-of-sync replica only when unclean election is enabled (2.8.2)',
    scenarios: ['clean-election-waits'],
    seeds: 2,
  },
  {
    name: 'a new follower never truncates: it fetches from its own log end without asking the leader where its epoch ended',
    file: 'src/broker/fetcher.ts',
    find: "const entry: Followed = { hosted, leaderEpoch: state.leaderEpoch, leader, state: 'truncating', delayed: false, session: null };",
    replace: "const entry: Followed = { hosted, leaderEpoch: state.leaderEpoch, leader, state: 'fetching', delayed: false, session: null };",
    kafka: 'AbstractFetcherThread.maybeTruncate: a new follower truncates by OffsetsForLeaderEpoch before its first fetch (KIP-101, 2.8.2)',
    scenarios: ['kip101-divergence-2.8'],
    seeds: 2,
  },
  {
    name: 'an ISR that never shrinks (replica.lag.time.max.ms converted to microseconds twice)',
    file: 'src/broker/replica-manager.ts',
    find: 'const lagMaxUs = this.ctx.settings.replicaLagTimeMaxMs * 1000;',
    replace: 'const lagMaxUs = this.ctx.settings.replicaLagTimeMaxMs * 1000 * 1000;',
    kafka: 'Partition.getOutOfSyncReplicas: a follower not caught up for replica.lag.time.max.ms leaves the ISR (3.9.0-rc3)',
    scenarios: ['isr-change-via-controller-2.6'],
    seeds: 2,
  },
  {
    name: 'a follower re-added to the ISR before it reaches the high watermark',
    file: 'src/broker/partition.ts',
    find: 'return state !== undefined && state.logEndOffset >= this.highWatermark && state.logEndOffset >= this.leaderEpochStartOffset;',
    replace: 'return state !== undefined && state.logEndOffset >= this.leaderEpochStartOffset;',
    kafka: 'Partition.isFollowerInSync: back in the ISR only at or above the high watermark and the leader epoch start offset (3.9.0-rc3)',
    scenarios: ['isr-rejoin-at-high-watermark'],
    seeds: 2,
  },
  {
    name: 'idempotent dedupe off: the leader appends again a retried batch it already holds',
    file: 'src/broker/producer-state.ts',
    find: "if (b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset };",
    replace: 'if (b.firstSeq === batch.baseSequence && b.lastSeq === lastSeq) return APPEND;',
    kafka: 'ProducerStateEntry.findDuplicateBatch: a batch among the last five of its producer is answered with its first offset, not appended (3.9.0-rc3)',
    scenarios: ['max-in-flight-idempotent'],
    seeds: 2,
  },
  {
    name: 'the consumer commits position + 1 (the offset after the next record to read)',
    file: 'src/clients/consumer.ts',
    find: 'positions.push([owned.partition, owned.position]);',
    replace: 'positions.push([owned.partition, owned.position + 1]);',
    kafka: 'SubscriptionState.allConsumed: the position, the next offset to read, is what is committed (3.9.0-rc3)',
    scenarios: ['consumer-commit-after-processing'],
    seeds: 2,
  },
  {
    name: 'consumer fetches read above the high watermark (up to the log end, as a follower)',
    file: 'src/broker/replica-manager.ts',
    find: 'const batches = belowOffset(read, highWatermark);',
    replace: 'const batches = read;',
    kafka: 'ReplicaManager.readFromLog -> UnifiedLog.read with FetchIsolation.HIGH_WATERMARK for a consumer: records below the high watermark only (3.9.0-rc3)',
    scenarios: ['consumer-reads-below-hw'],
    seeds: 2,
  },
  {
    name: 'a consumer fetch at the high watermark returns the record at the high watermark',
    file: 'src/broker/replica-manager.ts',
    find: 'belowOffset(read, highWatermark)',
    replace: 'belowOffset(read, highWatermark + 1)',
    kafka: 'UnifiedLog.read: maxOffsetMetadata is the high watermark for a consumer, an exclusive bound (3.9.0-rc3)',
    scenarios: ['consumer-reads-below-hw'],
    seeds: 2,
  },
  {
    name: 'the controller epoch not checked: a broker never remembers the epoch of the controller it heard',
    file: 'src/broker/kafka-apis.ts',
    find: '    this.knownControllerEpoch = request.controllerEpoch;\n',
    replace: '',
    kafka: 'ReplicaManager.becomeLeaderOrFollower: STALE_CONTROLLER_EPOCH for an epoch older than the last one seen (2.8.2)',
    scenarios: ['controller-zombie-fenced'],
    seeds: 2,
  },
  {
    name: 'power loss keeps the page cache: records never flushed survive it',
    file: 'sim/world.ts',
    find: '    node.disk.powerLoss();\n',
    replace: '',
    kafka: 'Kafka writes to the page cache and fsyncs per log.flush.interval.messages / .ms; what was not flushed is gone with the power (LogManager, docs "Understanding Linux OS Flush Behavior")',
    scenarios: ['power-loss-unflushed'],
    seeds: 2,
  },
  {
    name: 'a follower takes the leader\'s high watermark without capping it at its own log end',
    file: 'src/broker/partition.ts',
    find: 'const next = Math.min(leaderHighWatermark, this.log.logEndOffset);',
    replace: 'const next = leaderHighWatermark;',
    kafka: 'ReplicaFetcherThread.processPartitionData -> UnifiedLog.maybeUpdateHighWatermark -> updateHighWatermark: bounded by the log end offset (3.9.0-rc3)',
    scenarios: ['isr-rejoin-at-high-watermark'],
    seeds: 2,
  },
  {
    name: 'the checker does not count acks=1 losses (only messages once seen below a high watermark)',
    file: 'src/checker/kafka-log.ts',
    find: 'if (row.state[seq] !== STATE_ACKED || seen[seq] !== 0) continue;',
    replace: 'if (row.state[seq] !== STATE_ACKED || seen[seq] !== 0 || row.committedAt[seq] < 0) continue;',
    kafka: 'lost (DESIGN.md): the application was told the send succeeded, and the message is not in the final log, whatever the acks',
    scenarios: ['hw-under-min-isr-3.7'],
    seeds: 2,
  },
  {
    name: 'retries treated as 0: the producer never retries a batch',
    file: 'src/clients/producer/sender.ts',
    find: 'batch.attempts >= this.settings.retries) return false;',
    replace: 'batch.attempts >= 0) return false;',
    kafka: 'Sender.canRetry: attempts below retries and delivery.timeout.ms not passed (3.9.0-rc3)',
    scenarios: ['max-in-flight-reorders'],
    seeds: 2,
  },
  {
    name: 'OffsetsForLeaderEpoch ignores the asked epoch: the leader answers the end of its own latest epoch',
    file: 'src/broker/replica-manager.ts',
    find: 'const end = p.log.endOffsetForEpoch(leaderEpoch, answer);',
    replace: 'const end = p.log.endOffsetForEpoch(p.leaderEpoch, answer);',
    kafka: 'Partition.lastOffsetForLeaderEpoch -> Log.endOffsetForEpoch -> LeaderEpochFileCache.endOffsetFor(the requested epoch) (2.8.2)',
    scenarios: ['kip279-divergence-2.0'],
    seeds: 2,
  },
  {
    name: 'the leader applies its ISR change when its ZooKeeper write failed (keeping its old znode version)',
    file: 'src/broker/isr-change-manager.ts',
    find: "onAnswer(refused(p, 'INVALID_UPDATE_VERSION'));",
    replace: "onAnswer({ topic: p.topic, partition: p.partition, error: 'NONE', leader: this.ctx.id, leaderEpoch: change.leaderEpoch, isr: change.isr, zkVersion: change.zkVersion });",
    kafka: 'Partition.maybeUpdateIsrAndVersion: the ISR and its zkVersion change only when the conditional write succeeded; otherwise "skip updating ISR" (2.6.0)',
    scenarios: ['isr-write-conflict-2.6'],
    seeds: 2,
  },
  {
    name: 'the group coordinator accepts an offset commit from a stale generation',
    file: 'src/coordinator/group-coordinator.ts',
    find: "return request.generationId !== group.generationId ? 'ILLEGAL_GENERATION' : null;",
    replace: "return request.generationId > group.generationId ? 'ILLEGAL_GENERATION' : null;",
    kafka: 'GroupCoordinator.validateOffsetCommit: ILLEGAL_GENERATION for any generation other than the group\'s (3.9.0-rc3)',
    scenarios: ['consumer-stale-generation-commit'],
    seeds: 2,
  },
];
