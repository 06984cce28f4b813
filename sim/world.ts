// The world of one run: scheduler, random streams, network, disks, trace, and the simulated
// processes. A process reaches the world only through the `Env` it is handed; handlers are
// synchronous (no Promises: the microtask queue is outside the scheduler).
import { Disk } from './disk.js';
import { Network, type LinkConfig } from './network.js';
import { RandomStreams, type Random } from './random.js';
import { Scheduler, type EventId } from './scheduler.js';
import { Trace, type TraceEvent, type TraceSink } from './trace.js';

/** What a simulated process may touch. Nothing else. */
export interface Env<M> {
  readonly node: string;
  now(): number;
  /**
   * Without `connection`, a datagram (the link may drop, duplicate or reorder it; a cut loses
   * it). With one, the message travels on a TCP connection (sim/tcp.ts): a label names this
   * process's own connection to `to`, opened by the first send on it; the name `onMessage`
   * gave for a received message answers on the connection it came on.
   */
  send(to: string, message: M, connection?: string): void;
  /** Closes this end of `connection`: what was sent on it is still delivered, then the peer hears the close. */
  disconnect(to: string, connection: string): void;
  /** Runs `fn` after `delayUs` unless cancelled, the process crashes, or it is restarted first. */
  setTimer(delayUs: number, fn: () => void): EventId;
  cancelTimer(id: EventId): void;
  readonly random: Random;
  readonly disk: Disk;
  /** Records a domain event in the trace (kept for stories unless `keep` is false). */
  trace<E extends TraceEvent>(event: E, keep?: boolean): void;
  /**
   * The process exits by itself (System.exit): it is down at once, its memory and timers gone,
   * its connections closed by its OS, its session-like state elsewhere left to time out. A
   * non-zero `status` is a failure, which a supervisor (`World.supervise`) answers with a start.
   */
  exit(status: number): void;
  /**
   * Answers `message`, which came on this process's end `connection`, as a machine whose process
   * has not opened its listening socket yet: the connection is reset and the sender hears
   * `onUnreachable`, as from a dead process. (A datagram is dropped: nothing answers it.)
   */
  refuse(from: string, message: M, connection: string | undefined): void;
}

export interface Process<M> {
  /** A datagram (no `connection`), or a message on this process's end `connection` (a label it opened, or `label#id` it accepted). */
  onMessage(from: string, message: M, connection?: string): void;
  /**
   * This process's end `connection` is gone: `message`, sent on it, reached a closed end (the
   * peer closed it, or the peer's process died, or its machine rebooted) and the peer's OS
   * answered with a reset; or TCP gave up retransmitting it. (A powered-off machine or a cut
   * link answers nothing: only timeouts, or TCP's giving up, tell.)
   */
  onUnreachable?(to: string, message: M, connection: string): void;
  /** `peer` closed `connection` (its application, or its OS when its process died): this end is closed too. */
  onConnectionClosed?(peer: string, connection: string): void;
  /**
   * SIGTERM: shut down cleanly, then call `exit`. A process without it exits at once; one that
   * takes longer than the world's grace period is killed.
   */
  onTerminate?(exit: () => void): void;
}

/** Builds a fresh process from its environment; a restart calls it again (memory starts empty). */
export type ProcessFactory<M> = (env: Env<M>) => Process<M>;

export type ProcessState = 'up' | 'down';

export type ProcessEvent =
  | { kind: 'proc.start'; node: string; incarnation: number }
  | { kind: 'proc.kill'; node: string }
  | { kind: 'proc.terminate'; node: string }
  /** The process exited: after a SIGTERM (status 0), or by itself (`Env.exit`). */
  | { kind: 'proc.exit'; node: string; status: number }
  /** A supervised process exited with a failure: its supervisor starts it again at `atUs`. */
  | { kind: 'proc.restart-scheduled'; node: string; status: number; atUs: number }
  /** A stop or a power loss of the node called off its supervisor's pending start. */
  | { kind: 'proc.restart-cancelled'; node: string; why: 'stop' | 'power' }
  | { kind: 'proc.power'; node: string; lostRecords: number }
  | { kind: 'proc.pause'; node: string }
  | { kind: 'proc.resume'; node: string; waited: number }
  | { kind: 'proc.drop'; node: string; from: string; why: 'down' };

interface Node<M> {
  readonly name: string;
  readonly factory: ProcessFactory<M>;
  readonly disk: Disk;
  readonly random: Random;
  state: ProcessState;
  poweredOff: boolean; // a power loss until the restart: no OS writeback meanwhile
  incarnation: number;
  process: Process<M> | null;
  paused: boolean;
  waiting: (() => void)[]; // timers and messages that came due while paused
  waitingTimers: Map<EventId, Timer>; // the timers among them, still cancellable
  restartOnFailureUs: number | null; // its supervisor's RestartSec, when it has one
  pendingRestart: EventId | null; // the supervisor's start, after a failed exit
}

interface Timer {
  readonly node: Node<unknown>;
  readonly incarnation: number;
  readonly fn: () => void;
  id: number; // its scheduler event id
  cancelled: boolean; // cancelled after it came due during a pause, while it waited
}

/** The OS page-cache writeback (Linux: every 5 s, pages dirty for 30 s; vm.dirty_*_centisecs). */
export interface WritebackOptions {
  readonly intervalUs: number;
  readonly expireUs: number;
}

export interface WorldOptions {
  readonly seed: number;
  readonly network: LinkConfig;
  readonly traceSink?: TraceSink | null;
  /** When set, dirty pages become durable on their own after `expireUs`, while the machine has power. */
  readonly writeback?: WritebackOptions | null;
}

export class World<M> {
  readonly scheduler = new Scheduler();
  readonly random: RandomStreams;
  readonly trace: Trace;
  readonly network: Network<M>;
  private readonly nodes = new Map<string, Node<M>>();
  private readonly fireTimer = (timer: Timer): void => this.onTimer(timer);

  constructor(options: WorldOptions) {
    this.random = new RandomStreams(options.seed);
    this.trace = new Trace(options.traceSink ?? null);
    this.network = new Network<M>(
      this.scheduler,
      this.random.stream('network'),
      this.trace,
      {
        deliver: (from, to, message, connection) => this.onDeliver(from, to, message, connection),
        reset: (node, peer, message, connection) => this.onReset(node, peer, message, connection),
        closed: (node, peer, connection) => this.onClosed(node, peer, connection),
      },
      options.network,
    );
    const writeback = options.writeback ?? null;
    if (writeback !== null) this.startWriteback(writeback);
  }

  private startWriteback({ intervalUs, expireUs }: WritebackOptions): void {
    const pass = (): void => {
      for (const node of this.nodes.values()) if (!node.poweredOff) node.disk.writeBack(this.now(), expireUs);
      this.scheduler.after(intervalUs, pass, undefined);
    };
    this.scheduler.after(intervalUs, pass, undefined);
  }

  now(): number {
    return this.scheduler.now();
  }

  /** Records a kernel or domain event at the current time. */
  record<E extends TraceEvent>(event: E, keep = true): void {
    this.trace.record(this.scheduler.now(), event, keep);
  }

  /** Adds a node with its process factory and starts the process. */
  spawn(name: string, factory: ProcessFactory<M>): void {
    if (this.nodes.has(name)) throw new Error(`world: node ${name} spawned twice`);
    const node: Node<M> = {
      name,
      factory,
      disk: new Disk(name, this.scheduler),
      random: this.random.stream(`process:${name}`),
      state: 'down',
      poweredOff: false,
      incarnation: 0,
      process: null,
      paused: false,
      waiting: [],
      waitingTimers: new Map(),
      restartOnFailureUs: null,
      pendingRestart: null,
    };
    this.nodes.set(name, node);
    this.network.addNode(name);
    this.start(node);
  }

  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  state(name: string): ProcessState {
    return this.node(name).state;
  }

  isPaused(name: string): boolean {
    return this.node(name).paused;
  }

  disk(name: string): Disk {
    return this.node(name).disk;
  }

  /** Process crash: memory and timers are gone; the disk, page cache included, survives. */
  kill(name: string): void {
    const node = this.node(name);
    if (node.state === 'down') return;
    this.stop(node);
    this.record({ kind: 'proc.kill', node: name } satisfies ProcessEvent);
    this.network.processDown(name);
  }

  /**
   * SIGTERM: the process shuts down its own way (`onTerminate`) and exits; `onExit` runs once it
   * is down. A process still up `graceUs` later is killed (systemd's stop timeout). A paused
   * process handles the signal when it resumes.
   */
  terminate(name: string, graceUs: number, onExit: () => void = () => {}): void {
    const node = this.node(name);
    if (node.state === 'down') {
      this.cancelPendingRestart(node, 'stop'); // systemctl stop also calls off a pending restart
      return onExit();
    }
    const incarnation = node.incarnation;
    const current = (): boolean => node.incarnation === incarnation && node.state === 'up';
    let exited = false;
    const exit = (): void => {
      if (exited || !current()) return;
      exited = true;
      this.stop(node);
      this.record({ kind: 'proc.exit', node: name, status: 0 } satisfies ProcessEvent);
      this.network.processDown(name);
      onExit();
    };
    this.record({ kind: 'proc.terminate', node: name } satisfies ProcessEvent);
    const process = node.process!;
    if (process.onTerminate === undefined) return exit();
    this.scheduler.after(graceUs, () => {
      if (exited || !current()) return;
      exited = true;
      this.kill(name);
      onExit();
    }, undefined);
    this.runOrWait(node, () => {
      if (current()) process.onTerminate!(exit);
    });
  }

  /** Power loss: a crash that also loses every write the disk had not made durable. */
  powerLoss(name: string): void {
    const node = this.node(name);
    const before = countRecords(node.disk);
    this.cancelPendingRestart(node, 'power'); // the machine's supervisor goes down with it
    this.stop(node);
    node.poweredOff = true;
    this.network.powerOff(name);
    node.disk.powerLoss();
    node.disk.writeLatencyUs = 0;
    this.record({ kind: 'proc.power', node: name, lostRecords: before - countRecords(node.disk) } satisfies ProcessEvent);
  }

  /** Starts a fresh process from the node's factory; a no-op if it is up. */
  restart(name: string): void {
    const node = this.node(name);
    if (node.state === 'up') return;
    this.start(node);
  }

  /**
   * A supervisor for the node, as systemd's Restart=on-failure with RestartSec=`afterUs`: a
   * process that exits by itself with a non-zero status is started again `afterUs` later. A
   * killed process is not its business (whoever killed it starts it); a stop or a power loss
   * calls off a pending start.
   */
  supervise(name: string, afterUs: number): void {
    this.node(name).restartOnFailureUs = afterUs;
  }

  private exitBySelf(node: Node<M>, status: number): void {
    this.stop(node);
    this.record({ kind: 'proc.exit', node: node.name, status } satisfies ProcessEvent);
    this.network.processDown(node.name);
    const afterUs = node.restartOnFailureUs;
    if (status === 0 || afterUs === null) return;
    this.record({ kind: 'proc.restart-scheduled', node: node.name, status, atUs: this.now() + afterUs } satisfies ProcessEvent);
    node.pendingRestart = this.scheduler.after(afterUs, () => {
      node.pendingRestart = null;
      this.restart(node.name);
    }, undefined);
  }

  private cancelPendingRestart(node: Node<M>, why: 'stop' | 'power'): void {
    if (node.pendingRestart === null) return;
    this.scheduler.cancel(node.pendingRestart);
    node.pendingRestart = null;
    this.record({ kind: 'proc.restart-cancelled', node: node.name, why } satisfies ProcessEvent);
  }

  /** A stop-the-world stall (GC, VM): nothing runs; timers and messages wait for `resume`. */
  pause(name: string): void {
    const node = this.node(name);
    if (node.state === 'down' || node.paused) return;
    node.paused = true;
    this.record({ kind: 'proc.pause', node: name } satisfies ProcessEvent);
  }

  resume(name: string): void {
    const node = this.node(name);
    if (!node.paused) return;
    node.paused = false;
    const waiting = node.waiting;
    node.waiting = [];
    this.record({ kind: 'proc.resume', node: name, waited: waiting.length } satisfies ProcessEvent);
    const incarnation = node.incarnation;
    // Replayed in arrival order, each as its own event, unless the process dies meanwhile.
    for (const run of waiting) {
      this.scheduler.after(0, () => {
        if (node.incarnation === incarnation && node.state === 'up') this.runOrWait(node, run);
      }, undefined);
    }
  }

  private start(node: Node<M>): void {
    // A rebooted machine answers the next retransmission on a connection of its previous life with a reset (sim/tcp.ts).
    node.poweredOff = false;
    if (node.pendingRestart !== null) this.scheduler.cancel(node.pendingRestart); // started by other means first
    node.pendingRestart = null;
    node.incarnation += 1;
    node.state = 'up';
    node.paused = false;
    node.waiting = [];
    node.waitingTimers.clear();
    this.network.processUp(node.name);
    this.record({ kind: 'proc.start', node: node.name, incarnation: node.incarnation } satisfies ProcessEvent);
    node.process = node.factory(this.envFor(node));
  }

  private stop(node: Node<M>): void {
    node.state = 'down';
    node.process = null;
    node.paused = false;
    node.waiting = [];
    node.waitingTimers.clear();
    // Timers of the old incarnation are skipped when they come due (see onTimer).
    node.incarnation += 1;
  }

  private envFor(node: Node<M>): Env<M> {
    const incarnation = node.incarnation;
    const world = this;
    const alive = (): boolean => node.incarnation === incarnation && node.state === 'up';
    const host = world.network.host(node.name);
    return {
      node: node.name,
      now: () => world.scheduler.now(),
      send(to, message, connection) {
        if (!alive()) return;
        if (connection === undefined) world.network.send(node.name, to, message);
        else world.network.sendOn(host, to, connection, message);
      },
      disconnect(to, connection) {
        if (alive()) world.network.disconnect(node.name, to, connection);
      },
      setTimer(delayUs, fn) {
        const timer: Timer = { node: node as Node<unknown>, incarnation, fn, id: 0, cancelled: false };
        timer.id = world.scheduler.after(delayUs, world.fireTimer, timer);
        return timer.id;
      },
      cancelTimer(id) {
        if (world.scheduler.cancel(id)) return;
        // It may have come due during a pause and be waiting for the resume: cancel it there.
        const waiting = node.waitingTimers.get(id);
        if (waiting !== undefined) waiting.cancelled = true;
      },
      random: node.random,
      disk: node.disk,
      trace(event, keep = true) {
        world.record(event, keep);
      },
      exit(status) {
        if (alive()) world.exitBySelf(node, status);
      },
      refuse(from, message, connection) {
        if (alive() && connection !== undefined) world.network.abort(node.name, from, connection, message);
      },
    };
  }

  private onTimer(timer: Timer): void {
    const node = timer.node as Node<M>;
    if (node.incarnation !== timer.incarnation || node.state !== 'up') return;
    if (!node.paused) return timer.fn();
    const id = timer.id;
    node.waitingTimers.set(id, timer);
    node.waiting.push(() => {
      node.waitingTimers.delete(id);
      if (!timer.cancelled) timer.fn();
    });
  }

  private onDeliver(from: string, to: string, message: M, connection: string | undefined): void {
    const node = this.nodes.get(to);
    if (node === undefined || node.state === 'down') {
      // Only a datagram comes here: a connection's segment to a dead process is reset (sim/tcp.ts).
      this.record({ kind: 'proc.drop', node: to, from, why: 'down' } satisfies ProcessEvent, false);
      return;
    }
    // The common case allocates nothing; only a paused process needs the message kept.
    if (node.paused) node.waiting.push(() => node.process!.onMessage(from, message, connection));
    else node.process!.onMessage(from, message, connection);
  }

  private onReset(name: string, peer: string, message: M, connection: string): void {
    const node = this.nodes.get(name);
    if (node === undefined || node.state === 'down' || node.process?.onUnreachable === undefined) return;
    if (node.paused) node.waiting.push(() => node.process?.onUnreachable?.(peer, message, connection));
    else node.process.onUnreachable(peer, message, connection);
  }

  private onClosed(name: string, peer: string, connection: string): void {
    const node = this.nodes.get(name);
    if (node === undefined || node.state === 'down' || node.process?.onConnectionClosed === undefined) return;
    if (node.paused) node.waiting.push(() => node.process?.onConnectionClosed?.(peer, connection));
    else node.process.onConnectionClosed(peer, connection);
  }

  private runOrWait(node: Node<M>, run: () => void): void {
    if (node.paused) node.waiting.push(run);
    else run();
  }

  private node(name: string): Node<M> {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`world: no node named ${name}`);
    return node;
  }
}

function countRecords(disk: Disk): number {
  let total = 0;
  for (const name of disk.fileNames()) total += disk.file(name).length;
  return total;
}
