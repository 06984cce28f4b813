// The nemesis's split kinds: a minority cut from the majority, and a split the system names.
import { describe, expect, test } from 'vitest';
import { Faults, World, startNemesis, type NemesisKind } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** The groups of every random partition the nemesis made in 200 s. */
function partitions(kind: NemesisKind, splits?: () => string[][][]): string[][][] {
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
    ...(splits === undefined ? {} : { splits }),
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

  test('sim: nemesis: split draws only the splits the system names, and none when it names none', () => {
    const named = [[['n1', 'n2', 'n3'], ['n4']]];
    const seen = partitions('split', () => named);
    expect(seen.length).toBeGreaterThan(50);
    expect(seen.every((groups) => JSON.stringify(groups) === JSON.stringify(named[0]))).toBe(true);
    expect(partitions('split', () => [])).toEqual([]);
    expect(partitions('split')).toEqual([]);
  });
});
