/**
 * The server's copy of the chain, on a KvStore namespace: header RLP and total difficulty by hash,
 * the canonical index number → hash, the head pointer, bodies and receipt lists by block hash
 * (canonical binary forms), and the transaction lookup hash → {blockHash, number, index} for the
 * canonical chain. Everything in it was checked against a header before it was written (the
 * follower and `BlockFetcher` do that); a block's writes, or a whole reorg, are one atomic batch.
 *
 * Old-branch headers, bodies and receipts are never deleted: they stay readable by hash after a
 * reorg (a client may still ask for them), only the canonical index and tx lookup move.
 *
 * Hot reads go through LRU caches in front of the store (headers, TDs, canonical hashes).
 *
 * History gap: a server that starts far behind the node stores a recent segment first (an anchor
 * block from the node, with the node's total difficulty, and the head above it) and fills the
 * headers below it afterwards (`commitHistory`), so it can serve the head meanwhile. While the gap
 * is open the canonical index holds 0..filled and anchor..head; nothing in between is stored, so
 * reads there answer undefined. When the history reaches the anchor and links to it, the gap
 * closes (the segment's TDs rewritten if the node's differed from the summed one).
 */
import { LRUCache } from 'lru-cache';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { KvOp, KvStore } from '../../store/kv.js';
import { equalBytes } from '../../verify/bytes.js';
import { type BlockHeader, decodeHeader } from '../../verify/header.js';
import { VerificationError } from '../../verify/errors.js';
import {
  type StoredBody,
  type TxLocation,
  decodeBody,
  decodeHashList,
  decodeReceiptList,
  decodeTd,
  decodeTxLocation,
  encodeBody,
  encodeHashList,
  encodeReceiptList,
  encodeTd,
  encodeTxLocation,
  numberKey,
} from './codec.js';
import { ChainError } from './errors.js';
import type { SectionSource } from './section-source.js';

export type { StoredBody, TxLocation } from './codec.js';

export interface ChainHead {
  hash: Uint8Array;
  number: number;
  /** Post-merge chains keep TD constant: heads compare by (td, number). */
  td: bigint;
}

export interface StoredHeader {
  hash: Uint8Array;
  number: number;
  /** The header's RLP as the node's block hash commits to it. */
  rlp: Uint8Array;
  header: BlockHeader;
}

/** A checked block ready to be written (see follower/source). Body and receipts are optional. */
export interface ChainBlock {
  hash: Uint8Array;
  number: number;
  header: BlockHeader;
  rlp: Uint8Array;
  /** Its transactions' hashes in order (for the tx lookup). */
  txHashes: Uint8Array[];
  body?: StoredBody;
  receipts?: Uint8Array[];
}

export interface CommitResult {
  head: ChainHead;
  /** Number of the last block kept from the previous canonical chain (−1: none). */
  ancestor: number;
  /** Blocks rolled back from the previous head (0 when the new blocks extend it). */
  reorgDepth: number;
  /** Total difficulty of each written block, in order. */
  tds: bigint[];
}

/** Fetches what the store does not hold yet, checked against the stored header; undefined if the node lacks it. */
export interface BlockFetcher {
  fetchBody(header: StoredHeader): Promise<StoredBody | undefined>;
  fetchReceipts(header: StoredHeader): Promise<Uint8Array[] | undefined>;
}

export interface ChainStoreOptions {
  /** A namespace of the server's store used by the chain only. */
  store: KvStore;
  /** Headers held decoded in memory. Default 8192. */
  headerCacheSize?: number;
  /** Lazy source of bodies and receipts of old blocks (the follower sets one). */
  fetcher?: BlockFetcher;
}

const HEAD_KEY = new TextEncoder().encode('head');
const GAP_KEY = new TextEncoder().encode('gap');

/** The open history gap: 0..filled and anchor..head are stored, nothing between. */
export interface HistoryGap {
  /** Highest block stored contiguously from genesis (−1: none yet). */
  filled: number;
  /** First block of the recent segment. */
  anchor: number;
}

/** How a history batch ended: the gap still open, closed (linked to the anchor), or the segment dropped. */
export type HistoryResult = 'open' | 'joined' | 'dropped';

const encodeGap = (g: HistoryGap): Uint8Array => new TextEncoder().encode(JSON.stringify(g));
function decodeGap(b: Uint8Array): HistoryGap {
  const g = JSON.parse(new TextDecoder().decode(b)) as HistoryGap;
  if (!Number.isSafeInteger(g.filled) || !Number.isSafeInteger(g.anchor) || g.filled < -1 || g.anchor <= g.filled + 1) {
    throw new ChainError('CHAIN_CORRUPT', 'the history gap record does not decode', { field: 'meta/gap' });
  }
  return g;
}
const hexKey = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export class ChainStore implements SectionSource {
  /** Per process, for tuning and tests. */
  readonly stats = { headerCacheHits: 0, headerReads: 0, bodyFetches: 0, receiptFetches: 0 };
  private readonly kv: KvStore;
  private readonly headers: KvStore;
  private readonly tds: KvStore;
  private readonly canonical: KvStore;
  private readonly meta: KvStore;
  private readonly bodies: KvStore;
  private readonly receipts: KvStore;
  private readonly lookups: KvStore;
  private readonly blockTxs: KvStore;
  private readonly headerCache: LRUCache<string, StoredHeader>;
  private readonly tdCache: LRUCache<string, bigint>;
  private readonly canonicalCache: LRUCache<number, Uint8Array>;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private fetcher: BlockFetcher | undefined;
  private current: ChainHead | undefined;
  private gap: HistoryGap | undefined;
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(options: ChainStoreOptions) {
    this.kv = options.store;
    this.headers = this.kv.namespace('h');
    this.tds = this.kv.namespace('td');
    this.canonical = this.kv.namespace('n');
    this.meta = this.kv.namespace('meta');
    this.bodies = this.kv.namespace('b');
    this.receipts = this.kv.namespace('r');
    this.lookups = this.kv.namespace('tx');
    this.blockTxs = this.kv.namespace('bt');
    const max = options.headerCacheSize ?? 8192;
    this.headerCache = new LRUCache({ max });
    this.tdCache = new LRUCache({ max });
    this.canonicalCache = new LRUCache({ max: Math.max(max, 16384) });
    this.fetcher = options.fetcher;
  }

  /** Opens the store and loads the head pointer (an empty store has no head). */
  static async open(options: ChainStoreOptions): Promise<ChainStore> {
    const s = new ChainStore(options);
    const hash = await s.meta.get(HEAD_KEY);
    if (hash !== undefined) {
      const h = await s.headerByHash(hash);
      const td = await s.td(hash);
      if (h === undefined || td === undefined) throw new ChainError('CHAIN_CORRUPT', 'the head pointer names a block that is not stored', { field: 'meta/head' });
      s.current = { hash: h.hash, number: h.number, td };
    }
    const gap = await s.meta.get(GAP_KEY);
    if (gap !== undefined) {
      try {
        s.gap = decodeGap(gap);
      } catch (cause) {
        if (cause instanceof ChainError) throw cause;
        throw new ChainError('CHAIN_CORRUPT', 'the history gap record does not decode', { field: 'meta/gap', cause });
      }
    }
    return s;
  }

  setFetcher(fetcher: BlockFetcher | undefined): void {
    this.fetcher = fetcher;
  }

  head(): ChainHead | undefined {
    return this.current;
  }

  /** Highest canonical block number stored; −1 for an empty store. */
  headNumber(): number {
    return this.current?.number ?? -1;
  }

  /** The open history gap, if the store holds a recent segment above unfilled history. */
  historyGap(): HistoryGap | undefined {
    return this.gap === undefined ? undefined : { ...this.gap };
  }

  /** Highest block below which every canonical block is stored (the head once no gap is open). */
  historyHead(): number {
    return this.gap?.filled ?? this.headNumber();
  }

  /**
   * Opens a history gap: `block` (more than one above the head) becomes the head with total
   * difficulty `td` (the node's), the stored chain below it is the history filled so far.
   */
  async commitAnchor(block: ChainBlock, td: bigint): Promise<CommitResult> {
    const run = this.writing.then(async () => {
      const filled = this.headNumber();
      if (this.gap !== undefined || block.number <= filled + 1) throw new ChainError('CHAIN_UNLINKED', `block ${block.number} cannot anchor a segment above ${filled}`, { field: 'anchor', number: block.number });
      const gap: HistoryGap = { filled, anchor: block.number };
      const ops = this.blockOps(block, td);
      ops.push({ type: 'put', key: HEAD_KEY, value: block.hash, ns: this.meta }, { type: 'put', key: GAP_KEY, value: encodeGap(gap), ns: this.meta });
      await this.kv.batch(ops);
      this.cacheBlock(block, td);
      this.gap = gap;
      this.current = { hash: block.hash, number: block.number, td };
      return { head: this.current, ancestor: filled, reorgDepth: 0, tds: [td] };
    });
    this.writing = run.catch(() => {});
    return run;
  }

  /**
   * Stores history below the segment: `blocks` extend the filled chain (from genesis) and stay
   * below the anchor; the head does not move. Reaching the anchor closes the gap when the anchor
   * names the last one as its parent, else drops the segment (the node's chain moved below it)
   * and the filled chain becomes the head.
   */
  async commitHistory(blocks: readonly ChainBlock[]): Promise<{ result: HistoryResult; tds: bigint[] }> {
    const run = this.writing.then(() => this.commitHistoryNow(blocks));
    this.writing = run.catch(() => {});
    return run;
  }

  private async commitHistoryNow(blocks: readonly ChainBlock[]): Promise<{ result: HistoryResult; tds: bigint[] }> {
    const gap = this.gap;
    if (gap === undefined) throw new ChainError('CHAIN_UNLINKED', 'no history gap is open', { field: 'gap' });
    let parentHash = gap.filled >= 0 ? await this.canonicalHash(gap.filled) : undefined;
    const parentTd = parentHash === undefined ? 0n : await this.td(parentHash);
    if (parentTd === undefined) throw new ChainError('CHAIN_CORRUPT', `no TD for block ${gap.filled}`, { field: 'td' });
    let td = parentTd;
    const ops: KvOp[] = [];
    const tds: bigint[] = [];
    blocks.forEach((b, i) => {
      const linked = parentHash === undefined ? b.number === 0 : equalBytes(b.header.parentHash, parentHash);
      if (b.number !== gap.filled + 1 + i || b.number >= gap.anchor || !linked) {
        throw new ChainError('CHAIN_UNLINKED', `block ${b.number} does not extend the filled history at ${gap.filled + i}`, { field: 'parentHash', number: b.number });
      }
      td += b.header.difficulty;
      tds.push(td);
      ops.push(...this.blockOps(b, td));
      parentHash = b.hash;
    });
    const filled = gap.filled + blocks.length;
    let result: HistoryResult = 'open';
    const swaps: Array<[Uint8Array, bigint]> = [];
    let newHead: ChainHead | undefined;
    if (filled === gap.anchor - 1 && filled >= 0) {
      const anchorHash = await this.canonicalHash(gap.anchor);
      const anchor = anchorHash === undefined ? undefined : await this.headerByHash(anchorHash);
      const head = this.current as ChainHead;
      if (anchor !== undefined && equalBytes(anchor.header.parentHash, parentHash as Uint8Array)) {
        result = 'joined';
        // The segment's TDs came from the node: rewrite them to the summed ones where they differ.
        let t = td;
        for (let n = gap.anchor; n <= head.number; n++) {
          const hash = (await this.canonicalHash(n)) as Uint8Array;
          const h = (await this.headerByHash(hash)) as StoredHeader;
          t += h.header.difficulty;
          if ((await this.td(hash)) !== t) swaps.push([hash, t]);
        }
        for (const [hash, t2] of swaps) ops.push({ type: 'put', key: hash, value: encodeTd(t2), ns: this.tds });
        newHead = { ...head, td: t };
      } else {
        result = 'dropped';
        for (let n = gap.anchor; n <= head.number; n++) {
          const hash = await this.canonicalHash(n);
          const txs = hash === undefined ? undefined : await this.blockTxs.get(hash);
          for (const tx of txs === undefined ? [] : decodeHashList(txs)) ops.push({ type: 'del', key: tx, ns: this.lookups });
          ops.push({ type: 'del', key: numberKey(n), ns: this.canonical });
        }
        const last = blocks[blocks.length - 1] as ChainBlock;
        newHead = { hash: last.hash, number: last.number, td };
        ops.push({ type: 'put', key: HEAD_KEY, value: last.hash, ns: this.meta });
      }
      ops.push({ type: 'del', key: GAP_KEY, ns: this.meta });
    } else {
      ops.push({ type: 'put', key: GAP_KEY, value: encodeGap({ ...gap, filled }), ns: this.meta });
    }
    await this.kv.batch(ops);
    blocks.forEach((b, i) => this.cacheBlock(b, tds[i] as bigint));
    for (const [hash, t2] of swaps) this.tdCache.set(hexKey(hash), t2);
    if (result === 'dropped') for (let n = gap.anchor; n <= (this.current as ChainHead).number; n++) this.canonicalCache.delete(n);
    if (newHead !== undefined) this.current = newHead;
    this.gap = result === 'open' ? { ...gap, filled } : undefined;
    return { result, tds };
  }

  /** The writes that store one block as canonical at its number with total difficulty `td`. */
  private blockOps(b: ChainBlock, td: bigint): KvOp[] {
    const ops: KvOp[] = [
      { type: 'put', key: b.hash, value: b.rlp, ns: this.headers },
      { type: 'put', key: b.hash, value: encodeTd(td), ns: this.tds },
      { type: 'put', key: numberKey(b.number), value: b.hash, ns: this.canonical },
      { type: 'put', key: b.hash, value: encodeHashList(b.txHashes), ns: this.blockTxs },
    ];
    b.txHashes.forEach((tx, txIndex) => ops.push({ type: 'put', key: tx, value: encodeTxLocation({ blockHash: b.hash, blockNumber: b.number, txIndex }), ns: this.lookups }));
    if (b.body !== undefined) ops.push({ type: 'put', key: b.hash, value: encodeBody(b.body), ns: this.bodies });
    if (b.receipts !== undefined) ops.push({ type: 'put', key: b.hash, value: encodeReceiptList(b.receipts), ns: this.receipts });
    return ops;
  }

  private cacheBlock(b: ChainBlock, td: bigint): void {
    this.canonicalCache.set(b.number, b.hash);
    this.tdCache.set(hexKey(b.hash), td);
    this.headerCache.set(hexKey(b.hash), { hash: b.hash, number: b.number, rlp: b.rlp, header: b.header });
  }

  async headerByHash(hash: Uint8Array): Promise<StoredHeader | undefined> {
    const key = hexKey(hash);
    const hit = this.headerCache.get(key);
    if (hit !== undefined) {
      this.stats.headerCacheHits++;
      return hit;
    }
    const h = await this.readHeader(hash);
    if (h !== undefined) this.headerCache.set(key, h);
    return h;
  }

  /** The canonical header at `n`. */
  async headerByNumber(n: number): Promise<StoredHeader | undefined> {
    const hash = await this.canonicalHash(n);
    return hash === undefined ? undefined : this.headerByHash(hash);
  }

  async canonicalHash(n: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.headNumber()) return undefined;
    const hit = this.canonicalCache.get(n);
    if (hit !== undefined) return hit;
    const hash = await this.canonical.get(numberKey(n));
    if (hash !== undefined) this.canonicalCache.set(n, hash);
    return hash;
  }

  async td(hash: Uint8Array): Promise<bigint | undefined> {
    const key = hexKey(hash);
    const hit = this.tdCache.get(key);
    if (hit !== undefined) return hit;
    const b = await this.tds.get(hash);
    if (b === undefined) return undefined;
    const td = decodeTd(b);
    this.tdCache.set(key, td);
    return td;
  }

  /** For the section indexers: reads without filling the header cache (a section is 32768 headers). */
  async canonicalEntry(n: number): Promise<{ hash: Uint8Array; td: bigint; logsBloom: Uint8Array } | undefined> {
    const hash = await this.canonicalHash(n);
    if (hash === undefined) return undefined;
    const header = this.headerCache.peek(hexKey(hash)) ?? (await this.readHeader(hash));
    const td = await this.td(hash);
    if (header === undefined || td === undefined) throw new ChainError('CHAIN_CORRUPT', `canonical block ${n} has no header or TD`, { field: 'canonical', number: n });
    return { hash, td, logsBloom: header.header.logsBloom };
  }

  /** The body, from the store or (for a stored header) fetched from the node, checked and cached. */
  async getBody(hash: Uint8Array): Promise<StoredBody | undefined> {
    const b = await this.bodies.get(hash);
    if (b !== undefined) return decodeBody(b);
    return this.fetchOnce('b', hash, async (fetcher, header) => {
      this.stats.bodyFetches++;
      const body = await fetcher.fetchBody(header);
      if (body !== undefined) await this.bodies.put(hash, encodeBody(body));
      return body;
    });
  }

  /** The receipts' canonical forms, from the store or fetched from the node, checked and cached. */
  async getReceipts(hash: Uint8Array): Promise<Uint8Array[] | undefined> {
    const b = await this.receipts.get(hash);
    if (b !== undefined) return decodeReceiptList(b);
    return this.fetchOnce('r', hash, async (fetcher, header) => {
      this.stats.receiptFetches++;
      const receipts = await fetcher.fetchReceipts(header);
      if (receipts !== undefined) await this.receipts.put(hash, encodeReceiptList(receipts));
      return receipts;
    });
  }

  /** Whether the body / receipts are stored (no fetch). */
  async hasBody(hash: Uint8Array): Promise<boolean> {
    return (await this.bodies.get(hash)) !== undefined;
  }

  async hasReceipts(hash: Uint8Array): Promise<boolean> {
    return (await this.receipts.get(hash)) !== undefined;
  }

  /**
   * Where a canonical transaction is, per the index. Blocks filled header-only index the node's
   * list of tx hashes, which no root binds yet: use `confirmedTx` before answering "included".
   */
  async txLookup(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const b = await this.lookups.get(txHash);
    return b === undefined ? undefined : decodeTxLocation(b);
  }

  /** `txLookup`, confirmed: the checked body's transaction at that index hashes to `txHash`. */
  async confirmedTx(txHash: Uint8Array): Promise<TxLocation | undefined> {
    const loc = await this.txLookup(txHash);
    if (loc === undefined) return undefined;
    const body = await this.getBody(loc.blockHash);
    const tx = body?.transactions[loc.txIndex];
    return tx !== undefined && equalBytes(keccak256(tx), txHash) ? loc : undefined;
  }

  /**
   * Makes `blocks` canonical after the stored block `ancestor` (default: the block below the
   * first one), replacing canonical blocks above it. `blocks` must link by parentHash to the
   * ancestor and to each other. One atomic batch; with no blocks, rolls back to the ancestor.
   */
  async commit(blocks: readonly ChainBlock[], options: { ancestor?: number } = {}): Promise<CommitResult> {
    const run = this.writing.then(() => this.commitNow(blocks, options));
    this.writing = run.catch(() => {});
    return run;
  }

  private async commitNow(blocks: readonly ChainBlock[], options: { ancestor?: number }): Promise<CommitResult> {
    const first = blocks[0];
    const ancestor = options.ancestor ?? (first === undefined ? this.headNumber() : first.number - 1);
    const old = this.current;
    const oldNumber = old?.number ?? -1;
    if (ancestor > oldNumber || ancestor < -1) throw new ChainError('CHAIN_UNLINKED', `ancestor ${ancestor} is not a stored block`, { field: 'ancestor' });
    if (this.gap !== undefined && ancestor < this.gap.anchor) throw new ChainError('CHAIN_UNLINKED', `ancestor ${ancestor} is below the recent segment (from ${this.gap.anchor}); history is not filled there yet`, { field: 'ancestor', number: ancestor });
    const ancestorHash = ancestor >= 0 ? await this.canonicalHash(ancestor) : undefined;
    if (ancestor >= 0 && ancestorHash === undefined) throw new ChainError('CHAIN_CORRUPT', `no canonical hash at ${ancestor}`, { field: 'canonical' });
    let parentHash = ancestorHash;
    let td = ancestorHash === undefined ? 0n : await this.td(ancestorHash);
    if (td === undefined) throw new ChainError('CHAIN_CORRUPT', `no TD for block ${ancestor}`, { field: 'td' });
    blocks.forEach((b, i) => {
      const linked = parentHash === undefined ? b.number === 0 : equalBytes(b.header.parentHash, parentHash);
      if (b.number !== ancestor + 1 + i || !linked) {
        throw new ChainError('CHAIN_UNLINKED', `block ${b.number} does not extend block ${ancestor + i}`, { field: 'parentHash', number: b.number });
      }
      parentHash = b.hash;
    });
    const ops: KvOp[] = [];
    // Undo the lookups of replaced blocks first: later puts win, so a tx in both branches ends up
    // pointing at its new block.
    for (let n = ancestor + 1; n <= oldNumber; n++) {
      const hash = await this.canonicalHash(n);
      if (hash === undefined) continue;
      const txs = await this.blockTxs.get(hash);
      for (const tx of txs === undefined ? [] : decodeHashList(txs)) ops.push({ type: 'del', key: tx, ns: this.lookups });
    }
    const newNumber = ancestor + blocks.length;
    for (let n = newNumber + 1; n <= oldNumber; n++) ops.push({ type: 'del', key: numberKey(n), ns: this.canonical });
    const tds: bigint[] = [];
    for (const b of blocks) {
      // Cumulative difficulty; genesis TD = its difficulty. After the merge difficulty is 0, so TD
      // stops growing and heads are ordered by (TD, number).
      td += b.header.difficulty;
      tds.push(td);
      ops.push(...this.blockOps(b, td));
    }
    const last = blocks[blocks.length - 1];
    const head: ChainHead | undefined = last !== undefined ? { hash: last.hash, number: last.number, td } : ancestorHash === undefined ? undefined : { hash: ancestorHash, number: ancestor, td };
    if (head === undefined) throw new ChainError('CHAIN_UNLINKED', 'nothing to commit on an empty store', { field: 'blocks' });
    ops.push({ type: 'put', key: HEAD_KEY, value: head.hash, ns: this.meta });
    await this.kv.batch(ops);

    for (let n = ancestor + 1; n <= oldNumber; n++) this.canonicalCache.delete(n);
    blocks.forEach((b, i) => this.cacheBlock(b, tds[i] as bigint));
    this.current = head;
    return { head, ancestor, reorgDepth: Math.max(0, oldNumber - ancestor), tds };
  }

  private async readHeader(hash: Uint8Array): Promise<StoredHeader | undefined> {
    this.stats.headerReads++;
    const rlp = await this.headers.get(hash);
    if (rlp === undefined) return undefined;
    let header: BlockHeader;
    try {
      header = decodeHeader(rlp);
    } catch (cause) {
      if (cause instanceof VerificationError) throw new ChainError('CHAIN_CORRUPT', `stored header does not decode: ${cause.message}`, { field: 'header', cause });
      throw cause;
    }
    return { hash, number: header.number, rlp, header };
  }

  /** One fetch per (kind, hash) at a time; undefined without a fetcher or a stored header. */
  private async fetchOnce<T>(kind: string, hash: Uint8Array, fn: (fetcher: BlockFetcher, header: StoredHeader) => Promise<T | undefined>): Promise<T | undefined> {
    const fetcher = this.fetcher;
    if (fetcher === undefined) return undefined;
    const key = kind + hexKey(hash);
    const running = this.inflight.get(key);
    if (running !== undefined) return running as Promise<T | undefined>;
    const p = (async () => {
      const header = await this.headerByHash(hash);
      return header === undefined ? undefined : fn(fetcher, header);
    })();
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.inflight.delete(key);
    }
  }
}
