/**
 * Checked readers over decoded RLP. Every read of untrusted data in `wire` goes through these so
 * that a bad value becomes one ProtocolError naming the message and the field, never a TypeError.
 */
import { RLP } from '@ethereumjs/rlp';
import { ProtocolError } from './errors.js';
import { MAX_MESSAGE_SIZE } from './limits.js';

export type RlpItem = Uint8Array | RlpItem[];

/** Decode one whole RLP item (no trailing bytes) of at most MAX_MESSAGE_SIZE bytes. */
export function decodeRlp(data: Uint8Array, messageName: string): RlpItem {
  if (!(data instanceof Uint8Array)) {
    throw new ProtocolError('MALFORMED', messageName, 'payload', 'not a byte array');
  }
  if (data.length > MAX_MESSAGE_SIZE) {
    throw new ProtocolError('TOO_LARGE', messageName, 'payload', `${data.length} bytes exceeds ${MAX_MESSAGE_SIZE}`);
  }
  try {
    return RLP.decode(data) as RlpItem;
  } catch (cause) {
    throw new ProtocolError('MALFORMED', messageName, 'payload', `invalid RLP (${(cause as Error).message})`, { cause });
  }
}

export function encodeRlp(item: RlpItem): Uint8Array {
  return RLP.encode(item);
}

export interface ListShape {
  /** Exact number of items. */
  len?: number;
  min?: number;
  /** More items than this is a LIMIT error (a request over its per-request limit). */
  max?: number;
}

export function readList(item: RlpItem | undefined, msg: string, field: string, shape: ListShape = {}): RlpItem[] {
  if (!Array.isArray(item)) {
    throw new ProtocolError('MALFORMED', msg, field, item === undefined ? 'missing' : 'expected a list, got bytes');
  }
  if (shape.len !== undefined && item.length !== shape.len) {
    throw new ProtocolError('MALFORMED', msg, field, `expected ${shape.len} items, got ${item.length}`);
  }
  if (shape.min !== undefined && item.length < shape.min) {
    throw new ProtocolError('MALFORMED', msg, field, `expected at least ${shape.min} items, got ${item.length}`);
  }
  if (shape.max !== undefined && item.length > shape.max) {
    throw new ProtocolError('LIMIT', msg, field, `${item.length} items exceeds the limit of ${shape.max}`);
  }
  return item;
}

export function readBytes(
  item: RlpItem | undefined,
  msg: string,
  field: string,
  shape: { len?: number; max?: number } = {},
): Uint8Array {
  if (!(item instanceof Uint8Array)) {
    throw new ProtocolError('MALFORMED', msg, field, item === undefined ? 'missing' : 'expected bytes, got a list');
  }
  if (shape.len !== undefined && item.length !== shape.len) {
    throw new ProtocolError('MALFORMED', msg, field, `expected ${shape.len} bytes, got ${item.length}`);
  }
  if (shape.max !== undefined && item.length > shape.max) {
    throw new ProtocolError('MALFORMED', msg, field, `${item.length} bytes exceeds ${shape.max}`);
  }
  return item;
}

/** A canonical RLP unsigned integer (no leading zero byte) of at most `maxBytes` bytes. */
export function readBigUint(item: RlpItem | undefined, msg: string, field: string, maxBytes = 32): bigint {
  const b = readBytes(item, msg, field);
  if (b.length > maxBytes) {
    throw new ProtocolError('MALFORMED', msg, field, `integer of ${b.length} bytes exceeds ${maxBytes}`);
  }
  if (b.length > 0 && b[0] === 0) {
    throw new ProtocolError('MALFORMED', msg, field, 'integer has a leading zero byte');
  }
  let v = 0n;
  for (const byte of b) v = (v << 8n) | BigInt(byte);
  return v;
}

/** A canonical unsigned integer that fits a JS number exactly (≤ 2^53 − 1). */
export function readUint(item: RlpItem | undefined, msg: string, field: string): number {
  const v = readBigUint(item, msg, field, 8);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ProtocolError('MALFORMED', msg, field, `integer ${v} exceeds 2^53-1`);
  }
  return Number(v);
}

/** Minimal big-endian bytes of a non-negative integer (0 → empty), as RLP wants integers. */
export function encodeUint(value: number | bigint): Uint8Array {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`cannot encode negative integer ${v}`);
  if (v === 0n) return new Uint8Array(0);
  const out: number[] = [];
  while (v > 0n) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return Uint8Array.from(out.reverse());
}
