/**
 * Keeps the ChainStore in step with an execution node (`--rpc URL`).
 *
 * - Wake-ups: a poll every `pollIntervalMs` (default 1 s); with a ws:// URL also each
 *   `eth_subscribe("newHeads")` notification, and while that subscription is up the poll slows to
 *   `subscribedPollMs` (a safety net; 0 = off). A dropped subscription reconnects; polling covers
 *   the gap. Wake-ups coalesce: one tick at a time, at most one queued behind it.
 * - History: blocks more than `eagerBlocks` behind the node's head are filled header-only in
 *   JSON-RPC batches (`fillBatchSize`, default 500), each hash and parent link checked, one atomic
 *   batch per JSON-RPC batch — the stored head is the progress marker, so a restart continues
 *   after it. Their bodies and receipts are fetched when first asked for (the store's fetcher).
 *   The fill's progress and measured rate (headers/s) go to a bar on a terminal or the log
 *   (fill-progress.ts); while it runs the target follows the node's head, so it ends at the head.
 * - Serving early: a store more than `historyGapMin` headers behind the node first takes a recent
 *   segment (an anchor `recentBlocks` below the node's head, with the node's totalDifficulty, and
 *   the blocks above it), then fills the history below it in the background (history-fill.ts)
 *   while following the head, so the server can serve the head from the start. A node that
 *   reports no totalDifficulty gives no TD for the anchor: the history is then filled first.
 * - New blocks: fetched with transactions and receipts, checked against the header (block-json.ts)
 *   before anything is stored. A block that fails is not stored; it is reported ('rejected' event
 *   and an error log) and tried again on the next wake-up.
 * - Reorgs: a block whose parent is not our canonical block walks back by hash to the common
 *   ancestor; the new branch replaces the canonical index (and tx lookups) above it in one batch,
 *   and the 'head' event carries reorgDepth = blocks rolled back from our previous head. The node
 *   decides what is canonical: post-merge TD is constant, heads compare by (TD, number), and a
 *   node that returns to a shorter chain is followed there too.
 * - `stop()` ends polling and the subscription, waits for the block in progress; every write is
 *   one atomic batch, so the store is consistent whenever it stops.
 */
import { EventEmitter } from 'node:events';
import type { NodeRpcClient } from '../rpc/client.js';
import { NodeRpcError } from '../rpc/errors.js';
import { equalBytes, hex0x } from '../../verify/bytes.js';
import { type CheckedHeader, badBlock, checkedHeader } from './block-json.js';
import { ChainError } from './errors.js';
import type { ChainFollowerEvents, ChainLog, HeadEvent, RejectedEvent } from './events.js';
import { FillProgress, type FillProgressStream, type FillRate } from './fill-progress.js';
import { HistoryFill } from './history-fill.js';
import { type FetchedBlock, NodeBlockSource, type ReceiptsMethod } from './source.js';
import type { ChainStore } from './store.js';
import { NewHeadsSubscription } from './subscription.js';

export type { BlockEvent, ChainFollowerEvents, ChainLog, HeadEvent, HistoryEvent, RejectedEvent } from './events.js';

export interface ChainFollowerOptions {
  store: ChainStore;
  rpc: NodeRpcClient;
  /** ws:// or wss:// URL for newHeads notifications. */
  wsUrl?: string;
  pollIntervalMs?: number;
  subscribedPollMs?: number;
  fillBatchSize?: number;
  /** Blocks this close to the node's head are fetched with bodies and receipts. Default 32. */
  eagerBlocks?: number;
  /** Blocks of the recent segment taken before the history is filled (0: fill the history first). Default 0. */
  recentBlocks?: number;
  /** Missing headers beyond which the recent segment is taken first. Default 2000. */
  historyGapMin?: number;
  /** Longest branch a reorg may replace. Default 10 000. */
  maxReorgDepth?: number;
  /** The network's genesis hash, when configured: block 0 must be it. */
  genesisHash?: Uint8Array;
  /**
   * The network's total difficulty at the merge (every later block has it): the recent segment's
   * TD when the node no longer reports totalDifficulty (go-ethereum dropped it) and the anchor is
   * a proof-of-stake block. The sum over the filled history must come to it when the gap closes.
   */
  finalTotalDifficulty?: bigint;
  rawTxFallback?: boolean;
  /** How the node gives receipts (probed at start). Default 'block'. */
  receipts?: ReceiptsMethod;
  /** Where the header fill's progress bar goes (a TTY only). Default process.stderr; null for none. */
  progressStream?: FillProgressStream | null;
  log?: ChainLog;
}

const silent: ChainLog = { info() {}, warn() {}, error() {} };
const FATAL = new Set(['CHAIN_NO_ANCESTOR', 'CHAIN_GENESIS_MISMATCH', 'CHAIN_REORG_TOO_DEEP']);

export class ChainFollower extends EventEmitter<ChainFollowerEvents> {
  readonly source: NodeBlockSource;
  readonly store: ChainStore;
  /** Per process. `polls` counts timer wake-ups, `notifications` newHeads wake-ups. */
  readonly stats = { polls: 0, notifications: 0, ticks: 0, filled: 0, eager: 0, reorgs: 0, rejected: 0 };
  /** The rate of the last header fill (undefined before one). */
  lastFill: FillRate | undefined;
  private readonly log: ChainLog;
  private readonly progressStream: FillProgressStream | undefined;
  private fillProgress: FillProgress | undefined;
  private readonly pollIntervalMs: number;
  private readonly subscribedPollMs: number;
  private readonly fillBatchSize: number;
  private readonly eagerBlocks: number;
  private readonly maxReorgDepth: number;
  private readonly recentBlocks: number;
  private readonly historyGapMin: number;
  /** false once the node was seen to report no totalDifficulty. */
  private nodeTd = true;
  /** The history below the recent segment, filled beside the head. */
  readonly history: HistoryFill;
  private readonly genesisHash: Uint8Array | undefined;
  private readonly finalTd: bigint | undefined;
  private subscription: NewHeadsSubscription | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private hint: CheckedHeader | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private haltedBy: ChainError | undefined;
  private genesisChecked = false;
  /** The block last reported as naming a parent the node does not have. */
  private unlinkedAt: string | undefined;

  constructor(options: ChainFollowerOptions) {
    super();
    this.store = options.store;
    this.source = new NodeBlockSource(options.rpc, { rawTxFallback: options.rawTxFallback, receipts: options.receipts });
    this.log = options.log ?? silent;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.subscribedPollMs = options.subscribedPollMs ?? 30_000;
    this.fillBatchSize = Math.max(1, options.fillBatchSize ?? 500);
    this.eagerBlocks = Math.max(1, options.eagerBlocks ?? 32);
    this.maxReorgDepth = options.maxReorgDepth ?? 10_000;
    this.recentBlocks = Math.max(0, options.recentBlocks ?? 0);
    this.historyGapMin = Math.max(this.recentBlocks, options.historyGapMin ?? 2000);
    this.genesisHash = options.genesisHash;
    this.finalTd = options.finalTotalDifficulty;
    this.progressStream = options.progressStream === null ? undefined : (options.progressStream ?? process.stderr);
    if (options.wsUrl !== undefined) this.subscription = this.newHeads(options.wsUrl);
    this.history = new HistoryFill({
      store: this.store,
      source: this.source,
      batchSize: this.fillBatchSize,
      genesisHash: this.genesisHash,
      retryMs: this.pollIntervalMs,
      log: this.log,
      progressStream: this.progressStream,
      report: (e) => this.report(e),
      halted: () => this.haltedBy !== undefined || this.stopped,
      onBlocks: (blocks) => {
        if (this.listenerCount('block') > 0) for (const b of blocks) this.emitSafe('block', b);
      },
      onHistory: (ev) => this.emitSafe('history', ev),
    });
    this.store.setFetcher({
      fetchBody: (h) => this.reported(() => this.source.fetchBody(h)),
      fetchReceipts: (h) => this.reported(() => this.source.fetchReceipts(h)),
    });
  }

  get halted(): ChainError | undefined {
    return this.haltedBy;
  }

  get subscribed(): boolean {
    return this.subscription?.subscribed ?? false;
  }

  /** Starts following: a first tick now, then polls (and the subscription, with a ws URL). */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.subscription?.start();
    this.history.start();
    void this.wake();
  }

  /** Runs (or joins) a tick: brings the store to the node's head; resolves when idle. */
  async syncOnce(): Promise<void> {
    await this.wake();
  }

  /** The WebSocket URL of the newHeads subscription, if there is one. */
  get newHeadsUrl(): string | undefined {
    return this.subscription?.url;
  }

  /**
   * Moves the newHeads subscription to `wsUrl`, or ends it (`undefined`: polling alone) — the
   * operator's `rpc_url` replaces the node, and wake-ups must come from the new one.
   */
  async setNewHeadsUrl(wsUrl: string | undefined): Promise<void> {
    if (wsUrl === this.subscription?.url) return;
    const old = this.subscription;
    this.subscription = wsUrl === undefined ? undefined : this.newHeads(wsUrl);
    await old?.close();
    if (!this.started || this.stopped) return;
    this.subscription?.start();
    // The poll was slowed while the old subscription was up.
    if (this.running === undefined) this.schedulePoll();
  }

  private newHeads(url: string): NewHeadsSubscription {
    return new NewHeadsSubscription({
      url,
      onHead: (json) => this.onNotification(json),
      onState: (up, reason) => this.onSubscriptionState(up, reason),
    });
  }

  /** Ends polling and the subscription, waits for the block in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.subscription?.close();
    await this.history.stop();
    await this.running;
  }

  private wake(hint?: CheckedHeader): Promise<void> {
    if (hint !== undefined && (this.hint === undefined || hint.number >= this.hint.number)) this.hint = hint;
    if (this.stopped || this.haltedBy !== undefined) return Promise.resolve();
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      this.schedulePoll();
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      const hint = this.hint;
      this.hint = undefined;
      this.stats.ticks++;
      try {
        await this.tick(hint);
      } catch (e) {
        this.report(e);
      }
    } while (this.again && !this.stopped && this.haltedBy === undefined);
  }

  private schedulePoll(): void {
    if (!this.started || this.stopped || this.haltedBy !== undefined) return;
    const ms = this.subscribed ? this.subscribedPollMs : this.pollIntervalMs;
    if (ms <= 0) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.stats.polls++;
      void this.wake();
    }, ms);
  }

  private onNotification(json: unknown): void {
    this.stats.notifications++;
    let hint: CheckedHeader | undefined;
    try {
      hint = checkedHeader(json);
    } catch (e) {
      // A malformed notification is only a wake-up: the tick asks the node itself.
      this.log.warn({ err: (e as Error).message }, 'chain: malformed newHeads notification');
    }
    void this.wake(hint);
  }

  private onSubscriptionState(up: boolean, reason?: string): void {
    if (up) this.log.info({}, 'chain: newHeads subscription up');
    else this.log.warn({ reason }, 'chain: newHeads subscription down; polling');
    this.emitSafe('subscription', { up, reason });
    if (up) void this.wake();
    else if (this.running === undefined) this.schedulePoll();
  }

  private async tick(hint: CheckedHeader | undefined): Promise<void> {
    try {
      await this.catchUp(hint);
    } finally {
      if (this.fillProgress !== undefined) this.lastFill = this.fillProgress.finish();
      this.fillProgress = undefined;
    }
  }

  private async catchUp(hint: CheckedHeader | undefined): Promise<void> {
    await this.checkConfiguredGenesis();
    const known = this.store.head();
    // A notification at or below our head is stale or a reorg: ask the node what is canonical.
    let target = hint !== undefined && (known === undefined || hint.number > known.number) ? hint : await this.source.latest();
    if (target === undefined) return;
    for (let round = 0; !this.stopped; round++) {
      const head = this.store.head();
      if (head !== undefined && equalBytes(head.hash, target.hash)) return;
      if (round > 0 && head !== undefined && head.number >= target.number) {
        // The branch we followed may have moved under us (e.g. a reorg during the fill).
        const fresh = await this.source.latest();
        if (fresh === undefined || equalBytes(fresh.hash, head.hash)) return;
        target = fresh;
      }
      if (this.recentBlocks > 0 && this.nodeTd && this.store.historyGap() === undefined && target.number - (head?.number ?? -1) > this.historyGapMin) {
        // Genesis first (the Status names it), then the segment at the head.
        const opened = head === undefined ? await this.fill(0, 0) : await this.openSegment(target.number - this.recentBlocks + 1);
        if (opened) continue;
      }
      let more: boolean;
      if (head === undefined) more = await this.fill(0, Math.max(0, target.number - this.eagerBlocks));
      else if (target.number <= head.number) more = await this.reorgTo(target);
      else if (target.number - head.number > this.eagerBlocks) more = await this.fill(head.number + 1, target.number - this.eagerBlocks);
      else more = await this.followEager(target.number);
      if (!more) return;
    }
  }

  /** Header-only batches from..to; false when it could not go on (failure reported). */
  private async fill(from: number, to: number): Promise<boolean> {
    if (this.fillProgress === undefined) this.fillProgress = new FillProgress(from, to, this.log, this.progressStream);
    else this.fillProgress.extend(to);
    const fetch = (start: number) => {
      const p = this.source.headersByNumber(start, Math.min(this.fillBatchSize, to - start + 1));
      p.catch(() => {}); // a prefetch may be dropped; its error is seen when awaited
      return p;
    };
    let next: ReturnType<typeof fetch> | undefined = fetch(from);
    for (let start = from; next !== undefined && !this.stopped; ) {
      const count = Math.min(this.fillBatchSize, to - start + 1);
      const batch = await next;
      next = start + count <= to ? fetch(start + count) : undefined;
      const blocks = batch.blocks;
      const first = blocks[0];
      const head = this.store.head();
      if (first !== undefined && head !== undefined && !equalBytes(first.header.parentHash, head.hash)) return this.reorgTo(first);
      if (first !== undefined && head === undefined && this.genesisHash !== undefined && !equalBytes(first.hash, this.genesisHash)) {
        throw new ChainError('CHAIN_GENESIS_MISMATCH', `the node's block 0 is ${hex0x(first.hash)}, the network's genesis is ${hex0x(this.genesisHash)}`, { field: 'genesisHash', number: 0 });
      }
      // A link broken inside the batch: the node reorganised while answering; keep the prefix.
      let linked = blocks.length;
      for (let i = 1; i < blocks.length; i++) {
        if (!equalBytes((blocks[i] as FetchedBlock).header.parentHash, (blocks[i - 1] as FetchedBlock).hash)) {
          linked = i;
          break;
        }
      }
      if (linked > 0) {
        await this.commit(blocks.slice(0, linked), undefined, true);
        this.stats.filled += linked;
        this.fillProgress?.add(linked);
      }
      if (batch.failure !== undefined) {
        this.report(batch.failure);
        return false;
      }
      if (linked < count) return linked > 0; // short answer: the chain moved; re-evaluate
      start += count;
    }
    return !this.stopped;
  }

  /** Takes block `n` as the anchor of a recent segment; false where it cannot (no such block, no TD from the node). */
  private async openSegment(n: number): Promise<boolean> {
    const b = await this.source.fullBlock(n);
    if (b === undefined) return false;
    let td = await this.source.totalDifficulty(b.hash);
    if (td === undefined && this.finalTd !== undefined && b.head.difficulty === 0n) {
      td = this.finalTd;
      this.log.info({ anchor: n, td: td.toString() }, "chain: the node reports no totalDifficulty; the recent chain takes the network's TD at the merge");
    }
    if (td === undefined) {
      this.nodeTd = false;
      this.log.warn({ anchor: n }, 'chain: the node reports no totalDifficulty, so the recent chain cannot be served before the history is filled');
      return false;
    }
    const filled = this.store.headNumber();
    const r = await this.store.commitAnchor(b, td);
    this.emitSafe('block', { hash: b.hash, number: b.number, td, header: b.header, head: b.head });
    this.emitSafe('head', { ...r.head, reorgDepth: 0, catchingUp: true });
    this.log.info({ anchor: n, filled }, `chain: serving the recent chain from block ${n} while headers ${filled + 1}..${n - 1} are filled behind it`);
    if (this.started) this.history.start();
    return true;
  }

  /** Full blocks up to `to`, one at a time; false when it could not go on. */
  private async followEager(to: number): Promise<boolean> {
    for (;;) {
      const head = this.store.head();
      if (head === undefined || head.number >= to || this.stopped) return !this.stopped;
      const b = await this.source.fullBlock(head.number + 1);
      if (b === undefined) return false;
      if (!equalBytes(b.header.parentHash, head.hash)) return this.reorgTo(b);
      await this.commit([b], undefined, false);
      this.stats.eager++;
    }
  }

  /** Walks back from `tip` to a block of our canonical chain and makes the branch canonical. */
  private async reorgTo(tip: CheckedHeader | FetchedBlock): Promise<boolean> {
    const canonical = await this.store.canonicalHash(tip.number);
    let ancestor = tip.number;
    const branch: FetchedBlock[] = [];
    if (canonical === undefined || !equalBytes(canonical, tip.hash)) {
      const first = 'txHashes' in tip ? tip : await this.source.headerByHash(tip.hash);
      if (first === undefined) return false;
      branch.push(first);
      for (;;) {
        const c = branch[branch.length - 1] as FetchedBlock;
        if (c.number === 0) throw new ChainError('CHAIN_NO_ANCESTOR', `the node's chain shares no block with ours (its genesis is ${hex0x(c.hash)})`, { field: 'genesis', number: 0 });
        const gap = this.store.historyGap();
        if (gap !== undefined && c.number - 1 < gap.anchor) {
          throw new ChainError('CHAIN_UNLINKED', `the node's chain leaves ours below the recent segment (from ${gap.anchor}), where history is not filled yet`, { field: 'parentHash', number: c.number });
        }
        const ours = await this.store.canonicalHash(c.number - 1);
        if (ours !== undefined && equalBytes(ours, c.header.parentHash)) break;
        if (branch.length >= this.maxReorgDepth) throw new ChainError('CHAIN_REORG_TOO_DEEP', `no common ancestor within ${this.maxReorgDepth} blocks of ${tip.number}`, { field: 'maxReorgDepth', number: tip.number });
        const parent = await this.source.headerByHash(c.header.parentHash);
        if (parent === undefined) {
          // Not a reorg the node can show us: its chain does not link here (Hardhat's
          // hardhat_mine of many blocks leaves them with parentHash zero). Said once per block.
          const where = hex0x(c.hash);
          if (this.unlinkedAt !== where) {
            this.unlinkedAt = where;
            this.log.warn({ number: c.number, hash: where, parentHash: hex0x(c.header.parentHash) }, "chain: the node's block names a parent the node does not have; not followed past it");
          }
          return false;
        }
        if (parent.number !== c.number - 1) throw badBlock(parent, 'number', `parent of block ${c.number} has number ${parent.number}`);
        branch.push(parent);
      }
      branch.reverse();
      ancestor = (branch[0] as FetchedBlock).number - 1;
    }
    for (let i = Math.max(0, branch.length - this.eagerBlocks); i < branch.length; i++) {
      if ((branch[i] as FetchedBlock).body !== undefined) continue;
      const full = await this.source.fullBlock((branch[i] as FetchedBlock).hash);
      if (full === undefined) return false;
      branch[i] = full;
    }
    const from = this.store.head();
    const r = await this.commit(branch, ancestor, false);
    this.stats.reorgs++;
    this.log.warn(
      { from: from?.number, ancestor, to: r.number, reorgDepth: r.reorgDepth, added: branch.length },
      'chain: reorg, canonical chain replaced above the common ancestor',
    );
    return true;
  }

  private async commit(blocks: FetchedBlock[], ancestor: number | undefined, catchingUp: boolean): Promise<HeadEvent> {
    const r = await this.store.commit(blocks, { ancestor });
    if (this.listenerCount('block') > 0) {
      blocks.forEach((b, i) => this.emitSafe('block', { hash: b.hash, number: b.number, td: r.tds[i] as bigint, header: b.header, head: b.head }));
    }
    const ev: HeadEvent = { ...r.head, reorgDepth: r.reorgDepth, catchingUp };
    this.emitSafe('head', ev);
    return ev;
  }

  /** Once per process: a store filled from another network's genesis must not be followed on. */
  private async checkConfiguredGenesis(): Promise<void> {
    if (this.genesisChecked || this.genesisHash === undefined) return;
    const h = await this.store.canonicalHash(0);
    this.genesisChecked = true;
    if (h !== undefined && !equalBytes(h, this.genesisHash)) {
      throw new ChainError('CHAIN_GENESIS_MISMATCH', `the store's genesis ${hex0x(h)} is not the network's ${hex0x(this.genesisHash)}`, { field: 'genesisHash', number: 0 });
    }
  }

  /** Lazy fetches for the store: failures of checks are reported here, then rethrown to the caller. */
  private async reported<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof ChainError) this.report(e);
      throw e;
    }
  }

  private report(e: unknown): void {
    if (e instanceof ChainError && FATAL.has(e.code)) {
      this.haltedBy = e;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.log.error({ code: e.code, err: e.message }, 'chain: following halted');
      this.emitSafe('halted', e);
    } else if (e instanceof ChainError) {
      this.stats.rejected++;
      const ev: RejectedEvent = { number: e.number, hash: e.hash, code: e.code, field: e.field, message: e.message };
      this.log.error(ev, 'chain: block from the node REJECTED (not stored); will retry');
      this.emitSafe('rejected', ev);
    } else {
      const err = e instanceof Error ? e : new Error(String(e));
      if (e instanceof NodeRpcError) this.log.warn({ code: e.code, err: e.message }, 'chain: node call failed; will retry');
      else this.log.error({ err: err.message }, 'chain: sync failed; will retry');
      this.emitSafe('syncError', err);
    }
  }

  private emitSafe<K extends keyof ChainFollowerEvents>(event: K, ...args: ChainFollowerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ChainFollowerEvents[K]) => boolean)(event, ...args);
    } catch (e) {
      this.log.error({ event, err: (e as Error).message }, 'chain: an event listener threw');
    }
  }
}
