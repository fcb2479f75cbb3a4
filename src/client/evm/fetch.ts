/**
 * One round of state fetching: every key a run missed, asked at once (the scheduler coalesces the
 * account and storage proofs into one GetProofsV2 and the codes into one GetContractCodes, sent
 * side by side). Code whose account is not proven yet goes out early (early-code.ts) next to the
 * account proof when the client has a Retriever; otherwise the Odr's `code` proves the account
 * first. Only verified values enter the BlockState.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { Odr, VerifiedHeader } from '../contracts.js';
import { EMPTY_CODE_HASH, type Account } from '../../verify/state.js';
import { type BlockState, type Misses, hexOf } from './block-state.js';
import type { EarlyCode } from './early-code.js';

export type StateOdr = Pick<Odr, 'account' | 'storage' | 'code'>;

export interface FetchStats {
  /** Rounds of fetching (each: everything missing at once). */
  rounds: number;
  accounts: number;
  slots: number;
  codes: number;
  /** Early codes that did not match the proven codeHash (asked again, verified). */
  earlyCodeMismatches: number;
}

export const newFetchStats = (): FetchStats => ({ rounds: 0, accounts: 0, slots: 0, codes: 0, earlyCodeMismatches: 0 });

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class StateFetcher {
  constructor(
    private readonly odr: StateOdr,
    private readonly earlyCode?: EarlyCode,
  ) {}

  /** Fetches every missing key into `block` in one round; clears `misses`. */
  async fill(header: VerifiedHeader, block: BlockState, misses: Misses, stats: FetchStats): Promise<void> {
    if (misses.size === 0) return;
    stats.rounds++;
    const accounts = new Map<string, Uint8Array>(misses.accounts);
    for (const [a, address] of misses.code) if (!block.accounts.has(a)) accounts.set(a, address);
    for (const { address } of misses.storage.values()) {
      const a = hexOf(address);
      if (!block.accounts.has(a)) accounts.set(a, address);
    }
    const proven = new Map<string, Promise<Account | null>>();
    for (const [a, address] of accounts) {
      stats.accounts++;
      proven.set(
        a,
        this.odr.account(header, address).then((acc) => {
          block.accounts.set(a, acc ?? null);
          return acc ?? null;
        }),
      );
    }
    const work: Array<Promise<unknown>> = [...proven.values()];
    for (const [key, { address, slot }] of misses.storage) {
      stats.slots++;
      work.push(this.odr.storage(header, address, slot).then((v) => block.storage.set(key, v)));
    }
    for (const [a, address] of misses.code) {
      stats.codes++;
      const account = proven.get(a);
      work.push(this.code(header, block, a, address, account, stats));
    }
    misses.clear();
    await Promise.all(work);
  }

  private async code(
    header: VerifiedHeader,
    block: BlockState,
    a: string,
    address: Uint8Array,
    pending: Promise<Account | null> | undefined,
    stats: FetchStats,
  ): Promise<void> {
    if (pending === undefined || this.earlyCode === undefined) {
      // The account is proven (or the Odr proves it first).
      await pending;
      block.code.set(a, await this.odr.code(header, address));
      return;
    }
    const asked = this.earlyCode(header, address).catch(() => undefined);
    const account = await pending;
    const codeHash = account?.codeHash ?? EMPTY_CODE_HASH;
    // No code by the proof: the early answer is not needed (a server may leave it unanswered,
    // and waiting for that would cost the scheduler's no-server wait).
    if (sameBytes(codeHash, EMPTY_CODE_HASH)) {
      block.code.set(a, new Uint8Array(0));
      return;
    }
    const early = await asked;
    if (early !== undefined && sameBytes(keccak256(early), codeHash)) {
      block.code.set(a, early);
    } else {
      if (early !== undefined) stats.earlyCodeMismatches++;
      block.code.set(a, await this.odr.code(header, address));
    }
  }
}
