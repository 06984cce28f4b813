import { describe, expect, test } from 'vitest';
import { World } from '../../sim/index.js';

interface Msg {
  readonly type: 'ping';
  readonly n: number;
}
const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

/** `ticker` counts its timer ticks in memory and on disk; `sink` records pings. */
function build(): { world: World<Msg>; ticks: () => number; pings: string[] } {
  const world = new World<Msg>({ seed: 3, network });
  let memory = 0;
  world.spawn('ticker', (env) => {
    memory = 0; // a fresh process starts with empty memory
    const tick = (): void => {
      memory += 1;
      env.disk.file<number>('ticks').append(env.now());
      env.send('sink', { type: 'ping', n: memory });
      env.setTimer(10_000, tick);
    };
    env.setTimer(10_000, tick);
    return { onMessage: () => {} };
  });
  const pings: string[] = [];
  world.spawn('sink', (env) => ({ onMessage: (_from, m) => pings.push(`${m.n}@${env.now()}`) }));
  return { world, ticks: () => memory, pings };
}

describe('sim: world', () => {
  test('sim: world: a killed process loses its timers; a restart builds a fresh one from the factory', () => {
    const { world, ticks } = build();
    world.scheduler.run(35_000);
    expect(ticks()).toBe(3);
    world.kill('ticker');
    world.scheduler.run(100_000);
    expect(ticks()).toBe(3); // no timer of the dead incarnation ran
    expect(world.state('ticker')).toBe('down');
    world.restart('ticker');
    expect(ticks()).toBe(0);
    world.scheduler.run(125_000);
    expect(ticks()).toBe(2);
    expect(world.disk('ticker').file('ticks').length).toBe(5); // the disk outlived the crash
  });

  test('sim: world: messages to a dead process are dropped', () => {
    const { world, pings } = build();
    world.kill('sink');
    world.scheduler.run(35_000);
    world.restart('sink');
    world.scheduler.run(45_000);
    expect(pings).toEqual(['4@41000']);
  });

  test('sim: world: a paused process runs nothing; its timers and messages wait for resume, in order', () => {
    const { world, ticks, pings } = build();
    world.scheduler.run(15_000);
    world.pause('ticker');
    world.pause('sink');
    world.scheduler.run(50_000);
    expect(ticks()).toBe(1);
    expect(pings).toEqual(['1@11000']);
    world.resume('ticker');
    world.scheduler.run(50_500);
    expect(ticks()).toBe(2); // the one timer that came due ran once, at resume
    world.resume('sink');
    world.scheduler.run(50_999);
    expect(pings).toEqual(['1@11000']); // the ping sent at resume is still on the wire
    world.scheduler.run(52_000);
    expect(pings).toEqual(['1@11000', '2@51000']);
  });

  test('sim: world: killing a paused process discards what waited', () => {
    const { world, pings } = build();
    world.pause('sink');
    world.scheduler.run(25_000);
    world.kill('sink');
    world.restart('sink');
    world.scheduler.run(30_000);
    expect(pings).toEqual([]);
    expect(world.isPaused('sink')).toBe(false);
  });
});

describe('sim: world: connection resets', () => {
  test('sim: world: a message to a killed process comes back as a reset; a powered-off machine stays silent', () => {
    const world = new World<Msg>({ seed: 3, network });
    const resets: string[] = [];
    world.spawn('client', (env) => {
      env.setTimer(10_000, () => env.send('server', { type: 'ping', n: 1 }));
      env.setTimer(50_000, () => env.send('server', { type: 'ping', n: 2 }));
      return { onMessage: () => {}, onUnreachable: (to, m) => resets.push(`${to}:${m.n}@${env.now()}`) };
    });
    world.spawn('server', () => ({ onMessage: () => {} }));
    world.kill('server');
    world.scheduler.run(40_000);
    expect(resets).toEqual(['server:1@12000']); // one hop there, one hop back
    world.powerLoss('server');
    world.scheduler.run(100_000);
    expect(resets).toEqual(['server:1@12000']);
  });
});

describe('sim: world: timers across a pause', () => {
  test('sim: world: a timer that came due during a pause can still be cancelled before the resume', () => {
    const world = new World<Msg>({ seed: 3, network });
    const fired: string[] = [];
    let cancel = (): void => {};
    world.spawn('p', (env) => {
      const a = env.setTimer(10_000, () => fired.push('a'));
      env.setTimer(12_000, () => fired.push('b'));
      cancel = () => env.cancelTimer(a);
      return { onMessage: () => {} };
    });
    world.pause('p');
    world.scheduler.run(20_000); // both came due while paused
    cancel();
    world.resume('p');
    world.scheduler.run(30_000);
    expect(fired).toEqual(['b']);
  });
});

describe('sim: world: connections closed', () => {
  test('sim: world: peers hear a killed process\'s connections close, and a rebooted machine\'s reset; not a power loss itself', () => {
    const world = new World<Msg>({ seed: 3, network });
    const closed: string[] = [];
    world.spawn('client', (env) => ({ onMessage: () => {}, onConnectionClosed: (peer) => closed.push(`${peer}@${env.now()}`) }));
    world.spawn('server', () => ({ onMessage: () => {} }));
    world.kill('server');
    world.scheduler.run(10_000);
    expect(closed).toEqual(['server@1000']);
    world.restart('server');
    world.powerLoss('server');
    world.scheduler.run(20_000);
    expect(closed).toEqual(['server@1000']); // the power went: nothing is sent
    world.restart('server');
    world.scheduler.run(30_000);
    expect(closed).toEqual(['server@1000', 'server@21000']); // rebooted: the stale connection is reset
  });
});
