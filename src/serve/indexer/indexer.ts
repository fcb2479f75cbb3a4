/**
 * The server's section indexers: CHT, BloomBits and BloomTrie (DESIGN §4), built together one
 * section at a time from the chain store, persisted per section, served by section index.
 *
 * - Build: section s (blocks s·size .. (s+1)·size−1) once the head is buildConfirmations past its
 *   last block; each section extends the previous section's tries (trie-insert.ts), so every
 *   section's roots stay provable from the same node store.
 * - Resume: opening reads the built sections back; nothing is rebuilt. `stop()` ends a run of
 *   builds after the section in progress (a catch-up of a public chain is hours), so a restart
 *   continues with the next section.
 * - Reorg safety: before building, the newest section's head is compared with the chain store's
 *   canonical hash; a different hash (or `canonicalChanged` from the chain side naming a block of
 *   a built section whose hash changed) logs an error, drops the sections from the first changed
 *   one on, and builds them again from the new canonical chain.
 * - All builds, checks and rollbacks run one at a time; reads (proofs, roots) are synchronous and
 *   see only committed sections.
 */
import { EventEmitter } from 'node:events';
import type { NetworkConfig } from '../../config/network.js';
import type { KvStore } from '../../store/kv.js';
import { type Checkpoint, type ChtEntry, EMPTY_TRIE_ROOT, chtKey, decodeChtValue } from '../../verify/index.js';
import { equalBytes, hex0x } from '../../verify/bytes.js';
import type { SectionSource } from '../chain/section-source.js';
import { IndexerError } from './errors.js';
import { type IndexerLog, type ProgressStream, SectionProgress } from './progress.js';
import { type HelperProofSet, trieProof } from './proofs.js';
import { type SectionRecord, SectionRecords } from './records.js';
import { type SectionBlock, buildSection, readSectionBlocks } from './section-build.js';

export type { SectionRecord } from './records.js';

export interface SectionIndexerOptions {
  /** A namespace of the server's store, used by the indexers only. */
  store: KvStore;
  source: SectionSource;
  network: Pick<NetworkConfig, 'sectionSize' | 'buildConfirmations'>;
  log?: IndexerLog;
  /** Where the progress bar goes (only when it is a TTY). Default process.stderr; null for none. */
  progressStream?: ProgressStream | null;
  /** Fewest pending sections that get a bar rather than log lines. Default 4. */
  progressThreshold?: number;
  nodeCacheBytes?: number;
  /** Chain store reads in flight while reading a section. Default 256. */
  readConcurrency?: number;
}

export interface SectionIndexerEvents {
  section: [SectionRecord];
  rollback: [{ from: number; count: number; reason: string }];
}

/** Builds of one update in a row that may find the chain moved under them before giving up. */
const MAX_ATTEMPTS = 4;

const silent: IndexerLog = { info() {}, warn() {}, error() {} };

type HeadState = 'same' | 'changed' | 'unknown';

export class SectionIndexer extends EventEmitter<SectionIndexerEvents> {
  readonly sectionSize: number;
  readonly buildConfirmations: number;
  /** Per process: sections built, rollbacks done, blocks read from the chain store. */
  readonly stats = { sectionsBuilt: 0, rollbacks: 0, blocksRead: 0 };
  private readonly store: SectionRecords;
  private readonly source: SectionSource;
  private readonly log: IndexerLog;
  private readonly stream: ProgressStream | undefined;
  private readonly threshold: number;
  private readonly concurrency: number;
  private readonly lookup = (h: Uint8Array) => this.store.nodes.getSync(h);
  private records: SectionRecord[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Promise<number> | undefined;
  private again = false;
  private lastRollback: number | undefined;
  private stopping = false;

  private constructor(options: SectionIndexerOptions) {
    super();
    const { sectionSize, buildConfirmations } = options.network;
    if (!Number.isSafeInteger(sectionSize) || sectionSize <= 0 || sectionSize % 8 !== 0) {
      throw new IndexerError('INDEXER_BAD_CONFIG', `section size ${sectionSize} must be a positive multiple of 8`, { field: 'sectionSize' });
    }
    if (!Number.isSafeInteger(buildConfirmations) || buildConfirmations < 0) {
      throw new IndexerError('INDEXER_BAD_CONFIG', `buildConfirmations ${buildConfirmations} must be a non-negative integer`, { field: 'buildConfirmations' });
    }
    this.sectionSize = sectionSize;
    this.buildConfirmations = buildConfirmations;
    this.store = new SectionRecords(options.store, options.nodeCacheBytes);
    this.source = options.source;
    this.log = options.log ?? silent;
    this.stream = options.progressStream === null ? undefined : (options.progressStream ?? process.stderr);
    this.threshold = options.progressThreshold ?? 4;
    this.concurrency = options.readConcurrency ?? 256;
  }

  /** Opens the indexers on their store, resuming every section built before. Builds nothing yet. */
  static async open(options: SectionIndexerOptions): Promise<SectionIndexer> {
    const ix = new SectionIndexer(options);
    ix.records = await ix.store.load(ix.sectionSize);
    if (ix.records.length > 0) ix.log.info({ sections: ix.records.length }, 'helper-trie sections resumed');
    return ix;
  }

  // ---- building ----

  /** Sections the chain store's head allows: s is buildable once head ≥ (s+1)·size − 1 + confirmations. */
  buildableSections(): number {
    const head = this.source.headNumber();
    return Math.max(0, Math.floor((head - this.buildConfirmations + 1) / this.sectionSize));
  }

  /** Checks the newest section against the chain, then builds every pending section. Returns how many were built. */
  update(): Promise<number> {
    return this.serial(() => this.run());
  }

  /**
   * `update()` without waiting, for each new head: a call during a run asks for one more run
   * after it (sections that became buildable meanwhile); failures are logged here.
   */
  schedule(): void {
    if (this.pending !== undefined) {
      this.again = true;
      return;
    }
    this.again = false;
    this.pending = this.update();
    void this.pending
      .catch((err: unknown) => this.log.error({ err }, 'helper-trie section build failed; retrying on the next head'))
      .finally(() => {
        this.pending = undefined;
        if (this.again) this.schedule();
      });
  }

  /** Ends building after the section in progress; resolves when nothing runs. Sections are not built after this. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.idle();
  }

  /** Resolves when nothing is queued. */
  async idle(): Promise<void> {
    for (let q = this.queue; ; q = this.queue) {
      await q.catch(() => undefined);
      if (q === this.queue) return;
    }
  }

  /**
   * The chain side's notice that canonical blocks from `fromBlock` on were replaced. If that
   * changes a block of a built section, the sections from there on are dropped and rebuilt.
   * Returns the first section rebuilt, or undefined when no built section was affected.
   */
  canonicalChanged(fromBlock: number): Promise<number | undefined> {
    return this.serial(async () => {
      const before = this.stats.rollbacks;
      this.lastRollback = undefined;
      if (Number.isSafeInteger(fromBlock) && fromBlock >= 0 && fromBlock < this.records.length * this.sectionSize) {
        const ours = this.chtEntry(fromBlock);
        const theirs = await this.source.canonicalEntry(fromBlock);
        if (ours !== undefined && theirs !== undefined && !equalBytes(ours.hash, theirs.hash)) {
          await this.rollback(Math.floor(fromBlock / this.sectionSize), `block ${fromBlock} is now ${hex0x(theirs.hash)}, section built with ${hex0x(ours.hash)}`);
        }
      }
      await this.run();
      return this.stats.rollbacks > before ? this.lastRollback : undefined;
    });
  }

  private serial<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Reorg check, then every buildable section; a chain that moves under a build is retried a few times. */
  private async run(): Promise<number> {
    let built = 0;
    for (let attempt = 1; !this.stopping; attempt++) {
      await this.checkNewest();
      const first = this.records.length;
      const target = this.buildableSections();
      if (target <= first) return built;
      const { count, moved } = await this.buildRange(first, target);
      built += count;
      if (moved === undefined) return built;
      if (attempt >= MAX_ATTEMPTS) {
        throw new IndexerError('INDEXER_CHAIN_UNSTABLE', `the canonical chain changed under section ${moved} in ${attempt} attempts`, { field: `section[${moved}]` });
      }
      this.log.warn({ section: moved, attempt }, 'the canonical chain changed while a section was built; checking and building again');
    }
    return built;
  }

  /** Builds sections first..target−1; stops at the first whose blocks changed meanwhile (`moved`). */
  private async buildRange(first: number, target: number): Promise<{ count: number; moved?: number }> {
    const progress = new SectionProgress(first, target - first, this.log, this.stream, this.threshold, this.sectionSize);
    let count = 0;
    try {
      for (let s = first; s < target && !this.stopping; s++) {
        const t0 = Date.now();
        // A reorg since the last section would make this one extend a stale chain.
        if (s > 0 && (await this.headState(s - 1)) === 'changed') return { count, moved: s - 1 };
        const blocks = await readSectionBlocks(this.source, s, this.sectionSize, this.concurrency);
        this.stats.blocksRead += blocks.length;
        const prev = this.records[s - 1] ?? { chtRoot: EMPTY_TRIE_ROOT, bloomTrieRoot: EMPTY_TRIE_ROOT };
        const section = await buildSection(prev, s, blocks, this.lookup);
        // Reads are not one snapshot: a reorg during them could leave a mix of two chains. Any
        // such block reads differently now (local reads are cheap next to the hashing).
        if (!(await this.unchanged(s, blocks))) return { count, moved: s };
        const rec = await this.store.commit(section);
        this.records.push(rec);
        this.stats.sectionsBuilt++;
        count++;
        progress.section({ index: s, head: hex0x(rec.head), chtRoot: hex0x(rec.chtRoot), bloomTrieRoot: hex0x(rec.bloomTrieRoot), ms: Date.now() - t0 });
        this.emit('section', rec);
      }
      return { count };
    } finally {
      progress.finish();
    }
  }

  private async unchanged(s: number, blocks: readonly SectionBlock[]): Promise<boolean> {
    const again = await readSectionBlocks(this.source, s, this.sectionSize, this.concurrency);
    return again.every((b, j) => equalBytes(b.hash, (blocks[j] as SectionBlock).hash));
  }

  /** Whether the chain store still has section i's head block as canonical. */
  private async headState(i: number): Promise<HeadState> {
    const rec = this.records[i] as SectionRecord;
    const e = await this.source.canonicalEntry((i + 1) * this.sectionSize - 1);
    if (e === undefined) return 'unknown';
    return equalBytes(e.hash, rec.head) ? 'same' : 'changed';
  }

  /**
   * A reorg replaces a suffix of the chain, so if any built block changed, the newest section's
   * head did too; the first section whose head changed is found by bisection. Sections whose head
   * the store does not hold (it is behind, or shorter after a reorg) are left alone until it does.
   */
  private async checkNewest(): Promise<void> {
    let hi = this.records.length - 1;
    let state: HeadState = 'unknown';
    while (hi >= 0 && (state = await this.headState(hi)) === 'unknown') hi--;
    if (hi < 0 || state === 'same') return;
    let lo = 0;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((await this.headState(mid)) === 'same') lo = mid + 1;
      else hi = mid;
    }
    const rec = this.records[lo] as SectionRecord;
    await this.rollback(lo, `the canonical head of section ${lo} is no longer ${hex0x(rec.head)}`);
  }

  private async rollback(from: number, reason: string): Promise<void> {
    const count = this.records.length;
    this.log.error(
      { from, count, reason },
      `CANONICAL CHAIN CHANGED INSIDE BUILT HELPER-TRIE SECTIONS: dropping sections ${from}..${count - 1} and rebuilding them (a reorg deeper than buildConfirmations=${this.buildConfirmations})`,
    );
    await this.store.rollback(from, count);
    this.records = this.records.slice(0, from);
    this.stats.rollbacks++;
    this.lastRollback = Math.min(this.lastRollback ?? from, from);
    this.emit('rollback', { from, count, reason });
  }

  // ---- serving ----

  get sectionCount(): number {
    return this.records.length;
  }

  section(i: number): SectionRecord | undefined {
    return Number.isSafeInteger(i) ? this.records[i] : undefined;
  }

  sectionHead(i: number): Uint8Array {
    return this.built(i).head;
  }

  chtRoot(i: number): Uint8Array {
    return this.built(i).chtRoot;
  }

  bloomTrieRoot(i: number): Uint8Array {
    return this.built(i).bloomTrieRoot;
  }

  /** The newest section as a checkpoint, or undefined before the first is built. */
  latestCheckpoint(): Checkpoint | undefined {
    const r = this.records[this.records.length - 1];
    return r && { sectionIndex: r.index, sectionHead: r.head, chtRoot: r.chtRoot, bloomTrieRoot: r.bloomTrieRoot };
  }

  /**
   * CHT proof of `key` (BE64 block number) under section `sectionIdx`'s root, from `fromLevel` on;
   * an absent key (a block past the section) gets its proof of absence. With `into`, the nodes
   * are also merged into that batch's proof set.
   */
  chtProof(sectionIdx: number, key: Uint8Array, fromLevel = 0, into?: HelperProofSet): Uint8Array[] {
    return this.proof(this.chtRoot(sectionIdx), key, 8, fromLevel, into);
  }

  /** BloomTrie proof of `key` (BE16 bit ‖ BE64 section) under section `sectionIdx`'s root; see chtProof. */
  bloomTrieProof(sectionIdx: number, key: Uint8Array, fromLevel = 0, into?: HelperProofSet): Uint8Array[] {
    return this.proof(this.bloomTrieRoot(sectionIdx), key, 10, fromLevel, into);
  }

  /** Block `n`'s [hash, td] as the CHT of `sectionIdx` (default: the newest) holds it. */
  chtEntry(n: number, sectionIdx = this.records.length - 1): ChtEntry | undefined {
    if (!Number.isSafeInteger(n) || n < 0) return undefined;
    const { value } = trieProof(this.chtRoot(sectionIdx), chtKey(n), this.lookup, Number.MAX_SAFE_INTEGER);
    return value === undefined ? undefined : decodeChtValue(value);
  }

  /** The compressed BloomBits vector of `bit` in `section`; empty when the vector is all zeros. */
  bloomBits(bit: number, section: number): Uint8Array {
    if (!Number.isInteger(bit) || bit < 0 || bit > 2047) throw new IndexerError('INDEXER_BAD_BIT', `bloom bit ${bit} is not 0..2047`, { field: 'bit' });
    this.built(section);
    return this.store.vector(bit, section) ?? new Uint8Array(0);
  }

  private built(i: number): SectionRecord {
    const r = Number.isSafeInteger(i) ? this.records[i] : undefined;
    if (r === undefined) throw new IndexerError('INDEXER_NOT_BUILT', `section ${i} is not built (${this.records.length} built)`, { field: 'sectionIdx' });
    return r;
  }

  private proof(root: Uint8Array, key: Uint8Array, len: number, fromLevel: number, into: HelperProofSet | undefined): Uint8Array[] {
    if (!(key instanceof Uint8Array) || key.length !== len) {
      throw new IndexerError('INDEXER_BAD_KEY', `key must be ${len} bytes, got ${key instanceof Uint8Array ? key.length : typeof key}`, { field: 'key' });
    }
    const { nodes } = trieProof(root, key, this.lookup, fromLevel);
    into?.add(nodes);
    return nodes;
  }
}
