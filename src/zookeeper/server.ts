// A standalone ZooKeeper server as one simulated process: the znode tree, sessions that expire
// by tick, one-shot watches, and a txn log on disk.
//
// Durability, as in ZooKeeper: every transaction (session create and close included) is appended
// to the txn log, and nothing that depends on it leaves the server until the log is flushed
// (SyncRequestProcessor fsyncs a batch, then FinalRequestProcessor answers). Replies, pongs and
// watch events leave in one queue, in the order they were made, so a client never hears of a
// change a power loss could still undo. A restart replays the log: the tree and the sessions come
// back, and every restored session gets a full timeout from the restart
// (SessionTrackerImpl re-adds them), so clients that reconnect in time keep their ephemerals.
//
// Each client connection is one of the kernel's TCP connections (the server's end `zookeeper#id`).
// A session is bound to at most one: a reconnect moves it to the new one and closes the old
// (ZooKeeperServer.processConnectRequest: CLIENT_RECONNECT); the server closes a session's
// connection when the session expires or the client closes it, and forgets the binding (and the
// connection's watches) when the client's end closes.
import type { DiskFile, Env, EventId, Process, ProcessFactory } from '../../sim/index.js';
import { invariant } from '../../sim/index.js';
import type { ZooKeeperEvent } from '../kafka/events.js';
import type { Stat, WatchedEvent, ZkErrorCode, ZkOp } from './api.js';
import { DataTree } from './data-tree.js';
import { prepare } from './prep.js';
import {
  isZkMessage,
  type MultiOpResult,
  type ZkClientMessage,
  type ZkReply,
  type ZkReplyBody,
  type ZkRequest,
  type ZkServerMessage,
} from './protocol.js';
import { SessionTracker } from './session-tracker.js';
import { TXN_LOG_FILE, type DataTxn, type Txn, type TxnRecord } from './txn.js';
import type { ConfigFinding, KafkaConfig } from '../scenario/types.js';
import { configDefault, ZOOKEEPER_CONFIG } from '../scenario/kafka-config.js';

export interface ZooKeeperServerConfig {
  readonly tickTimeMs: number;
  /** Default 2 × tickTime (ZooKeeper administrator's guide). */
  readonly minSessionTimeoutMs?: number;
  /** Default 20 × tickTime. */
  readonly maxSessionTimeoutMs?: number;
}

interface SessionLimits {
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
}

/** The server's settings from a scenario's `cluster.zookeeper` (unset keys: ZooKeeper's defaults). */
export function zookeeperServerConfig(config: KafkaConfig): ZooKeeperServerConfig {
  const tickTimeMs = config['tickTime'];
  const min = config['minSessionTimeout'];
  const max = config['maxSessionTimeout'];
  return {
    tickTimeMs: typeof tickTimeMs === 'number' ? tickTimeMs : Number(configDefault(ZOOKEEPER_CONFIG, 'tickTime')),
    ...(typeof min === 'number' ? { minSessionTimeoutMs: min } : {}),
    ...(typeof max === 'number' ? { maxSessionTimeoutMs: max } : {}),
  };
}

/** What the server refuses to start with (release-3.8 QuorumPeerConfig.parseProperties); [] when it starts. */
export function validateZooKeeperConfig(config: ZooKeeperServerConfig): ConfigFinding[] {
  const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = grantedRange(config);
  if (min <= max) return [];
  const key = config.maxSessionTimeoutMs !== undefined ? 'maxSessionTimeout' : 'minSessionTimeout';
  const found = key === 'maxSessionTimeout' ? `${max}` : `${min}`;
  const expected = key === 'maxSessionTimeout' ? `a maxSessionTimeout of at least minSessionTimeout (${min})` : `a minSessionTimeout of at most maxSessionTimeout (${max}, 20 × tickTime)`;
  return [{ key, expected, found, hint: 'ZooKeeper refuses to start: minSessionTimeout must not be larger than maxSessionTimeout' }];
}

/** The server's process factory; a restart builds a fresh server that recovers from its txn log. */
export function zookeeperServer(config: ZooKeeperServerConfig): ProcessFactory<unknown> {
  const limits = sessionLimits(config);
  return (env) => new ZooKeeperServer(env, limits);
}

/** The negotiated timeout: the client's request clamped to [minSessionTimeout, maxSessionTimeout]. */
export function negotiateTimeout(requestedMs: number, config: ZooKeeperServerConfig): number {
  const { minSessionTimeoutMs, maxSessionTimeoutMs } = sessionLimits(config);
  return Math.min(Math.max(requestedMs, minSessionTimeoutMs), maxSessionTimeoutMs);
}

/** The session timeouts the server grants: the configured ones, else 2 × and 20 × tickTime. */
function grantedRange(config: ZooKeeperServerConfig): SessionLimits {
  const tickTimeMs = config.tickTimeMs;
  return { tickTimeMs, minSessionTimeoutMs: config.minSessionTimeoutMs ?? 2 * tickTimeMs, maxSessionTimeoutMs: config.maxSessionTimeoutMs ?? 20 * tickTimeMs };
}

function sessionLimits(config: ZooKeeperServerConfig): SessionLimits {
  const { tickTimeMs, minSessionTimeoutMs, maxSessionTimeoutMs } = grantedRange(config);
  const ok = [tickTimeMs, minSessionTimeoutMs, maxSessionTimeoutMs].every((n) => Number.isSafeInteger(n) && n > 0);
  if (!ok) throw new Error(`zookeeper: tickTime, minSessionTimeout and maxSessionTimeout must be positive integers (got ${tickTimeMs}, ${minSessionTimeoutMs}, ${maxSessionTimeoutMs})`);
  if (minSessionTimeoutMs > maxSessionTimeoutMs) throw new Error(`zookeeper: minSessionTimeout ${minSessionTimeoutMs} is larger than maxSessionTimeout ${maxSessionTimeoutMs}`);
  return { tickTimeMs, minSessionTimeoutMs, maxSessionTimeoutMs };
}

interface Session {
  readonly id: number;
  readonly timeoutMs: number; // negotiated
  owner: string; // the node of the client holding the session
  connection: string | null; // the server's end of its current connection; null when it has none
}

/** A message (or, with none, the connection's close) waiting until the log holds `needs` records durably. */
interface Outgoing {
  readonly to: string;
  readonly connection: string;
  readonly message: ZkServerMessage | null;
  readonly needs: number;
}

type SessionMessage = Exclude<ZkClientMessage, { type: 'zk.connect' }>;
type ConnectMessage = Extract<ZkClientMessage, { type: 'zk.connect' }>;

class ZooKeeperServer implements Process<unknown> {
  private readonly log: DiskFile<TxnRecord>;
  private readonly tree: DataTree;
  private readonly tracker: SessionTracker;
  private readonly sessions = new Map<number, Session>();
  private readonly byConnection = new Map<string, Session>(); // the server's end name → its session
  private lastZxid = 0;
  private nextSessionId = 1;
  private tickTimer: EventId | null = null;
  // Group commit: one flush in flight at a time; the outbox drains as the log becomes durable.
  private readonly outbox: Outgoing[] = [];
  private durableLength = 0;
  private flushTarget = 0;
  private flushing = false;

  constructor(
    private readonly env: Env<unknown>,
    private readonly limits: SessionLimits,
  ) {
    this.log = env.disk.file<TxnRecord>(TXN_LOG_FILE);
    this.tree = new DataTree((sessionId, event) => this.notify(sessionId, event));
    this.tracker = new SessionTracker(limits.tickTimeMs * 1000);
    this.recover();
    this.sync();
  }

  onMessage(from: string, message: unknown, connection?: string): void {
    if (!isZkMessage(message)) return;
    if (connection === undefined) return invariant(false, () => `zookeeper: a ${message.type} from ${from} came as a datagram, not on a connection`);
    switch (message.type) {
      case 'zk.connect':
        this.onConnect(from, message, connection);
        break;
      case 'zk.request':
      case 'zk.ping':
      case 'zk.close':
        this.onSessionMessage(from, message, connection);
        break;
      default:
        break; // server-to-client messages never come here
    }
    this.sync();
  }

  /** The client closed its connection, or its OS did (its process died), or it was reset. */
  onConnectionClosed(_peer: string, connection: string): void {
    const session = this.byConnection.get(connection);
    if (session !== undefined) this.unbind(session);
  }

  onUnreachable(peer: string, _message: unknown, connection: string): void {
    this.onConnectionClosed(peer, connection);
  }

  // --- recovery -------------------------------------------------------------------------------

  /** Replays the txn log (what the disk kept: flushed records, and after a kill the page cache too). */
  private recover(): void {
    for (const record of this.log.slice()) {
      invariant(record.zxid > this.lastZxid, () => `zookeeper: txn log zxid ${record.zxid} after ${this.lastZxid}`);
      this.lastZxid = record.zxid;
      this.applyTxn(record);
    }
    const now = this.env.now();
    for (const session of this.sessions.values()) this.tracker.touch(session.id, session.timeoutMs, now);
    this.scheduleTick();
  }

  private applyTxn(record: TxnRecord): void {
    const { txn, zxid } = record;
    switch (txn.type) {
      case 'createSession':
        this.addSession(txn.sessionId, txn.timeoutMs, txn.owner);
        break;
      case 'closeSession':
        this.endSession(txn.sessionId, zxid);
        break;
      case 'error':
        break; // a failed write: it took a zxid and changed nothing
      case 'multi':
        this.applyData(txn.txns, record);
        break;
      default:
        this.applyData([txn], record);
    }
  }

  private applyData(txns: readonly DataTxn[], record: TxnRecord): (string | Stat | null)[] {
    return txns.map((txn) => this.tree.apply(txn, record.zxid, record.timeMs));
  }

  /**
   * Appends a transaction to the log under the next zxid, stamped with the time (TxnHeader.time,
   * which ZooKeeper takes from the leader's wall clock; here virtual ms since the run's start).
   * The flush comes in `sync`.
   */
  private append(txn: Txn): TxnRecord {
    this.lastZxid += 1;
    const record: TxnRecord = { zxid: this.lastZxid, timeMs: Math.floor(this.env.now() / 1000), txn };
    this.log.append(record);
    return record;
  }

  // --- sessions -------------------------------------------------------------------------------

  private addSession(id: number, timeoutMs: number, owner: string): Session {
    const session: Session = { id, timeoutMs, owner, connection: null };
    this.sessions.set(id, session);
    this.nextSessionId = Math.max(this.nextSessionId, id + 1);
    return session;
  }

  /** Forgets a session: its watches, its ephemerals (firing others' watches), its expiry. */
  private endSession(id: number, zxid: number): string[] {
    const session = this.sessions.get(id);
    if (session?.connection != null) this.byConnection.delete(session.connection);
    this.tree.removeWatcher(id);
    const ephemerals = this.tree.killSession(id, zxid);
    this.sessions.delete(id);
    this.tracker.remove(id);
    return ephemerals;
  }

  private onConnect(from: string, m: ConnectMessage, connection: string): void {
    // ZooKeeperServer refuses a client that has seen a later zxid than its own: it would go back in
    // time. It closes the connection (CloseRequestException); the client tries again.
    if (m.lastZxidSeen > this.lastZxid) {
      this.closeLater(from, connection);
      return;
    }
    if (m.sessionId === null) {
      this.createSession(from, m, connection);
      return;
    }
    const session = this.sessions.get(m.sessionId);
    if (session === undefined) {
      this.refuseExpired(from, connection, m.sessionId);
      return;
    }
    this.openConnection(session, from, m, connection);
  }

  private createSession(from: string, m: ConnectMessage, connection: string): void {
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.limits;
    const timeoutMs = Math.min(Math.max(m.timeoutMs, minSessionTimeoutMs), maxSessionTimeoutMs);
    const sessionId = this.nextSessionId;
    this.append({ type: 'createSession', sessionId, timeoutMs, owner: from });
    const session = this.addSession(sessionId, timeoutMs, from);
    this.env.trace({ kind: 'zk.session', node: from, sessionId, timeoutMs } satisfies ZooKeeperEvent);
    this.openConnection(session, from, m, connection);
  }

  /**
   * A (re)connection replaces the session's previous one, which the server closes
   * (CLIENT_RECONNECT) with its watches (ZooKeeper removes a closed connection's watchers); the
   * client re-sends its watches (SetWatches).
   */
  private openConnection(session: Session, from: string, m: ConnectMessage, connection: string): void {
    if (session.connection !== null) {
      this.closeLater(session.owner, session.connection);
      this.unbind(session);
    }
    session.owner = from;
    session.connection = connection;
    this.byConnection.set(connection, session);
    this.tracker.touch(session.id, session.timeoutMs, this.env.now());
    this.scheduleTick();
    this.enqueue(from, connection, { type: 'zk.connected', sessionId: session.id, timeoutMs: session.timeoutMs });
    this.tree.setWatches(m.lastZxidSeen, m.watches, session.id);
  }

  /** The session has no connection now; the connection's watches go with it. */
  private unbind(session: Session): void {
    if (session.connection !== null) this.byConnection.delete(session.connection);
    session.connection = null;
    this.tree.removeWatcher(session.id);
  }

  /** An unknown (expired or closed) session: say so on the connection, then close it. */
  private refuseExpired(to: string, connection: string, sessionId: number): void {
    this.enqueue(to, connection, { type: 'zk.expired', sessionId });
    this.closeLater(to, connection);
  }

  /** Closes a session for good (an expiry or the client's close) and records why. */
  private closeSession(session: Session, why: 'expired' | 'closed'): void {
    const { zxid } = this.append({ type: 'closeSession', sessionId: session.id });
    // ZooKeeper closes the session's connection; the client learns of the expiry at once if it can still be reached.
    if (session.connection !== null) {
      if (why === 'expired') this.enqueue(session.owner, session.connection, { type: 'zk.expired', sessionId: session.id });
      this.closeLater(session.owner, session.connection);
    }
    const ephemerals = this.endSession(session.id, zxid).sort();
    const event: ZooKeeperEvent = why === 'expired'
      ? { kind: 'zk.expired', sessionId: session.id, owner: session.owner, ephemerals }
      : { kind: 'zk.closed', sessionId: session.id, owner: session.owner, ephemerals };
    this.env.trace(event);
  }

  /** The session tracker looks once per tick while any session exists. */
  private scheduleTick(): void {
    if (this.tickTimer !== null || this.sessions.size === 0) return;
    const now = this.env.now();
    this.tickTimer = this.env.setTimer(this.tracker.nextTickUs(now) - now, () => {
      this.tickTimer = null;
      for (const id of this.tracker.poll(this.env.now())) {
        const session = this.sessions.get(id);
        if (session !== undefined) this.closeSession(session, 'expired');
      }
      this.scheduleTick();
      this.sync();
    });
  }

  // --- requests -------------------------------------------------------------------------------

  private onSessionMessage(from: string, m: SessionMessage, connection: string): void {
    const session = this.acceptFrom(from, m, connection);
    if (session === null) return;
    switch (m.type) {
      case 'zk.ping':
        this.send(session, { type: 'zk.pong' });
        break;
      case 'zk.close':
        this.closeSession(session, 'closed');
        break;
      case 'zk.request': {
        const { zxid, result } = this.process(session, m.request);
        this.send(session, { type: 'zk.response', xid: m.xid, zxid, result });
        break;
      }
    }
  }

  /**
   * The session of a message from its connection; otherwise null, after telling the client what
   * it needs to know (its session is gone; or this connection is not the session's, and closes).
   */
  private acceptFrom(from: string, m: SessionMessage, connection: string): Session | null {
    const session = this.sessions.get(m.sessionId);
    if (session === undefined) {
      this.refuseExpired(from, connection, m.sessionId);
      return null;
    }
    if (session.connection !== connection) {
      this.closeLater(from, connection);
      return null;
    }
    this.tracker.touch(session.id, session.timeoutMs, this.env.now());
    return session;
  }

  private process(session: Session, request: ZkRequest): { zxid: number; result: ZkReply } {
    const watcher = (watch: boolean): number | null => (watch ? session.id : null);
    switch (request.op) {
      case 'getData': {
        const found = this.tree.getData(request.path, watcher(request.watch));
        return this.read(found === null ? 'NONODE' : { op: 'getData', data: found.data, stat: found.stat });
      }
      case 'exists':
        return this.read({ op: 'exists', stat: this.tree.statNode(request.path, watcher(request.watch)) });
      case 'getChildren':
      case 'getChildren2': {
        const found = this.tree.getChildren(request.path, watcher(request.watch));
        if (found === null) return this.read('NONODE');
        // getChildren2 also answers the parent's Stat (FinalRequestProcessor, OpCode.getChildren2).
        return this.read(request.op === 'getChildren' ? { op: 'getChildren', children: found.children } : { op: 'getChildren2', ...found });
      }
      case 'create':
      case 'delete':
      case 'setData':
        return this.write(session, [request], false, (results) => singleReply(request, results[0] ?? null));
      case 'multi':
        return this.write(session, request.ops, true, (results) => ({ op: 'multi', results: request.ops.map((op, i) => opResult(op, results[i] ?? null)) }));
    }
  }

  private read(outcome: ZkReplyBody | ZkErrorCode): { zxid: number; result: ZkReply } {
    const result: ZkReply = typeof outcome === 'string' ? { ok: false, code: outcome } : { ok: true, body: outcome };
    return { zxid: this.lastZxid, result };
  }

  /**
   * Prepares, logs and applies a write (a multi is one transaction under one zxid). A write that
   * fails its checks is logged as an error txn under its own zxid and answered after its flush,
   * as any other (PrepRequestProcessor takes the zxid first; SyncRequestProcessor logs it).
   */
  private write(
    session: Session,
    ops: readonly ZkOp[],
    multi: boolean,
    reply: (results: (string | Stat | null)[]) => ZkReplyBody,
  ): { zxid: number; result: ZkReply } {
    const prepared = prepare(this.tree, ops, session.id);
    if (!prepared.ok) {
      const { zxid } = this.append({ type: 'error', code: prepared.code });
      if (!multi) return { zxid, result: { ok: false, code: prepared.code } };
      // A failed multi is answered OK with an ErrorResult per op (FinalRequestProcessor): OK before
      // the failing op (DataTree.processTxn), its code, RUNTIMEINCONSISTENCY after (pRequestHelper).
      const results = ops.map((_, i): MultiOpResult => ({ type: 'error', err: i < prepared.index ? 'OK' : i === prepared.index ? prepared.code : 'RUNTIMEINCONSISTENCY' }));
      return { zxid, result: { ok: true, body: { op: 'multi', results } } };
    }
    const txn: Txn = multi ? { type: 'multi', txns: prepared.txns } : prepared.txns[0]!;
    const record = this.append(txn);
    const results = this.applyData(prepared.txns, record);
    return { zxid: record.zxid, result: { ok: true, body: reply(results) } };
  }

  // --- output ---------------------------------------------------------------------------------

  private notify(sessionId: number, event: WatchedEvent): void {
    const session = this.sessions.get(sessionId);
    if (session !== undefined) this.send(session, { type: 'zk.watch', event });
  }

  /** Sends on the session's current connection, if it has one. */
  private send(session: Session, message: ZkServerMessage): void {
    if (session.connection !== null) this.enqueue(session.owner, session.connection, message);
  }

  private enqueue(to: string, connection: string, message: ZkServerMessage): void {
    this.outbox.push({ to, connection, message, needs: this.log.length });
  }

  /** Closes the connection once what was queued before reaches it (the outbox keeps the order). */
  private closeLater(to: string, connection: string): void {
    this.outbox.push({ to, connection, message: null, needs: this.log.length });
  }

  /** Starts a flush if the log grew, and sends whatever the durable log now covers. */
  private sync(): void {
    if (!this.flushing && this.flushTarget < this.log.length) {
      const target = this.log.length;
      this.flushTarget = target;
      const latencyUs = this.log.flush();
      if (latencyUs === 0) {
        this.durableLength = target;
      } else {
        this.flushing = true;
        this.env.setTimer(latencyUs, () => {
          this.flushing = false;
          this.durableLength = target;
          this.sync();
        });
      }
    }
    let sent = 0;
    while (sent < this.outbox.length && this.outbox[sent]!.needs <= this.durableLength) {
      const { to, connection, message } = this.outbox[sent]!;
      if (message === null) this.env.disconnect(to, connection);
      else this.env.send(to, message, connection);
      sent += 1;
    }
    if (sent > 0) this.outbox.splice(0, sent);
  }
}

/** A successful multi op's OpResult: CreateResult, DeleteResult, SetDataResult or CheckResult. */
function opResult(op: ZkOp, result: string | Stat | null): MultiOpResult {
  switch (op.op) {
    case 'create':
      invariant(typeof result === 'string', () => 'zookeeper: create applied without a path');
      return { type: 'create', path: result };
    case 'delete':
      return { type: 'delete' };
    case 'setData':
      invariant(result !== null && typeof result === 'object', () => 'zookeeper: setData applied without a stat');
      return { type: 'setData', stat: result };
    case 'check':
      return { type: 'check' };
  }
}

function singleReply(request: Extract<ZkRequest, { op: 'create' | 'delete' | 'setData' }>, result: string | Stat | null): ZkReplyBody {
  switch (request.op) {
    case 'create':
      invariant(typeof result === 'string', () => 'zookeeper: create applied without a path');
      return { op: 'create', path: result };
    case 'delete':
      return { op: 'delete' };
    case 'setData':
      invariant(result !== null && typeof result === 'object', () => 'zookeeper: setData applied without a stat');
      return { op: 'setData', stat: result };
  }
}
