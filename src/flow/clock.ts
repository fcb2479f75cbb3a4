/**
 * The time source of flow control, injected so the arithmetic is testable and simulable.
 */
import { FlowError } from './errors.js';

export interface Clock {
  /** Milliseconds, monotonic (never decreases); the origin is arbitrary. */
  now(): number;
}

/** Wall-clock-independent monotonic time of this process. */
export const systemClock: Clock = { now: () => performance.now() };

/** A clock that moves only when told to: for tests and simulations. */
export class ManualClock implements Clock {
  private t: number;

  constructor(start = 0) {
    if (!Number.isFinite(start)) throw new FlowError('INVALID_NUMBER', 'start', `${start} is not finite`);
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new FlowError('CLOCK_BACKWARDS', 'ms', `cannot advance by ${ms}`);
    }
    this.t += ms;
  }

  /** Jumps to an absolute time, which must not be earlier than now (simulations run on events). */
  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < this.t) {
      throw new FlowError('CLOCK_BACKWARDS', 'ms', `cannot move from ${this.t} to ${ms}`);
    }
    this.t = ms;
  }
}
