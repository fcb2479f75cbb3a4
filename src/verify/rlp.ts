/**
 * The checked RLP readers of `src/wire/rlp.ts`, rethrown as VerificationError: `verify` throws
 * nothing else (CONTRIBUTING). A ProtocolError from wire becomes BAD_ENCODING naming the same field.
 */
import { ProtocolError } from '../wire/errors.js';
import {
  type RlpBounds,
  type RlpItem,
  decodeNestedRlp,
  encodeRlp,
  readBigUint as wireBigUint,
  readBytes as wireBytes,
  readList as wireList,
  readUint as wireUint,
} from '../wire/rlp.js';
import { VerificationError } from './errors.js';

export type { RlpBounds, RlpItem };

function guard<T>(field: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (cause instanceof ProtocolError) {
      const at = cause.field ?? field;
      const detail = cause.message.slice(`verify.${at}: `.length);
      throw new VerificationError('BAD_ENCODING', at, detail, { cause });
    }
    throw cause;
  }
}

/**
 * Decode one whole canonical RLP item; trailing bytes or non-canonical lengths are refused. This is
 * wire's bounded decoder (items, depth, size): bytes from a server may be decoded here before any
 * hash binds them, so a bomb must fail fast instead of allocating. Callers that know the shape
 * pass tighter `bounds` (see HEADER_BOUNDS).
 */
export function decodeRlpItem(data: Uint8Array, field: string, bounds: RlpBounds = {}): RlpItem {
  if (!(data instanceof Uint8Array)) throw new VerificationError('BAD_ENCODING', field, 'not a byte array');
  return guard(field, () => decodeNestedRlp(data, 'verify', field, bounds));
}

/** Stack-safe for any list a decode can produce (wire's encoder; @ethereumjs/rlp's overflows past ~100k items). */
export function encodeRlpItem(item: RlpItem): Uint8Array {
  return encodeRlp(item);
}

export function readList(item: RlpItem | undefined, field: string, shape: { len?: number; min?: number; max?: number } = {}): RlpItem[] {
  return guard(field, () => wireList(item, 'verify', field, shape));
}

export function readBytes(item: RlpItem | undefined, field: string, shape: { len?: number; max?: number } = {}): Uint8Array {
  return guard(field, () => wireBytes(item, 'verify', field, shape));
}

export function readBigUint(item: RlpItem | undefined, field: string, maxBytes = 32): bigint {
  return guard(field, () => wireBigUint(item, 'verify', field, maxBytes));
}

export function readUint(item: RlpItem | undefined, field: string): number {
  return guard(field, () => wireUint(item, 'verify', field));
}

export { encodeUint } from '../wire/rlp.js';
