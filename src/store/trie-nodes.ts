/**
 * Content-addressed trie nodes: keccak256(node) → node, with an LRU read cache in front of the
 * key-value store. `overlay()` gives @ethereumjs/trie a DB whose writes stay in memory until the
 * caller commits them in its own atomic batch (one block = one batch), so a crash never leaves a
 * half-written state behind a recorded root.
 *
 * Nodes are never deleted here: the same node can belong to many roots (every block's state and
 * every storage trie share nodes), so a delete from one trie's point of view would corrupt others.
 */
import type { BatchDBOp, DB } from '@ethereumjs/util';
import { LRUCache } from 'lru-cache';
import { type KvOp, type KvStore } from './kv.js';

export interface TrieNodeStoreOptions {
  /** Bytes of node data held in the read cache. Default 64 MiB. */
  cacheBytes?: number;
}

const hexOf = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytesOf = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, 'hex'));

export class TrieNodeStore {
  readonly kv: KvStore;
  private readonly cache: LRUCache<string, Uint8Array>;
  /** Reads answered from the cache / from the store, for benchmarks and tuning. */
  readonly stats = { cacheHits: 0, storeReads: 0 };

  constructor(kv: KvStore, options: TrieNodeStoreOptions = {}) {
    this.kv = kv;
    this.cache = new LRUCache<string, Uint8Array>({
      maxSize: options.cacheBytes ?? 64 * 1024 * 1024,
      // The key string and object overhead cost about as much as a short node.
      sizeCalculation: (v) => v.length + 100,
    });
  }

  /** The node with this hash, or undefined. Blocking: a trie walk reads many small nodes in a row. */
  getSync(hash: Uint8Array): Uint8Array | undefined {
    const key = hexOf(hash);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.stats.cacheHits++;
      return hit;
    }
    this.stats.storeReads++;
    const node = this.kv.getSync(hash);
    if (node !== undefined) this.cache.set(key, node);
    return node;
  }

  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const key = hexOf(hash);
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.stats.cacheHits++;
      return hit;
    }
    this.stats.storeReads++;
    const node = await this.kv.get(hash);
    if (node !== undefined) this.cache.set(key, node);
    return node;
  }

  /** Batch ops writing these nodes (hex hash → node); pass them to `kv.batch` with other ops, then `remember`. */
  putOps(nodes: ReadonlyMap<string, Uint8Array>): KvOp[] {
    const ops: KvOp[] = [];
    for (const [hex, node] of nodes) ops.push({ type: 'put', key: bytesOf(hex), value: node, ns: this.kv });
    return ops;
  }

  /** Puts freshly committed nodes in the read cache: new state is what gets asked for next. */
  remember(nodes: ReadonlyMap<string, Uint8Array>): void {
    for (const [hex, node] of nodes) this.cache.set(hex, node);
  }

  /** A DB for @ethereumjs/trie (valueEncoding Bytes) that buffers writes; see NodeOverlay. */
  overlay(): NodeOverlay {
    return new NodeOverlay(this);
  }
}

/**
 * The write buffer of one state transition. Reads see the buffer first, then the store.
 * Implements @ethereumjs/util's DB with hex string keys as @ethereumjs/trie 6 calls it.
 */
export class NodeOverlay implements DB<string, string | Uint8Array> {
  /** Nodes written since creation (or the last `flush`), by unprefixed hex hash. */
  readonly written = new Map<string, Uint8Array>();
  private readonly nodes: TrieNodeStore;

  constructor(nodes: TrieNodeStore) {
    this.nodes = nodes;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.written.get(key) ?? this.nodes.getSync(bytesOf(key));
  }

  async put(key: string, value: string | Uint8Array): Promise<void> {
    this.written.set(key, typeof value === 'string' ? bytesOf(value) : value);
  }

  /** Ignored: nodes are shared between roots (see the file comment). */
  async del(_key: string): Promise<void> {}

  async batch(ops: BatchDBOp<string, string | Uint8Array>[]): Promise<void> {
    for (const op of ops) if (op.type === 'put') await this.put(op.key, op.value);
  }

  shallowCopy(): DB<string, string | Uint8Array> {
    return this;
  }

  async open(): Promise<void> {}

  /** Writes the buffered nodes (alone, not atomic with anything else) and empties the buffer. */
  async flush(): Promise<void> {
    if (this.written.size === 0) return;
    await this.nodes.kv.batch(this.nodes.putOps(this.written));
    this.nodes.remember(this.written);
    this.written.clear();
  }
}

