/**
 * The EVM's state manager for one run: a journal of writes (checkpoint / commit / revert, as the
 * EVM nests calls) over a read-only base — the block's verified state with the caller's state
 * overrides on top. A base read the block does not have yet is recorded in `Misses`; then either
 * the run goes on with the value an absent key would have (mode 'continue': one run collects
 * every key it reaches) or stops at once (mode 'abort'). Either way the run is repeated after the
 * missing keys were fetched, so a value read this way never reaches the caller.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { EMPTY_CODE_HASH, type Account } from '../../verify/state.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import { type BlockState, type Misses, hexOf, slotKey } from './block-state.js';
import { type Account10, type Address10, type EthJs10, toAccount10 } from './ethjs.js';

/** eth_call's state override for one account (geth's `OverrideAccount`). */
export interface AccountOverride {
  balance?: bigint;
  nonce?: bigint;
  code?: Uint8Array;
  /** Replaces the whole storage: slots not listed read as zero. Key: slot hex (64 digits). */
  state?: Map<string, bigint>;
  /** Changes these slots only. Key: slot hex. */
  stateDiff?: Map<string, bigint>;
}

/** Key: address hex (40 digits, lowercase, no 0x). */
export type StateOverrides = Map<string, AccountOverride>;

export type MissMode = 'continue' | 'abort';

/** Thrown in mode 'abort' at the first missing key; caught by the executor. */
export class MissingState extends Error {
  constructor() {
    super('state not fetched yet');
  }
}

const EMPTY = new Uint8Array(0);

function stripZeros(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length && v[i] === 0) i++;
  return i === 0 ? v : v.subarray(i);
}

function bigToBytes(v: bigint): Uint8Array {
  if (v === 0n) return EMPTY;
  const hex = v.toString(16);
  return Uint8Array.from(Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex'));
}

/** Reads of the base state (block + overrides), recording misses. */
export class BaseState {
  constructor(
    private readonly block: BlockState,
    private readonly overrides: StateOverrides,
    private readonly misses: Misses,
    private readonly mode: MissMode,
  ) {}

  private miss(): void {
    if (this.mode === 'abort') throw new MissingState();
  }

  /** The block's account (undefined = not fetched yet: recorded as a miss). */
  private fetched(address: Uint8Array, a: string): Account | null | undefined {
    const acc = this.block.accounts.get(a);
    if (acc === undefined) {
      this.misses.account(address);
      this.miss();
    }
    return acc;
  }

  account(address: Uint8Array): Account | null {
    const a = hexOf(address);
    const base = this.fetched(address, a) ?? null;
    const o = this.overrides.get(a);
    if (o === undefined) return base;
    const acc: Account = base === null ? { nonce: 0n, balance: 0n, storageRoot: EMPTY_TRIE_ROOT, codeHash: EMPTY_CODE_HASH } : { ...base };
    if (o.balance !== undefined) acc.balance = o.balance;
    if (o.nonce !== undefined) acc.nonce = o.nonce;
    if (o.code !== undefined) acc.codeHash = keccak256(o.code);
    return acc;
  }

  storage(address: Uint8Array, slot: Uint8Array): bigint {
    const a = hexOf(address);
    const s = hexOf(slot);
    const o = this.overrides.get(a);
    if (o?.state !== undefined) return o.state.get(s) ?? 0n;
    const diff = o?.stateDiff?.get(s);
    if (diff !== undefined) return diff;
    const acc = this.block.accounts.get(a);
    if (acc === null) return 0n;
    if (acc !== undefined && equal(acc.storageRoot, EMPTY_TRIE_ROOT)) return 0n;
    const v = this.block.storage.get(slotKey(a, s));
    if (v !== undefined) return v;
    this.misses.slot(address, slot);
    this.miss();
    return 0n;
  }

  code(address: Uint8Array): Uint8Array {
    const a = hexOf(address);
    const o = this.overrides.get(a);
    if (o?.code !== undefined) return o.code;
    const known = this.block.code.get(a);
    if (known !== undefined) return known;
    const acc = this.block.accounts.get(a);
    if (acc === null || (acc !== undefined && equal(acc.codeHash, EMPTY_CODE_HASH))) return EMPTY;
    this.misses.codeOf(address);
    this.miss();
    return EMPTY;
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface Layer {
  accounts: Map<string, Account10 | null>;
  storage: Map<string, Map<string, Uint8Array>>;
  /** Addresses whose storage was wiped in this layer (writes after the wipe are in `storage`). */
  cleared: Set<string>;
  code: Map<string, Uint8Array>;
}

const newLayer = (): Layer => ({ accounts: new Map(), storage: new Map(), cleared: new Set(), code: new Map() });

/** StateManagerInterface of @ethereumjs/evm 10 (the parts a call uses), journaled over BaseState. */
export class CallStateManager {
  private layers: Layer[] = [newLayer()];
  readonly originalStorageCache: { get(address: Address10, key: Uint8Array): Promise<Uint8Array>; clear(): void };

  constructor(
    private readonly m: EthJs10,
    private readonly base: BaseState,
  ) {
    this.originalStorageCache = {
      get: async (address, key) => bigToBytes(this.base.storage(address.bytes, key)),
      clear: () => {},
    };
  }

  private get top(): Layer {
    return this.layers[this.layers.length - 1] as Layer;
  }

  private copy(a: Account10): Account10 {
    return new this.m.util.Account(a.nonce, a.balance, a.storageRoot, a.codeHash);
  }

  async getAccount(address: Address10): Promise<Account10 | undefined> {
    const a = hexOf(address.bytes);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const acc = (this.layers[i] as Layer).accounts.get(a);
      if (acc !== undefined) return acc === null ? undefined : this.copy(acc);
    }
    const base = this.base.account(address.bytes);
    return base === null ? undefined : toAccount10(this.m, base);
  }

  async putAccount(address: Address10, account?: Account10): Promise<void> {
    this.top.accounts.set(hexOf(address.bytes), account === undefined ? null : this.copy(account));
  }

  async deleteAccount(address: Address10): Promise<void> {
    const a = hexOf(address.bytes);
    this.top.accounts.set(a, null);
    this.top.code.set(a, EMPTY);
    this.top.storage.delete(a);
    this.top.cleared.add(a);
  }

  async modifyAccountFields(address: Address10, fields: { nonce?: bigint; balance?: bigint; storageRoot?: Uint8Array; codeHash?: Uint8Array }): Promise<void> {
    const acc = (await this.getAccount(address)) ?? new this.m.util.Account();
    const next = new this.m.util.Account(fields.nonce ?? acc.nonce, fields.balance ?? acc.balance, fields.storageRoot ?? acc.storageRoot, fields.codeHash ?? acc.codeHash);
    await this.putAccount(address, next);
  }

  async putCode(address: Address10, code: Uint8Array): Promise<void> {
    this.top.code.set(hexOf(address.bytes), code);
    await this.modifyAccountFields(address, { codeHash: keccak256(code) });
  }

  async getCode(address: Address10): Promise<Uint8Array> {
    const a = hexOf(address.bytes);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const c = (this.layers[i] as Layer).code.get(a);
      if (c !== undefined) return c;
    }
    return this.base.code(address.bytes);
  }

  async getCodeSize(address: Address10): Promise<number> {
    return (await this.getCode(address)).length;
  }

  async getStorage(address: Address10, key: Uint8Array): Promise<Uint8Array> {
    const a = hexOf(address.bytes);
    const s = hexOf(key);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i] as Layer;
      const v = layer.storage.get(a)?.get(s);
      if (v !== undefined) return v;
      if (layer.cleared.has(a)) return EMPTY;
    }
    return bigToBytes(this.base.storage(address.bytes, key));
  }

  async putStorage(address: Address10, key: Uint8Array, value: Uint8Array): Promise<void> {
    const a = hexOf(address.bytes);
    let slots = this.top.storage.get(a);
    if (slots === undefined) this.top.storage.set(a, (slots = new Map()));
    slots.set(hexOf(key), stripZeros(value));
  }

  async clearStorage(address: Address10): Promise<void> {
    const a = hexOf(address.bytes);
    this.top.storage.delete(a);
    this.top.cleared.add(a);
  }

  async checkpoint(): Promise<void> {
    this.layers.push(newLayer());
  }

  async commit(): Promise<void> {
    if (this.layers.length < 2) return;
    const top = this.layers.pop() as Layer;
    const below = this.top;
    for (const [a, acc] of top.accounts) below.accounts.set(a, acc);
    for (const [a, c] of top.code) below.code.set(a, c);
    for (const a of top.cleared) {
      below.storage.delete(a);
      below.cleared.add(a);
    }
    for (const [a, slots] of top.storage) {
      let into = below.storage.get(a);
      if (into === undefined) below.storage.set(a, (into = new Map()));
      for (const [s, v] of slots) into.set(s, v);
    }
  }

  async revert(): Promise<void> {
    if (this.layers.length > 1) this.layers.pop();
    else this.layers = [newLayer()];
  }

  async getStateRoot(): Promise<Uint8Array> {
    throw new Error('a call has no state root');
  }

  async setStateRoot(): Promise<void> {
    throw new Error('a call cannot set a state root');
  }

  async hasStateRoot(): Promise<boolean> {
    return false;
  }

  clearCaches(): void {}

  shallowCopy(): CallStateManager {
    return this;
  }
}
