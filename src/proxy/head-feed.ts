/**
 * The source of WebSocket subscriptions, shared by every connection: new heads from the backend's
 * `newHead` event, and the logs of each new block fetched once through the backend's verified
 * eth_getLogs {blockHash} and matched against every `logs` subscription.
 *
 * Logs follow the chain: blocks skipped between two heads are filled in (up to `maxGap`), and on a
 * reorg the logs delivered for blocks that left the chain are delivered again with removed: true
 * (newest first), before the new chain's logs. Heads are processed one at a time; heads that
 * arrive meanwhile are coalesced into the newest (the gap fill covers the rest). Nothing is
 * fetched while no `logs` subscription exists.
 */
import type { Logger } from 'pino';
import type { HeadJson, ProxyBackend } from './backend.js';
import { type LogFilter, type LogJson, isLogJson, matchesFilter } from './log-filter.js';

export interface LogSink {
  filter: LogFilter;
  /** Blocks at or below this number came before the subscription: no logs, no removals. */
  after: number;
  deliver(log: LogJson): void;
}

export type HeadSink = (head: HeadJson) => void;

interface BlockRecord {
  number: number;
  hash: string;
  parentHash: string;
  /** The block's logs, once fetched (undefined: not fetched, nothing delivered). */
  logs?: LogJson[];
}

export interface HeadFeedOptions {
  /** Blocks remembered for reorgs (default 64). */
  window?: number;
  /** Most blocks filled in between two heads, and how far back a reorg is followed (default 16). */
  maxGap?: number;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x[0-9a-fA-F]{1,13}$/;

function recordOf(v: unknown): BlockRecord | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const h = v as Record<string, unknown>;
  if (typeof h.hash !== 'string' || !HASH.test(h.hash) || typeof h.parentHash !== 'string' || !HASH.test(h.parentHash)) return undefined;
  if (typeof h.number !== 'string' || !QUANTITY.test(h.number)) return undefined;
  const number = Number.parseInt(h.number.slice(2), 16);
  if (!Number.isSafeInteger(number)) return undefined;
  return { number, hash: h.hash.toLowerCase(), parentHash: h.parentHash.toLowerCase() };
}

export class HeadFeed {
  readonly #backend: ProxyBackend;
  readonly #log: Logger;
  readonly #window: number;
  readonly #maxGap: number;
  readonly #headSinks = new Set<HeadSink>();
  readonly #logSinks = new Set<LogSink>();
  #chain: BlockRecord[] = [];
  #pending: BlockRecord | undefined;
  #running: Promise<void> | undefined;
  #seen: number | undefined;
  #closed = false;
  readonly #onHead = (head: HeadJson) => this.#receive(head);

  constructor(backend: ProxyBackend, log: Logger, options: HeadFeedOptions = {}) {
    this.#backend = backend;
    this.#log = log;
    this.#window = options.window ?? 64;
    this.#maxGap = options.maxGap ?? 16;
    backend.on('newHead', this.#onHead);
  }

  close(): void {
    this.#closed = true;
    this.#backend.off('newHead', this.#onHead);
    this.#headSinks.clear();
    this.#logSinks.clear();
    this.#pending = undefined;
  }

  /** The newest head number seen (a new logs subscription starts after it). */
  latestNumber(): number {
    return this.#seen ?? this.#backend.status().head?.number ?? -1;
  }

  addHeadSink(sink: HeadSink): () => void {
    this.#headSinks.add(sink);
    return () => this.#headSinks.delete(sink);
  }

  addLogSink(sink: LogSink): () => void {
    this.#logSinks.add(sink);
    return () => this.#logSinks.delete(sink);
  }

  /** Resolves once every head received so far has been processed (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  #receive(head: HeadJson): void {
    if (this.#closed) return;
    const rec = recordOf(head);
    if (rec === undefined) {
      this.#log.warn({ head: typeof head }, 'newHead event without a valid hash, parentHash and number: ignored');
      return;
    }
    this.#seen = rec.number;
    for (const sink of this.#headSinks) {
      try {
        sink(head);
      } catch (err) {
        this.#log.warn({ err }, 'newHeads subscriber failed');
      }
    }
    if (this.#logSinks.size === 0 && this.#running === undefined) {
      this.#track(rec);
      return;
    }
    this.#pending = rec;
    this.#running ??= this.#drain();
  }

  /** Follows the chain without fetching anything (no logs subscription). */
  #track(rec: BlockRecord): void {
    const last = this.#chain.at(-1);
    const known = this.#chain.findIndex((b) => b.hash === rec.hash);
    if (known >= 0) this.#chain.splice(known + 1);
    else if (last !== undefined && rec.parentHash === last.hash) this.#chain.push(rec);
    else this.#chain = [rec];
    if (this.#chain.length > this.#window) this.#chain.splice(0, this.#chain.length - this.#window);
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined && !this.#closed) {
        const rec = this.#pending;
        this.#pending = undefined;
        try {
          await this.#advance(rec);
        } catch (err) {
          this.#log.warn({ err, block: rec.number }, 'could not follow the new head for logs subscriptions');
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #advance(head: BlockRecord): Promise<void> {
    const last = this.#chain.at(-1);
    if (last?.hash === head.hash) return;
    let segment = [head];
    /** Index in #chain from which blocks left the chain; undefined = unknown (start afresh). */
    let dropFrom: number | undefined;
    const known = this.#chain.findIndex((b) => b.hash === head.hash);
    if (known >= 0) {
      // Back to a block we have (the chain was rolled back): the blocks after it left the chain.
      segment = [];
      dropFrom = known + 1;
    } else if (last !== undefined && head.parentHash === last.hash) dropFrom = this.#chain.length;
    else if (last !== undefined && head.number <= last.number + this.#maxGap) {
      ({ segment, dropFrom } = await this.#walkBack(head));
    }
    if (this.#closed) return;
    if (dropFrom === undefined) {
      this.#chain = [...segment];
    } else {
      const dropped = this.#chain.splice(dropFrom);
      this.#deliverRemoved(dropped);
      this.#chain.push(...segment);
    }
    if (this.#chain.length > this.#window) this.#chain.splice(0, this.#chain.length - this.#window);
    for (const block of segment) {
      if (this.#logSinks.size === 0 || this.#closed) return;
      block.logs ??= await this.#fetchLogs(block);
      this.#deliver(block, false);
    }
  }

  /** The new chain from the head back to a block we have (its index + 1 is where ours diverged). */
  async #walkBack(head: BlockRecord): Promise<{ segment: BlockRecord[]; dropFrom: number | undefined }> {
    const index = new Map(this.#chain.map((b, i) => [b.hash, i]));
    const first = this.#chain[0] as BlockRecord;
    const segment = [head];
    let cursor = head;
    for (;;) {
      const at = index.get(cursor.parentHash);
      if (at !== undefined) return { segment, dropFrom: at + 1 };
      // Below every block we have: all of ours left the chain.
      if (cursor.number <= first.number) return { segment, dropFrom: 0 };
      if (segment.length > this.#maxGap + this.#window) return { segment: [head], dropFrom: undefined };
      let parent: BlockRecord | undefined;
      try {
        parent = recordOf(await this.#backend.request('eth_getBlockByHash', [cursor.parentHash, false]));
      } catch (err) {
        this.#log.warn({ err, hash: cursor.parentHash }, 'could not fetch a parent block for logs subscriptions');
      }
      if (parent === undefined || parent.hash !== cursor.parentHash) return { segment: [head], dropFrom: undefined };
      segment.unshift(parent);
      cursor = parent;
    }
  }

  async #fetchLogs(block: BlockRecord): Promise<LogJson[]> {
    try {
      const logs = await this.#backend.request('eth_getLogs', [{ blockHash: block.hash }]);
      if (!Array.isArray(logs)) throw new TypeError('eth_getLogs did not return a list');
      return logs.filter(isLogJson);
    } catch (err) {
      this.#log.warn({ err, block: block.number, hash: block.hash }, 'could not fetch the logs of a new block; its logs are not delivered');
      return [];
    }
  }

  #deliver(block: BlockRecord, removed: boolean): void {
    const logs = removed ? [...(block.logs ?? [])].reverse() : (block.logs ?? []);
    for (const sink of this.#logSinks) {
      if (block.number <= sink.after) continue;
      for (const log of logs) {
        if (!matchesFilter(sink.filter, log)) continue;
        try {
          sink.deliver({ ...log, removed });
        } catch (err) {
          this.#log.warn({ err }, 'logs subscriber failed');
        }
      }
    }
  }

  #deliverRemoved(dropped: readonly BlockRecord[]): void {
    for (const block of [...dropped].reverse()) if (block.logs !== undefined) this.#deliver(block, true);
  }
}
