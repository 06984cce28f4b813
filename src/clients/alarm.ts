// A timer that fires once, at the earliest time anyone asked of it; asking for a later time
// changes nothing. The producer's sender and metadata refresh each wake on one.
import type { Env, EventId } from '../../sim/index.js';
import { NEVER_US } from './producer-config.js';

export class Alarm {
  private timer: EventId = -1;
  private atUs = NEVER_US;
  private readonly onTimer = (): void => {
    this.timer = -1;
    this.atUs = NEVER_US;
    this.fire();
  };

  constructor(
    private readonly env: Env<unknown>,
    private readonly fire: () => void,
  ) {}

  wakeAt(atUs: number): void {
    if (atUs >= NEVER_US || atUs >= this.atUs) return;
    if (this.timer >= 0) this.env.cancelTimer(this.timer);
    this.atUs = atUs;
    this.timer = this.env.setTimer(Math.max(0, atUs - this.env.now()), this.onTimer);
  }
}
