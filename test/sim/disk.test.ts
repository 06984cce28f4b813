import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

function worldWithWriter(flushEvery: number): World<never> {
  const world = new World<never>({ seed: 1, network });
  world.spawn('b1', (env) => {
    const log = env.disk.file<string>('log');
    let n = 0;
    const write = (): void => {
      log.append(`m${++n}`);
      if (n % flushEvery === 0) log.flush();
      env.setTimer(1000, write);
    };
    env.setTimer(1000, write);
    return { onMessage: () => {} };
  });
  return world;
}

describe('sim: disk', () => {
  test('sim: disk: a process crash keeps the page cache, unflushed records included', () => {
    const world = worldWithWriter(4);
    world.scheduler.run(10_500); // 10 records written, 8 flushed
    world.kill('b1');
    const log = world.disk('b1').file<string>('log');
    expect(log.length).toBe(10);
    expect(log.durableLength).toBe(8);
  });

  test('sim: disk: a power loss keeps only what a flush made durable', () => {
    const world = worldWithWriter(4);
    world.scheduler.run(10_500);
    world.powerLoss('b1');
    const log = world.disk('b1').file<string>('log');
    expect(log.slice()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7', 'm8']);
  });

  test('sim: disk: truncating below the durable point lowers it', () => {
    const world = new World<never>({ seed: 1, network });
    world.spawn('b1', () => ({ onMessage: () => {} }));
    const log = world.disk('b1').file<number>('log');
    [1, 2, 3].forEach((n) => log.append(n));
    log.flush();
    log.truncate(1);
    log.append(9);
    expect(log.durableLength).toBe(1);
    world.powerLoss('b1');
    expect(log.slice()).toEqual([1]);
    expect(() => world.disk('nobody')).toThrow(/no node named nobody/);
  });

  test('sim: disk: on a slow disk a flush is durable only after its latency, and a power loss first voids it', () => {
    const world = new World<never>({ seed: 1, network });
    world.spawn('b1', () => ({ onMessage: () => {} }));
    const disk = world.disk('b1');
    const log = disk.file<number>('log');
    log.append(1);
    disk.writeLatencyUs = 5000;
    expect(log.flush()).toBe(5000);
    expect(log.durableLength).toBe(0);
    world.scheduler.run(6000);
    expect(log.durableLength).toBe(1);
    log.append(2);
    log.flush();
    world.scheduler.run(8000);
    world.powerLoss('b1');
    world.scheduler.run(20_000);
    expect(log.slice()).toEqual([1]);
    expect(log.durableLength).toBe(1);
    log.truncate(0);
    expect(log.durableLength).toBe(0);
  });
});

describe('sim: disk: OS writeback', () => {
  test('sim: disk: writeback makes pages durable once dirty for expireUs, but not while the power is off', () => {
    const world = new World<never>({ seed: 1, network, writeback: { intervalUs: 5_000_000, expireUs: 30_000_000 } });
    world.spawn('b1', () => ({ onMessage: () => {} }));
    const log = world.disk('b1').file<number>('log');
    log.append(1); // dirty from t=0
    world.scheduler.run(20_000_000);
    log.append(2); // dirty from t=20s
    world.scheduler.run(36_000_000);
    expect(log.durableLength).toBe(1); // written back: record 1 (dirty 30 s+), not record 2
    world.kill('b1'); // a process crash: the OS keeps writing back
    world.scheduler.run(56_000_000);
    expect(log.durableLength).toBe(2);
    log.append(3);
    world.powerLoss('b1');
    world.scheduler.run(100_000_000);
    expect(log.slice()).toEqual([1, 2]);
  });
});
