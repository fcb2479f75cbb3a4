/**
 * Requests in flight, in the order they were sent (client) or accepted (server), each with the
 * running sum of max costs at the moment it was recorded. "Costs recorded after request r" is
 * then one subtraction: the correction both sides of LES flow control apply to BV.
 */
import { FlowError } from './errors.js';

interface Entry {
  /** Running sum including this request's cost. */
  at: number;
  cost: number;
}

/** Above this the running sum is rebased so that differences stay exact integers (< 2^53). */
const REBASE_ABOVE = 2 ** 50;

export class CostLedger {
  private sum = 0;
  private pending = 0;
  private readonly entries = new Map<bigint, Entry>();

  /** Requests in flight. */
  get size(): number {
    return this.entries.size;
  }

  /** Sum of the costs of the requests in flight. */
  get inFlightCost(): number {
    return this.pending;
  }

  has(reqID: bigint): boolean {
    return this.entries.has(reqID);
  }

  record(reqID: bigint, cost: number): void {
    if (this.entries.has(reqID)) {
      throw new FlowError('DUPLICATE_REQID', 'reqID', `${reqID} is already in flight`);
    }
    if (this.sum > REBASE_ABOVE) this.rebase();
    this.sum += cost;
    this.pending += cost;
    this.entries.set(reqID, { at: this.sum, cost });
  }

  /** Removes `reqID`; returns its cost and the sum of costs recorded after it, or undefined. */
  take(reqID: bigint): { cost: number; after: number } | undefined {
    const e = this.entries.get(reqID);
    if (e === undefined) return undefined;
    this.entries.delete(reqID);
    this.pending -= e.cost;
    const after = this.sum - e.at;
    if (this.entries.size === 0) {
      this.sum = 0;
      this.pending = 0;
    }
    return { cost: e.cost, after };
  }

  /** Forgets every request; returns their reqIDs in the order they were recorded. */
  clear(): bigint[] {
    const ids = [...this.entries.keys()];
    this.entries.clear();
    this.sum = 0;
    this.pending = 0;
    return ids;
  }

  /** Shifts every sum down by what was recorded before the oldest request in flight. */
  private rebase(): void {
    const oldest = this.entries.values().next();
    const base = oldest.done ? this.sum : oldest.value.at - oldest.value.cost;
    for (const e of this.entries.values()) e.at -= base;
    this.sum -= base;
  }
}
