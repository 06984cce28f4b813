// ksim's deterministic kernel. It knows nothing of Kafka.
//
//   const world = new World<Ping>({ seed: 7, network: { latencyUs: { minUs: 1000, maxUs: 5000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 } });
//   world.spawn('a', (env) => {
//     env.setTimer(10_000, () => env.send('b', { type: 'ping', n: 1 }, 'rpc'));   // on a's TCP connection 'rpc'
//     return { onMessage: (from, m) => env.trace({ kind: 'got', from, n: m.n }) };
//   });
//   world.spawn('b', (env) => ({ onMessage: (from, m, conn) => env.send(from, { type: 'pong', n: m.n }, conn) }));  // conn: 'rpc#1'
//   const faults = new Faults(world);
//   world.scheduler.at(20_000, () => faults.apply({ kind: 'isolate', node: 'b' }, 'scripted').heal, undefined);
//   world.scheduler.run(1_000_000);       // virtual µs; returns 'idle' | 'time' | 'budget'
//   world.trace.hash;                     // same seed, same code: same 16 hex digits
//
// Time is virtual (integer µs); randomness comes from named streams of the seed; processes talk
// only through the network, by datagram (no connection label: dropped, duplicated, reordered at
// the link's rates) or on TCP connections (ordered, retransmitted across faults: sim/tcp.ts);
// a fault is a value with an inverse.
export { Scheduler, type EventHandler, type EventId, type RunOutcome } from './scheduler.js';
export { Random, RandomStreams, PPM } from './random.js';
export { Trace, type TraceEvent, type TraceObserver, type TraceRecord, type TraceSink } from './trace.js';
export { Network, type LinkConfig, type LatencyRange, type FaultSource, type Cut, type Hold, type NetworkEvent, type NetworkHooks } from './network.js';
export { connectionLabel, RTO_MIN_US, RTO_MAX_US, type ConnectionEvent } from './tcp.js';
export { Disk, DiskFile } from './disk.js';
export { World, type Env, type Process, type ProcessFactory, type ProcessState, type ProcessEvent, type WorldOptions, type WritebackOptions } from './world.js';
export {
  Faults, startNemesis, describeFault, KERNEL_NEMESIS_KINDS, DEFAULT_STOP_GRACE_US,
  type FaultAction, type FaultKind, type FaultEvent, type AppliedFault, type KernelNemesisKind, type NemesisOptions, type SystemFault, type SystemFaultKind,
} from './faults.js';
export { invariant, InvariantViolation } from './invariant.js';
