/**
 * JSON-RPC result encodings, as go-ethereum writes them: quantities are 0x-hex without leading
 * zeros ("0x0" for zero), data is 0x-hex of the bytes, addresses lower-case.
 */
import { hex0x } from '../../verify/bytes.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function qty(v: bigint | number): string {
  return `0x${v.toString(16)}`;
}

export function data(b: Uint8Array): string {
  return hex0x(b);
}

/** A 0x-hex string of any width (e.g. an ethers signature's r) as a quantity. */
export function hexQty(h: string): string {
  return qty(BigInt(h));
}

/** A 32-byte word of a bigint (eth_getStorageAt). */
export function word(v: bigint): string {
  return `0x${v.toString(16).padStart(64, '0')}`;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
