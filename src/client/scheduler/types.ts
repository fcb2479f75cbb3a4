/**
 * What the scheduler needs from the servers it schedules over, kept apart from the server pool so
 * the choice logic can be tested with fakes. The pool's ConnectedServer implements
 * SchedulableServer over a LesPeer; the pool implements ServerSource.
 */
import type { MrcTable } from '../../flow/index.js';
import type { RequestCode } from '../../wire/codes.js';
import type { ServerView } from '../contracts.js';

/** The read side of a ServerBufferEstimate (src/flow): the send gate. */
export interface FlowGate {
  readonly stopped: boolean;
  readonly bl: number;
  readonly mrr: number;
  /** BLE now. */
  readonly ble: number;
  canSend(maxCost: number): boolean;
  /** ms until canSend(maxCost); Infinity while stopped or if it never can. */
  waitTime(maxCost: number): number;
}

/** The parts of a reply the scheduler reads. */
export interface ReplyLike {
  reqID: bigint;
  bv: number;
  /** The whole reply message `[reqID, BV, data]`, what OdrKind.verify decodes. */
  payload: Uint8Array;
}

/** How an answer went, for the server's reliability score. */
export type AnswerOutcome = 'valid' | 'invalid' | 'timeout';

export interface SchedulableServer extends ServerView {
  /** Handshaken and not closed. */
  readonly connected: boolean;
  readonly flow: FlowGate;
  /** flowControl/MRC as announced (updated by announces). */
  readonly mrc: MrcTable;
  /** Invalid answers on this connection. */
  readonly invalidAnswers: number;
  /**
   * Send `build(reqID)` as request `code`, booking `maxCost` on the flow estimate at the moment
   * it is sent, and resolve with the reply (its BV already applied to the estimate, its round
   * trip to the RTT average). Rejects with the net layer's errors (RequestTimeoutError after
   * `timeoutMs`, PeerClosedError) or with what `build` threw.
   */
  request(code: RequestCode, build: (reqID: bigint) => Uint8Array, maxCost: number, timeoutMs: number): Promise<ReplyLike>;
  /** Score the server for an answer. */
  recordAnswer(outcome: AnswerOutcome): void;
  /** Drop the connection (hard timeout, too many invalid answers); the pool decides on reconnecting. */
  disconnect(why: string): void;
}

/** What the scheduler listens to. */
export interface SourceListener {
  /** A server connected, disconnected, resumed, or changed what it serves: look again. */
  change(): void;
  /** The server sent StopMsg: what is in flight there will never be answered. */
  stop(server: SchedulableServer): void;
}

export interface ServerSource {
  servers(): readonly SchedulableServer[];
  /** Returns the unsubscribe function. */
  subscribe(listener: SourceListener): () => void;
}

/** Time and timers, injected so the scheduler runs under a manual clock in tests. */
export interface Timers {
  /** Monotonic ms (the same clock as the flow estimates). */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Run `fn` soon, after the current synchronous work (lets same-tick requests coalesce). */
  defer(fn: () => void): void;
}

export const systemTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  defer: (fn) => setImmediate(fn),
};

/** The few pino methods used here (a pino logger fits); the default logs nothing. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {} };
