/**
 * Flow-control parameters of one client–server pair and the rules they share on both sides.
 */
import { checkAmount } from './errors.js';

/** BL (buffer limit, cost units) and MRR (minimum rate of recharge, cost units per ms). */
export interface FlowParams {
  bl: number;
  mrr: number;
}

export function checkParams(params: FlowParams): FlowParams {
  return { bl: checkAmount(params.bl, 'bl'), mrr: checkAmount(params.mrr, 'mrr') };
}

/** `value` recharged at `mrr` for `dt` ms, never above `bl` (and never lowered if already above). */
export function recharged(value: number, dt: number, params: FlowParams): number {
  if (dt <= 0 || value >= params.bl) return value;
  return Math.min(params.bl, value + params.mrr * dt);
}

/**
 * A buffer under new parameters, go-ethereum's rule on both sides: a larger BL adds the
 * difference (what was spent stays spent), a smaller BL clamps. Adding keeps the client's
 * estimate below the server's value even with requests in flight; clamping does so only if the
 * client clamps first, so a server should apply a decrease after the client has been told
 * (go-ethereum waits 2 s).
 */
export function reparamed(value: number, from: FlowParams, to: FlowParams): number {
  return to.bl >= from.bl ? value + (to.bl - from.bl) : Math.min(value, to.bl);
}
