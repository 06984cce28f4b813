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
  send(to: string, message: M): void;
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
   * Answers `message` as a machine whose process has not opened its listening socket yet:
   * the sender's OS gets a connection reset, as from a dead process (`onUnreachable`).
   */
  refuse(from: string, message: M): void;
}

export interface Process<M> {
  onMessage(from: string, message: M): void;
  /**
   * A message this process sent reached a machine whose process is dead: its OS answered with
   * a connection reset. (A powered-off machine or a cut link answers nothing: only timeouts tell.)
   */
  onUnreachable?(to: string, message: M): void;
  /** `peer`'s process died on a powered machine: its OS closed every connection to this one. */
  onConnectionClosed?(peer: string): void;
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
      (from, to, message) => this.onDeliver(from, to, message),
      options.network,
      (unreachable, sender, message) => this.onReset(unreachable, sender, message),
      (peer, node) => this.onClosed(peer, node),
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
    this.closeConnectionsOf(node);
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
      this.closeConnectionsOf(node);
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

  // The machine is up: its OS closes the dead process's connections, and the peers notice.
  private closeConnectionsOf(node: Node<M>): void {
    for (const peer of this.nodes.values()) if (peer !== node && peer.state === 'up') this.network.close(node.name, peer.name);
  }

  /** Power loss: a crash that also loses every write the disk had not made durable. */
  powerLoss(name: string): void {
    const node = this.node(name);
    const before = countRecords(node.disk);
    this.cancelPendingRestart(node, 'power'); // the machine's supervisor goes down with it
    this.stop(node);
    node.poweredOff = true;
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
    this.closeConnectionsOf(node);
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
    // A rebooted machine answers the next retransmission on a stale connection with a reset.
    if (node.poweredOff) for (const peer of this.nodes.values()) if (peer !== node && peer.state === 'up') this.network.close(node.name, peer.name);
    node.poweredOff = false;
    if (node.pendingRestart !== null) this.scheduler.cancel(node.pendingRestart); // started by other means first
    node.pendingRestart = null;
    node.incarnation += 1;
    node.state = 'up';
    node.paused = false;
    node.waiting = [];
    node.waitingTimers.clear();
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
    return {
      node: node.name,
      now: () => world.scheduler.now(),
      send(to, message) {
        if (alive()) world.network.send(node.name, to, message);
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
      refuse(from, message) {
        if (alive()) world.network.reset(node.name, from, message);
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

  private onDeliver(from: string, to: string, message: M): void {
    const node = this.nodes.get(to);
    if (node === undefined || node.state === 'down') {
      this.record({ kind: 'proc.drop', node: to, from, why: 'down' } satisfies ProcessEvent, false);
      if (node !== undefined && !node.poweredOff) this.network.reset(to, from, message);
      return;
    }
    // The common case allocates nothing; only a paused process needs the message kept.
    if (node.paused) node.waiting.push(() => node.process!.onMessage(from, message));
    else node.process!.onMessage(from, message);
  }

  private onReset(unreachable: string, sender: string, message: M): void {
    const node = this.nodes.get(sender);
    if (node === undefined || node.state === 'down' || node.process?.onUnreachable === undefined) return;
    if (node.paused) node.waiting.push(() => node.process?.onUnreachable?.(unreachable, message));
    else node.process.onUnreachable(unreachable, message);
  }

  private onClosed(peer: string, name: string): void {
    const node = this.nodes.get(name);
    if (node === undefined || node.state === 'down' || node.process?.onConnectionClosed === undefined) return;
    if (node.paused) node.waiting.push(() => node.process?.onConnectionClosed?.(peer));
    else node.process.onConnectionClosed(peer);
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
