/**
 * GetBlockHeaders (0x02) `[reqID, [origin, amount, skip, reverse]]` and
 * BlockHeaders (0x03) `[reqID, BV, [header_0, header_1, ...]]`.
 * A header is kept as its RLP encoding: typing its fields is src/verify's job; here we only check
 * it is a list of byte strings of a plausible length, so a wrong shape fails at the wire.
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
  decodeRlp,
  encodeRawList,
  encodeRlp,
  encodeUint,
  readBytes,
  readList,
  readUint,
} from './rlp.js';

const GET = 'GetBlockHeaders';
const REPLY = 'BlockHeaders';
export const MAX_HEADERS = MAX_ITEMS[Code.GetBlockHeaders];

/**
 * Fields of a header: 15 before London, then baseFee (16), withdrawalsRoot (17), the three Cancun
 * fields (20) and requestsHash (21); a few more are allowed for forks to come.
 */
export const HEADER_FIELDS = { min: 15, max: 24 } as const;

export type HeaderOrigin = { hash: Uint8Array } | { number: number };

export interface GetBlockHeaders {
  reqID: bigint;
  origin: HeaderOrigin;
  amount: number;
  skip: number;
  reverse: boolean;
}

export interface BlockHeaders {
  reqID: bigint;
  bv: number;
  /** Each header's RLP encoding. */
  headers: Uint8Array[];
}

export function encodeGetBlockHeaders(msg: GetBlockHeaders): Uint8Array {
  const origin =
    'hash' in msg.origin
      ? checkLength(msg.origin.hash, 32, GET, 'origin')
      : encodeUint(checkUint(msg.origin.number, GET, 'origin'));
  checkCount(checkUint(msg.amount, GET, 'amount'), MAX_HEADERS, GET, 'amount');
  const query = [origin, encodeUint(msg.amount), encodeUint(checkUint(msg.skip, GET, 'skip')), encodeUint(msg.reverse ? 1 : 0)];
  return encodeRequestEnvelope(msg.reqID, encodeRlp(query), GET);
}

export function getBlockHeadersFromRlp(item: RlpItem): GetBlockHeaders {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const [origin, amount, skip, reverse] = readList(data, GET, 'query', { len: 4 });
  // The spec's {P, B_32}: 32 bytes is a hash, anything shorter a canonical number.
  const raw = readBytes(origin, GET, 'origin');
  const typedOrigin: HeaderOrigin = raw.length === 32 ? { hash: raw } : { number: readUint(raw, GET, 'origin') };
  const count = readUint(amount, GET, 'amount');
  if (count > MAX_HEADERS) throw new ProtocolError('LIMIT', GET, 'amount', `${count} exceeds the limit of ${MAX_HEADERS}`);
  const rev = readUint(reverse, GET, 'reverse');
  if (rev > 1) throw new ProtocolError('MALFORMED', GET, 'reverse', `${rev} is not 0 or 1`);
  return { reqID, origin: typedOrigin, amount: count, skip: readUint(skip, GET, 'skip'), reverse: rev === 1 };
}

export function decodeGetBlockHeaders(data: Uint8Array): GetBlockHeaders {
  return getBlockHeadersFromRlp(decodeRlp(data, GET));
}

/** A header carried as an RLP list: checks its shape and returns its encoding. Also used for uncles. */
export function headerEncodingFromRlp(item: RlpItem | undefined, msg: string, field: string): Uint8Array {
  const fields = readList(item, msg, field);
  if (fields.length < HEADER_FIELDS.min || fields.length > HEADER_FIELDS.max) {
    throw new ProtocolError('MALFORMED', msg, field, `a header has ${HEADER_FIELDS.min}..${HEADER_FIELDS.max} fields, got ${fields.length}`);
  }
  fields.forEach((f, i) => readBytes(f, msg, `${field}[${i}]`));
  return encodeRlp(fields);
}

/** Header encodings as one raw list, each checked to be a whole RLP list first. */
export function encodeHeaderList(headers: readonly Uint8Array[], msg: string, field: string): Uint8Array {
  headers.forEach((h, i) => checkListEncoding(h, msg, `${field}[${i}]`));
  return encodeRawList(headers);
}

export function encodeBlockHeaders(msg: BlockHeaders): Uint8Array {
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeHeaderList(msg.headers, REPLY, 'headers'), REPLY);
}

export function blockHeadersFromRlp(item: RlpItem): BlockHeaders {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const headers = readList(data, REPLY, 'headers', { max: MAX_HEADERS }).map((h, i) =>
    headerEncodingFromRlp(h, REPLY, `headers[${i}]`),
  );
  return { reqID, bv, headers };
}

export function decodeBlockHeaders(data: Uint8Array): BlockHeaders {
  return blockHeadersFromRlp(decodeRlp(data, REPLY));
}
