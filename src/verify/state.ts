/**
 * Accounts, storage slots and code, proven against a header's stateRoot (DESIGN §5). The state
 * and storage tries are "secure": the trie key is keccak256(address) / keccak256(slot).
 * `readAccount`/`readStorage` walk one key of a batch's proof set (call `assertAllUsed()` after
 * the batch); `verifyAccountProof`/`verifyStorageProof` check a proof for one key on its own.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { equalBytes, hex0x, uintBE } from './bytes.js';
import { VerificationError } from './errors.js';
import { ProofNodeSet, type WalkOptions } from './proof.js';
import { decodeRlpItem, encodeRlpItem, encodeUint, readBigUint, readBytes, readList } from './rlp.js';
import { EMPTY_TRIE_ROOT } from './trie-builder.js';

export interface Account {
  nonce: bigint;
  balance: bigint;
  storageRoot: Uint8Array;
  codeHash: Uint8Array;
}

/** keccak256 of empty code: the codeHash of every account without code. */
export const EMPTY_CODE_HASH: Uint8Array = keccak256(new Uint8Array(0));

/** What an absent account reads as. */
export function emptyAccount(): Account {
  return { nonce: 0n, balance: 0n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH };
}

/** A 20-byte address (hashed here) or a 32-byte account key (already keccak256(address)). */
export type AccountRef = Uint8Array;
/** A slot (32 bytes or a bigint, hashed here) or a storage key that is already keccak256(slot). */
export type SlotRef = { slot: Uint8Array | bigint } | { key: Uint8Array };

export function accountKey(ref: AccountRef): Uint8Array {
  if (ref.length === 20) return keccak256(ref);
  if (ref.length === 32) return ref;
  throw new VerificationError('BAD_ENCODING', 'account', `expected a 20-byte address or a 32-byte key, got ${ref.length} bytes`);
}

export function storageKey(ref: SlotRef): Uint8Array {
  if ('key' in ref) {
    if (ref.key.length !== 32) throw new VerificationError('BAD_ENCODING', 'storageKey', 'expected 32 bytes');
    return ref.key;
  }
  if (typeof ref.slot === 'bigint') return keccak256(uintBE(ref.slot, 32));
  if (ref.slot.length !== 32) throw new VerificationError('BAD_ENCODING', 'slot', 'expected 32 bytes');
  return keccak256(ref.slot);
}

/** Decode a state-trie value: rlp([nonce, balance, storageRoot, codeHash]). */
export function decodeAccount(rlp: Uint8Array, field = 'account'): Account {
  const [nonce, balance, storageRoot, codeHash] = readList(decodeRlpItem(rlp, field, { maxItems: 64, maxDepth: 2 }), field, { len: 4 });
  return {
    nonce: readBigUint(nonce, `${field}.nonce`, 8),
    balance: readBigUint(balance, `${field}.balance`, 32),
    storageRoot: readBytes(storageRoot, `${field}.storageRoot`, { len: 32 }),
    codeHash: readBytes(codeHash, `${field}.codeHash`, { len: 32 }),
  };
}

/** The state-trie value of an account (what a server puts in its trie). */
export function encodeAccount(a: Account): Uint8Array {
  if (a.storageRoot.length !== 32 || a.codeHash.length !== 32) {
    throw new VerificationError('BAD_ENCODING', 'account', 'storageRoot and codeHash must be 32 bytes');
  }
  return encodeRlpItem([encodeUint(a.nonce), encodeUint(a.balance), a.storageRoot, a.codeHash]);
}

/** The account at `ref` under `stateRoot`, or undefined when proven absent. */
export function readAccount(set: ProofNodeSet, stateRoot: Uint8Array, ref: AccountRef, options: WalkOptions = {}): Account | undefined {
  const value = set.walk(stateRoot, accountKey(ref), options);
  return value === undefined ? undefined : decodeAccount(value, options.field ?? 'account');
}

/** The storage value at `ref` under an account's storageRoot; 0n when proven absent. */
export function readStorage(set: ProofNodeSet, storageRoot: Uint8Array, ref: SlotRef, options: WalkOptions = {}): bigint {
  const value = set.walk(storageRoot, storageKey(ref), options);
  if (value === undefined) return 0n;
  const field = options.field ?? 'storage';
  // Ethereum deletes a slot set to zero, but anvil keeps it as a leaf holding rlp(0) (its roots
  // differ from a real client's once a slot is cleared). The root binds the value either way,
  // so a stored zero reads as 0.
  return readBigUint(decodeRlpItem(value, field, { maxItems: 1, maxDepth: 0 }), field, 32);
}

/** One account proof on its own: every node must be used. */
export function verifyAccountProof(stateRoot: Uint8Array, ref: AccountRef, nodes: readonly Uint8Array[]): Account | undefined {
  const set = new ProofNodeSet(nodes, 'accountProof');
  const account = readAccount(set, stateRoot, ref);
  set.assertAllUsed();
  return account;
}

/** One storage proof on its own (against a storageRoot from a proven account): every node must be used. */
export function verifyStorageProof(storageRoot: Uint8Array, ref: SlotRef, nodes: readonly Uint8Array[]): bigint {
  const set = new ProofNodeSet(nodes, 'storageProof');
  const value = readStorage(set, storageRoot, ref);
  set.assertAllUsed();
  return value;
}

/** Contract code is trusted when keccak256(code) is the proven account's codeHash. */
export function verifyCode(code: Uint8Array, codeHash: Uint8Array): void {
  const got = keccak256(code);
  if (!equalBytes(got, codeHash)) {
    throw new VerificationError('HASH_MISMATCH', 'code', `keccak256(code) = ${hex0x(got)}, account has ${hex0x(codeHash)}`);
  }
}
