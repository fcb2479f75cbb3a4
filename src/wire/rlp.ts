/**
 * Checked readers over decoded RLP. Every read of untrusted data in `wire` goes through these so
 * that a bad value becomes one ProtocolError naming the message and the field, never a TypeError.
 */
import { ProtocolError } from './errors.js';
import { MAX_MESSAGE_SIZE } from './limits.js';

export type RlpItem = Uint8Array | RlpItem[];

/**
 * Lists nested deeper than this are refused. No LES message nests past ~8 (a legacy receipt's topics
 * inside Receipts); the cap keeps the decoder's recursion, and every later walk, bounded.
 */
export const MAX_RLP_DEPTH = 64;

/**
 * Items (strings and lists) one message may hold. Real replies stay far below: a reply stops
 * growing at the soft size (2 MiB), and even one block of gas-limit log spam is ~300k items.
 * Without a cap, 10 MiB of single bytes is 10 million objects (~2.5 GB).
 */
export const MAX_RLP_ITEMS = 1 << 19;

/**
 * Bounds of one decode. The defaults fit any LES message; a caller that knows its shape (a header,
 * an account) passes tighter ones, so bytes that are not yet hash-checked cost at most that much.
 */
export interface RlpBounds {
  /** Largest input, in bytes. */
  maxBytes?: number;
  /** Most items (strings and lists, the outer one included). */
  maxItems?: number;
  /** Most levels of lists: 1 allows a flat list, 0 only a byte string. */
  maxDepth?: number;
}

/**
 * Decode one whole RLP item (no trailing bytes) of at most MAX_MESSAGE_SIZE bytes.
 * Our own decoder rather than @ethereumjs/rlp's: that one copies every list's content at every
 * level (O(size × depth)) and has no item budget; a hostile 10 MiB payload cost 13 s and 2.5 GB
 * there. Same canonical-form rules; byte strings are fresh copies, as before. An empty input
 * decodes to the empty string, as @ethereumjs/rlp did.
 */
export function decodeRlp(data: Uint8Array, messageName: string, bounds: RlpBounds = {}): RlpItem {
  if (!(data instanceof Uint8Array)) {
    throw new ProtocolError('MALFORMED', messageName, 'payload', 'not a byte array');
  }
  if (data.length === 0) return new Uint8Array(0);
  return decodeWhole(data, messageName, 'payload', bounds);
}

/** Decode RLP nested inside a byte string of a message (e.g. TxStatus data), naming that field. */
export function decodeNestedRlp(data: Uint8Array, messageName: string, field: string, bounds: RlpBounds = {}): RlpItem {
  if (!(data instanceof Uint8Array)) throw new ProtocolError('MALFORMED', messageName, field, 'not a byte array');
  if (data.length === 0) throw new ProtocolError('MALFORMED', messageName, field, 'empty, expected RLP');
  return decodeWhole(data, messageName, field, bounds);
}

/**
 * The first `count` items of the RLP list `data` (fewer if the list is shorter), without
 * decoding the rest: a reply's reqID is read this way before anything else is spent on it. The
 * list's declared length must be exactly the input's (`total`, when `data` is only the message's
 * first bytes); the rest is not validated here. The items read share one small budget
 * (`maxItems`, default 256), so a list where a scalar belongs is cheap.
 */
export function decodeListPrefix(
  data: Uint8Array,
  messageName: string,
  count: number,
  bounds: RlpBounds = {},
  total: number = data.length,
): RlpItem[] {
  if (!(data instanceof Uint8Array)) throw new ProtocolError('MALFORMED', messageName, 'payload', 'not a byte array');
  if (total > MAX_MESSAGE_SIZE) {
    throw new ProtocolError('TOO_LARGE', messageName, 'payload', `${total} bytes exceeds ${MAX_MESSAGE_SIZE}`);
  }
  const maxItems = Math.min(bounds.maxItems ?? 256, MAX_RLP_ITEMS);
  const maxDepth = Math.min(bounds.maxDepth ?? MAX_RLP_DEPTH, MAX_RLP_DEPTH);
  const cur: Cursor = { pos: 0, items: 0, msg: messageName, field: 'payload', maxItems, maxDepth, dry: false };
  const b0 = data[0];
  if (b0 === undefined || b0 < 0xc0) bad(cur, 'not a list');
  const start = b0 < 0xf8 ? 1 : 1 + (b0 - 0xf7);
  const len = b0 < 0xf8 ? b0 - 0xc0 : readLength(data, cur, 1, b0 - 0xf7, data.length);
  if (start + len !== total) bad(cur, `list declares ${start + len} bytes, have ${total}`);
  const out: RlpItem[] = [];
  cur.pos = start;
  while (out.length < count && cur.pos < total) out.push(readItem(data, cur, data.length, 1));
  return out;
}

function decodeWhole(data: Uint8Array, msg: string, field: string, bounds: RlpBounds): RlpItem {
  const maxBytes = Math.min(bounds.maxBytes ?? MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE);
  if (data.length > maxBytes) throw new ProtocolError('TOO_LARGE', msg, field, `${data.length} bytes exceeds ${maxBytes}`);
  const maxItems = Math.min(bounds.maxItems ?? MAX_RLP_ITEMS, MAX_RLP_ITEMS);
  const maxDepth = Math.min(bounds.maxDepth ?? MAX_RLP_DEPTH, MAX_RLP_DEPTH);
  // A first pass checks everything and allocates nothing: a bomb is refused before it costs
  // memory (a 4M-item list otherwise held ~150 MB of slices when the item cap was reached).
  const scan: Cursor = { pos: 0, items: 0, msg, field, maxItems, maxDepth, dry: true };
  readItem(data, scan, data.length, 0);
  if (scan.pos !== data.length) {
    throw new ProtocolError('MALFORMED', msg, field, `invalid RLP (${data.length - scan.pos} trailing bytes)`);
  }
  return readItem(data, { pos: 0, items: 0, msg, field, maxItems, maxDepth, dry: false }, data.length, 0);
}

interface Cursor {
  pos: number;
  items: number;
  readonly msg: string;
  readonly field: string;
  readonly maxItems: number;
  readonly maxDepth: number;
  /** Check only: build no items. */
  readonly dry: boolean;
}

const SCANNED: RlpItem = new Uint8Array(0);

function bad(cur: Cursor, detail: string): never {
  throw new ProtocolError('MALFORMED', cur.msg, cur.field, `invalid RLP (${detail})`);
}

/** Big-endian length of `n` bytes at `at`; canonical (no leading zero, and only when > 55). */
function readLength(buf: Uint8Array, cur: Cursor, at: number, n: number, end: number): number {
  if (at + n > end) bad(cur, 'length runs past the end');
  if (buf[at] === 0) bad(cur, 'length has a leading zero');
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + (buf[at + i] as number);
  if (len <= 55) bad(cur, 'long form for a length under 56');
  return len;
}

function readItem(buf: Uint8Array, cur: Cursor, end: number, depth: number): RlpItem {
  if (++cur.items > cur.maxItems) {
    throw new ProtocolError('TOO_LARGE', cur.msg, cur.field, `more than ${cur.maxItems} RLP items`);
  }
  const at = cur.pos;
  const b0 = buf[at] as number;
  if (b0 < 0x80) {
    cur.pos = at + 1;
    return cur.dry ? SCANNED : buf.slice(at, at + 1);
  }
  let start: number;
  let len: number;
  if (b0 < 0xb8) {
    start = at + 1;
    len = b0 - 0x80;
    if (len === 1 && start < end && (buf[start] as number) < 0x80) bad(cur, 'single byte below 0x80 with a prefix');
  } else if (b0 < 0xc0) {
    start = at + 1 + (b0 - 0xb7);
    len = readLength(buf, cur, at + 1, b0 - 0xb7, end);
  } else if (b0 < 0xf8) {
    start = at + 1;
    len = b0 - 0xc0;
  } else {
    start = at + 1 + (b0 - 0xf7);
    len = readLength(buf, cur, at + 1, b0 - 0xf7, end);
  }
  const stop = start + len;
  if (stop > end) bad(cur, 'item runs past the end of its container');
  if (b0 < 0xc0) {
    cur.pos = stop;
    return cur.dry ? SCANNED : buf.slice(start, stop);
  }
  if (depth >= cur.maxDepth) {
    throw new ProtocolError('MALFORMED', cur.msg, cur.field, `RLP nested deeper than ${cur.maxDepth}`);
  }
  cur.pos = start;
  if (cur.dry) {
    while (cur.pos < stop) readItem(buf, cur, stop, depth + 1);
    return SCANNED;
  }
  const list: RlpItem[] = [];
  while (cur.pos < stop) list.push(readItem(buf, cur, stop, depth + 1));
  return list;
}

/**
 * RLP encoding in two passes (measure, then write into one buffer). Not @ethereumjs/rlp's
 * encode: it spreads a list's children into one call and overflows the stack past ~100k items,
 * which a decoded hostile list can reach.
 */
export function encodeRlp(item: RlpItem): Uint8Array {
  const listLengths: number[] = [];
  const out = new Uint8Array(measure(item, listLengths));
  write(item, out, { pos: 0, list: 0 }, listLengths);
  return out;
}

function headLength(len: number): number {
  let n = 1;
  if (len >= 56) for (let v = len; v > 0; v = Math.floor(v / 256)) n++;
  return n;
}

/** Encoded size of `item`; records each list's payload size in pre-order for `write`. */
function measure(item: RlpItem, listLengths: number[]): number {
  if (item instanceof Uint8Array) {
    return item.length === 1 && (item[0] as number) < 0x80 ? 1 : headLength(item.length) + item.length;
  }
  if (!Array.isArray(item)) throw new TypeError('an RLP item is a Uint8Array or an array of items');
  const slot = listLengths.length;
  listLengths.push(0);
  let len = 0;
  for (const child of item) len += measure(child, listLengths);
  listLengths[slot] = len;
  return headLength(len) + len;
}

function writeHead(out: Uint8Array, at: number, len: number, offset: 0x80 | 0xc0): number {
  const n = headLength(len);
  if (n === 1) {
    out[at] = offset + len;
    return at + 1;
  }
  out[at] = offset + 55 + (n - 1);
  for (let i = n - 1, v = len; i >= 1; i--, v = Math.floor(v / 256)) out[at + i] = v % 256;
  return at + n;
}

function write(item: RlpItem, out: Uint8Array, cur: { pos: number; list: number }, listLengths: number[]): void {
  if (item instanceof Uint8Array) {
    if (item.length === 1 && (item[0] as number) < 0x80) {
      out[cur.pos++] = item[0] as number;
      return;
    }
    cur.pos = writeHead(out, cur.pos, item.length, 0x80);
    out.set(item, cur.pos);
    cur.pos += item.length;
    return;
  }
  cur.pos = writeHead(out, cur.pos, listLengths[cur.list++] as number, 0xc0);
  for (const child of item) write(child, out, cur, listLengths);
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

/** The RLP prefix of a string (offset 0x80) or list (offset 0xc0) whose content is `len` bytes. */
function prefix(len: number, offset: 0x80 | 0xc0): Uint8Array {
  const out = new Uint8Array(headLength(len));
  writeHead(out, 0, len, offset);
  return out;
}

/**
 * A list whose items are given already RLP-encoded, embedded as they are: one allocation and
 * no re-encoding, for replies that carry many header or trie-node encodings.
 */
export function encodeRawList(encodings: readonly Uint8Array[]): Uint8Array {
  let len = 0;
  for (const e of encodings) len += e.length;
  const head = prefix(len, 0xc0);
  const out = new Uint8Array(head.length + len);
  out.set(head, 0);
  let at = head.length;
  for (const e of encodings) {
    out.set(e, at);
    at += e.length;
  }
  return out;
}

/** The RLP encoding of a byte string. */
export function encodeRlpBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && (bytes[0] as number) < 0x80) return bytes.slice();
  const head = prefix(bytes.length, 0x80);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head, 0);
  out.set(bytes, head.length);
  return out;
}

/**
 * Checks, in O(1), that `enc` is one RLP list whose prefix declares exactly its length, before an
 * encoder embeds it raw: a wrong encoding would shift every later item of the message.
 */
export function checkListEncoding(enc: Uint8Array, msg: string, field: string): void {
  const b0 = enc[0];
  if (b0 === undefined || b0 < 0xc0) throw new ProtocolError('MALFORMED', msg, field, 'not an RLP list encoding');
  let len = b0 - 0xc0;
  let head = 1;
  if (b0 >= 0xf8) {
    head = 1 + (b0 - 0xf7);
    len = 0;
    for (let i = 1; i < head; i++) len = len * 256 + (enc[i] ?? 0);
  }
  if (head + len !== enc.length) {
    throw new ProtocolError('MALFORMED', msg, field, `list prefix declares ${head + len} bytes, have ${enc.length}`);
  }
}

/** A list of byte strings, each optionally of an exact length; more than `max` is a LIMIT error. */
export function readBytesList(
  item: RlpItem | undefined,
  msg: string,
  field: string,
  shape: { max?: number; len?: number } = {},
): Uint8Array[] {
  const list = readList(item, msg, field, shape.max === undefined ? {} : { max: shape.max });
  const len = shape.len === undefined ? {} : { len: shape.len };
  return list.map((b, i) => readBytes(b, msg, `${field}[${i}]`, len));
}
