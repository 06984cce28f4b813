import { describe, expect, test } from 'vitest';
import { PPM, RandomStreams } from '../../sim/index.js';

const draw = (streams: RandomStreams, name: string, n: number): number[] =>
  Array.from({ length: n }, () => streams.stream(name).int(1_000_000));

describe('sim: random', () => {
  test('sim: random: the same seed and name give the same sequence; another seed does not', () => {
    expect(draw(new RandomStreams(42), 'network', 50)).toEqual(draw(new RandomStreams(42), 'network', 50));
    expect(draw(new RandomStreams(42), 'network', 50)).not.toEqual(draw(new RandomStreams(43), 'network', 50));
  });

  test('sim: random: drawing from a new stream does not change another stream', () => {
    const alone = new RandomStreams(7);
    const crowded = new RandomStreams(7);
    const a = draw(alone, 'network', 20);
    const b: number[] = [];
    for (let i = 0; i < 20; i++) {
      crowded.stream('workload:c1').int(10); // a consumer added to the scenario
      b.push(crowded.stream('network').int(1_000_000));
    }
    expect(b).toEqual(a);
  });

  test('sim: random: helpers stay in their bounds and cover them', () => {
    const random = new RandomStreams(1).stream('t');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = random.range(3, 7);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
    expect(random.chance(0)).toBe(false);
    expect(random.chance(PPM)).toBe(true);
    const hits = Array.from({ length: 10_000 }, () => random.ratio(1, 4)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(2200);
    expect(hits).toBeLessThan(2800);
    expect(random.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(() => random.int(0)).toThrow(/positive integer/);
    expect(() => random.pick([])).toThrow(/empty/);
  });
});
