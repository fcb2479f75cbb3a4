/**
 * A block's verified contents as the methods need them: the body with its transactions parsed
 * (sender recovered once per block, kept in a small cache by block hash), and the receipts.
 */
import type { VerifiedBody, VerifiedHeader } from '../contracts.js';
import { toHex } from '../../verify/bytes.js';
import type { Receipt } from '../../verify/receipts.js';
import type { MethodContext } from './context.js';
import { checkPairs } from './receipt-format.js';
import { type ParsedTx, parseTx } from './tx-format.js';

export interface BlockTxs {
  body: VerifiedBody;
  txs: ParsedTx[];
}

export async function blockTxs(ctx: MethodContext, vh: VerifiedHeader): Promise<BlockTxs> {
  const body = await ctx.odr.body(vh);
  const key = toHex(vh.hash);
  let txs = ctx.parsed.get(key);
  if (txs === undefined) {
    txs = body.transactions.map(parseTx);
    ctx.parsed.set(key, txs);
  }
  return { body, txs };
}

export interface BlockReceipts extends BlockTxs {
  receipts: Receipt[];
}

export async function blockReceipts(ctx: MethodContext, vh: VerifiedHeader): Promise<BlockReceipts> {
  const [bt, receipts] = await Promise.all([blockTxs(ctx, vh), ctx.odr.receipts(vh)]);
  checkPairs(vh, bt.txs.length, receipts);
  return { ...bt, receipts };
}
