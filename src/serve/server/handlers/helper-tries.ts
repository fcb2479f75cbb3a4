/**
 * GetHelperTrieProofs: CHT (subType 0, key = 8-byte block number) and BloomBits (subType 1, key =
 * 2-byte bit index ‖ 8-byte section index) proofs from the section indexers, one deduplicated node
 * list for the batch plus the auxData asked for: auxReq 1 → the trie's root (and no nodes for
 * that request), auxReq 2 with CHT → the header's RLP.
 *
 * A request for a section not built yet (or a CHT key beyond its section, or an unknown auxReq)
 * stops the batch: the reply carries the proofs and auxData of the requests before it. The
 * reference server sent no reply at all then; a prefix lets the client tell at once which
 * requests it covers instead of waiting for a timeout. The reply also stops past the soft size.
 */
import {
  AuxReq,
  Code,
  type GetHelperTrieProofs,
  type HelperTrieRequest,
  HelperTrieType,
  encodeHelperTrieProofs,
} from '../../../wire/index.js';
import { toHex } from '../../../verify/bytes.js';
import type { HelperTrieReader } from '../backend.js';
import { type Handler, type ServeContext, SOFT_REPLY_SIZE } from './types.js';

function readBE(key: Uint8Array, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) v = v * 256 + (key[i] as number);
  return v;
}

interface Answer {
  nodes: Uint8Array[];
  aux?: Uint8Array;
}

/** One request's nodes and auxData, or undefined to stop the batch. */
async function answer(ctx: ServeContext, tries: HelperTrieReader, r: HelperTrieRequest): Promise<Answer | undefined> {
  if (r.sectionIdx >= tries.sectionCount()) return undefined;
  const cht = r.subType === HelperTrieType.CHT;
  if (r.auxReq === AuxReq.Root) {
    const root = cht ? await tries.chtRoot(r.sectionIdx) : await tries.bloomTrieRoot(r.sectionIdx);
    return root === undefined ? undefined : { nodes: [], aux: root };
  }
  if (r.auxReq !== AuxReq.None && !(cht && r.auxReq === AuxReq.Header)) return undefined;
  if (cht) {
    const number = readBE(r.key, 0, 8);
    // CHT section i covers blocks 0..(i+1)·size−1; a key beyond has no entry (nor header) to give.
    if (number >= (r.sectionIdx + 1) * tries.sectionSize()) return undefined;
    const nodes = await tries.chtProof(r.sectionIdx, r.key, r.fromLevel);
    if (r.auxReq !== AuxReq.Header) return { nodes };
    const header = await ctx.backend.chain.headerByNumber(number);
    return header === undefined ? undefined : { nodes, aux: header.rlp };
  }
  // BloomTrie section i holds the vectors of BloomBits sections 0..i.
  if (readBE(r.key, 2, 10) > r.sectionIdx || readBE(r.key, 0, 2) > 2047) return undefined;
  return { nodes: await tries.bloomTrieProof(r.sectionIdx, r.key, r.fromLevel) };
}

export const getHelperTrieProofs: Handler<GetHelperTrieProofs> = {
  code: Code.GetHelperTrieProofs,
  replyCode: Code.HelperTrieProofs,
  items: (msg) => msg.reqs.length,
  served: () => true,
  async serve(ctx, msg) {
    const nodes: Uint8Array[] = [];
    const auxData: Uint8Array[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    let done = 0;
    for (const r of msg.reqs) {
      if (bytes >= SOFT_REPLY_SIZE) break;
      let a: Answer | undefined;
      try {
        a = await answer(ctx, ctx.backend.helperTries, r);
      } catch (err) {
        ctx.log.warn({ err, section: r.sectionIdx, subType: r.subType }, 'serve: helper-trie proof failed; batch stopped');
      }
      if (a === undefined) break;
      for (const n of a.nodes) {
        const k = toHex(n);
        if (seen.has(k)) continue;
        seen.add(k);
        nodes.push(n);
        bytes += n.length;
      }
      if (a.aux !== undefined) {
        auxData.push(a.aux);
        bytes += a.aux.length;
      }
      done++;
    }
    return { refused: msg.reqs.length - done, encode: (reqID, bv) => encodeHelperTrieProofs({ reqID, bv, nodes, auxData }) };
  },
  fallback: () => (reqID, bv) => encodeHelperTrieProofs({ reqID, bv, nodes: [], auxData: [] }),
};
