/**
 * GetProofsV2 and GetContractCodes, from the server's own state copy (StateTracker): a block's
 * state is served only when the root this server computed equals the header's stateRoot, and
 * only inside the announced window (serveRecentState: the N latest blocks; 0 = all since start).
 *
 * GetProofsV2: one deduplicated node list for the whole batch (requests for the same block are
 * proven together; lists of different blocks are merged without repeats). A request for a block
 * whose state is not servable (unknown, outside the window, or not matching its header) stops the
 * batch: the reply carries the proofs of the requests before it. The reference server skipped
 * such requests and went on; stopping keeps the reply a proof of a prefix of the batch, so a
 * client knows which requests it covers. The reply also stops once past the soft size (2 MiB).
 *
 * GetContractCodes: one entry per request; an unknown block, a state not servable, an absent
 * account or an account without code all give the empty code (the client checks every code
 * against the proven account's codeHash).
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
import { EMPTY_CODE_HASH } from '../../../verify/state.js';
import type { ServableState } from '../backend.js';
import { type Handler, type ServeContext, SOFT_REPLY_SIZE } from './types.js';

/** The state of `blockHash` if it may be served now. */
export async function servableState(ctx: ServeContext, blockHash: Uint8Array): Promise<ServableState | undefined> {
  const st = await ctx.backend.state.stateAt(blockHash);
  if (st === undefined) return undefined;
  const { recentState } = ctx.policy;
  if (recentState > 0 && st.number + recentState <= ctx.backend.chain.head().number) return undefined;
  return st;
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
      let proof: Uint8Array[];
      try {
        proof = ctx.backend.state.buildProofs(st.stateRoot, reqs.slice(done, end));
      } catch (err) {
        ctx.log.warn({ err, block: st.number }, 'serve: proof failed; batch stopped');
        break;
      }
      if (done === 0 && end === reqs.length) {
        // One block: the prover's list is already deduplicated.
        nodes.push(...proof);
        for (const n of proof) bytes += n.length;
      } else {
        bytes += mergeNodes(nodes, seen, proof);
      }
      done = end;
    }
    return { refused: reqs.length - done, encode: (reqID, bv) => encodeProofsV2({ reqID, bv, nodes }) };
  },
  fallback: () => (reqID, bv) => encodeProofsV2({ reqID, bv, nodes: [] }),
};

const NO_CODE: Uint8Array = new Uint8Array(0);

export const getContractCodes: Handler<GetContractCodes> = {
  code: Code.GetContractCodes,
  replyCode: Code.ContractCodes,
  items: (msg) => msg.reqs.length,
  served: () => true,
  async serve(ctx, msg) {
    const codes: Uint8Array[] = [];
    let bytes = 0;
    let refused = 0;
    for (const req of msg.reqs) {
      if (bytes >= SOFT_REPLY_SIZE) break;
      const st = await servableState(ctx, req.blockHash);
      const account = st === undefined ? undefined : ctx.backend.state.getAccount(st.stateRoot, req.accountKey);
      let code = NO_CODE;
      if (st === undefined) refused++;
      else if (account !== undefined && !equalBytes(account.codeHash, EMPTY_CODE_HASH)) {
        const found = await ctx.backend.state.getCode(account.codeHash);
        if (found === undefined) refused++;
        code = found ?? NO_CODE;
      }
      codes.push(code);
      bytes += code.length;
    }
    refused += msg.reqs.length - codes.length;
    return { refused, encode: (reqID, bv) => encodeContractCodes({ reqID, bv, codes }) };
  },
  fallback: () => (reqID, bv) => encodeContractCodes({ reqID, bv, codes: [] }),
};
