/**
 * The server's flow-control buffer for one client (LES spec "Client Side Flow Control", DESIGN
 * §4; go-ethereum's les/flowcontrol ClientNode). BV starts at BL and recharges at MRR up to BL;
 * a request is accepted only if BV covers its max cost.
 */
import { type Clock, systemClock } from './clock.js';
import { CostLedger } from './cost-ledger.js';
import { FlowError, checkAmount } from './errors.js';
import { type FlowParams, checkParams, recharged, reparamed } from './params.js';

/**
 * After an underrun the client is resumed once BV is back to this share of BL (go-ethereum's
 * BL/8), or to the refused request's max cost if that is more.
 */
export const DEFAULT_RESUME_FRACTION = 1 / 8;

export type AcceptResult =
  | { accepted: true }
  /**
   * `underrun`: BV < maxCost, a flow-control breach; the buffer is now stopped and the caller
   * sends StopMsg (les/3+) or disconnects (les/2). `stopped`: the request arrived between
   * StopMsg and ResumeMsg; it is dropped unanswered and uncharged, as the spec tells the client.
   * `resumeInMs`: when BV will have recovered enough to send ResumeMsg.
   */
  | { accepted: false; reason: 'underrun' | 'stopped'; resumeInMs: number };

export interface ClientBufferOptions {
  resumeFraction?: number;
}

export class ClientBuffer {
  private params: FlowParams;
  private value: number;
  private last: number;
  private isStopped = false;
  private resumeAt = 0;
  private readonly accepted = new CostLedger();
  private readonly resumeFraction: number;

  constructor(
    params: FlowParams,
    private readonly clock: Clock = systemClock,
    options: ClientBufferOptions = {},
  ) {
    this.params = checkParams(params);
    this.value = this.params.bl;
    this.last = clock.now();
    this.resumeFraction = checkAmount(options.resumeFraction ?? DEFAULT_RESUME_FRACTION, 'resumeFraction');
  }

  /** BV now, recharged (fractional between events; what is sent on the wire is floored). */
  get bv(): number {
    this.recharge();
    return this.value;
  }

  get bl(): number {
    return this.params.bl;
  }

  get mrr(): number {
    return this.params.mrr;
  }

  /** Requests accepted and not yet completed. */
  get inFlight(): number {
    return this.accepted.size;
  }

  /** Between our StopMsg and our ResumeMsg. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /** A request of `maxCost` (computed by the server from its own MRC table) has arrived. */
  accept(reqID: bigint, maxCost: number): AcceptResult {
    checkAmount(maxCost, 'maxCost');
    this.recharge();
    if (this.isStopped) return { accepted: false, reason: 'stopped', resumeInMs: this.resumeInMs() };
    if (this.accepted.has(reqID)) {
      throw new FlowError('DUPLICATE_REQID', 'reqID', `${reqID} is already being served`);
    }
    if (this.value < maxCost) {
      this.isStopped = true;
      this.resumeAt = Math.min(this.params.bl, Math.max(maxCost, this.params.bl * this.resumeFraction));
      return { accepted: false, reason: 'underrun', resumeInMs: this.resumeInMs() };
    }
    this.value -= maxCost;
    this.accepted.record(reqID, maxCost);
    return { accepted: true };
  }

  /**
   * The request has been served at `realCost` (clamped to [0, maxCost]; NaN counts as maxCost).
   * Refunds maxCost − realCost and returns the BV for the reply: BV plus the max costs of the
   * requests accepted after this one (the client subtracts those it sent after it), at most BL,
   * floored to an integer.
   */
  complete(reqID: bigint, realCost: number): number {
    this.recharge();
    const entry = this.accepted.take(reqID);
    if (entry === undefined) throw new FlowError('UNKNOWN_REQID', 'reqID', `${reqID} was not accepted or is already complete`);
    const real = Number.isNaN(realCost) ? entry.cost : Math.min(Math.max(realCost, 0), entry.cost);
    this.value = Math.min(this.params.bl, this.value + (entry.cost - real));
    return Math.floor(Math.min(this.params.bl, this.value + entry.after));
  }

  /**
   * Stops the client for a reason of the server's own (overload): the caller sends StopMsg and
   * decides when to resume; `resumeInMs()` is 0.
   */
  stop(): void {
    this.recharge();
    this.isStopped = true;
    this.resumeAt = 0;
  }

  /** While stopped: ms until BV is back to the resume level (0 when ready or not stopped). */
  resumeInMs(): number {
    this.recharge();
    if (!this.isStopped || this.value >= this.resumeAt) return 0;
    if (this.params.mrr === 0) return Infinity;
    return (this.resumeAt - this.value) / this.params.mrr;
  }

  /**
   * Leaves the stopped state and returns the BV for ResumeMsg (floored). Requests still being
   * served stay charged until completed; the client has written them off, so its BLE = BV is
   * conservative. A request the client sent before our StopMsg reached it but that arrives
   * after this is charged as usual: resume no sooner than a round trip after stopping.
   */
  resumeBV(): number {
    this.recharge();
    this.isStopped = false;
    this.resumeAt = 0;
    return Math.floor(this.value);
  }

  /**
   * Capacity change. BV follows go-ethereum: a larger BL adds the difference, a smaller one
   * clamps BV to it. Apply a decrease only after the client has been told (go-ethereum waits
   * 2 s), so that its estimate, clamped first, stays below BV.
   */
  setParams(params: FlowParams): void {
    const next = checkParams(params);
    this.recharge();
    this.value = reparamed(this.value, this.params, next);
    this.params = next;
    if (this.resumeAt > next.bl) this.resumeAt = next.bl;
  }

  private recharge(): void {
    const now = this.clock.now();
    if (now <= this.last) return;
    this.value = recharged(this.value, now - this.last, this.params);
    this.last = now;
  }
}
