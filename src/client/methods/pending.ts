/**
 * Transactions this client sent (eth_sendRawTransaction) and has not yet seen included, so that
 * eth_getTransactionByHash can return them with null block fields, and the 'pending' nonce of
 * their sender counts them. Bounded: the oldest entries are dropped first.
 *
 * Also every transaction sent, numbered in order (`sent`, `sentSince`), included at once or not:
 * a light client sees no mempool, so these are what pending-transaction filters report.
 */
import { toHex } from '../../verify/bytes.js';
import type { ParsedTx } from './tx-format.js';

export class PendingPool {
  private readonly txs = new Map<string, ParsedTx>();
  /** The last `limit` transactions sent, oldest first; `sentBase` numbers the first. */
  private readonly sentLog: ParsedTx[] = [];
  private sentBase = 0;

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

  /** Records a transaction sent through this client (once per hash while it is remembered). */
  noteSent(p: ParsedTx): void {
    const key = toHex(p.hash);
    if (this.sentLog.some((q) => toHex(q.hash) === key)) return;
    this.sentLog.push(p);
    if (this.sentLog.length > this.limit) {
      this.sentLog.shift();
      this.sentBase++;
    }
  }

  /** How many transactions were sent so far: a cursor for `sentSince`. */
  get sent(): number {
    return this.sentBase + this.sentLog.length;
  }

  /** The transactions sent after cursor `since` (those that fell out of the bounded log are gone). */
  sentSince(since: number): ParsedTx[] {
    return this.sentLog.slice(Math.max(0, since - this.sentBase));
  }

  get size(): number {
    return this.txs.size;
  }
}
