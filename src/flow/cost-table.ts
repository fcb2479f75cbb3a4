/**
 * Request costs (DESIGN §4): the reference table of average serving costs, the MRC table a
 * server announces in Status (max cost = twice the average), a request's max cost, and the
 * buffer limit that goes with a recharge rate.
 *
 * Codes are written out here rather than imported from wire: flow is pure arithmetic and sits
 * beside wire, not above it (see .dependency-cruiser.cjs).
 */
import { FlowError, checkAmount, checkCount } from './errors.js';

/**
 * One row of a cost table: cost = baseCost + reqCost × items. Structurally the `MaxRequestCost`
 * of the Status codec (src/wire/status.ts), so a decoded flowControl/MRC passes straight in.
 */
export interface MaxRequestCost {
  code: number;
  baseCost: number;
  reqCost: number;
}

/** A flowControl/MRC table, as announced (one row per request code). */
export type MrcTable = readonly MaxRequestCost[];

/**
 * Average serving cost per request kind, in cost units (DESIGN §4, the reference server's
 * table): GetBlockHeaders 0x02, GetBlockBodies 0x04, GetReceipts 0x06, GetContractCodes 0x0a,
 * GetProofsV2 0x0f, GetHelperTrieProofs 0x11, SendTxV2 0x13, GetTxStatus 0x14.
 */
export const REFERENCE_COSTS: MrcTable = Object.freeze([
  { code: 0x02, baseCost: 150_000, reqCost: 30_000 },
  { code: 0x04, baseCost: 0, reqCost: 700_000 },
  { code: 0x06, baseCost: 0, reqCost: 1_000_000 },
  { code: 0x0a, baseCost: 0, reqCost: 450_000 },
  { code: 0x0f, baseCost: 0, reqCost: 600_000 },
  { code: 0x11, baseCost: 0, reqCost: 1_000_000 },
  { code: 0x13, baseCost: 0, reqCost: 450_000 },
  { code: 0x14, baseCost: 0, reqCost: 250_000 },
].map((row) => Object.freeze(row)));

/** The max cost announced in MRC is this many times the average serving cost. */
export const MAX_COST_MULTIPLIER = 2;

/** Buffer limit in milliseconds of recharge: BL = 6000 × MRR. */
export const BUFFER_LIMIT_MS = 6000;

/** The smallest capacity (MRR) a server gives a client; its BL is 96,000,000. */
export const MIN_CAPACITY = 16_000;

/**
 * The MRC table to announce: every row of `average` times 2 × `factor` (a server that is slower
 * or faster than the reference scales its costs). Rounded up, because MRC rows are integers on
 * the wire and a max must not undercut the real cost.
 */
export function deriveMrcTable(average: MrcTable = REFERENCE_COSTS, factor = 1): MaxRequestCost[] {
  checkAmount(factor, 'factor');
  return average.map((row, i) => ({
    code: row.code,
    baseCost: Math.ceil(checkAmount(row.baseCost, `average[${i}].baseCost`) * MAX_COST_MULTIPLIER * factor),
    reqCost: Math.ceil(checkAmount(row.reqCost, `average[${i}].reqCost`) * MAX_COST_MULTIPLIER * factor),
  }));
}

/** The row of `code` in `mrc`, or a typed error naming the code: a request the peer never priced. */
export function mrcRow(mrc: MrcTable, code: number): MaxRequestCost {
  const row = mrc.find((r) => r.code === code);
  if (row === undefined) {
    throw new FlowError('UNKNOWN_CODE', 'code', `0x${code.toString(16).padStart(2, '0')} is not in the MRC table`);
  }
  return row;
}

/** Max cost of a request of `code` asking for `itemCount` items: baseCost + reqCost × items. */
export function maxCost(mrc: MrcTable, code: number, itemCount: number): number {
  checkCount(itemCount, 'itemCount');
  const row = mrcRow(mrc, code);
  return row.baseCost + row.reqCost * itemCount;
}

/** BL that goes with a recharge rate: 6000 ms of MRR. */
export function bufferLimit(mrr: number): number {
  return BUFFER_LIMIT_MS * checkAmount(mrr, 'mrr');
}
