/**
 * Byte helpers every layer uses: equality, ordering, concatenation, hex. Pure; no dependencies.
 * (Before this file each layer kept its own copies.)
 */

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order, shorter first on a common prefix (LevelDB's key order). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
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

/**
 * Bytes of a hex string (optional 0x; an odd length gets a leading zero). Callers validate input;
 * like Node's Buffer.from(hex, 'hex') it stops at the first pair that is not hex. No Buffer, so
 * it runs in a browser too.
 */
export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith('0x') ? hex.slice(2) : hex;
  const even = clean.length % 2 === 0 ? clean : `0${clean}`;
  const out = new Uint8Array(even.length / 2);
  for (let i = 0; i < out.length; i++) {
    const pair = even.slice(2 * i, 2 * i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) return out.slice(0, i);
    out[i] = parseInt(pair, 16);
  }
  return out;
}
