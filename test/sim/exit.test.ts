// A process that exits by itself (System.exit), the supervisor that starts a failed one again
// (systemd's Restart=on-failure, RestartSec), and a process that refuses a connection before it
// listens.
import { describe, expect, test } from 'vitest';
import { Faults, World, type Env, type Process } from '../../sim/index.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

/** A process that exits with `status` `afterUs` after each start, and counts its starts. */
function exiting(status: number, afterUs: number, starts: number[]): (env: Env<string>) => Process<string> {
  return (env) => {
    starts.push(env.now());
    env.setTimer(afterUs, () => env.exit(status));
    return { onMessage: () => {} };
  };
}

function processEvents(world: World<string>): string[] {
  const seen: string[] = [];
  world.trace.observe((atUs, event) => {
    const e = event as { kind: string; node?: string; status?: number; atUs?: number; why?: string };
    if (!e.kind.startsWith('proc.') || e.kind === 'proc.drop') return;
    const detail = e.status !== undefined ? ` ${e.status}` : e.why !== undefined ? ` ${e.why}` : '';
    seen.push(`${atUs / 1000}ms ${e.kind} ${e.node}${detail}`);
  });
  return seen;
}

describe('sim: exit and supervisor', () => {
  test('sim: exit: a process that exits by itself is down at once, and its peers see their connections closed', () => {
    const world = new World<string>({ seed: 1, network });
    const closed: string[] = [];
    world.spawn('a', exiting(1, 5000, []));
    world.spawn('b', () => ({ onMessage: () => {}, onConnectionClosed: (peer) => closed.push(peer) }));
    const seen = processEvents(world);
    world.scheduler.run(1_000_000);
    expect(world.state('a')).toBe('down');
    // No supervisor: nothing starts it again.
    expect(seen).toEqual(['5ms proc.exit a 1']);
    expect(closed).toEqual(['a']);
  });

  test('sim: supervisor: a failed exit is started again RestartSec later, every time it fails', () => {
    const world = new World<string>({ seed: 1, network });
    const starts: number[] = [];
    world.spawn('a', exiting(1, 5000, starts));
    world.supervise('a', 10_000);
    world.scheduler.run(40_000);
    // Started at 0, exits at 5 ms, started at 15 ms, exits at 20, started at 30 ...
    expect(starts).toEqual([0, 15_000, 30_000]);
  });

  test('sim: supervisor: a clean exit (status 0) and a kill are not its business', () => {
    const world = new World<string>({ seed: 1, network });
    const clean: number[] = [];
    const killed: number[] = [];
    world.spawn('clean', exiting(0, 5000, clean));
    world.spawn('killed', (env) => {
      killed.push(env.now());
      return { onMessage: () => {} };
    });
    world.supervise('clean', 10_000);
    world.supervise('killed', 10_000);
    world.scheduler.at(5000, () => world.kill('killed'), undefined);
    world.scheduler.run(100_000);
    expect(clean).toEqual([0]);
    expect(killed).toEqual([0]);
    expect(world.state('killed')).toBe('down');
  });

  test('sim: supervisor: a stop or a power loss calls off its pending start; a fault\'s restart meanwhile replaces it', () => {
    const world = new World<string>({ seed: 1, network });
    const starts: Record<string, number[]> = { stopped: [], powered: [], healed: [] };
    for (const name of ['stopped', 'powered', 'healed'] as const) {
      world.spawn(name, exiting(1, 5000, starts[name]!));
      world.supervise(name, 10_000);
    }
    const faults = new Faults(world);
    const seen = processEvents(world);
    world.scheduler.at(8000, () => {
      faults.apply({ kind: 'stop', node: 'stopped' }, 'scripted');
      faults.apply({ kind: 'power', node: 'powered' }, 'scripted');
      faults.apply({ kind: 'restart', node: 'healed' }, 'scripted');
    }, undefined);
    world.scheduler.run(30_000);
    expect(starts['stopped']).toEqual([0]);
    expect(starts['powered']).toEqual([0]);
    // Started by the scripted restart at 8 ms; it fails again at 13 and is due at 23.
    expect(starts['healed']).toEqual([0, 8000, 23_000]);
    expect(seen).toContain('8ms proc.restart-cancelled stopped stop');
    expect(seen).toContain('8ms proc.restart-cancelled powered power');
  });

  test('sim: refuse: a message refused before the process listens comes back to its sender as a reset', () => {
    const world = new World<string>({ seed: 1, network });
    const unreachable: string[] = [];
    world.spawn('server', (env) => ({ onMessage: (from, m) => env.refuse(from, m) }));
    world.spawn('client', (env) => {
      env.send('server', 'hello');
      return { onMessage: () => {}, onUnreachable: (to, m) => unreachable.push(`${to}:${m}@${env.now()}`) };
    });
    world.scheduler.run(10_000);
    expect(unreachable).toEqual(['server:hello@2000']);
  });
});
