/**
 * GetContractCodes (0x0a) `[reqID, [[blockHash, accountKey], ...]]` and ContractCodes (0x0b)
 * `[reqID, BV, [code, ...]]`. accountKey is keccak256(address); src/verify checks each code
 * against the proven account's codeHash.
 *
 * Preimage extension (see proofs.ts, PREIMAGES_STATUS_KEY): an entry may carry the 20-byte address
 * as a third item, `[blockHash, accountKey, address]`, only towards a server that announced it.
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
import { type RlpItem, decodeRlp, encodeRlp, readBytes, readBytesList, readList } from './rlp.js';

const GET = 'GetContractCodes';
const REPLY = 'ContractCodes';
export const MAX_CODE_REQS = MAX_ITEMS[Code.GetContractCodes];

export interface CodeRequest {
  blockHash: Uint8Array;
  accountKey: Uint8Array;
  /** Preimage extension: the address whose keccak256 is accountKey. */
  address?: Uint8Array;
}

export interface GetContractCodes {
  reqID: bigint;
  reqs: CodeRequest[];
}

export interface ContractCodes {
  reqID: bigint;
  bv: number;
  codes: Uint8Array[];
}

export function encodeGetContractCodes(msg: GetContractCodes): Uint8Array {
  checkCount(msg.reqs.length, MAX_CODE_REQS, GET, 'reqs');
  const reqs = msg.reqs.map((r, i) => {
    const entry = [checkLength(r.blockHash, 32, GET, `reqs[${i}].blockHash`), checkLength(r.accountKey, 32, GET, `reqs[${i}].accountKey`)];
    return r.address === undefined ? entry : [...entry, checkLength(r.address, 20, GET, `reqs[${i}].address`)];
  });
  return encodeRequestEnvelope(msg.reqID, encodeRlp(reqs), GET);
}

export function getContractCodesFromRlp(item: RlpItem): GetContractCodes {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const reqs = readList(data, GET, 'reqs', { max: MAX_CODE_REQS }).map((r, i): CodeRequest => {
    const [blockHash, accountKey, address] = readList(r, GET, `reqs[${i}]`, { min: 2, max: 3 });
    const req: CodeRequest = {
      blockHash: readBytes(blockHash, GET, `reqs[${i}].blockHash`, { len: 32 }),
      accountKey: readBytes(accountKey, GET, `reqs[${i}].accountKey`, { len: 32 }),
    };
    if (address !== undefined) req.address = readBytes(address, GET, `reqs[${i}].address`, { len: 20 });
    return req;
  });
  return { reqID, reqs };
}

export function decodeGetContractCodes(data: Uint8Array): GetContractCodes {
  return getContractCodesFromRlp(decodeRlp(data, GET));
}

export function encodeContractCodes(msg: ContractCodes): Uint8Array {
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeRlp(msg.codes), REPLY);
}

/** One code per request at most, so the request limit caps the reply too. */
export function contractCodesFromRlp(item: RlpItem): ContractCodes {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  return { reqID, bv, codes: readBytesList(data, REPLY, 'codes', { max: MAX_CODE_REQS }) };
}

export function decodeContractCodes(data: Uint8Array): ContractCodes {
  return contractCodesFromRlp(decodeRlp(data, REPLY));
}
