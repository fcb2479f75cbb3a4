/**
 * GetProofsV2 and GetContractCodes, from the execution node's own proofs (src/serve/state): a
 * block's state is served only inside the announced window (serveStateSince / serveRecentState),
 * for keys whose preimages are known (the index, or the request's own under the preimage
 * extension), and only once the node's answer has been checked against the header's stateRoot.
 *
 * GetProofsV2: one deduplicated node list for the whole batch (requests for the same block are
 * proven together; lists of different blocks are merged without repeats). A request that cannot
 * be served (unknown block, outside the window, an unknown preimage, no state at the node, a node
 * answer that failed its check) stops the batch: the reply carries the proofs of the requests
 * before it. The reference server skipped such requests and went on; stopping keeps the reply a
 * proof of a prefix of the batch, so a client knows which requests it covers. The reply also
 * stops once past the soft size (2 MiB). None of this counts against the client.
 *
 * GetContractCodes: one entry per request up to the first that cannot be served (the same
 * reasons); an absent account or an account without code gives the empty code (the client checks
 * every code against the proven account's codeHash).
 */
import {
  Code,
  type GetContractCodes,
  type GetProofsV2,
  type ProofRequest,
  encodeContractCodes,
  encodeProofsV2,
} from '../../../wire/index.js';
import { equalBytes, toHex } from '../../../verify/bytes.js';
import type { ServableState } from '../backend.js';
import { type Handler, type ServeContext, SOFT_REPLY_SIZE } from './types.js';

/** The state of `blockHash` if it may be served now. */
export async function servableState(ctx: ServeContext, blockHash: Uint8Array): Promise<ServableState | undefined> {
  return ctx.backend.state.stateAt(blockHash);
}

/** Appends `nodes` to `out` unless already there. */
function mergeNodes(out: Uint8Array[], seen: Set<string>, nodes: readonly Uint8Array[]): number {
  let bytes = 0;
  for (const n of nodes) {
    const k = toHex(n);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(n);
    bytes += n.length;
  }
  return bytes;
}

export const getProofsV2: Handler<GetProofsV2> = {
  code: Code.GetProofsV2,
  replyCode: Code.ProofsV2,
  items: (msg) => msg.reqs.length,
  served: () => true,
  async serve(ctx, msg) {
    const reqs = msg.reqs;
    const nodes: Uint8Array[] = [];
    const seen = new Set<string>();
    let bytes = 0;
    let done = 0;
    while (done < reqs.length && bytes < SOFT_REPLY_SIZE) {
      const blockHash = (reqs[done] as ProofRequest).blockHash;
      let end = done + 1;
      while (end < reqs.length && equalBytes((reqs[end] as ProofRequest).blockHash, blockHash)) end++;
      const st = await servableState(ctx, blockHash);
      if (st === undefined) break;
      const proofs = await ctx.backend.state.proofs(st, reqs.slice(done, end));
      for (const proof of proofs) {
        bytes += mergeNodes(nodes, seen, proof);
        done++;
        if (bytes >= SOFT_REPLY_SIZE) break;
      }
      if (done < end) break;
    }
    return { refused: reqs.length - done, encode: (reqID, bv) => encodeProofsV2({ reqID, bv, nodes }) };
  },
  fallback: () => (reqID, bv) => encodeProofsV2({ reqID, bv, nodes: [] }),
};

export const getContractCodes: Handler<GetContractCodes> = {
  code: Code.GetContractCodes,
  replyCode: Code.ContractCodes,
  items: (msg) => msg.reqs.length,
  served: () => true,
  async serve(ctx, msg) {
    const reqs = msg.reqs;
    const codes: Uint8Array[] = [];
    let bytes = 0;
    let done = 0;
    while (done < reqs.length && bytes < SOFT_REPLY_SIZE) {
      const blockHash = (reqs[done] as (typeof reqs)[number]).blockHash;
      let end = done + 1;
      while (end < reqs.length && equalBytes((reqs[end] as (typeof reqs)[number]).blockHash, blockHash)) end++;
      const st = await servableState(ctx, blockHash);
      if (st === undefined) break;
      const found = await ctx.backend.state.codes(st, reqs.slice(done, end));
      for (const code of found) {
        codes.push(code);
        bytes += code.length;
        done++;
        if (bytes >= SOFT_REPLY_SIZE) break;
      }
      if (done < end) break;
    }
    return { refused: reqs.length - done, encode: (reqID, bv) => encodeContractCodes({ reqID, bv, codes }) };
  },
  fallback: () => (reqID, bv) => encodeContractCodes({ reqID, bv, codes: [] }),
};
