/**
 * Fills the history gap below the recent segment (ChainStore `commitHistory`): headers from the
 * block after the filled history up to the one below the anchor, in JSON-RPC batches (the next
 * batch fetched while one is stored), each hash and parent link checked, one atomic write per
 * batch — the stored `filled` number is the progress marker, so a restart continues after it. It
 * runs beside the follower of the head, which keeps serving the segment meanwhile. Progress and
 * the measured rate go to the fill's bar or log (fill-progress.ts). A failed batch is reported and
 * retried after `retryMs`; `stop()` ends it after the batch in progress.
 */
import { equalBytes, hex0x } from '../../verify/bytes.js';
import { ChainError } from './errors.js';
import type { BlockEvent, ChainLog, HistoryEvent } from './events.js';
import { FillProgress, type FillProgressStream, type FillRate } from './fill-progress.js';
import type { FetchedBlock, NodeBlockSource } from './source.js';
import type { ChainStore } from './store.js';

export interface HistoryFillOptions {
  store: ChainStore;
  source: NodeBlockSource;
  batchSize: number;
  genesisHash?: Uint8Array;
  retryMs: number;
  log: ChainLog;
  progressStream: FillProgressStream | undefined;
  /** A failure of a batch (reported by the follower's rules; fatal ones halt it). */
  report(e: unknown): void;
  halted(): boolean;
  onBlocks(blocks: readonly BlockEvent[]): void;
  onHistory(ev: HistoryEvent): void;
}

export class HistoryFill {
  /** The rate of the last fill (undefined before one ended). */
  lastRate: FillRate | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #wait: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  #progress: FillProgress | undefined;

  constructor(private readonly o: HistoryFillOptions) {}

  get running(): boolean {
    return this.#running !== undefined;
  }

  /** The fill's progress: where it is, its target and rate (undefined when no gap is open). */
  progress(): { filled: number; anchor: number; headersPerSecond: number } | undefined {
    const gap = this.o.store.historyGap();
    if (gap === undefined) return undefined;
    return { ...gap, headersPerSecond: this.#progress?.rate.perSecond ?? 0 };
  }

  /** Starts filling if a gap is open and no fill runs. */
  start(): void {
    if (this.#running !== undefined || this.#stopped || this.o.store.historyGap() === undefined) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
  }

  /** Ends the fill after the batch in progress; resolves once it has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#wait !== undefined) {
      clearTimeout(this.#wait.timer);
      this.#wait.resolve();
    }
    await this.#running;
  }

  /** Resolves when no fill runs (the gap closed, or stopped). */
  async idle(): Promise<void> {
    await this.#running;
  }

  async #loop(): Promise<void> {
    try {
      while (!this.#stopped && !this.o.halted()) {
        const gap = this.o.store.historyGap();
        if (gap === undefined) return;
        this.#progress ??= new FillProgress(gap.filled + 1, gap.anchor - 1, this.o.log, this.o.progressStream);
        try {
          if ((await this.#fill(gap.filled + 1, gap.anchor - 1, this.#progress)) || this.o.store.historyGap() === undefined) continue;
        } catch (e) {
          this.o.report(e);
        }
        if (this.#stopped) return;
        await new Promise<void>((resolve) => {
          this.#wait = { timer: setTimeout(resolve, this.o.retryMs), resolve };
        });
        this.#wait = undefined;
      }
    } finally {
      if (this.#progress !== undefined) this.lastRate = this.#progress.finish();
      this.#progress = undefined;
    }
  }

  /** One pass from..to; true when it should go on at once (the gap closed or the pass moved on), false to retry later. */
  async #fill(from: number, to: number, progress: FillProgress): Promise<boolean> {
    const { source, store, batchSize } = this.o;
    const fetch = (start: number) => {
      const p = source.headersByNumber(start, Math.min(batchSize, to - start + 1));
      p.catch(() => {}); // a prefetch may be dropped; its error is seen when awaited
      return p;
    };
    let next: ReturnType<typeof fetch> | undefined = fetch(from);
    for (let start = from; next !== undefined && !this.#stopped; ) {
      const count = Math.min(batchSize, to - start + 1);
      const batch = await next;
      next = start + count <= to ? fetch(start + count) : undefined;
      const blocks = batch.blocks;
      const first = blocks[0];
      if (first !== undefined && first.number === 0 && this.o.genesisHash !== undefined && !equalBytes(first.hash, this.o.genesisHash)) {
        throw new ChainError('CHAIN_GENESIS_MISMATCH', `the node's block 0 is ${hex0x(first.hash)}, the network's genesis is ${hex0x(this.o.genesisHash)}`, { field: 'genesisHash', number: 0 });
      }
      let linked = blocks.length;
      for (let i = 1; i < blocks.length; i++) {
        if (!equalBytes((blocks[i] as FetchedBlock).header.parentHash, (blocks[i - 1] as FetchedBlock).hash)) {
          linked = i;
          break;
        }
      }
      if (linked > 0) {
        const kept = blocks.slice(0, linked);
        const { result, tds } = await store.commitHistory(kept);
        progress.add(linked);
        this.o.onBlocks(kept.map((b, i) => ({ hash: b.hash, number: b.number, td: tds[i] as bigint, header: b.header, head: b.head })));
        const gap = store.historyGap();
        const last = kept[kept.length - 1] as FetchedBlock;
        this.o.onHistory({ filled: last.number, anchor: gap?.anchor ?? last.number + 1, result });
        if (result === 'joined') this.o.log.info({ filled: last.number }, 'chain: history filled from genesis to the recent segment; every header is served');
        if (result === 'dropped') this.o.log.warn({ filled: last.number }, "chain: the node's chain no longer descends to the recent segment; it was dropped and is followed again from the history");
        if (result !== 'open') return false;
      }
      if (batch.failure !== undefined) throw batch.failure;
      if (linked < count) return linked > 0;
      start += count;
    }
    return false;
  }
}
