/**
 * The client's view of one server's flow-control buffer (LES spec "Client Side Flow Control",
 * DESIGN §4; go-ethereum's les/flowcontrol ServerNode). BLE is a lower estimate of the BV the
 * server will find when our next request arrives, so a client that sends only when `canSend`
 * says so is never throttled.
 *
 * One rule beyond the spec keeps it a lower bound whatever the transit times: BLE recharges only
 * up to BL minus the costs of requests not yet known to have arrived. We deduct a request when we
 * send it and then recharge; the server deducts it on arrival, and while it was in transit the
 * server's buffer may have sat full at BL, not recharging. Without the cap every ms of transit is
 * recharge we count and the server never got, and since a reply only ever raises BLE the excess
 * lasts as long as the load does (measured: 80-150 ms transit on a busy event loop drew StopMsg
 * under a saturating load; with the cap none). A request is known to have arrived when its reply,
 * or the reply to one sent after it, comes back (one ordered connection).
 */
import { type Clock, systemClock } from './clock.js';
import { CostLedger } from './cost-ledger.js';
import { FlowError, checkAmount } from './errors.js';
import { type FlowParams, checkParams, recharged, reparamed } from './params.js';

/**
 * Headroom kept above a request's max cost: 1 ms of recharge. It absorbs what the estimate
 * cannot see: a request delayed more than the one sent after it (the server's buffer sat full
 * while ours recharged) and clocks that run at slightly different rates.
 */
export const SAFETY_MARGIN_MS = 1;

/**
 * Rounding slack in the send gate, relative (2^-48, a few ulps): after waiting exactly
 * `waitTime`, rounding in `now − last` and in the recharge must not leave BLE a hair short.
 * It grows with the clock's magnitude because so does the rounding of `now − last`.
 */
const SLACK = 2 ** -48;

export class ServerBufferEstimate {
  private params: FlowParams;
  private value: number;
  private last: number;
  private isStopped = false;
  private readonly sent = new CostLedger();
  /** Sent and not yet known to have arrived, in send order, with their costs. */
  private readonly transit = new Map<bigint, number>();
  private transitCost = 0;

  constructor(
    params: FlowParams,
    private readonly clock: Clock = systemClock,
  ) {
    this.params = checkParams(params);
    this.value = this.params.bl;
    this.last = clock.now();
  }

  /** BLE now, recharged; may be fractional, and negative if the caller sent past the gate. */
  get ble(): number {
    this.recharge();
    return this.value;
  }

  get bl(): number {
    return this.params.bl;
  }

  get mrr(): number {
    return this.params.mrr;
  }

  /** Requests sent and neither answered nor given up at a StopMsg. */
  get inFlight(): number {
    return this.sent.size;
  }

  /** Costs of requests not yet known to have reached the server. */
  get inTransitCost(): number {
    return this.transitCost;
  }

  /** Between a StopMsg and the ResumeMsg that follows it. */
  get stopped(): boolean {
    return this.isStopped;
  }

  /**
   * BLE needed to send a request of `maxCost`: maxCost plus the safety margin; Infinity when that
   * exceeds BL. go-ethereum caps the need at BL instead, which sends a request costing nearly BL
   * with no margin at all (exactly when a delayed request can make it fail); here such a request
   * never goes and the caller splits it (largest sendable max cost: BL − 1 ms of MRR).
   */
  private needed(maxCost: number): number {
    checkAmount(maxCost, 'maxCost');
    const need = maxCost + this.params.mrr * SAFETY_MARGIN_MS;
    return need > this.params.bl ? Infinity : need;
  }

  canSend(maxCost: number): boolean {
    const need = this.needed(maxCost);
    if (this.isStopped || need === Infinity) return false;
    const ble = this.ble; // recharges, so `last` is now
    return ble >= need - SLACK * (this.params.mrr * Math.abs(this.last) + need);
  }

  /**
   * Milliseconds until `canSend(maxCost)`: 0 if now; Infinity while stopped, if never, or if only
   * replies (telling that requests in transit arrived) can make room.
   */
  waitTime(maxCost: number): number {
    if (this.canSend(maxCost)) return 0;
    const need = this.needed(maxCost);
    if (this.isStopped || need === Infinity || this.params.mrr === 0) return Infinity;
    if (need > this.cap()) return Infinity;
    return (need - this.value) / this.params.mrr;
  }

  /**
   * Books a request as sent. Does not check `canSend`: a client may knowingly overrun (les/3+
   * servers answer with StopMsg) and then BLE goes below zero.
   */
  onSend(reqID: bigint, maxCost: number): void {
    if (this.isStopped) throw new FlowError('STOPPED', 'reqID', `request ${reqID} sent between StopMsg and ResumeMsg`);
    checkAmount(maxCost, 'maxCost');
    this.recharge();
    this.sent.record(reqID, maxCost);
    this.transit.set(reqID, maxCost);
    this.transitCost += maxCost;
    this.value -= maxCost;
  }

  /**
   * A reply carrying `bv`: BLE = max(BLE, BV − costs sent after that request), at most BL. A
   * lower value is ignored: it only means this reply was overtaken by a later one. Returns false
   * (and changes nothing) for a reqID not in flight: unknown, answered twice, or given up at a stop.
   */
  onReply(reqID: bigint, bv: number): boolean {
    checkAmount(bv, 'bv');
    this.recharge();
    const entry = this.sent.take(reqID);
    this.arrived(reqID);
    if (entry === undefined) return false;
    this.value = Math.min(this.cap(), Math.max(this.value, bv - entry.after));
    return true;
  }

  /**
   * StopMsg: no more sending until ResumeMsg; requests in flight will never be answered. Returns
   * their reqIDs, oldest first, for the caller to re-route.
   */
  onStop(): bigint[] {
    this.recharge();
    this.isStopped = true;
    this.transit.clear();
    this.transitCost = 0;
    return this.sent.clear();
  }

  /**
   * ResumeMsg carrying `bv`. After a StopMsg: BLE = BV (nothing is in flight). Without one it is
   * a plain buffer update, read like a reply that every request in flight was sent after: BLE =
   * max(BLE, BV − costs in flight).
   */
  onResume(bv: number): void {
    checkAmount(bv, 'bv');
    this.recharge();
    if (this.isStopped) {
      this.value = Math.min(bv, this.params.bl);
      this.isStopped = false;
    } else {
      this.value = Math.min(this.cap(), Math.max(this.value, bv - this.sent.inFlightCost));
    }
  }

  /** New BL/MRR announced by the server: a larger BL adds the difference, a smaller one clamps. */
  setParams(params: FlowParams): void {
    const next = checkParams(params);
    this.recharge();
    this.value = reparamed(this.value, this.params, next);
    this.params = next;
  }

  /** The most BLE can be: BL less what may still be on its way to the server. */
  private cap(): number {
    return this.params.bl - this.transitCost;
  }

  /** `reqID` and everything sent before it have reached the server. */
  private arrived(reqID: bigint): void {
    if (!this.transit.has(reqID)) return;
    for (const [id, cost] of this.transit) {
      this.transit.delete(id);
      this.transitCost -= cost;
      if (id === reqID) break;
    }
    if (this.transit.size === 0) this.transitCost = 0;
  }

  private recharge(): void {
    const now = this.clock.now();
    if (now <= this.last) return;
    const cap = this.cap();
    if (this.value < cap) this.value = Math.min(cap, recharged(this.value, now - this.last, this.params));
    this.last = now;
  }
}
