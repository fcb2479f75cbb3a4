/**
 * The Retriever of src/client/contracts.ts: callers ask for one item of one OdrKind; equal
 * questions in flight are asked once (OdrKind.key); the Dispatcher sends them, coalesced, to the
 * server expected to answer first, and only a verified answer ever reaches a caller. Each caller
 * has its own deadline and abort signal.
 */
import type { OdrKind, RetrieveOptions, Retriever, ServerView } from '../contracts.js';
import { type DispatchRules, Dispatcher, type Settlement } from './dispatcher.js';
import { Entry } from './entry.js';
import { NoServerError, RetrieveAbortedError, RetrieveTimeoutError, SchedulerClosedError, SchedulerError, VerificationFailedError } from './errors.js';
import { SchedulerMetrics, type SchedulerMetricsSnapshot } from './metrics.js';
import { type Logger, type ServerSource, type Timers, silentLogger, systemTimers } from './types.js';

export interface SchedulerOptions {
  source: ServerSource;
  /** Messages in flight over all servers. Default 64. */
  concurrency?: number;
  /** A caller's deadline when RetrieveOptions.timeoutMs is not given. Default 30 s. */
  requestTimeoutMs?: number;
  /** An item no connected server can answer fails with NoServerError after this long. Default 5 s. */
  noServerTimeoutMs?: number;
  /** A message unanswered this long costs the server its connection. Default 10 s. */
  hardTimeoutMs?: number;
  /** After max(minMs, factor × RTT + marginMs) the items also go to another server. Default 1.5, 100, 300. */
  softTimeout?: { factor?: number; marginMs?: number; minMs?: number };
  /** Invalid answers on one connection before it is dropped. Default 3. */
  maxInvalidAnswers?: number;
  /** Times one server may leave one item unanswered before it is not asked it again. Default 2. */
  maxDeclines?: number;
  /** Expected-time penalty of a server with score 0 (score 1: none), ms. Default 1000. */
  scorePenaltyMs?: number;
  timers?: Timers;
  logger?: Logger;
}

export const SCHEDULER_DEFAULTS = {
  concurrency: 64,
  requestTimeoutMs: 30_000,
  noServerTimeoutMs: 5_000,
  hardTimeoutMs: 10_000,
  softTimeout: { factor: 1.5, marginMs: 100, minMs: 300 },
  maxInvalidAnswers: 3,
  maxDeclines: 2,
  scorePenaltyMs: 1_000,
} as const;

export class Scheduler implements Retriever {
  readonly #source: ServerSource;
  readonly #timers: Timers;
  readonly #requestTimeoutMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #metrics = new SchedulerMetrics();
  readonly #dispatcher: Dispatcher;
  readonly #unsubscribe: () => void;
  #closed = false;

  constructor(options: SchedulerOptions) {
    this.#source = options.source;
    this.#timers = options.timers ?? systemTimers;
    this.#requestTimeoutMs = positive(options.requestTimeoutMs ?? SCHEDULER_DEFAULTS.requestTimeoutMs, 'requestTimeoutMs');
    const soft = { ...SCHEDULER_DEFAULTS.softTimeout, ...options.softTimeout };
    const rules: DispatchRules = {
      concurrency: positive(options.concurrency ?? SCHEDULER_DEFAULTS.concurrency, 'concurrency'),
      noServerTimeoutMs: positive(options.noServerTimeoutMs ?? SCHEDULER_DEFAULTS.noServerTimeoutMs, 'noServerTimeoutMs'),
      hardTimeoutMs: positive(options.hardTimeoutMs ?? SCHEDULER_DEFAULTS.hardTimeoutMs, 'hardTimeoutMs'),
      softTimeout: {
        factor: positive(soft.factor, 'softTimeout.factor'),
        marginMs: positive(soft.marginMs, 'softTimeout.marginMs', true),
        minMs: positive(soft.minMs, 'softTimeout.minMs'),
      },
      maxInvalidAnswers: positive(options.maxInvalidAnswers ?? SCHEDULER_DEFAULTS.maxInvalidAnswers, 'maxInvalidAnswers'),
      maxDeclines: positive(options.maxDeclines ?? SCHEDULER_DEFAULTS.maxDeclines, 'maxDeclines'),
      scorePenaltyMs: positive(options.scorePenaltyMs ?? SCHEDULER_DEFAULTS.scorePenaltyMs, 'scorePenaltyMs', true),
    };
    this.#dispatcher = new Dispatcher(this.#source, rules, this.#timers, this.#metrics, options.logger ?? silentLogger, (e, s) =>
      this.#settle(e, s),
    );
    this.#unsubscribe = this.#source.subscribe({
      change: () => this.#dispatcher.schedulePump(),
      stop: (server) => this.#dispatcher.onStop(server),
    });
  }

  servers(): readonly ServerView[] {
    return this.#source.servers().filter((s) => s.connected);
  }

  retrieve<Item, Result>(kind: OdrKind<Item, Result>, item: Item, options: RetrieveOptions = {}): Promise<Result> {
    if (this.#closed) return Promise.reject(new SchedulerClosedError(kind.name));
    const { signal } = options;
    if (signal?.aborted === true) {
      this.#metrics.item(kind.name, 'aborted');
      return Promise.reject(new RetrieveAbortedError(kind.name, signal.reason));
    }
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs;
    let entry: Entry;
    try {
      positive(timeoutMs, 'timeoutMs');
      const exclude = options.exclude ?? new Set<string>();
      const key = `${kind.name}\u0000${kind.key(item)}\u0000${options.server ?? ''}\u0000${[...exclude].sort().join(',')}`;
      const existing = this.#entries.get(key);
      if (existing !== undefined && !existing.settled) {
        entry = existing;
        this.#metrics.kind(kind.name).deduplicated++;
      } else {
        entry = new Entry(kind, item, key, options.server, new Set(exclude));
        this.#entries.set(key, entry);
      }
    } catch (err) {
      this.#metrics.item(kind.name, 'error');
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const promise = new Promise<Result>((resolve, reject) => {
      const onAbort = (): void => leave(new RetrieveAbortedError(kind.name, signal?.reason), 'aborted');
      const timer = this.#timers.setTimeout(() => leave(this.#timeoutError(entry, timeoutMs), 'timeout'), timeoutMs);
      const waiter = {
        resolve: (value: unknown) => resolve(value as Result),
        reject,
        cleanup: () => {
          this.#timers.clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      const leave = (error: SchedulerError, outcome: 'aborted' | 'timeout' | 'no-server' | 'verification-failed'): void => {
        if (!entry.waiters.delete(waiter)) return;
        waiter.cleanup();
        this.#metrics.item(kind.name, error instanceof NoServerError ? 'no-server' : error instanceof VerificationFailedError ? 'verification-failed' : outcome);
        reject(error);
        if (entry.waiters.size === 0) this.#abandon(entry);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.waiters.add(waiter);
    });
    this.#dispatcher.enqueue(entry);
    return promise;
  }

  metrics(): SchedulerMetricsSnapshot {
    const servers = this.#source.servers().filter((s) => s.connected);
    return this.#metrics.snapshot(servers, (id) => this.#dispatcher.inFlightOn(id), this.#dispatcher.waiting, this.#dispatcher.inFlight);
  }

  /** Rejects every caller with SchedulerClosedError and stops listening to the servers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#dispatcher.close();
    for (const entry of [...this.#entries.values()]) {
      this.#settle(entry, { ok: false, error: new SchedulerClosedError(entry.kind.name), outcome: 'closed' });
    }
  }

  #settle(entry: Entry, s: Settlement): void {
    if (entry.settled) return;
    entry.settled = true;
    this.#dispatcher.forget(entry);
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
    const waiters = [...entry.waiters];
    entry.waiters.clear();
    for (const w of waiters) {
      w.cleanup();
      this.#metrics.item(entry.kind.name, s.ok ? 'ok' : s.outcome);
      if (s.ok) w.resolve(s.value);
      else w.reject(s.error);
    }
  }

  /** Nobody waits any more: stop asking (answers already on their way are ignored). */
  #abandon(entry: Entry): void {
    entry.settled = true;
    this.#dispatcher.forget(entry);
    if (this.#entries.get(entry.key) === entry) this.#entries.delete(entry.key);
  }

  #timeoutError(entry: Entry, timeoutMs: number): SchedulerError {
    const kind = entry.kind.name;
    if (entry.noServerSince !== undefined) {
      if (entry.invalidBy.size > 0) return new VerificationFailedError(kind, [...entry.invalidBy.keys()]);
      return new NoServerError(kind, `none could be asked within ${timeoutMs} ms`);
    }
    return new RetrieveTimeoutError(kind, timeoutMs, entry.attempts);
  }
}

function positive(value: number, field: string, zeroOk = false): number {
  if (!Number.isFinite(value) || value < 0 || (!zeroOk && value === 0)) {
    throw new SchedulerError('BAD_OPTIONS', 'scheduler', `${field}: ${value} is not a ${zeroOk ? 'non-negative' : 'positive'} finite number`, { field });
  }
  return value;
}
