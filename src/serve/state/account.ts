/** Account and storage values as the state trie holds them (Yellow Paper §4.1, secure trie). */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { StateError } from './errors.js';
import { equalBytes } from '../../bytes.js';

/** keccak256(rlp('')): the root of a trie with no keys. */
export const EMPTY_TRIE_ROOT = keccak256(RLP.encode(new Uint8Array(0)));
/** keccak256(''): the code hash of an account without code. */
export const EMPTY_CODE_HASH = keccak256(new Uint8Array(0));

export interface Account {
  nonce: bigint;
  balance: bigint;
  storageRoot: Uint8Array;
  codeHash: Uint8Array;
}

export function emptyAccount(): Account {
  return { nonce: 0n, balance: 0n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH };
}

/** EIP-161: no nonce, no balance, no code. Such an account is removed when touched. */
export function isEmptyAccount(a: Account): boolean {
  return a.nonce === 0n && a.balance === 0n && equalBytes(a.codeHash, EMPTY_CODE_HASH);
}

export function encodeAccount(a: Account): Uint8Array {
  return RLP.encode([bigToBytes(a.nonce), bigToBytes(a.balance), a.storageRoot, a.codeHash]);
}

/** Decodes an account leaf value read from our own trie; corruption is a typed error, not a crash. */
export function decodeAccount(value: Uint8Array): Account {
  let items: unknown;
  try {
    items = RLP.decode(value);
  } catch (cause) {
    throw new StateError('STATE_BAD_NODE', 'account value is not RLP', { field: 'account', cause });
  }
  if (!Array.isArray(items) || items.length !== 4 || !items.every((i) => i instanceof Uint8Array)) {
    throw new StateError('STATE_BAD_NODE', 'account value is not a list of 4 byte strings', { field: 'account' });
  }
  const [nonce, balance, storageRoot, codeHash] = items as Uint8Array[];
  if (storageRoot?.length !== 32 || codeHash?.length !== 32) {
    throw new StateError('STATE_BAD_NODE', 'account roots must be 32 bytes', { field: 'account' });
  }
  return { nonce: bytesToBig(nonce as Uint8Array), balance: bytesToBig(balance as Uint8Array), storageRoot, codeHash };
}

/** A storage leaf value: rlp of the value's minimal big-endian bytes (zero values are not stored). */
export function encodeStorageValue(v: bigint): Uint8Array {
  return RLP.encode(bigToBytes(v));
}

export function decodeStorageValue(value: Uint8Array): bigint {
  let item: unknown;
  try {
    item = RLP.decode(value);
  } catch (cause) {
    throw new StateError('STATE_BAD_NODE', 'storage value is not RLP', { field: 'storage', cause });
  }
  if (!(item instanceof Uint8Array) || item.length > 32) {
    throw new StateError('STATE_BAD_NODE', 'storage value is not a byte string of at most 32 bytes', { field: 'storage' });
  }
  return bytesToBig(item);
}

export function bigToBytes(v: bigint): Uint8Array {
  if (v === 0n) return new Uint8Array(0);
  const hex = v.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex'));
}

export function bytesToBig(b: Uint8Array): bigint {
  return b.length === 0 ? 0n : BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')}`);
}

export { equalBytes };

/** Lowercase hex without 0x: map keys for addresses, slots and hashes. */
export function hexKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export function fromHexKey(h: string): Uint8Array {
  return new Uint8Array(Buffer.from(h, 'hex'));
}
