/**
 * Small byte helpers shared by the verifiers: equality, hex (for map keys and messages),
 * fixed-width big-endian integers. No I/O, no allocation beyond the result.
 */
import { VerificationError } from './errors.js';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex without 0x; fast enough to key Maps by node hash. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] as number];
  return s;
}

export function hex0x(b: Uint8Array): string {
  return `0x${toHex(b)}`;
}

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

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
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
