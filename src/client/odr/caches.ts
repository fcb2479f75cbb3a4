/**
 * Caches of verified answers. Every key names the block by hash (or the content by its hash),
 * never by number or tag, so a cached answer cannot be wrong after a reorg: a different block
 * at the same height has a different key.
 *   bodies, receipts   block hash
 *   accounts           block hash ‖ address
 *   storage            block hash ‖ address ‖ slot
 *   code               codeHash (sized by bytes)
 *   bloomBits          trie section ‖ BloomTrie root ‖ data section ‖ bit
 */
import { LRUCache } from 'lru-cache';
import type { TrustedSection, VerifiedBody } from '../contracts.js';
import type { Receipt } from '../../verify/receipts.js';
import type { Account } from '../../verify/state.js';
import { toHex } from './common.js';

export interface OdrCacheSizes {
  /** Entries. Defaults: bodies 256, receipts 256, accounts 8192, storage 32768, bloomBits 4096. */
  bodies?: number;
  receipts?: number;
  accounts?: number;
  storage?: number;
  bloomBits?: number;
  /** Bytes of contract code (default 16 MiB). */
  codeBytes?: number;
}

/** `null` = proven absent (`undefined` is a cache miss). */
export type CachedAccount = Account | null;

export class OdrCaches {
  readonly bodies: LRUCache<string, VerifiedBody>;
  readonly receipts: LRUCache<string, Receipt[]>;
  readonly accounts: LRUCache<string, { account: CachedAccount }>;
  readonly storage: LRUCache<string, { value: bigint }>;
  readonly code: LRUCache<string, Uint8Array>;
  readonly bloomBits: LRUCache<string, Uint8Array>;

  constructor(sizes: OdrCacheSizes = {}) {
    this.bodies = new LRUCache({ max: sizes.bodies ?? 256 });
    this.receipts = new LRUCache({ max: sizes.receipts ?? 256 });
    this.accounts = new LRUCache({ max: sizes.accounts ?? 8192 });
    this.storage = new LRUCache({ max: sizes.storage ?? 32768 });
    this.bloomBits = new LRUCache({ max: sizes.bloomBits ?? 4096 });
    this.code = new LRUCache({ maxSize: sizes.codeBytes ?? 16 * 1024 * 1024, sizeCalculation: (c) => Math.max(1, c.length) });
  }

  static blockKey(blockHash: Uint8Array): string {
    return toHex(blockHash);
  }

  static accountKey(blockHash: Uint8Array, address: Uint8Array): string {
    return `${toHex(blockHash)}:${toHex(address)}`;
  }

  static storageKey(blockHash: Uint8Array, address: Uint8Array, slot: Uint8Array): string {
    return `${toHex(blockHash)}:${toHex(address)}:${toHex(slot)}`;
  }

  static bloomKey(trie: TrustedSection, dataSection: number, bitIndex: number): string {
    return `${trie.index}:${toHex(trie.bloomTrieRoot)}:${dataSection}:${bitIndex}`;
  }
}
