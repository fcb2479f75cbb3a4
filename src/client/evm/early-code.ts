/**
 * Code asked before its account is proven. GetContractCodes names an account by [blockHash,
 * keccak(address)] (plus the address, to a server taking the preimage extension), not by codeHash,
 * so the code of a call's target can go out in the same round trip as the target's account proof
 * instead of one round trip later. The reply cannot be verified on
 * arrival (the codeHash is not known yet): the fetcher checks keccak(code) against the proven
 * account's codeHash before anything uses it, and on a mismatch discards it and asks again
 * through the Odr's verified `code` (which scores the server down if it lies again).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { OdrKind, Retriever, VerifiedHeader } from '../contracts.js';
import { Code } from '../../wire/codes.js';
import { MAX_CODE_REQS, decodeContractCodes, encodeGetContractCodes } from '../../wire/contract-codes.js';
import { answersFor, checkReplyCount, servesState, toHex } from '../odr/common.js';

export interface EarlyCodeItem {
  header: VerifiedHeader;
  address: Uint8Array;
}

/** GetContractCodes by account key; the result is checked later, against the proven codeHash. */
export const earlyCodeKind: OdrKind<EarlyCodeItem, Uint8Array> = {
  name: 'earlyCode',
  code: Code.GetContractCodes,
  maxItems: MAX_CODE_REQS,
  units: () => 1,
  canServe: (server, item) => servesState(server, item.header.header.number),
  key: (item) => `early-code:${toHex(item.header.hash)}:${toHex(item.address)}`,
  // With the address where the server takes it (preimage extension): a server that never saw
  // the address in a transaction (a contract a factory created) could not serve the key alone,
  // and the call would wait for the code until the scheduler gave up on every server.
  encode: (reqID, items, server) =>
    encodeGetContractCodes({
      reqID,
      reqs: items.map((i) => ({ blockHash: i.header.hash, accountKey: keccak256(i.address), ...(server?.caps.preimages === true ? { address: i.address } : {}) })),
    }),
  verify(items, payload) {
    const { codes } = decodeContractCodes(payload);
    checkReplyCount(codes.length, items.length, 'ContractCodes', 'codes');
    return answersFor(items, codes.length, (_item, i) => codes[i] as Uint8Array);
  },
};

/** Unverified code of `address` at `header` (check it against the proven codeHash before use). */
export type EarlyCode = (header: VerifiedHeader, address: Uint8Array) => Promise<Uint8Array>;

export function earlyCodeFrom(retriever: Retriever): EarlyCode {
  return (header, address) => retriever.retrieve(earlyCodeKind, { header, address });
}
