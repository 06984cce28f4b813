import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Faults, World, startNemesis, type FaultAction } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NODES = ['n1', 'n2', 'n3'] as const;

function quietWorld(): World<never> {
  const world = new World<never>({ seed: 5, network });
  for (const n of NODES) world.spawn(n, () => ({ onMessage: () => {} }));
  return world;
}

describe('sim: faults', () => {
  test('sim: faults: each fault returns its inverse (kill/restart, pause/resume, partition/heal, slow-disk/restore)', () => {
    const world = quietWorld();
    const faults = new Faults(world);
    const kill = faults.apply({ kind: 'kill', node: 'n1' }, 'scripted');
    const pause = faults.apply({ kind: 'pause', node: 'n2' }, 'scripted');
    const cut = faults.apply({ kind: 'isolate', node: 'n3' }, 'scripted');
    const slow = faults.apply({ kind: 'slow-disk', node: 'n2', latencyUs: 7000 }, 'scripted');
    expect([world.state('n1'), world.isPaused('n2'), world.network.isCut('n1', 'n3'), world.disk('n2').writeLatencyUs]).toEqual(['down', true, true, 7000]);
    for (const f of [kill, pause, cut, slow]) f.heal();
    expect([world.state('n1'), world.isPaused('n2'), world.network.isCut('n1', 'n3'), world.disk('n2').writeLatencyUs]).toEqual(['up', false, false, 0]);
    expect(faults.activeCount).toBe(0);
  });

  test('sim: faults: healAll mends everything still broken', () => {
    const world = quietWorld();
    const faults = new Faults(world);
    faults.apply({ kind: 'power', node: 'n1' }, 'scripted');
    faults.apply({ kind: 'partition', groups: [['n1'], ['n2', 'n3']] }, 'random');
    faults.apply({ kind: 'hold', from: 'n2', to: null }, 'scripted');
    faults.healAll();
    expect(world.state('n1')).toBe('up');
    expect(world.network.isCut('n2', 'n1')).toBe(false);
    expect(faults.activeCount).toBe(0);
  });

  test('sim: faults: a random heal never undoes a scripted kill of the same node', () => {
    const world = quietWorld();
    const faults = new Faults(world);
    faults.apply({ kind: 'kill', node: 'n1' }, 'scripted');
    const random = faults.apply({ kind: 'kill', node: 'n1' }, 'random');
    random.heal();
    expect(world.state('n1')).toBe('down');
  });

  // A stop's heal is "start it again": a process still shutting down when the heal comes
  // (its onTerminate takes 5 s here) is started once it exits, not left down for good.
  test('sim: faults: a stop healed before its process exits starts the process once it has exited', () => {
    const world = new World<never>({ seed: 5, network });
    world.spawn('n1', (env) => ({ onMessage: () => {}, onTerminate: (exit) => void env.setTimer(5_000_000, exit) }));
    const faults = new Faults(world);
    const stop = faults.apply({ kind: 'stop', node: 'n1' }, 'random');
    world.scheduler.run(1_000_000);
    stop.heal();
    expect(world.state('n1')).toBe('up'); // still shutting down
    world.scheduler.run(5_000_000);
    expect(world.state('n1')).toBe('up'); // exited at 5 s, and started again at once
    expect(world.trace.records.filter((r) => r.event.kind === 'proc.start').map((r) => r.atUs)).toEqual([0, 5_000_000]);
  });

  // turmoil-style: any sequence of process faults leaves each node as a tiny model says.
  test('sim: faults: process fault verbs match a reference model for any sequence', () => {
    const verb = fc.constantFrom('kill', 'power', 'restart', 'pause', 'resume');
    fc.assert(
      fc.property(fc.array(fc.tuple(verb, fc.constantFrom(...NODES)), { maxLength: 60 }), (ops) => {
        const world = quietWorld();
        const faults = new Faults(world);
        const model = new Map<string, { up: boolean; paused: boolean }>(NODES.map((n) => [n, { up: true, paused: false }]));
        for (const [kind, node] of ops) {
          faults.apply({ kind, node } as FaultAction, 'scripted');
          const m = model.get(node)!;
          if (kind === 'kill' || kind === 'power') Object.assign(m, { up: false, paused: false });
          if (kind === 'restart') Object.assign(m, { up: true, paused: false }); // a running node is bounced
          if (kind === 'pause' && m.up) m.paused = true;
          if (kind === 'resume') m.paused = false;
        }
        for (const n of NODES) {
          expect(world.state(n)).toBe(model.get(n)!.up ? 'up' : 'down');
          expect(world.isPaused(n)).toBe(model.get(n)!.paused);
        }
      }),
      { numRuns: 200 },
    );
  });

  test('sim: faults: the nemesis draws faults from its stream, heals each, and stops at stopAt', () => {
    const run = (seed: number): string[] => {
      const world = new World<never>({ seed, network });
      for (const n of NODES) world.spawn(n, () => ({ onMessage: () => {} }));
      const faults = new Faults(world);
      startNemesis(world, faults, world.random.stream('nemesis'), {
        kinds: ['kill', 'pause', 'partition', 'one-way', 'slow-disk', 'power', 'isolate'],
        intervalUs: { minUs: 1_000_000, maxUs: 2_000_000 },
        faultDurationUs: { minUs: 100_000, maxUs: 3_000_000 },
        stopAtUs: 30_000_000,
        targets: () => NODES,
      });
      world.scheduler.run(30_000_000);
      faults.healAll();
      world.scheduler.run(40_000_000);
      expect(NODES.map((n) => world.state(n))).toEqual(['up', 'up', 'up']);
      return world.trace.records.filter((r) => r.event.kind === 'fault').map((r) => `${r.atUs}:${(r.event as unknown as { label: string }).label}`);
    };
    const first = run(11);
    expect(first.length).toBeGreaterThanOrEqual(15);
    expect(first.length).toBeLessThanOrEqual(30);
    expect(new Set(first.map((f) => f.split(':')[1]!.split(' ')[0])).size).toBeGreaterThanOrEqual(5);
    expect(run(11)).toEqual(first);
    expect(run(12)).not.toEqual(first);
  });
});

describe('sim: invariant', () => {
  test('sim: invariant: a broken one throws InvariantViolation with its explanation', async () => {
    const { invariant, InvariantViolation } = await import('../../sim/index.js');
    expect(() => invariant(1 > 2, () => 'HW 5 > LEO 4')).toThrow(InvariantViolation);
    expect(() => invariant(1 > 2, () => 'HW 5 > LEO 4')).toThrow('HW 5 > LEO 4');
    expect(() => invariant(true, () => 'unused')).not.toThrow();
  });
});
