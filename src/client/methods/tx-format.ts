/**
 * Transaction objects (eth_getTransactionBy*, full blocks) built from a transaction's canonical
 * binary form — the bytes a verified body holds — parsed by ethers (every type; `from` recovered
 * from the signature). Fields per type as go-ethereum's RPCTransaction: legacy has chainId only
 * when EIP-155 protected and no yParity; typed ones carry yParity and v = yParity. For a mined
 * 1559-style transaction gasPrice is the effective price min(maxFee, baseFee + tip); for a
 * pending one it is maxFeePerGas.
 */
import { Transaction } from 'ethers';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedHeader } from '../contracts.js';
import { hex0x } from '../../verify/bytes.js';
import { type JsonObject, data, hexQty, qty } from './format.js';

/** A parsed transaction with its hash and recovered sender. */
export interface ParsedTx {
  raw: Uint8Array;
  tx: Transaction;
  hash: Uint8Array;
  /** Lower-case 0x address. */
  from: string;
}

/** Parses canonical bytes (throws if they are not a signed transaction ethers knows). */
export function parseTx(raw: Uint8Array): ParsedTx {
  const tx = Transaction.from(hex0x(raw));
  const from = tx.from;
  if (from === null) throw new Error('unsigned transaction');
  return { raw, tx, hash: keccak256(raw), from: from.toLowerCase() };
}

/** Where a mined transaction is. */
export interface TxLocation {
  header: VerifiedHeader;
  index: number;
}

/** What the sender pays per gas in this block (legacy: gasPrice; 1559: min(maxFee, baseFee + tip)). */
export function effectiveGasPrice(tx: Transaction, baseFee: bigint | undefined): bigint {
  if (tx.maxFeePerGas === null || tx.maxPriorityFeePerGas === null) return tx.gasPrice ?? 0n;
  if (baseFee === undefined) return tx.maxFeePerGas;
  const withTip = baseFee + tx.maxPriorityFeePerGas;
  return withTip < tx.maxFeePerGas ? withTip : tx.maxFeePerGas;
}

/** The miner's reward per gas (eth_feeHistory, gas price oracle); may be negative for an invalid pair. */
export function effectiveTip(tx: Transaction, baseFee: bigint | undefined): bigint {
  return effectiveGasPrice(tx, baseFee) - (baseFee ?? 0n);
}

const lower = (a: string | null): string | null => (a === null ? null : a.toLowerCase());

/** The JSON transaction object; `loc` absent = pending (block fields null). */
export function formatTx(p: ParsedTx, loc?: TxLocation): JsonObject {
  const { tx } = p;
  const sig = tx.signature;
  if (sig === null) throw new Error('unsigned transaction');
  const type = tx.type ?? 0;
  const out: JsonObject = {
    type: qty(type),
    nonce: qty(tx.nonce),
    gas: qty(tx.gasLimit),
    to: lower(tx.to),
    value: qty(tx.value),
    input: tx.data,
    r: hexQty(sig.r),
    s: hexQty(sig.s),
    hash: data(p.hash),
    from: p.from,
    blockHash: loc === undefined ? null : data(loc.header.hash),
    blockNumber: loc === undefined ? null : qty(loc.header.header.number),
    transactionIndex: loc === undefined ? null : qty(loc.index),
  };
  if (loc !== undefined) out.blockTimestamp = qty(loc.header.header.timestamp);
  if (type === 0) {
    out.gasPrice = qty(tx.gasPrice ?? 0n);
    // EIP-155: v = chainId·2 + 35 + yParity; unprotected: 27 + yParity.
    out.v = qty(tx.chainId === 0n ? 27n + BigInt(sig.yParity) : tx.chainId * 2n + 35n + BigInt(sig.yParity));
    if (tx.chainId !== 0n) out.chainId = qty(tx.chainId);
    return out;
  }
  out.chainId = qty(tx.chainId);
  out.yParity = qty(sig.yParity);
  out.v = qty(sig.yParity);
  out.accessList = (tx.accessList ?? []).map((e) => ({ address: e.address.toLowerCase(), storageKeys: e.storageKeys.map((k) => k.toLowerCase()) }));
  if (type === 1) {
    out.gasPrice = qty(tx.gasPrice ?? 0n);
    return out;
  }
  out.maxFeePerGas = qty(tx.maxFeePerGas ?? 0n);
  out.maxPriorityFeePerGas = qty(tx.maxPriorityFeePerGas ?? 0n);
  out.gasPrice = qty(loc === undefined ? (tx.maxFeePerGas ?? 0n) : effectiveGasPrice(tx, loc.header.header.baseFeePerGas));
  if (type === 3) {
    out.maxFeePerBlobGas = qty(tx.maxFeePerBlobGas ?? 0n);
    out.blobVersionedHashes = (tx.blobVersionedHashes ?? []).map((h) => h.toLowerCase());
  }
  if (type === 4) {
    out.authorizationList = (tx.authorizationList ?? []).map((a) => ({
      chainId: qty(a.chainId),
      address: a.address.toLowerCase(),
      nonce: qty(a.nonce),
      yParity: qty(a.signature.yParity),
      r: hexQty(a.signature.r),
      s: hexQty(a.signature.s),
    }));
  }
  return out;
}
