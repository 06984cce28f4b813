// Seeded random streams. Each component draws from its own named stream derived from the run
// seed, so adding a consumer never changes what the network or the nemesis does.
// The API hands out integers and whole-number ratios only; the float inside never leaks.
import seedrandom from 'seedrandom';

/** Parts per million: the unit of every probability in ksim (1% = 10_000). */
export const PPM = 1_000_000;

export class Random {
  // alea: pure-JS arithmetic (identical on every machine) and ~10× faster than seedrandom's ARC4.
  private readonly next: () => number;

  constructor(seed: string) {
    this.next = seedrandom.alea(seed);
  }

  /** An integer in [0, n). */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`random: int(${n}) needs a positive integer`);
    return Math.floor(this.next() * n);
  }

  /** An integer in [min, max], both included. */
  range(min: number, max: number): number {
    if (max < min) throw new Error(`random: range(${min}, ${max}) is empty`);
    return min + this.int(max - min + 1);
  }

  /** True with probability `numerator / denominator`. */
  ratio(numerator: number, denominator: number): boolean {
    if (numerator <= 0) return false;
    if (numerator >= denominator) return true;
    return this.int(denominator) < numerator;
  }

  /** True with probability `ppm` parts per million. */
  chance(ppm: number): boolean {
    return this.ratio(ppm, PPM);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('random: pick from an empty list');
    return items[this.int(items.length)]!;
  }

  /** A shuffled copy (Fisher–Yates); the input is left as it was. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const swap = out[i]!;
      out[i] = out[j]!;
      out[j] = swap;
    }
    return out;
  }
}

/** The named streams of one run. A name always yields the same sequence for the same seed. */
export class RandomStreams {
  private readonly streams = new Map<string, Random>();

  constructor(readonly seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`random: seed ${seed} is not a non-negative integer`);
  }

  stream(name: string): Random {
    let stream = this.streams.get(name);
    if (stream === undefined) {
      stream = new Random(`ksim/${this.seed}/${name}`);
      this.streams.set(name, stream);
    }
    return stream;
  }
}
