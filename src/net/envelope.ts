/**
 * The two LES envelopes the peer reads itself to route messages: a request `[reqID, data]` and a
 * reply `[reqID, BV, data]`. The payload codecs of each message live in src/wire; here only the
 * reqID and BV are read, through the checked readers.
 */
import { type RlpItem, decodeListPrefix, decodeRlp, readBigUint, readList, readUint } from '../wire/rlp.js';
import { codeName } from '../wire/codes.js';

/** reqIDs are 64-bit on the wire in every known implementation. */
const REQ_ID_BYTES = 8;

export interface Reply {
  code: number;
  reqID: bigint;
  bv: number;
  /** The whole message's RLP bytes. */
  payload: Uint8Array;
  /** The decoded message `[reqID, BV, data]`. */
  item: RlpItem;
  /** Its third element. */
  data: RlpItem;
}

/** What the first bytes of a reply tell: its reqID, and its BV when those bytes hold it. */
export interface ReplyHead {
  code: number;
  reqID: bigint;
  bv: number | undefined;
}

export interface IncomingRequest {
  code: number;
  reqID: bigint;
  payload: Uint8Array;
  /** The decoded message `[reqID, data]`. */
  item: RlpItem;
  data: RlpItem;
}

function nameOf(code: number): string {
  return codeName.get(code) ?? `0x${code.toString(16)}`;
}

/**
 * The reqID and BV of a reply read from the list head and its first two items only: a reply no
 * one waits for is dropped without decoding (or, see les-protocol.ts, decompressing) the rest.
 * `payload` may be just the first bytes of a message of `total` bytes (32 hold any valid reqID
 * and BV). Throws ProtocolError when those bytes are not the start of `[reqID, BV, ...]`.
 */
export function readReplyHead(code: number, payload: Uint8Array, total = payload.length): ReplyHead {
  const msg = nameOf(code);
  const items = decodeListPrefix(payload, msg, 2, { maxItems: 2, maxDepth: 1 }, total);
  const reqID = readBigUint(items[0], msg, 'reqID', REQ_ID_BYTES);
  return { code, reqID, bv: items.length > 1 ? readUint(items[1], msg, 'BV') : undefined };
}

/** Throws ProtocolError for anything but `[reqID, BV, data]`. */
export function readReply(code: number, payload: Uint8Array): Reply {
  const msg = nameOf(code);
  const item = decodeRlp(payload, msg);
  const [reqID, bv, data] = readList(item, msg, 'reply', { len: 3 }) as [RlpItem, RlpItem, RlpItem];
  return {
    code,
    reqID: readBigUint(reqID, msg, 'reqID', REQ_ID_BYTES),
    bv: readUint(bv, msg, 'BV'),
    payload,
    item,
    data,
  };
}

/** Throws ProtocolError for anything but `[reqID, data]`. */
export function readRequest(code: number, payload: Uint8Array): IncomingRequest {
  const msg = nameOf(code);
  const item = decodeRlp(payload, msg);
  const [reqID, data] = readList(item, msg, 'request', { len: 2 }) as [RlpItem, RlpItem];
  return { code, reqID: readBigUint(reqID, msg, 'reqID', REQ_ID_BYTES), payload, item, data };
}
