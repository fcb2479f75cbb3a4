/**
 * How the chain store lays out its values. Everything is written by this server after checking
 * it, so decoding failures mean a damaged store (CHAIN_CORRUPT), never a hostile peer.
 *
 * - canonical index key: 8-byte big-endian block number (keys sort by number);
 * - total difficulty: minimal big-endian bytes (empty for 0, every post-merge devnet block);
 * - body: rlp([[tx...], [uncle...], [withdrawal...]?]) with every entry as a byte string holding
 *   its canonical bytes (transaction envelope, uncle header RLP, withdrawal RLP);
 * - receipts: rlp([receipt...]) with each receipt's canonical bytes as a byte string;
 * - tx location: blockHash(32) ‖ BE64 number ‖ BE32 index;
 * - a block's tx hashes: their 32-byte hashes concatenated (to undo lookups on a reorg).
 */
import type { BlockBody } from '../../wire/bodies.js';
import { ProtocolError } from '../../wire/errors.js';
import { type RlpItem, decodeRlp, encodeRlp, readBytes, readList } from '../../wire/rlp.js';
import { ChainError } from './errors.js';

/** A body as the GetBlockBodies handler serves it (canonical forms; see src/wire/bodies.ts). */
export type StoredBody = BlockBody;

/** Where a canonical transaction is: the GetTxStatus "included" data. */
export interface TxLocation {
  blockHash: Uint8Array;
  blockNumber: number;
  txIndex: number;
}

const MSG = 'chain store';

export function numberKey(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

export function numberFromKey(key: Uint8Array): number {
  if (key.length !== 8) throw new ChainError('CHAIN_CORRUPT', `canonical key of ${key.length} bytes`, { field: 'canonical' });
  return Number(new DataView(key.buffer, key.byteOffset, 8).getBigUint64(0));
}

export function encodeTd(td: bigint): Uint8Array {
  if (td === 0n) return new Uint8Array(0);
  return Uint8Array.from(Buffer.from(td.toString(16).padStart(Math.ceil(td.toString(16).length / 2) * 2, '0'), 'hex'));
}

export function decodeTd(b: Uint8Array): bigint {
  if (b.length > 64) throw new ChainError('CHAIN_CORRUPT', `total difficulty of ${b.length} bytes`, { field: 'td' });
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b).toString('hex')}`);
}

function guard<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (cause) {
    if (cause instanceof ProtocolError) throw new ChainError('CHAIN_CORRUPT', `stored ${field} does not decode: ${cause.message}`, { field, cause });
    throw cause;
  }
}

function byteList(item: RlpItem | undefined, field: string): Uint8Array[] {
  return readList(item, MSG, field).map((b, i) => readBytes(b, MSG, `${field}[${i}]`));
}

export function encodeBody(body: StoredBody): Uint8Array {
  const parts: RlpItem[] = [body.transactions, body.uncles];
  if (body.withdrawals !== undefined) parts.push(body.withdrawals);
  return encodeRlp(parts);
}

export function decodeBody(b: Uint8Array): StoredBody {
  return guard('body', () => {
    const parts = readList(decodeRlp(b, MSG), MSG, 'body', { min: 2, max: 3 });
    const body: StoredBody = { transactions: byteList(parts[0], 'body.transactions'), uncles: byteList(parts[1], 'body.uncles') };
    if (parts.length === 3) body.withdrawals = byteList(parts[2], 'body.withdrawals');
    return body;
  });
}

export function encodeReceiptList(receipts: readonly Uint8Array[]): Uint8Array {
  return encodeRlp(receipts as Uint8Array[]);
}

export function decodeReceiptList(b: Uint8Array): Uint8Array[] {
  return guard('receipts', () => byteList(decodeRlp(b, MSG), 'receipts'));
}

export function encodeTxLocation(loc: TxLocation): Uint8Array {
  const out = new Uint8Array(44);
  out.set(loc.blockHash, 0);
  const view = new DataView(out.buffer);
  view.setBigUint64(32, BigInt(loc.blockNumber));
  view.setUint32(40, loc.txIndex);
  return out;
}

export function decodeTxLocation(b: Uint8Array): TxLocation {
  if (b.length !== 44) throw new ChainError('CHAIN_CORRUPT', `tx location of ${b.length} bytes`, { field: 'txLookup' });
  const view = new DataView(b.buffer, b.byteOffset, 44);
  return { blockHash: b.slice(0, 32), blockNumber: Number(view.getBigUint64(32)), txIndex: view.getUint32(40) };
}

export function encodeHashList(hashes: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => out.set(h, i * 32));
  return out;
}

export function decodeHashList(b: Uint8Array): Uint8Array[] {
  if (b.length % 32 !== 0) throw new ChainError('CHAIN_CORRUPT', `tx hash list of ${b.length} bytes`, { field: 'blockTxs' });
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += 32) out.push(b.slice(i, i + 32));
  return out;
}
