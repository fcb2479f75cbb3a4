/**
 * GetHelperTrieProofs (0x11) `[reqID, [[subType, sectionIdx, key, fromLevel, auxReq], ...]]` and
 * HelperTrieProofs (0x12) `[reqID, BV, [[node, ...], [auxData, ...]]]`. subType 0 is the CHT
 * (key = 8-byte big-endian block number), 1 the BloomBits trie (key = 2-byte bit index ‖ 8-byte
 * section index). Nodes travel raw as in ProofsV2; auxData are byte strings (for CHT with
 * auxReq 2, each a header's RLP encoding).
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
import { encodeNodeList, nodesFromRlp } from './proofs.js';
import {
  type RlpItem,
  decodeRlp,
  encodeRawList,
  encodeRlp,
  encodeUint,
  readBytes,
  readBytesList,
  readList,
  readUint,
} from './rlp.js';

const GET = 'GetHelperTrieProofs';
const REPLY = 'HelperTrieProofs';
export const MAX_HELPER_REQS = MAX_ITEMS[Code.GetHelperTrieProofs];

export const HelperTrieType = { CHT: 0, BloomBits: 1 } as const;
export type HelperTrieType = (typeof HelperTrieType)[keyof typeof HelperTrieType];

/** Key length per helper trie. */
export const HELPER_KEY_LENGTH: Readonly<Record<HelperTrieType, number>> = { 0: 8, 1: 10 };

/** auxReq values the spec names: 1 = the trie root, 2 (CHT) = the header. */
export const AuxReq = { None: 0, Root: 1, Header: 2 } as const;

export interface HelperTrieRequest {
  subType: HelperTrieType;
  sectionIdx: number;
  key: Uint8Array;
  fromLevel: number;
  auxReq: number;
}

export interface GetHelperTrieProofs {
  reqID: bigint;
  reqs: HelperTrieRequest[];
}

export interface HelperTrieProofs {
  reqID: bigint;
  bv: number;
  nodes: Uint8Array[];
  /** One per request with a non-zero auxReq, so at most the request limit. */
  auxData: Uint8Array[];
}

function subTypeOf(value: number, field: string): HelperTrieType {
  if (value !== HelperTrieType.CHT && value !== HelperTrieType.BloomBits) {
    throw new ProtocolError('UNSUPPORTED', GET, field, `helper trie type ${value} is not 0 (CHT) or 1 (BloomBits)`);
  }
  return value;
}

export function encodeGetHelperTrieProofs(msg: GetHelperTrieProofs): Uint8Array {
  checkCount(msg.reqs.length, MAX_HELPER_REQS, GET, 'reqs');
  const reqs = msg.reqs.map((r, i) => {
    const f = `reqs[${i}]`;
    const subType = subTypeOf(r.subType, `${f}.subType`);
    return [
      encodeUint(subType),
      encodeUint(checkUint(r.sectionIdx, GET, `${f}.sectionIdx`)),
      checkLength(r.key, HELPER_KEY_LENGTH[subType], GET, `${f}.key`),
      encodeUint(checkUint(r.fromLevel, GET, `${f}.fromLevel`)),
      encodeUint(checkUint(r.auxReq, GET, `${f}.auxReq`)),
    ];
  });
  return encodeRequestEnvelope(msg.reqID, encodeRlp(reqs), GET);
}

export function getHelperTrieProofsFromRlp(item: RlpItem): GetHelperTrieProofs {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const reqs = readList(data, GET, 'reqs', { max: MAX_HELPER_REQS }).map((r, i) => {
    const f = `reqs[${i}]`;
    const [subType, sectionIdx, key, fromLevel, auxReq] = readList(r, GET, f, { len: 5 });
    const type = subTypeOf(readUint(subType, GET, `${f}.subType`), `${f}.subType`);
    return {
      subType: type,
      sectionIdx: readUint(sectionIdx, GET, `${f}.sectionIdx`),
      key: readBytes(key, GET, `${f}.key`, { len: HELPER_KEY_LENGTH[type] }),
      fromLevel: readUint(fromLevel, GET, `${f}.fromLevel`),
      auxReq: readUint(auxReq, GET, `${f}.auxReq`),
    };
  });
  return { reqID, reqs };
}

export function decodeGetHelperTrieProofs(data: Uint8Array): GetHelperTrieProofs {
  return getHelperTrieProofsFromRlp(decodeRlp(data, GET));
}

export function encodeHelperTrieProofs(msg: HelperTrieProofs): Uint8Array {
  const body = encodeRawList([encodeNodeList(msg.nodes, REPLY, 'nodes'), encodeRlp(msg.auxData)]);
  return encodeReplyEnvelope(msg.reqID, msg.bv, body, REPLY);
}

export function helperTrieProofsFromRlp(item: RlpItem): HelperTrieProofs {
  const { reqID, bv, data } = readReplyEnvelope(item, REPLY);
  const [nodes, auxData] = readList(data, REPLY, 'proofs', { len: 2 });
  return {
    reqID,
    bv,
    nodes: nodesFromRlp(nodes, REPLY, 'nodes'),
    auxData: readBytesList(auxData, REPLY, 'auxData', { max: MAX_HELPER_REQS }),
  };
}

export function decodeHelperTrieProofs(data: Uint8Array): HelperTrieProofs {
  return helperTrieProofsFromRlp(decodeRlp(data, REPLY));
}
