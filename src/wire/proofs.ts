/**
 * GetProofsV2 (0x0f) `[reqID, [[blockHash, accKey, key, fromLevel], ...]]` and ProofsV2 (0x10)
 * `[reqID, BV, [node, ...]]`: one de-duplicated proof set for all requests. Nodes are held as
 * their RLP encodings and sent raw (each embedded as the list it is), as the reference server did.
 *
 * Entries are encoded as go-ethereum's ProofReq: an account proof is `[h, "", keccak(address), l]`,
 * a storage proof `[h, keccak(address), keccak(slot), l]`. les.md's prose puts the account key
 * first (`[h, keccak(address), "", l]`); decoding accepts both account forms (they cannot be
 * confused: exactly one key is empty) and normalises them to accountKey / empty storageKey.
 *
 * The preimage extension (only between peers whose Status carries PREIMAGES_STATUS_KEY): an entry
 * may carry two trailing items, `[..., address, slot]` — the 20-byte address and, for a storage
 * proof, the 32-byte slot (empty for an account proof). A strict go-ethereum decoder would refuse
 * the longer entry, so a client adds them only for a server that announced the key. The receiver
 * checks keccak(preimage) = key before using one (wire stays free of hashing).
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

/** Status key by which a server says it accepts preimages in GetProofsV2 / GetContractCodes entries (value 1). */
export const PREIMAGES_STATUS_KEY = 'lesp/preimages';

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
  /** Preimage extension: the 20-byte address whose keccak256 is accountKey. */
  address?: Uint8Array;
  /** Preimage extension: the 32-byte slot whose keccak256 is storageKey (storage proofs only). */
  slot?: Uint8Array;
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
    const f = `reqs[${i}]`;
    const account = r.storageKey.length === 0;
    if (!account) checkLength(r.storageKey, 32, GET, `${f}.storageKey`);
    const accKey = checkLength(r.accountKey, 32, GET, `${f}.accountKey`);
    // go-ethereum's form: an account proof has an empty AccKey and the account key as Key.
    const entry = [
      checkLength(r.blockHash, 32, GET, `${f}.blockHash`),
      account ? new Uint8Array(0) : accKey,
      account ? accKey : r.storageKey,
      encodeUint(checkUint(r.fromLevel, GET, `${f}.fromLevel`)),
    ];
    if (r.address === undefined) {
      if (r.slot !== undefined) throw new ProtocolError('MALFORMED', GET, `${f}.slot`, 'a slot preimage needs the address preimage');
      return entry;
    }
    if (account && r.slot !== undefined) throw new ProtocolError('MALFORMED', GET, `${f}.slot`, 'an account proof has no slot');
    if (!account && r.slot === undefined) throw new ProtocolError('MALFORMED', GET, `${f}.slot`, 'a storage proof with preimages needs the slot');
    return [...entry, checkLength(r.address, 20, GET, `${f}.address`), r.slot === undefined ? new Uint8Array(0) : checkLength(r.slot, 32, GET, `${f}.slot`)];
  });
  return encodeRequestEnvelope(msg.reqID, encodeRlp(reqs), GET);
}

export function getProofsV2FromRlp(item: RlpItem): GetProofsV2 {
  const { reqID, data } = readRequestEnvelope(item, GET);
  const reqs = readList(data, GET, 'reqs', { max: MAX_PROOF_REQS }).map((r, i): ProofRequest => {
    const f = `reqs[${i}]`;
    const fields = readList(r, GET, f, { min: 4, max: 6 });
    if (fields.length === 5) throw new ProtocolError('MALFORMED', GET, f, 'expected 4 items, or 6 with preimages, got 5');
    const [blockHash, first, second, fromLevel, address, slot] = fields;
    const a = readKey(first, `${f}.accKey`);
    const b = readKey(second, `${f}.key`);
    if (a.length === 0 && b.length === 0) throw new ProtocolError('MALFORMED', GET, f, 'accKey and key are both empty');
    // [h, "", k] (go-ethereum) and [h, k, ""] (les.md prose) both ask for the account proof of k.
    const storage = a.length !== 0 && b.length !== 0;
    const req: ProofRequest = {
      blockHash: readBytes(blockHash, GET, `${f}.blockHash`, { len: 32 }),
      accountKey: a.length === 0 ? b : a,
      storageKey: storage ? b : new Uint8Array(0),
      fromLevel: readUint(fromLevel, GET, `${f}.fromLevel`),
    };
    if (address === undefined) return req;
    req.address = readBytes(address, GET, `${f}.address`, { len: 20 });
    const s = readBytes(slot, GET, `${f}.slot`, { len: storage ? 32 : 0 });
    if (storage) req.slot = s;
    return req;
  });
  return { reqID, reqs };
}

function readKey(item: RlpItem | undefined, field: string): Uint8Array {
  const key = readBytes(item, GET, field);
  if (key.length !== 0 && key.length !== 32) throw new ProtocolError('MALFORMED', GET, field, `expected 0 or 32 bytes, got ${key.length}`);
  return key;
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
