/**
 * GetBlockBodies and GetReceipts, from the chain store (which fetches from the node and checks
 * against the header's roots when it has not cached them).
 *
 * An unknown hash gets an empty entry (a body `[[], []]`, an empty receipt list), so every entry
 * stays at the position of its hash. The reference server skipped unknown hashes instead (and
 * counted them against the client), which shifts later entries; a client that checks each entry
 * against its header rejects an empty entry for a non-empty block either way. The reply stops
 * growing once past the soft size (2 MiB): the entries sent are then a prefix.
 */
import { type BlockBody, Code, type GetBlockBodies, type GetReceipts, encodeBlockBodies, encodeReceipts } from '../../../wire/index.js';
import { type Handler, SOFT_REPLY_SIZE } from './types.js';

const EMPTY_BODY: BlockBody = { transactions: [], uncles: [] };

function bodySize(b: BlockBody): number {
  let n = 0;
  for (const t of b.transactions) n += t.length;
  for (const u of b.uncles) n += u.length;
  for (const w of b.withdrawals ?? []) n += w.length;
  return n;
}

function listSize(list: readonly Uint8Array[]): number {
  let n = 0;
  for (const x of list) n += x.length;
  return n;
}

export const getBlockBodies: Handler<GetBlockBodies> = {
  code: Code.GetBlockBodies,
  replyCode: Code.BlockBodies,
  items: (msg) => msg.hashes.length,
  served: () => true,
  async serve(ctx, msg) {
    const bodies: BlockBody[] = [];
    let bytes = 0;
    let refused = 0;
    for (const hash of msg.hashes) {
      if (bytes >= SOFT_REPLY_SIZE) break;
      const body = await ctx.backend.chain.getBody(hash);
      if (body === undefined) refused++;
      const entry = body ?? EMPTY_BODY;
      bodies.push(entry);
      bytes += bodySize(entry);
    }
    refused += msg.hashes.length - bodies.length;
    return { refused, encode: (reqID, bv) => encodeBlockBodies({ reqID, bv, bodies }) };
  },
  fallback: () => (reqID, bv) => encodeBlockBodies({ reqID, bv, bodies: [] }),
};

export const getReceipts: Handler<GetReceipts> = {
  code: Code.GetReceipts,
  replyCode: Code.Receipts,
  items: (msg) => msg.hashes.length,
  served: () => true,
  async serve(ctx, msg) {
    const receipts: Uint8Array[][] = [];
    let bytes = 0;
    let refused = 0;
    for (const hash of msg.hashes) {
      if (bytes >= SOFT_REPLY_SIZE) break;
      const list = await ctx.backend.chain.getReceipts(hash);
      if (list === undefined) refused++;
      receipts.push(list ?? []);
      bytes += listSize(list ?? []);
    }
    refused += msg.hashes.length - receipts.length;
    return { refused, encode: (reqID, bv) => encodeReceipts({ reqID, bv, receipts }) };
  },
  fallback: () => (reqID, bv) => encodeReceipts({ reqID, bv, receipts: [] }),
};
