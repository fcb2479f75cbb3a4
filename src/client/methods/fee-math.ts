/**
 * Fee arithmetic from verified headers: EIP-1559 base fee of the next block, EIP-4844 blob base
 * fee. The blob parameters depend on the fork; the header's shape tells it: a header with
 * requestsHash is Prague (EIP-7691: target 6, max 9 blobs, update fraction 5007716), one with
 * excessBlobGas but no requestsHash is Cancun (3, 6, 3338477). Later forks that change blob
 * parameters without a new header field (Osaka's blob schedule, EIP-7918) are not modelled.
 */
import type { BlockHeader } from '../../verify/header.js';

export const GAS_PER_BLOB = 131072n;
const ELASTICITY = 2n;
const BASE_FEE_CHANGE_DENOMINATOR = 8n;

export interface BlobParams {
  target: bigint;
  max: bigint;
  updateFraction: bigint;
}

const CANCUN: BlobParams = { target: 3n * GAS_PER_BLOB, max: 6n * GAS_PER_BLOB, updateFraction: 3338477n };
const PRAGUE: BlobParams = { target: 6n * GAS_PER_BLOB, max: 9n * GAS_PER_BLOB, updateFraction: 5007716n };

/** Blob parameters of the fork this header belongs to; undefined before Cancun. */
export function blobParams(h: BlockHeader): BlobParams | undefined {
  if (h.excessBlobGas === undefined) return undefined;
  return h.requestsHash !== undefined ? PRAGUE : CANCUN;
}

/** EIP-1559: the base fee of the block after `h` (0 before London: no fork schedule here). */
export function nextBaseFee(h: BlockHeader): bigint {
  const base = h.baseFeePerGas;
  if (base === undefined) return 0n;
  const target = h.gasLimit / ELASTICITY;
  if (target === 0n || h.gasUsed === target) return base;
  if (h.gasUsed > target) {
    const delta = (base * (h.gasUsed - target)) / target / BASE_FEE_CHANGE_DENOMINATOR;
    return base + (delta > 1n ? delta : 1n);
  }
  const delta = (base * (target - h.gasUsed)) / target / BASE_FEE_CHANGE_DENOMINATOR;
  return base - delta;
}

/** EIP-4844 fake_exponential(factor, numerator, denominator). */
export function fakeExponential(factor: bigint, numerator: bigint, denominator: bigint): bigint {
  let i = 1n;
  let output = 0n;
  let acc = factor * denominator;
  while (acc > 0n) {
    output += acc;
    acc = (acc * numerator) / (denominator * i);
    i++;
  }
  return output / denominator;
}

/** The blob base fee of block `h` (from its own excessBlobGas); undefined before Cancun. */
export function blobBaseFee(h: BlockHeader): bigint | undefined {
  const p = blobParams(h);
  if (p === undefined || h.excessBlobGas === undefined) return undefined;
  return fakeExponential(1n, h.excessBlobGas, p.updateFraction);
}

/** The blob base fee of the block after `h` (same fork assumed). */
export function nextBlobBaseFee(h: BlockHeader): bigint | undefined {
  const p = blobParams(h);
  if (p === undefined || h.excessBlobGas === undefined) return undefined;
  const sum = h.excessBlobGas + (h.blobGasUsed ?? 0n);
  const excess = sum > p.target ? sum - p.target : 0n;
  return fakeExponential(1n, excess, p.updateFraction);
}

/** blobGasUsed / max blob gas of the block (0 when none). */
export function blobGasUsedRatio(h: BlockHeader): number | undefined {
  const p = blobParams(h);
  if (p === undefined) return undefined;
  return Number(h.blobGasUsed ?? 0n) / Number(p.max);
}
