/**
 * Pending requests of one peer, matched to replies by reqID. A reply whose reqID is unknown, or
 * whose code is not the one its request expects, is reported to the caller of `deliver` (the
 * peer counts it as a protocol error); it never rejects some other request. A reply for a
 * request that already timed out is told apart ("late"): a slow server is not a lying one; a
 * second reply to it is unknown. `classify` tells the outcome from the reqID alone, so the peer
 * decodes only replies someone waits for.
 */
import { REPLY_OF } from '../wire/codes.js';
import type { Reply } from './envelope.js';
import { RequestTimeoutError } from './errors.js';

/** How many timed-out reqIDs are remembered to recognise late replies. */
const REMEMBER_EXPIRED = 256;

interface Pending {
  code: number;
  replyCode: number;
  timer: ReturnType<typeof setTimeout>;
  resolve(reply: Reply): void;
  reject(err: Error): void;
}

export type DeliverResult = 'matched' | 'wrong-code' | 'late' | 'unknown';

export class RequestTable {
  #next = 1n;
  #pending = new Map<bigint, Pending>();
  #expired = new Set<bigint>();
  #closedWith: Error | undefined;
  readonly #onTimeout: ((err: RequestTimeoutError) => void) | undefined;

  constructor(options: { onTimeout?: (err: RequestTimeoutError) => void } = {}) {
    this.#onTimeout = options.onTimeout;
  }

  /** A reqID not used before on this table. */
  nextReqID(): bigint {
    return this.#next++;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Wait for the reply to request `code` sent with `reqID`. */
  wait(reqID: bigint, code: number, timeoutMs: number): Promise<Reply> {
    const replyCode = REPLY_OF.get(code);
    if (replyCode === undefined) return Promise.reject(new RangeError(`0x${code.toString(16)} is not a request code`));
    if (this.#closedWith !== undefined) return Promise.reject(this.#closedWith);
    if (this.#pending.has(reqID)) return Promise.reject(new RangeError(`reqID ${reqID} is already pending`));
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(reqID);
        this.#remember(reqID);
        const err = new RequestTimeoutError(code, reqID, timeoutMs);
        this.#onTimeout?.(err);
        reject(err);
      }, timeoutMs);
      this.#pending.set(reqID, { code, replyCode, timer, resolve, reject });
    });
  }

  /** Give up on one request (its send failed). */
  cancel(reqID: bigint, err: Error): void {
    const p = this.#pending.get(reqID);
    if (p === undefined) return;
    clearTimeout(p.timer);
    this.#pending.delete(reqID);
    p.reject(err);
  }

  /** What `deliver` would do with a reply `code` carrying `reqID`, without doing it. */
  classify(reqID: bigint, code: number): DeliverResult {
    const p = this.#pending.get(reqID);
    if (p === undefined) return this.#expired.has(reqID) ? 'late' : 'unknown';
    return p.replyCode === code ? 'matched' : 'wrong-code';
  }

  /** A late reply was received: one per timed-out request, any further one is unknown. */
  forgetLate(reqID: bigint): void {
    this.#expired.delete(reqID);
  }

  deliver(reply: Reply): DeliverResult {
    const p = this.#pending.get(reply.reqID);
    if (p === undefined) {
      if (!this.#expired.has(reply.reqID)) return 'unknown';
      this.#expired.delete(reply.reqID);
      return 'late';
    }
    if (p.replyCode !== reply.code) return 'wrong-code';
    clearTimeout(p.timer);
    this.#pending.delete(reply.reqID);
    p.resolve(reply);
    return 'matched';
  }

  /** Reject everything pending and every later `wait` with `err` (the connection closed). */
  rejectAll(err: Error): void {
    this.#closedWith ??= err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  #remember(reqID: bigint): void {
    this.#expired.add(reqID);
    if (this.#expired.size > REMEMBER_EXPIRED) {
      const oldest = this.#expired.values().next().value;
      if (oldest !== undefined) this.#expired.delete(oldest);
    }
  }
}
