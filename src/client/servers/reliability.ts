/**
 * How much a server is worth asking: a reliability score in [0, 1] and a moving average of its
 * round trip. Both outlive a connection (the pool keeps them per server), so a liar that
 * reconnects starts where it left off.
 */

export type ScoreEvent = 'valid' | 'invalid' | 'timeout' | 'bad-announce' | 'stop' | 'protocol-error';

/**
 * A valid answer closes `validGain` of the gap to 1; every other event multiplies the score by
 * its factor. Invalid answers weigh most (the answer was a lie or garbage), a StopMsg least (the
 * spec calls frequent ones bad service, an occasional one is legitimate overload).
 */
export const SCORE_RULES = {
  validGain: 0.1,
  invalid: 0.5,
  timeout: 0.7,
  'bad-announce': 0.8,
  'protocol-error': 0.9,
  stop: 0.95,
} as const;

export class Reliability {
  #value = 1;

  get value(): number {
    return this.#value;
  }

  record(event: ScoreEvent): void {
    if (event === 'valid') this.#value += (1 - this.#value) * SCORE_RULES.validGain;
    else this.#value *= SCORE_RULES[event];
  }
}

/** Exponential moving average of round trips; the first sample replaces the initial guess. */
export class RttAverage {
  #value: number;
  #samples = 0;
  #min = Infinity;

  constructor(
    initialMs: number,
    private readonly alpha = 0.2,
  ) {
    this.#value = initialMs;
  }

  get value(): number {
    return this.#value;
  }

  get samples(): number {
    return this.#samples;
  }

  /** The smallest sample, null before the first (getpeerinfo's minping). */
  get min(): number | null {
    return this.#samples === 0 ? null : this.#min;
  }

  sample(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#value = this.#samples === 0 ? ms : this.#value + this.alpha * (ms - this.#value);
    this.#min = Math.min(this.#min, ms);
    this.#samples++;
  }
}
