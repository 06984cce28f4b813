// The nemesis's split kinds (a minority cut from the majority), and kinds the system defines.
import { describe, expect, test } from 'vitest';
import { Faults, World, startNemesis, type SystemFaultKind } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** The groups of every random partition the nemesis made in 200 s. */
function partitions(kind: string, systemKinds?: Record<string, SystemFaultKind>): string[][][] {
  const world = new World<never>({ seed: 9, network });
  for (const n of NODES) world.spawn(n, () => ({ onMessage: () => {} }));
  const seen: string[][][] = [];
  world.trace.observe((_atUs, event) => {
    const e = event as { kind: string; action?: { kind: string; groups?: string[][] } };
    if (e.kind === 'fault' && e.action?.kind === 'partition') seen.push(e.action.groups!);
  });
  startNemesis(world, new Faults(world), world.random.stream('nemesis'), {
    kinds: [kind],
    intervalUs: { minUs: 1_000_000, maxUs: 2_000_000 },
    faultDurationUs: { minUs: 100_000, maxUs: 500_000 },
    stopAtUs: 200_000_000,
    targets: () => NODES,
    ...(systemKinds === undefined ? {} : { systemKinds }),
  });
  world.scheduler.run(200_000_000, 10_000_000);
  return seen;
}

describe('sim: nemesis split kinds', () => {
  test('sim: nemesis: majority-split cuts one or two of five nodes from the other three or four', () => {
    const seen = partitions('majority-split');
    expect(seen.length).toBeGreaterThan(50);
    for (const [minority, majority] of seen) {
      expect(minority!.length).toBeLessThan(majority!.length);
      expect([...minority!, ...majority!].sort()).toEqual(NODES);
    }
    expect(new Set(seen.map(([minority]) => minority!.length))).toEqual(new Set([1, 2]));
  });

  test('sim: nemesis: a system kind draws the faults the system defines, none when it finds none, and an unknown kind is refused', () => {
    const named = [['n1', 'n2', 'n3'], ['n4']];
    const seen = partitions('my-split', { 'my-split': () => ({ action: { kind: 'partition', groups: named } }) });
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.every((groups) => JSON.stringify(groups) === JSON.stringify(named))).toBe(true);
    expect(partitions('my-split', { 'my-split': () => null })).toEqual([]);
    expect(() => partitions('my-split')).toThrow(/unknown fault kind my-split/);
  });

  test('sim: nemesis: a system kind sets its own duration from the drawn one', () => {
    const world = new World<never>({ seed: 3, network });
    for (const n of NODES) world.spawn(n, () => ({ onMessage: () => {} }));
    const spans: number[] = [];
    let cutAt = 0;
    world.trace.observe((atUs, event) => {
      const e = event as { kind: string; label?: string };
      if (e.kind === 'fault') cutAt = atUs;
      if (e.kind === 'fault.heal') spans.push(atUs - cutAt);
      if (e.kind === 'fault') expect(e.label).toBe('long cut');
    });
    startNemesis(world, new Faults(world), world.random.stream('nemesis'), {
      kinds: ['long'],
      intervalUs: { minUs: 60_000_000, maxUs: 60_000_000 },
      faultDurationUs: { minUs: 1_000_000, maxUs: 2_000_000 },
      stopAtUs: 600_000_000,
      targets: () => NODES,
      systemKinds: { long: () => ({ action: { kind: 'isolate', node: 'n1' }, label: 'long cut', durationUs: (drawn) => 20_000_000 + drawn }) },
    });
    world.scheduler.run(700_000_000, 10_000_000);
    expect(spans.length).toBeGreaterThan(5);
    for (const span of spans) expect(span >= 21_000_000 && span <= 22_000_000).toBe(true);
  });
});
