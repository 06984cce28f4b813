// The kernel's example system (not Kafka): a primary-backup replicated log.
//
// Servers n1..nN keep a log of write ids on disk. The primary of the highest view appends a
// client's write, sends each backup the log from what it last confirmed with every heartbeat
// (with the id before it, so a backup can tell whether it shares that prefix), and acknowledges the write:
// at once (`async`), or once every other server has confirmed it (`sync`). A server that hears
// no heartbeat for `failover` claims the next view; when two claim the same view, the lower
// index wins. A server adopts the log of the primary it follows, truncating its own tail.
//
// How `async` loses an acknowledged write:
//   1. n1 (primary) appends w7 and acknowledges it to the client;
//   2. n1 is killed before its next heartbeat carries w7 to n2 and n3;
//   3. n2 hears nothing for `failover` and becomes primary of view 2 without w7;
//   4. n1 restarts, hears view 2, and truncates w7 from its log to follow n2. w7 is gone.
import { invariant, type Env, type Process, type ProcessFactory, type TraceRecord } from '../../sim/index.js';
import type { ExampleSpec } from '../scenario/types.js';

export type ExampleMessage =
  | { readonly type: 'write'; readonly id: number }
  | { readonly type: 'ack'; readonly id: number; readonly view: number }
  | { readonly type: 'redirect'; readonly id: number; readonly primary: string }
  | { readonly type: 'sync'; readonly view: number; readonly primary: string; readonly from: number; readonly previous: number | null; readonly entries: readonly number[] }
  | { readonly type: 'synced'; readonly view: number; readonly length: number };

export type ExampleEvent =
  | { kind: 'example.send'; id: number; to: string; attempt: number }
  | { kind: 'example.append'; node: string; id: number; view: number; index: number }
  | { kind: 'example.ack'; id: number; by: string; view: number }
  | { kind: 'example.primary'; node: string; view: number }
  | { kind: 'example.follow'; node: string; primary: string; view: number }
  | { kind: 'example.truncate'; node: string; view: number; primary: string; dropped: number[] };

export const LOG_FILE = 'log';
const VIEW_FILE = 'view';

interface ViewRecord {
  readonly view: number;
  readonly primary: string;
}

export function serverNames(spec: ExampleSpec): string[] {
  return Array.from({ length: spec.replicas }, (_, i) => `n${i + 1}`);
}

/** A server: primary or backup, decided by heartbeats and views. */
export function server(spec: ExampleSpec): ProcessFactory<ExampleMessage> {
  const servers = serverNames(spec);
  const heartbeatUs = Math.max(1, Math.floor(spec.failoverUs / 4));
  return (env) => new Server(env, spec, servers, heartbeatUs);
}

class Server implements Process<ExampleMessage> {
  private readonly log;
  private readonly viewFile;
  private view: number;
  private primary: string;
  private lastHeardUs: number;
  private readonly confirmed = new Map<string, number>(); // backup -> log length it holds
  private readonly waitingAcks = new Map<number, number>(); // write id -> log index (sync mode)
  private readonly ids = new Map<number, number>(); // write id -> log index, rebuilt from disk at start

  constructor(
    private readonly env: Env<ExampleMessage>,
    private readonly spec: ExampleSpec,
    private readonly servers: readonly string[],
    private readonly heartbeatUs: number,
  ) {
    this.log = env.disk.file<number>(LOG_FILE);
    this.viewFile = env.disk.file<ViewRecord>(VIEW_FILE);
    this.log.slice().forEach((id, index) => this.ids.set(id, index));
    const saved = this.viewFile.length > 0 ? this.viewFile.at(this.viewFile.length - 1) : { view: 0, primary: servers[0]! };
    this.view = saved.view;
    this.primary = saved.primary;
    // A restarted server listens for a full failover period before it may claim a view.
    this.lastHeardUs = env.now();
    env.setTimer(heartbeatUs, () => this.tick());
  }

  onMessage(from: string, message: ExampleMessage): void {
    switch (message.type) {
      case 'write':
        return this.onWrite(from, message.id);
      case 'sync':
        return this.onSync(message);
      case 'synced':
        return this.onSynced(from, message.view, message.length);
      case 'ack':
      case 'redirect':
        return; // client messages; a server never receives them
    }
  }

  private get isPrimary(): boolean {
    return this.primary === this.env.node;
  }

  private tick(): void {
    this.env.setTimer(this.heartbeatUs, () => this.tick());
    if (this.isPrimary) {
      this.broadcast();
      return;
    }
    if (this.env.now() - this.lastHeardUs >= this.spec.failoverUs) this.claim(this.view + 1);
  }

  private claim(view: number): void {
    this.adoptView(view, this.env.node);
    this.confirmed.clear();
    this.env.trace({ kind: 'example.primary', node: this.env.node, view });
    this.broadcast();
  }

  private broadcast(): void {
    for (const peer of this.servers) {
      if (peer === this.env.node) continue;
      const from = Math.min(this.confirmed.get(peer) ?? 0, this.log.length);
      const previous = from === 0 ? null : this.log.at(from - 1);
      this.env.send(peer, { type: 'sync', view: this.view, primary: this.env.node, from, previous, entries: this.log.slice(from) });
    }
  }

  private onWrite(client: string, id: number): void {
    if (!this.isPrimary) {
      this.env.send(client, { type: 'redirect', id, primary: this.primary });
      return;
    }
    let index = this.indexOf(id);
    if (index < 0) {
      index = this.log.length;
      this.appendId(id);
      this.log.flush();
      this.env.trace({ kind: 'example.append', node: this.env.node, id, view: this.view, index });
    }
    if (this.spec.replication === 'async' || this.replicatedEverywhere(index)) this.ack(client, id);
    else this.waitingAcks.set(id, index);
  }

  private onSync(sync: Extract<ExampleMessage, { type: 'sync' }>): void {
    const { view, primary } = sync;
    // The higher view wins; within a view, the lower-numbered primary.
    if (view < this.view || (view === this.view && this.servers.indexOf(primary) > this.servers.indexOf(this.primary))) return;
    this.lastHeardUs = this.env.now();
    if (view !== this.view || primary !== this.primary) {
      this.adoptView(view, primary);
      this.waitingAcks.clear();
      this.env.trace({ kind: 'example.follow', node: this.env.node, primary, view });
    }
    // Without the prefix the entries follow, ask again from the start of what we can vouch for.
    const sharesPrefix = sync.from === 0 || (sync.from <= this.log.length && this.log.at(sync.from - 1) === sync.previous);
    if (sharesPrefix) this.adoptEntries(sync.from, sync.entries);
    const length = sharesPrefix ? this.log.length : Math.min(this.log.length, sync.from - 1);
    this.env.send(primary, { type: 'synced', view, length });
  }

  private onSynced(backup: string, view: number, length: number): void {
    if (!this.isPrimary || view !== this.view) return;
    // Within one view the primary's log only grows, and a backup copies a prefix of it.
    invariant(length <= this.log.length, () => `${backup} confirmed ${length} entries of ${this.env.node}'s ${this.log.length} in view ${view}`);
    this.confirmed.set(backup, length);
    for (const [id, index] of this.waitingAcks) {
      if (!this.replicatedEverywhere(index)) continue;
      this.waitingAcks.delete(id);
      this.ack('client', id);
    }
  }

  private ack(client: string, id: number): void {
    this.env.send(client, { type: 'ack', id, view: this.view });
  }

  private replicatedEverywhere(index: number): boolean {
    return this.servers.every((peer) => peer === this.env.node || (this.confirmed.get(peer) ?? 0) > index);
  }

  private adoptView(view: number, primary: string): void {
    this.view = view;
    this.primary = primary;
    this.viewFile.append({ view, primary });
    this.viewFile.flush();
  }

  /** Makes the log from `from` on equal to the primary's `entries`: keep what matches, drop the rest. */
  private adoptEntries(from: number, entries: readonly number[]): void {
    let common = from;
    while (common < this.log.length && common - from < entries.length && this.log.at(common) === entries[common - from]) common += 1;
    if (common < this.log.length) this.truncateTo(common);
    for (let i = common - from; i < entries.length; i++) this.appendId(entries[i]!);
    this.log.flush();
  }

  private truncateTo(length: number): void {
    const dropped = this.log.slice(length) as number[];
    this.log.truncate(length);
    for (const id of dropped) this.ids.delete(id);
    this.env.trace({ kind: 'example.truncate', node: this.env.node, view: this.view, primary: this.primary, dropped });
  }

  private appendId(id: number): void {
    this.log.append(id);
    this.ids.set(id, this.log.length - 1);
  }

  private indexOf(id: number): number {
    return this.ids.get(id) ?? -1;
  }
}

/**
 * The client application: writes ids 1..N at the scenario's rate to the primary it believes in,
 * follows redirects, and retries a write unacknowledged after twice the failover time. When the
 * workload stops (end of `duration`) no new write starts; retries go on through the settle phase.
 */
export function client(spec: ExampleSpec, stopAtUs: number): ProcessFactory<ExampleMessage> {
  const servers = serverNames(spec);
  const intervalUs = Math.max(1, Math.round(1_000_000 / spec.ratePerSec));
  const retryUs = 2 * spec.failoverUs;
  return (env) => {
    let target = servers[0]!;
    let next = 1;
    const acked = new Set<number>();
    const attempts = new Map<number, number>();
    const send = (id: number): void => {
      if (acked.has(id)) return;
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      env.trace({ kind: 'example.send', id, to: target, attempt });
      env.send(target, { type: 'write', id });
      // Only the newest attempt's timer retries, so redirects never multiply the retries.
      env.setTimer(retryUs, () => {
        if (acked.has(id) || attempts.get(id) !== attempt) return;
        target = servers[(servers.indexOf(target) + 1) % servers.length]!;
        send(id);
      });
    };
    const issue = (): void => {
      if (next > spec.writes || env.now() >= stopAtUs) return;
      send(next++);
      env.setTimer(intervalUs, issue);
    };
    env.setTimer(intervalUs, issue);
    return {
      onMessage(from, message) {
        if (message.type === 'ack' && !acked.has(message.id)) {
          acked.add(message.id);
          env.trace({ kind: 'example.ack', id: message.id, by: from, view: message.view });
        } else if (message.type === 'redirect' && !acked.has(message.id)) {
          target = message.primary;
          send(message.id);
        }
      },
    };
  };
}

/**
 * The primary now, as an observer reads it from the trace: of the servers whose latest view
 * event is their own claim, the one of the highest view (the lower index on a tie).
 */
export function primaryFromTrace(records: readonly TraceRecord[], servers: readonly string[]): string {
  const latest = new Map<string, { view: number; primary: string }>();
  for (const { event } of records) {
    const e = event as ExampleEvent;
    if (e.kind === 'example.primary') latest.set(e.node, { view: e.view, primary: e.node });
    if (e.kind === 'example.follow') latest.set(e.node, { view: e.view, primary: e.primary });
  }
  let best = servers[0]!;
  let bestView = -1;
  for (const node of servers) {
    const state = latest.get(node);
    if (state !== undefined && state.primary === node && state.view > bestView) {
      best = node;
      bestView = state.view;
    }
  }
  return best;
}
