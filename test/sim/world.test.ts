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

describe('sim: world: connections and processes', () => {
  /** `client` sends ping n on its connection `c` at each time given; records what it hears. */
  function pair(sendAtUs: readonly number[]): { world: World<Msg>; heard: string[]; got: string[] } {
    const world = new World<Msg>({ seed: 3, network });
    const heard: string[] = [];
    const got: string[] = [];
    world.spawn('client', (env) => {
      sendAtUs.forEach((atUs, i) => env.setTimer(atUs - env.now(), () => env.send('server', { type: 'ping', n: i + 1 }, 'c')));
      return {
        onMessage: () => {},
        onUnreachable: (to, m, connection) => heard.push(`reset ${to}:${m.n} ${connection}@${env.now()}`),
        onConnectionClosed: (peer, connection) => heard.push(`closed ${peer} ${connection}@${env.now()}`),
      };
    });
    world.spawn('server', (env) => ({ onMessage: (_from, m, connection) => got.push(`${m.n} ${connection}@${env.now()}`) }));
    return { world, heard, got };
  }

  test('sim: world: a connection to a killed process comes back as a reset; its connections close with a FIN', () => {
    const { world, heard, got } = pair([10_000, 50_000]);
    world.scheduler.run(20_000);
    expect(got).toEqual(['1 c#1@11000']); // the acceptor's end is named label#connection
    world.kill('server');
    world.scheduler.run(40_000);
    expect(heard).toEqual(['closed server c@21000']); // its OS closed the connection: one hop
    world.scheduler.run(60_000);
    // Ping 2 opens a new connection (the old one is closed), whose SYN the running machine resets.
    expect(heard).toEqual(['closed server c@21000', 'reset server:2 c@52000']);
  });

  test('sim: world: a powered-off machine is silent; after its reboot it resets a connection of its previous life', () => {
    const { world, heard, got } = pair([10_000, 30_000]);
    world.scheduler.run(20_000);
    world.powerLoss('server');
    world.scheduler.run(100_000);
    expect(heard).toEqual([]); // ping 2 is retransmitted into the silence: no FIN, no reset
    world.restart('server');
    world.scheduler.run(1_000_000);
    // Lost at 31 ms against the dark machine; the retransmission after the RTO (200 ms) reaches
    // the rebooted one at 231 ms, whose OS knows no such connection: its reset is back at 232.
    expect(heard).toEqual(['reset server:2 c@232000']);
    expect(got).toEqual(['1 c#1@11000']); // the new process never hears its predecessor's connection
  });

  test('sim: world: a new incarnation never receives what was sent to its predecessor', () => {
    const { world, heard, got } = pair([10_000, 11_000]);
    world.pause('server');
    world.scheduler.run(15_000); // both pings wait in the paused process's queue
    world.kill('server');
    world.restart('server');
    world.scheduler.run(100_000);
    expect(got).toEqual([]);
    expect(heard).toEqual(['closed server c@16000']);
  });

  test('sim: world: a paused process hears its messages and closes in order when it resumes', () => {
    const world = new World<Msg>({ seed: 3, network });
    const seen: string[] = [];
    world.spawn('client', (env) => {
      env.setTimer(10_000, () => env.send('server', { type: 'ping', n: 1 }, 'c'));
      env.setTimer(12_000, () => {
        env.send('server', { type: 'ping', n: 2 }, 'c');
        env.disconnect('server', 'c');
      });
      return { onMessage: () => {} };
    });
    world.spawn('server', (env) => ({
      onMessage: (_from, m) => seen.push(`${m.n}@${env.now()}`),
      onConnectionClosed: (peer) => seen.push(`closed ${peer}@${env.now()}`),
    }));
    world.pause('server');
    world.scheduler.run(20_000);
    world.resume('server');
    world.scheduler.run(30_000);
    expect(seen).toEqual(['1@20000', '2@20000', 'closed client@20000']);
  });
});
