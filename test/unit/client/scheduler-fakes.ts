/**
 * Fakes for the scheduler's unit tests: a manual clock with timers, servers whose requests the
 * test answers by hand (each with a real src/flow ServerBufferEstimate on the manual clock), a
 * source of them, and a tiny OdrKind ("double": the answer to n is 2n) over GetReceipts.
 */
import type { ServeCapabilities } from '../../../src/client/contracts.js';
import type { OdrKind } from '../../../src/client/contracts.js';
import type { AnswerOutcome, ReplyLike, SchedulableServer, ServerSource, SourceListener, Timers } from '../../../src/client/scheduler/index.js';
import { ManualClock, type MrcTable, ServerBufferEstimate } from '../../../src/flow/index.js';
import { PeerClosedError, RequestTimeoutError } from '../../../src/net/index.js';
import { VerificationError } from '../../../src/verify/errors.js';
import type { RequestCode } from '../../../src/wire/codes.js';
import { type RlpItem, decodeRlp, encodeRlp, encodeUint, readList, readUint } from '../../../src/wire/rlp.js';

export const GET_RECEIPTS = 0x06 as RequestCode;

/** Lets promise callbacks and deferred pumps run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
}

export class ManualTimers implements Timers {
  readonly clock = new ManualClock(1_000);
  #next = 1;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.clock.now();
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.#next++;
    this.#timers.set(id, { at: this.clock.now() + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers.delete(handle as number);
  }

  defer(fn: () => void): void {
    setImmediate(fn);
  }

  /** Moves time forward by `ms`, firing due timers in order (and letting their effects run). */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await flush();
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | undefined;
      for (const t of this.#timers) if (t[1].at <= target && (due === undefined || t[1].at < due[1].at)) due = t;
      if (due === undefined) break;
      this.#timers.delete(due[0]);
      this.clock.set(Math.max(this.clock.now(), due[1].at));
      due[1].fn();
      await flush();
    }
    this.clock.set(target);
    await flush();
  }
}

export interface Sent {
  reqID: bigint;
  code: number;
  /** The items the message carries (decoded from the request). */
  items: number[];
  maxCost: number;
  /** BLE just before the send, and whether the estimate allowed it. */
  bleBefore: number;
  allowed: boolean;
  settled: boolean;
}

export class FakeServer implements SchedulableServer {
  readonly version = 4 as const;
  readonly trusted = false;
  head = { hash: new Uint8Array(32), number: 1_000, td: 1n };
  caps: ServeCapabilities = { serveHeaders: true, serveChainSince: 0, serveStateSince: 0, txRelay: false };
  score = 1;
  rttMs: number;
  connected = true;
  invalidAnswers = 0;
  readonly flow: ServerBufferEstimate;
  readonly mrc: MrcTable;
  readonly sent: Sent[] = [];
  readonly answers: AnswerOutcome[] = [];
  disconnectedWhy: string | undefined;
  #nextReqID = 1n;
  readonly #pending = new Map<bigint, { resolve(r: ReplyLike): void; reject(e: Error): void; timer: unknown }>();

  constructor(
    readonly id: string,
    private readonly timers: ManualTimers,
    private readonly source: FakeSource,
    opts: { rttMs?: number; bl?: number; mrr?: number; mrc?: MrcTable } = {},
  ) {
    this.rttMs = opts.rttMs ?? 20;
    this.flow = new ServerBufferEstimate({ bl: opts.bl ?? 1_000_000, mrr: opts.mrr ?? 100 }, timers.clock);
    this.mrc = opts.mrc ?? [{ code: GET_RECEIPTS, baseCost: 0, reqCost: 1_000 }];
  }

  request(code: RequestCode, build: (reqID: bigint) => Uint8Array, maxCost: number, timeoutMs: number): Promise<ReplyLike> {
    if (!this.connected) return Promise.reject(new PeerClosedError(undefined, 'local'));
    const reqID = this.#nextReqID++;
    let payload: Uint8Array;
    try {
      payload = build(reqID);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const bleBefore = this.flow.ble;
    const allowed = this.flow.canSend(maxCost);
    this.flow.onSend(reqID, maxCost);
    const [, data] = readList(decodeRlp(payload, 'req'), 'req', 'msg', { len: 2 });
    const items = readList(data, 'req', 'items').map((x) => readUint(x, 'req', 'item'));
    const sent: Sent = { reqID, code, items, maxCost, bleBefore, allowed, settled: false };
    this.sent.push(sent);
    return new Promise<ReplyLike>((resolve, reject) => {
      const timer = this.timers.setTimeout(() => {
        this.#pending.delete(reqID);
        sent.settled = true;
        reject(new RequestTimeoutError(code, reqID, timeoutMs));
      }, timeoutMs);
      this.#pending.set(reqID, { resolve, reject, timer });
    });
  }

  /** Reply to `sent` with `values` (default: the honest 2n for each item), BV = BL unless given. */
  answer(sent: Sent, values: Array<number | RlpItem> = sent.items.map((n) => 2 * n), bv = this.flow.bl): void {
    const p = this.#pending.get(sent.reqID);
    if (p === undefined) throw new Error(`request ${sent.reqID} is not pending`);
    this.#pending.delete(sent.reqID);
    this.timers.clearTimeout(p.timer);
    sent.settled = true;
    this.flow.onReply(sent.reqID, bv);
    const payload = encodeRlp([encodeUint(sent.reqID), encodeUint(bv), values.map((v) => (typeof v === 'number' ? encodeUint(v) : v))]);
    p.resolve({ reqID: sent.reqID, bv, payload });
  }

  /** The messages not yet answered. */
  open(): Sent[] {
    return this.sent.filter((s) => !s.settled);
  }

  recordAnswer(outcome: AnswerOutcome): void {
    this.answers.push(outcome);
    if (outcome === 'invalid') {
      this.invalidAnswers++;
      this.score *= 0.5;
    } else if (outcome === 'timeout') this.score *= 0.7;
  }

  disconnect(why: string): void {
    this.disconnectedWhy = why;
    this.connected = false;
    for (const [reqID, p] of this.#pending) {
      this.timers.clearTimeout(p.timer);
      p.reject(new PeerClosedError(undefined, 'local'));
      this.#pending.delete(reqID);
      const s = this.sent.find((x) => x.reqID === reqID);
      if (s !== undefined) s.settled = true;
    }
    this.source.changed();
  }

  /** StopMsg: the estimate stops, what was in flight is lost (never answered). */
  stop(): void {
    this.flow.onStop();
    this.source.stopped(this);
  }

  resume(bv: number): void {
    this.flow.onResume(bv);
    this.source.changed();
  }
}

export class FakeSource implements ServerSource {
  readonly list: FakeServer[] = [];
  readonly #listeners = new Set<SourceListener>();

  constructor(readonly timers: ManualTimers) {}

  add(id: string, opts: ConstructorParameters<typeof FakeServer>[3] = {}): FakeServer {
    const s = new FakeServer(id, this.timers, this, opts);
    this.list.push(s);
    this.changed();
    return s;
  }

  servers(): readonly SchedulableServer[] {
    return this.list.filter((s) => s.connected);
  }

  subscribe(listener: SourceListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed(): void {
    for (const l of this.#listeners) l.change();
  }

  stopped(s: FakeServer): void {
    for (const l of this.#listeners) l.stop(s);
  }
}

/**
 * Items are block numbers n; a server can serve n up to its head; the verified answer is 2n.
 * A missing value is "unanswered"; a wrong one is a VerificationError.
 */
export function doubleKind(maxItems = 64, name = 'double'): OdrKind<number, number> {
  return {
    name,
    code: GET_RECEIPTS,
    maxItems,
    units: () => 1,
    canServe: (server, n) => n <= server.head.number,
    blockOf: (n) => n,
    key: (n) => String(n),
    encode: (reqID, items) => encodeRlp([encodeUint(reqID), items.map((n) => encodeUint(n))]),
    verify(items, payload) {
      const [, , data] = readList(decodeRlp(payload, 'reply'), 'reply', 'msg', { len: 3 });
      const values = readList(data, 'reply', 'values', { max: items.length });
      return items.map((n, i) => {
        const v = values[i];
        if (v === undefined) return undefined;
        const got = readUint(v, 'reply', `values[${i}]`);
        if (got !== 2 * n) throw new VerificationError('FIELD_MISMATCH', `values[${i}]`, `${got} is not ${2 * n}`);
        return got;
      });
    },
  };
}
