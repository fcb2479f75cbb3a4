/**
 * Single transactions and receipts, and sending.
 *
 * Finding a transaction by hash: the servers' tx status (Odr.txStatus) names [blockHash, number,
 * index], which cannot be proven; it is believed only when the header by that hash is verified,
 * has that number, is canonical, and the verified body holds a transaction with that hash at that
 * index. Otherwise the answer is the transaction from this client's pending pool (block fields
 * null) if it sent it, else null.
 */
import { Transaction, getBytes } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedHeader } from '../contracts.js';
import { LespError } from '../../errors.js';
import { equalBytes, toHex } from '../../verify/bytes.js';
import { TxState } from '../../wire/tx.js';
import { blockReceipts } from './block-data.js';
import { type MethodContext, findHeader, forkOf } from './context.js';
import { InvalidParamsError, MethodError } from './errors.js';
import { data } from './format.js';
import { type BlockNumberRef, type BlockRef, P } from './params.js';
import { firstLogIndexes, formatReceipt } from './receipt-format.js';
import { type MethodSpec, method } from './table.js';
import { type ParsedTx, formatTx, parseTx } from './tx-format.js';

interface Located {
  header: VerifiedHeader;
  index: number;
  raw: Uint8Array;
}

/** The mined transaction `hash`, checked against verified data; undefined if not (provably) mined. */
async function locate(ctx: MethodContext, hash: Uint8Array): Promise<Located | undefined> {
  const [status] = await ctx.odr.txStatus([hash]);
  const lookup = status?.status === TxState.Included ? status.lookup : undefined;
  if (lookup === undefined || lookup.blockNumber > ctx.chain.head().header.number) return undefined;
  const header = await findHeader(ctx, { kind: 'hash', hash: lookup.blockHash, requireCanonical: false });
  if (header === undefined || header.header.number !== lookup.blockNumber) return undefined;
  if (!(await ctx.chain.isCanonical(header.hash, lookup.blockNumber))) return undefined;
  const raw = (await ctx.odr.body(header)).transactions[lookup.txIndex];
  if (raw === undefined || !equalBytes(keccak256(raw), hash)) return undefined;
  ctx.pending.remove(hash);
  return { header, index: lookup.txIndex, raw };
}

/** Parsed once per block when the block's transactions were parsed already, else just this one. */
function parsedAt(ctx: MethodContext, at: Located): ParsedTx {
  return ctx.parsed.get(toHex(at.header.hash))?.[at.index] ?? parseTx(at.raw);
}

async function byHash(ctx: MethodContext, hash: Uint8Array): Promise<unknown> {
  const at = await locate(ctx, hash);
  if (at !== undefined) return formatTx(parsedAt(ctx, at), at);
  const pending = ctx.pending.get(hash);
  return pending === undefined ? null : formatTx(pending);
}

async function byBlockAndIndex(ctx: MethodContext, ref: BlockRef, index: number): Promise<unknown> {
  const header = await findHeader(ctx, ref);
  if (header === undefined) return null;
  const raw = (await ctx.odr.body(header)).transactions[index];
  if (raw === undefined) return null;
  return formatTx(parsedAt(ctx, { header, index, raw }), { header, index });
}

async function receipt(ctx: MethodContext, hash: Uint8Array): Promise<unknown> {
  const at = await locate(ctx, hash);
  if (at === undefined) return null;
  const { txs, receipts } = await blockReceipts(ctx, at.header);
  return formatReceipt(at.header, txs[at.index] as ParsedTx, receipts, at.index, firstLogIndexes(receipts)[at.index] as number, forkOf(ctx, at.header));
}

/** Checks that the bytes are a signed transaction for this chain. */
function parseSigned(ctx: MethodContext, raw: Uint8Array): ParsedTx {
  let tx: Transaction;
  try {
    tx = Transaction.from(data(raw));
  } catch (e) {
    throw new InvalidParamsError('transaction', `not a transaction: ${e instanceof Error ? e.message.split(' (')[0] : String(e)}`);
  }
  if (tx.signature === null || tx.hash === null) throw new InvalidParamsError('transaction', 'the transaction is not signed');
  let from: string | null;
  try {
    from = tx.from;
  } catch {
    // A signature whose r is not on the curve makes recovery throw: the caller's bytes are wrong.
    throw new InvalidParamsError('transaction', 'invalid signature: no sender can be recovered');
  }
  if (from === null) throw new InvalidParamsError('transaction', 'the transaction is not signed');
  if (tx.type === 0 && tx.chainId === 0n) {
    throw new MethodError('TX_REJECTED', 'only replay-protected (EIP-155) transactions allowed over RPC', { field: 'transaction' });
  }
  if (tx.chainId !== ctx.config.chainId) throw new InvalidParamsError('transaction', `chain id ${tx.chainId}, this chain is ${ctx.config.chainId}`);
  return { raw, tx, hash: getBytes(tx.hash), from: from.toLowerCase() };
}

async function send(ctx: MethodContext, raw: Uint8Array): Promise<string> {
  const p = parseSigned(ctx, raw);
  const status = await ctx.odr.sendTransaction(raw);
  if (status.status === TxState.Error) {
    throw new MethodError('TX_REJECTED', status.error === undefined || status.error === '' ? 'transaction rejected' : status.error, { field: 'transaction' });
  }
  if (status.status !== TxState.Included) ctx.pending.add(p);
  ctx.pending.noteSent(p);
  return data(p.hash);
}

const rethrowUnlessMissing = (e: unknown) => {
  if (e instanceof LespError && e.code === 'NOT_AVAILABLE') return null;
  throw e;
};

export const transactionMethods: readonly MethodSpec[] = [
  method<[Uint8Array]>({
    name: 'eth_getTransactionByHash',
    params: [P.hash('transactionHash')],
    handler: (ctx, [hash]) => byHash(ctx, hash).catch(rethrowUnlessMissing),
  }),
  method<[Uint8Array, number]>({
    name: 'eth_getTransactionByBlockHashAndIndex',
    params: [P.hash('blockHash'), P.index('index')],
    handler: (ctx, [hash, index]) => byBlockAndIndex(ctx, { kind: 'hash', hash, requireCanonical: false }, index),
  }),
  method<[BlockNumberRef, number]>({
    name: 'eth_getTransactionByBlockNumberAndIndex',
    params: [P.blockNumber(), P.index('index')],
    handler: (ctx, [ref, index]) => byBlockAndIndex(ctx, ref, index),
  }),
  method<[Uint8Array]>({
    name: 'eth_getTransactionReceipt',
    params: [P.hash('transactionHash')],
    handler: (ctx, [hash]) => receipt(ctx, hash).catch(rethrowUnlessMissing),
  }),
  method<[Uint8Array]>({
    name: 'eth_sendRawTransaction',
    params: [P.data('transaction')],
    handler: (ctx, [raw]) => send(ctx, raw),
  }),
];
