/**
 * The two LES envelopes the peer reads itself to route messages: a request `[reqID, data]` and a
 * reply `[reqID, BV, data]`. The payload codecs of each message live in src/wire; here only the
 * reqID and BV are read, through the checked readers.
 */
import { type RlpItem, decodeRlp, readBigUint, readList, readUint } from '../wire/rlp.js';
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
