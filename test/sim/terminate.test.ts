// SIGTERM in the kernel: a clean stop runs the process's own shutdown, then it exits; a stop
// that takes too long ends in a kill; `restart` bounces a running process.
import { describe, expect, test } from 'vitest';
import { Faults, World, type Env, type Process } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

/** A process that, told to stop, says goodbye to `peer` and exits `shutdownUs` later (never, if null). */
function polite(peer: string, shutdownUs: number | null, heard: string[]): (env: Env<string>) => Process<string> {
  return (env) => ({
    onMessage: (from, message) => heard.push(`${env.node}<-${from}:${message}`),
    onTerminate: (exit) => {
      env.send(peer, 'goodbye');
      if (shutdownUs !== null) env.setTimer(shutdownUs, exit);
    },
  });
}

function kinds(world: World<string>): string[] {
  const seen: string[] = [];
  world.trace.observe((atUs, event) => {
    const e = event as { kind: string; node?: string };
    if (e.kind.startsWith('proc.') && e.kind !== 'proc.drop') seen.push(`${atUs / 1000}ms ${e.kind} ${e.node}`);
  });
  return seen;
}

describe('sim: terminate (SIGTERM)', () => {
  test('sim: terminate: the process shuts down its own way, its last messages arrive, then it exits', () => {
    const world = new World<string>({ seed: 1, network });
    const heard: string[] = [];
    world.spawn('a', polite('b', 5000, heard));
    world.spawn('b', polite('a', 5000, heard));
    const seen = kinds(world);
    let exitedAt = -1;
    world.terminate('a', 90_000_000, () => (exitedAt = world.now()));
    expect(world.state('a')).toBe('up');
    world.scheduler.run(1_000_000, 1000);
    expect(world.state('a')).toBe('down');
    expect(exitedAt).toBe(5000);
    expect(heard).toEqual(['b<-a:goodbye']);
    expect(seen).toEqual(['0ms proc.terminate a', '5ms proc.exit a']);
  });

  test('sim: terminate: a process without a shutdown of its own exits at once', () => {
    const world = new World<string>({ seed: 1, network });
    world.spawn('a', () => ({ onMessage: () => {} }));
    const seen = kinds(world);
    world.terminate('a', 90_000_000);
    expect(world.state('a')).toBe('down');
    expect(seen).toEqual(['0ms proc.terminate a', '0ms proc.exit a']);
  });

  test('sim: terminate: a shutdown longer than the grace period ends in a kill', () => {
    const world = new World<string>({ seed: 1, network });
    world.spawn('a', polite('b', null, []));
    world.spawn('b', () => ({ onMessage: () => {} }));
    const seen = kinds(world);
    world.terminate('a', 30_000_000);
    world.scheduler.run(60_000_000, 1000);
    expect(world.state('a')).toBe('down');
    expect(seen).toEqual(['0ms proc.terminate a', '30000ms proc.kill a']);
  });

  test('sim: terminate: a paused process handles the signal when it resumes', () => {
    const world = new World<string>({ seed: 1, network });
    world.spawn('a', polite('b', 1000, []));
    world.spawn('b', () => ({ onMessage: () => {} }));
    const seen = kinds(world);
    world.pause('a');
    world.terminate('a', 90_000_000);
    world.scheduler.after(10_000_000, () => world.resume('a'), undefined);
    world.scheduler.run(20_000_000, 1000);
    expect(seen).toEqual(['0ms proc.pause a', '0ms proc.terminate a', '10000ms proc.resume a', '10001ms proc.exit a']);
  });

  test('sim: faults: stop heals by a start; restart bounces a running process once it has exited', () => {
    const world = new World<string>({ seed: 1, network });
    world.spawn('a', polite('b', 2000, []));
    world.spawn('b', () => ({ onMessage: () => {} }));
    const seen = kinds(world);
    const faults = new Faults(world);
    const stop = faults.apply({ kind: 'stop', node: 'a' }, 'scripted');
    world.scheduler.run(10_000_000, 1000);
    expect(world.state('a')).toBe('down');
    stop.heal();
    expect(world.state('a')).toBe('up');
    faults.apply({ kind: 'restart', node: 'a' }, 'scripted');
    world.scheduler.run(20_000_000, 1000);
    expect(world.state('a')).toBe('up');
    expect(seen).toEqual([
      '0ms proc.terminate a', '2ms proc.exit a', '10000ms proc.start a',
      '10000ms proc.terminate a', '10002ms proc.exit a', '10002ms proc.start a',
    ]);
  });

  // The seed-30 run of acks-all-nemesis-sessions: a stop healed during a 15 s controlled shutdown
  // found the broker up, started nothing, and the broker never came back once it exited.
  test('sim: faults: a stop healed while the process is still shutting down starts it once it has exited', () => {
    const world = new World<string>({ seed: 1, network });
    world.spawn('a', polite('b', 5000, []));
    world.spawn('b', () => ({ onMessage: () => {} }));
    const seen = kinds(world);
    const faults = new Faults(world);
    const stop = faults.apply({ kind: 'stop', node: 'a' }, 'scripted');
    world.scheduler.after(1000, () => stop.heal(), undefined);
    world.scheduler.run(10_000_000, 1000);
    expect(world.state('a')).toBe('up');
    expect(seen).toEqual(['0ms proc.terminate a', '5ms proc.exit a', '5ms proc.start a']);
  });
});