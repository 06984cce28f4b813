// Worlds with a ZooKeeper server `zk` and client processes, and a way to wait for a callback.
import { World, type LinkConfig, type TraceRecord } from '../../sim/index.js';
import type { ZooKeeperEvent } from '../../src/kafka/events.js';
import type { Stat, ZkClient, ZkResult, ZnodeData } from '../../src/zookeeper/api.js';
import { createZkClient } from '../../src/zookeeper/client.js';
import { zookeeperServer, type ZooKeeperServerConfig } from '../../src/zookeeper/server.js';

export const ZK = 'zk';
export const MS = 1000; // µs per ms
export const steadyNetwork: LinkConfig = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };

export function zkWorld(options: { seed?: number; config?: ZooKeeperServerConfig; network?: LinkConfig } = {}): World<unknown> {
  const world = new World<unknown>({ seed: options.seed ?? 1, network: options.network ?? steadyNetwork });
  world.spawn(ZK, zookeeperServer(options.config ?? { tickTimeMs: 1000 }));
  return world;
}

/** A client process: its current ZkClient, and what its listener heard, as short strings. */
export class TestClient {
  readonly events: string[] = [];
  private current: ZkClient | null = null;

  constructor(
    world: World<unknown>,
    readonly name: string,
    sessionTimeoutMs: number,
    /** Called on every new session (the owner's re-registration, as a broker does). */
    onNewSession?: (client: ZkClient) => void,
  ) {
    world.spawn(name, (env) => {
      const client: ZkClient = createZkClient(env, {
        server: ZK,
        sessionTimeoutMs,
        listener: {
          onConnected: (id, isNew) => {
            this.events.push(`connected ${id} ${isNew ? 'new' : 'resumed'}`);
            if (isNew) onNewSession?.(client);
          },
          onDisconnected: () => this.events.push('disconnected'),
          onExpired: (id) => this.events.push(`expired ${id}`),
        },
      });
      this.current = client;
      return {
        onMessage: (from, m) => void client.handle(from, m),
        onConnectionClosed: (peer, connection) => void client.connectionLost(peer, connection),
        onUnreachable: (peer, _m, connection) => void client.connectionLost(peer, connection),
      };
    });
  }

  get zk(): ZkClient {
    if (this.current === null) throw new Error(`${this.name} has no client`);
    return this.current;
  }
}

/** Starts an operation and runs the world until its callback is called; fails if it never is, or twice. */
export function call<T>(world: World<unknown>, start: (done: (result: T) => void) => void, withinUs = 120_000 * MS): T {
  let box = null as { value: T } | null;
  let calls = 0;
  start((value) => {
    calls += 1;
    box = { value };
  });
  const deadline = world.now() + withinUs;
  while (box === null && world.scheduler.run(deadline, 1) === 'budget') {
    // one event at a time, so the world stops right after the callback
  }
  if (box === null) throw new Error(`no callback within ${withinUs / MS} ms`);
  if (calls !== 1) throw new Error(`callback called ${calls} times`);
  return box.value;
}

/** Runs the world until `condition` holds (checked after each event). */
export function runUntil(world: World<unknown>, condition: () => boolean, withinUs = 120_000 * MS): void {
  const deadline = world.now() + withinUs;
  while (!condition()) {
    if (world.scheduler.run(deadline, 1) !== 'budget') throw new Error(`condition not met within ${withinUs / MS} ms`);
  }
}

export function runFor(world: World<unknown>, us: number): void {
  world.scheduler.run(world.now() + us);
}

/** Connects every client (runs until each has a session). */
export function connect(world: World<unknown>, ...clients: TestClient[]): void {
  runUntil(world, () => clients.every((c) => c.zk.state === 'CONNECTED'));
}

// Promise-free shorthands for the common calls.
export const ops = {
  create: (world: World<unknown>, zk: ZkClient, path: string, data: ZnodeData = null, mode: Parameters<ZkClient['create']>[2] = 'PERSISTENT') =>
    call<ZkResult<string>>(world, (done) => zk.create(path, data, mode, done)),
  delete: (world: World<unknown>, zk: ZkClient, path: string, version = -1) => call<ZkResult<null>>(world, (done) => zk.delete(path, version, done)),
  setData: (world: World<unknown>, zk: ZkClient, path: string, data: ZnodeData, version = -1) =>
    call<ZkResult<Stat>>(world, (done) => zk.setData(path, data, version, done)),
  getData: (world: World<unknown>, zk: ZkClient, path: string) =>
    call<ZkResult<{ readonly data: ZnodeData; readonly stat: Stat }>>(world, (done) => zk.getData(path, null, done)),
  exists: (world: World<unknown>, zk: ZkClient, path: string) => call<ZkResult<Stat | null>>(world, (done) => zk.exists(path, null, done)),
  children: (world: World<unknown>, zk: ZkClient, path: string) => call<ZkResult<readonly string[]>>(world, (done) => zk.getChildren(path, null, done)),
};

/** The ZooKeeper events the trace kept, with their times. */
export function zkEvents(world: World<unknown>): { atUs: number; event: ZooKeeperEvent }[] {
  return world.trace.records.filter((r: TraceRecord) => r.event.kind.startsWith('zk.')).map((r) => ({ atUs: r.atUs, event: r.event as ZooKeeperEvent }));
}

export function ok<T>(result: ZkResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${result.code}`);
  return result.value;
}
