/**
 * What one block (or a start state) does to accounts, accumulated in order: transaction by
 * transaction from the prestate tracer, then the changes made outside transactions. The last
 * write of a field wins; a destruction forgets everything before it, storage included.
 */
import type { Account } from './account.js';
import { hexKey } from './account.js';

export interface AccountWrite {
  address: Uint8Array;
  /** The account ceased to exist in this block: it restarts from the empty account and empty storage. */
  destroyed: boolean;
  /**
   * Whether the account is in the trie afterwards: 'auto' = unless empty and the rule removes
   * touched empty accounts (EIP-161); 'keep' = even if empty; 'remove' = not at all.
   */
  presence: 'auto' | 'keep' | 'remove';
  nonce?: bigint;
  balance?: bigint;
  /** New code; its hash becomes the account's codeHash. */
  code?: Uint8Array;
  /** Slot (32 bytes, hex) → new value; 0 deletes the slot. */
  storage: Map<string, bigint>;
}

/** Reads an account of the parent state by address (for credits to accounts the diff has not seen). */
export type BaseReader = (address: Uint8Array) => Account | undefined;

export class StateDiff {
  readonly accounts = new Map<string, AccountWrite>();
  private readonly base: BaseReader;

  constructor(base: BaseReader = () => undefined) {
    this.base = base;
  }

  private entry(address: Uint8Array): AccountWrite {
    const k = hexKey(address);
    let e = this.accounts.get(k);
    if (e === undefined) {
      e = { address, destroyed: false, presence: 'auto', storage: new Map() };
      this.accounts.set(k, e);
    } else if (e.presence === 'remove') {
      e.presence = 'auto'; // written again after a removal: it exists again
    }
    return e;
  }

  destroy(address: Uint8Array): void {
    this.accounts.set(hexKey(address), { address, destroyed: true, presence: 'auto', storage: new Map() });
  }

  /** The account is not in the trie after this block (proven absent). */
  remove(address: Uint8Array): void {
    this.accounts.set(hexKey(address), { address, destroyed: true, presence: 'remove', storage: new Map() });
  }

  /** The account stays in the trie even if it is empty (a node that keeps touched empty accounts). */
  keep(address: Uint8Array): void {
    this.entry(address).presence = 'keep';
  }

  setNonce(address: Uint8Array, nonce: bigint): void {
    this.entry(address).nonce = nonce;
  }

  setBalance(address: Uint8Array, balance: bigint): void {
    this.entry(address).balance = balance;
  }

  setCode(address: Uint8Array, code: Uint8Array): void {
    this.entry(address).code = code;
  }

  setStorage(address: Uint8Array, slot: Uint8Array, value: bigint): void {
    this.entry(address).storage.set(hexKey(slot), value);
  }

  /** Marks the account as touched without changing it (EIP-161 cleanup still applies). */
  touch(address: Uint8Array): void {
    this.entry(address);
  }

  /** The balance after what the diff holds so far. */
  balanceOf(address: Uint8Array): bigint {
    const e = this.accounts.get(hexKey(address));
    if (e?.balance !== undefined) return e.balance;
    if (e?.destroyed === true) return 0n;
    return this.base(address)?.balance ?? 0n;
  }

  /** Adds wei to a balance (withdrawals, rewards). */
  credit(address: Uint8Array, wei: bigint): void {
    this.setBalance(address, this.balanceOf(address) + wei);
  }

  /** Addresses the diff writes. */
  addresses(): Uint8Array[] {
    return [...this.accounts.values()].map((e) => e.address);
  }
}
