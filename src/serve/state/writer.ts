/**
 * Applies a StateDiff on top of a parent state root with @ethereumjs/trie: storage tries first,
 * then the account trie. New nodes stay in the NodeOverlay until the caller commits them (with the
 * block record) in one atomic batch. The parent root is never modified: tries are immutable by
 * root, so any earlier state (another branch of a reorg) stays readable.
 */
import { Trie } from '@ethereumjs/trie';
import { ValueEncoding } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { NodeOverlay } from '../../store/trie-nodes.js';
import { type Account, decodeAccount, emptyAccount, encodeAccount, encodeStorageValue, fromHexKey, hexKey, isEmptyAccount } from './account.js';
import type { StateDiff } from './diff.js';

export interface AppliedDiff {
  root: Uint8Array;
  /** Code by hex code hash, to store beside the nodes. */
  codes: Map<string, Uint8Array>;
  /** Storage roots computed for the accounts written, by hex address (for diagnostics). */
  storageRoots: Map<string, Uint8Array>;
}

export interface ApplyOptions {
  /** Remove touched accounts that end up empty (EIP-161); false for a genesis/dump and for anvil. */
  deleteEmpty: boolean;
  /** Remove slots written with zero (the spec); false for anvil, which keeps them as rlp(0) leaves. */
  deleteZeroSlots: boolean;
}

export function openTrie(overlay: NodeOverlay, root: Uint8Array): Trie {
  return new Trie({ db: overlay, root, valueEncoding: ValueEncoding.Bytes });
}

export async function applyDiff(overlay: NodeOverlay, parentRoot: Uint8Array, diff: StateDiff, options: ApplyOptions): Promise<AppliedDiff> {
  const accounts = openTrie(overlay, parentRoot);
  const codes = new Map<string, Uint8Array>();
  const storageRoots = new Map<string, Uint8Array>();
  for (const [addrHex, w] of diff.accounts) {
    const key = keccak256(fromHexKey(addrHex));
    let acc: Account;
    if (w.destroyed) {
      acc = emptyAccount();
    } else {
      const value = await accounts.get(key);
      acc = value === null ? emptyAccount() : decodeAccount(value);
    }
    if (w.nonce !== undefined) acc.nonce = w.nonce;
    if (w.balance !== undefined) acc.balance = w.balance;
    if (w.code !== undefined) {
      acc.codeHash = keccak256(w.code);
      if (w.code.length > 0) codes.set(hexKey(acc.codeHash), w.code);
    }
    if (w.storage.size > 0) {
      const storage = openTrie(overlay, acc.storageRoot);
      for (const [slotHex, value] of w.storage) {
        const slotKey = keccak256(fromHexKey(slotHex));
        if (value === 0n && options.deleteZeroSlots) await storage.del(slotKey);
        else await storage.put(slotKey, encodeStorageValue(value));
      }
      acc.storageRoot = storage.root();
    }
    storageRoots.set(addrHex, acc.storageRoot);
    const present = w.presence === 'keep' || (w.presence === 'auto' && !(options.deleteEmpty && isEmptyAccount(acc)));
    if (present) await accounts.put(key, encodeAccount(acc));
    else await accounts.del(key);
  }
  return { root: accounts.root(), codes, storageRoots };
}
