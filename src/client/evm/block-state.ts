/**
 * Verified state of one block, as far as calls have needed it: accounts, storage slots and code,
 * each put here only after the Odr verified it against that block's stateRoot (or, for code,
 * against the proven codeHash). Keyed by block hash, so an entry can never be wrong for a block;
 * a call at the same block reuses what earlier calls fetched.
 *
 * `Misses` collects what one EVM run asked for and this block did not have yet — the keys the
 * next round of fetching asks, all at once.
 */
import { LRUCache } from 'lru-cache';
import type { VerifiedHeader } from '../contracts.js';
import type { Account } from '../../verify/state.js';

export const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** What one block's state holds so far. `null` = proven absent. */
export interface BlockState {
  readonly accounts: Map<string, Account | null>;
  /** Key: address hex ‖ slot hex. */
  readonly storage: Map<string, bigint>;
  /** Key: address hex. Verified code (empty for accounts without code). */
  readonly code: Map<string, Uint8Array>;
}

export const slotKey = (addressHex: string, slotHex: string): string => addressHex + slotHex;

/** Per-block state, the `maxBlocks` most recently used blocks. */
export class BlockStateCache {
  private readonly blocks: LRUCache<string, BlockState>;

  constructor(maxBlocks = 16) {
    this.blocks = new LRUCache({ max: maxBlocks });
  }

  of(header: VerifiedHeader): BlockState {
    const key = hexOf(header.hash);
    let state = this.blocks.get(key);
    if (state === undefined) {
      state = { accounts: new Map(), storage: new Map(), code: new Map() };
      this.blocks.set(key, state);
    }
    return state;
  }
}

/** The state keys one run needed and did not find. */
export class Misses {
  readonly accounts = new Map<string, Uint8Array>();
  readonly storage = new Map<string, { address: Uint8Array; slot: Uint8Array }>();
  readonly code = new Map<string, Uint8Array>();

  account(address: Uint8Array): void {
    this.accounts.set(hexOf(address), address);
  }

  slot(address: Uint8Array, slot: Uint8Array): void {
    this.storage.set(slotKey(hexOf(address), hexOf(slot)), { address, slot });
  }

  codeOf(address: Uint8Array): void {
    this.code.set(hexOf(address), address);
  }

  get size(): number {
    return this.accounts.size + this.storage.size + this.code.size;
  }

  clear(): void {
    this.accounts.clear();
    this.storage.clear();
    this.code.clear();
  }
}
