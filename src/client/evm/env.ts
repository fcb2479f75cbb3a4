/**
 * The block environment of a call, from the verified header (and the caller's block overrides):
 * NUMBER, TIMESTAMP, COINBASE, GASLIMIT, BASEFEE, PREVRANDAO (= mixHash after the merge),
 * BLOBBASEFEE (from excessBlobGas), DIFFICULTY; and BLOCKHASH over the verified header chain.
 */
import type { EVMMockBlockchainInterface, EVMRunCallOpts } from '@ethereumjs/evm';
import type { HeaderChainView, VerifiedHeader } from '../contracts.js';
import type { BlockOverrides } from './call-params.js';
import { BLOB_SCHEDULE, type BlobParams, fakeExponential } from '../methods/fee-math.js';
import { type EthJs10, toAddress } from './ethjs.js';

export type EvmBlock = NonNullable<EVMRunCallOpts['block']>;

/** BLOBBASEFEE with the fork's update fraction (fee-math's blob schedule; prague's for a fork it lacks). */
export function blobBaseFee(excessBlobGas: bigint | undefined, hardfork: string): bigint | undefined {
  if (excessBlobGas === undefined) return undefined;
  const params = BLOB_SCHEDULE[hardfork] ?? BLOB_SCHEDULE.prague;
  return fakeExponential(1n, excessBlobGas, (params as BlobParams).updateFraction);
}

export interface CallEnv {
  block: EvmBlock;
  number: bigint;
  coinbase: Uint8Array;
  gasLimit: bigint;
  /** The header's base fee (what fee checks use), before any zeroing for a price-less call. */
  baseFee: bigint | undefined;
  blobBaseFee: bigint | undefined;
}

/**
 * `zeroBaseFee`: a call at gas price 0 sees BASEFEE = 0, as geth runs eth_call (NoBaseFee), so
 * that a price-less call is not refused for paying less than the base fee.
 */
export function callEnv(m: EthJs10, vh: VerifiedHeader, hardfork: string, o: BlockOverrides, zeroBaseFee: boolean): CallEnv {
  const h = vh.header;
  const number = o.number ?? BigInt(h.number);
  const coinbase = o.coinbase ?? h.coinbase;
  const gasLimit = o.gasLimit ?? h.gasLimit;
  const baseFee = o.baseFeePerGas ?? h.baseFeePerGas;
  const blobFee = o.blobBaseFee ?? blobBaseFee(h.excessBlobGas, hardfork);
  const block: EvmBlock = {
    header: {
      number,
      coinbase: toAddress(m, coinbase),
      timestamp: o.time ?? BigInt(h.timestamp),
      difficulty: h.difficulty,
      prevRandao: o.prevRandao ?? h.mixHash,
      gasLimit,
      baseFeePerGas: baseFee === undefined ? undefined : zeroBaseFee ? 0n : baseFee,
      getBlobGasPrice: () => blobFee,
    },
  };
  return { block, number, coinbase, gasLimit, baseFee, blobBaseFee: blobFee };
}

/** BLOCKHASH's source: canonical headers of the verified chain (the EVM asks only the last 256). */
export function chainBlockchain(chain: HeaderChainView): EVMMockBlockchainInterface {
  const bc: EVMMockBlockchainInterface = {
    async getBlock(n: number) {
      const h = await chain.headerByNumber(n);
      return { hash: () => h.hash };
    },
    async putBlock() {},
    shallowCopy: () => bc,
  };
  return bc;
}
