// Faults are data. Each verb has its inverse (kill/restart, pause/resume, partition/heal,
// hold/release, slow-disk/restore), and applying a fault returns that inverse so a scheduled
// heal undoes exactly what its fault did. `healAll` ends the faulty phase: whatever is still
// broken is mended, so what remains wrong after the settle phase is the system's own doing.
import type { Cut, FaultSource, Hold } from './network.js';
import type { Random } from './random.js';
import type { World } from './world.js';

export type FaultAction =
  | { readonly kind: 'kill'; readonly node: string }
  | { readonly kind: 'power'; readonly node: string }
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

export class Faults<M> {
  private readonly active: ActiveFault[] = [];

  constructor(private readonly world: World<M>) {}

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
      this.world.record({ kind: 'fault.skip', source: 'random', label: `heal of ${fault.label} satisfies FaultEvent`, why: 'a scripted fault still holds the node' });
      return;
    }
    this.world.record({ kind: 'fault.heal', source: fault.source, action: fault.action, label: fault.label } satisfies FaultEvent);
    fault.undo();
  }

  // A random restart or resume must not undo a scripted kill, power loss or pause of the same node.
  private heldDownByScript(action: FaultAction): boolean {
    if (action.kind !== 'kill' && action.kind !== 'power' && action.kind !== 'pause') return false;
    return this.active.some(
      (f) => f.source === 'scripted' && !f.healed && (f.action.kind === 'kill' || f.action.kind === 'power' || f.action.kind === 'pause') && f.action.node === action.node,
    );
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
      case 'restart':
        world.restart(action.node);
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
 * `partition`: the targets split at a random point; `majority-split`: a random minority of them
 * (at most half, less one) cut from the rest; `split`: one of the splits the system names
 * (`NemesisOptions.splits`), such as brokers versus ZooKeeper.
 */
export type NemesisKind = 'kill' | 'power' | 'pause' | 'partition' | 'isolate' | 'one-way' | 'slow-disk' | 'majority-split' | 'split';

export interface NemesisOptions {
  readonly kinds: readonly NemesisKind[];
  readonly intervalUs: { readonly minUs: number; readonly maxUs: number };
  readonly faultDurationUs: { readonly minUs: number; readonly maxUs: number };
  /** No random fault starts at or after this time. */
  readonly stopAtUs: number;
  /** The nodes a random fault may hit, asked afresh at each fault. */
  readonly targets: () => readonly string[];
  /** The splits a `split` fault draws from, asked afresh at each fault (none: it is skipped). */
  readonly splits?: () => readonly (readonly (readonly string[])[])[];
}

/**
 * Random faults from the `nemesis` stream: one every interval, each healed after its drawn
 * duration. Its partitions are tagged `random`, so they never heal a scripted one.
 */
export function startNemesis<M>(world: World<M>, faults: Faults<M>, random: Random, options: NemesisOptions): void {
  if (options.kinds.length === 0) return;
  const tick = (): void => {
    if (world.now() >= options.stopAtUs) return;
    const targets = options.targets();
    const action = targets.length > 0 ? drawFault(random, options.kinds, targets, options.splits) : null;
    if (action !== null) {
      const applied = faults.apply(action, 'random');
      const durationUs = random.range(options.faultDurationUs.minUs, options.faultDurationUs.maxUs);
      world.scheduler.after(durationUs, () => applied.heal(), undefined);
    }
    world.scheduler.after(random.range(options.intervalUs.minUs, options.intervalUs.maxUs), tick, undefined);
  };
  world.scheduler.after(random.range(options.intervalUs.minUs, options.intervalUs.maxUs), tick, undefined);
}

function drawFault(random: Random, kinds: readonly NemesisKind[], targets: readonly string[], splits?: () => readonly (readonly (readonly string[])[])[]): FaultAction | null {
  const kind = random.pick(kinds);
  const node = random.pick(targets);
  switch (kind) {
    case 'kill':
    case 'power':
    case 'pause':
    case 'isolate':
      return { kind, node };
    case 'slow-disk':
      return { kind, node, latencyUs: random.range(5, 500) * 1000 };
    case 'one-way': {
      const others = targets.filter((t) => t !== node);
      return others.length === 0 ? null : { kind, from: node, to: random.pick(others) };
    }
    case 'partition': {
      if (targets.length < 2) return null;
      const shuffled = random.shuffle(targets);
      const split = random.range(1, shuffled.length - 1);
      return { kind, groups: [shuffled.slice(0, split), shuffled.slice(split)] };
    }
    case 'majority-split': {
      if (targets.length < 2) return null;
      const shuffled = random.shuffle(targets);
      const minority = random.range(1, Math.max(1, Math.floor((shuffled.length - 1) / 2)));
      return { kind: 'partition', groups: [shuffled.slice(0, minority), shuffled.slice(minority)] };
    }
    case 'split': {
      const candidates = splits?.() ?? [];
      if (candidates.length === 0) return null;
      return { kind: 'partition', groups: random.pick(candidates).map((group) => [...group]) };
    }
  }
}
