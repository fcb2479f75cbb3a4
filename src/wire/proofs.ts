/**
 * GetProofsV2 (0x0f) `[reqID, [[blockHash, accountKey, storageKey, fromLevel], ...]]` and
 * ProofsV2 (0x10) `[reqID, BV, [node, ...]]`: one de-duplicated proof set for all requests.
 * An empty storageKey asks for the account proof. Nodes are held as their RLP encodings and sent
 * raw (each embedded as the list it is), the way the reference server sends them.
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
  encodeUint,
  readBytes,
  readList,
  readUint,
} from './rlp.js';

const GET = 'GetProofsV2';
const REPLY = 'ProofsV2';
export const MAX_PROOF_REQS = MAX_ITEMS[Code.GetProofsV2];

/**
 * Nodes in one proof set: a path through a 32-byte-keyed trie has at most 65 nodes, an account
 * plus a storage path 130, times 64 requests is 8,320; the cap leaves room and bounds a hostile reply.
 */
export const MAX_PROOF_NODES = 1 << 14;

export interface ProofRequest {
  blockHash: Uint8Array;
  /** keccak256(address). */
  accountKey: Uint8Array;
  /** keccak256(slot), or empty for the account proof. */
  storageKey: Uint8Array;
  /** Nodes nearest the root the client already has and the server may omit. */
  fromLevel: number;
}

export interface GetProofsV2 {
  reqID: bigint;
  reqs: ProofRequest[];
}

export interface ProofsV2 {
  reqID: bigint;
  bv: number;
  /** Each trie node's RLP encoding. */
  nodes: Uint8Array[];
}

export function encodeGetProofsV2(msg: GetProofsV2): Uint8Array {
  checkCount(msg.reqs.length, MAX_PROOF_REQS, GET, 'reqs');
  const reqs = msg.reqs.map((r, i) => {
    if (r.storageKey.length !== 0) checkLength(r.storageKey, 32, GET, `reqs[${i}].storageKey`);
    return [
      checkLength(r.blockHash, 32, GET, `reqs[${i}].blockHash`),
      checkLength(r.accountKey, 32, GET, `reqs[${i}].accountKey`),
      r.storageKey,
      encodeUint(checkUint(r.fromLevel, GET, `reqs[${i}].fromLevel`)),
    ];
  });
  return encodeRequestEnvelope(msg.reqID, encodeRlp(reqs), GET);
}

export function getProofsV2FromRlp(item: RlpItem): GetProofsV2 {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const reqs = readList(data, GET, 'reqs', { max: MAX_PROOF_REQS }).map((r, i) => {
    const f = `reqs[${i}]`;
    const [blockHash, accountKey, storageKey, fromLevel] = readList(r, GET, f, { len: 4 });
    const key = readBytes(storageKey, GET, `${f}.storageKey`);
    if (key.length !== 0 && key.length !== 32) {
      throw new ProtocolError('MALFORMED', GET, `${f}.storageKey`, `expected 0 or 32 bytes, got ${key.length}`);
    }
    return {
      blockHash: readBytes(blockHash, GET, `${f}.blockHash`, { len: 32 }),
      accountKey: readBytes(accountKey, GET, `${f}.accountKey`, { len: 32 }),
      storageKey: key,
      fromLevel: readUint(fromLevel, GET, `${f}.fromLevel`),
    };
  });
  return { reqID, reqs };
}

export function decodeGetProofsV2(data: Uint8Array): GetProofsV2 {
  return getProofsV2FromRlp(decodeRlp(data, GET));
}

/**
 * A proof set: each node is normally embedded as the RLP list it is. A byte-string item is taken
 * as the node's encoding wrapped as a string — what an implementation that keeps nodes as opaque
 * blobs ([][]byte) sends. A trie node is always a list, so this reading is unambiguous; the
 * content must be one whole RLP list, so the node can be sent on raw again.
 */
export function nodesFromRlp(item: RlpItem | undefined, msg: string, field: string): Uint8Array[] {
  return readList(item, msg, field, { max: MAX_PROOF_NODES }).map((node, i) => {
    if (Array.isArray(node)) return encodeRlp(node);
    const bytes = readBytes(node, msg, `${field}[${i}]`);
    if (!Array.isArray(decodeNestedRlp(bytes, msg, `${field}[${i}]`))) {
      throw new ProtocolError('MALFORMED', msg, `${field}[${i}]`, 'a trie node must be an RLP list');
    }
    return bytes;
  });
}

/** Node encodings as one raw list, without decoding them: proof sets can be large. */
export function encodeNodeList(nodes: readonly Uint8Array[], msg: string, field: string): Uint8Array {
  nodes.forEach((n, i) => checkListEncoding(n, msg, `${field}[${i}]`));
  return encodeRawList(nodes);
}

export function encodeProofsV2(msg: ProofsV2): Uint8Array {
  return encodeReplyEnvelope(msg.reqID, msg.bv, encodeNodeList(msg.nodes, REPLY, 'nodes'), REPLY);
}

export function proofsV2FromRlp(item: RlpItem): ProofsV2 {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  return { reqID, bv, nodes: nodesFromRlp(data, REPLY, 'nodes') };
}

export function decodeProofsV2(data: Uint8Array): ProofsV2 {
  return proofsV2FromRlp(decodeRlp(data, REPLY));
}
