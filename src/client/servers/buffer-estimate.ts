/**
 * The client's estimate of one server's flow-control buffer (BLE): src/flow's
 * ServerBufferEstimate, same API and rules, plus one rule that keeps it a lower bound whatever the
 * transit times: **BLE recharges only up to BL minus the costs of requests not yet known to have
 * arrived.**
 *
 * Why: we deduct a request's max cost when we send it and then recharge; the server deducts it
 * when it arrives, and while it was in transit the server's buffer may have sat full, capped at
 * BL, not recharging. Every ms of transit is then recharge we count and the server never got, and
 * since a reply can only raise BLE (go-ethereum's rule, kept in src/flow), the excess stays for
 * as long as the load does. On a busy event loop transit took 80-150 ms, and a saturating load
 * drew StopMsg from a server; with this cap none did. A request is known to have arrived when its
 * reply, or the reply to one sent after it, comes back (one ordered connection). Belongs in
 * src/flow; kept here until it is folded in.
 */
import { CostLedger } from '../../flow/cost-ledger.js';
import { type Clock, FlowError, type FlowParams, SAFETY_MARGIN_MS, systemClock } from '../../flow/index.js';

/** Relative rounding slack of the send gate, as in src/flow. */
const SLACK = 2 ** -48;

export class BufferEstimate {
  #params: FlowParams;
  #value: number;
  #last: number;
  #stopped = false;
  /** Sent and not answered: the `after` sums of the BV correction. */
  readonly #sent = new CostLedger();
  /** Sent and not yet known to have arrived, in send order, with their costs. */
  readonly #transit = new Map<bigint, number>();
  #transitCost = 0;

  constructor(
    params: FlowParams,
    private readonly clock: Clock = systemClock,
  ) {
    this.#params = check(params);
    this.#value = this.#params.bl;
    this.#last = clock.now();
  }

  get ble(): number {
    this.#recharge();
    return this.#value;
  }

  get bl(): number {
    return this.#params.bl;
  }

  get mrr(): number {
    return this.#params.mrr;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get inFlight(): number {
    return this.#sent.size;
  }

  /** Costs of requests not yet known to have reached the server. */
  get inTransitCost(): number {
    return this.#transitCost;
  }

  canSend(maxCost: number): boolean {
    const need = this.#needed(maxCost);
    if (this.#stopped || need === Infinity) return false;
    const ble = this.ble;
    return ble >= need - SLACK * (this.#params.mrr * Math.abs(this.#last) + need);
  }

  /**
   * ms until canSend(maxCost): 0 if now; Infinity while stopped, if never, or if only replies
   * (telling that requests in transit arrived) can make room.
   */
  waitTime(maxCost: number): number {
    if (this.canSend(maxCost)) return 0;
    const need = this.#needed(maxCost);
    if (this.#stopped || need === Infinity || this.#params.mrr === 0) return Infinity;
    if (need > this.#params.bl - this.#transitCost) return Infinity;
    return (need - this.#value) / this.#params.mrr;
  }

  onSend(reqID: bigint, maxCost: number): void {
    if (this.#stopped) throw new FlowError('STOPPED', 'reqID', `request ${reqID} sent between StopMsg and ResumeMsg`);
    amount(maxCost, 'maxCost');
    this.#recharge();
    this.#sent.record(reqID, maxCost);
    this.#transit.set(reqID, maxCost);
    this.#transitCost += maxCost;
    this.#value -= maxCost;
  }

  /** A reply carrying `bv`: BLE = max(BLE, BV − costs sent after it), capped as above. False for a reqID not in flight. */
  onReply(reqID: bigint, bv: number): boolean {
    amount(bv, 'bv');
    this.#recharge();
    const entry = this.#sent.take(reqID);
    this.#arrived(reqID);
    if (entry === undefined) return false;
    this.#value = Math.min(this.#cap(), Math.max(this.#value, bv - entry.after));
    return true;
  }

  /** StopMsg: requests in flight will never be answered (nor charged); returns their reqIDs. */
  onStop(): bigint[] {
    this.#recharge();
    this.#stopped = true;
    this.#transit.clear();
    this.#transitCost = 0;
    return this.#sent.clear();
  }

  onResume(bv: number): void {
    amount(bv, 'bv');
    this.#recharge();
    if (this.#stopped) {
      this.#value = Math.min(bv, this.#params.bl);
      this.#stopped = false;
    } else {
      this.#value = Math.min(this.#cap(), Math.max(this.#value, bv - this.#sent.inFlightCost));
    }
  }

  /** New BL/MRR: a larger BL adds the difference, a smaller one clamps (as src/flow). */
  setParams(params: FlowParams): void {
    const next = check(params);
    this.#recharge();
    this.#value = next.bl >= this.#params.bl ? this.#value + (next.bl - this.#params.bl) : Math.min(this.#value, next.bl);
    this.#params = next;
  }

  #needed(maxCost: number): number {
    amount(maxCost, 'maxCost');
    const need = maxCost + this.#params.mrr * SAFETY_MARGIN_MS;
    return need > this.#params.bl ? Infinity : need;
  }

  #cap(): number {
    return this.#params.bl - this.#transitCost;
  }

  /** `reqID` and everything sent before it have reached the server. */
  #arrived(reqID: bigint): void {
    if (!this.#transit.has(reqID)) return;
    for (const [id, cost] of this.#transit) {
      this.#transit.delete(id);
      this.#transitCost -= cost;
      if (id === reqID) break;
    }
    if (this.#transit.size === 0) this.#transitCost = 0;
  }

  #recharge(): void {
    const now = this.clock.now();
    if (now <= this.#last) return;
    const cap = this.#cap();
    if (this.#value < cap) this.#value = Math.min(cap, this.#value + this.#params.mrr * (now - this.#last));
    this.#last = now;
  }
}

function amount(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) throw new FlowError('INVALID_NUMBER', field, `${value} is not a finite non-negative number`);
  return value;
}

function check(p: FlowParams): FlowParams {
  return { bl: amount(p.bl, 'bl'), mrr: amount(p.mrr, 'mrr') };
}
