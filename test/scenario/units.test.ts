// Durations, ranges, rates and ratios: exact integers, and a reason when the text is wrong.
import { describe, expect, it } from 'vitest';
import { formatDuration, parseByteRate, parseDuration, parseRange, parseRate, parseRatio } from '../../src/scenario/units.js';

const value = <T>(result: { ok: true; value: T } | { ok: false }): T | 'error' => (result.ok ? result.value : 'error');

describe('scenario: units', () => {
  it('scenario: units: durations become whole microseconds', () => {
    const cases: [string, number][] = [
      ['500us', 500], ['500µs', 500], ['250ms', 250_000], ['10s', 10_000_000], ['2m', 120_000_000],
      ['1h', 3_600_000_000], ['1.5s', 1_500_000], ['1.1s', 1_100_000], ['0.001ms', 1], ['24h', 86_400_000_000], ['0s', 0],
    ];
    for (const [text, us] of cases) expect(value(parseDuration(text)), text).toBe(us);
  });

  it('scenario: units: a duration that is negative, fractional below 1µs, absurd, unitless or zero where not allowed is refused with a reason', () => {
    expect(parseDuration('-5s')).toEqual({ ok: false, expected: 'a duration such as "250ms"', hint: 'a duration cannot be negative' });
    expect(parseDuration('1.0000001s')).toMatchObject({ ok: false, hint: 'that is not a whole number of microseconds' });
    expect(parseDuration('25h')).toMatchObject({ ok: false, expected: 'a duration such as "250ms", at most 24h' });
    expect(parseDuration('10')).toMatchObject({ ok: false, hint: 'add a unit: "10ms" or "10s"' });
    expect(parseDuration('0ms', 1)).toMatchObject({ ok: false, expected: 'a duration above zero such as "250ms"' });
    for (const text of ['', 's', '10 seconds', '1e3ms', '10S', '1..2s']) expect(parseDuration(text).ok, text).toBe(false);
  });

  it('scenario: units: ranges are min..max, or one duration for both', () => {
    expect(value(parseRange('1ms..5ms'))).toEqual({ minUs: 1_000, maxUs: 5_000 });
    expect(value(parseRange('2ms'))).toEqual({ minUs: 2_000, maxUs: 2_000 });
    expect(value(parseRange('5s..5s'))).toEqual({ minUs: 5_000_000, maxUs: 5_000_000 });
    expect(parseRange('5ms..1ms')).toEqual({ ok: false, expected: 'a range whose minimum is not above its maximum', hint: 'write "1ms..5ms"' });
    expect(parseRange('0s..1s', 1).ok).toBe(false);
    expect(parseRange('1ms..2ms..3ms').ok).toBe(false);
  });

  it('scenario: units: rates are per second or per minute', () => {
    expect(value(parseRate('500/s'))).toBe(500);
    expect(value(parseRate('30/m'))).toBe(0.5);
    expect(parseRate('500')).toMatchObject({ ok: false, hint: 'add a unit: "500/s"' });
    for (const text of ['0/s', '2/ms', '5/h', '-1/s', '2000000/s']) expect(parseRate(text).ok, text).toBe(false);
  });

  it('scenario: units: byte rates are decimal (MB) or binary (MiB) bytes a second', () => {
    expect(value(parseByteRate('50MB/s'))).toBe(50_000_000);
    expect(value(parseByteRate('100MiB/s'))).toBe(104_857_600);
    expect(value(parseByteRate('1.5KB/s'))).toBe(1500);
    expect(parseByteRate('50')).toMatchObject({ ok: false, hint: 'add a unit: "50MB/s"' });
    for (const text of ['0B/s', '50mb/s', '50MB', '-1MB/s', '10000GB/s']) expect(parseByteRate(text).ok, text).toBe(false);
  });

  it('scenario: units: ratios become parts per million, rounded, never silently zero', () => {
    const cases: [number | string, number][] = [[0, 0], [1, 1_000_000], [0.25, 250_000], ['0.5%', 5_000], ['100%', 1_000_000], ['1/1000', 1_000], ['1/3', 333_333], ['0.0001%', 1]];
    for (const [text, ppm] of cases) expect(value(parseRatio(text)), String(text)).toBe(ppm);
    expect(parseRatio('150%')).toMatchObject({ ok: false, hint: 'a ratio cannot be above 100% or below 0' });
    expect(parseRatio(0.0000001)).toMatchObject({ ok: false, hint: 'that is below one part per million' });
    for (const bad of [-0.1, 2, '1/0', 'half', Number.NaN]) expect(parseRatio(bad).ok, String(bad)).toBe(false);
  });

  it('scenario: units: durations print in their shortest exact unit', () => {
    expect([60_000_000, 1_500, 250_000, 0, 7_200_000_000, 90_000_000].map(formatDuration)).toEqual(['1m', '1500us', '250ms', '0us', '2h', '90s']);
  });
});
