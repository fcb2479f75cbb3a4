/** The spec's Merkle branch checks (is_valid_merkle_branch and Electra's normalized form). */
import { sha256 } from 'ethereum-cryptography/sha256.js';
import { concatBytes, equalBytes } from '../../bytes.js';
import { floorlog2 } from './types.js';

export function isValidMerkleBranch(leaf: Uint8Array, branch: readonly Uint8Array[], depth: number, index: number, root: Uint8Array): boolean {
  if (branch.length !== depth) return false;
  let value = leaf;
  for (let i = 0; i < depth; i++) {
    const sibling = branch[i] as Uint8Array;
    value = Math.floor(index / 2 ** i) % 2 === 1 ? sha256(concatBytes(sibling, value)) : sha256(concatBytes(value, sibling));
  }
  return equalBytes(value, root);
}

/**
 * is_valid_normalized_merkle_branch: a branch may be longer than the gindex's depth (data of a
 * later fork's deeper state checked against an earlier gindex); the extra leading entries must be zero.
 */
export function isValidNormalizedMerkleBranch(leaf: Uint8Array, branch: readonly Uint8Array[], gindex: number, root: Uint8Array): boolean {
  const depth = floorlog2(gindex);
  const index = gindex % 2 ** depth;
  const extra = branch.length - depth;
  if (extra < 0) return false;
  for (let i = 0; i < extra; i++) if (!isZero(branch[i] as Uint8Array)) return false;
  return isValidMerkleBranch(leaf, branch.slice(extra), depth, index, root);
}

export function isZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

export const isZeroBranch = (branch: readonly Uint8Array[]): boolean => branch.every(isZero);
