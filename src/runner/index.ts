// Runs one scenario with one seed: build the world, start the system, inject the scripted and
// random faults during `duration`, heal everything, let the system settle, then check.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Faults, World, describeFault, startNemesis, type FaultAction, type TraceObserver } from '../../sim/index.js';
import { judgedCounts } from '../checker/judged.js';
import { brokenBySeed } from '../checker/verdict.js';
import type { FaultActionSpec, FaultSpec, LoadedScenario, Scenario } from '../scenario/types.js';
import { buildExample } from '../example/index.js';
import { buildKafka } from './kafka.js';
import { nemesisTargets } from './nemesis-targets.js';
import type { SystemUnderTest } from './system.js';
import type { RunOptions, RunSummary, SkippedFault } from './types.js';

export type { RunOptions, RunSummary, MessageCounts, SkippedFault } from './types.js';

const DEFAULT_EVENT_BUDGET = 50_000_000;

export function runScenario(loaded: LoadedScenario, seed: number, options: RunOptions = {}): RunSummary {
  const traceFile = options.traceFile === undefined ? null : new TraceFile(options.traceFile);
  try {
    const summary = simulate(loaded, seed, options.eventBudget ?? DEFAULT_EVENT_BUDGET, traceFile, options.observer ?? null);
    traceFile?.commit();
    return summary;
  } finally {
    traceFile?.abandon();
  }
}

function simulate(loaded: LoadedScenario, seed: number, budget: number, traceFile: TraceFile | null, observer: TraceObserver | null): RunSummary {
  const scenario = loaded.scenario;
  const { network } = scenario;
  const world = new World<unknown>({
    seed,
    network: { latencyUs: network.latencyUs, dropPpm: network.dropPpm, duplicatePpm: network.duplicatePpm, reorderPpm: network.reorderPpm },
    traceSink: traceFile === null ? null : (line) => traceFile.write(line),
    // Brokers run on Linux: dirty pages are written back after 30 s (vm.dirty_expire_centisecs).
    writeback: scenario.cluster !== null ? { intervalUs: 5_000_000, expireUs: 30_000_000 } : null,
  });
  if (observer !== null) world.trace.observe(observer);
  const system = scenario.example !== null ? buildExample(world, scenario.example, scenario.durationUs) : buildKafka(world, scenario, scenario.cluster!);
  const faults = new Faults(world);
  const skippedFaults: SkippedFault[] = [];
  let nemesisMisses = 0;
  for (const fault of scenario.faults) scheduleFault(world, faults, system, fault, skippedFaults);
  if (scenario.nemesis !== null) {
    startNemesis(world, faults, world.random.stream('nemesis'), {
      kinds: scenario.nemesis.faults,
      intervalUs: scenario.nemesis.intervalUs,
      faultDurationUs: scenario.nemesis.faultDurationUs,
      stopAtUs: scenario.durationUs,
      targets: nemesisTargets(scenario.nemesis.targets, system),
      systemKinds: system.nemesisKinds,
      onMiss: () => void (nemesisMisses += 1),
    });
  }
  const endUs = scenario.durationUs + scenario.settleUs;
  let outcome = world.scheduler.run(scenario.durationUs, budget);
  if (outcome !== 'budget') {
    faults.healAll();
    outcome = world.scheduler.run(endUs, budget - world.scheduler.eventsRun);
  }
  const check = system.check();
  const coverage = system.coverage();
  const broken = brokenBySeed(scenario.expect, judgedCounts(check.anomalies, coverage));
  const budgetExhausted = outcome === 'budget';
  for (const skipped of skippedFaults) {
    if (!skipped.allowed) broken.push(`the scenario did not run as written: its ${skipped.action} at ${skipped.atMs / 1000}s (scenario line ${skipped.line}) was skipped: ${skipped.why} (mark the fault "may-miss: true" if it may)`);
  }
  if (budgetExhausted) broken.push(`the run spent its budget of ${budget} events before ${endUs / 1000}ms of simulated time`);
  return {
    scenario: scenario.name,
    file: loaded.file,
    seed,
    traceHash: world.trace.hash,
    simulatedMs: Math.floor(world.now() / 1000),
    events: world.scheduler.eventsRun,
    messages: check.messages,
    lag: check.lag ?? [],
    anomalies: check.anomalies,
    coverage,
    failedStarts: system.failedStarts(),
    skippedFaults,
    nemesisMisses,
    ok: broken.length === 0,
    broken,
    instances: check.instances,
    budgetExhausted,
    checkerBytes: system.retainedBytes(),
  };
}

type AdminRequest = Extract<FaultActionSpec, { kind: 'elect-preferred' | 'add-partitions' }>;
type FaultOnly = Exclude<FaultActionSpec, AdminRequest>;

function isAdminRequest(action: FaultActionSpec): action is AdminRequest {
  return action.kind === 'elect-preferred' || action.kind === 'add-partitions';
}

function scheduleFault(world: World<unknown>, faults: Faults<unknown>, system: SystemUnderTest, fault: FaultSpec, skipped: SkippedFault[]): void {
  const action = fault.action;
  if (isAdminRequest(action)) return; // an admin request: the admin process makes it at its time
  world.scheduler.at(fault.atUs, () => {
    const label = `${action.kind} (scenario line ${fault.line})`;
    const resolved = resolveAction(action, system);
    if (typeof resolved === 'string') {
      faults.skip(label, 'scripted', resolved);
      skipped.push({ atMs: Math.floor(world.now() / 1000), line: fault.line, action: action.kind, why: resolved, allowed: fault.mayMiss });
      return;
    }
    const applied = faults.apply(resolved, 'scripted', `${describeFault(resolved)} (scenario line ${fault.line})`);
    if (fault.healAfterUs !== null) world.scheduler.after(fault.healAfterUs, () => applied.heal(), undefined);
  }, undefined);
}

/** Turns the scenario's targets (node names or roles) into nodes, now; a string says why not. */
function resolveAction(spec: FaultOnly, system: SystemUnderTest): FaultAction | string {
  const node = (target: string): string => {
    const name = system.resolve(target);
    if (name === null) throw new Unresolved(target);
    return name;
  };
  try {
    switch (spec.kind) {
      case 'partition':
        return { kind: 'partition', groups: spec.groups.map((group) => group.map(node)) };
      case 'one-way':
        return { kind: 'one-way', from: node(spec.from), to: node(spec.to) };
      case 'hold':
        return { kind: 'hold', from: spec.from === null ? null : node(spec.from), to: spec.to === null ? null : node(spec.to) };
      case 'slow-disk':
        return { kind: 'slow-disk', node: node(spec.target), latencyUs: spec.latencyUs };
      default:
        return { kind: spec.kind, node: node(spec.target) };
    }
  } catch (error) {
    if (error instanceof Unresolved) return `target ${error.target} names no node now`;
    throw error;
  }
}

class Unresolved extends Error {
  constructor(readonly target: string) {
    super(target);
  }
}

/** Trace lines go to a temporary file that replaces the target only when the run completes. */
class TraceFile {
  private readonly temporary: string;
  private readonly fd: number;
  private buffer: string[] = [];
  private buffered = 0;
  private done = false;

  constructor(private readonly path: string) {
    this.temporary = `${path}.${process.pid}.tmp`;
    this.fd = openSync(this.temporary, 'w');
  }

  write(line: string): void {
    this.buffer.push(line);
    this.buffered += line.length;
    if (this.buffered > 1 << 20) this.drain();
  }

  commit(): void {
    this.drain();
    closeSync(this.fd);
    renameSync(this.temporary, this.path);
    this.done = true;
  }

  abandon(): void {
    if (this.done) return;
    closeSync(this.fd);
    rmSync(this.temporary, { force: true });
    this.done = true;
  }

  private drain(): void {
    if (this.buffer.length === 0) return;
    writeSync(this.fd, this.buffer.join('\n') + '\n');
    this.buffer = [];
    this.buffered = 0;
  }
}
