/**
 * Transactions on the wire: SendTxV2 (0x13) `[reqID, [tx, ...]]`, GetTxStatus (0x14)
 * `[reqID, [txHash, ...]]`, TxStatus (0x15) `[reqID, BV, [[status, data], ...]]`, and the one
 * conversion between a transaction's (or receipt's) canonical binary form and its wire item that
 * bodies, receipts and SendTxV2 share.
 */
import { Code } from './codes.js';
import {
  checkCount,
  checkLength,
  checkUint,
  encodeReplyEnvelope,
  encodeRequestEnvelope,
  readReplyEnvelope,
  readRequestEnvelope,
} from './envelope.js';
import { ProtocolError } from './errors.js';
import { MAX_ITEMS } from './limits.js';
import {
  type RlpItem,
  checkListEncoding,
  decodeNestedRlp,
  decodeRlp,
  encodeRawList,
  encodeRlp,
  encodeRlpBytes,
  encodeUint,
  readBytes,
  readBytesList,
  readList,
  readUint,
} from './rlp.js';

/**
 * Canonical binary form (what the tx / receipt trie holds) of a wire item. A legacy transaction
 * or receipt travels as its RLP list: canonical = that list's encoding. An EIP-2718 typed one
 * travels as a byte string `type ‖ payload`, type 0x00..0x7f: canonical = those bytes.
 */
export function canonicalFromWire(item: RlpItem | undefined, msg: string, field: string): Uint8Array {
  if (Array.isArray(item)) return encodeRlp(item);
  const bytes = readBytes(item, msg, field);
  const type = bytes[0];
  if (type === undefined || type > 0x7f) {
    throw new ProtocolError('MALFORMED', msg, field, type === undefined ? 'empty typed envelope' : `type byte 0x${type.toString(16)} is not 0x00..0x7f`);
  }
  return bytes;
}

/** The RLP encoding of the wire item for a canonical form: legacy (an RLP list) raw, typed as a byte string. */
export function wireEncodingOfCanonical(canonical: Uint8Array, msg: string, field: string): Uint8Array {
  const first = canonical[0];
  if (first !== undefined && first >= 0xc0) {
    checkListEncoding(canonical, msg, field);
    return canonical;
  }
  if (first === undefined || first > 0x7f) throw new ProtocolError('MALFORMED', msg, field, 'neither an RLP list nor a typed envelope');
  return encodeRlpBytes(canonical);
}

/** A list of canonical forms as the raw wire list. */
export function encodeCanonicalList(items: readonly Uint8Array[], msg: string, field: string): Uint8Array {
  return encodeRawList(items.map((c, i) => wireEncodingOfCanonical(c, msg, `${field}[${i}]`)));
}

// --- SendTxV2 ---------------------------------------------------------------------------------

const SEND = 'SendTxV2';
export const MAX_SEND_TXS = MAX_ITEMS[Code.SendTxV2];

export interface SendTxV2 {
  reqID: bigint;
  /** Canonical binary forms (legacy: RLP of its list; typed: type ‖ payload). */
  txs: Uint8Array[];
}

export function encodeSendTxV2(msg: SendTxV2): Uint8Array {
  checkCount(msg.txs.length, MAX_SEND_TXS, SEND, 'txs');
  return encodeRequestEnvelope(msg.reqID, encodeCanonicalList(msg.txs, SEND, 'txs'), SEND);
}

export function sendTxV2FromRlp(item: RlpItem): SendTxV2 {
  const { reqID, data } = readRequestEnvelope(item, SEND);
  const txs = readList(data, SEND, 'txs', { max: MAX_SEND_TXS }).map((t, i) => canonicalFromWire(t, SEND, `txs[${i}]`));
  return { reqID, txs };
}

export function decodeSendTxV2(data: Uint8Array): SendTxV2 {
  return sendTxV2FromRlp(decodeRlp(data, SEND));
}

// --- GetTxStatus ------------------------------------------------------------------------------

const GET = 'GetTxStatus';
export const MAX_TX_STATUS = MAX_ITEMS[Code.GetTxStatus];

export interface GetTxStatus {
  reqID: bigint;
  hashes: Uint8Array[];
}

export function encodeGetTxStatus(msg: GetTxStatus): Uint8Array {
  checkCount(msg.hashes.length, MAX_TX_STATUS, GET, 'hashes');
  const hashes = msg.hashes.map((h, i) => checkLength(h, 32, GET, `hashes[${i}]`));
  return encodeRequestEnvelope(msg.reqID, encodeRlp(hashes), GET);
}

export function getTxStatusFromRlp(item: RlpItem): GetTxStatus {
  const { reqID, data } = readRequestEnvelope(item, GET);
  return { reqID, hashes: readBytesList(data, GET, 'hashes', { max: MAX_TX_STATUS, len: 32 }) };
}

export function decodeGetTxStatus(data: Uint8Array): GetTxStatus {
  return getTxStatusFromRlp(decodeRlp(data, GET));
}

// --- TxStatus ---------------------------------------------------------------------------------

const REPLY = 'TxStatus';

export const TxState = { Unknown: 0, Queued: 1, Pending: 2, Included: 3, Error: 4 } as const;
export type TxState = (typeof TxState)[keyof typeof TxState];

export interface TxLookup {
  blockHash: Uint8Array;
  blockNumber: number;
  txIndex: number;
}

export interface TxStatusEntry {
  status: TxState;
  /** Set exactly when status is Included. */
  lookup?: TxLookup;
  /** Set exactly when status is Error (possibly empty). */
  error?: string;
}

export interface TxStatus {
  reqID: bigint;
  bv: number;
  statuses: TxStatusEntry[];
}

/** Error messages are text for people: invalid UTF-8 becomes U+FFFD; a BOM is kept as text. */
const utf8Decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

function lookupFromRlp(item: RlpItem, field: string): TxLookup {
  const [hash, number, index] = readList(item, REPLY, field, { len: 3 });
  return {
    blockHash: readBytes(hash, REPLY, `${field}.blockHash`, { len: 32 }),
    blockNumber: readUint(number, REPLY, `${field}.blockNumber`),
    txIndex: readUint(index, REPLY, `${field}.txIndex`),
  };
}

function readState(item: RlpItem | undefined, field: string): TxState {
  const s = readUint(item, REPLY, field);
  if (s > TxState.Error) throw new ProtocolError('MALFORMED', REPLY, field, `status ${s} is not 0..4`);
  return s as TxState;
}

/** The spec's `[status, data]`: data is rlp(lookup) for Included, the message for Error, else ignored. */
function specEntry(status: TxState, dataItem: RlpItem | undefined, field: string): TxStatusEntry {
  const data = readBytes(dataItem, REPLY, `${field}.data`);
  if (status === TxState.Included) {
    return { status, lookup: lookupFromRlp(decodeNestedRlp(data, REPLY, `${field}.data`), `${field}.data`) };
  }
  if (status === TxState.Error) return { status, error: utf8Decoder.decode(data) };
  return { status };
}

/**
 * The reference server's `[status, [blockHash, blockNumber, txIndex] or [], error]`. It reports a
 * failed send as status Unknown with an error string; we return that as the spec's Error.
 * A lookup without Included, or an error with any other status, contradicts itself.
 */
function referenceEntry(status: TxState, lookupItem: RlpItem | undefined, errorItem: RlpItem | undefined, field: string): TxStatusEntry {
  const lookupList = readList(lookupItem, REPLY, `${field}.lookup`);
  const error = utf8Decoder.decode(readBytes(errorItem, REPLY, `${field}.error`));
  if (error !== '' || status === TxState.Error) {
    if (status !== TxState.Unknown && status !== TxState.Error) {
      throw new ProtocolError('MALFORMED', REPLY, `${field}.error`, `an error with status ${status}`);
    }
    if (lookupList.length > 0) throw new ProtocolError('MALFORMED', REPLY, `${field}.lookup`, 'a lookup with an error');
    return { status: TxState.Error, error };
  }
  if (status === TxState.Included) return { status, lookup: lookupFromRlp(lookupList, `${field}.lookup`) };
  if (lookupList.length > 0) throw new ProtocolError('MALFORMED', REPLY, `${field}.lookup`, `a lookup with status ${status}`);
  return { status };
}

function entryFromRlp(item: RlpItem, field: string): TxStatusEntry {
  const parts = readList(item, REPLY, field, { min: 2 });
  if (parts.length > 3) throw new ProtocolError('MALFORMED', REPLY, field, `expected 2 or 3 items, got ${parts.length}`);
  const status = readState(parts[0], `${field}.status`);
  return parts.length === 2 ? specEntry(status, parts[1], field) : referenceEntry(status, parts[1], parts[2], field);
}

function entryToRlp(entry: TxStatusEntry, field: string): RlpItem {
  const { status } = entry;
  if (status === TxState.Included) {
    const l = entry.lookup;
    if (l === undefined) throw new ProtocolError('MALFORMED', REPLY, `${field}.lookup`, 'missing for Included');
    const lookup = [
      checkLength(l.blockHash, 32, REPLY, `${field}.lookup.blockHash`),
      encodeUint(checkUint(l.blockNumber, REPLY, `${field}.lookup.blockNumber`)),
      encodeUint(checkUint(l.txIndex, REPLY, `${field}.lookup.txIndex`)),
    ];
    return [encodeUint(status), encodeRlp(lookup)];
  }
  if (status === TxState.Error) return [encodeUint(status), utf8Encoder.encode(entry.error ?? '')];
  if (!Number.isInteger(status) || status < 0 || status > TxState.Error) {
    throw new ProtocolError('MALFORMED', REPLY, `${field}.status`, `status ${String(status)} is not 0..4`);
  }
  return [encodeUint(status), new Uint8Array(0)];
}

export function encodeTxStatus(msg: TxStatus): Uint8Array {
  checkCount(msg.statuses.length, MAX_TX_STATUS, REPLY, 'statuses');
  const entries = msg.statuses.map((e, i) => entryToRlp(e, `statuses[${i}]`));
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeRlp(entries), REPLY);
}

/** Accepts both entry shapes (the spec's and the reference server's), even mixed in one reply. */
export function txStatusFromRlp(item: RlpItem): TxStatus {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const statuses = readList(data, REPLY, 'statuses', { max: MAX_TX_STATUS }).map((e, i) => entryFromRlp(e, `statuses[${i}]`));
  return { reqID, bv, statuses };
}

export function decodeTxStatus(data: Uint8Array): TxStatus {
  return txStatusFromRlp(decodeRlp(data, REPLY));
}
