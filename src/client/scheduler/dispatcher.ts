/**
 * The dispatch loop: waiting entries → a server and a message → the wire → verify → settle or ask
 * again. One p-queue bounds the messages in flight over all servers; a message is sent only when
 * its server's flow estimate covers its max cost (so a server never has to send StopMsg to us),
 * and the pump runs again when a buffer has recharged, a reply arrives, a server connects or
 * resumes, or a soft timeout expires.
 */
import PQueue from 'p-queue';
import { maxCost } from '../../flow/index.js';
import { RequestTimeoutError, PeerClosedError } from '../../net/index.js';
import { VerificationError } from '../../verify/errors.js';
import { ProtocolError } from '../../wire/errors.js';
import { fillBatch, messageCost, pickServer, softTimeoutMs } from './choice.js';
import { type AnyKind, type Entry, Message } from './entry.js';
import { NoServerError, NotServedError, VerificationFailedError } from './errors.js';
import type { ItemOutcome, SchedulerMetrics } from './metrics.js';
import type { Logger, SchedulableServer, ServerSource, Timers } from './types.js';

export interface DispatchRules {
  concurrency: number;
  noServerTimeoutMs: number;
  hardTimeoutMs: number;
  softTimeout: { factor: number; marginMs: number; minMs: number };
  maxInvalidAnswers: number;
  maxDeclines: number;
  scorePenaltyMs: number;
}

export type Settlement = { ok: true; value: unknown } | { ok: false; error: Error; outcome: ItemOutcome };

export class Dispatcher {
  readonly #queue: PQueue;
  /** Entries waiting to be sent, per kind name (kinds are told apart by name), oldest first. */
  readonly #waiting = new Map<string, Set<Entry>>();
  readonly #open = new Map<string, Set<Message>>();
  #pumpScheduled = false;
  #wakeTimer: unknown;
  #closed = false;

  constructor(
    private readonly source: ServerSource,
    private readonly rules: DispatchRules,
    private readonly timers: Timers,
    private readonly metrics: SchedulerMetrics,
    private readonly logger: Logger,
    private readonly settle: (entry: Entry, s: Settlement) => void,
  ) {
    this.#queue = new PQueue({ concurrency: rules.concurrency });
    this.#queue.on('next', () => this.schedulePump());
  }

  get waiting(): number {
    let n = 0;
    for (const list of this.#waiting.values()) n += list.size;
    return n;
  }

  get inFlight(): number {
    let n = 0;
    for (const set of this.#open.values()) n += set.size;
    return n;
  }

  inFlightOn(serverId: string): number {
    return this.#open.get(serverId)?.size ?? 0;
  }

  /** Queue an entry to be asked (again), unless it is settled, queued, or live on some server. */
  enqueue(entry: Entry): void {
    if (entry.settled || entry.queued || this.#closed) return;
    for (const m of entry.outstanding) if (m.state === 'live') return;
    entry.queued = true;
    let list = this.#waiting.get(entry.kind.name);
    if (list === undefined) this.#waiting.set(entry.kind.name, (list = new Set()));
    list.add(entry);
    this.schedulePump();
  }

  /** Take a settled or abandoned entry out of the waiting list. */
  forget(entry: Entry): void {
    if (!entry.queued) return;
    entry.queued = false;
    this.#waiting.get(entry.kind.name)?.delete(entry);
  }

  schedulePump(): void {
    if (this.#pumpScheduled || this.#closed) return;
    this.#pumpScheduled = true;
    this.timers.defer(() => {
      this.#pumpScheduled = false;
      this.pump();
    });
  }

  /** StopMsg from `server`: its open messages will never be answered; ask their items elsewhere now. */
  onStop(server: SchedulableServer): void {
    for (const msg of [...(this.#open.get(server.id) ?? [])]) {
      this.metrics.message(msg.kind.name, 'stopped');
      this.#end(msg, 'written-off');
      for (const e of msg.entries) this.enqueue(e);
    }
    this.schedulePump();
  }

  close(): void {
    this.#closed = true;
    this.timers.clearTimeout(this.#wakeTimer);
    for (const set of this.#open.values()) for (const msg of [...set]) this.#end(msg, 'done');
    this.#waiting.clear();
    this.#queue.clear();
  }

  /** One pass over the waiting entries: fail the hopeless, send what can go now, sleep until the next change. */
  pump(): void {
    if (this.#closed) return;
    this.timers.clearTimeout(this.#wakeTimer);
    const now = this.timers.now();
    let wake = Infinity;
    const servers = this.source.servers().filter((s) => s.connected);
    /** Cost of the entries this pass left waiting for each server's buffer. */
    const queued = new Map<string, number>();
    outer: for (const list of this.#waiting.values()) {
      for (const entry of list) {
        if (entry.settled) {
          this.forget(entry);
          continue;
        }
        const kind = entry.kind;
        const capable = servers.filter((s) => entry.allows(s.id) && this.#serves(kind, s, entry));
        if (capable.length > 0 && entry.outstanding.size === 0 && capable.every((s) => entry.invalidBy.has(s.id))) {
          this.#fail(entry, 'verification-failed', new VerificationFailedError(kind.name, [...entry.invalidBy.keys()], lastOf(entry.invalidBy)));
          continue;
        }
        const eligible = capable.filter((s) => this.#mayAsk(entry, s));
        if (capable.length === 0 && entry.outstanding.size === 0 && servers.length > 0 && !this.#mayServeLater(entry, servers)) {
          // Outside every connected server's windows: waiting would only delay the same answer.
          this.#fail(entry, 'no-server', new NotServedError(kind.name, servers.length));
          continue;
        }
        if (eligible.length === 0 && entry.outstanding.size === 0) {
          entry.noServerSince ??= now;
          const left = entry.noServerSince + this.rules.noServerTimeoutMs - now;
          if (left <= 0) this.#failNoServer(entry, capable.length, servers.length);
          else wake = Math.min(wake, left);
          continue;
        }
        entry.noServerSince = undefined;
        const candidates = eligible.filter((s) => !s.flow.stopped && !entry.outstandingOn(s.id));
        if (candidates.length === 0) continue; // waits for an answer, a ResumeMsg or a new server
        if (this.#queue.pending + this.#queue.size >= this.rules.concurrency) break outer; // 'next' pumps again
        const pick = pickServer(candidates, kind.code, entry.units, this.rules.scorePenaltyMs, (s) => queued.get(s.id) ?? 0);
        if (pick === undefined) continue;
        if (pick.waitMs > 0) {
          // Later entries count this one's cost as queued ahead of them on that server.
          queued.set(pick.server.id, (queued.get(pick.server.id) ?? 0) + pick.cost);
          this.metrics.flowWaits++;
          wake = Math.min(wake, pick.waitMs);
          continue;
        }
        const s = pick.server;
        const batch = fillBatch(entry, list, {
          maxItems: kind.maxItems,
          units: (e) => e.units,
          eligible: (e) => e.queued && !e.settled && e.allows(s.id) && this.#mayAsk(e, s) && !e.outstandingOn(s.id) && this.#serves(kind, s, e),
          sendable: (units) => s.flow.canSend(maxCost(s.mrc, kind.code, units)),
        });
        this.#send(s, kind, batch.items, maxCost(s.mrc, kind.code, batch.units));
      }
    }
    if (Number.isFinite(wake)) this.#wakeTimer = this.timers.setTimeout(() => this.pump(), Math.max(1, Math.ceil(wake)));
  }

  #serves(kind: AnyKind, s: SchedulableServer, entry: Entry): boolean {
    if (messageCost(s.mrc, kind.code, entry.units) === undefined) return false;
    try {
      return kind.canServe(s, entry.item) === true;
    } catch (err) {
      this.logger.warn({ kind: kind.name, err }, 'canServe threw; server skipped');
      return false;
    }
  }

  /** Whether a connected server it may ask has not reached the item's block yet (and may after an announce). */
  #mayServeLater(entry: Entry, servers: readonly SchedulableServer[]): boolean {
    const n = entry.kind.blockOf?.(entry.item);
    return n !== undefined && servers.some((s) => entry.allows(s.id) && s.head.number < n);
  }

  #mayAsk(entry: Entry, s: SchedulableServer): boolean {
    return !entry.invalidBy.has(s.id) && (entry.declinedBy.get(s.id) ?? 0) < this.rules.maxDeclines;
  }

  #send(s: SchedulableServer, kind: AnyKind, entries: Entry[], cost: number): void {
    const msg = new Message(s, kind, entries, cost, this.timers.now());
    for (const e of entries) {
      this.forget(e);
      e.outstanding.add(msg);
      e.attempts++;
    }
    let set = this.#open.get(s.id);
    if (set === undefined) this.#open.set(s.id, (set = new Set()));
    set.add(msg);
    const km = this.metrics.kind(kind.name);
    km.messagesSent++;
    km.itemsSent += entries.length;
    const done = new Promise<void>((resolve) => (msg.finish = resolve));
    // Runs at once: the pump checked there is room. The task lasts until the message ends.
    this.#queue.add(() => done).catch(() => {});
    const items = entries.map((e) => e.item);
    let reply;
    try {
      reply = s.request(
        kind.code,
        (reqID) => {
          msg.reqID = reqID;
          try {
            return kind.encode(reqID, items, s);
          } catch (err) {
            msg.buildError = err instanceof Error ? err : new Error(String(err));
            throw err;
          }
        },
        cost,
        this.rules.hardTimeoutMs,
      );
    } catch (err) {
      reply = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    msg.softTimer = this.timers.setTimeout(() => this.#softExpire(msg), softTimeoutMs(s.rttMs, this.rules.softTimeout));
    reply.then(
      (r) => this.#onReply(msg, r.payload),
      (err: unknown) => this.#onFailure(msg, err),
    );
  }

  #softExpire(msg: Message): void {
    if (msg.state !== 'live') return;
    msg.state = 'soft-expired';
    this.metrics.message(msg.kind.name, 'soft-timeout');
    for (const e of msg.entries) this.enqueue(e);
  }

  /** The message stops counting: closed slot, timers off, its entries no longer wait on it. */
  #end(msg: Message, state: 'written-off' | 'done'): void {
    if (msg.state === 'written-off' || msg.state === 'done') {
      if (state === 'done') msg.state = 'done';
      return;
    }
    msg.state = state;
    this.timers.clearTimeout(msg.softTimer);
    const open = this.#open.get(msg.server.id);
    open?.delete(msg);
    if (open?.size === 0) this.#open.delete(msg.server.id);
    for (const e of msg.entries) e.outstanding.delete(msg);
    msg.finish();
  }

  #onReply(msg: Message, payload: Uint8Array): void {
    this.#end(msg, 'done');
    if (this.#closed) return;
    const { server: s, kind, entries } = msg;
    let results: unknown[];
    try {
      results = kind.verify(
        entries.map((e) => e.item),
        payload,
      );
      if (!Array.isArray(results) || results.length !== entries.length) {
        throw new ProtocolError('MALFORMED', kind.name, 'reply', `verify gave ${String(results?.length)} results for ${entries.length} items`);
      }
    } catch (err) {
      if (err instanceof VerificationError || err instanceof ProtocolError) this.#onInvalid(msg, err);
      else {
        // A bug in the kind, not a lie: the callers see it rather than a loop over servers.
        this.logger.warn({ kind: kind.name, err }, 'OdrKind.verify threw an untyped error');
        this.metrics.message(kind.name, 'failed');
        for (const e of entries) this.#fail(e, 'error', err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    s.recordAnswer('valid');
    this.metrics.message(kind.name, 'valid');
    entries.forEach((e, i) => {
      if (e.settled) return;
      const value = results[i];
      if (value !== undefined) {
        this.settle(e, { ok: true, value });
        return;
      }
      this.metrics.kind(kind.name).unanswered++;
      e.declinedBy.set(s.id, (e.declinedBy.get(s.id) ?? 0) + 1);
      this.enqueue(e);
    });
    this.schedulePump();
  }

  #onInvalid(msg: Message, err: VerificationError | ProtocolError): void {
    const { server: s, kind } = msg;
    s.recordAnswer('invalid');
    this.metrics.verificationFailures++;
    this.metrics.message(kind.name, 'invalid');
    this.logger.warn({ server: s.id.slice(0, 16), kind: kind.name, code: err.code, field: err.field }, 'invalid answer');
    for (const e of msg.entries) {
      if (e.settled) continue;
      e.invalidBy.set(s.id, err);
      this.enqueue(e);
    }
    if (s.connected && s.invalidAnswers >= this.rules.maxInvalidAnswers) {
      s.disconnect(`${s.invalidAnswers} invalid answers`);
    }
    this.schedulePump();
  }

  #onFailure(msg: Message, err: unknown): void {
    const writtenOff = msg.state === 'written-off';
    this.#end(msg, 'done');
    if (this.#closed) return;
    const { server: s, kind } = msg;
    if (msg.buildError !== undefined) {
      this.metrics.message(kind.name, 'failed');
      for (const e of msg.entries) this.#fail(e, 'error', msg.buildError);
      return;
    }
    for (const e of msg.entries) this.enqueue(e);
    if (writtenOff) return; // counted at the StopMsg; a stopped server owes no answer
    if (err instanceof RequestTimeoutError) {
      this.metrics.message(kind.name, 'hard-timeout');
      s.recordAnswer('timeout');
      if (s.connected) s.disconnect(`no answer within ${this.rules.hardTimeoutMs} ms`);
    } else if (err instanceof PeerClosedError) {
      this.metrics.message(kind.name, 'closed');
    } else {
      this.metrics.message(kind.name, 'failed');
      this.logger.warn({ server: s.id.slice(0, 16), kind: kind.name, err }, 'request failed');
    }
    this.schedulePump();
  }

  #failNoServer(entry: Entry, capable: number, connected: number): void {
    if (entry.invalidBy.size > 0) {
      this.#fail(entry, 'verification-failed', new VerificationFailedError(entry.kind.name, [...entry.invalidBy.keys()], lastOf(entry.invalidBy)));
      return;
    }
    if (capable === 0 && connected > 0) {
      this.#fail(entry, 'no-server', new NotServedError(entry.kind.name, connected));
      return;
    }
    const detail =
      capable === 0
        ? `none connected that serves it for ${this.rules.noServerTimeoutMs} ms`
        : `the ${capable} that serve it left it unanswered`;
    this.#fail(entry, 'no-server', new NoServerError(entry.kind.name, detail, capable));
  }

  #fail(entry: Entry, outcome: ItemOutcome, error: Error): void {
    if (entry.settled) return;
    this.forget(entry);
    this.settle(entry, { ok: false, error, outcome });
  }
}

function lastOf(m: ReadonlyMap<string, unknown>): unknown {
  let last: unknown;
  for (const v of m.values()) last = v;
  return last;
}
