/**
 * The subscription engine: follows the chain's heads by (number, hash) and delivers to every
 * subscriber each header (newHeads) and each matching log (logs) of the canonical chain exactly
 * once, in chain order, from the moment it subscribed — or ends the subscription with a
 * SubscriptionError. It never skips.
 *
 * On each new head it walks back by parentHash from the head to the newest delivered block that
 * is still canonical (fetching headers it has not seen), sends the logs of delivered blocks that
 * left the chain again with removed: true (newest block first, each block's logs in reverse, as
 * go-ethereum does), then delivers every new canonical block in order: its header to newHeads
 * subscribers, its matching logs to logs subscribers. A head that is an already delivered block
 * (a rollback) removes the blocks above it and is delivered again as the new head.
 *
 * Bounds (options): `maxGap` blocks filled in at once (default 1024: a longer jump ends every
 * subscription with GAP_TOO_LARGE), `window` delivered blocks remembered for reorgs (default 128,
 * twice the 64 blocks after which a post-merge block is final: a reorg below them ends every
 * subscription with REORG_TOO_DEEP), `attempts` per header or logs
 * fetch (default 3, `retryDelayMs` apart, doubling), then HEADER_UNAVAILABLE (every subscription)
 * or LOGS_UNAVAILABLE (logs subscriptions). A fetch that fails while a newer head is waiting is not
 * an error yet: the walk starts again from that head (at most `attempts` times in a row).
 *
 * The source is anything with eth_getBlockByHash / eth_getLogs({blockHash}) and `newHead` events:
 * the LesClient (its answers verified) for the EIP-1193 object, the proxy's backend for the
 * WebSocket. Heads are processed one at a time; heads arriving meanwhile are coalesced into the
 * newest (the walk back fills in the rest). Nothing is fetched while no one is subscribed.
 */
import type { Log } from '../../verify/receipts.js';
import { type LogFilter, logMatches, logOfJson } from '../methods/log-filter.js';
import { SubscriptionError } from './errors.js';
import { type HeadJson, type LogJson, Subscription, type SubscriptionKind } from './subscription.js';

export type NewHeadListener = (head: HeadJson) => void;

export interface ChainSource {
  request(method: string, params?: unknown): Promise<unknown>;
  on(event: 'newHead', listener: NewHeadListener): unknown;
  off(event: 'newHead', listener: NewHeadListener): unknown;
  /** The current head, if known: where the first subscription starts when no head event came yet. */
  status?(): { head: { number: number; hash: string } | undefined };
}

export interface SubscriptionEngineOptions {
  /** Most blocks filled in between the last delivered block and a new head (default 1024). */
  maxGap?: number;
  /** Delivered blocks remembered to follow reorgs (default 128). */
  window?: number;
  /** Tries per header or logs fetch (default 3). */
  attempts?: number;
  /** Wait before the first retry, doubled for each next one (default 250 ms). */
  retryDelayMs?: number;
  /** Most items a polled subscription holds unread (default 10,000). */
  maxQueue?: number;
  /** Told of each subscription-ending failure and each retried fetch, for logging. */
  onIssue?: (issue: { message: string; err?: unknown; block?: number }) => void;
}

interface BlockRecord {
  number: number;
  hash: string;
  /** The header as JSON (undefined for the block a first subscription starts after). */
  head: HeadJson | undefined;
  /** Its logs that some subscriber was sent, with their parsed address and topics (kept to send them again as removed). */
  logs: Array<[LogJson, Log]> | undefined;
  /** Delivery order; a subscription was sent this block iff seq > its `since`. */
  seq: number;
}

const HASH = /^0x[0-9a-fA-F]{64}$/;
const QUANTITY = /^0x(0|[1-9a-fA-F][0-9a-fA-F]{0,12})$/;
/** Block fields that are not part of a header (newHeads sends the header). */
const NOT_HEADER = new Set(['transactions', 'uncles', 'size', 'withdrawals', 'totalDifficulty']);

/** A header's number, hash and parentHash, checked; undefined if any is missing or malformed. */
function readHead(v: unknown): { number: number; hash: string; parentHash: string } | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const h = v as Record<string, unknown>;
  if (typeof h.hash !== 'string' || !HASH.test(h.hash) || typeof h.parentHash !== 'string' || !HASH.test(h.parentHash)) return undefined;
  if (typeof h.number !== 'string' || !QUANTITY.test(h.number)) return undefined;
  const number = Number.parseInt(h.number.slice(2), 16);
  if (!Number.isSafeInteger(number)) return undefined;
  return { number, hash: h.hash.toLowerCase(), parentHash: h.parentHash.toLowerCase() };
}

function isLogJson(v: unknown): v is LogJson {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.address === 'string' && Array.isArray(o.topics) && o.topics.every((t) => typeof t === 'string');
}

/** Each log with its address and topics as bytes, parsed once for every subscriber's filter. */
function parseLogs(logs: readonly LogJson[]): Array<[LogJson, Log]> {
  const out: Array<[LogJson, Log]> = [];
  for (const json of logs) {
    const log = logOfJson(json);
    // A log without a well-formed address and topics matches no filter.
    if (log !== undefined) out.push([json, log]);
  }
  return out;
}

/** A new head and the header JSON of each block being walked. */
interface Pending {
  number: number;
  hash: string;
  parentHash: string;
  head: HeadJson;
}

/** A failed fetch while a newer head waits: start again from that head. */
class Superseded extends Error {}

export class SubscriptionEngine {
  readonly #source: ChainSource;
  readonly #maxGap: number;
  readonly #window: number;
  readonly #attempts: number;
  readonly #retryDelayMs: number;
  readonly #maxQueue: number;
  readonly #onIssue: NonNullable<SubscriptionEngineOptions['onIssue']>;
  readonly #subs = new Set<Subscription>();
  /** Delivered blocks, oldest first, each the parent of the next; at most `window`. */
  #chain: BlockRecord[] = [];
  /** Delivered blocks fell off the bottom of #chain (a reorg below it cannot be followed). */
  #trimmed = false;
  #seq = 0;
  #latest: Pending | undefined;
  #pending: Pending | undefined;
  #running: Promise<void> | undefined;
  /** Fetch failures in a row that were passed over for a newer head. */
  #superseded = 0;
  #closed = false;
  readonly #onHead = (head: HeadJson) => this.#receive(head);

  constructor(source: ChainSource, options: SubscriptionEngineOptions = {}) {
    this.#source = source;
    this.#maxGap = options.maxGap ?? 1024;
    this.#window = Math.max(1, options.window ?? 128);
    this.#attempts = Math.max(1, options.attempts ?? 3);
    this.#retryDelayMs = options.retryDelayMs ?? 250;
    this.#maxQueue = options.maxQueue ?? 10_000;
    this.#onIssue = options.onIssue ?? (() => undefined);
    source.on('newHead', this.#onHead);
  }

  /** A newHeads subscription: every new canonical header, in order. */
  subscribeHeads(): Subscription {
    return this.#subscribe('newHeads', undefined);
  }

  /** A logs subscription: every matching log of each new canonical block, removed: true on reorgs. */
  subscribeLogs(filter: LogFilter): Subscription {
    return this.#subscribe('logs', filter);
  }

  get subscriptions(): number {
    return this.#subs.size;
  }

  /** Resolves once every head received so far has been processed (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  /** Stops following; open subscriptions end without an error. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.off('newHead', this.#onHead);
    this.#pending = undefined;
    for (const s of [...this.#subs]) s.unsubscribe();
  }

  #subscribe(kind: SubscriptionKind, filter: LogFilter | undefined): Subscription {
    if (this.#closed) throw new Error('the subscription engine is closed');
    if (this.#subs.size === 0 && this.#running === undefined) this.#seed();
    const sub = new Subscription(kind, filter, this.#seq, this.#maxQueue, (s) => this.#subs.delete(s));
    this.#subs.add(sub);
    return sub;
  }

  /** The first subscription starts after the newest head known (nothing of it is delivered). */
  #seed(): void {
    this.#chain = [];
    this.#trimmed = false;
    const known = this.#latest ?? this.#source.status?.().head;
    if (known === undefined || !HASH.test(known.hash)) return;
    this.#chain.push({ number: known.number, hash: known.hash.toLowerCase(), head: this.#latest?.head, logs: undefined, seq: this.#seq });
  }

  #receive(json: HeadJson): void {
    if (this.#closed) return;
    const h = readHead(json);
    if (h === undefined) {
      this.#onIssue({ message: 'newHead event without a valid hash, parentHash and number: ignored' });
      return;
    }
    this.#latest = { ...h, head: json };
    if (this.#subs.size === 0) return;
    this.#pending = this.#latest;
    this.#running ??= this.#drain();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending !== undefined && !this.#closed) {
        const head = this.#pending;
        this.#pending = undefined;
        try {
          await this.#advance(head);
          this.#superseded = 0;
        } catch (err) {
          if (err instanceof Superseded) continue;
          const e = err instanceof SubscriptionError ? err : new SubscriptionError('HEADER_UNAVAILABLE', `could not follow the chain to block ${head.number}`, { cause: err });
          this.#onIssue({ message: 'subscriptions ended', err: e, block: head.number });
          this.#endAll((s) => s.kind === 'newHeads' || s.kind === 'logs', e);
          this.#chain = [];
          this.#trimmed = false;
        }
        // Nobody left: stop following; the next subscription starts afresh.
        if (this.#subs.size === 0) {
          this.#chain = [];
          this.#trimmed = false;
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  #indexOf(hash: string): number {
    for (let i = this.#chain.length - 1; i >= 0; i--) if (this.#chain[i]?.hash === hash) return i;
    return -1;
  }

  async #advance(head: Pending): Promise<void> {
    const tip = this.#chain.at(-1);
    if (tip?.hash === head.hash) return;
    const known = this.#indexOf(head.hash);
    if (known >= 0) {
      // A rollback to a delivered block: what was above it left the chain; it is the head again.
      this.#remove(this.#chain.splice(known + 1));
      this.#sendHead(head.head);
      return;
    }
    const path = await this.#walkBack(head);
    for (const block of path) {
      if (this.#closed || this.#subs.size === 0) return;
      await this.#deliver(block);
    }
  }

  /**
   * The new blocks from the newest delivered one still canonical up to `head`, oldest first; the
   * delivered blocks above that one are removed (sent as removed) before this returns.
   */
  async #walkBack(head: Pending): Promise<Pending[]> {
    const path: Pending[] = [head];
    const bottom = this.#chain[0];
    const tip = this.#chain.at(-1);
    if (bottom === undefined || tip === undefined) return path;
    // The path is at least this long: fail before fetching a thousand headers for nothing.
    if (head.number - tip.number > this.#maxGap) throw this.#gapError(head);
    let cursor = head;
    let fork: number;
    for (;;) {
      const at = this.#indexOf(cursor.parentHash);
      if (at >= 0) {
        fork = at;
        break;
      }
      if (cursor.number <= bottom.number) {
        // Every block we hold left the chain, and we cannot tell where the fork is.
        if (this.#trimmed) throw new SubscriptionError('REORG_TOO_DEEP', `a reorg reaches below the ${this.#window} blocks remembered (block ${cursor.number}, head ${head.number})`);
        fork = -1;
        break;
      }
      if (path.length >= this.#maxGap) throw this.#gapError(head);
      const parent = await this.#fetchHeader(cursor);
      path.unshift(parent);
      cursor = parent;
    }
    this.#remove(this.#chain.splice(fork + 1));
    return path;
  }

  #gapError(head: Pending): SubscriptionError {
    const last = this.#chain.at(-1)?.number;
    return new SubscriptionError('GAP_TOO_LARGE', `the head moved more than ${this.#maxGap} blocks at once (to block ${head.number}, last delivered ${last})`);
  }

  async #fetchHeader(child: Pending): Promise<Pending> {
    return this.#retry(`header ${child.number - 1}`, child.number - 1, 'HEADER_UNAVAILABLE', async () => {
      const block = await this.#source.request('eth_getBlockByHash', [child.parentHash, false]);
      const h = readHead(block);
      if (h === undefined || h.hash !== child.parentHash || h.number !== child.number - 1) {
        throw new Error(block === null ? 'unknown block' : 'not the parent asked for');
      }
      const head = Object.fromEntries(Object.entries(block as Record<string, unknown>).filter(([k]) => !NOT_HEADER.has(k))) as HeadJson;
      return { ...h, head };
    });
  }

  async #fetchLogs(block: Pending): Promise<LogJson[]> {
    return this.#retry(`logs of block ${block.number}`, block.number, 'LOGS_UNAVAILABLE', async () => {
      const logs = await this.#source.request('eth_getLogs', [{ blockHash: block.hash }]);
      if (!Array.isArray(logs) || !logs.every(isLogJson)) throw new Error('eth_getLogs did not answer a list of logs');
      if (logs.some((l) => typeof l.blockHash === 'string' && l.blockHash.toLowerCase() !== block.hash)) throw new Error('eth_getLogs answered logs of another block');
      return logs;
    });
  }

  async #retry<T>(what: string, block: number, code: 'HEADER_UNAVAILABLE' | 'LOGS_UNAVAILABLE', fn: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let i = 0; i < this.#attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.#retryDelayMs * 2 ** (i - 1)));
      if (this.#closed) throw new Superseded();
      try {
        return await fn();
      } catch (err) {
        last = err;
        this.#onIssue({ message: `could not fetch the ${what} (try ${i + 1} of ${this.#attempts})`, err, block });
      }
      // The block may have left the chain since: follow the newer head instead (a bounded number of times).
      if (this.#pending !== undefined && this.#superseded < this.#attempts) {
        this.#superseded++;
        throw new Superseded();
      }
    }
    throw new SubscriptionError(code, `could not fetch the ${what} after ${this.#attempts} tries`, { cause: last });
  }

  /** Sends one new canonical block: its header, then its matching logs. */
  async #deliver(block: Pending): Promise<void> {
    let logs: LogJson[] | undefined;
    if ([...this.#subs].some((s) => s.kind === 'logs')) {
      try {
        logs = await this.#fetchLogs(block);
      } catch (err) {
        if (!(err instanceof SubscriptionError)) throw err;
        // Heads go on; the logs subscriptions cannot, without a hole.
        this.#onIssue({ message: 'logs subscriptions ended', err, block: block.number });
        this.#endAll((s) => s.kind === 'logs', err);
      }
    }
    const seq = ++this.#seq;
    const parsed = logs === undefined ? [] : parseLogs(logs);
    const sent = new Set<number>();
    for (const s of [...this.#subs]) {
      if (s.since >= seq) continue;
      if (s.kind === 'newHeads') s.push(block.head);
      else {
        for (const [i, [json, log]] of parsed.entries()) {
          if (!logMatches(s.filter as LogFilter, log)) continue;
          s.push({ ...json, removed: false });
          sent.add(i);
        }
      }
    }
    // Only what someone was sent can be removed later; the rest need not be kept.
    const kept = logs === undefined ? undefined : parsed.filter((_, i) => sent.has(i));
    this.#chain.push({ number: block.number, hash: block.hash, head: block.head, logs: kept, seq });
    if (this.#chain.length > this.#window) {
      this.#chain.splice(0, this.#chain.length - this.#window);
      this.#trimmed = true;
    }
  }

  #sendHead(head: HeadJson): void {
    for (const s of [...this.#subs]) if (s.kind === 'newHeads') s.push(head);
  }

  /** Blocks that left the chain: their delivered logs again, removed: true, newest first. */
  #remove(dropped: readonly BlockRecord[]): void {
    for (const block of [...dropped].reverse()) {
      const logs = [...(block.logs ?? [])].reverse();
      if (logs.length === 0) continue;
      for (const s of [...this.#subs]) {
        if (s.kind !== 'logs' || s.since >= block.seq) continue;
        for (const [json, log] of logs) if (logMatches(s.filter as LogFilter, log)) s.push({ ...json, removed: true });
      }
    }
  }

  #endAll(which: (s: Subscription) => boolean, err: SubscriptionError): void {
    for (const s of [...this.#subs]) if (which(s)) s.fail(err);
  }
}
