/**
 * Nibble paths and the hex-prefix (compact) encoding of Merkle-Patricia trie node paths:
 * first nibble = 2·isLeaf + isOdd; an even path adds a zero nibble so the whole is bytes.
 */
import { VerificationError } from './errors.js';

export function bytesToNibbles(b: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length * 2);
  for (let i = 0; i < b.length; i++) {
    const x = b[i] as number;
    out[2 * i] = x >> 4;
    out[2 * i + 1] = x & 15;
  }
  return out;
}

export function hexPrefixEncode(nibbles: Uint8Array, leaf: boolean): Uint8Array {
  const odd = nibbles.length & 1;
  const out = new Uint8Array((nibbles.length >> 1) + 1);
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let n = 0;
  if (odd) out[0] |= nibbles[n++] as number;
  for (let i = 1; i < out.length; i++) out[i] = ((nibbles[n++] as number) << 4) | (nibbles[n++] as number);
  return out;
}

/** Decode a node path; refuses flags above 3 and a non-zero pad nibble of an even path. */
export function hexPrefixDecode(encoded: Uint8Array, field: string): { nibbles: Uint8Array; leaf: boolean } {
  const first = encoded[0];
  if (first === undefined) throw new VerificationError('BAD_PROOF', field, 'empty node path');
  const flag = first >> 4;
  if (flag > 3) throw new VerificationError('BAD_PROOF', field, `node path flag ${flag} is not 0..3`);
  const odd = flag & 1;
  if (!odd && (first & 15) !== 0) throw new VerificationError('BAD_PROOF', field, 'even node path with a non-zero pad nibble');
  const nibbles = new Uint8Array((encoded.length - 1) * 2 + odd);
  let n = 0;
  if (odd) nibbles[n++] = first & 15;
  for (let i = 1; i < encoded.length; i++) {
    const x = encoded[i] as number;
    nibbles[n++] = x >> 4;
    nibbles[n++] = x & 15;
  }
  return { nibbles, leaf: flag >= 2 };
}
