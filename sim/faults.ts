// Faults are data. Each verb has its inverse (kill/restart, stop/restart, pause/resume, partition/heal,
// hold/release, slow-disk/restore), and applying a fault returns that inverse so a scheduled
// heal undoes exactly what its fault did. `healAll` ends the faulty phase: whatever is still
// broken is mended, so what remains wrong after the settle phase is the system's own doing.
import type { Cut, FaultSource, Hold } from './network.js';
import type { Random } from './random.js';
import type { World } from './world.js';

export type FaultAction =
  | { readonly kind: 'kill'; readonly node: string }
  | { readonly kind: 'power'; readonly node: string }
  | { readonly kind: 'stop'; readonly node: string }
  | { readonly kind: 'restart'; readonly node: string }
  | { readonly kind: 'pause'; readonly node: string }
  | { readonly kind: 'resume'; readonly node: string }
  | { readonly kind: 'partition'; readonly groups: readonly (readonly string[])[] }
  | { readonly kind: 'isolate'; readonly node: string }
  | { readonly kind: 'one-way'; readonly from: string; readonly to: string }
  | { readonly kind: 'slow-disk'; readonly node: string; readonly latencyUs: number }
  | { readonly kind: 'hold'; readonly from: string | null; readonly to: string | null };

export type FaultKind = FaultAction['kind'];

export type FaultEvent =
  | { kind: 'fault'; source: FaultSource; action: FaultAction; label: string }
  | { kind: 'fault.heal'; source: FaultSource; action: FaultAction; label: string }
  | { kind: 'fault.skip'; source: FaultSource; label: string; why: string }
  | { kind: 'fault.heal-all'; faults: number };

interface ActiveFault {
  readonly action: FaultAction;
  readonly source: FaultSource;
  readonly label: string;
  readonly undo: () => void;
  healed: boolean;
}

/** A handle on one applied fault; `heal()` runs its inverse once. */
export interface AppliedFault {
  heal(): void;
}

/** How long a stopped (SIGTERM) process may take to exit before it is killed: systemd's default. */
export const DEFAULT_STOP_GRACE_US = 90_000_000;

export class Faults<M> {
  private readonly active: ActiveFault[] = [];

  constructor(
    private readonly world: World<M>,
    private readonly stopGraceUs = DEFAULT_STOP_GRACE_US,
  ) {}

  /** Applies `action` now and returns its handle (whose heal is a no-op for restart/resume). */
  apply(action: FaultAction, source: FaultSource, label = describeFault(action)): AppliedFault {
    this.world.record({ kind: 'fault', source, action, label } satisfies FaultEvent);
    const undo = this.perform(action, source);
    if (undo === null) return { heal: () => {} };
    const fault: ActiveFault = { action, source, label, undo, healed: false };
    this.active.push(fault);
    return { heal: () => this.heal(fault) };
  }

  /** Records a fault that could not be applied (its target did not resolve). */
  skip(label: string, source: FaultSource, why: string): void {
    this.world.record({ kind: 'fault.skip', source, label, why } satisfies FaultEvent);
  }

  /** Ends the faulty phase: every fault still in force is healed, newest first. */
  healAll(): void {
    const open = this.active.filter((f) => !f.healed);
    this.world.record({ kind: 'fault.heal-all', faults: open.length } satisfies FaultEvent);
    for (const fault of open.reverse()) this.heal(fault);
  }

  get activeCount(): number {
    return this.active.filter((f) => !f.healed).length;
  }

  private heal(fault: ActiveFault): void {
    if (fault.healed) return;
    fault.healed = true;
    this.active.splice(this.active.indexOf(fault), 1);
    if (fault.source === 'random' && this.heldDownByScript(fault.action)) {
      this.world.record({ kind: 'fault.skip', source: 'random', label: `heal of ${fault.label}`, why: 'a scripted fault still holds the node' });
      return;
    }
    this.world.record({ kind: 'fault.heal', source: fault.source, action: fault.action, label: fault.label } satisfies FaultEvent);
    fault.undo();
  }

  // A random restart or resume must not undo a scripted kill, stop, power loss or pause of the same node.
  private heldDownByScript(action: FaultAction): boolean {
    if (!holdsDown(action)) return false;
    return this.active.some((f) => f.source === 'scripted' && !f.healed && holdsDown(f.action) && f.action.node === action.node);
  }

  private perform(action: FaultAction, source: FaultSource): (() => void) | null {
    const world = this.world;
    switch (action.kind) {
      case 'kill':
        world.kill(action.node);
        return () => world.restart(action.node);
      case 'power':
        world.powerLoss(action.node);
        return () => world.restart(action.node);
      case 'stop': {
        // Healed while it is still shutting down (a long controlled shutdown): started once it
        // has exited, as a supervisor does, rather than never.
        let exited = false;
        let healed = false;
        world.terminate(action.node, this.stopGraceUs, () => {
          exited = true;
          if (healed) world.restart(action.node);
        });
        return () => {
          healed = true;
          if (exited || world.state(action.node) === 'down') world.restart(action.node);
        };
      }
      case 'restart':
        // A running process is bounced: stopped cleanly, started again once it has exited.
        if (world.state(action.node) === 'up') world.terminate(action.node, this.stopGraceUs, () => world.restart(action.node));
        else world.restart(action.node);
        return null;
      case 'pause':
        world.pause(action.node);
        return () => world.resume(action.node);
      case 'resume':
        world.resume(action.node);
        return null;
      case 'partition':
        return healer(world, world.network.partition(action.groups, source));
      case 'isolate':
        return healer(world, world.network.isolate(action.node, source));
      case 'one-way':
        return healer(world, world.network.oneWay(action.from, action.to, source));
      case 'slow-disk': {
        const disk = world.disk(action.node);
        disk.writeLatencyUs = action.latencyUs;
        return () => {
          disk.writeLatencyUs = 0;
        };
      }
      case 'hold':
        return releaser(world, world.network.hold(action.from, action.to));
    }
  }
}

function holdsDown(action: FaultAction): action is Extract<FaultAction, { kind: 'kill' | 'stop' | 'power' | 'pause' }> {
  return action.kind === 'kill' || action.kind === 'stop' || action.kind === 'power' || action.kind === 'pause';
}

function healer<M>(world: World<M>, cut: Cut): () => void {
  return () => world.network.heal(cut);
}

function releaser<M>(world: World<M>, hold: Hold): () => void {
  return () => world.network.release(hold);
}

/** A short human label: `kill n1`, `partition [n1] | [n2 n3]`. */
export function describeFault(action: FaultAction): string {
  switch (action.kind) {
    case 'partition':
      return `partition ${action.groups.map((g) => `[${g.join(' ')}]`).join(' | ')}`;
    case 'one-way':
      return `one-way ${action.from} -> ${action.to}`;
    case 'slow-disk':
      return `slow-disk ${action.node} ${action.latencyUs / 1000}ms`;
    case 'hold':
      return `hold ${action.from ?? '*'} -> ${action.to ?? '*'}`;
    default:
      return `${action.kind} ${action.node}`;
  }
}

/**
 * The kinds the kernel draws itself. `partition`: the targets split at a random point;
 * `majority-split`: a random minority of them (at most half, less one) cut from the rest;
 * `restart`: a clean stop (SIGTERM), started again when the fault heals; `hold`: everything one
 * target sends is held, then delivered late when the fault heals (a stalled outbound queue).
 */
export const KERNEL_NEMESIS_KINDS = ['kill', 'power', 'restart', 'pause', 'partition', 'isolate', 'one-way', 'hold', 'slow-disk', 'majority-split'] as const;
export type KernelNemesisKind = (typeof KERNEL_NEMESIS_KINDS)[number];

/** A fault of a kind the system defines: its action, and how long it lasts given the drawn duration. */
export interface SystemFault {
  readonly action: FaultAction;
  /** The trace's name for it; default: the action's. */
  readonly label?: string;
  readonly durationUs?: (drawnUs: number) => number;
}

/** Draws one fault of a system-defined kind from the current targets; null when none fits now. */
export type SystemFaultKind = (random: Random, targets: readonly string[]) => SystemFault | null;

export interface NemesisOptions {
  /** Kernel kinds, or names of `systemKinds`. */
  readonly kinds: readonly string[];
  readonly intervalUs: { readonly minUs: number; readonly maxUs: number };
  readonly faultDurationUs: { readonly minUs: number; readonly maxUs: number };
  /** No random fault starts at or after this time. */
  readonly stopAtUs: number;
  /** The nodes a random fault may hit, asked afresh at each fault. */
  readonly targets: () => readonly string[];
  /** Fault kinds the system defines (a split it names, a session expiry), by name. */
  readonly systemKinds?: Readonly<Record<string, SystemFaultKind>>;
  /** A random fault found no target (none named, or none its kind fits): recorded, and told here. */
  readonly onMiss?: () => void;
}

/**
 * Random faults from the `nemesis` stream: one every interval, each healed after its drawn
 * duration. Its partitions are tagged `random`, so they never heal a scripted one.
 */
export function startNemesis<M>(world: World<M>, faults: Faults<M>, random: Random, options: NemesisOptions): void {
  if (options.kinds.length === 0) return;
  const systemKinds = options.systemKinds ?? {};
  for (const kind of options.kinds) {
    if (!isKernelKind(kind) && systemKinds[kind] === undefined) throw new Error(`nemesis: unknown fault kind ${kind}`);
  }
  const tick = (): void => {
    if (world.now() >= options.stopAtUs) return;
    const targets = options.targets();
    const kind = targets.length === 0 ? null : random.pick(options.kinds);
    const drawn = kind === null ? null : drawFault(random, kind, targets, systemKinds);
    if (drawn === null) {
      faults.skip(kind ?? 'random fault', 'random', kind === null ? 'the nemesis targets name no node now' : `no ${kind} fits the nemesis targets now`);
      options.onMiss?.();
    } else {
      const applied = faults.apply(drawn.action, 'random', drawn.label ?? describeFault(drawn.action));
      const drawnUs = random.range(options.faultDurationUs.minUs, options.faultDurationUs.maxUs);
      world.scheduler.after(drawn.durationUs?.(drawnUs) ?? drawnUs, () => applied.heal(), undefined);
    }
    world.scheduler.after(random.range(options.intervalUs.minUs, options.intervalUs.maxUs), tick, undefined);
  };
  world.scheduler.after(random.range(options.intervalUs.minUs, options.intervalUs.maxUs), tick, undefined);
}

function drawFault(random: Random, kind: string, targets: readonly string[], systemKinds: Readonly<Record<string, SystemFaultKind>>): SystemFault | null {
  return isKernelKind(kind) ? drawKernelFault(random, kind, targets) : systemKinds[kind]!(random, targets);
}

function isKernelKind(kind: string): kind is KernelNemesisKind {
  return (KERNEL_NEMESIS_KINDS as readonly string[]).includes(kind);
}

function drawKernelFault(random: Random, kind: KernelNemesisKind, targets: readonly string[]): SystemFault | null {
  const node = random.pick(targets);
  switch (kind) {
    case 'kill':
    case 'power':
    case 'pause':
    case 'isolate':
      return { action: { kind, node } };
    case 'restart':
      return { action: { kind: 'stop', node } };
    case 'hold':
      return { action: { kind: 'hold', from: node, to: null } };
    case 'slow-disk':
      return { action: { kind, node, latencyUs: random.range(5, 500) * 1000 } };
    case 'one-way': {
      const others = targets.filter((t) => t !== node);
      return others.length === 0 ? null : { action: { kind, from: node, to: random.pick(others) } };
    }
    case 'partition': {
      if (targets.length < 2) return null;
      const shuffled = random.shuffle(targets);
      const split = random.range(1, shuffled.length - 1);
      return { action: { kind, groups: [shuffled.slice(0, split), shuffled.slice(split)] } };
    }
    case 'majority-split': {
      if (targets.length < 2) return null;
      const shuffled = random.shuffle(targets);
      const minority = random.range(1, Math.max(1, Math.floor((shuffled.length - 1) / 2)));
      return { action: { kind: 'partition', groups: [shuffled.slice(0, minority), shuffled.slice(minority)] } };
    }
  }
}
