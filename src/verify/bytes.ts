/**
 * Small byte helpers shared by the verifiers: equality, hex (for map keys and messages),
 * fixed-width big-endian integers. No I/O, no allocation beyond the result.
 */
import { VerificationError } from './errors.js';

export { concatBytes, equalBytes, hex0x, toHex } from '../bytes.js';

/** `width`-byte big-endian encoding of a non-negative integer that fits. */
export function uintBE(value: number | bigint, width: number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * width)) {
    throw new RangeError(`${value} does not fit in ${width} bytes`);
  }
  const out = new Uint8Array(width);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}


/** Require a Uint8Array of exactly `len` bytes from a caller (not from the wire). */
export function requireBytes(b: unknown, len: number, field: string): Uint8Array {
  if (!(b instanceof Uint8Array) || b.length !== len) {
    const got = b instanceof Uint8Array ? `${b.length} bytes` : typeof b;
    throw new VerificationError('BAD_ENCODING', field, `expected ${len} bytes, got ${got}`);
  }
  return b;
}
