// The client pool of the LES server (issue 6 §1): capacity shared by priority and free clients,
// token balances kept durably, pricing, and the order in which clients lose their place.
export { BalanceStore, type NegativeRecord, type PositiveRecord } from './balance-store.js';
export { type ClientInfo, ClientPool, type ClientPoolOptions, type PoolClientView, type ServerCapacityInfo } from './client-pool.js';
export { PoolError, type PoolErrorCode } from './errors.js';
export { addressGroup, clientIdOf, parseClientId, plainAddress } from './ids.js';
export {
  type ClientPrices,
  DEFAULT_PRICES,
  MAX_BALANCE,
  PRICE_KEYS,
  type ParamUpdate,
  type PriceFactors,
  connectionPricePerMs,
  parseParams,
  requestPrice,
} from './pricing.js';
export { type Rank, compareRank, rankOf } from './rank.js';
