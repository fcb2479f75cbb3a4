/**
 * Fee arithmetic from verified headers: EIP-1559 base fee of the next block, EIP-4844 blob base
 * fee. The blob parameters are the fork's (EIP-4844 Cancun; EIP-7691 Prague and Osaka; EIP-7892's
 * BPO forks bpo1, bpo2 as mainnet schedules them) and Osaka's EIP-7918 reserve price bounds the
 * next excess. The fork is the network schedule's when the caller knows it; otherwise the header's
 * shape tells Cancun (excessBlobGas) from Prague (requestsHash). A fork past this table is read
 * with the last parameters known here (bpo2).
 */
import type { BlockHeader } from '../../verify/header.js';

export const GAS_PER_BLOB = 131072n;
const ELASTICITY = 2n;
const BASE_FEE_CHANGE_DENOMINATOR = 8n;
/** EIP-7918's BLOB_BASE_COST. */
const BLOB_BASE_COST = 1n << 13n;

export interface BlobParams {
  /** Blob gas per block: target and max. */
  target: bigint;
  max: bigint;
  updateFraction: bigint;
  /** EIP-7918 (Osaka on): blob base fee bounded below by the execution base fee. */
  reservePrice: boolean;
}

const blobs = (target: bigint, max: bigint, updateFraction: bigint, reservePrice: boolean): BlobParams => ({
  target: target * GAS_PER_BLOB,
  max: max * GAS_PER_BLOB,
  updateFraction,
  reservePrice,
});

/** Blob parameters by fork name, in fork order. */
export const BLOB_SCHEDULE: Readonly<Record<string, BlobParams>> = {
  cancun: blobs(3n, 6n, 3338477n, false),
  prague: blobs(6n, 9n, 5007716n, false),
  osaka: blobs(6n, 9n, 5007716n, true),
  bpo1: blobs(10n, 15n, 8346193n, true),
  bpo2: blobs(14n, 21n, 11684671n, true),
};

/** Forks before Cancun have no blobs; a fork past the table keeps the last parameters known. */
const PRE_BLOB = new Set(['chainstart', 'frontier', 'homestead', 'dao', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople', 'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'mergeNetsplitBlock', 'paris', 'mergeForkIdTransition', 'shanghai']);

/**
 * Blob parameters of the fork this header belongs to; undefined before Cancun. `fork`: its name
 * from the network's schedule, when known.
 */
export function blobParams(h: BlockHeader, fork?: string): BlobParams | undefined {
  if (h.excessBlobGas === undefined) return undefined;
  if (fork !== undefined && !PRE_BLOB.has(fork)) return BLOB_SCHEDULE[fork] ?? BLOB_SCHEDULE.bpo2;
  return h.requestsHash !== undefined ? BLOB_SCHEDULE.prague : BLOB_SCHEDULE.cancun;
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
export function blobBaseFee(h: BlockHeader, fork?: string): bigint | undefined {
  const p = blobParams(h, fork);
  if (p === undefined || h.excessBlobGas === undefined) return undefined;
  return fakeExponential(1n, h.excessBlobGas, p.updateFraction);
}

/** EIP-4844 calc_excess_blob_gas of the block after `h`, with EIP-7918's rule from Osaka on. */
export function nextExcessBlobGas(h: BlockHeader, fork?: string): bigint | undefined {
  const p = blobParams(h, fork);
  if (p === undefined || h.excessBlobGas === undefined) return undefined;
  const used = h.blobGasUsed ?? 0n;
  if (h.excessBlobGas + used < p.target) return 0n;
  if (p.reservePrice && BLOB_BASE_COST * (h.baseFeePerGas ?? 0n) > GAS_PER_BLOB * fakeExponential(1n, h.excessBlobGas, p.updateFraction)) {
    return h.excessBlobGas + (used * (p.max - p.target)) / p.max;
  }
  return h.excessBlobGas + used - p.target;
}

/**
 * The blob base fee of the block after `h` (its fork's parameters assumed for that block too): what
 * eth_blobBaseFee answers, as anvil and reth do (geth answers the head's own).
 */
export function nextBlobBaseFee(h: BlockHeader, fork?: string): bigint | undefined {
  const p = blobParams(h, fork);
  const excess = nextExcessBlobGas(h, fork);
  if (p === undefined || excess === undefined) return undefined;
  return fakeExponential(1n, excess, p.updateFraction);
}

/** blobGasUsed / max blob gas of the block (0 when none). */
export function blobGasUsedRatio(h: BlockHeader, fork?: string): number | undefined {
  const p = blobParams(h, fork);
  if (p === undefined) return undefined;
  return Number(h.blobGasUsed ?? 0n) / Number(p.max);
}
