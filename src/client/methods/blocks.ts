/**
 * Whole-block methods: the block object (hashes or full transactions), its header alone (geth's
 * eth_getHeaderBy*), its transaction and uncle counts, its uncles, and all its receipts. A block
 * that does not exist (above the head, unknown hash) is null. Uncles come from the verified body
 * (its uncle list hashes to the header's sha3Uncles); after the merge there are none.
 */
import type { VerifiedHeader } from '../contracts.js';
import { blockReceipts, blockTxs } from './block-data.js';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { decodeHeader } from '../../verify/header.js';
import { formatBlock, formatHeader } from './block-format.js';
import { type MethodContext, findHeader, forkOf } from './context.js';
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

async function uncleCount(ctx: MethodContext, header: VerifiedHeader | undefined): Promise<unknown> {
  return header === undefined ? null : qty((await ctx.odr.body(header)).uncles.length);
}

/** Uncle `index` as geth gives it: a block object of the uncle's header, no transactions nor uncles. */
async function uncle(ctx: MethodContext, header: VerifiedHeader | undefined, index: number): Promise<unknown> {
  if (header === undefined) return null;
  const raw = (await ctx.odr.body(header)).uncles[index];
  if (raw === undefined) return null;
  const vh: VerifiedHeader = { header: decodeHeader(raw), hash: keccak256(raw), rlp: raw };
  return formatBlock(vh, { transactions: [], uncles: [] }, false);
}

const byHash = (hash: Uint8Array): BlockRef => ({ kind: 'hash', hash, requireCanonical: false });
const uncleIndex = P.index('index');

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
  method<[BlockNumberRef]>({
    name: 'eth_getHeaderByNumber',
    params: [P.blockNumber()],
    handler: async (ctx, [ref]) => {
      const header = await findHeader(ctx, ref);
      return header === undefined ? null : formatHeader(header);
    },
  }),
  method<[Uint8Array]>({
    name: 'eth_getHeaderByHash',
    params: [P.hash('blockHash')],
    handler: async (ctx, [hash]) => {
      const header = await findHeader(ctx, byHash(hash));
      return header === undefined ? null : formatHeader(header);
    },
  }),
  method<[BlockNumberRef]>({
    name: 'eth_getUncleCountByBlockNumber',
    params: [P.blockNumber()],
    handler: async (ctx, [ref]) => uncleCount(ctx, await findHeader(ctx, ref)),
  }),
  method<[Uint8Array]>({
    name: 'eth_getUncleCountByBlockHash',
    params: [P.hash('blockHash')],
    handler: async (ctx, [hash]) => uncleCount(ctx, await findHeader(ctx, byHash(hash))),
  }),
  method<[BlockNumberRef, number]>({
    name: 'eth_getUncleByBlockNumberAndIndex',
    params: [P.blockNumber(), uncleIndex],
    handler: async (ctx, [ref, index]) => uncle(ctx, await findHeader(ctx, ref), index),
  }),
  method<[Uint8Array, number]>({
    name: 'eth_getUncleByBlockHashAndIndex',
    params: [P.hash('blockHash'), uncleIndex],
    handler: async (ctx, [hash, index]) => uncle(ctx, await findHeader(ctx, byHash(hash)), index),
  }),
  method<[BlockRef]>({
    name: 'eth_getBlockReceipts',
    params: [P.block()],
    async handler(ctx, [ref]) {
      const header = await findHeader(ctx, ref);
      if (header === undefined) return null;
      const { txs, receipts } = await blockReceipts(ctx, header);
      return formatBlockReceipts(header, txs, receipts, forkOf(ctx, header));
    },
  }),
];
