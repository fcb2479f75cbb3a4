/**
 * eth_estimateGas as go-ethereum does it: the call must succeed at the upper bound (the gas given,
 * else the block gas limit, capped by the RPC gas cap and by what the sender's balance pays for);
 * then a binary search between the intrinsic gas (or the calldata floor) and that bound, starting
 * from an optimistic guess (gas spent + the call stipend, × 64/63). Every try is a local run over
 * state the first run fetched. The answer is the least gas that succeeds (`errorRatio` 0), or
 * within that ratio of it.
 */
import type { VerifiedHeader } from '../contracts.js';
import { CallFailedError } from './errors.js';
import type { CallExecutor, RunInput, RunResult } from './executor.js';
import type { FetchStats } from './fetch.js';
import { revertError } from './revert.js';
import { floorDataGas, intrinsicGas, pricing } from './tx-rules.js';

export interface EstimateOptions {
  /** Stop once (hi − lo) / hi is below this (geth: 0.015). Default 0: the exact least gas. */
  errorRatio?: number;
}

const CALL_STIPEND = 2300n;
const TX_GAS = 21000n;

function failure(res: RunResult, hi: bigint): Error {
  if (res.reverted) return revertError(res.returnValue);
  if (res.error === 'out of gas' || res.error === 'contract creation code storage out of gas') {
    return new CallFailedError(`gas required exceeds allowance (${hi})`, 'gas');
  }
  return new CallFailedError(res.error ?? 'execution failed');
}

export async function estimateGas(exec: CallExecutor, input: RunInput, stats: FetchStats, options: EstimateOptions = {}): Promise<bigint> {
  const { args, header } = input;
  const { common } = await exec.rules(header, input.blockOverrides);
  const intrinsic = intrinsicGas(common, { to: args.to, data: args.data, accessList: args.accessList });
  const floor = floorDataGas(common, args.data);
  let lo = (intrinsic > floor ? intrinsic : floor) - 1n;
  let hi = args.gas !== undefined && args.gas >= TX_GAS ? args.gas : blockGas(header, input);
  hi = exec.capGas(hi);
  const price = pricing(args, header.header.baseFeePerGas);
  if (price.feeCap > 0n) {
    const balance = (await exec.accountOf(input, args.from ?? new Uint8Array(20), stats))?.balance ?? 0n;
    if (args.value > balance) throw new CallFailedError('insufficient funds for transfer', 'value');
    const allowance = (balance - args.value) / price.feeCap;
    if (hi > allowance) hi = allowance;
  }
  const tryGas = (gasLimit: bigint): Promise<RunResult> => exec.run({ ...input, gasLimit }, stats);

  const first = await tryGas(hi);
  if (!first.success) throw failure(first, hi);
  if (first.gasSpent - 1n > lo) lo = first.gasSpent - 1n;
  const optimistic = ((first.gasSpent + CALL_STIPEND) * 64n) / 63n;
  if (optimistic < hi && optimistic > lo) {
    if ((await tryGas(optimistic)).success) hi = optimistic;
    else lo = optimistic;
  }
  const ratio = options.errorRatio ?? 0;
  while (lo + 1n < hi) {
    if (ratio > 0 && Number(hi - lo) / Number(hi) < ratio) break;
    let mid = (hi + lo) / 2n;
    if (mid > lo * 2n) mid = lo * 2n;
    if ((await tryGas(mid)).success) hi = mid;
    else lo = mid;
  }
  return hi;
}

function blockGas(header: VerifiedHeader, input: RunInput): bigint {
  return input.blockOverrides?.gasLimit ?? header.header.gasLimit;
}
