/**
 * GetBlockHeaders: `amount` headers from an origin (number: canonical; hash: any stored header),
 * `skip` blocks apart, rising or (reverse) falling. The walk stops at the first block it does not
 * know, past the head, below genesis, or once the reply passes the soft size (2 MiB).
 *
 * Following the reference server: going backwards from a hash walks parent links while off the
 * canonical chain (at most 100 non-canonical steps), then canonical numbers; going forwards from a
 * hash continues only if that header is canonical (the next canonical header at +skip+1 descends
 * from it exactly then).
 */
import { Code, type GetBlockHeaders, encodeBlockHeaders } from '../../../wire/index.js';
import { equalBytes } from '../../../verify/bytes.js';
import type { ChainReader, ServedHeader } from '../backend.js';
import { type Handler, SOFT_REPLY_SIZE } from './types.js';

/** Parent links followed off the canonical chain in one request. */
export const MAX_NON_CANONICAL_STEPS = 100;

async function isCanonical(chain: ChainReader, h: ServedHeader): Promise<boolean> {
  const c = await chain.canonicalHash(h.number);
  return c !== undefined && equalBytes(c, h.hash);
}

/** The ancestor `distance` blocks below `from`, or undefined. `budget.steps` bounds parent walks. */
async function ancestor(chain: ChainReader, from: ServedHeader, distance: number, budget: { steps: number }): Promise<ServedHeader | undefined> {
  if (distance > from.number) return undefined;
  let cur = from;
  let left = distance;
  while (left > 0) {
    if (await isCanonical(chain, cur)) return chain.headerByNumber(cur.number - left);
    if (budget.steps-- <= 0) return undefined;
    const parent = await chain.headerByHash(cur.parentHash);
    if (parent === undefined) return undefined;
    cur = parent;
    left--;
  }
  return cur;
}

export async function collectHeaders(chain: ChainReader, q: Pick<GetBlockHeaders, 'origin' | 'amount' | 'skip' | 'reverse'>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  if (q.amount === 0) return out;
  const step = q.skip + 1;
  const headNumber = chain.head().number;
  let cur = 'hash' in q.origin ? await chain.headerByHash(q.origin.hash) : await chain.headerByNumber(q.origin.number);
  let bytes = 0;
  const budget = { steps: MAX_NON_CANONICAL_STEPS };
  while (cur !== undefined && out.length < q.amount && bytes < SOFT_REPLY_SIZE) {
    out.push(cur.rlp);
    bytes += cur.rlp.length;
    if (out.length === q.amount) break;
    if (q.reverse) {
      cur = await ancestor(chain, cur, step, budget);
    } else {
      const next = cur.number + step;
      if (next > headNumber || !Number.isSafeInteger(next)) break;
      if (out.length === 1 && 'hash' in q.origin && !(await isCanonical(chain, cur))) break;
      cur = await chain.headerByNumber(next);
    }
  }
  return out;
}

export const getBlockHeaders: Handler<GetBlockHeaders> = {
  code: Code.GetBlockHeaders,
  replyCode: Code.BlockHeaders,
  items: (msg) => msg.amount,
  served: () => true,
  async serve(ctx, msg) {
    const headers = await collectHeaders(ctx.backend.chain, msg);
    return {
      refused: msg.amount - headers.length,
      encode: (reqID, bv) => encodeBlockHeaders({ reqID, bv, headers }),
    };
  },
  fallback: () => (reqID, bv) => encodeBlockHeaders({ reqID, bv, headers: [] }),
};
