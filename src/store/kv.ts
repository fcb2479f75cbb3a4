/**
 * The key-value abstraction every persistent part of les-provider writes through: byte keys and
 * values, atomic batches across namespaces, ordered range iteration, and a durable (`sync`) write
 * for data that must never be lost. Two backends implement it: LevelDB (`openLevelStore`) and
 * memory (`openMemoryStore`), so tests and a client without a datadir run the same code.
 *
 * Namespaces are key prefixes (length-prefixed names, so "a" never overlaps "ab"); they share one
 * backend, which is what lets a single batch write atomically into several of them.
 */
import { StoreError } from './errors.js';
import { compareBytes, concatBytes as concat } from '../bytes.js';

export interface KvWriteOptions {
  /** fsync before resolving: for data that must survive a power loss (balances, progress markers). */
  sync?: boolean;
}

/** One write of a batch. `ns` writes under another namespace of the same store (atomic with the rest). */
export type KvOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array; ns?: KvStore }
  | { type: 'del'; key: Uint8Array; ns?: KvStore };

/** A key range; bounds are keys relative to the namespace. `prefix` narrows the range further. */
export interface KvRange {
  prefix?: Uint8Array;
  gt?: Uint8Array;
  gte?: Uint8Array;
  lt?: Uint8Array;
  lte?: Uint8Array;
  reverse?: boolean;
  limit?: number;
}

/** Raw operations of a backend, on full (already prefixed) keys. */
export interface KvBackend {
  get(key: Uint8Array): Promise<Uint8Array | undefined>;
  getSync(key: Uint8Array): Uint8Array | undefined;
  batch(ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array }>, options: KvWriteOptions): Promise<void>;
  /** Entries with gte ≤ key < lt (either bound optional), in key order or reversed. */
  iterate(range: { gte?: Uint8Array; lt?: Uint8Array; reverse: boolean; limit: number }): AsyncIterable<[Uint8Array, Uint8Array]>;
  close(): Promise<void>;
  readonly closed: boolean;
}

const MAX_NAME = 255;

/** A view of a backend under one key prefix. Cheap to create; all views share the backend. */
export class KvStore {
  readonly prefix: Uint8Array;
  protected readonly backend: KvBackend;

  constructor(backend: KvBackend, prefix: Uint8Array = new Uint8Array(0)) {
    this.backend = backend;
    this.prefix = prefix;
  }

  /** A nested namespace. Names are 1..255 bytes of UTF-8. */
  namespace(name: string): KvStore {
    const bytes = new TextEncoder().encode(name);
    if (bytes.length === 0 || bytes.length > MAX_NAME) {
      throw new StoreError('STORE_BAD_NAME', `namespace name must be 1..${MAX_NAME} bytes, got ${bytes.length}`, { field: 'name' });
    }
    return new KvStore(this.backend, concat(this.prefix, Uint8Array.of(bytes.length), bytes));
  }

  get closed(): boolean {
    return this.backend.closed;
  }

  async get(key: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    return this.backend.get(this.full(key));
  }

  /** Blocking read: much cheaper than `get` for hot paths that read many small values (trie walks). */
  getSync(key: Uint8Array): Uint8Array | undefined {
    this.assertOpen();
    return this.backend.getSync(this.full(key));
  }

  async put(key: Uint8Array, value: Uint8Array, options: KvWriteOptions = {}): Promise<void> {
    await this.batch([{ type: 'put', key, value }], options);
  }

  async del(key: Uint8Array, options: KvWriteOptions = {}): Promise<void> {
    await this.batch([{ type: 'del', key }], options);
  }

  /** All ops or none. Ops naming `ns` must use a namespace of this same store. */
  async batch(ops: readonly KvOp[], options: KvWriteOptions = {}): Promise<void> {
    this.assertOpen();
    if (ops.length === 0) return;
    const raw = ops.map((op, i) => {
      const ns = op.ns ?? this;
      if (ns.backend !== this.backend) {
        throw new StoreError('STORE_FOREIGN_NAMESPACE', `batch op ${i} names a namespace of another store`, { field: `ops[${i}].ns` });
      }
      const key = ns.full(op.key);
      return op.type === 'put' ? { type: 'put' as const, key, value: op.value } : { type: 'del' as const, key };
    });
    await this.backend.batch(raw, options);
  }

  /** Entries of this namespace in `range`, keys relative to the namespace. */
  async *iterate(range: KvRange = {}): AsyncIterable<[Uint8Array, Uint8Array]> {
    this.assertOpen();
    const base = range.prefix === undefined ? this.prefix : concat(this.prefix, range.prefix);
    let gte: Uint8Array | undefined = base.length > 0 ? base : undefined;
    let lt: Uint8Array | undefined = base.length > 0 ? prefixEnd(base) : undefined;
    if (range.gte !== undefined) gte = maxKey(gte, this.full(range.gte));
    if (range.gt !== undefined) gte = maxKey(gte, successor(this.full(range.gt)));
    if (range.lt !== undefined) lt = minKey(lt, this.full(range.lt));
    if (range.lte !== undefined) lt = minKey(lt, successor(this.full(range.lte)));
    const limit = range.limit ?? Infinity;
    if (limit <= 0 || (gte !== undefined && lt !== undefined && compareBytes(gte, lt) >= 0)) return;
    const cut = this.prefix.length;
    for await (const [k, v] of this.backend.iterate({ gte, lt, reverse: range.reverse ?? false, limit })) {
      yield [k.subarray(cut), v];
    }
  }

  /** Closes the backend (every namespace of it). Idempotent. */
  async close(): Promise<void> {
    if (!this.backend.closed) await this.backend.close();
  }

  protected full(key: Uint8Array): Uint8Array {
    return this.prefix.length === 0 ? key : concat(this.prefix, key);
  }

  private assertOpen(): void {
    if (this.backend.closed) throw new StoreError('STORE_CLOSED', 'the store is closed');
  }
}

export { compareBytes, concat };

/** The smallest key greater than every key starting with `prefix`; undefined if there is none (all 0xff). */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  for (let i = prefix.length - 1; i >= 0; i--) {
    if (prefix[i] !== 0xff) {
      const out = prefix.slice(0, i + 1);
      out[i] = (out[i] as number) + 1;
      return out;
    }
  }
  return undefined;
}

/** The smallest key greater than `key`: key ‖ 0x00. */
function successor(key: Uint8Array): Uint8Array {
  return concat(key, Uint8Array.of(0));
}

function maxKey(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  return a === undefined || compareBytes(b, a) > 0 ? b : a;
}

function minKey(a: Uint8Array | undefined, b: Uint8Array): Uint8Array {
  return a === undefined || compareBytes(b, a) < 0 ? b : a;
}
