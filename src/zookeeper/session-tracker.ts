// Session expiry by tick, as ZooKeeper's ExpiryQueue does it: touching a session moves it to
// the bucket at roundToNextInterval(now + timeout), a multiple of tickTime, and the tracker
// expires a whole bucket when that tick comes. A session therefore expires between `timeout`
// and `timeout + tickTime` after the server last heard from its client.

export class SessionTracker {
  private readonly expiryUs = new Map<number, number>(); // session → its bucket
  private readonly buckets = new Map<number, Set<number>>(); // bucket time (µs) → sessions

  constructor(private readonly tickUs: number) {}

  /** The session was heard from at `nowUs`; it expires at the tick after `nowUs + timeout`. */
  touch(sessionId: number, timeoutMs: number, nowUs: number): void {
    const bucket = this.roundToNextInterval(nowUs + timeoutMs * 1000);
    const previous = this.expiryUs.get(sessionId);
    if (previous === bucket) return;
    if (previous !== undefined) this.buckets.get(previous)?.delete(sessionId);
    this.expiryUs.set(sessionId, bucket);
    let sessions = this.buckets.get(bucket);
    if (sessions === undefined) {
      sessions = new Set();
      this.buckets.set(bucket, sessions);
    }
    sessions.add(sessionId);
  }

  remove(sessionId: number): void {
    const bucket = this.expiryUs.get(sessionId);
    if (bucket === undefined) return;
    this.expiryUs.delete(sessionId);
    this.buckets.get(bucket)?.delete(sessionId);
  }

  /** Removes and returns the sessions whose bucket is at or before `nowUs`, earliest bucket first. */
  poll(nowUs: number): number[] {
    const due = [...this.buckets.keys()].filter((bucket) => bucket <= nowUs).sort((a, b) => a - b);
    const expired: number[] = [];
    for (const bucket of due) {
      for (const sessionId of this.buckets.get(bucket)!) {
        expired.push(sessionId);
        this.expiryUs.delete(sessionId);
      }
      this.buckets.delete(bucket);
    }
    return expired;
  }

  /** The next tick strictly after `nowUs`: when the tracker looks again. */
  nextTickUs(nowUs: number): number {
    return this.roundToNextInterval(nowUs);
  }

  private roundToNextInterval(timeUs: number): number {
    return (Math.floor(timeUs / this.tickUs) + 1) * this.tickUs;
  }
}
