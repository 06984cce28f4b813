// A broker's request handling (Kafka's KafkaApis): each request a client, another broker or the
// controller sends is dispatched here, once the server (broker.ts) has taken it off its connection.
// Produce, Fetch, ListOffsets, OffsetsForLeaderEpoch and WriteTxnMarkers go to the replica manager; the group
// requests to the group coordinator; AlterPartition and ControlledShutdown to this broker's
// controller, if it is one; the controller's LeaderAndIsr, UpdateMetadata and StopReplica are
// fenced by broker epoch and controller epoch, then applied. Metadata and FindCoordinator are
// answered from the metadata cache (metadata-cache.ts), InitProducerId without a transactional id
// from the server's block of producer ids; InitProducerId with one and the other transaction
// requests by the transaction coordinator, TxnOffsetCommit by the group coordinator.
import type { GroupCoordinator } from '../coordinator/group-coordinator.js';
import type { TransactionCoordinator } from '../coordinator/transaction-coordinator.js';
import type { Controller } from '../controller/controller.js';
import type { KafkaMessage, PartitionState } from '../kafka/protocol.js';
import { CONSUMER_OFFSETS, TRANSACTION_STATE, tpKey } from '../kafka/records.js';
import type { BrokerContext } from './context.js';
import type { ReplicaFetcher } from './fetcher.js';
import type { MetadataCache } from './metadata-cache.js';
import type { ReplicaManager } from './replica-manager.js';

type ControlRequest = Extract<KafkaMessage, { type: 'LeaderAndIsr' | 'UpdateMetadata' | 'StopReplica' }>;

export class KafkaApis {
  /** The newest controller epoch heard of: a request from an older controller is refused. */
  private knownControllerEpoch = -1;

  constructor(
    private readonly ctx: BrokerContext,
    private readonly replicas: ReplicaManager,
    private readonly fetcher: ReplicaFetcher,
    private readonly coordinator: GroupCoordinator,
    private readonly metadataCache: MetadataCache,
    /** This broker's controller while it is the controller, else null. */
    private readonly controller: () => Controller | null,
    /** The czxid of this process's registration, once made (KIP-380); -1 before. */
    private readonly brokerEpoch: () => number,
    /** The next producer id of the server's reserved block. */
    private readonly allocateProducerId: () => number,
    private readonly txnCoordinator: TransactionCoordinator,
  ) {}

  handleRequest(from: string, m: KafkaMessage): void {
    switch (m.type) {
      case 'Produce':
        return this.replicas.handleProduce(from, m);
      case 'Fetch':
        return this.replicas.handleFetch(from, m);
      case 'OffsetsForLeaderEpoch':
        return this.replicas.handleOffsetsForLeaderEpoch(from, m);
      case 'ListOffsets':
        return this.replicas.handleListOffsets(from, m);
      case 'WriteTxnMarkers':
        // A marker replicated in a __consumer_offsets partition completes the producer's pending offsets there (KafkaApis.handleWriteTxnMarkersRequest).
        return this.replicas.handleWriteTxnMarkers(from, m, (topic, partition, producerId, result) => {
          if (topic === CONSUMER_OFFSETS) this.coordinator.scheduleHandleTxnCompletion(producerId, [partition], result);
        });
      case 'FindCoordinator':
        return this.findCoordinator(from, m);
      case 'JoinGroup':
        return this.coordinator.handleJoinGroup(from, m);
      case 'SyncGroup':
        return this.coordinator.handleSyncGroup(from, m);
      case 'Heartbeat':
        return this.coordinator.handleHeartbeat(from, m);
      case 'LeaveGroup':
        return this.coordinator.handleLeaveGroup(from, m);
      case 'OffsetCommit':
        return this.coordinator.handleCommitOffsets(from, m);
      case 'OffsetFetch':
        return this.coordinator.handleFetchOffsets(from, m);
      case 'Metadata':
        return this.ctx.env.send(from, this.metadataResponse(m.correlationId, m.topics));
      case 'InitProducerId':
        if (m.transactionalId !== undefined && m.transactionalId !== null) return this.txnCoordinator.handleInitProducerId(from, m);
        return this.ctx.env.send(from, { type: 'InitProducerIdResponse', correlationId: m.correlationId, error: 'NONE', producerId: this.allocateProducerId(), producerEpoch: 0 });
      case 'AddPartitionsToTxn':
        return this.txnCoordinator.handleAddPartitionsToTxn(from, m);
      case 'AddOffsetsToTxn':
        return this.txnCoordinator.handleAddOffsetsToTxn(from, m);
      case 'EndTxn':
        return this.txnCoordinator.handleEndTxn(from, m);
      case 'TxnOffsetCommit':
        return this.coordinator.handleTxnCommitOffsets(from, m);
      case 'LeaderAndIsr':
      case 'UpdateMetadata':
      case 'StopReplica':
        return this.onControlRequest(from, m);
      case 'AlterPartition': {
        const controller = this.controller();
        if (controller === null) return this.ctx.env.send(from, { type: 'AlterPartitionResponse', correlationId: m.correlationId, error: 'NOT_CONTROLLER', partitions: [] });
        return controller.onAlterPartition(m, (error, partitions) => this.ctx.env.send(from, { type: 'AlterPartitionResponse', correlationId: m.correlationId, error, partitions }));
      }
      case 'ControlledShutdown': {
        const controller = this.controller();
        if (controller === null) return this.ctx.env.send(from, { type: 'ControlledShutdownResponse', correlationId: m.correlationId, error: 'NOT_CONTROLLER', remainingPartitions: [] });
        return controller.onControlledShutdown(m.brokerId, (error, remainingPartitions) =>
          this.ctx.env.send(from, { type: 'ControlledShutdownResponse', correlationId: m.correlationId, error, remainingPartitions }));
      }
      default:
        return; // responses never come here: onMessage routes them to their requests
    }
  }

  // ---- controller requests -----------------------------------------------------------------

  /**
   * A controller request meant for an older registration of this broker (KIP-380: the one of the
   * process before a restart, or of an expired session) is refused with STALE_BROKER_EPOCH; one
   * from a controller older than one we heard from, with STALE_CONTROLLER_EPOCH (zombie fencing).
   */
  private onControlRequest(from: string, request: ControlRequest): void {
    const epochs = this.ctx.behaviour.brokerEpochs;
    const type = `${request.type}Response` as const;
    if (epochs && request.brokerEpoch >= 0 && request.brokerEpoch < this.brokerEpoch()) {
      this.ctx.trace({ kind: 'broker.stale-request', broker: this.ctx.id, request: request.type, requestBrokerEpoch: request.brokerEpoch, brokerEpoch: this.brokerEpoch() });
      return this.ctx.env.send(from, { type, correlationId: request.correlationId, error: 'STALE_BROKER_EPOCH' });
    }
    if (request.controllerEpoch < this.knownControllerEpoch) {
      this.ctx.trace({ kind: 'controller.fenced', broker: request.controllerId, staleEpoch: request.controllerEpoch, currentEpoch: this.knownControllerEpoch });
      return this.ctx.env.send(from, { type, correlationId: request.correlationId, error: 'STALE_CONTROLLER_EPOCH' });
    }
    this.knownControllerEpoch = request.controllerEpoch;
    this.metadataCache.controllerId = request.controllerId;
    switch (request.type) {
      case 'LeaderAndIsr':
        return this.onLeaderAndIsr(from, request);
      case 'UpdateMetadata':
        return this.onUpdateMetadata(from, request);
      case 'StopReplica':
        return this.onStopReplica(from, request);
    }
  }

  private onLeaderAndIsr(from: string, request: Extract<KafkaMessage, { type: 'LeaderAndIsr' }>): void {
    const nodes = new Map(request.liveLeaders.map((b) => [b.id, b.node]));
    for (const state of request.partitionStates) {
      if (state.leader === this.ctx.id) this.fetcher.unfollow(tpKey(state.topic, state.partition));
    }
    const { lead, follow } = this.replicas.becomeLeaderOrFollower(request);
    this.fetcher.follow(follow.map(({ hosted, state, restart }) => ({ hosted, state, leaderNode: nodes.get(state.leader) ?? null, restart })));
    // The group coordinator follows the leadership of __consumer_offsets, the transaction
    // coordinator that of __transaction_state, whose leader epoch is its coordinator epoch (KafkaApis.onLeadershipChange).
    for (const hosted of lead) if (hosted.partition.topic === CONSUMER_OFFSETS) this.coordinator.onElection(hosted.partition.partition);
    for (const { hosted } of follow) if (hosted.partition.topic === CONSUMER_OFFSETS) this.coordinator.onResignation(hosted.partition.partition);
    for (const hosted of lead) if (hosted.partition.topic === TRANSACTION_STATE) this.txnCoordinator.onElection(hosted.partition.partition, hosted.partition.leaderEpoch);
    for (const { hosted } of follow) if (hosted.partition.topic === TRANSACTION_STATE) this.txnCoordinator.onResignation(hosted.partition.partition);
    this.ctx.env.send(from, { type: 'LeaderAndIsrResponse', correlationId: request.correlationId, error: 'NONE' });
  }

  private onUpdateMetadata(from: string, request: Extract<KafkaMessage, { type: 'UpdateMetadata' }>): void {
    this.metadataCache.liveBrokers = request.liveBrokers;
    for (const state of request.partitionStates) this.metadataCache.partitionStates.set(tpKey(state.topic, state.partition), state);
    this.txnCoordinator.onMetadataUpdate();
    this.ctx.env.send(from, { type: 'UpdateMetadataResponse', correlationId: request.correlationId, error: 'NONE' });
  }

  /** The controller took this shutting-down broker's follower replicas out of replication. */
  private onStopReplica(from: string, request: Extract<KafkaMessage, { type: 'StopReplica' }>): void {
    for (const { topic, partition } of request.partitions) this.fetcher.unfollow(tpKey(topic, partition));
    this.ctx.env.send(from, { type: 'StopReplicaResponse', correlationId: request.correlationId, error: 'NONE' });
  }

  /**
   * Any broker answers: the leader of the group's __consumer_offsets partition (of the
   * transactional id's __transaction_state partition), from this broker's metadata cache, if it is
   * alive (KafkaApis.handleFindCoordinatorRequest).
   */
  private findCoordinator(from: string, request: Extract<KafkaMessage, { type: 'FindCoordinator' }>): void {
    const key = request.keyType === 'transaction'
      ? tpKey(TRANSACTION_STATE, this.txnCoordinator.partitionFor(request.key))
      : tpKey(CONSUMER_OFFSETS, this.coordinator.partitionFor(request.key));
    const state = this.metadataCache.partitionStates.get(key);
    const leader = state === undefined || state.leader < 0 ? undefined : this.metadataCache.liveBrokers.find((b) => b.id === state.leader);
    this.ctx.env.send(from, leader === undefined
      ? { type: 'FindCoordinatorResponse', correlationId: request.correlationId, error: 'COORDINATOR_NOT_AVAILABLE', nodeId: -1, node: '' }
      : { type: 'FindCoordinatorResponse', correlationId: request.correlationId, error: 'NONE', nodeId: leader.id, node: leader.node });
  }

  private metadataResponse(correlationId: number, topics: readonly string[] | null): KafkaMessage {
    const byTopic = new Map<string, PartitionState[]>();
    for (const state of this.metadataCache.partitionStates.values()) {
      const list = byTopic.get(state.topic) ?? [];
      list.push(state);
      byTopic.set(state.topic, list);
    }
    const names = topics ?? [...byTopic.keys()].sort();
    return {
      type: 'MetadataResponse',
      correlationId,
      controllerId: this.metadataCache.controllerId,
      brokers: this.metadataCache.liveBrokers,
      topics: names.map((name) => {
        const states = (byTopic.get(name) ?? []).sort((a, b) => a.partition - b.partition);
        return {
          name,
          error: states.length === 0 ? 'UNKNOWN_TOPIC_OR_PARTITION' as const : 'NONE' as const,
          partitions: states.map((s) => ({
            partition: s.partition,
            error: s.leader < 0 ? 'LEADER_NOT_AVAILABLE' as const : 'NONE' as const,
            leader: s.leader,
            leaderEpoch: s.leaderEpoch,
            replicas: s.replicas,
            isr: s.isr,
          })),
        };
      }),
    };
  }
}
