/**
 * Token balances of the client pool on the KvStore.
 *
 * - Positive balances, by client ID (32 bytes): the amount (8 bytes BE, ≤ 2^63 − 1) and the
 *   free-form meta tag (UTF-8). A record with zero balance and an empty tag is deleted.
 * - Negative balances, by IP address: the amount (8 bytes BE). Kept per address so that a free
 *   client cannot shed what it used by reconnecting under a new node key.
 *
 * Records are cached while in use: a connected client's records are pinned; others leave the
 * cache once written. Every change is made to the cached record first (synchronously, so two
 * concurrent changes never read the same old value), then written. Writes go through one queue
 * that commits whatever is pending as a single batch (group commit): a durable write (`sync`)
 * resolves only when a batch holding the record's value at or after the change is on disk.
 */
import type { KvOp, KvStore } from '../../store/kv.js';

export interface PositiveRecord {
  readonly id: string;
  balance: bigint;
  meta: string;
  /** Charged but not yet taken from `balance` (0 ≤ carry < 1). */
  carry: number;
}

export interface NegativeRecord {
  readonly ip: string;
  balance: bigint;
  carry: number;
}

const te = new TextEncoder();
const td = new TextDecoder();

function u64(value: bigint): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value);
  return out;
}

function readU64(bytes: Uint8Array): bigint {
  if (bytes.length < 8) return 0n;
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0);
}

interface Pending {
  sync: boolean;
  waiters: Array<{ resolve(): void; reject(err: unknown): void }>;
}

export class BalanceStore {
  readonly #pos: KvStore;
  readonly #neg: KvStore;
  readonly #posCache = new Map<string, PositiveRecord & { pins: number }>();
  readonly #negCache = new Map<string, NegativeRecord & { pins: number }>();
  #queue = new Map<string, () => KvOp>();
  #pending: Pending = { sync: false, waiters: [] };
  #writing: Promise<void> | undefined;

  constructor(store: KvStore) {
    this.#pos = store.namespace('pos');
    this.#neg = store.namespace('neg');
  }

  /** The positive record of `id` (64 hex) to change: cached until written. */
  positive(id: string): PositiveRecord {
    let rec = this.#posCache.get(id);
    if (rec === undefined) {
      rec = this.#loadPositive(id);
      this.#posCache.set(id, rec);
    }
    return rec;
  }

  /** The positive record of `id` to read (not cached when it was not already). */
  readPositive(id: string): Readonly<PositiveRecord> {
    return this.#posCache.get(id) ?? this.#loadPositive(id);
  }

  #loadPositive(id: string): PositiveRecord & { pins: number } {
    const raw = this.#pos.getSync(Buffer.from(id, 'hex'));
    return { id, balance: raw === undefined ? 0n : readU64(raw), meta: raw === undefined ? '' : td.decode(raw.subarray(8)), carry: 0, pins: 0 };
  }

  negative(ip: string): NegativeRecord {
    let rec = this.#negCache.get(ip);
    if (rec === undefined) {
      rec = this.#loadNegative(ip);
      this.#negCache.set(ip, rec);
    }
    return rec;
  }

  readNegative(ip: string): Readonly<NegativeRecord> {
    return this.#negCache.get(ip) ?? this.#loadNegative(ip);
  }

  #loadNegative(ip: string): NegativeRecord & { pins: number } {
    const raw = this.#neg.getSync(te.encode(ip));
    return { ip, balance: raw === undefined ? 0n : readU64(raw), carry: 0, pins: 0 };
  }

  /** Keeps the records of a connected client cached. */
  pin(id: string, ip: string): { pos: PositiveRecord; neg: NegativeRecord } {
    const pos = this.positive(id) as PositiveRecord & { pins: number };
    const neg = this.negative(ip) as NegativeRecord & { pins: number };
    pos.pins++;
    neg.pins++;
    return { pos, neg };
  }

  unpin(id: string, ip: string): void {
    const pos = this.#posCache.get(id);
    const neg = this.#negCache.get(ip);
    if (pos !== undefined) pos.pins = Math.max(0, pos.pins - 1);
    if (neg !== undefined) neg.pins = Math.max(0, neg.pins - 1);
  }

  /** Writes the current value of `id`'s positive record; with `sync`, resolves once it is on disk. */
  savePositive(id: string, sync: boolean): Promise<void> {
    return this.#enqueue(`p${id}`, () => {
      const rec = this.positive(id);
      const key = Buffer.from(id, 'hex');
      if (rec.balance === 0n && rec.meta === '') return { type: 'del', key, ns: this.#pos };
      return { type: 'put', key, value: concat(u64(rec.balance), te.encode(rec.meta)), ns: this.#pos };
    }, sync);
  }

  saveNegative(ip: string, sync = false): Promise<void> {
    return this.#enqueue(`n${ip}`, () => {
      const rec = this.negative(ip);
      const key = te.encode(ip);
      return rec.balance === 0n ? { type: 'del', key, ns: this.#neg } : { type: 'put', key, value: u64(rec.balance), ns: this.#neg };
    }, sync);
  }

  /**
   * IDs holding a stored positive record with start ≤ id < stop (stop undefined: to the end), in
   * order. Stored values may be stale for connected clients: the caller reads `positive(id)`.
   */
  async *storedIds(start: string, stop: string | undefined): AsyncIterable<string> {
    const range = stop === undefined ? { gte: Buffer.from(start, 'hex') } : { gte: Buffer.from(start, 'hex'), lt: Buffer.from(stop, 'hex') };
    for await (const [key] of this.#pos.iterate(range)) yield Buffer.from(key).toString('hex');
  }

  /** IDs cached with a value not yet in the store (a balance added and still being written). */
  cachedIds(): string[] {
    return [...this.#posCache.keys()];
  }

  /** Resolves when everything queued so far is written. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing.catch(() => undefined);
  }

  #enqueue(key: string, op: () => KvOp, sync: boolean): Promise<void> {
    this.#queue.set(key, op);
    const pending = this.#pending;
    if (sync) pending.sync = true;
    const done = new Promise<void>((resolve, reject) => pending.waiters.push({ resolve, reject }));
    this.#writing ??= this.#drain();
    return done;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.size > 0) {
        const queue = this.#queue;
        const pending = this.#pending;
        this.#queue = new Map();
        this.#pending = { sync: false, waiters: [] };
        // Values are read now: the batch carries every change made before this point.
        const ops = [...queue.values()].map((f) => f());
        try {
          await this.#pos.batch(ops, { sync: pending.sync });
          for (const w of pending.waiters) w.resolve();
        } catch (err) {
          for (const w of pending.waiters) w.reject(err);
        }
        this.#evict(queue.keys());
      }
    } finally {
      this.#writing = undefined;
    }
  }

  /** Drops written records nobody holds, unless a newer write is queued. */
  #evict(keys: Iterable<string>): void {
    for (const key of keys) {
      if (this.#queue.has(key)) continue;
      const name = key.slice(1);
      if (key.startsWith('p')) {
        if (this.#posCache.get(name)?.pins === 0) this.#posCache.delete(name);
      } else if (this.#negCache.get(name)?.pins === 0) this.#negCache.delete(name);
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
