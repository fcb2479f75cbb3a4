/**
 * Transactions this client sent (eth_sendRawTransaction) and has not yet seen included, so that
 * eth_getTransactionByHash can return them with null block fields, and the 'pending' nonce of
 * their sender counts them. Bounded: the oldest entries are dropped first.
 */
import { toHex } from '../../verify/bytes.js';
import type { ParsedTx } from './tx-format.js';

export class PendingPool {
  private readonly txs = new Map<string, ParsedTx>();

  constructor(private readonly limit: number) {}

  add(p: ParsedTx): void {
    const key = toHex(p.hash);
    this.txs.delete(key);
    this.txs.set(key, p);
    while (this.txs.size > this.limit) this.txs.delete(this.txs.keys().next().value as string);
  }

  get(hash: Uint8Array): ParsedTx | undefined {
    return this.txs.get(toHex(hash));
  }

  remove(hash: Uint8Array): void {
    this.txs.delete(toHex(hash));
  }

  /** The nonce after the sender's highest pending transaction, if it has any. */
  nextNonce(from: string): bigint | undefined {
    let next: bigint | undefined;
    for (const p of this.txs.values()) {
      if (p.from !== from) continue;
      const n = BigInt(p.tx.nonce) + 1n;
      if (next === undefined || n > next) next = n;
    }
    return next;
  }

  /** Forget the sender's transactions whose nonces the chain has used (mined or replaced). */
  prune(from: string, accountNonce: bigint): void {
    for (const [k, p] of this.txs) if (p.from === from && BigInt(p.tx.nonce) < accountNonce) this.txs.delete(k);
  }

  get size(): number {
    return this.txs.size;
  }
}
