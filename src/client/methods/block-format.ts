/**
 * Block objects (eth_getBlockBy*) from a verified header and its verified body: every header
 * field under its JSON-RPC name, `size` (the RLP length of the whole block, as a node computes
 * it), `totalDifficulty` when the header chain knows it, uncle hashes, withdrawals, and the
 * transactions as hashes or full objects.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { VerifiedBody, VerifiedHeader } from '../contracts.js';
import { decodeRlpItem } from '../../verify/rlp.js';
import { decodeWithdrawalItem } from '../../verify/roots.js';
import { type Json, type JsonObject, data, qty } from './format.js';
import { type ParsedTx, formatTx } from './tx-format.js';

function lengthOfLength(n: number): number {
  let k = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) k++;
  return k;
}

/** Bytes of the RLP header of a list whose payload is `payload` bytes. */
const listPrefix = (payload: number) => (payload < 56 ? 1 : 1 + lengthOfLength(payload));

/** Bytes the RLP encoding of byte string `b` takes. */
function stringLength(b: Uint8Array): number {
  if (b.length === 1 && (b[0] as number) < 0x80) return 1;
  return b.length + (b.length < 56 ? 1 : 1 + lengthOfLength(b.length));
}

/** A transaction as a block carries it: legacy = its RLP list, typed = a byte string of type ‖ payload. */
const txWireLength = (raw: Uint8Array) => ((raw[0] as number) >= 0xc0 ? raw.length : stringLength(raw));

const listLength = (parts: readonly number[]) => {
  const payload = parts.reduce((a, b) => a + b, 0);
  return listPrefix(payload) + payload;
};

/** RLP length of [header, txs, uncles(, withdrawals)]. */
export function blockSize(header: VerifiedHeader, body: VerifiedBody): number {
  const parts = [header.rlp.length, listLength(body.transactions.map(txWireLength)), listLength(body.uncles.map((u) => u.length))];
  if (body.withdrawals !== undefined) parts.push(listLength(body.withdrawals.map((w) => w.length)));
  return listLength(parts);
}

/** The header fields of a block object (also what a newHeads subscription sends). */
export function formatHeader(vh: VerifiedHeader): JsonObject {
  const h = vh.header;
  const out: JsonObject = {
    number: qty(h.number),
    hash: data(vh.hash),
    parentHash: data(h.parentHash),
    sha3Uncles: data(h.uncleHash),
    miner: data(h.coinbase),
    stateRoot: data(h.stateRoot),
    transactionsRoot: data(h.transactionsRoot),
    receiptsRoot: data(h.receiptsRoot),
    logsBloom: data(h.logsBloom),
    difficulty: qty(h.difficulty),
    gasLimit: qty(h.gasLimit),
    gasUsed: qty(h.gasUsed),
    timestamp: qty(h.timestamp),
    extraData: data(h.extraData),
    mixHash: data(h.mixHash),
    nonce: data(h.nonce),
  };
  if (h.baseFeePerGas !== undefined) out.baseFeePerGas = qty(h.baseFeePerGas);
  if (h.withdrawalsRoot !== undefined) out.withdrawalsRoot = data(h.withdrawalsRoot);
  if (h.blobGasUsed !== undefined) out.blobGasUsed = qty(h.blobGasUsed);
  if (h.excessBlobGas !== undefined) out.excessBlobGas = qty(h.excessBlobGas);
  if (h.parentBeaconBlockRoot !== undefined) out.parentBeaconBlockRoot = data(h.parentBeaconBlockRoot);
  if (h.requestsHash !== undefined) out.requestsHash = data(h.requestsHash);
  return out;
}

/** The full block object; `txs` are the body's transactions parsed (needed only when `full`). */
export function formatBlock(vh: VerifiedHeader, body: VerifiedBody, full: boolean, txs?: readonly ParsedTx[]): JsonObject {
  const out = formatHeader(vh);
  if (vh.td !== undefined) out.totalDifficulty = qty(vh.td);
  out.size = qty(blockSize(vh, body));
  out.uncles = body.uncles.map((u) => data(keccak256(u)));
  out.transactions = full
    ? (txs ?? []).map((p, index) => formatTx(p, { header: vh, index }))
    : body.transactions.map((raw): Json => data(keccak256(raw)));
  if (body.withdrawals !== undefined) {
    out.withdrawals = body.withdrawals.map((raw, i) => {
      const w = decodeWithdrawalItem(decodeRlpItem(raw, `withdrawals[${i}]`), `withdrawals[${i}]`);
      return { index: qty(w.index), validatorIndex: qty(w.validatorIndex), address: data(w.address), amount: qty(w.amount) };
    });
  }
  return out;
}
