/**
 * SendTxV2 and GetTxStatus. Status of a transaction: Included (from the chain store's canonical
 * lookup, [blockHash, number, index]) when it lies inside the announced recentTxLookup window;
 * else Pending when the node holds it unmined (eth_getTransactionByHash without a block); else
 * Unknown. A mined transaction the chain store has not reached yet reads Unknown until it has.
 *
 * SendTxV2 relays each transaction, in order, with eth_sendRawTransaction: a transaction whose
 * status is already known is not sent again and its status is the answer; accepted → Pending;
 * refused → Error with the node's message, unless the node already had it (then its status).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import {
  Code,
  type GetTxStatus,
  type SendTxV2,
  TxState,
  type TxStatusEntry,
  encodeTxStatus,
} from '../../../wire/index.js';
import type { Handler, ReplyEncoder, ServeContext } from './types.js';

/** Whether an inclusion at `blockNumber` is inside the recentTxLookup window (0 = all, 1 = none). */
export function inTxLookupWindow(recentTxLookup: number, blockNumber: number, headNumber: number): boolean {
  if (recentTxLookup === 0) return true;
  return blockNumber + recentTxLookup - 1 > headNumber;
}

export async function txStatuses(ctx: ServeContext, hashes: readonly Uint8Array[]): Promise<TxStatusEntry[]> {
  const { chain, txPool } = ctx.backend;
  const head = chain.head().number;
  const out: TxStatusEntry[] = [];
  const ask: number[] = [];
  for (const [i, hash] of hashes.entries()) {
    const lookup = await chain.txLookup(hash);
    if (lookup !== undefined && inTxLookupWindow(ctx.policy.recentTxLookup, lookup.blockNumber, head)) {
      out[i] = { status: TxState.Included, lookup };
    } else {
      out[i] = { status: TxState.Unknown };
      if (lookup === undefined) ask.push(i);
    }
  }
  if (ask.length > 0) {
    const pending = await txPool.pending(ask.map((i) => hashes[i] as Uint8Array));
    ask.forEach((i, j) => {
      if (pending[j] === true) out[i] = { status: TxState.Pending };
    });
  }
  return out;
}

const statusReply =
  (statuses: TxStatusEntry[]): ReplyEncoder =>
  (reqID, bv) =>
    encodeTxStatus({ reqID, bv, statuses });

export const getTxStatus: Handler<GetTxStatus> = {
  code: Code.GetTxStatus,
  replyCode: Code.TxStatus,
  items: (msg) => msg.hashes.length,
  served: () => true,
  async serve(ctx, msg) {
    const statuses = await txStatuses(ctx, msg.hashes);
    return { refused: 0, encode: statusReply(statuses) };
  },
  fallback: (msg) => statusReply(msg.hashes.map(() => ({ status: TxState.Unknown }))),
};

export const sendTxV2: Handler<SendTxV2> = {
  code: Code.SendTxV2,
  replyCode: Code.TxStatus,
  items: (msg) => msg.txs.length,
  served: (ctx) => ctx.policy.txRelay,
  async serve(ctx, msg) {
    const statuses: TxStatusEntry[] = [];
    let refused = 0;
    for (const tx of msg.txs) {
      const hash = keccak256(tx);
      const [known] = await txStatuses(ctx, [hash]);
      if (known !== undefined && known.status !== TxState.Unknown) {
        statuses.push(known);
        continue;
      }
      const sent = await ctx.backend.txPool.send(tx);
      if (sent.ok) {
        statuses.push({ status: TxState.Pending });
        continue;
      }
      const [after] = await txStatuses(ctx, [hash]);
      if (after !== undefined && after.status !== TxState.Unknown) statuses.push(after);
      else {
        refused++;
        statuses.push({ status: TxState.Error, error: sent.error });
      }
    }
    return { refused, encode: statusReply(statuses) };
  },
  fallback: (msg) => statusReply(msg.txs.map(() => ({ status: TxState.Error, error: 'the server could not reach its node' }))),
};
