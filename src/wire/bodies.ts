/**
 * GetBlockBodies (0x04) `[reqID, [hash, ...]]` and BlockBodies (0x05) `[reqID, BV, [body, ...]]`,
 * a body being `[transactions, uncles]` or, since Shanghai, `[transactions, uncles, withdrawals]`.
 * Transactions are held in canonical binary form (tx.ts), uncles and withdrawals as the RLP
 * encodings of their lists; src/verify checks them against the header's roots.
 */
import { Code } from './codes.js';
import {
  checkCount,
  checkLength,
  encodeReplyEnvelope,
  encodeRequestEnvelope,
  readReplyEnvelope,
  readRequestEnvelope,
} from './envelope.js';
import { ProtocolError } from './errors.js';
import { encodeHeaderList, headerEncodingFromRlp } from './headers.js';
import { MAX_ITEMS } from './limits.js';
import {
  type RlpItem,
  checkListEncoding,
  decodeRlp,
  encodeRawList,
  encodeRlp,
  readBytes,
  readBytesList,
  readList,
} from './rlp.js';
import { canonicalFromWire, encodeCanonicalList } from './tx.js';

const GET = 'GetBlockBodies';
const REPLY = 'BlockBodies';
export const MAX_BODIES = MAX_ITEMS[Code.GetBlockBodies];

/**
 * Caps on one body's lists, far above any real block (a 36M-gas block holds < 1,800 transfers;
 * Ethereum allows 2 uncles and 16 withdrawals) yet bounding what a hostile reply makes us build.
 */
export const MAX_BODY_TXS = 1 << 16;
export const MAX_BODY_UNCLES = 16;
export const MAX_BODY_WITHDRAWALS = 1 << 12;

export interface GetBlockBodies {
  reqID: bigint;
  hashes: Uint8Array[];
}

export interface BlockBody {
  /** Canonical binary forms. */
  transactions: Uint8Array[];
  /** Header encodings. */
  uncles: Uint8Array[];
  /** Encodings of `[index, validatorIndex, address, amount]`; absent before Shanghai. */
  withdrawals?: Uint8Array[];
}

export interface BlockBodies {
  reqID: bigint;
  bv: number;
  bodies: BlockBody[];
}

export function encodeGetBlockBodies(msg: GetBlockBodies): Uint8Array {
  checkCount(msg.hashes.length, MAX_BODIES, GET, 'hashes');
  const hashes = msg.hashes.map((h, i) => checkLength(h, 32, GET, `hashes[${i}]`));
  return encodeRequestEnvelope(msg.reqID, encodeRlp(hashes), GET);
}

export function getBlockBodiesFromRlp(item: RlpItem): GetBlockBodies {
  const { reqID, data } = readRequestEnvelope(item, GET);
  return { reqID, hashes: readBytesList(data, GET, 'hashes', { max: MAX_BODIES, len: 32 }) };
}

export function decodeGetBlockBodies(data: Uint8Array): GetBlockBodies {
  return getBlockBodiesFromRlp(decodeRlp(data, GET));
}

function withdrawalFromRlp(item: RlpItem, field: string): Uint8Array {
  const fields = readList(item, REPLY, field, { len: 4 });
  fields.forEach((f, i) => readBytes(f, REPLY, `${field}[${i}]`));
  return encodeRlp(fields);
}

function bodyFromRlp(item: RlpItem, field: string): BlockBody {
  const parts = readList(item, REPLY, field, { min: 2 });
  if (parts.length > 3) throw new ProtocolError('MALFORMED', REPLY, field, `expected 2 or 3 items, got ${parts.length}`);
  const transactions = readList(parts[0], REPLY, `${field}.transactions`, { max: MAX_BODY_TXS }).map((t, i) =>
    canonicalFromWire(t, REPLY, `${field}.transactions[${i}]`),
  );
  const uncles = readList(parts[1], REPLY, `${field}.uncles`, { max: MAX_BODY_UNCLES }).map((u, i) =>
    headerEncodingFromRlp(u, REPLY, `${field}.uncles[${i}]`),
  );
  if (parts.length === 2) return { transactions, uncles };
  const withdrawals = readList(parts[2], REPLY, `${field}.withdrawals`, { max: MAX_BODY_WITHDRAWALS }).map((w, i) =>
    withdrawalFromRlp(w, `${field}.withdrawals[${i}]`),
  );
  return { transactions, uncles, withdrawals };
}

function bodyEncoding(body: BlockBody, field: string): Uint8Array {
  const parts = [
    encodeCanonicalList(body.transactions, REPLY, `${field}.transactions`),
    encodeHeaderList(body.uncles, REPLY, `${field}.uncles`),
  ];
  if (body.withdrawals !== undefined) {
    body.withdrawals.forEach((w, i) => checkListEncoding(w, REPLY, `${field}.withdrawals[${i}]`));
    parts.push(encodeRawList(body.withdrawals));
  }
  return encodeRawList(parts);
}

export function encodeBlockBodies(msg: BlockBodies): Uint8Array {
  const bodies = encodeRawList(msg.bodies.map((b, i) => bodyEncoding(b, `bodies[${i}]`)));
  return encodeReplyEnvelope(msg.reqID, msg.bv, bodies, REPLY);
}

export function blockBodiesFromRlp(item: RlpItem): BlockBodies {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const bodies = readList(data, REPLY, 'bodies', { max: MAX_BODIES }).map((b, i) => bodyFromRlp(b, `bodies[${i}]`));
  return { reqID, bv, bodies };
}

export function decodeBlockBodies(data: Uint8Array): BlockBodies {
  return blockBodiesFromRlp(decodeRlp(data, REPLY));
}
