/**
 * The shape of one request handler. Each request code has one declarative handler object (see
 * table.ts): how many items a request asks for (the n of its max cost), whether this server
 * serves the type at all, and how to serve it. Serving returns an encoder that is given the
 * reply's BV once the real cost is known; `fallback` is the honest "nothing available" answer
 * sent when serving failed on our side (the node unreachable, a store error).
 */
import type { RequestCode } from '../../../wire/index.js';
import type { ServeBackend } from '../backend.js';
import type { BeaconRelay } from '../beacon-relay.js';

/** pino-compatible logger. */
export interface ServeLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const silentLog: ServeLog = { debug() {}, info() {}, warn() {}, error() {} };

export interface ServePolicy {
  /** Status serveRecentState: 0 = every block since the state start; N = the N latest blocks. */
  recentState: number;
  /** Status recentTxLookup (les/4): 0 = all, 1 = none, N = the N−1 latest blocks. */
  recentTxLookup: number;
  /** Status txRelay: SendTxV2 is served. */
  txRelay: boolean;
}

export interface ServeContext {
  backend: ServeBackend;
  policy: ServePolicy;
  log: ServeLog;
  /** The beacon extension's source: set when the server relays its beacon node's light-client data. */
  beacon?: BeaconRelay;
}

/** Builds the reply `[reqID, BV, data]` once the BV is known. */
export type ReplyEncoder = (reqID: bigint, bv: number) => Uint8Array;

/** What serving one request found: the reply, and how many items were refused or unknown (stats). */
export interface Served {
  encode: ReplyEncoder;
  /** Items not answered (unknown blocks, state not servable, sections not built). */
  refused: number;
}

export interface Handler<M> {
  readonly code: RequestCode;
  /** The reply's message code. */
  readonly replyCode: number;
  /** Items the request asks for: max cost = baseCost + reqCost × items. */
  items(msg: M): number;
  /** False when this server does not serve the type (SendTxV2 without txRelay). */
  served(ctx: ServeContext): boolean;
  serve(ctx: ServeContext, msg: M): Promise<Served>;
  fallback(msg: M): ReplyEncoder;
}

/** Soft cap on a reply's size (DESIGN §4): a handler stops adding items once past it. */
export { SOFT_REPLY_SIZE } from '../../../wire/index.js';
