/**
 * Checked readers for the hex strings of JSON-RPC answers (and of dumps and genesis files, which
 * use the same notation). Every read names its field; a bad value becomes the caller's typed error.
 */

/** Builds the error a reader throws: `field` is a path such as `accounts[0x..].balance`. */
export type HexFail = (field: string, detail: string) => Error;

const HEX = /^0x[0-9a-fA-F]*$/;

/** A 0x-prefixed hex string of whole bytes (`len` bytes exactly if given). */
export function readHexData(value: unknown, field: string, fail: HexFail, len?: number): Uint8Array {
  if (typeof value !== 'string' || !HEX.test(value)) throw fail(field, `expected 0x-prefixed hex, got ${preview(value)}`);
  if (value.length % 2 !== 0) throw fail(field, 'odd number of hex digits');
  const out = new Uint8Array(Buffer.from(value.slice(2), 'hex'));
  if (len !== undefined && out.length !== len) throw fail(field, `expected ${len} bytes, got ${out.length}`);
  return out;
}

/**
 * An unsigned integer: a 0x-hex quantity (leading zeros tolerated: dumps pad storage values), a
 * JSON number that is a safe integer, or — when `decimal` — a decimal string (genesis files).
 */
export function readQuantity(value: unknown, field: string, fail: HexFail, opts: { decimal?: boolean; maxBits?: number } = {}): bigint {
  let v: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw fail(field, `expected a non-negative safe integer, got ${value}`);
    v = BigInt(value);
  } else if (typeof value === 'string' && /^0x[0-9a-fA-F]{1,80}$/.test(value)) {
    v = BigInt(value);
  } else if (typeof value === 'string' && opts.decimal === true && /^[0-9]{1,80}$/.test(value)) {
    v = BigInt(value);
  } else {
    throw fail(field, `expected a quantity, got ${preview(value)}`);
  }
  const maxBits = opts.maxBits ?? 256;
  if (v >> BigInt(maxBits) !== 0n) throw fail(field, `quantity exceeds ${maxBits} bits`);
  return v;
}

/** A quantity that fits a JS number exactly (block numbers, timestamps, indexes). */
export function readSafeNumber(value: unknown, field: string, fail: HexFail): number {
  const v = readQuantity(value, field, fail, { maxBits: 64 });
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw fail(field, `${v} exceeds 2^53-1`);
  return Number(v);
}

export function readObject(value: unknown, field: string, fail: HexFail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(field, `expected an object, got ${preview(value)}`);
  return value as Record<string, unknown>;
}

export function readArray(value: unknown, field: string, fail: HexFail): unknown[] {
  if (!Array.isArray(value)) throw fail(field, `expected an array, got ${preview(value)}`);
  return value;
}

export function toHex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`;
}

export function quantityHex(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

function preview(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : value === undefined ? 'nothing' : JSON.stringify(value) ?? String(value);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
