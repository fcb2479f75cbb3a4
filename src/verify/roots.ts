/**
 * The roots a header commits to for its body and receipts: ordered tries of transactions,
 * receipts and withdrawals (key = rlp(index), value = the item's canonical bytes), and the uncle
 * hash (keccak256 of the RLP list of uncle headers). Verifiers compare them with the header.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { equalBytes, hex0x } from './bytes.js';
import { VerificationError } from './errors.js';
import type { BlockHeader } from './header.js';
import { type Receipt, decodeReceiptItem, typedItemBytes } from './receipts.js';
import { type RlpItem, encodeRlpItem, encodeUint, readBigUint, readBytes, readList } from './rlp.js';
import { EMPTY_TRIE_ROOT, orderedTrieRoot } from './trie-builder.js';

export { EMPTY_TRIE_ROOT };

/** keccak256(rlp([])) — the uncle hash of a block without uncles (every post-merge block). */
export const EMPTY_UNCLE_HASH: Uint8Array = keccak256(Uint8Array.of(0xc0));

export interface Withdrawal {
  index: bigint;
  validatorIndex: bigint;
  address: Uint8Array;
  /** In gwei. */
  amount: bigint;
}

/** A block body as LES/eth carry it: wire items (legacy tx = list, typed tx = byte string). */
export interface BlockBody {
  transactions: RlpItem[];
  uncles: RlpItem[];
  /** Shanghai and later; must be present exactly when the header has withdrawalsRoot. */
  withdrawals?: RlpItem[];
}

/** Root of the transaction trie from each transaction's canonical bytes. */
export function transactionsRoot(txs: readonly Uint8Array[]): Uint8Array {
  return orderedTrieRoot(txs);
}

/** Root of the receipt trie from each receipt's canonical bytes (see `encodeReceipt`). */
export function receiptsRoot(receipts: readonly Uint8Array[]): Uint8Array {
  return orderedTrieRoot(receipts);
}

export function encodeWithdrawal(w: Withdrawal): Uint8Array {
  if (w.address.length !== 20) throw new VerificationError('BAD_ENCODING', 'withdrawal.address', 'expected 20 bytes');
  return encodeRlpItem(withdrawalToItem(w));
}

export function withdrawalToItem(w: Withdrawal): Uint8Array[] {
  return [encodeUint(w.index), encodeUint(w.validatorIndex), w.address, encodeUint(w.amount)];
}

export function decodeWithdrawalItem(item: RlpItem, field = 'withdrawal'): Withdrawal {
  const [index, validatorIndex, address, amount] = readList(item, field, { len: 4 });
  return {
    index: readBigUint(index, `${field}.index`, 8),
    validatorIndex: readBigUint(validatorIndex, `${field}.validatorIndex`, 8),
    address: readBytes(address, `${field}.address`, { len: 20 }),
    amount: readBigUint(amount, `${field}.amount`, 8),
  };
}

/** Root of the withdrawals trie (values are rlp([index, validatorIndex, address, amount])). */
export function withdrawalsRoot(withdrawals: readonly Withdrawal[]): Uint8Array {
  return orderedTrieRoot(withdrawals.map(encodeWithdrawal));
}

/** keccak256(rlp(list of uncle headers)). */
export function uncleHash(uncles: readonly RlpItem[]): Uint8Array {
  return keccak256(encodeRlpItem(uncles as RlpItem[]));
}

function requireRoot(code: 'ROOT_MISMATCH' | 'HASH_MISMATCH', field: string, got: Uint8Array, want: Uint8Array): void {
  if (!equalBytes(got, want)) {
    throw new VerificationError(code, field, `computed ${hex0x(got)}, header has ${hex0x(want)}`);
  }
}

/**
 * A body belongs to `header` when its transaction root, uncle hash and (from Shanghai)
 * withdrawals root match. Withdrawals are strictly decoded; transactions only need a valid
 * envelope here (their root binds them to the header).
 */
export function verifyBody(body: BlockBody, header: BlockHeader): void {
  const txs = readList(body.transactions as RlpItem, 'body.transactions').map((t, i) => typedItemBytes(t, `body.transactions[${i}]`));
  requireRoot('ROOT_MISMATCH', 'body.transactions', transactionsRoot(txs), header.transactionsRoot);
  const uncles = readList(body.uncles as RlpItem, 'body.uncles');
  requireRoot('HASH_MISMATCH', 'body.uncles', uncleHash(uncles), header.uncleHash);
  if (header.withdrawalsRoot === undefined) {
    if (body.withdrawals !== undefined) {
      throw new VerificationError('BAD_ENCODING', 'body.withdrawals', 'present but the header has no withdrawalsRoot');
    }
    return;
  }
  if (body.withdrawals === undefined) {
    throw new VerificationError('BAD_ENCODING', 'body.withdrawals', 'missing but the header has a withdrawalsRoot');
  }
  const ws = readList(body.withdrawals as RlpItem, 'body.withdrawals').map((w, i) =>
    encodeWithdrawal(decodeWithdrawalItem(w, `body.withdrawals[${i}]`)),
  );
  requireRoot('ROOT_MISMATCH', 'body.withdrawals', orderedTrieRoot(ws), header.withdrawalsRoot);
}

/**
 * Require a block's receipts (wire items) to have trie root = header.receiptsRoot, then decode
 * them. The root is checked over the raw bytes first: a typed receipt is an opaque byte string on
 * the wire, and decoding one that no root binds would let a server spend our memory on it.
 */
export function verifyReceipts(receipts: readonly RlpItem[], header: BlockHeader): Receipt[] {
  const list = readList(receipts as RlpItem[], 'receipts');
  const bytes = list.map((r, i) => typedItemBytes(r, `receipts[${i}]`));
  requireRoot('ROOT_MISMATCH', 'receipts', receiptsRoot(bytes), header.receiptsRoot);
  return list.map((r, i) => decodeReceiptItem(r, `receipts[${i}]`));
}
