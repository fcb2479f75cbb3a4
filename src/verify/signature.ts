/**
 * secp256k1 recoverable signatures as 65 bytes [r ‖ s ‖ v]. v is the recovery id, 0/1 (the node
 * key's form, as go-ethereum's crypto.Sign writes it) or 27/28 (the form ecrecover and the
 * checkpoint oracle contract take); both are read.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { VerificationError } from './errors.js';

/** Sign a 32-byte digest; `v` is 0/1 unless `vOffset` (27 for ecrecover's form) is given. */
export function signDigest(privateKey: Uint8Array, digest: Uint8Array, vOffset = 0): Uint8Array {
  const sig = secp256k1.sign(digest, privateKey, { lowS: true });
  const out = new Uint8Array(65);
  out.set(sig.toCompactRawBytes(), 0);
  out[64] = sig.recovery + vOffset;
  return out;
}

/** The 64-byte public key (uncompressed, without the 0x04 prefix) that signed `digest`. */
export function recoverPublicKey(digest: Uint8Array, signature: Uint8Array, field: string): Uint8Array {
  if (!(signature instanceof Uint8Array) || signature.length !== 65) {
    throw new VerificationError('BAD_SIGNATURE', field, `expected 65 bytes, got ${signature instanceof Uint8Array ? signature.length : typeof signature}`);
  }
  const v = signature[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) throw new VerificationError('BAD_SIGNATURE', field, `recovery byte ${v} is not 0, 1, 27 or 28`);
  try {
    const sig = secp256k1.Signature.fromCompact(signature.subarray(0, 64)).addRecoveryBit(recovery);
    return sig.recoverPublicKey(digest).toRawBytes(false).subarray(1);
  } catch (cause) {
    throw new VerificationError('BAD_SIGNATURE', field, `does not recover a public key (${(cause as Error).message})`, { cause });
  }
}

/** The Ethereum address of a 64-byte public key. */
export function publicKeyToAddress(publicKey: Uint8Array): Uint8Array {
  return keccak256(publicKey).subarray(12);
}

/** The 64-byte public key (without 0x04) of a private key: a node ID in devp2p terms. */
export function publicKeyOf(privateKey: Uint8Array): Uint8Array {
  return secp256k1.getPublicKey(privateKey, false).subarray(1);
}
