// The one scheduler of a run: virtual time in integer microseconds, events ordered by
// (time, insertion sequence). Nothing else in a run decides what happens next.
//
// Pending events live in parallel typed arrays indexed by slot, and the heap orders slot
// numbers, so a pending event costs ~44 bytes and no per-event object beyond its argument.
// A cancelled event leaves the heap at once (each slot knows its heap index): most timers are
// request timeouts, cancelled when the answer comes, and left in place they would outnumber the
// live events many times over for as long as their timeouts (30 s) last.

export type EventHandler<A> = (arg: A) => void;

/** Identifies one scheduled event: slot number plus the slot's generation at scheduling time. */
export type EventId = number;

export type RunOutcome = 'idle' | 'time' | 'budget';

const SLOT_BITS = 24;
const SLOT_LIMIT = 1 << SLOT_BITS; // 16.7 M events pending at once
const GENERATION_LIMIT = 1 << 28; // keeps ids below 2^52, exact in a double

export class Scheduler {
  private nowUs = 0;
  private sequenceNext = 0;
  private eventsRunCount = 0;
  private pendingLive = 0;

  private capacity: number;
  private heap: Int32Array; // slot numbers, a binary min-heap by (time, sequence)
  private heapSize = 0;
  private heapIndex: Int32Array; // per slot, its index in the heap
  private timeUs: Float64Array;
  private sequence: Float64Array;
  private generation: Uint32Array;
  private handler: (EventHandler<never> | null)[];
  private argument: unknown[];
  private freeSlots: Int32Array;
  private freeCount: number;

  constructor(initialCapacity = 1024) {
    this.capacity = initialCapacity;
    this.heap = new Int32Array(initialCapacity);
    this.heapIndex = new Int32Array(initialCapacity);
    this.timeUs = new Float64Array(initialCapacity);
    this.sequence = new Float64Array(initialCapacity);
    this.generation = new Uint32Array(initialCapacity);
    this.handler = new Array<EventHandler<never> | null>(initialCapacity).fill(null);
    this.argument = new Array<unknown>(initialCapacity).fill(undefined);
    this.freeSlots = new Int32Array(initialCapacity);
    for (let i = 0; i < initialCapacity; i++) this.freeSlots[i] = initialCapacity - 1 - i;
    this.freeCount = initialCapacity;
  }

  now(): number {
    return this.nowUs;
  }

  /** Events run so far (cancelled events are not counted). */
  get eventsRun(): number {
    return this.eventsRunCount;
  }

  /** Events scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.pendingLive;
  }

  /** Schedules `handler(arg)` at absolute virtual time `atUs` (never in the past). */
  at<A>(atUs: number, handler: EventHandler<A>, arg: A): EventId {
    if (!Number.isSafeInteger(atUs) || atUs < this.nowUs) {
      throw new Error(`scheduler: event time ${atUs} is not an integer at or after now (${this.nowUs})`);
    }
    if (this.freeCount === 0) this.grow();
    const slot = this.freeSlots[--this.freeCount]!;
    this.timeUs[slot] = atUs;
    this.sequence[slot] = this.sequenceNext++;
    this.handler[slot] = handler as EventHandler<never>;
    this.argument[slot] = arg;
    this.heap[this.heapSize] = slot;
    this.siftUp(this.heapSize++);
    this.pendingLive += 1;
    return this.generation[slot]! * SLOT_LIMIT + slot;
  }

  /** Schedules `handler(arg)` after `delayUs` microseconds of virtual time. */
  after<A>(delayUs: number, handler: EventHandler<A>, arg: A): EventId {
    return this.at(this.nowUs + delayUs, handler, arg);
  }

  /** Cancels a pending event; returns false if it already ran or was cancelled. */
  cancel(id: EventId): boolean {
    const slot = id % SLOT_LIMIT;
    const generation = Math.floor(id / SLOT_LIMIT);
    if (slot >= this.capacity || this.generation[slot] !== generation || this.handler[slot] === null) return false;
    this.removeAt(this.heapIndex[slot]!);
    this.release(slot);
    this.pendingLive -= 1;
    return true;
  }

  /**
   * Runs events in order until none is left ('idle'), the next one is after `untilUs` ('time';
   * the clock then reads `untilUs`), or `budget` events have run ('budget').
   */
  run(untilUs = Number.MAX_SAFE_INTEGER, budget = Number.MAX_SAFE_INTEGER): RunOutcome {
    const stopAt = this.eventsRunCount + budget;
    while (this.heapSize > 0) {
      const slot = this.heap[0]!;
      const atUs = this.timeUs[slot]!;
      if (atUs > untilUs) {
        this.nowUs = untilUs;
        return 'time';
      }
      if (this.eventsRunCount >= stopAt) return 'budget';
      this.removeAt(0);
      const handler = this.handler[slot] as EventHandler<unknown>;
      const arg = this.argument[slot];
      this.release(slot);
      this.pendingLive -= 1;
      this.nowUs = atUs;
      this.eventsRunCount += 1;
      handler(arg);
    }
    if (untilUs !== Number.MAX_SAFE_INTEGER && untilUs > this.nowUs) this.nowUs = untilUs;
    return 'idle';
  }

  private release(slot: number): void {
    this.handler[slot] = null;
    this.argument[slot] = undefined;
    this.generation[slot] = (this.generation[slot]! + 1) % GENERATION_LIMIT;
    this.freeSlots[this.freeCount++] = slot;
  }

  private before(a: number, b: number): boolean {
    const ta = this.timeUs[a]!;
    const tb = this.timeUs[b]!;
    return ta < tb || (ta === tb && this.sequence[a]! < this.sequence[b]!);
  }

  private siftUp(index: number): void {
    const heap = this.heap;
    const slot = heap[index]!;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = heap[parentIndex]!;
      if (!this.before(slot, parent)) break;
      heap[index] = parent;
      this.heapIndex[parent] = index;
      index = parentIndex;
    }
    heap[index] = slot;
    this.heapIndex[slot] = index;
  }

  private siftDown(index: number): void {
    const heap = this.heap;
    const size = this.heapSize;
    const slot = heap[index]!;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && this.before(heap[right]!, heap[left]!) ? right : left;
      const childSlot = heap[child]!;
      if (!this.before(childSlot, slot)) break;
      heap[index] = childSlot;
      this.heapIndex[childSlot] = index;
      index = child;
    }
    heap[index] = slot;
    this.heapIndex[slot] = index;
  }

  /** Takes the entry at `index` out of the heap; the last entry fills its place. */
  private removeAt(index: number): void {
    const last = this.heap[--this.heapSize]!;
    if (index === this.heapSize) return;
    this.heap[index] = last;
    this.heapIndex[last] = index;
    if (index > 0 && this.before(last, this.heap[(index - 1) >> 1]!)) this.siftUp(index);
    else this.siftDown(index);
  }

  private grow(): void {
    const oldCapacity = this.capacity;
    const capacity = oldCapacity * 2;
    if (capacity > SLOT_LIMIT) throw new Error(`scheduler: more than ${SLOT_LIMIT} events pending`);
    const heap = new Int32Array(capacity);
    heap.set(this.heap);
    const heapIndex = new Int32Array(capacity);
    heapIndex.set(this.heapIndex);
    const timeUs = new Float64Array(capacity);
    timeUs.set(this.timeUs);
    const sequence = new Float64Array(capacity);
    sequence.set(this.sequence);
    const generation = new Uint32Array(capacity);
    generation.set(this.generation);
    const freeSlots = new Int32Array(capacity);
    for (let i = 0; i < oldCapacity; i++) freeSlots[i] = capacity - 1 - i;
    this.freeCount = oldCapacity;
    this.heap = heap;
    this.heapIndex = heapIndex;
    this.timeUs = timeUs;
    this.sequence = sequence;
    this.generation = generation;
    this.freeSlots = freeSlots;
    for (let i = oldCapacity; i < capacity; i++) {
      this.handler.push(null);
      this.argument.push(undefined);
    }
    this.capacity = capacity;
  }
}
