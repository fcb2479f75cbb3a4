/**
 * What a connected client pays, applied to its balance records. While its positive balance
 * lasts it pays with the positive factors; the moment it reaches zero the client is a free
 * client and the rest of the same interval (or request) grows the negative balance of its IP at
 * the negative factors. Amounts are fractional; the whole units are taken from the bigint
 * balances and the fraction is carried to the next charge, so nothing is lost to rounding.
 */
import type { NegativeRecord, PositiveRecord } from './balance-store.js';
import { type ClientPrices, MAX_BALANCE, connectionPricePerMs, requestPrice } from './pricing.js';

export interface Payer {
  capacity: number;
  prices: ClientPrices;
  pos: PositiveRecord;
  neg: NegativeRecord;
  /** Everything charged since connecting (positive and negative), in balance units. */
  costUsed: number;
}

/** The positive balance left, fractions included. */
export function positiveLeft(pos: PositiveRecord): number {
  return Number(pos.balance) - pos.carry;
}

/** Takes up to `amount` from the positive balance; returns the share of `amount` it covered (0..1). */
function takePositive(pos: PositiveRecord, amount: number): number {
  if (amount <= 0) return 1;
  const left = positiveLeft(pos);
  if (left <= 0) return 0;
  if (amount >= left) {
    pos.balance = 0n;
    pos.carry = 0;
    return left / amount;
  }
  const total = pos.carry + amount;
  const whole = Math.floor(total);
  pos.balance -= BigInt(whole);
  pos.carry = total - whole;
  if (pos.balance < 0n) pos.balance = 0n;
  return 1;
}

function addNegative(neg: NegativeRecord, amount: number): void {
  if (amount <= 0) return;
  const total = neg.carry + amount;
  const whole = Math.floor(total);
  neg.carry = total - whole;
  const next = neg.balance + BigInt(whole);
  neg.balance = next > MAX_BALANCE ? MAX_BALANCE : next;
}

/** Charges `ms` of connection. Returns true when the positive balance ran out during it. */
export function chargeTime(p: Payer, ms: number): boolean {
  if (ms <= 0) return false;
  return pay(p, connectionPricePerMs(p.prices.positive, p.capacity) * ms, connectionPricePerMs(p.prices.negative, p.capacity) * ms);
}

/** Charges one request of `realCost` cost units. Returns true when the positive balance ran out. */
export function chargeRequest(p: Payer, realCost: number): boolean {
  if (!(realCost > 0)) return false;
  return pay(p, requestPrice(p.prices.positive, realCost), requestPrice(p.prices.negative, realCost));
}

/** `positive` from the positive balance while it lasts, the uncovered share of `negative` onto the negative one. */
function pay(p: Payer, positive: number, negative: number): boolean {
  const wasPriority = p.pos.balance > 0n;
  const covered = wasPriority ? takePositive(p.pos, positive) : 0;
  const rest = (1 - covered) * negative;
  addNegative(p.neg, rest);
  p.costUsed += covered * positive + rest;
  return wasPriority && p.pos.balance === 0n;
}
