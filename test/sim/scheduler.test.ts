import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { Scheduler } from '../../sim/index.js';

describe('sim: scheduler', () => {
  test('sim: scheduler: runs events by time, then by insertion order', () => {
    const scheduler = new Scheduler(2);
    const ran: string[] = [];
    scheduler.at(30, (x: string) => ran.push(x), 'c');
    scheduler.at(10, (x: string) => ran.push(x), 'a1');
    scheduler.at(10, (x: string) => ran.push(x), 'a2');
    scheduler.at(20, (x: string) => ran.push(x), 'b');
    expect(scheduler.run()).toBe('idle');
    expect(ran).toEqual(['a1', 'a2', 'b', 'c']);
    expect(scheduler.now()).toBe(30);
    expect(scheduler.eventsRun).toBe(4);
  });

  test('sim: scheduler: a cancelled event never runs, and cancelling twice says so', () => {
    const scheduler = new Scheduler();
    const ran: number[] = [];
    const id = scheduler.at(5, (x: number) => ran.push(x), 1);
    scheduler.at(6, (x: number) => ran.push(x), 2);
    expect(scheduler.cancel(id)).toBe(true);
    expect(scheduler.cancel(id)).toBe(false);
    expect(scheduler.pending).toBe(1);
    scheduler.run();
    expect(ran).toEqual([2]);
    // An id whose event already ran cannot cancel the event that reuses its slot.
    const reused = scheduler.at(10, (x: number) => ran.push(x), 3);
    expect(scheduler.cancel(id)).toBe(false);
    scheduler.run();
    expect(ran).toEqual([2, 3]);
    expect(reused).not.toBe(id);
  });

  test('sim: scheduler: run(until) stops before later events and moves the clock to until', () => {
    const scheduler = new Scheduler();
    const ran: number[] = [];
    scheduler.at(100, (x: number) => ran.push(x), 1);
    scheduler.at(200, (x: number) => ran.push(x), 2);
    expect(scheduler.run(150)).toBe('time');
    expect(ran).toEqual([1]);
    expect(scheduler.now()).toBe(150);
    expect(scheduler.run(1_000)).toBe('idle');
    expect(scheduler.now()).toBe(1_000);
  });

  test('sim: scheduler: an event budget stops the run and says so', () => {
    const scheduler = new Scheduler();
    const tick = (): void => {
      scheduler.after(1, tick, undefined);
    };
    scheduler.after(1, tick, undefined);
    expect(scheduler.run(Number.MAX_SAFE_INTEGER, 1000)).toBe('budget');
    expect(scheduler.eventsRun).toBe(1000);
  });

  test('sim: scheduler: refuses an event in the past or at a fractional time', () => {
    const scheduler = new Scheduler();
    scheduler.run(50);
    expect(() => scheduler.at(49, () => {}, undefined)).toThrow(/not an integer at or after now/);
    expect(() => scheduler.at(50.5, () => {}, undefined)).toThrow(/not an integer/);
  });

  // A ten-line reference model: sort by (time, insertion), drop the cancelled.
  test('sim: scheduler: matches a sorted-list model for any schedule with cancels and growth', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(50), cancel: fc.boolean() }), { maxLength: 300 }), (ops) => {
        const scheduler = new Scheduler(4);
        const ran: number[] = [];
        const model: { at: number; n: number }[] = [];
        ops.forEach((op, n) => {
          const id = scheduler.at(op.at, (x: number) => ran.push(x), n);
          if (op.cancel) scheduler.cancel(id);
          else model.push({ at: op.at, n });
        });
        scheduler.run();
        model.sort((a, b) => a.at - b.at || a.n - b.n);
        expect(ran).toEqual(model.map((m) => m.n));
      }),
      { numRuns: 200 },
    );
  });
});
