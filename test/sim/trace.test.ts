import { describe, expect, test } from 'vitest';
import { Trace } from '../../sim/index.js';

describe('sim: trace', () => {
  test('sim: trace: the hash depends on every event, its time and its order', () => {
    const hashOf = (events: [number, string][]): string => {
      const trace = new Trace();
      for (const [t, kind] of events) trace.record(t, { kind });
      return trace.hash;
    };
    const base = hashOf([[1, 'a'], [2, 'b']]);
    expect(hashOf([[1, 'a'], [2, 'b']])).toBe(base);
    expect(hashOf([[2, 'b'], [1, 'a']])).not.toBe(base);
    expect(hashOf([[1, 'a'], [3, 'b']])).not.toBe(base);
    expect(hashOf([[1, 'ab']])).not.toBe(hashOf([[1, 'a'], [1, 'b']]));
  });

  test('sim: trace: unkept events are hashed, written and observed, but not kept', () => {
    const lines: string[] = [];
    const seen: string[] = [];
    const trace = new Trace((line) => lines.push(line));
    trace.observe((t, e) => seen.push(`${t}:${e.kind}`));
    trace.record(5, { kind: 'net.deliver', id: 1 }, false);
    trace.record(6, { kind: 'fault', label: 'kill b1' });
    expect(trace.records.map((r) => r.event.kind)).toEqual(['fault']);
    expect(lines).toEqual(['{"t":5,"kind":"net.deliver","id":1}', '{"t":6,"kind":"fault","label":"kill b1"}']);
    expect(seen).toEqual(['5:net.deliver', '6:fault']);
    expect(trace.count).toBe(2);
  });

  test('sim: trace: a delivery nobody watches is folded without being made, into the same hash', () => {
    const made = new Trace();
    const folded = new Trace();
    const seen: string[] = [];
    folded.observe((t, e) => seen.push(`${t}:${e.kind}`), { deliveries: false });
    for (const [t, id] of [[5, 1], [7.5, 2], [2 ** 40, 3]] as const) {
      made.record(t, { kind: 'net.deliver', id, from: 'p1', to: 'b1', type: 'Produce' }, false);
      folded.recordDelivery(t, id, 'p1', 'b1', 'Produce');
    }
    made.record(9, { kind: 'fault', label: 'kill b1' });
    folded.record(9, { kind: 'fault', label: 'kill b1' });
    expect(folded.hash).toBe(made.hash);
    expect(folded.count).toBe(made.count);
    expect(seen).toEqual(['9:fault']);
    // Once any observer reads deliveries, every observer is handed them again.
    folded.observe(() => {});
    folded.recordDelivery(10, 4, 'b1', 'p1', 'ProduceResponse');
    expect(seen).toEqual(['9:fault', '10:net.deliver']);
  });
});
