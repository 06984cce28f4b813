// Coverage probes: how often a run reached each rare Kafka situation (FoundationDB's code probes,
// read from the trace instead of planted in the model), so a green suite can show that it really
// went through the dangerous states and did not pass because nothing happened.
//
// A pure observer, like the log checker: it reads the trace events as they are recorded and
// never writes anything. It runs on every event of the run, so it switches on the kind first
// and allocates nothing for the kinds it does not follow; its state is a counter per probe, a
// few numbers per partition (ISR size, highest acknowledged offset, offline) and a replication
// factor per topic: no memory per message.
import type { NetworkEvent, ProcessEvent, TraceEvent, World } from '../../sim/index.js';
import type { KafkaError } from '../kafka/errors.js';
import type { KafkaEvent } from '../kafka/events.js';

/** Every probe, in report order, with what reaching it means (Kafka's words). */
export const COVERAGE_PROBES = [
  { name: 'unclean-election', description: 'a replica outside the ISR was elected leader (unclean.leader.election.enable)' },
  { name: 'isr-shrunk-to-one', description: 'the ISR of a partition with replication.factor > 1 shrank to one broker' },
  { name: 'truncation-below-acked', description: 'a replica truncated its log below an offset the producer had been told was acknowledged' },
  { name: 'fenced-controller', description: 'a broker refused a request from a zombie controller: an older controller epoch (STALE_CONTROLLER_EPOCH)' },
  { name: 'rebalance-during-commit', description: 'an offset commit met a rebalance: the application was told REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID or CommitFailed' },
  { name: 'retried-send-after-timeout', description: 'the producer retried a batch after REQUEST_TIMED_OUT or NETWORK_EXCEPTION (the first send may have been written)' },
  { name: 'offline-partition', description: 'a partition went offline: no live replica could lead it' },
  { name: 'controller-failover', description: 'a controller was elected after the first one (/controller changed hands)' },
  { name: 'not-enough-replicas', description: 'the leader refused an acks=all produce: ISR smaller than min.insync.replicas (NOT_ENOUGH_REPLICAS)' },
  { name: 'leader-epoch-truncation', description: 'a follower truncated its log to the leader epoch end offset (KIP-101)' },
  { name: 'high-watermark-truncation', description: 'a follower truncated its log to its high watermark (before KIP-101)' },
  { name: 'power-loss', description: 'a machine lost power and with it records written but not yet flushed (page cache)' },
  { name: 'coordinator-moved', description: 'a broker became group coordinator and loaded existing groups from __consumer_offsets' },
  { name: 'session-timeout', description: 'the coordinator removed a member whose heartbeats stopped for session.timeout.ms' },
  { name: 'poll-timeout', description: 'a consumer did not poll within max.poll.interval.ms and left its group' },
  { name: 'consumer-truncation-detected', description: "a consumer found its position above the new leader's log end and moved back (KIP-320)" },
  { name: 'broker-session-expired', description: "ZooKeeper expired a broker's session: its /brokers/ids registration (and /controller, if it held it) went" },
  { name: 'controlled-shutdown', description: 'a stopping broker had the controller move its leaderships away (controlled shutdown)' },
  { name: 'stale-broker-epoch', description: "a restarted broker refused a controller request meant for its predecessor (STALE_BROKER_EPOCH, KIP-380)" },
  { name: 'controller-write-retried', description: "the controller's write of a partition state met BADVERSION (the leader had changed the ISR since): it re-read the state and decided the election or ISR change again (PartitionStateMachine's retry)" },
  { name: 'broker-bounced', description: 'the controller found a broker registered again under a newer broker epoch before it saw it gone, and failed it before starting it again (KIP-380)' },
  { name: 'failover-isr-shrink', description: 'a new controller took replicas on dead brokers out of an ISR as it took over (ReplicaStateMachine.startup, KAFKA-3143)' },
  { name: 'broker-start-failed', description: "a broker's start failed and its process exited: its previous process's ZooKeeper session still held /brokers/ids/<id>, or ZooKeeper was out of reach" },
  { name: 'hw-held-under-min-isr', description: 'a leader held its high watermark below its log end: its ISR was smaller than min.insync.replicas (3.7+, KAFKA-15583)' },
  { name: 'alter-isr-refused', description: "the controller refused a leader's ISR change (AlterIsr / AlterPartition, 2.7+): FENCED_LEADER_EPOCH, INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA, STALE_BROKER_EPOCH ..." },
  { name: 'alter-isr-unanswered', description: "a leader's AlterIsr / AlterPartition got no answer from a controller (unreachable, timed out, or NOT_CONTROLLER) and was sent again; the ISR waited" },
  { name: 'producer-sequence-reset', description: "the idempotent producer restarted a partition's sequence numbers: a bumped epoch (KIP-360, 2.5+) or a new producer id (before 2.5)" },
  { name: 'illegal-generation-commit', description: "the group coordinator refused an offset commit from an older generation of the group (ILLEGAL_GENERATION): a member's commit that reached it after the group had moved on, such as one a closed connection still delivered" },
  { name: 'transaction-aborted', description: 'a partition leader appended an ABORT marker: a transaction was aborted (by its application, or by its coordinator after transaction.timeout.ms or a fencing)' },
  { name: 'lso-behind-hw', description: "a partition's last stable offset stood below its high watermark: an open transaction held read_committed consumers back (KIP-98)" },
  { name: 'acked-above-high-watermark', description: "at the end, acknowledged messages stood on a partition's final log above its high watermark: kept, not lost, but unreadable (a high watermark held under min.insync.replicas, or an ISR that never grew back)" },
  { name: 'aborted-read', description: 'a read_uncommitted group processed records that the final log shows aborted or undecided (read_committed would have skipped them)' },
] as const;

export type ProbeName = (typeof COVERAGE_PROBES)[number]['name'];
export type CoverageCounts = Record<ProbeName, number>;

export const PROBE_NAMES: readonly ProbeName[] = COVERAGE_PROBES.map((probe) => probe.name);

/** Every probe at zero, in report order (a system with no probes, such as the example, reports this). */
export function zeroCoverage(): CoverageCounts {
  const counts = {} as CoverageCounts;
  for (const name of PROBE_NAMES) counts[name] = 0;
  return counts;
}

const probe = (name: ProbeName): number => PROBE_NAMES.indexOf(name);
const UNCLEAN_ELECTION = probe('unclean-election');
const ISR_SHRUNK_TO_ONE = probe('isr-shrunk-to-one');
const TRUNCATION_BELOW_ACKED = probe('truncation-below-acked');
const FENCED_CONTROLLER = probe('fenced-controller');
const REBALANCE_DURING_COMMIT = probe('rebalance-during-commit');
const RETRIED_SEND_AFTER_TIMEOUT = probe('retried-send-after-timeout');
const OFFLINE_PARTITION = probe('offline-partition');
const CONTROLLER_FAILOVER = probe('controller-failover');
const NOT_ENOUGH_REPLICAS = probe('not-enough-replicas');
const LEADER_EPOCH_TRUNCATION = probe('leader-epoch-truncation');
const HIGH_WATERMARK_TRUNCATION = probe('high-watermark-truncation');
const POWER_LOSS = probe('power-loss');
const COORDINATOR_MOVED = probe('coordinator-moved');
const SESSION_TIMEOUT = probe('session-timeout');
const POLL_TIMEOUT = probe('poll-timeout');
const CONSUMER_TRUNCATION_DETECTED = probe('consumer-truncation-detected');
const BROKER_SESSION_EXPIRED = probe('broker-session-expired');
const CONTROLLED_SHUTDOWN = probe('controlled-shutdown');
const STALE_BROKER_EPOCH = probe('stale-broker-epoch');
const CONTROLLER_WRITE_RETRIED = probe('controller-write-retried');
const BROKER_BOUNCED = probe('broker-bounced');
const FAILOVER_ISR_SHRINK = probe('failover-isr-shrink');
const BROKER_START_FAILED = probe('broker-start-failed');
const HW_HELD_UNDER_MIN_ISR = probe('hw-held-under-min-isr');
const ALTER_ISR_REFUSED = probe('alter-isr-refused');
const ALTER_ISR_UNANSWERED = probe('alter-isr-unanswered');
const PRODUCER_SEQUENCE_RESET = probe('producer-sequence-reset');
const ILLEGAL_GENERATION_COMMIT = probe('illegal-generation-commit');
const TRANSACTION_ABORTED = probe('transaction-aborted');
const LSO_BEHIND_HW = probe('lso-behind-hw');

type ObservedEvent = KafkaEvent | ProcessEvent | NetworkEvent;


/** Per topic, per partition: what the probes remember (arrays grow as partitions appear). */
interface TopicProbes {
  /**
   * The topic's replication.factor: the longest replica list at creation (added partitions keep
   * it, as Kafka's do), or, for a topic the trace never showed created, the largest ISR seen.
   */
  replicationFactor: number;
  /** Per partition: the size of the last ISR seen, 0 before any. */
  readonly isrSize: number[];
  /** Per partition: the highest offset an `app.ack` reported, -1 before any. */
  readonly ackedOffset: number[];
  /** Per partition: offline since the last `offline`, until an election. */
  readonly offline: boolean[];
}

export class CoverageProbes {
  private readonly hits = new Float64Array(PROBE_NAMES.length);
  private readonly topics = new Map<string, TopicProbes>();
  private controllersElected = 0;
  /** Replicas (broker:partition) whose last stable offset stands behind their high watermark now. */
  private readonly lsoBehind = new Set<string>();

  constructor(world: Pick<World<unknown>, 'trace'>) {
    world.trace.observe((_atUs, event) => this.observe(event), { deliveries: false });
  }

  /** A probe the log checker decides at the end of the run, from the final logs. */
  reachedAtEnd(name: 'acked-above-high-watermark' | 'aborted-read', times: number): void {
    const index = PROBE_NAMES.indexOf(name);
    this.hits[index] = this.hits[index]! + times;
  }

  /** Every probe with the number of times the run reached it, zero included, in report order. */
  counts(): CoverageCounts {
    const counts = zeroCoverage();
    PROBE_NAMES.forEach((name, i) => (counts[name] = this.hits[i]!));
    return counts;
  }

  // Runs on every trace event. app.ack (one per acknowledged message) is the only frequent kind
  // followed: one map lookup and one comparison. The other frequent kinds (one per message, per
  // batch or per delivery) come next and leave at once, before the rare kinds are compared.
  private observe(event: TraceEvent): void {
    const e = event as ObservedEvent;
    switch (e.kind) {
      case 'app.ack': {
        // acks=0 acknowledges offset -1: below any offset, it promises none.
        const acked = this.topicOf(e.topic).ackedOffset;
        if (e.offset > at(acked, e.partition, -1)) put(acked, e.partition, e.offset, -1);
        return;
      }
      case 'app.send':
      case 'app.processed':
      case 'net.deliver':
      case 'log.append':
      case 'hw':
        return;
      case 'app.commit':
        // The application's view counts each commit once, refused by the coordinator or before
        // it was sent. A commit stored while the group is in PreparingRebalance is not counted:
        // every member of an eager rebalance commits then, before it rejoins (onJoinPrepare).
        if (isRebalanceCommitError(e.error)) this.hit(REBALANCE_DURING_COMMIT);
        return;
      case 'group.commit':
        // The coordinator's own verdict: the application may never hear it (its request had timed
        // out), and a refusal it does hear is also counted by rebalance-during-commit.
        if (e.error === 'ILLEGAL_GENERATION') this.hit(ILLEGAL_GENERATION_COMMIT);
        return;
      case 'produce.rejected':
        if (e.error === 'NOT_ENOUGH_REPLICAS') this.hit(NOT_ENOUGH_REPLICAS);
        return;
      case 'txn.marker':
        if (e.result === 'ABORT' && e.error === 'NONE') this.hit(TRANSACTION_ABORTED);
        return;
      case 'lso': {
        // Traced when the LSO falls behind the HW, moves while behind, or catches up: each fall counts once.
        const key = `${e.broker}:${e.topic}-${e.partition}`;
        if (e.lastStableOffset >= e.highWatermark) this.lsoBehind.delete(key);
        else if (!this.lsoBehind.has(key)) {
          this.lsoBehind.add(key);
          this.hit(LSO_BEHIND_HW);
        }
        return;
      }
      case 'producer.retry':
        if (e.error === 'REQUEST_TIMED_OUT' || e.error === 'NETWORK_EXCEPTION') this.hit(RETRIED_SEND_AFTER_TIMEOUT);
        return;
      case 'truncate':
        this.onTruncate(e);
        return;
      case 'topic.created':
        this.onTopicCreated(e.topic, e.assignment);
        return;
      case 'election': {
        if (e.unclean) this.hit(UNCLEAN_ELECTION);
        put(this.topicOf(e.topic).offline, e.partition, false, false);
        this.onIsr(e.topic, e.partition, e.isr.length);
        return;
      }
      case 'controller.isr':
        // A new controller's OfflineReplica step: the ISR lost a member (not only a dead leader's leadership).
        if (e.reason === 'controller-failover' && e.isr.length < at(this.topicOf(e.topic).isrSize, e.partition, 0)) this.hit(FAILOVER_ISR_SHRINK);
        this.onIsr(e.topic, e.partition, e.isr.length);
        return;
      case 'isr.shrink':
      case 'isr.expand':
        this.onIsr(e.topic, e.partition, e.isr.length);
        return;
      case 'offline': {
        const offline = this.topicOf(e.topic).offline;
        if (!at(offline, e.partition, false)) this.hit(OFFLINE_PARTITION);
        put(offline, e.partition, true, false);
        return;
      }
      case 'controller.elected':
        this.controllersElected += 1;
        if (this.controllersElected > 1) this.hit(CONTROLLER_FAILOVER);
        return;
      case 'controller.fenced':
        this.hit(FENCED_CONTROLLER);
        return;
      case 'proc.power':
        if (e.lostRecords > 0) this.hit(POWER_LOSS);
        return;
      case 'group.loaded':
        if (e.groups.length > 0) this.hit(COORDINATOR_MOVED);
        return;
      case 'group.member-removed':
        if (e.reason === 'session-timeout') this.hit(SESSION_TIMEOUT);
        return;
      case 'consumer.poll-timeout':
        this.hit(POLL_TIMEOUT);
        return;
      case 'consumer.position':
        if (e.source === 'truncation-detected') this.hit(CONSUMER_TRUNCATION_DETECTED);
        return;
      case 'zk.expired':
        if (e.ephemerals.some((path) => path.startsWith('/brokers/ids/'))) this.hit(BROKER_SESSION_EXPIRED);
        return;
      case 'controller.shutting-down':
        this.hit(CONTROLLED_SHUTDOWN);
        return;
      case 'broker.stale-request':
        this.hit(STALE_BROKER_EPOCH);
        return;
      case 'controller.write-conflict':
        // Decided again on the re-read state; finding its own write (before 1.1) or a newer controller's is not a retry.
        if (e.then === 'retry' || e.then === 'not-needed') this.hit(CONTROLLER_WRITE_RETRIED);
        return;
      case 'broker.bounced':
        this.hit(BROKER_BOUNCED);
        return;
      case 'broker.start-failed':
        this.hit(BROKER_START_FAILED);
        return;
      case 'hw.held':
        this.hit(HW_HELD_UNDER_MIN_ISR);
        return;
      case 'isr.refused':
        this.hit(ALTER_ISR_REFUSED);
        return;
      case 'isr.alter-retry':
        // A top-level error refuses the whole request; no answer, or NOT_CONTROLLER, is no controller's decision.
        if (e.why === 'no-answer' || e.why === 'NOT_CONTROLLER') this.hit(ALTER_ISR_UNANSWERED);
        else if (e.why !== 'no-controller') this.hit(ALTER_ISR_REFUSED);
        return;
      case 'producer.sequence-reset':
        this.hit(PRODUCER_SEQUENCE_RESET);
        return;
      default:
        return;
    }
  }

  private hit(probeIndex: number): void {
    this.hits[probeIndex] = this.hits[probeIndex]! + 1;
  }

  private onTruncate(e: Extract<ObservedEvent, { kind: 'truncate' }>): void {
    if (e.reason === 'leader-epoch') this.hit(LEADER_EPOCH_TRUNCATION);
    else if (e.reason === 'high-watermark') this.hit(HIGH_WATERMARK_TRUNCATION);
    // The log now ends at toOffset: the record at every offset >= toOffset is gone from it.
    if (e.toOffset < e.fromOffset && e.toOffset <= at(this.topicOf(e.topic).ackedOffset, e.partition, -1)) this.hit(TRUNCATION_BELOW_ACKED);
  }

  private onTopicCreated(topic: string, assignment: readonly (readonly number[])[]): void {
    const probes = this.topicOf(topic);
    for (const replicas of assignment) probes.replicationFactor = Math.max(probes.replicationFactor, replicas.length);
  }

  /**
   * Counts each time a partition's ISR becomes a single broker while it has more replicas; an ISR
   * re-announced at one (a new leader epoch, an election among one) is the same stay, not a new one.
   */
  private onIsr(topic: string, partition: number, size: number): void {
    const probes = this.topicOf(topic);
    const before = at(probes.isrSize, partition, 0);
    probes.replicationFactor = Math.max(probes.replicationFactor, size);
    put(probes.isrSize, partition, size, 0);
    if (size === 1 && before !== 1 && probes.replicationFactor > 1) this.hit(ISR_SHRUNK_TO_ONE);
  }

  private topicOf(topic: string): TopicProbes {
    let probes = this.topics.get(topic);
    if (probes === undefined) {
      probes = { replicationFactor: 0, isrSize: [], ackedOffset: [], offline: [] };
      this.topics.set(topic, probes);
    }
    return probes;
  }
}

/** CommitFailedException (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID) or RebalanceInProgressException: the group moved on. */
function isRebalanceCommitError(error: KafkaError | 'COMMIT_FAILED'): boolean {
  return error === 'REBALANCE_IN_PROGRESS' || error === 'ILLEGAL_GENERATION' || error === 'UNKNOWN_MEMBER_ID' || error === 'COMMIT_FAILED';
}

function at<T>(values: readonly T[], index: number, absent: T): T {
  return index < values.length ? values[index]! : absent;
}

/** Sets values[index], filling any gap with `absent` so the array stays packed. */
function put<T>(values: T[], index: number, value: T, absent: T): void {
  while (values.length < index) values.push(absent);
  values[index] = value;
}
