/**
 * Checkpoints and checkpoint-oracle signatures (DESIGN §4). A checkpoint's hash is
 * keccak256(BE64(sectionIndex) ‖ sectionHead ‖ chtRoot ‖ bloomTrieRoot). Oracle signers sign the
 * EIP-191 version-0 digest keccak256(0x19 ‖ 0x00 ‖ oracleAddress ‖ BE64(index) ‖ checkpointHash),
 * and a checkpoint is trusted once `threshold` distinct trusted signers have signed it.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { concatBytes, equalBytes, hex0x, requireBytes, uintBE } from './bytes.js';
import { VerificationError } from './errors.js';
import { publicKeyToAddress, recoverPublicKey, signDigest } from './signature.js';

export interface Checkpoint {
  sectionIndex: number;
  sectionHead: Uint8Array;
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

export function checkpointHash(c: Checkpoint): Uint8Array {
  return keccak256(
    concatBytes(
      uintBE(c.sectionIndex, 8),
      requireBytes(c.sectionHead, 32, 'checkpoint.sectionHead'),
      requireBytes(c.chtRoot, 32, 'checkpoint.chtRoot'),
      requireBytes(c.bloomTrieRoot, 32, 'checkpoint.bloomTrieRoot'),
    ),
  );
}

/** The digest an oracle signer signs for checkpoint `index`. */
export function oracleSigningDigest(oracleAddress: Uint8Array, index: number, hash: Uint8Array): Uint8Array {
  return keccak256(
    concatBytes(
      Uint8Array.of(0x19, 0x00),
      requireBytes(oracleAddress, 20, 'oracleAddress'),
      uintBE(index, 8),
      requireBytes(hash, 32, 'checkpointHash'),
    ),
  );
}

/** A signer's 65-byte signature [r ‖ s ‖ v] with v = 27/28, as the oracle contract takes it. */
export function signCheckpoint(privateKey: Uint8Array, oracleAddress: Uint8Array, index: number, hash: Uint8Array): Uint8Array {
  return signDigest(privateKey, oracleSigningDigest(oracleAddress, index, hash), 27);
}

/**
 * Recovers every signature (a malformed or unrecoverable one is BAD_SIGNATURE), counts the
 * distinct signers among `trustedSigners`, and returns them; fewer than `threshold` is
 * THRESHOLD_NOT_MET. Untrusted and repeated signers do not count.
 */
export function verifyOracleSignatures(
  oracleAddress: Uint8Array,
  index: number,
  hash: Uint8Array,
  signatures: readonly Uint8Array[],
  trustedSigners: readonly Uint8Array[],
  threshold: number,
): Uint8Array[] {
  if (!Number.isInteger(threshold) || threshold < 1) throw new RangeError(`threshold ${threshold} must be at least 1`);
  const digest = oracleSigningDigest(oracleAddress, index, hash);
  const signers: Uint8Array[] = [];
  signatures.forEach((sig, i) => {
    const address = publicKeyToAddress(recoverPublicKey(digest, sig, `signatures[${i}]`));
    const trusted = trustedSigners.some((t) => equalBytes(t, address));
    if (trusted && !signers.some((s) => equalBytes(s, address))) signers.push(address);
  });
  if (signers.length < threshold) {
    throw new VerificationError(
      'THRESHOLD_NOT_MET',
      'signatures',
      `${signers.length} distinct trusted signer(s) of checkpoint ${index} (${hex0x(hash)}), need ${threshold}`,
    );
  }
  return signers;
}
