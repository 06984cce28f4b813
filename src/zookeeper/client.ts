// The ZooKeeper client a broker holds (ZooKeeper's ClientCnxn, callback style). It lives inside
// the owner's process and talks to the server process only by messages; the owner forwards every
// `zk.*` message to `handle`.
//
// Timing follows ClientCnxn, with the negotiated session timeout T:
//   - a ping when nothing was sent for T/3 (readTimeout / 2, at most every 10 s);
//   - the connection is lost when nothing was heard for 2T/3 (readTimeout): requests in flight
//     fail with CONNECTIONLOSS, then onDisconnected, then reconnect attempts with the same session;
//   - each reconnect attempt is made after a random 0–1 s sleep (ClientCnxn.startConnect) and is
//     abandoned when unanswered after min(T/3, 2 s) (a TCP connect that gets nowhere);
//   - the client learns of expiry only from the server (Kafka 3.9's ZooKeeper 3.8 has no
//     client-side expiry): then onExpired, and a new session by itself (onConnected(id, true)).
// Requests made while not connected wait in a queue and are sent once connected, as ClientCnxn's
// outgoing queue does (Kafka's ZooKeeperClient also waits for the connection). If the session
// expires first, they fail with SESSIONEXPIRED; requests made from onExpired on go to the new session.
import type { Env, EventId } from '../../sim/index.js';
import { invariant } from '../../sim/index.js';
import type {
  CreateMode,
  SessionState,
  Stat,
  WatchedEvent,
  Watcher,
  ZkClient,
  ZkClientListener,
  ZkErrorCode,
  ZkMultiResult,
  ZkOp,
  ZkOpCode,
  ZkResult,
  ZnodeData,
} from './api.js';
import { SPECIAL_PATHS } from './data-tree.js';
import { validatePath } from './path.js';
import {
  isZkMessage, type MultiOpResult, type SetWatches, type ZkClientMessage, type ZkReply, type ZkReplyBody, type ZkRequest, type ZkServerMessage,
} from './protocol.js';

export interface ZkClientOptions {
  /** The ZooKeeper server's node name. */
  readonly server: string;
  /** Requested; the server clamps it to [minSessionTimeout, maxSessionTimeout]. */
  readonly sessionTimeoutMs: number;
  readonly listener?: ZkClientListener;
}

/** Creates a client and starts connecting at once. */
export function createZkClient(env: Env<unknown>, options: ZkClientOptions): ZkClient {
  return new Client(env, options);
}

const MAX_SEND_PING_INTERVAL_MS = 10_000; // ClientCnxn
const RECONNECT_SLEEP_MS = 1000; // ClientCnxn.startConnect sleeps a random 0..1 s before a reconnect
const CONNECT_ATTEMPT_MAX_MS = 2000;
const NONCE_LIMIT = 2 ** 31;

interface Pending {
  readonly xid: number;
  readonly request: ZkRequest;
  /** Registers the watcher on success and calls the caller's callback with the typed result. */
  readonly complete: (reply: ZkReply) => void;
}

type SeqMessage = Extract<ZkServerMessage, { type: 'zk.response' | 'zk.pong' | 'zk.watch' }>;

class Client implements ZkClient {
  private sessionState: SessionState = 'CONNECTING';
  private session = 0;
  private timeoutMs: number; // requested until the first session, negotiated after
  private readonly nonce: number;
  private conn = 0; // the current connection attempt
  private sendSeq = 0;
  private recvSeq = 0;
  private nextXid = 1;
  private lastZxidSeen = 0;
  private lastSentUs = 0;
  private lastHeardUs = 0;
  private timer: EventId | null = null;
  private timerGeneration = 0;
  private readonly inFlight = new Map<number, Pending>(); // xid → request sent and not answered
  private queued: Pending[] = []; // made while not connected
  private readonly watches = new ClientWatches();

  constructor(
    private readonly env: Env<unknown>,
    private readonly options: ZkClientOptions,
  ) {
    if (!Number.isSafeInteger(options.sessionTimeoutMs) || options.sessionTimeoutMs <= 0) {
      throw new Error(`zookeeper: sessionTimeoutMs must be a positive integer (got ${options.sessionTimeoutMs})`);
    }
    this.timeoutMs = options.sessionTimeoutMs;
    this.nonce = env.random.int(NONCE_LIMIT);
    this.attempt();
  }

  get state(): SessionState {
    return this.sessionState;
  }

  get sessionId(): number {
    return this.session;
  }

  /** ClientCnxn.negotiatedSessionTimeout, set from the server's ConnectResponse; 0 with no session. */
  get sessionTimeoutMs(): number {
    return this.session === 0 ? 0 : this.timeoutMs;
  }

  // --- the API ------------------------------------------------------------------------------

  create(path: string, data: ZnodeData, mode: CreateMode, callback: (result: ZkResult<string>) => void): void {
    validatePath(path, mode === 'PERSISTENT_SEQUENTIAL' || mode === 'EPHEMERAL_SEQUENTIAL');
    this.submit({ op: 'create', path, data: frozenCopy(data), mode }, (reply) => {
      callback(reply.ok ? { ok: true, value: bodyOf(reply.body, 'create').path } : reply);
    });
  }

  delete(path: string, version: number, callback: (result: ZkResult<null>) => void): void {
    validateDelete(path);
    this.submit({ op: 'delete', path, version }, (reply) => {
      if (!reply.ok) return callback(reply);
      bodyOf(reply.body, 'delete');
      callback({ ok: true, value: null });
    });
  }

  setData(path: string, data: ZnodeData, version: number, callback: (result: ZkResult<Stat>) => void): void {
    validatePath(path);
    this.submit({ op: 'setData', path, data: frozenCopy(data), version }, (reply) => {
      callback(reply.ok ? { ok: true, value: bodyOf(reply.body, 'setData').stat } : reply);
    });
  }

  getData(path: string, watcher: Watcher | null, callback: (result: ZkResult<{ readonly data: ZnodeData; readonly stat: Stat }>) => void): void {
    validatePath(path);
    this.submit({ op: 'getData', path, watch: watcher !== null }, (reply) => {
      if (!reply.ok) return callback(reply);
      const body = bodyOf(reply.body, 'getData');
      if (watcher !== null) this.watches.data.add(path, watcher);
      callback({ ok: true, value: { data: body.data, stat: body.stat } });
    });
  }

  exists(path: string, watcher: Watcher | null, callback: (result: ZkResult<Stat | null>) => void): void {
    validatePath(path);
    this.submit({ op: 'exists', path, watch: watcher !== null }, (reply) => {
      if (!reply.ok) return callback(reply);
      const { stat } = bodyOf(reply.body, 'exists');
      // ExistsWatchRegistration: a data watch on a node that exists, an exist watch on one that does not.
      if (watcher !== null) (stat !== null ? this.watches.data : this.watches.exist).add(path, watcher);
      callback({ ok: true, value: stat });
    });
  }

  getChildren(path: string, watcher: Watcher | null, callback: (result: ZkResult<readonly string[]>) => void): void {
    validatePath(path);
    this.submit({ op: 'getChildren', path, watch: watcher !== null }, (reply) => {
      if (!reply.ok) return callback(reply);
      const { children } = bodyOf(reply.body, 'getChildren');
      if (watcher !== null) this.watches.child.add(path, watcher);
      callback({ ok: true, value: children });
    });
  }

  getChildren2(path: string, watcher: Watcher | null, callback: (result: ZkResult<{ readonly children: readonly string[]; readonly stat: Stat }>) => void): void {
    validatePath(path);
    this.submit({ op: 'getChildren2', path, watch: watcher !== null }, (reply) => {
      if (!reply.ok) return callback(reply);
      const { children, stat } = bodyOf(reply.body, 'getChildren2');
      if (watcher !== null) this.watches.child.add(path, watcher);
      callback({ ok: true, value: { children, stat } });
    });
  }

  multi(ops: readonly ZkOp[], callback: (result: ZkMultiResult) => void): void {
    // ZooKeeper's async multi answers a bad path with BADARGUMENTS; in ksim that is the caller's bug, thrown as for the other calls.
    const sent = ops.map((op) => {
      if (op.op === 'delete') validateDelete(op.path);
      else validatePath(op.path, op.op === 'create' && (op.mode === 'PERSISTENT_SEQUENTIAL' || op.mode === 'EPHEMERAL_SEQUENTIAL'));
      return op.op === 'create' || op.op === 'setData' ? { ...op, data: frozenCopy(op.data) } : op;
    });
    if (sent.length === 0) {
      // ZooKeeper.multiInternal: "nothing to do, early exit": OK from the event thread, nothing sent.
      this.env.setTimer(0, () => callback({ ok: true, value: [] }));
      return;
    }
    this.submit({ op: 'multi', ops: sent }, (reply) => {
      callback(reply.ok ? multiResult(bodyOf(reply.body, 'multi').results) : { ok: false, code: reply.code, opResults: null });
    });
  }

  close(): void {
    if (this.sessionState === 'CLOSED') return;
    if (this.sessionState === 'CONNECTED') this.sendOnConnection({ type: 'zk.close', sessionId: this.session });
    this.sessionState = 'CLOSED';
    this.cancelTimer();
    this.watches.clear();
    // ClientCnxn fails what is left with SESSIONEXPIRED once the client is closed.
    this.failAll([...this.inFlight.values(), ...this.queued], 'SESSIONEXPIRED');
    this.inFlight.clear();
    this.queued = [];
  }

  handle(from: string, message: unknown): boolean {
    if (!isZkMessage(message)) return false;
    if (from !== this.options.server || this.sessionState === 'CLOSED' || message.client !== this.nonce) return true;
    switch (message.type) {
      case 'zk.connected':
        this.onConnectedMessage(message);
        break;
      case 'zk.response':
      case 'zk.pong':
      case 'zk.watch':
        if (this.acceptInOrder(message)) this.onSessionMessage(message);
        break;
      case 'zk.expired':
        if (this.session !== 0 && message.sessionId === this.session) this.sessionExpired();
        break;
      case 'zk.disconnect':
        if (message.conn === this.conn) this.onReset();
        break;
      default:
        break; // client-to-server messages are not ours to read
    }
    return true;
  }

  // --- requests -----------------------------------------------------------------------------

  private submit(request: ZkRequest, complete: (reply: ZkReply) => void): void {
    const pending: Pending = { xid: this.nextXid++, request, complete };
    if (this.sessionState === 'CLOSED') {
      // Answered from a timer, not from inside the call: a caller that retries on failure must not recurse.
      this.env.setTimer(0, () => complete({ ok: false, code: 'SESSIONEXPIRED' }));
    } else if (this.sessionState === 'CONNECTED') {
      this.sendRequest(pending);
    } else {
      this.queued.push(pending);
    }
  }

  private sendRequest(pending: Pending): void {
    this.inFlight.set(pending.xid, pending);
    this.sendOnConnection({ type: 'zk.request', sessionId: this.session, xid: pending.xid, request: pending.request });
  }

  private onSessionMessage(message: SeqMessage): void {
    switch (message.type) {
      case 'zk.pong':
        return;
      case 'zk.watch':
        for (const watcher of this.watches.materialize(message.event)) watcher(message.event);
        return;
      case 'zk.response': {
        // The server answers a session's requests in order (ClientCnxn checks the same: "Xid out of order").
        const first = this.inFlight.keys().next();
        invariant(!first.done && first.value === message.xid, () => `zookeeper: reply to xid ${message.xid}, expected ${first.done ? 'none' : first.value}`);
        const pending = this.inFlight.get(message.xid)!;
        this.inFlight.delete(message.xid);
        if (message.zxid > this.lastZxidSeen) this.lastZxidSeen = message.zxid;
        pending.complete(message.result);
        return;
      }
    }
  }

  private failAll(pendings: readonly Pending[], code: ZkErrorCode): void {
    for (const pending of pendings) pending.complete({ ok: false, code });
  }

  // --- the connection -----------------------------------------------------------------------

  /** Sends `zk.connect` on a new connection and waits a while for the answer. */
  private attempt(): void {
    this.conn += 1;
    const message: ZkClientMessage = {
      type: 'zk.connect',
      client: this.nonce,
      conn: this.conn,
      sessionId: this.session === 0 ? null : this.session,
      timeoutMs: this.options.sessionTimeoutMs,
      lastZxidSeen: this.lastZxidSeen,
      watches: this.watches.toSetWatches(),
    };
    this.env.send(this.options.server, message);
    const waitMs = Math.min(Math.floor(this.timeoutMs / 3), CONNECT_ATTEMPT_MAX_MS);
    this.setTimer(waitMs * 1000, () => this.retryLater());
  }

  /** The next attempt comes after ZooKeeper's random reconnect sleep. */
  private retryLater(): void {
    this.conn += 1; // an answer to the abandoned attempt is stale now
    this.setTimer(this.env.random.int(RECONNECT_SLEEP_MS) * 1000, () => this.attempt());
  }

  private onConnectedMessage(message: Extract<ZkServerMessage, { type: 'zk.connected' }>): void {
    const connecting = this.sessionState === 'CONNECTING' || this.sessionState === 'DISCONNECTED';
    if (!connecting || message.conn !== this.conn) return;
    invariant(this.session === 0 || message.sessionId === this.session, () => `zookeeper: asked to resume session ${this.session}, got ${message.sessionId}`);
    const isNew = this.session === 0;
    this.session = message.sessionId;
    this.timeoutMs = message.timeoutMs;
    this.sessionState = 'CONNECTED';
    this.sendSeq = 1;
    this.recvSeq = 1;
    this.lastHeardUs = this.env.now();
    this.lastSentUs = this.env.now();
    this.heartbeat();
    // What waited is sent first, in the order it was asked for.
    const queued = this.queued;
    this.queued = [];
    for (const pending of queued) this.sendRequest(pending);
    this.options.listener?.onConnected?.(this.session, isNew);
  }

  /** True for the next message of the current connection; a gap breaks the connection. */
  private acceptInOrder(message: SeqMessage): boolean {
    if (this.sessionState !== 'CONNECTED' || message.conn !== this.conn || message.seq < this.recvSeq) return false;
    if (message.seq > this.recvSeq) {
      this.connectionLost(); // a message went missing: TCP would have broken the connection
      return false;
    }
    this.recvSeq += 1;
    this.lastHeardUs = this.env.now();
    return true;
  }

  private onReset(): void {
    if (this.sessionState === 'CONNECTED') this.connectionLost();
    else if (this.sessionState === 'CONNECTING' || this.sessionState === 'DISCONNECTED') this.retryLater();
  }

  /** Pings when idle; declares the connection lost when the server has been silent for readTimeout. */
  private heartbeat(): void {
    const now = this.env.now();
    const readTimeoutUs = Math.floor((this.timeoutMs * 2) / 3) * 1000;
    const pingIntervalUs = Math.min(Math.floor(readTimeoutUs / 2), MAX_SEND_PING_INTERVAL_MS * 1000);
    if (now - this.lastHeardUs >= readTimeoutUs) {
      this.connectionLost();
      return;
    }
    if (now - this.lastSentUs >= pingIntervalUs) this.sendOnConnection({ type: 'zk.ping', sessionId: this.session });
    const wakeUs = Math.min(this.lastSentUs + pingIntervalUs, this.lastHeardUs + readTimeoutUs);
    this.setTimer(Math.max(wakeUs - now, 1), () => this.heartbeat());
  }

  /** Requests in flight fail, the owner hears of it, and the client tries to resume the session. */
  private connectionLost(): void {
    this.sessionState = 'DISCONNECTED';
    this.cancelTimer();
    const failed = [...this.inFlight.values()];
    this.inFlight.clear();
    this.failAll(failed, 'CONNECTIONLOSS');
    if (this.sessionState !== 'DISCONNECTED') return; // a callback closed the client
    this.options.listener?.onDisconnected?.();
    if (this.sessionState !== 'DISCONNECTED') return;
    this.retryLater();
  }

  /** The server has ended the session: its ephemerals and watches are gone; start a new one. */
  private sessionExpired(): void {
    // ZooKeeper closes the connection first; the client sees a disconnect, then the expiry.
    if (this.sessionState === 'CONNECTED') this.connectionLost();
    if (this.sessionState === 'CLOSED') return;
    const expired = this.session;
    this.sessionState = 'EXPIRED';
    this.session = 0;
    this.timeoutMs = this.options.sessionTimeoutMs;
    this.cancelTimer();
    this.watches.clear();
    const doomed = this.queued;
    this.queued = [];
    this.options.listener?.onExpired?.(expired);
    this.failAll(doomed, 'SESSIONEXPIRED');
    if (this.sessionState !== 'EXPIRED') return; // closed meanwhile
    this.sessionState = 'CONNECTING';
    this.attempt();
  }

  private sendOnConnection(
    body: { readonly type: 'zk.request'; readonly sessionId: number; readonly xid: number; readonly request: ZkRequest } | { readonly type: 'zk.ping' | 'zk.close'; readonly sessionId: number },
  ): void {
    const message = { ...body, client: this.nonce, conn: this.conn, seq: this.sendSeq } satisfies ZkClientMessage;
    this.sendSeq += 1;
    this.lastSentUs = this.env.now();
    this.env.send(this.options.server, message);
  }

  /** The client's one timer (an attempt, a reconnect sleep or the heartbeat); setting it replaces the last. */
  private setTimer(delayUs: number, fn: () => void): void {
    this.cancelTimer();
    const generation = this.timerGeneration;
    this.timer = this.env.setTimer(delayUs, () => {
      // A timer that came due while the process was paused waits in the world's queue, where
      // cancelTimer no longer reaches it: the generation tells it that it was replaced.
      if (generation !== this.timerGeneration) return;
      this.timer = null;
      fn();
    });
  }

  private cancelTimer(): void {
    this.timerGeneration += 1;
    if (this.timer === null) return;
    this.env.cancelTimer(this.timer);
    this.timer = null;
  }
}

/**
 * The client's watchers by path, in ZooKeeper's three tables (ZKWatchManager): data watches
 * from getData and exists on an existing node, exist watches from exists on a missing node,
 * child watches from getChildren. An event takes the watchers ZooKeeper's `materialize` gives it.
 */
class ClientWatches {
  readonly data = new WatcherTable();
  readonly exist = new WatcherTable();
  readonly child = new WatcherTable();

  /** Removes and returns the watchers an event fires, each once. */
  materialize(event: WatchedEvent): Watcher[] {
    const fired = new Set<Watcher>();
    const take = (table: WatcherTable): void => {
      for (const watcher of table.remove(event.path)) fired.add(watcher);
    };
    switch (event.type) {
      case 'NodeDataChanged':
      case 'NodeCreated':
        take(this.data);
        take(this.exist);
        break;
      case 'NodeChildrenChanged':
        take(this.child);
        break;
      case 'NodeDeleted':
        take(this.data);
        take(this.exist);
        take(this.child);
        break;
    }
    return [...fired];
  }

  toSetWatches(): SetWatches {
    return { data: this.data.paths(), exist: this.exist.paths(), child: this.child.paths() };
  }

  clear(): void {
    this.data.clear();
    this.exist.clear();
    this.child.clear();
  }
}

class WatcherTable {
  private readonly byPath = new Map<string, Set<Watcher>>();

  add(path: string, watcher: Watcher): void {
    let watchers = this.byPath.get(path);
    if (watchers === undefined) {
      watchers = new Set();
      this.byPath.set(path, watchers);
    }
    watchers.add(watcher);
  }

  remove(path: string): Set<Watcher> {
    const watchers = this.byPath.get(path) ?? new Set<Watcher>();
    this.byPath.delete(path);
    return watchers;
  }

  paths(): string[] {
    return [...this.byPath.keys()];
  }

  clear(): void {
    this.byPath.clear();
  }
}

/** The reply body for `op`; another shape would be a simulator bug. */
function bodyOf<K extends ZkReplyBody['op']>(body: ZkReplyBody, op: K): Extract<ZkReplyBody, { op: K }> {
  invariant(body.op === op, () => `zookeeper: ${op} answered with a ${body.op} reply`);
  return body as Extract<ZkReplyBody, { op: K }>;
}

/**
 * A multi's answer as ClientCnxn hands it to a MultiCallback: its code is the first ErrorResult
 * that is not OK, and on failure every op's code is given (a failed multi's ops are all ErrorResults).
 */
function multiResult(results: readonly MultiOpResult[]): ZkMultiResult {
  const opResults = results.map((r): ZkOpCode => (r.type === 'error' ? r.err : 'OK'));
  const code = opResults.find((c) => c !== 'OK');
  if (code !== undefined) {
    invariant(code !== 'RUNTIMEINCONSISTENCY', () => 'zookeeper: a multi failed with RUNTIMEINCONSISTENCY before its failing op');
    return { ok: false, code, opResults };
  }
  const value = results.map((r): string | Stat | null => {
    invariant(r.type !== 'error', () => 'zookeeper: a successful multi answered an ErrorResult');
    return r.type === 'create' ? r.path : r.type === 'setData' ? r.stat : null;
  });
  return { ok: true, value };
}

/** ZooKeeper answers BADARGUMENTS to a delete of its own nodes; a caller doing that has a bug. */
function validateDelete(path: string): void {
  validatePath(path);
  if (SPECIAL_PATHS.includes(path)) throw new Error(`zookeeper: cannot delete ${path} (BADARGUMENTS)`);
}

/**
 * Znode data travels as a value: a deep-frozen copy, so neither the caller nor any reader can
 * change what the server stores (processes share no mutable objects).
 */
function frozenCopy(data: ZnodeData): ZnodeData {
  return deepFreeze(structuredClone(data));
}

function deepFreeze(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}
