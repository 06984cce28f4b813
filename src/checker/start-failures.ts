// Brokers whose start failed, as the run's report and its --json line tell them: when, why
// (whose ZooKeeper session still held the registration, and until when), and what started the
// broker again. A pure observer of the trace, like the coverage probes: start failures are rare,
// so it keeps each one and the few events that finish its line.
import type { ProcessEvent, TraceEvent, World } from '../../sim/index.js';
import type { KafkaEvent } from '../kafka/events.js';

export interface FailedStart {
  /** The broker's node, `b2`. */
  readonly broker: string;
  readonly atMs: number;
  readonly reason: 'registration-exists' | 'zookeeper-connection-timeout';
  /** The registration's path, `/brokers/ids/2`; null for a connection timeout. */
  readonly path: string | null;
  /** The session that held /brokers/ids/<id>: its previous process's. Null for a connection timeout. */
  readonly heldBySessionId: number | null;
  /** When ZooKeeper expired that session; null when it outlived the run. */
  readonly sessionExpiredAtMs: number | null;
  /** When the cluster's supervisor starts it again; null without one. */
  readonly restartAtMs: number | null;
  /** When the broker's process started next, by whatever started it; null when it stayed down. */
  readonly nextStartAtMs: number | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class StartFailures {
  private readonly failures: Mutable<FailedStart>[] = [];

  constructor(
    world: Pick<World<unknown>, 'trace'>,
    private readonly brokerNode: (id: number) => string,
  ) {
    world.trace.observe((atUs, event) => this.observe(atUs, event), { deliveries: false });
  }

  list(): FailedStart[] {
    return this.failures.map((f) => ({ ...f }));
  }

  private observe(atUs: number, event: TraceEvent): void {
    const e = event as KafkaEvent | ProcessEvent;
    switch (e.kind) {
      case 'broker.start-failed':
        this.failures.push({
          broker: this.brokerNode(e.broker),
          atMs: ms(atUs),
          reason: e.reason,
          path: e.reason === 'registration-exists' ? e.path : null,
          heldBySessionId: e.reason === 'registration-exists' ? e.heldBySessionId : null,
          sessionExpiredAtMs: null,
          restartAtMs: null,
          nextStartAtMs: null,
        });
        return;
      case 'zk.expired':
        for (const f of this.failures) if (f.heldBySessionId === e.sessionId && f.sessionExpiredAtMs === null) f.sessionExpiredAtMs = ms(atUs);
        return;
      case 'proc.restart-scheduled':
        for (const f of this.open(e.node)) f.restartAtMs = ms(e.atUs);
        return;
      case 'proc.restart-cancelled':
        for (const f of this.open(e.node)) f.restartAtMs = null;
        return;
      case 'proc.start':
        for (const f of this.open(e.node)) f.nextStartAtMs = ms(atUs);
        return;
      default:
        return;
    }
  }

  /** The failures of `node` whose next start has not come yet. */
  private open(node: string): Mutable<FailedStart>[] {
    return this.failures.filter((f) => f.broker === node && f.nextStartAtMs === null);
  }
}

function ms(us: number): number {
  return Math.floor(us / 1000);
}
