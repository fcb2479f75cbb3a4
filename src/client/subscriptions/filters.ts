/**
 * Polled filters (eth_newFilter, eth_newBlockFilter, eth_newPendingTransactionFilter,
 * eth_getFilterChanges, eth_uninstallFilter) with go-ethereum's semantics, as subscriptions of the
 * one subscription engine taken in poll mode: a log filter reports each log of the canonical chain
 * exactly once, and again with removed: true when a reorg takes its block away; a block filter
 * reports each new canonical block's hash.
 *
 * - Changes are what arrived since the last poll; polling resets the filter's deadline. A filter
 *   not polled for `timeoutMs` (geth's filterTimeout, 5 minutes) is uninstalled.
 * - Ids are formatted as geth's rpc.NewID: 16 random bytes as 0x-hex without leading zeros.
 * - At most `maxFilters` live filters, shared by every caller of this engine: HTTP callers of a
 *   loopback proxy all come from one address on connections they open at will, so there is no
 *   caller identity to count by. With expiry this bounds what filters nobody polls can hold (each
 *   at most the engine's `maxQueue` items) and keep the engine fetching.
 * - A log filter with numeric fromBlock/toBlock reports only logs of blocks in that range, as
 *   geth's does; tags leave that side open.
 * - When the engine ends a filter's stream rather than skip (a gap or reorg beyond its bounds, an
 *   unread queue that filled), the next poll after the items already delivered gets that error and
 *   the filter is gone.
 */
import { randomBytes } from 'node:crypto';
import { ConfigError } from '../../config/network.js';
import { LespError } from '../../errors.js';
import type { LogFilter } from '../methods/log-filter.js';
import type { SubscriptionEngine } from './engine.js';
import type { HeadJson, LogJson, Subscription } from './subscription.js';

export type FilterKind = 'logs' | 'blocks' | 'pendingTransactions';

export type FilterErrorCode = 'FILTER_NOT_FOUND' | 'FILTER_LIMIT';

export class FilterError extends LespError {
  declare readonly code: FilterErrorCode;

  constructor(code: FilterErrorCode, message: string, options: { field?: string } = {}) {
    super(code, message, options);
  }
}

export interface FilterRegistryOptions {
  /** A filter not polled for this long is removed (default 300,000 ms, geth's). */
  timeoutMs?: number;
  /**
   * Most live filters (default 256). Each holds at most the engine's `maxQueue` unread items
   * (10,000), so filters never polled hold at most 256 × 10,000 logs until they expire.
   */
  maxFilters?: number;
  /** The clock (tests). */
  now?: () => number;
}

/** Where pending-transaction filters read: a numbered log of what this client sent. */
export interface SentLog<T> {
  readonly sent: number;
  sentSince(since: number): T[];
}

interface Filter {
  kind: FilterKind;
  deadline: number;
  /** Logs and blocks filters. */
  sub?: Subscription;
  /** Logs filters: the filter as asked (eth_getFilterLogs runs it), with its numeric bounds. */
  logFilter?: LogFilter;
  from?: number;
  to?: number;
  /** Pending-transaction filters: the sent-log cursor. */
  cursor?: number;
  fullTx?: boolean;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;

/** geth's rpc.NewID: 16 random bytes, hex, leading zeros trimmed ("0x0" if all are zero). */
function newId(): string {
  const hex = randomBytes(16).toString('hex').replace(/^0+/, '');
  return `0x${hex === '' ? '0' : hex}`;
}

function blockNumberOfLog(log: LogJson): number | undefined {
  const n = log.blockNumber;
  return typeof n === 'string' && /^0x[0-9a-fA-F]{1,13}$/.test(n) ? Number.parseInt(n.slice(2), 16) : undefined;
}

export class FilterRegistry<Tx = unknown> {
  readonly #engine: SubscriptionEngine;
  readonly #sentLog: SentLog<Tx>;
  readonly #timeoutMs: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #filters = new Map<string, Filter>();
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(engine: SubscriptionEngine, sentLog: SentLog<Tx>, options: FilterRegistryOptions = {}) {
    this.#engine = engine;
    this.#sentLog = sentLog;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#max = options.maxFilters ?? 256;
    this.#now = options.now ?? Date.now;
    if (!Number.isSafeInteger(this.#timeoutMs) || this.#timeoutMs < 1) throw new ConfigError('methods.filterTimeoutMs', 'expected a positive number of ms');
    if (!Number.isSafeInteger(this.#max) || this.#max < 1) throw new ConfigError('methods.maxFilters', 'expected a positive integer');
  }

  get size(): number {
    return this.#filters.size;
  }

  /** A log filter; `from`/`to` are its numeric bounds (undefined = open). */
  async newLogFilter(filter: LogFilter, bounds: { from?: number; to?: number }): Promise<string> {
    return this.#install(() => ({ kind: 'logs', deadline: 0, sub: this.#engine.subscribeLogs(filter), logFilter: filter, ...bounds }));
  }

  async newBlockFilter(): Promise<string> {
    return this.#install(() => ({ kind: 'blocks', deadline: 0, sub: this.#engine.subscribeHeads() }));
  }

  async newPendingTransactionFilter(fullTx: boolean): Promise<string> {
    return this.#install(() => ({ kind: 'pendingTransactions', deadline: 0, cursor: this.#sentLog.sent, fullTx }));
  }

  /**
   * What arrived since the last poll: logs, block hashes, or the transactions sent (`format` turns
   * one into its hash or, for a fullTx filter, its JSON).
   */
  changes(id: string, format: (tx: Tx, fullTx: boolean) => unknown): unknown[] {
    const f = this.#get(id);
    f.deadline = this.#now() + this.#timeoutMs;
    if (f.kind === 'pendingTransactions') {
      const txs = this.#sentLog.sentSince(f.cursor ?? 0);
      f.cursor = this.#sentLog.sent;
      return txs.map((tx) => format(tx, f.fullTx === true));
    }
    const sub = f.sub as Subscription;
    const items = sub.take();
    if (items.length === 0 && sub.ended) {
      this.#remove(id);
      throw sub.error ?? new FilterError('FILTER_NOT_FOUND', 'filter not found', { field: 'filterId' });
    }
    if (f.kind === 'blocks') return items.map((h) => (h as HeadJson).hash);
    return (items as LogJson[]).filter((log) => {
      const n = blockNumberOfLog(log);
      if (n === undefined) return f.from === undefined && f.to === undefined;
      return (f.from === undefined || n >= f.from) && (f.to === undefined || n <= f.to);
    });
  }

  /** The log filter as installed (eth_getFilterLogs runs it); other kinds are "not found", as geth's. */
  logFilter(id: string): LogFilter {
    const f = this.#get(id);
    if (f.kind !== 'logs' || f.logFilter === undefined) throw this.#notFound();
    return f.logFilter;
  }

  uninstall(id: string): boolean {
    this.#sweep();
    return this.#remove(id);
  }

  /** Removes every filter (the client stops). */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#filters.keys()]) this.#remove(id);
  }

  async #install(make: () => Filter): Promise<string> {
    this.#check();
    // Start after every head received so far: a block the caller may already have seen as the
    // head is never reported as new.
    await this.#engine.settled();
    this.#check();
    const f = make();
    f.deadline = this.#now() + this.#timeoutMs;
    let id = newId();
    while (this.#filters.has(id)) id = newId();
    this.#filters.set(id, f);
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(1000, Math.floor(this.#timeoutMs / 5))).unref();
    return id;
  }

  #check(): void {
    if (this.#closed) throw new FilterError('FILTER_NOT_FOUND', 'the client is stopped');
    this.#sweep();
    if (this.#filters.size >= this.#max) {
      throw new FilterError('FILTER_LIMIT', `at most ${this.#max} filters may be installed (uninstall some, or let them expire)`);
    }
  }

  #get(id: string): Filter {
    this.#sweep();
    const f = this.#filters.get(id.toLowerCase());
    if (f === undefined) throw this.#notFound();
    return f;
  }

  #notFound(): FilterError {
    return new FilterError('FILTER_NOT_FOUND', 'filter not found', { field: 'filterId' });
  }

  #remove(id: string): boolean {
    const key = id.toLowerCase();
    const f = this.#filters.get(key);
    if (f === undefined) return false;
    this.#filters.delete(key);
    f.sub?.unsubscribe();
    if (this.#filters.size === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
    return true;
  }

  /** Uninstalls the filters not polled within the timeout. */
  #sweep(): void {
    const now = this.#now();
    for (const [id, f] of this.#filters) if (f.deadline <= now) this.#remove(id);
  }
}
