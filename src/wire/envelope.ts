/**
 * The envelope every on-demand message shares: requests are `[reqID, data]`, replies
 * `[reqID, BV, data]` (LES spec, "Request ID"). reqID is an unsigned integer of up to 8 bytes
 * (the reference server reads it as uint64). The network layer decodes a payload's RLP once and
 * reads the reqID with `peekReqId` to find the pending request, then hands the same item to the
 * codec's `xFromRlp`.
 */
import { ProtocolError } from './errors.js';
import {
  type RlpItem,
  encodeRawList,
  encodeRlpBytes,
  encodeUint,
  readBigUint,
  readList,
  readUint,
} from './rlp.js';

const MAX_REQ_ID = (1n << 64n) - 1n;

export interface RequestEnvelope {
  reqID: bigint;
  data: RlpItem;
}

export interface ReplyEnvelope {
  reqID: bigint;
  bv: number;
  data: RlpItem;
}

/** The reqID of a request or reply, reading nothing else (the rest is checked by the codec). */
export function peekReqId(item: RlpItem, messageName: string): bigint {
  const [reqID] = readList(item, messageName, 'message', { min: 1 });
  return readBigUint(reqID, messageName, 'reqID', 8);
}

/** `[reqID, data]`. */
export function readRequestEnvelope(item: RlpItem, messageName: string): RequestEnvelope {
  const [reqID, data] = readList(item, messageName, 'message', { len: 2 }) as [RlpItem, RlpItem];
  return { reqID: readBigUint(reqID, messageName, 'reqID', 8), data };
}

/** `[reqID, BV, data]`. */
export function readReplyEnvelope(item: RlpItem, messageName: string): ReplyEnvelope {
  const [reqID, bv, data] = readList(item, messageName, 'message', { len: 3 }) as [RlpItem, RlpItem, RlpItem];
  return {
    reqID: readBigUint(reqID, messageName, 'reqID', 8),
    bv: readUint(bv, messageName, 'bv'),
    data,
  };
}

/** Checks a number a codec is about to encode: a non-negative safe integer. */
export function checkUint(value: number, messageName: string, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ProtocolError('MALFORMED', messageName, field, `${value} is not an unsigned safe integer`);
  }
  return value;
}

/** Checks bytes a codec is about to encode have the length the protocol fixes. */
export function checkLength(bytes: Uint8Array, len: number, messageName: string, field: string): Uint8Array {
  if (!(bytes instanceof Uint8Array) || bytes.length !== len) {
    throw new ProtocolError('MALFORMED', messageName, field, `expected ${len} bytes`);
  }
  return bytes;
}

/** Checks a list a codec is about to encode is within its per-request limit. */
export function checkCount(count: number, max: number, messageName: string, field: string): void {
  if (count > max) throw new ProtocolError('LIMIT', messageName, field, `${count} items exceeds the limit of ${max}`);
}

function reqIdBytes(reqID: bigint, messageName: string): Uint8Array {
  if (typeof reqID !== 'bigint' || reqID < 0n || reqID > MAX_REQ_ID) {
    throw new ProtocolError('MALFORMED', messageName, 'reqID', 'not an unsigned 64-bit integer');
  }
  return encodeRlpBytes(encodeUint(reqID));
}

/** `[reqID, data]` around `data`, given already RLP-encoded. */
export function encodeRequestEnvelope(reqID: bigint, data: Uint8Array, messageName: string): Uint8Array {
  return encodeRawList([reqIdBytes(reqID, messageName), data]);
}

/** `[reqID, BV, data]` around `data`, given already RLP-encoded. */
export function encodeReplyEnvelope(reqID: bigint, bv: number, data: Uint8Array, messageName: string): Uint8Array {
  const bvBytes = encodeRlpBytes(encodeUint(checkUint(bv, messageName, 'bv')));
  return encodeRawList([reqIdBytes(reqID, messageName), bvBytes, data]);
}
