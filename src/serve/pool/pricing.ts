/**
 * Pricing of the client pool, with the reference server's units (go-ethereum les/vflux): every
 * factor given through the API is per second of connection, and divided by 10^9 internally it is
 * per nanosecond, so that
 *
 *   connection price (units per second) = timeFactor + capacityFactor × capacity / 1,000,000
 *   request price (units)               = requestCostFactor × realCost / 1,000,000,000
 *
 * where realCost is in cost units (nanoseconds of serving time, src/flow). A client with a
 * positive balance pays with the positive factors; a client without one (a free client) has its
 * negative balance grow with the `pricing/negative/*` factors.
 *
 * Parameters arrive as the JSON object of `les_setClientParams` / `les_setDefaultParams`; they
 * are checked whole before anything changes, and a bad one throws POOL_BAD_PARAM naming its key.
 */
import { PoolError } from './errors.js';

export interface PriceFactors {
  timeFactor: number;
  capacityFactor: number;
  requestCostFactor: number;
}

export interface ClientPrices {
  positive: PriceFactors;
  negative: PriceFactors;
}

/** The reference server's defaults: capacity and request cost priced, connection time free. */
export const DEFAULT_PRICES: Readonly<ClientPrices> = Object.freeze({
  positive: Object.freeze({ timeFactor: 0, capacityFactor: 1e9, requestCostFactor: 1e9 }),
  negative: Object.freeze({ timeFactor: 0, capacityFactor: 1e9, requestCostFactor: 1e9 }),
});

/** Balances and factors live in [0, 2^63 − 1]. */
export const MAX_BALANCE = (1n << 63n) - 1n;
const MAX_FACTOR = Number(MAX_BALANCE);

/** Units per millisecond of connection at `capacity`. */
export function connectionPricePerMs(f: PriceFactors, capacity: number): number {
  return (f.timeFactor + (f.capacityFactor * capacity) / 1e6) / 1000;
}

/** Units for one request of `realCost` cost units. */
export function requestPrice(f: PriceFactors, realCost: number): number {
  return (f.requestCostFactor * realCost) / 1e9;
}

type Side = keyof ClientPrices;

/** The API's pricing keys and where each one goes. */
export const PRICE_KEYS: ReadonlyMap<string, [Side, keyof PriceFactors]> = new Map([
  ['pricing/timeFactor', ['positive', 'timeFactor']],
  ['pricing/capacityFactor', ['positive', 'capacityFactor']],
  ['pricing/requestCostFactor', ['positive', 'requestCostFactor']],
  ['pricing/negative/timeFactor', ['negative', 'timeFactor']],
  ['pricing/negative/capacityFactor', ['negative', 'capacityFactor']],
  ['pricing/negative/requestCostFactor', ['negative', 'requestCostFactor']],
]);

/** A checked parameter object: new factors (only those given) and, for a client, a capacity. */
export interface ParamUpdate {
  capacity?: number;
  positive: Partial<PriceFactors>;
  negative: Partial<PriceFactors>;
}

export interface ParamLimits {
  /** Whether `capacity` is accepted (client parameters, not defaults). */
  capacity: boolean;
  min: number;
  max: number;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/** Checks a parameter object whole; throws POOL_BAD_PARAM naming the first bad key. */
export function parseParams(params: unknown, limits: ParamLimits): ParamUpdate {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new PoolError('POOL_BAD_PARAM', 'params: expected an object of parameters', { field: 'params' });
  }
  const out: ParamUpdate = { positive: {}, negative: {} };
  for (const [key, value] of Object.entries(params)) {
    const n = asNumber(value);
    if (key === 'capacity' && limits.capacity) {
      if (n === undefined || !Number.isSafeInteger(n) || n < limits.min || n > limits.max) {
        throw new PoolError('POOL_BAD_PARAM', `capacity: expected an integer in [${limits.min}, ${limits.max}], got ${String(value)}`, { field: 'capacity' });
      }
      out.capacity = n;
      continue;
    }
    const target = PRICE_KEYS.get(key);
    if (target === undefined) {
      throw new PoolError('POOL_BAD_PARAM', `${key}: unknown ${limits.capacity ? 'client' : 'default'} parameter`, { field: key });
    }
    if (n === undefined || !Number.isFinite(n) || n < 0 || n > MAX_FACTOR) {
      throw new PoolError('POOL_BAD_PARAM', `${key}: expected a number in [0, 2^63-1], got ${String(value)}`, { field: key });
    }
    out[target[0]][target[1]] = n;
  }
  return out;
}

/** `prices` with an update's factors applied (a new object). */
export function applyPrices(prices: ClientPrices, update: ParamUpdate): ClientPrices {
  return { positive: { ...prices.positive, ...update.positive }, negative: { ...prices.negative, ...update.negative } };
}
