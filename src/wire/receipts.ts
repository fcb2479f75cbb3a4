/**
 * GetReceipts (0x06) `[reqID, [hash, ...]]` and Receipts (0x07) `[reqID, BV, [[receipt, ...], ...]]`,
 * one receipt list per requested block. Each receipt is held in canonical binary form (tx.ts):
 * legacy = RLP of `[status, cumulativeGas, bloom, logs]`, typed = `type ‖ rlp(...)`. src/verify
 * checks them against the header's receiptsRoot.
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
import { MAX_ITEMS } from './limits.js';
import { type RlpItem, decodeRlp, encodeRawList, encodeRlp, readBytesList, readList } from './rlp.js';
import { canonicalFromWire, encodeCanonicalList } from './tx.js';

const GET = 'GetReceipts';
const REPLY = 'Receipts';
export const MAX_RECEIPT_BLOCKS = MAX_ITEMS[Code.GetReceipts];
/** Receipts of one block: one per transaction, so the same generous cap as a body's transactions. */
export const MAX_BLOCK_RECEIPTS = 1 << 16;

export interface GetReceipts {
  reqID: bigint;
  hashes: Uint8Array[];
}

export interface Receipts {
  reqID: bigint;
  bv: number;
  /** Per block, each receipt's canonical binary form. */
  receipts: Uint8Array[][];
}

export function encodeGetReceipts(msg: GetReceipts): Uint8Array {
  checkCount(msg.hashes.length, MAX_RECEIPT_BLOCKS, GET, 'hashes');
  const hashes = msg.hashes.map((h, i) => checkLength(h, 32, GET, `hashes[${i}]`));
  return encodeRequestEnvelope(msg.reqID, encodeRlp(hashes), GET);
}

export function getReceiptsFromRlp(item: RlpItem): GetReceipts {
  const { reqID, data } = readRequestEnvelope(item, GET);
  return { reqID, hashes: readBytesList(data, GET, 'hashes', { max: MAX_RECEIPT_BLOCKS, len: 32 }) };
}

export function decodeGetReceipts(data: Uint8Array): GetReceipts {
  return getReceiptsFromRlp(decodeRlp(data, GET));
}

export function encodeReceipts(msg: Receipts): Uint8Array {
  const blocks = msg.receipts.map((list, b) => encodeCanonicalList(list, REPLY, `receipts[${b}]`));
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeRawList(blocks), REPLY);
}

export function receiptsFromRlp(item: RlpItem): Receipts {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const receipts = readList(data, REPLY, 'receipts', { max: MAX_RECEIPT_BLOCKS }).map((list, b) =>
    readList(list, REPLY, `receipts[${b}]`, { max: MAX_BLOCK_RECEIPTS }).map((r, i) =>
      canonicalFromWire(r, REPLY, `receipts[${b}][${i}]`),
    ),
  );
  return { reqID, bv, receipts };
}

export function decodeReceipts(data: Uint8Array): Receipts {
  return receiptsFromRlp(decodeRlp(data, REPLY));
}
