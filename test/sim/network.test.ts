import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { World, type Env, type LinkConfig } from '../../sim/index.js';

interface Msg {
  readonly type: 'm';
  readonly n: number;
}

const link = (over: Partial<LinkConfig> = {}): LinkConfig => ({
  latencyUs: { minUs: 1000, maxUs: 9000 }, dropPpm: 0, duplicatePpm: 0, reorderPpm: 0, ...over,
});

/** Nodes a, b, c; every node records what it receives as `from:n@time`. */
function world(config: LinkConfig = link(), seed = 1): { world: World<Msg>; got: Map<string, string[]> } {
  const w = new World<Msg>({ seed, network: config });
  const got = new Map<string, string[]>();
  for (const name of ['a', 'b', 'c']) {
    got.set(name, []);
    w.spawn(name, (env) => ({ onMessage: (from, m) => got.get(name)!.push(`${from}:${m.n}@${env.now()}`) }));
  }
  return { world: w, got };
}

const send = (w: World<Msg>, from: string, to: string, n: number): void => w.network.send(from, to, { type: 'm', n });
const numbers = (lines: string[]): number[] => lines.map((l) => Number(l.split(':')[1]!.split('@')[0]));

describe('sim: network', () => {
  test('sim: network: delivers within the latency range and in FIFO order per link', () => {
    const { world: w, got } = world();
    for (let n = 0; n < 200; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    expect(numbers(got.get('b')!)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    for (const line of got.get('b')!) {
      const at = Number(line.split('@')[1]);
      expect(at).toBeGreaterThanOrEqual(1000);
      expect(at).toBeLessThanOrEqual(9000);
    }
  });

  test('sim: network: a reorder ratio lets messages overtake each other', () => {
    const { world: w, got } = world(link({ reorderPpm: 500_000 }));
    for (let n = 0; n < 200; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    const order = numbers(got.get('b')!);
    expect(order.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, n) => n));
    expect(order).not.toEqual(Array.from({ length: 200 }, (_, n) => n));
  });

  test('sim: network: drop and duplicate ratios act at about their rate', () => {
    const { world: w, got } = world(link({ dropPpm: 100_000, duplicatePpm: 100_000 }));
    for (let n = 0; n < 5000; n++) send(w, 'a', 'b', n);
    w.scheduler.run();
    const received = numbers(got.get('b')!);
    const distinct = new Set(received).size;
    expect(distinct).toBeGreaterThan(4300); // ~10% dropped
    expect(distinct).toBeLessThan(4700);
    expect(received.length - distinct).toBeGreaterThan(300); // ~10% of the rest duplicated
    expect(received.length - distinct).toBeLessThan(600);
  });

  test('sim: network: a partition cuts both ways, drops messages already in flight, and heals', () => {
    const { world: w, got } = world(link({ latencyUs: { minUs: 5000, maxUs: 5000 } }));
    send(w, 'a', 'b', 1); // in flight when the cut comes
    w.scheduler.run(1000);
    const cut = w.network.partition([['a'], ['b', 'c']], 'scripted');
    send(w, 'b', 'a', 2);
    send(w, 'b', 'c', 3); // same side: unaffected
    w.scheduler.run(10_000);
    expect(got.get('a')).toEqual([]);
    expect(got.get('b')).toEqual([]);
    expect(numbers(got.get('c')!)).toEqual([3]);
    w.network.heal(cut);
    send(w, 'b', 'a', 4);
    w.scheduler.run();
    expect(numbers(got.get('a')!)).toEqual([4]);
  });

  test('sim: network: a one-way cut blocks one direction only', () => {
    const { world: w, got } = world();
    w.network.oneWay('a', 'b', 'scripted');
    send(w, 'a', 'b', 1);
    send(w, 'b', 'a', 2);
    w.scheduler.run();
    expect(got.get('b')).toEqual([]);
    expect(numbers(got.get('a')!)).toEqual([2]);
  });

  test('sim: network: a random heal never undoes a scripted partition', () => {
    const { world: w, got } = world();
    w.network.isolate('a', 'scripted');
    const random = w.network.isolate('a', 'random');
    w.network.heal(random);
    w.network.healAll('random');
    send(w, 'b', 'a', 1);
    w.scheduler.run();
    expect(got.get('a')).toEqual([]);
    expect(w.network.isCut('b', 'a')).toBe(true);
    w.network.healAll();
    expect(w.network.isCut('b', 'a')).toBe(false);
  });

  test('sim: network: held messages wait and arrive in order on release', () => {
    const { world: w, got } = world();
    const hold = w.network.hold('a', null);
    for (let n = 0; n < 5; n++) send(w, 'a', 'b', n);
    send(w, 'c', 'b', 99);
    w.scheduler.run(100_000);
    expect(numbers(got.get('b')!)).toEqual([99]);
    w.network.release(hold);
    w.scheduler.run();
    expect(numbers(got.get('b')!)).toEqual([99, 0, 1, 2, 3, 4]);
  });
});

/** Nodes a and b with a fixed 1 ms latency; b records `from:n connection@ms` and what its ends hear. */
function connected(config: Partial<LinkConfig> = {}, seed = 1): { world: World<Msg>; log: string[]; ends: Map<string, Env<Msg>> } {
  const w = new World<Msg>({ seed, network: link({ latencyUs: { minUs: 1000, maxUs: 1000 }, ...config }) });
  const log: string[] = [];
  const ends = new Map<string, Env<Msg>>();
  for (const name of ['a', 'b']) {
    w.spawn(name, (env) => {
      ends.set(name, env);
      return {
        onMessage: (from, m, connection) => log.push(`${name}<${from}:${m.n} ${connection}@${env.now() / 1000}`),
        onUnreachable: (to, m, connection) => log.push(`${name} reset by ${to}:${m.n} ${connection}@${env.now() / 1000}`),
        onConnectionClosed: (peer, connection) => log.push(`${name} closed by ${peer} ${connection}@${env.now() / 1000}`),
      };
    });
  }
  return { world: w, log, ends };
}

describe('sim: network: connections', () => {
  test('sim: network: connections: a message sent during a cut arrives after the heal, in order, after the RTO backoff', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(10_000);
    const cut = w.network.partition([['a'], ['b']], 'scripted');
    for (let n = 2; n <= 4; n++) ends.get('a')!.send('b', { type: 'm', n }, 'c');
    w.scheduler.run(700_000);
    w.network.heal(cut);
    w.scheduler.run(5_000_000);
    // Sent at 10 ms, lost; retransmitted 200 ms later (lost), 400 ms after that (lost), then
    // 800 ms: through at 1411 ms, the two behind it with it. (RTO from TCP_RTO_MIN, doubling.)
    expect(log).toEqual(['b<a:1 c#1@1', 'b<a:2 c#1@1411', 'b<a:3 c#1@1411', 'b<a:4 c#1@1411']);
  });

  test('sim: network: connections: an answer goes back on the connection the request came on', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(10_000);
    ends.get('b')!.send('a', { type: 'm', n: 2 }, 'c#1');
    ends.get('b')!.send('a', { type: 'm', n: 3 }, 'c'); // b's own label: a second connection, b its opener
    w.scheduler.run(20_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'a<b:2 c@11', 'a<b:3 c#2@11']);
  });

  test('sim: network: connections: a disconnect delivers what was sent, then the peer hears the close', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(5_000);
    const hold = w.network.hold('a', 'b');
    ends.get('a')!.send('b', { type: 'm', n: 2 }, 'c');
    ends.get('a')!.disconnect('b', 'c');
    w.scheduler.run(50_000);
    expect(log).toEqual(['b<a:1 c#1@1']);
    w.network.release(hold);
    w.scheduler.run(100_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'b<a:2 c#1@50', 'b closed by a c#1@50']);
  });

  test('sim: network: connections: data that reaches a closed end is reset; the next send opens a new connection', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(5_000);
    ends.get('a')!.disconnect('b', 'c');
    ends.get('b')!.send('a', { type: 'm', n: 2 }, 'c#1'); // crosses a's FIN: a's end is closed already
    w.scheduler.run(20_000);
    ends.get('b')!.send('a', { type: 'm', n: 3 }, 'c#1'); // b's end closed at the FIN: nothing is sent
    ends.get('a')!.send('b', { type: 'm', n: 4 }, 'c');
    w.scheduler.run(50_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'b closed by a c#1@6', 'b<a:4 c#2@21']);
    // The reset of 2 met b's end closed by the FIN, which came first: nobody to tell.
    expect(w.trace.records.length).toBeGreaterThan(0);
  });

  test('sim: network: connections: the sender of data refused by a closed end hears the reset', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(5_000);
    const hold = w.network.hold('a', 'b'); // a's FIN waits; b still thinks the connection open
    ends.get('a')!.disconnect('b', 'c');
    ends.get('b')!.send('a', { type: 'm', n: 2 }, 'c#1');
    w.scheduler.run(20_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'b reset by a:2 c#1@7']);
    w.network.release(hold);
    w.scheduler.run(30_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'b reset by a:2 c#1@7']); // the FIN meets a closed end
  });

  test('sim: network: connections: an end aborted by its process resets the peer with the message it refused', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    ends.get('a')!.send('b', { type: 'm', n: 2 }, 'c');
    w.scheduler.run(5_000);
    w.network.abort('b', 'a', 'c#1', { type: 'm', n: 2 }); // b does not listen yet: it refuses 2
    w.scheduler.run(20_000);
    expect(log).toEqual(['b<a:1 c#1@1', 'b<a:2 c#1@1', 'a reset by b:2 c@6']);
  });

  test('sim: network: connections: two labels between the same nodes end independently', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'x');
    ends.get('a')!.send('b', { type: 'm', n: 2 }, 'y');
    w.scheduler.run(5_000);
    ends.get('b')!.disconnect('a', 'x#1');
    w.scheduler.run(10_000);
    ends.get('a')!.send('b', { type: 'm', n: 3 }, 'y');
    w.scheduler.run(20_000);
    expect(log).toEqual(['b<a:1 x#1@1', 'b<a:2 y#2@1', 'a closed by b x@6', 'b<a:3 y#2@11']);
  });

  test('sim: network: connections: a random drop is a retransmission after the RTO, not a loss', () => {
    const { world: w, log, ends } = connected({ dropPpm: 300_000 }, 5);
    for (let n = 0; n < 300; n++) ends.get('a')!.send('b', { type: 'm', n }, 'c');
    w.scheduler.run(60_000_000);
    const numbers = log.map((l) => Number(l.split(':')[1]!.split(' ')[0]));
    expect(numbers).toEqual(Array.from({ length: 300 }, (_, n) => n)); // all, once, in order
    const last = Number(log.at(-1)!.split('@')[1]);
    expect(last).toBeGreaterThanOrEqual(201); // some were retransmitted, 200 ms later at least
  });

  test('sim: network: connections: a SYN into a cut is dropped by its opener\'s close; nothing arrives after the heal', () => {
    const { world: w, log, ends } = connected();
    w.network.isolate('b', 'scripted');
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(500_000);
    ends.get('a')!.disconnect('b', 'c');
    w.network.healAll();
    w.scheduler.run(10_000_000);
    expect(log).toEqual([]);
  });

  test('sim: network: connections: TCP gives up after tcp_retries2 (924.6 s); the owner hears a reset', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'c');
    w.scheduler.run(5_000);
    w.network.isolate('b', 'scripted');
    ends.get('a')!.send('b', { type: 'm', n: 2 }, 'c');
    w.scheduler.run(2_000_000_000);
    // Lost at 6 ms; the 16th RTO expiry, 200 ms · (2^10 − 1) + 6 · 120 s (TCP_RTO_MAX) later, ends it.
    expect(log).toEqual(['b<a:1 c#1@1', 'a reset by b:2 c@924606']);
  });

  test('sim: network: connections: a held stream keeps its order behind its held head, and other connections pass', () => {
    const { world: w, log, ends } = connected();
    ends.get('a')!.send('b', { type: 'm', n: 1 }, 'x');
    ends.get('b')!.send('a', { type: 'm', n: 2 }, 'y');
    w.scheduler.run(5_000);
    const hold = w.network.hold('a', 'b');
    for (let n = 3; n <= 5; n++) ends.get('a')!.send('b', { type: 'm', n }, 'x');
    ends.get('a')!.send('b', { type: 'm', n: 6 }, 'y#2');
    ends.get('b')!.send('a', { type: 'm', n: 7 }, 'y');
    w.scheduler.run(40_000);
    w.network.release(hold);
    w.scheduler.run(50_000);
    expect(log).toEqual(['b<a:1 x#1@1', 'a<b:2 y#2@1', 'a<b:7 y#2@6', 'b<a:3 x#1@40', 'b<a:4 x#1@40', 'b<a:5 x#1@40', 'b<a:6 y@40']);
  });

  // The property a connection promises: per connection, delivered in order, no duplicates, and
  // nothing after the close but what was sent before it, whatever the cuts, holds and drops.
  test('sim: network: connections: in order, no duplicates, nothing after the close but what came before it (property)', () => {
    type Op = { kind: 'send' | 'close' | 'cut' | 'heal' | 'hold' | 'release' | 'wait' | 'kill' | 'power' | 'restart'; node: 0 | 1; waitUs: number };
    const op = fc.record({
      kind: fc.constantFrom<Op['kind']>('send', 'send', 'send', 'send', 'close', 'cut', 'heal', 'hold', 'release', 'wait', 'kill', 'power', 'restart'),
      node: fc.constantFrom<0 | 1>(0, 1),
      waitUs: fc.integer({ min: 0, max: 3_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), fc.integer({ min: 0, max: 400_000 }), fc.integer({ min: 1, max: 1000 }), (ops, dropPpm, seed) => {
        const w = new World<{ type: 'm' | 'echo'; n: number; epoch: number }>({ seed, network: link({ latencyUs: { minUs: 500, maxUs: 3000 }, dropPpm }) });
        const names = ['a', 'b'] as const;
        const envs: Env<{ type: 'm' | 'echo'; n: number; epoch: number }>[] = [];
        // Per sender, per connection epoch of its label: what it sent, and what arrived.
        const sent = new Map<string, number[]>();
        const got = new Map<string, number[]>();
        const closedAt = new Map<string, number>(); // sender's key -> messages sent before its close
        const ended = new Set<string>(); // reset, or given up by TCP
        const echoed = new Map<string, number[]>();
        const endedByProcess = new Set<string>();
        const receivedBy = new Map<string, number>(); // sender's key -> the receiving incarnation
        const incarnation = [0, 0];
        const epoch = [0, 0];
        for (const [i, name] of names.entries()) {
          w.spawn(name, (env) => {
            envs[i] = env;
            const me = ++incarnation[i]!;
            epoch[i]! += 1; // a new process: its connections are new
            return {
              onMessage: (from, m, connection) => {
                if (m.type === 'echo') {
                  // An answer on our own connection: never after we closed it, in order, once.
                  expect(m.epoch, `${name}: an echo of a closed connection`).toBe(epoch[i]);
                  const key = `${name}/${m.epoch}`;
                  echoed.set(key, [...(echoed.get(key) ?? []), m.n]);
                  return;
                }
                const key = `${from}/${m.epoch}`;
                got.set(key, [...(got.get(key) ?? []), m.n]);
                // One connection, one receiving process: a new incarnation never hears its predecessor's.
                expect(receivedBy.get(key) ?? me, key).toBe(me);
                receivedBy.set(key, me);
                env.send(from, { type: 'echo', n: m.n, epoch: m.epoch }, connection); // answered on the connection it came on
              },
              // Our label's connection ended: the next send opens a new one.
              onUnreachable: (_to, _m, connection) => {
                if (connection !== `c-${name}`) return;
                ended.add(`${name}/${epoch[i]}`);
                epoch[i]! += 1;
              },
              onConnectionClosed: (_peer, connection) => {
                if (connection !== `c-${name}`) return;
                endedByProcess.add(`${name}/${epoch[i]}`); // the peer's process died: its OS closed
                epoch[i]! += 1;
              },
            };
          });
        }
        let n = 0;
        const cuts: ReturnType<typeof w.network.partition>[] = [];
        const holds: ReturnType<typeof w.network.hold>[] = [];
        for (const o of ops) {
          const name = names[o.node];
          const peer = names[1 - o.node]!;
          const key = `${name}/${epoch[o.node]}`;
          switch (o.kind) {
            case 'send':
              if (closedAt.has(key) || w.state(name) === 'down') break;
              sent.set(key, [...(sent.get(key) ?? []), ++n]);
              envs[o.node]!.send(peer, { type: 'm', n, epoch: epoch[o.node]! }, `c-${name}`);
              break;
            case 'close':
              if (!closedAt.has(key)) closedAt.set(key, sent.get(key)?.length ?? 0);
              envs[o.node]!.disconnect(peer, `c-${name}`);
              epoch[o.node]! += 1;
              break;
            case 'cut':
              cuts.push(w.network.oneWay(name, peer, 'scripted'));
              break;
            case 'heal':
              if (cuts.length > 0) w.network.heal(cuts.shift()!);
              break;
            case 'hold':
              holds.push(w.network.hold(name, peer));
              break;
            case 'release':
              if (holds.length > 0) w.network.release(holds.shift()!);
              break;
            case 'wait':
              w.scheduler.run(w.now() + o.waitUs);
              break;
            case 'kill':
            case 'power':
              // The sender's own death ends its connection (a power loss stops its retransmissions).
              endedByProcess.add(key);
              if (o.kind === 'kill') w.kill(name);
              else w.powerLoss(name);
              break;
            case 'restart':
              w.restart(name);
              break;
          }
        }
        w.network.healAll();
        w.network.releaseAll();
        for (const name of names) w.restart(name);
        w.scheduler.run(w.now() + 3_000_000_000);
        for (const [key, received] of got) {
          const expected = sent.get(key) ?? [];
          // A prefix of what was sent, in order, each once (a reset may cut it short).
          expect(received, key).toEqual(expected.slice(0, received.length));
          const before = closedAt.get(key);
          if (before !== undefined) expect(received.length, key).toBeLessThanOrEqual(before);
        }
        for (const [key, answers] of echoed) expect(answers, key).toEqual((got.get(key) ?? []).slice(0, answers.length));
        // A connection that neither end closed, and that TCP did not give up on, delivers all.
        for (const [key, expected] of sent) {
          if (!closedAt.has(key) && !ended.has(key) && !endedByProcess.has(key)) expect(got.get(key) ?? [], key).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  });
});
