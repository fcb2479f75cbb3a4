/**
 * The trusted header chain (HeaderChainView). It keeps a canonical window number → hash from a
 * trusted point up to the head (headers in an LRU and in the store), and the trusted helper-trie
 * sections whose CHT proves any older header.
 *
 * Trust anchors (DESIGN §5): the genesis hash; a checkpoint (config, or the checkpoint oracle:
 * oracle.ts); a head agreed by trusted servers (head-tracker.ts); section roots agreed by trusted
 * servers (sections.ts). `adopt` links a new trusted head back by parentHash to the window — the
 * common ancestor — and rolls back whatever the window held above it (a reorg); a linked header
 * that contradicts an anchor (genesis, checkpoint head, trusted section head) refuses the head.
 * When the window cannot be reached within `windowSize` headers the window restarts at the new
 * head's run (the agreed head is itself an anchor). Older headers: CHT proof against the latest
 * trusted section, else linked back from the window's lowest header: at most `maxBackfill` headers
 * for one lookup, and at most `backfillPerMinute` over all lookups (a token bucket), so no caller
 * can make the client fetch tens of thousands of headers by asking for old numbers.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { HeaderChainView, Retriever, RetrieveOptions, TrustedSection, VerifiedHeader } from '../contracts.js';
import type { NetworkConfig } from '../../config/network.js';
import type { KvStore } from '../../store/kv.js';
import { openLevelStore } from '../../store/level.js';
import { openMemoryStore } from '../../store/memory.js';
import { equalBytes, hex0x, toHex } from '../../verify/bytes.js';
import { MAX_HEADERS } from '../../wire/headers.js';
import { headerByHashKind, headerRange, headerRangeKind } from '../odr/headers.js';
import { chtHeaderKind, sectionEnd } from '../odr/helper-tries.js';
import { NoServerError } from '../scheduler/errors.js';
import { ChainError } from './errors.js';
import { ChainStore } from './store.js';

export interface HeaderChainOptions {
  config: NetworkConfig;
  retriever: Retriever;
  /** Overrides config.genesisHash (a devnet learns it from its node). */
  genesisHash?: Uint8Array;
  /** A store to use; else LevelDB under `datadir/chain`; else memory. */
  store?: KvStore;
  datadir?: string;
  /** Canonical headers kept behind the head (default 4096). */
  windowSize?: number;
  /** Headers held in memory, canonical or not (default 8192). */
  headerCacheSize?: number;
  /** Most headers linked back below the window for one old header no CHT covers (default 8192). */
  maxBackfill?: number;
  /** Most headers linked back per minute over all lookups (default 32768; the bucket starts full). */
  backfillPerMinute?: number;
  /** Clock for the back-fill budget, ms (tests). */
  now?: () => number;
}

export interface AdoptResult {
  head: VerifiedHeader;
  /** Blocks of the old canonical chain (up to its head) that are no longer canonical. */
  reorgDepth: number;
  /** The header the new run was linked to, if the window reached it. */
  ancestor?: number;
}

export class HeaderChain extends EventEmitter implements HeaderChainView {
  readonly sectionSize: number;
  readonly config: NetworkConfig;
  readonly genesisHash: Uint8Array;
  readonly retriever: Retriever;
  readonly windowSize: number;
  private readonly maxBackfill: number;
  private readonly backfillBudget: TokenBucket;
  private readonly store: ChainStore;
  private readonly ownedKv: KvStore | undefined;
  private readonly cache: LRUCache<string, VerifiedHeader>;
  /** Canonical numbers proven by CHT, below the window. */
  private readonly chtCanon = new LRUCache<number, string>({ max: 4096 });
  private readonly canon = new Map<number, string>();
  private lo = 0;
  private headHeader: VerifiedHeader | undefined;
  private readonly sections = new Map<number, TrustedSection>();
  private readonly anchors = new Map<number, string>();
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(o: HeaderChainOptions, genesisHash: Uint8Array, store: ChainStore, ownedKv: KvStore | undefined) {
    super();
    this.config = o.config;
    this.sectionSize = o.config.sectionSize;
    this.retriever = o.retriever;
    this.genesisHash = genesisHash;
    this.windowSize = o.windowSize ?? 4096;
    this.maxBackfill = o.maxBackfill ?? 8192;
    this.backfillBudget = new TokenBucket(o.backfillPerMinute ?? 32768, o.now ?? Date.now);
    this.store = store;
    this.ownedKv = ownedKv;
    this.cache = new LRUCache({ max: Math.max(o.headerCacheSize ?? 8192, MAX_HEADERS) });
    this.anchors.set(0, toHex(genesisHash));
  }

  /** Opens the chain from its store, or from the anchors (fetching the anchor header) when empty. */
  static async open(o: HeaderChainOptions): Promise<HeaderChain> {
    const genesis = o.genesisHash ?? o.config.genesisHash;
    if (genesis === undefined) throw new ChainError('NO_GENESIS', 'genesisHash', 'the network config names no genesis hash and none was given');
    const owned = o.store === undefined ? (o.datadir === undefined ? openMemoryStore() : await openLevelStore(join(o.datadir, 'chain'))) : undefined;
    const store = new ChainStore((o.store ?? (owned as KvStore)).namespace('headerChain'));
    const stored = await store.genesis();
    if (stored !== undefined && !equalBytes(stored, genesis)) {
      await owned?.close();
      throw new ChainError('STORE_MISMATCH', 'genesisHash', `the store holds the chain of genesis ${hex0x(stored)}`);
    }
    if (stored === undefined) await store.setGenesis(genesis);
    const chain = new HeaderChain(o, genesis, store, owned);
    try {
      await chain.load();
    } catch (e) {
      await owned?.close();
      throw e;
    }
    return chain;
  }

  private async load(): Promise<void> {
    const cp = this.config.checkpoint;
    const sections = await this.store.sections();
    if (cp !== undefined) sections.push({ index: cp.sectionIndex, sectionHead: cp.sectionHead, chtRoot: cp.chtRoot, bloomTrieRoot: cp.bloomTrieRoot });
    for (const s of sections) this.addSectionAnchor(s);
    const headHash = await this.store.head();
    const head = headHash === undefined ? undefined : await this.store.header(headHash);
    if (head !== undefined) {
      for (const [n, h] of await this.store.canonical()) this.canon.set(n, toHex(h));
      if (this.canon.get(head.header.number) === toHex(head.hash)) {
        this.lo = Math.min(...this.canon.keys());
        this.headHeader = head;
        this.cache.set(toHex(head.hash), head);
        return;
      }
      this.canon.clear();
    }
    // A fresh start: the newest anchor is the head (the checkpoint's section head, else genesis).
    const top = this.latestSection();
    const [hash, number] = top === undefined ? [this.genesisHash, 0] : [top.sectionHead, sectionEnd(top.index, this.sectionSize)];
    const anchor = await this.retriever.retrieve(headerByHashKind, { hash, number });
    this.canon.set(number, toHex(hash));
    this.lo = number;
    this.headHeader = anchor;
    this.cache.set(toHex(hash), anchor);
    await this.store.write({ headers: [anchor], canonical: [[number, hash]], head: hash });
  }

  async close(): Promise<void> {
    await this.lock.catch(() => undefined);
    await this.ownedKv?.close();
  }

  // ---- HeaderChainView ----

  head(): VerifiedHeader {
    if (this.headHeader === undefined) throw new ChainError('NOT_AVAILABLE', 'head', 'the chain is not open');
    return this.headHeader;
  }

  /** The lowest and highest numbers of the canonical window. */
  window(): { lo: number; hi: number } {
    return { lo: this.lo, hi: this.head().header.number };
  }

  latestSection(): TrustedSection | undefined {
    let best: TrustedSection | undefined;
    for (const s of this.sections.values()) if (best === undefined || s.index > best.index) best = s;
    return best;
  }

  section(index: number): TrustedSection | undefined {
    return this.sections.get(index);
  }

  /**
   * The canonical header with this hash. A header is self-authenticating by its hash, but not its
   * place: anyone can make a header that hashes to what they hand a caller. So only a header on the
   * verified canonical chain at its number (not above the head) is answered; anything else —
   * unknown to every server, a side block, a forgery — is NOT_AVAILABLE (eth_getBlockByHash: null).
   */
  async headerByHash(hash: Uint8Array): Promise<VerifiedHeader> {
    const header = (await this.localHeader(hash)) ?? (await this.fetchByHash(hash));
    let canonical: boolean;
    try {
      canonical = await this.isCanonical(header.hash, header.header.number);
    } catch (err) {
      if (err instanceof ChainError && err.code === 'NOT_AVAILABLE') canonical = false;
      else throw err;
    }
    if (!canonical) throw new ChainError('NOT_AVAILABLE', 'hash', `block ${toHex(hash)} is not on the verified canonical chain`);
    return this.remember(header);
  }

  private async fetchByHash(hash: Uint8Array): Promise<VerifiedHeader> {
    try {
      // Not remembered until found canonical: a caller's random hashes must not crowd the cache.
      return await this.retriever.retrieve(headerByHashKind, { hash });
    } catch (err) {
      if (err instanceof NoServerError && err.unansweredBy > 0) {
        throw new ChainError('NOT_AVAILABLE', 'hash', `no server knows block ${toHex(hash)}`, { cause: err });
      }
      throw err;
    }
  }

  async headerByNumber(n: number): Promise<VerifiedHeader> {
    const head = this.head();
    if (!Number.isSafeInteger(n) || n < 0 || n > head.header.number) {
      throw new ChainError('NOT_AVAILABLE', 'number', `block ${n} is not in 0..${head.header.number} (the trusted head)`);
    }
    const inWindow = this.canon.get(n) ?? this.chtCanon.get(n);
    if (inWindow !== undefined) return this.headerAt(inWindow, n);
    const section = this.latestSection();
    if (section !== undefined && n <= sectionEnd(section.index, this.sectionSize)) {
      const h = await this.retriever.retrieve(chtHeaderKind, { section, sectionSize: this.sectionSize, number: n });
      this.chtCanon.set(n, toHex(h.hash));
      return this.remember(h);
    }
    if (this.lo - n > this.maxBackfill) {
      throw new ChainError('LIMIT_EXCEEDED', 'number', `block ${n} is ${this.lo - n} headers below the window and no trusted section covers it (at most ${this.maxBackfill} are linked back for one lookup)`);
    }
    await this.serialized(() => {
      const need = this.lo - n;
      if (need > 0 && !this.backfillBudget.take(need)) {
        throw new ChainError('LIMIT_EXCEEDED', 'number', `linking back ${need} headers to block ${n} would pass the back-fill budget (${this.backfillBudget.perMinute} headers a minute); try again later`);
      }
      return this.backfill(n);
    });
    return this.headerAt(this.canon.get(n) as string, n);
  }

  async isCanonical(hash: Uint8Array, number: number): Promise<boolean> {
    if (!Number.isSafeInteger(number) || number < 0 || number > this.head().header.number) return false;
    return equalBytes((await this.headerByNumber(number)).hash, hash);
  }

  // ---- used by the trust rules ----

  /** A header held in memory or in the store, without asking a server. */
  async localHeader(hash: Uint8Array): Promise<VerifiedHeader | undefined> {
    const cached = this.cache.get(toHex(hash));
    if (cached !== undefined) return cached;
    const stored = await this.store.header(hash);
    return stored === undefined ? undefined : this.remember(stored);
  }

  /** Whether the chain ending at `hash` (headers in memory, then the window) passes through `ancestor`. */
  descends(hash: Uint8Array, ancestor: { hash: Uint8Array; number: number }): boolean {
    const want = toHex(ancestor.hash);
    let key = toHex(hash);
    let number: number | undefined;
    for (;;) {
      // Once on the canonical window, the window answers.
      if (number !== undefined && this.canon.get(number) === key && ancestor.number >= this.lo) {
        return this.canon.get(ancestor.number) === want;
      }
      const h = this.cache.get(key);
      if (h === undefined) return false;
      if (h.header.number <= ancestor.number) return h.header.number === ancestor.number && key === want;
      key = toHex(h.header.parentHash);
      number = h.header.number - 1;
    }
  }

  /** Fetches (and caches) a run of headers going back from `hash`, newest first. */
  async fetchRun(hash: Uint8Array, number: number, amount: number, options: RetrieveOptions = {}): Promise<VerifiedHeader[]> {
    const item = headerRange(hash, number, Math.max(1, Math.min(amount, MAX_HEADERS, number + 1)));
    const run = await this.retriever.retrieve(headerRangeKind, item, options);
    for (const h of run) this.remember(h);
    return run;
  }

  /** Whether the parent of `h` is known (in memory or canonical), i.e. `h` links to known headers. */
  parentKnown(h: VerifiedHeader): boolean {
    const p = toHex(h.header.parentHash);
    return h.header.number === 0 || this.cache.has(p) || this.canon.get(h.header.number - 1) === p;
  }

  isKnown(hash: Uint8Array): boolean {
    return this.cache.has(toHex(hash));
  }

  /** Makes `head` (trusted by a rule of the caller) the head; see the file comment. */
  async adopt(head: VerifiedHeader, options: RetrieveOptions = {}): Promise<AdoptResult | undefined> {
    return this.serialized(() => this.adoptNow(head, options));
  }

  /** Adds a trusted section (and its head as an anchor) and persists it. */
  async acceptSection(section: TrustedSection): Promise<void> {
    await this.serialized(async () => {
      const end = sectionEnd(section.index, this.sectionSize);
      const known = this.canon.get(end);
      if (known !== undefined && known !== toHex(section.sectionHead)) {
        throw new ChainError('ANCHOR_MISMATCH', `sections[${section.index}].sectionHead`, `the canonical window has 0x${known} at ${end}`);
      }
      this.addSectionAnchor(section);
      await this.store.write({ sections: [section] });
      this.emit('section', section);
    });
  }

  /** The canonical hash at `n` when the window or a trusted anchor knows it. */
  knownCanonical(n: number): string | undefined {
    return this.canon.get(n) ?? this.chtCanon.get(n) ?? this.anchors.get(n);
  }

  // ---- internals ----

  private addSectionAnchor(s: TrustedSection): void {
    this.sections.set(s.index, s);
    this.anchors.set(sectionEnd(s.index, this.sectionSize), toHex(s.sectionHead));
  }

  private remember(h: VerifiedHeader): VerifiedHeader {
    this.cache.set(toHex(h.hash), h);
    return h;
  }

  private async headerAt(hashHex: string, n: number): Promise<VerifiedHeader> {
    const hash = Uint8Array.from(Buffer.from(hashHex, 'hex'));
    const local = await this.localHeader(hash);
    return local ?? this.remember(await this.retriever.retrieve(headerByHashKind, { hash, number: n }));
  }

  private async serialized<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private checkAnchor(h: VerifiedHeader): void {
    const a = this.anchors.get(h.header.number);
    if (a !== undefined && a !== toHex(h.hash)) {
      throw new ChainError('ANCHOR_MISMATCH', `header ${h.header.number}`, `${hex0x(h.hash)} contradicts the trusted 0x${a}`);
    }
  }

  /** The parent of `h`: from memory/store, else a run fetched back from it. */
  private async parentOf(h: VerifiedHeader, budget: number, options: RetrieveOptions): Promise<VerifiedHeader> {
    const local = await this.localHeader(h.header.parentHash);
    if (local !== undefined) return local;
    const [parent] = await this.fetchRun(h.header.parentHash, h.header.number - 1, budget, options);
    return parent as VerifiedHeader;
  }

  private async adoptNow(head: VerifiedHeader, options: RetrieveOptions): Promise<AdoptResult | undefined> {
    // Already canonical, or below the window (nothing to compare it with): not a new head.
    if (head.header.number < this.lo || this.canon.get(head.header.number) === toHex(head.hash)) return undefined;
    this.checkAnchor(head);
    const run: VerifiedHeader[] = [head];
    let ancestor: number | undefined;
    for (let cur = head; ; ) {
      const p = cur.header.number - 1;
      if (p < 0) break;
      if (this.canon.get(p) === toHex(cur.header.parentHash)) {
        ancestor = p;
        break;
      }
      if (p < this.lo || run.length >= this.windowSize) break;
      cur = await this.parentOf(cur, this.windowSize - run.length, options);
      this.checkAnchor(cur);
      run.push(cur);
    }
    const old = this.head();
    const runLow = (run[run.length - 1] as VerifiedHeader).header.number;
    // Everything above the common ancestor is replaced; without one, the whole window is.
    const before = new Map([...this.canon].filter(([n]) => ancestor === undefined || n > ancestor));
    for (const n of before.keys()) this.canon.delete(n);
    for (const h of run) this.canon.set(h.header.number, toHex(h.hash));
    if (ancestor === undefined) this.lo = runLow;
    const reorgDepth = [...before].filter(([n, h]) => n >= runLow && n <= old.header.number && this.canon.get(n) !== h).length;
    for (; this.lo < head.header.number - this.windowSize + 1; this.lo++) {
      const h = this.canon.get(this.lo);
      if (h !== undefined) before.set(this.lo, h);
      this.canon.delete(this.lo);
    }
    const gone = [...before].filter(([n, h]) => this.canon.get(n) !== h);
    const kept = run.filter((h) => h.header.number >= this.lo);
    this.headHeader = head;
    await this.store.write({
      removeCanonical: gone.map(([n]) => n),
      removeHeaders: gone.map(([, h]) => Uint8Array.from(Buffer.from(h, 'hex'))),
      headers: kept,
      canonical: kept.map((h) => [h.header.number, h.hash] as const),
      head: head.hash,
    });
    const result: AdoptResult = ancestor === undefined ? { head, reorgDepth } : { head, reorgDepth, ancestor };
    this.emit('head', head, result);
    return result;
  }

  /** Links the window down to `n` by parent hashes. */
  private async backfill(n: number): Promise<void> {
    while (this.lo > n) {
      const low = await this.headerAt(this.canon.get(this.lo) as string, this.lo);
      const run = await this.fetchRun(low.header.parentHash, this.lo - 1, this.lo - n);
      run.forEach((h) => this.checkAnchor(h));
      for (const h of run) this.canon.set(h.header.number, toHex(h.hash));
      this.lo = (run[run.length - 1] as VerifiedHeader).header.number;
      await this.store.write({ headers: run, canonical: run.map((h) => [h.header.number, h.hash] as const) });
    }
  }
}

/** A budget of `perMinute` units, refilled continuously, starting full. */
class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number,
  ) {
    this.level = perMinute;
    this.at = now();
  }

  /** Takes `n` units if there are that many now. */
  take(n: number): boolean {
    const t = this.now();
    this.level = Math.min(this.perMinute, this.level + ((t - this.at) * this.perMinute) / 60_000);
    this.at = t;
    if (n > this.level) return false;
    this.level -= n;
    return true;
  }
}
