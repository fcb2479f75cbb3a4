/**
 * Whole-block methods: the block object (hashes or full transactions), its transaction count, and
 * all its receipts. A block that does not exist (above the head, unknown hash) is null.
 */
import type { VerifiedHeader } from '../contracts.js';
import { blockReceipts, blockTxs } from './block-data.js';
import { formatBlock } from './block-format.js';
import { type MethodContext, findHeader } from './context.js';
import { qty } from './format.js';
import { type BlockNumberRef, type BlockRef, P } from './params.js';
import { formatBlockReceipts } from './receipt-format.js';
import { type MethodSpec, method } from './table.js';

async function block(ctx: MethodContext, header: VerifiedHeader | undefined, full: boolean): Promise<unknown> {
  if (header === undefined) return null;
  if (!full) return formatBlock(header, await ctx.odr.body(header), false);
  const { body, txs } = await blockTxs(ctx, header);
  return formatBlock(header, body, true, txs);
}

async function txCount(ctx: MethodContext, header: VerifiedHeader | undefined): Promise<unknown> {
  return header === undefined ? null : qty((await ctx.odr.body(header)).transactions.length);
}

const byHash = (hash: Uint8Array): BlockRef => ({ kind: 'hash', hash, requireCanonical: false });

export const blockMethods: readonly MethodSpec[] = [
  method<[BlockNumberRef, boolean]>({
    name: 'eth_getBlockByNumber',
    params: [P.blockNumber(), P.bool('fullTransactions')],
    handler: async (ctx, [ref, full]) => block(ctx, await findHeader(ctx, ref), full),
  }),
  method<[Uint8Array, boolean]>({
    name: 'eth_getBlockByHash',
    params: [P.hash('blockHash'), P.bool('fullTransactions')],
    handler: async (ctx, [hash, full]) => block(ctx, await findHeader(ctx, byHash(hash)), full),
  }),
  method<[BlockNumberRef]>({
    name: 'eth_getBlockTransactionCountByNumber',
    params: [P.blockNumber()],
    handler: async (ctx, [ref]) => txCount(ctx, await findHeader(ctx, ref)),
  }),
  method<[Uint8Array]>({
    name: 'eth_getBlockTransactionCountByHash',
    params: [P.hash('blockHash')],
    handler: async (ctx, [hash]) => txCount(ctx, await findHeader(ctx, byHash(hash))),
  }),
  method<[BlockRef]>({
    name: 'eth_getBlockReceipts',
    params: [P.block()],
    async handler(ctx, [ref]) {
      const header = await findHeader(ctx, ref);
      if (header === undefined) return null;
      const { txs, receipts } = await blockReceipts(ctx, header);
      return formatBlockReceipts(header, txs, receipts);
    },
  }),
];
