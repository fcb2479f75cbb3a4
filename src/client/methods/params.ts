/**
 * Validators for hostile JSON-RPC params. Each reads one value and either returns it typed or
 * throws InvalidParamsError (-32602) naming the param. Shapes follow the execution-apis spec as
 * go-ethereum reads it: quantities are 0x-hex without leading zeros, data is 0x-hex of whole
 * bytes, addresses 20 bytes, hashes 32 bytes; block params are a tag, a number, a hash, or an
 * EIP-1898 object.
 */
import { InvalidParamsError } from './errors.js';

/** One positional parameter of a method. */
export interface Param<T> {
  readonly name: string;
  readonly optional?: boolean;
  parse(value: unknown, field: string): T;
}

export type BlockTag = 'latest' | 'pending' | 'safe' | 'finalized' | 'earliest';
const TAGS: ReadonlySet<string> = new Set(['latest', 'pending', 'safe', 'finalized', 'earliest']);

/** A block by tag or number (what `eth_getBlockByNumber` takes). */
export type BlockNumberRef = { kind: 'tag'; tag: BlockTag } | { kind: 'number'; number: number };
/** Any block param: also a hash (EIP-1898: with requireCanonical). */
export type BlockRef = BlockNumberRef | { kind: 'hash'; hash: Uint8Array; requireCanonical: boolean };

/** Most bytes a data param may carry (a blob transaction with its sidecar fits). */
export const MAX_DATA_BYTES = 2 * 1024 * 1024;

const HEX_DATA = /^0x(?:[0-9a-fA-F]{2})*$/;
const HEX_QUANTITY = /^0x(?:0|[1-9a-fA-F][0-9a-fA-F]*)$/;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (typeof v === 'string') return `"${v.length > 24 ? `${v.slice(0, 24)}…` : v}"`;
  const s = preview(v, PREVIEW_DEPTH);
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}

const PREVIEW_DEPTH = 3;
const PREVIEW_CHARS = 40;

/**
 * About JSON.stringify(v), for an error message: at most `depth` levels and about PREVIEW_CHARS
 * characters are looked at, so a deep, huge or cyclic value from a caller costs nothing (and
 * never overflows the stack), and a bigint or function does not throw.
 */
function preview(v: unknown, depth: number): string {
  if (typeof v === 'string') return JSON.stringify(v.length > PREVIEW_CHARS ? v.slice(0, PREVIEW_CHARS) : v);
  if (typeof v !== 'object' || v === null) return typeof v === 'function' ? 'a function' : String(v);
  if (depth === 0) return Array.isArray(v) ? '[…]' : '{…}';
  const parts: string[] = [];
  let length = 0;
  const add = (text: string): boolean => {
    parts.push(text);
    length += text.length + 1;
    return length <= PREVIEW_CHARS;
  };
  if (Array.isArray(v)) {
    for (const item of v) if (!add(preview(item, depth - 1))) break;
    return `[${parts.join(',')}]`;
  }
  for (const key in v) {
    if (!Object.hasOwn(v, key)) continue;
    if (!add(`${JSON.stringify(key.slice(0, PREVIEW_CHARS))}:${preview((v as Record<string, unknown>)[key], depth - 1)}`)) break;
  }
  return `{${parts.join(',')}}`;
}

export function hexToBytes(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.slice(2), 'hex'));
}

/** 0x-hex bytes; exactly `len` bytes when given. */
export function parseData(v: unknown, field: string, len?: number, max = MAX_DATA_BYTES): Uint8Array {
  if (typeof v !== 'string' || !HEX_DATA.test(v)) throw new InvalidParamsError(field, `expected 0x-prefixed hex bytes, got ${describe(v)}`);
  const n = (v.length - 2) / 2;
  if (len !== undefined && n !== len) throw new InvalidParamsError(field, `expected ${len} bytes, got ${n}`);
  if (n > max) throw new InvalidParamsError(field, `${n} bytes, more than ${max}`);
  return hexToBytes(v);
}

/** A 0x-hex quantity of at most `maxBits` bits, no leading zeros. */
export function parseQuantity(v: unknown, field: string, maxBits = 256): bigint {
  if (typeof v !== 'string' || !HEX_QUANTITY.test(v)) {
    throw new InvalidParamsError(field, `expected a 0x-hex quantity without leading zeros, got ${describe(v)}`);
  }
  if (v.length - 2 > Math.ceil(maxBits / 4)) throw new InvalidParamsError(field, `exceeds ${maxBits} bits`);
  const q = BigInt(v);
  if (q >> BigInt(maxBits) !== 0n) throw new InvalidParamsError(field, `exceeds ${maxBits} bits`);
  return q;
}

/** A quantity that is a safe JS integer (block numbers, indexes). */
export function parseIndex(v: unknown, field: string): number {
  const q = parseQuantity(v, field, 64);
  if (q > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidParamsError(field, 'exceeds 2^53-1');
  return Number(q);
}

function parseTagOrNumber(v: unknown, field: string): BlockNumberRef | undefined {
  if (typeof v !== 'string') return undefined;
  if (TAGS.has(v)) return { kind: 'tag', tag: v as BlockTag };
  if (v.startsWith('0x') && v.length <= 18) return { kind: 'number', number: parseIndex(v, field) };
  return undefined;
}

export function parseBlockNumberRef(v: unknown, field: string): BlockNumberRef {
  const ref = parseTagOrNumber(v, field);
  if (ref === undefined) throw new InvalidParamsError(field, `expected a block number or one of ${[...TAGS].join(', ')}, got ${describe(v)}`);
  return ref;
}

function checkKeys(o: Record<string, unknown>, allowed: readonly string[], field: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new InvalidParamsError(`${field}.${k}`, 'unknown field');
}

export function parseObject(v: unknown, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new InvalidParamsError(field, `expected a JSON object, got ${describe(v)}`);
  return v as Record<string, unknown>;
}

/** Tag, number, 32-byte hash, or EIP-1898 `{blockNumber}` / `{blockHash, requireCanonical?}`. */
export function parseBlockRef(v: unknown, field: string): BlockRef {
  const simple = parseTagOrNumber(v, field);
  if (simple !== undefined) return simple;
  if (typeof v === 'string' && v.length === 66) return { kind: 'hash', hash: parseData(v, field, 32), requireCanonical: false };
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    checkKeys(o, ['blockNumber', 'blockHash', 'requireCanonical'], field);
    if (o.blockHash !== undefined && o.blockNumber !== undefined) throw new InvalidParamsError(field, 'both blockHash and blockNumber');
    if (o.blockNumber !== undefined) {
      if (o.requireCanonical !== undefined) throw new InvalidParamsError(`${field}.requireCanonical`, 'only with blockHash');
      return parseBlockNumberRef(o.blockNumber, `${field}.blockNumber`);
    }
    if (o.blockHash !== undefined) {
      const requireCanonical = o.requireCanonical === undefined ? false : parseBool(o.requireCanonical, `${field}.requireCanonical`);
      return { kind: 'hash', hash: parseData(o.blockHash, `${field}.blockHash`, 32), requireCanonical };
    }
    throw new InvalidParamsError(field, 'expected blockNumber or blockHash');
  }
  throw new InvalidParamsError(field, `expected a block number, tag, hash or {blockNumber | blockHash}, got ${describe(v)}`);
}

export function parseBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw new InvalidParamsError(field, `expected true or false, got ${describe(v)}`);
  return v;
}

/** A storage slot: 0x-hex of up to 32 bytes (geth accepts short keys and left-pads them). */
export function parseSlot(v: unknown, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(v)) {
    throw new InvalidParamsError(field, `expected 0x-hex of at most 32 bytes, got ${describe(v)}`);
  }
  return hexToBytes(`0x${v.slice(2).padStart(64, '0')}`);
}

export function parseArray(v: unknown, field: string, max: number): unknown[] {
  if (!Array.isArray(v)) throw new InvalidParamsError(field, `expected an array, got ${describe(v)}`);
  if (v.length > max) throw new InvalidParamsError(field, `${v.length} items, more than ${max}`);
  return v;
}

/** `eth_feeHistory` blockCount: a hex quantity or (as geth also takes) a JSON integer. */
export function parseBlockCount(v: unknown, field: string, max: number): number {
  const n = typeof v === 'number' ? v : parseIndex(v, field);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidParamsError(field, `expected a non-negative integer, got ${describe(v)}`);
  if (n > max) throw new InvalidParamsError(field, `${n} blocks, more than ${max}`);
  return n;
}

/** `eth_feeHistory` rewardPercentiles: at most 100 numbers in [0, 100], non-decreasing. */
export function parsePercentiles(v: unknown, field: string): number[] {
  const list = parseArray(v, field, 100);
  let last = 0;
  return list.map((p, i) => {
    if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 100) throw new InvalidParamsError(`${field}[${i}]`, `expected a number in [0, 100], got ${describe(p)}`);
    if (p < last) throw new InvalidParamsError(`${field}[${i}]`, 'percentiles must not decrease');
    last = p;
    return p;
  });
}

// --- Param builders (used by the method tables) ----------------------------------------------

const param = <T>(name: string, parse: (v: unknown, field: string) => T, optional = false): Param<T> => ({ name, parse, optional });

export const P = {
  address: (name = 'address') => param(name, (v, f) => parseData(v, f, 20)),
  hash: (name: string) => param(name, (v, f) => parseData(v, f, 32)),
  data: (name: string) => param(name, (v, f) => parseData(v, f)),
  index: (name: string) => param(name, parseIndex),
  bool: (name: string) => param(name, parseBool),
  slot: (name = 'slot') => param(name, parseSlot),
  block: (name = 'block') => param(name, parseBlockRef),
  blockNumber: (name = 'block') => param(name, parseBlockNumberRef),
  /** Anything: the method (or its injected handler) checks it. */
  any: (name: string, optional = false) => param(name, (v) => v, optional),
  custom: param,
};

/** Checks an `eth_getLogs`/filter object's keys; the rest is read in logs.ts. */
export function checkFilterKeys(o: Record<string, unknown>, field: string): void {
  checkKeys(o, ['fromBlock', 'toBlock', 'blockHash', 'address', 'topics'], field);
}
