/**
 * Checks of a node's block JSON before anything of it is stored: the header rebuilt from its
 * fields must hash to the node's `hash`; every transaction is rebuilt in canonical form (or taken
 * raw from the node) and must hash to its `hash`; transactions, uncles and withdrawals must give
 * the header's roots; the receipt list must give receiptsRoot. Every failure is a ChainError
 * CHAIN_BAD_BLOCK naming the block and the field.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { RpcBlockHead } from '../rpc/block.js';
import { parseRpcBlock } from '../rpc/block.js';
import { NodeRpcError } from '../rpc/errors.js';
import { equalBytes, hex0x } from '../../verify/bytes.js';
import { VerificationError } from '../../verify/errors.js';
import { type BlockHeader, encodeHeader } from '../../verify/header.js';
import { headerFromRpc } from '../../verify/header-rpc.js';
import { receiptFromRpc } from '../../verify/receipt-rpc.js';
import { encodeWithdrawal, receiptsRoot, transactionsRoot, withdrawalsRoot } from '../../verify/roots.js';
import { type RpcJson, rpcArray, rpcData, rpcObject, rpcQuantity, txFromRpc } from '../../verify/tx-rpc.js';
import { encodeRawList } from '../../wire/rlp.js';
import type { StoredBody } from './codec.js';
import { ChainError } from './errors.js';

export interface CheckedHeader {
  hash: Uint8Array;
  number: number;
  header: BlockHeader;
  rlp: Uint8Array;
  json: RpcJson;
}

/** Where a block came from, for error messages. */
interface BlockRef {
  number?: number;
  hash?: Uint8Array;
}

/** Runs `fn`, turning the checkers' errors into CHAIN_BAD_BLOCK for this block. */
export function badBlockGuard<T>(ref: BlockRef, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    throw asBadBlock(ref, cause);
  }
}

export function asBadBlock(ref: BlockRef, cause: unknown): unknown {
  if (cause instanceof VerificationError || (cause instanceof NodeRpcError && cause.code === 'NODE_BAD_RESPONSE')) {
    return badBlock(ref, cause.field ?? 'block', cause.message, cause);
  }
  return cause;
}

export function badBlock(ref: BlockRef, field: string, detail: string, cause?: unknown): ChainError {
  const where = `block ${ref.number ?? '?'}${ref.hash === undefined ? '' : ` ${hex0x(ref.hash)}`}`;
  return new ChainError('CHAIN_BAD_BLOCK', `${where}: ${detail}`, {
    field,
    number: ref.number,
    hash: ref.hash === undefined ? undefined : hex0x(ref.hash),
    cause,
  });
}

/** The header of a block JSON, rebuilt and hash-checked (against `expectHash` too, when given). */
export function checkedHeader(json: unknown, expectHash?: Uint8Array): CheckedHeader {
  const ref: BlockRef = { hash: expectHash };
  return badBlockGuard(ref, () => {
    const o = rpcObject(json, 'block');
    // Name the block in errors as early as its fields allow.
    if (typeof o.number === 'string' && /^0x[0-9a-fA-F]{1,13}$/.test(o.number)) ref.number = Number(o.number);
    ref.hash = rpcData(o.hash, 'block.hash', 32);
    const header = headerFromRpc(o);
    ref.number = header.number;
    const rlp = encodeHeader(header);
    const hash = keccak256(rlp);
    if (!equalBytes(hash, ref.hash)) throw badBlock(ref, 'block.hash', `header fields hash to ${hex0x(hash)}, not the node's hash`);
    if (expectHash !== undefined && !equalBytes(hash, expectHash)) throw badBlock(ref, 'block.hash', `asked for ${hex0x(expectHash)}`);
    return { hash, number: header.number, header, rlp, json: o };
  });
}

/** The fields the state tracker needs (src/serve/rpc's reader), as CHAIN_BAD_BLOCK on failure. */
export function blockHeadOf(h: CheckedHeader): RpcBlockHead {
  return badBlockGuard(h, () => parseRpcBlock(h.json));
}

/** The tx hashes of a header-only block JSON (`transactions` as hash strings); not bound by any root yet. */
export function listedTxHashes(h: CheckedHeader): Uint8Array[] {
  return badBlockGuard(h, () =>
    rpcArray(h.json.transactions, 'block.transactions').map((t, i) => {
      // A full block lists objects; their `hash` is the same claim.
      const v = typeof t === 'object' && t !== null ? (t as RpcJson).hash : t;
      return rpcData(v, `block.transactions[${i}]`, 32);
    }),
  );
}

export interface BodyHelpers {
  /** The node's raw bytes of a transaction, when the JSON cannot be rebuilt (unknown type). */
  rawTx?: (hash: Uint8Array) => Promise<Uint8Array | undefined>;
  /** The JSON header of uncle `index` of this block. */
  uncle: (index: number) => Promise<unknown>;
}

async function canonicalTx(h: CheckedHeader, tx: unknown, i: number, helpers: BodyHelpers): Promise<Uint8Array> {
  const field = `block.transactions[${i}]`;
  const claimed = badBlockGuard(h, () => rpcData(rpcObject(tx, field).hash, `${field}.hash`, 32));
  let bytes: Uint8Array | undefined;
  let failure: unknown;
  try {
    bytes = txFromRpc(tx, field);
  } catch (e) {
    failure = e;
  }
  if (bytes !== undefined && equalBytes(keccak256(bytes), claimed)) return bytes;
  const raw = helpers.rawTx === undefined ? undefined : await helpers.rawTx(claimed);
  if (raw !== undefined && equalBytes(keccak256(raw), claimed)) return raw;
  if (failure !== undefined) throw asBadBlock(h, failure);
  throw badBlock(h, `${field}.hash`, 'the transaction rebuilt from its fields does not hash to its hash');
}

function requireRoot(h: BlockRef, field: string, got: Uint8Array, want: Uint8Array | undefined): void {
  if (want === undefined || !equalBytes(got, want)) {
    throw badBlock(h, field, `computed ${hex0x(got)}, header has ${want === undefined ? 'none' : hex0x(want)}`);
  }
}

/**
 * The body of a full block JSON (`eth_getBlockBy*(…, true)`) in canonical forms, checked against
 * the header's transactionsRoot, uncle hash and withdrawalsRoot. Returns the verified tx hashes.
 */
export async function checkedBody(h: CheckedHeader, helpers: BodyHelpers): Promise<{ body: StoredBody; txHashes: Uint8Array[] }> {
  const txJson = badBlockGuard(h, () => rpcArray(h.json.transactions, 'block.transactions'));
  const transactions: Uint8Array[] = [];
  for (let i = 0; i < txJson.length; i++) {
    if (typeof txJson[i] !== 'object') throw badBlock(h, `block.transactions[${i}]`, 'expected a transaction object (ask with full transactions)');
    transactions.push(await canonicalTx(h, txJson[i], i, helpers));
  }
  requireRoot(h, 'block.transactions', transactionsRoot(transactions), h.header.transactionsRoot);

  const uncleHashes = badBlockGuard(h, () => rpcArray(h.json.uncles ?? [], 'block.uncles', 16).map((u, i) => rpcData(u, `block.uncles[${i}]`, 32)));
  const uncles: Uint8Array[] = [];
  for (let i = 0; i < uncleHashes.length; i++) {
    const json = await helpers.uncle(i);
    try {
      uncles.push(checkedHeader(json, uncleHashes[i]).rlp);
    } catch (e) {
      throw badBlock(h, `block.uncles[${i}]`, `uncle: ${(e as Error).message}`, e);
    }
  }
  requireRoot(h, 'block.uncles', keccak256(encodeRawList(uncles)), h.header.uncleHash);

  const body: StoredBody = { transactions, uncles };
  const wj = h.json.withdrawals;
  if (h.header.withdrawalsRoot !== undefined || (wj !== undefined && wj !== null)) {
    const ws = badBlockGuard(h, () =>
      rpcArray(wj, 'block.withdrawals').map((w, i) => {
        const f = `block.withdrawals[${i}]`;
        const o = rpcObject(w, f);
        return {
          index: rpcQuantity(o.index, `${f}.index`, 8),
          validatorIndex: rpcQuantity(o.validatorIndex, `${f}.validatorIndex`, 8),
          address: rpcData(o.address, `${f}.address`, 20),
          amount: rpcQuantity(o.amount, `${f}.amount`, 8),
        };
      }),
    );
    requireRoot(h, 'block.withdrawals', withdrawalsRoot(ws), h.header.withdrawalsRoot);
    body.withdrawals = ws.map(encodeWithdrawal);
  }
  return { body, txHashes: transactions.map((t) => keccak256(t)) };
}

/** A block's receipts (`eth_getBlockReceipts`) in canonical forms, checked against receiptsRoot. */
export function checkedReceipts(h: { hash: Uint8Array; number: number; header: BlockHeader }, json: unknown, txCount?: number): Uint8Array[] {
  return badBlockGuard(h, () => {
    const list = rpcArray(json, 'receipts');
    if (txCount !== undefined && list.length !== txCount) throw badBlock(h, 'receipts', `${list.length} receipts for ${txCount} transactions`);
    const receipts = list.map((r, i) => receiptFromRpc(r, `receipts[${i}]`));
    requireRoot(h, 'receipts', receiptsRoot(receipts), h.header.receiptsRoot);
    return receipts;
  });
}
