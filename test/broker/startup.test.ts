// KafkaServer.startup: a broker loads its logs (recovering, after an unclean shutdown, the
// segments above each log's recovery point), then registers; a registration the previous
// process's session still holds is fatal, and the process exits.
import { describe, expect, test } from 'vitest';
import { Disk, Scheduler, World, type TraceEvent } from '../../sim/index.js';
import { broker } from '../../src/broker/broker.js';
import { markCleanShutdown, planLoad, writeMetaProperties, writeRecoveryPoints } from '../../src/broker/log-manager.js';
import { RECORD_BYTES } from '../../src/broker/config.js';
import { logFile, type RecordBatch } from '../../src/kafka/records.js';
import { KAFKA_PROFILES } from '../../src/scenario/kafka-config.js';
import { zookeeperServer } from '../../src/zookeeper/server.js';

const network = { latencyUs: { minUs: 1000, maxUs: 1000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0 };
const MODEL = { baseUs: 1_000_000, recoveryBytesPerSec: 1_000_000 }; // 1 MB/s: 10,000 records a second
const ONE_SEGMENT = 1_000_000_000;

/** A disk holding `orders-0` with `records` records in batches of 100. */
function diskWith(records: number): Disk {
  const disk = new Disk('b1', new Scheduler());
  const file = logFile(disk, 'orders', 0);
  for (let base = 0; base < records; base += 100) {
    const batch: RecordBatch = { baseOffset: base, leaderEpoch: 0, producerId: -1, producerEpoch: -1, baseSequence: -1, records: Array.from({ length: 100 }, (_, i) => ({ key: null, producer: 'p1', seq: base + i })) };
    file.append(batch);
  }
  writeMetaProperties(disk, 1);
  return disk;
}

describe('broker: startup: log loading', () => {
  test('broker: startup: an unclean restart recovers every segment from the one holding the recovery point, so its time grows with the unflushed records', () => {
    // Segments of 1,000 records. Flushed to 5,000 of 8,000: segments 5 to 7 are recovered, 3,000
    // records; flushed to 2,500: segments 2 to 7, 6,000 records (the floor segment whole).
    const disk = diskWith(8000);
    const plan = (recoveryPoint: number) => {
      writeRecoveryPoints(disk, [['orders-0', recoveryPoint]]);
      return planLoad(disk, MODEL, 1, () => 1000);
    };
    const flushedLate = plan(5000);
    const flushedEarly = plan(2500);
    expect(flushedLate.recoveryBytes).toBe(3000 * RECORD_BYTES);
    expect(flushedEarly.recoveryBytes).toBe(6000 * RECORD_BYTES);
    expect(flushedLate.durationUs).toBe(MODEL.baseUs + 300_000);
    expect(flushedEarly.durationUs).toBe(MODEL.baseUs + 600_000);
    expect(plan(8000).recoveryBytes).toBe(1000 * RECORD_BYTES); // flushed to its end: the active segment still
  });

  test('broker: startup: with one segment (the default 1 GiB) an unclean restart recovers the whole log; a clean one recovers nothing', () => {
    const disk = diskWith(4000);
    writeRecoveryPoints(disk, [['orders-0', 4000]]);
    expect(planLoad(disk, MODEL, 1, () => ONE_SEGMENT).recoveryBytes).toBe(4000 * RECORD_BYTES);
    markCleanShutdown(disk);
    const clean = planLoad(disk, MODEL, 1, () => ONE_SEGMENT);
    expect(clean).toMatchObject({ cleanShutdown: true, recoveryBytes: 0, durationUs: MODEL.baseUs });
  });

  test('broker: startup: the first start of a run (an empty data directory) takes no start-up time', () => {
    const disk = new Disk('b1', new Scheduler());
    expect(planLoad(disk, MODEL, 1, () => ONE_SEGMENT)).toMatchObject({ restart: false, durationUs: 0 });
  });
});

/** zk and b1 (zookeeper.session.timeout.ms 6 s, ticks of 2 s); b1 is killed at 5 s and started again at `restartAtUs`. */
function restartedInsideSession(profile: string, restartAtUs: number): { events: { atUs: number; event: TraceEvent }[]; world: World<unknown> } {
  const world = new World<unknown>({ seed: 1, network });
  const events: { atUs: number; event: TraceEvent }[] = [];
  world.trace.observe((atUs, event) => {
    if (event.kind.startsWith('broker.') || event.kind.startsWith('proc.') || event.kind === 'zk.expired') events.push({ atUs, event });
  });
  world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
  world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile, config: {}, zookeeper: { 'zookeeper.session.timeout.ms': 6000 }, topicConfigs: new Map(), startup: MODEL }));
  world.scheduler.at(5_000_000, () => world.kill('b1'), undefined);
  world.scheduler.at(restartAtUs, () => world.restart('b1'), undefined);
  world.scheduler.run(30_000_000);
  return { events, world };
}

const first = <K extends string>(events: { atUs: number; event: TraceEvent }[], kind: K, after = 0) =>
  events.find((e) => e.event.kind === kind && e.atUs >= after) as { atUs: number; event: TraceEvent & Record<string, unknown> } | undefined;

describe('broker: startup: registration', () => {
  test.each(KAFKA_PROFILES.filter((p) => ['0.10', '1.0', '1.1', '2.0', '2.8', '3.9'].includes(p)))(
    'broker: startup: %s: a restart while the old session still holds /brokers/ids/1 fails and the process exits with status 1',
    (profile) => {
      const { events, world } = restartedInsideSession(profile, 7_000_000);
      const registered = first(events, 'broker.registered')!;
      const failed = first(events, 'broker.start-failed')!;
      // Killed at 5 s, started at 7 s: loaded 1 s later, it finds its node held by the dead process's session.
      expect(failed.atUs).toBeGreaterThan(8_000_000);
      expect(failed.atUs).toBeLessThan(8_100_000);
      expect(failed.event).toMatchObject({ broker: 1, reason: 'registration-exists', path: '/brokers/ids/1', heldBySessionId: registered.event['sessionId'] });
      expect(first(events, 'proc.exit')).toMatchObject({ atUs: failed.atUs, event: { node: 'b1', status: 1 } });
      expect(world.state('b1')).toBe('down');
      // Nothing registered it after the failure, though the old session expired later.
      const expired = first(events, 'zk.expired')!;
      expect(expired.atUs).toBeGreaterThan(failed.atUs);
      expect(events.filter((e) => e.event.kind === 'broker.registered')).toHaveLength(1);
    },
  );

  test('broker: startup: a restart after the old session expired registers, once its logs are loaded', () => {
    const { events, world } = restartedInsideSession('3.9', 15_000_000);
    const expired = first(events, 'zk.expired')!;
    expect(expired.atUs).toBeLessThan(15_000_000);
    const loading = first(events, 'broker.loading', 15_000_000)!;
    const registered = first(events, 'broker.registered', 15_000_000)!;
    expect(loading.event).toMatchObject({ restart: true, cleanShutdown: false, durationUs: MODEL.baseUs });
    expect(registered.atUs).toBeGreaterThan(loading.atUs + MODEL.baseUs);
    expect(first(events, 'broker.start-failed')).toBeUndefined();
    expect(world.state('b1')).toBe('up');
  });

  test('broker: startup: the start that failed closed its logs cleanly, so the next start recovers nothing', () => {
    const world = new World<unknown>({ seed: 1, network });
    world.spawn('zk', zookeeperServer({ tickTimeMs: 2000 }));
    world.spawn('b1', broker({ id: 1, node: 'b1', zookeeperNode: 'zk', profile: '3.9', config: {}, zookeeper: { 'zookeeper.session.timeout.ms': 6000 }, topicConfigs: new Map(), startup: MODEL }));
    world.supervise('b1', 3_000_000);
    const loads: { atUs: number; clean: boolean }[] = [];
    const failures: number[] = [];
    world.trace.observe((atUs, e) => {
      const event = e as { kind: string; cleanShutdown?: boolean };
      if (event.kind === 'broker.loading') loads.push({ atUs, clean: event.cleanShutdown! });
      if (event.kind === 'broker.start-failed') failures.push(atUs);
    });
    world.scheduler.at(5_000_000, () => world.kill('b1'), undefined);
    world.scheduler.at(6_000_000, () => world.restart('b1'), undefined);
    world.scheduler.run(30_000_000);
    // Started at 6 s, failed at 7 s; the supervisor starts it at 10 s, after the expiry (≤ 13 s)
    // or not: every start after the first failure finds the marker the failed start left.
    expect(failures.length).toBeGreaterThan(0);
    expect(loads.slice(1).map((l) => l.clean)).toEqual([false, ...loads.slice(2).map(() => true)]);
    expect(world.state('b1')).toBe('up');
  });
});
