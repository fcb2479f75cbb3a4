/**
 * The choice of a server and the make-up of one message, as pure functions over SchedulableServer
 * (DESIGN §2: "can serve this block? buffer estimate covers max cost? expected wait + round trip
 * + score?"). go-ethereum's distributor picks by buffer wait alone and then weights randomly;
 * here the expected completion time is explicit, so a slow or unreliable server loses to a fast
 * one even when both could send now.
 */
import { type MrcTable, maxCost } from '../../flow/index.js';
import type { SchedulableServer } from './types.js';

/** The max cost of a message of `code` carrying `units` items, or undefined if `mrc` does not price it. */
export function messageCost(mrc: MrcTable, code: number, units: number): number | undefined {
  if (!mrc.some((r) => r.code === code)) return undefined;
  return maxCost(mrc, code, units);
}

/**
 * Expected time until an answer from `server` to a message of `cost` that waits behind `queued`
 * cost units of messages already waiting for that server: the flow-control wait, the recharge the
 * queue ahead needs, the average round trip, and a penalty growing as the reliability score falls
 * (an unreliable answer costs a soft timeout and a second round trip). Without the queue term
 * every waiting item would pick the same busy server and leave the others idle.
 */
export function expectedMs(server: SchedulableServer, cost: number, queued: number, scorePenaltyMs: number): number {
  const score = Math.min(1, Math.max(0, server.score));
  const backlogMs = server.flow.mrr > 0 ? queued / server.flow.mrr : queued > 0 ? Infinity : 0;
  return server.flow.waitTime(cost) + backlogMs + server.rttMs + (1 - score) * scorePenaltyMs;
}

export interface Pick {
  server: SchedulableServer;
  /** Max cost of the one-item message the choice was made for. */
  cost: number;
  /** Its flow-control wait, ms (0: it can go now). */
  waitMs: number;
  expectedMs: number;
}

/**
 * The candidate with the least expected time for a message of `units` items of `code`, given the
 * cost already queued for each (`queued`, default none); ties go to the higher BLE (spreads
 * load), then to the first. Candidates that do not price `code`, and those that cannot send it
 * for now (stopped, cost above BL, room only after replies), are skipped.
 */
export function pickServer(
  candidates: readonly SchedulableServer[],
  code: number,
  units: number,
  scorePenaltyMs: number,
  queued: (server: SchedulableServer) => number = () => 0,
): Pick | undefined {
  let best: Pick | undefined;
  for (const server of candidates) {
    const cost = messageCost(server.mrc, code, units);
    if (cost === undefined) continue;
    const waitMs = server.flow.waitTime(cost);
    if (!Number.isFinite(waitMs)) continue;
    const expected = expectedMs(server, cost, queued(server), scorePenaltyMs);
    if (
      best === undefined ||
      expected < best.expectedMs ||
      (expected === best.expectedMs && server.flow.ble > best.server.flow.ble)
    ) {
      best = { server, cost, waitMs, expectedMs: expected };
    }
  }
  return best;
}

export interface BatchRules<T> {
  maxItems: number;
  units(item: T): number;
  /** Whether this item may ride in this message (the server can serve it, it is not in flight there). */
  eligible(item: T): boolean;
  /** Whether a message carrying `units` units can be sent now (flow estimate covers its max cost). */
  sendable(units: number): boolean;
}

/**
 * Coalesces same-kind items into one message: `first`, then each item of `rest` in order that is
 * eligible and keeps the message within maxItems and sendable (its max cost under BLE, hence
 * under BL). Items that do not fit are skipped, not stopped at: a later, smaller one may fit.
 */
export function fillBatch<T>(first: T, rest: Iterable<T>, rules: BatchRules<T>): { items: T[]; units: number } {
  const items = [first];
  let units = rules.units(first);
  for (const item of rest) {
    if (items.length >= rules.maxItems) break;
    if (item === first || !rules.eligible(item)) continue;
    const next = units + rules.units(item);
    if (!rules.sendable(next)) continue;
    items.push(item);
    units = next;
  }
  return { items, units };
}

/** Soft timeout for a message to a server whose average round trip is `rttMs`. */
export function softTimeoutMs(rttMs: number, rule: { factor: number; marginMs: number; minMs: number }): number {
  return Math.max(rule.minMs, rule.factor * rttMs + rule.marginMs);
}
