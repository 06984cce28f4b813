import { describe, expect, test } from 'vitest';
import { World, type LinkConfig } from '../../sim/index.js';

interface Msg {
  readonly type: 'm';
  readonly n: number;
}

const link = (over: Partial<LinkConfig> = {}): LinkConfig => ({
  latencyUs: { minUs: 1000, maxUs: 9000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0, ...over,
});

/** Nodes a, b, c; every node records what it receives as `from:n@time`. */
function world(config: LinkConfig = link(), seed = 1): { world: World<Msg>; got: Map<string, string[]> } {
  const w = new World<Msg>({ seed, network: config });
  const got = new Map<string, string[]>();
  for (const name of ['a', 'b', 'c']) {
    got.set(name, []);
    w.spawn(name, (env) => ({ onMessage: (from, m) => got.get(name)!.push(`${from}:${m.n}@${env.now()}`) }));
  }
  return { world: w, got };
}

const send = (w: World<Msg>, from: string, to: string, n: number): void => w.network.send(from, to, { type: 'm', n });
const numbers = (lines: string[]): number[] => lines.map((l) => Number(l.split(':')[1]!.split('@')[0]));

describe('sim: network', () => {
  test('sim: network: delivers within the latency range and in FIFO order per link', () => {
    const { world: w, got } = world();
    for (let n = 0; n < 200; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    expect(numbers(got.get('b')!)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    for (const line of got.get('b')!) {
      const at = Number(line.split('@')[1]);
      expect(at).toBeGreaterThanOrEqual(1000);
      expect(at).toBeLessThanOrEqual(9000);
    }
  });

  test('sim: network: a reorder ratio lets messages overtake each other', () => {
    const { world: w, got } = world(link({ reorderPpm: 500_000 }));
    for (let n = 0; n < 200; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    const order = numbers(got.get('b')!);
    expect(order.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(order).not.toEqual(Array.from({ length: 200 }, (_, n) => n));
  });

  test('sim: network: drop and duplicate ratios act at about their rate', () => {
    const { world: w, got } = world(link({ dropPpm: 100_000, duplicatePpm: 100_000 }));
    for (let n = 0; n < 5000; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    const received = numbers(got.get('b')!);
    const distinct = new Set(received).size;
    expect(distinct).toBeGreaterThan(4300); // ~10% dropped
    expect(distinct).toBeLessThan(4700);
    expect(received.length - distinct).toBeGreaterThan(300); // ~10% of the rest duplicated
    expect(received.length - distinct).toBeLessThan(600);
  });

  test('sim: network: a partition cuts both ways, drops messages already in flight, and heals', () => {
    const { world: w, got } = world(link({ latencyUs: { minUs: 5000, maxUs: 5000 } }));
    send(w, 'a', 'b', 1); // in flight when the cut comes
    w.scheduler.run(1000);
    const cut = w.network.partition([['a'], ['b', 'c']], 'scripted');
    send(w, 'b', 'a', 2);
    send(w, 'b', 'c', 3); // same side: unaffected
    w.scheduler.run(10_000);
    expect(got.get('a')).toEqual([]);
    expect(got.get('b')).toEqual([]);
    expect(numbers(got.get('c')!)).toEqual([3]);
    w.network.heal(cut);
    send(w, 'b', 'a', 4);
    w.scheduler.run();
    expect(numbers(got.get('a')!)).toEqual([4]);
  });

  test('sim: network: a one-way cut blocks one direction only', () => {
    const { world: w, got } = world();
    w.network.oneWay('a', 'b', 'scripted');
    send(w, 'a', 'b', 1);
    send(w, 'b', 'a', 2);
    w.scheduler.run();
    expect(got.get('b')).toEqual([]);
    expect(numbers(got.get('a')!)).toEqual([2]);
  });

  test('sim: network: a random heal never undoes a scripted partition', () => {
    const { world: w, got } = world();
    w.network.isolate('a', 'scripted');
    const random = w.network.isolate('a', 'random');
    w.network.heal(random);
    w.network.healAll('random');
    send(w, 'b', 'a', 1);
    w.scheduler.run();
    expect(got.get('a')).toEqual([]);
    expect(w.network.isCut('b', 'a')).toBe(true);
    w.network.healAll();
    expect(w.network.isCut('b', 'a')).toBe(false);
  });

  test('sim: network: held messages wait and arrive in order on release', () => {
    const { world: w, got } = world();
    const hold = w.network.hold('a', null);
    for (let n = 0; n < 5; n++) send(w, 'a', 'b', n);
    send(w, 'c', 'b', 99);
    w.scheduler.run(100_000);
    expect(numbers(got.get('b')!)).toEqual([99]);
    w.network.release(hold);
    w.scheduler.run();
    expect(numbers(got.get('b')!)).toEqual([99, 0, 1, 2, 3, 4]);
  });
});
