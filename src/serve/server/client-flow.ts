/**
 * Server flow control for one client (DESIGN §4): a ClientBuffer (src/flow) with the BL/MRR of
 * the client's capacity, and what the server does about a breach. A request whose max cost
 * exceeds BV is a breach: on les/3+ the client gets StopMsg, every request arriving while stopped
 * is dropped unanswered and uncharged, and ResumeMsg carries the BV once it has recharged (a
 * timer); on les/2, which has no StopMsg, the client is disconnected.
 *
 * Charges for bad requests go through the same buffer under reqIDs no client can send (above
 * 2^64), so they can underrun it like any request.
 */
import { type AcceptResult, ClientBuffer, type Clock, type FlowParams, systemClock } from '../../flow/index.js';

/** What the flow needs done on the connection. */
export interface FlowActions {
  sendStop(): void;
  sendResume(bv: number): void;
  /** les/2 breach. */
  disconnect(): void;
}

export interface Scheduler {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Scheduler = {
  set: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** `accepted`: serve it. `dropped`: arrived while stopped. `stopped`: breach, StopMsg sent. `disconnected`: les/2 breach. */
export type Admission = 'accepted' | 'dropped' | 'stopped' | 'disconnected';

/** Shortest wait before ResumeMsg: lets requests already on the wire arrive and be dropped first. */
export const MIN_RESUME_DELAY_MS = 20;

const FIRST_CHARGE_ID = 1n << 64n;

export class ClientFlow {
  readonly buffer: ClientBuffer;
  readonly counters = { stops: 0, resumes: 0, dropped: 0, breaches: 0 };
  readonly #version: number;
  readonly #actions: FlowActions;
  readonly #timers: Scheduler;
  #resumeTimer: unknown;
  #nextCharge = FIRST_CHARGE_ID;
  #closed = false;

  constructor(params: FlowParams, version: number, actions: FlowActions, options: { clock?: Clock; timers?: Scheduler } = {}) {
    this.buffer = new ClientBuffer(params, options.clock ?? systemClock);
    this.#version = version;
    this.#actions = actions;
    this.#timers = options.timers ?? realTimers;
  }

  get stopped(): boolean {
    return this.buffer.stopped;
  }

  /** A request of `maxCost` (from our MRC table) arrived. Throws FlowError for a reqID already being served. */
  admit(reqID: bigint, maxCost: number): Admission {
    return this.#outcome(this.buffer.accept(reqID, maxCost));
  }

  /** Served at `realCost` (clamped to its max cost): refunds the rest, returns the reply's BV. */
  complete(reqID: bigint, realCost: number): number {
    return this.buffer.complete(reqID, realCost);
  }

  /** Takes `cost` from the buffer with no request to serve (a bad request). */
  charge(cost: number): Admission {
    const id = this.#nextCharge++;
    const outcome = this.#outcome(this.buffer.accept(id, cost));
    if (outcome === 'accepted') this.buffer.complete(id, cost);
    return outcome;
  }

  close(): void {
    this.#closed = true;
    if (this.#resumeTimer !== undefined) this.#timers.clear(this.#resumeTimer);
    this.#resumeTimer = undefined;
  }

  #outcome(r: AcceptResult): Admission {
    if (r.accepted) return 'accepted';
    if (r.reason === 'stopped') {
      this.counters.dropped++;
      return 'dropped';
    }
    this.counters.breaches++;
    if (this.#version < 3) {
      this.#actions.disconnect();
      return 'disconnected';
    }
    this.counters.stops++;
    this.#actions.sendStop();
    this.#scheduleResume(r.resumeInMs);
    return 'stopped';
  }

  #scheduleResume(inMs: number): void {
    if (this.#closed || this.#resumeTimer !== undefined) return;
    const wait = Number.isFinite(inMs) ? Math.max(MIN_RESUME_DELAY_MS, Math.ceil(inMs)) : 60_000;
    this.#resumeTimer = this.#timers.set(() => {
      this.#resumeTimer = undefined;
      if (this.#closed || !this.buffer.stopped) return;
      const left = this.buffer.resumeInMs();
      if (left > 0) {
        this.#scheduleResume(left);
        return;
      }
      this.counters.resumes++;
      this.#actions.sendResume(this.buffer.resumeBV());
    }, wait);
  }
}
