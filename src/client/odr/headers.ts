/**
 * Header kinds (GetBlockHeaders → BlockHeaders). A header is self-authenticating by its hash, so
 * both kinds start from a hash the client already trusts (announced and agreed, or a parentHash
 * of a trusted header):
 *   headerByHash   one header, keccak256(rlp) = the hash asked for;
 *   headerRange    a run going back from a hash (reverse), each header the parent of the one
 *                  before (its hash is the previous header's parentHash, its number one less).
 * One origin per GetBlockHeaders, so neither kind coalesces (maxItems 1).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind, ServerView, VerifiedHeader } from '../contracts.js';
import { Code } from '../../wire/codes.js';
import { ProtocolError } from '../../wire/errors.js';
import { MAX_HEADERS, decodeBlockHeaders, encodeGetBlockHeaders } from '../../wire/headers.js';
import { equalBytes, hex0x } from '../../verify/bytes.js';
import { VerificationError } from '../../verify/errors.js';
import { decodeHeader, verifyHeaderHash } from '../../verify/header.js';
import { OdrError } from './errors.js';
import { toHex, verifiedHeader } from './common.js';

export interface HeaderByHashItem {
  hash: Uint8Array;
  /** The number, when known (an announce, a parent link): checked, and used to pick servers. */
  number?: number;
}

export interface HeaderRangeItem {
  /** The newest header of the run (trusted hash). */
  hash: Uint8Array;
  number: number;
  /** Headers wanted, counting the first: 1..192, at most number + 1. */
  amount: number;
}

function canServeHeaders(server: ServerView, number: number | undefined): boolean {
  return server.caps.serveHeaders && (number === undefined || number <= server.head.number);
}

export const headerByHashKind: OdrKind<HeaderByHashItem, VerifiedHeader> = {
  name: 'headerByHash',
  code: Code.GetBlockHeaders,
  maxItems: 1,
  units: () => 1,
  canServe: (server, item) => canServeHeaders(server, item.number),
  blockOf: (item) => item.number,
  key: (item) => `header:${toHex(item.hash)}`,
  encode(reqID, items) {
    const [item] = items;
    if (item === undefined || items.length !== 1) throw new OdrError('BAD_ITEM', 'headerByHash', 'exactly one hash per request');
    return encodeGetBlockHeaders({ reqID, origin: { hash: item.hash }, amount: 1, skip: 0, reverse: false });
  },
  verify(items, payload) {
    const [item] = items as [HeaderByHashItem];
    const { headers } = decodeBlockHeaders(payload);
    if (headers.length > 1) throw new ProtocolError('MALFORMED', 'BlockHeaders', 'headers', `${headers.length} headers for a request of 1`);
    const [rlp] = headers;
    if (rlp === undefined) return [undefined];
    const header = verifyHeaderHash(rlp, item.hash);
    if (item.number !== undefined && header.number !== item.number) {
      throw new VerificationError('FIELD_MISMATCH', 'header.number', `header ${header.number}, expected ${item.number}`);
    }
    return [verifiedHeader(header, rlp, item.hash)];
  },
};

/** The checked range item for a run of `amount` headers ending at `hash` (number `number`). */
export function headerRange(hash: Uint8Array, number: number, amount: number): HeaderRangeItem {
  if (!Number.isSafeInteger(number) || number < 0) throw new OdrError('BAD_ITEM', 'headerRange.number', `${number}`);
  const max = Math.min(MAX_HEADERS, number + 1);
  if (!Number.isSafeInteger(amount) || amount < 1 || amount > max) {
    throw new OdrError('BAD_ITEM', 'headerRange.amount', `${amount} is not 1..${max}`);
  }
  return { hash, number, amount };
}

export const headerRangeKind: OdrKind<HeaderRangeItem, VerifiedHeader[]> = {
  name: 'headerRange',
  code: Code.GetBlockHeaders,
  maxItems: 1,
  units: (item) => item.amount,
  canServe: (server, item) => canServeHeaders(server, item.number),
  blockOf: (item) => item.number,
  key: (item) => `headers:${toHex(item.hash)}:${item.amount}`,
  encode(reqID, items) {
    const [item] = items;
    if (item === undefined || items.length !== 1) throw new OdrError('BAD_ITEM', 'headerRange', 'exactly one run per request');
    return encodeGetBlockHeaders({ reqID, origin: { hash: item.hash }, amount: item.amount, skip: 0, reverse: true });
  },
  /** Returns the run newest first; a shorter run than asked is a partial answer (soft size limit). */
  verify(items, payload) {
    const [item] = items as [HeaderRangeItem];
    const { headers } = decodeBlockHeaders(payload);
    if (headers.length > item.amount) {
      throw new ProtocolError('MALFORMED', 'BlockHeaders', 'headers', `${headers.length} headers for a request of ${item.amount}`);
    }
    if (headers.length === 0) return [undefined];
    const run: VerifiedHeader[] = [];
    let wantHash = item.hash;
    let wantNumber = item.number;
    headers.forEach((rlp, i) => {
      const field = `headers[${i}]`;
      const header = decodeHeader(rlp);
      const hash = keccak256(rlp);
      if (!equalBytes(hash, wantHash)) {
        throw new VerificationError('HASH_MISMATCH', field, `hash ${hex0x(hash)} does not link: expected ${hex0x(wantHash)}`);
      }
      if (header.number !== wantNumber) {
        throw new VerificationError('FIELD_MISMATCH', `${field}.number`, `header ${header.number}, expected ${wantNumber}`);
      }
      run.push(verifiedHeader(header, rlp, hash));
      wantHash = header.parentHash;
      wantNumber -= 1;
    });
    return [run];
  },
};
