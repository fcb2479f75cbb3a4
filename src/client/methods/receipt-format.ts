/**
 * Receipt and log objects from a block's verified receipts and verified body. Derived fields as a
 * node derives them: gasUsed = difference of cumulativeGasUsed, effectiveGasPrice from the
 * transaction and the header's base fee, contractAddress = CREATE address of (sender, nonce) for a
 * transaction without a recipient, logIndex counted across the block, blobGasUsed/blobGasPrice
 * for blob transactions.
 */
import { getCreateAddress } from 'ethers';
import type { VerifiedHeader } from '../contracts.js';
import { VerificationError } from '../../verify/errors.js';
import type { Log, Receipt } from '../../verify/receipts.js';
import { blobBaseFee, GAS_PER_BLOB } from './fee-math.js';
import { type JsonObject, data, qty } from './format.js';
import { type ParsedTx, effectiveGasPrice } from './tx-format.js';

export interface LogPlace {
  header: VerifiedHeader;
  txHash: Uint8Array;
  txIndex: number;
  /** Index of the log in the whole block. */
  logIndex: number;
}

export function formatLog(log: Log, at: LogPlace): JsonObject {
  return {
    address: data(log.address),
    topics: log.topics.map(data),
    data: data(log.data),
    blockHash: data(at.header.hash),
    blockNumber: qty(at.header.header.number),
    blockTimestamp: qty(at.header.header.timestamp),
    transactionHash: data(at.txHash),
    transactionIndex: qty(at.txIndex),
    logIndex: qty(at.logIndex),
    removed: false,
  };
}

/** Receipts and transactions of one block must pair up (both verified against the same header). */
export function checkPairs(header: VerifiedHeader, txCount: number, receipts: readonly Receipt[]): void {
  if (txCount !== receipts.length) {
    throw new VerificationError('FIELD_MISMATCH', 'receipts', `block ${header.header.number} has ${txCount} transactions and ${receipts.length} receipts`);
  }
}

/** Index of the first log of each receipt in the block. */
export function firstLogIndexes(receipts: readonly Receipt[]): number[] {
  const out: number[] = [];
  let n = 0;
  for (const r of receipts) {
    out.push(n);
    n += r.logs.length;
  }
  return out;
}

/** The receipt object of transaction `i` (parsed: `p`) of the block. */
/** `fork`: the block's fork by the network schedule (the blob gas price's parameters), when known. */
export function formatReceipt(header: VerifiedHeader, p: ParsedTx, receipts: readonly Receipt[], i: number, firstLog: number, fork?: string): JsonObject {
  const r = receipts[i] as Receipt;
  const prev = i === 0 ? 0n : (receipts[i - 1] as Receipt).cumulativeGasUsed;
  const tx = p.tx;
  const out: JsonObject = {
    type: qty(r.type),
    transactionHash: data(p.hash),
    transactionIndex: qty(i),
    blockHash: data(header.hash),
    blockNumber: qty(header.header.number),
    from: p.from,
    to: tx.to === null ? null : tx.to.toLowerCase(),
    cumulativeGasUsed: qty(r.cumulativeGasUsed),
    gasUsed: qty(r.cumulativeGasUsed - prev),
    effectiveGasPrice: qty(effectiveGasPrice(tx, header.header.baseFeePerGas)),
    contractAddress: tx.to === null ? getCreateAddress({ from: p.from, nonce: tx.nonce }).toLowerCase() : null,
    logs: r.logs.map((log, j) => formatLog(log, { header, txHash: p.hash, txIndex: i, logIndex: firstLog + j })),
    logsBloom: data(r.logsBloom),
  };
  if (r.postState !== undefined) out.root = data(r.postState);
  else out.status = qty(r.status ?? 0);
  if (r.type === 3) {
    out.blobGasUsed = qty(BigInt(tx.blobVersionedHashes?.length ?? 0) * GAS_PER_BLOB);
    const fee = blobBaseFee(header.header, fork);
    if (fee !== undefined) out.blobGasPrice = qty(fee);
  }
  return out;
}

/** Every receipt object of a block. */
export function formatBlockReceipts(header: VerifiedHeader, txs: readonly ParsedTx[], receipts: readonly Receipt[], fork?: string): JsonObject[] {
  checkPairs(header, txs.length, receipts);
  const first = firstLogIndexes(receipts);
  return receipts.map((_, i) => formatReceipt(header, txs[i] as ParsedTx, receipts, i, first[i] as number, fork));
}
