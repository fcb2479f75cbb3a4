/**
 * The path of one request (go-ethereum's server_handler): decode it with src/wire, count its
 * items, price it from our MRC table, check the client's buffer, serve it through the handler
 * table, measure the real cost (serving time in ns, never above the max cost), refund the rest and
 * reply with the BV.
 *
 * Bad requests — malformed (a ProtocolError from the codec or the envelope), over a per-request
 * limit, of a type this server does not serve, a reqID already being served, or any message a
 * client must not send — are not answered; each is charged (its max cost when it can be priced,
 * else BAD_REQUEST_PENALTY) and counted. At `maxBadRequests` (default MAX_BAD_REQUESTS; LesService
 * passes its own, 10 by default) the client is disconnected (SubprotocolError, as the reference
 * server's protocol errors were).
 *
 * Every cost taken from a client's buffer (the real cost of a served request, the charge of a bad
 * one) is also reported through `onCharge`, which the client pool turns into balance charges; the
 * requests of a session with `logged` set are written to the log one by one.
 */
import { type MrcTable, maxCost } from '../../flow/index.js';
import { DisconnectReason, type IncomingRequest } from '../../net/index.js';
import { LespError } from '../../errors.js';
import {
  Code,
  MAX_BAD_REQUESTS,
  ProtocolError,
  type RequestCode,
  type RlpItem,
  codecOf,
  codeName,
  isRequestCode,
} from '../../wire/index.js';
import type { Handler, ServeContext, Served } from './handlers/types.js';
import { HANDLERS } from './handlers/table.js';
import type { ClientSession } from './session.js';

/** Charged for a message that cannot be priced: the max cost of one helper-trie proof or one block's receipts. */
export const BAD_REQUEST_PENALTY = 2_000_000;

/** Cost units are nanoseconds of serving time. */
const NS_PER_MS = 1_000_000;

/**
 * Sees each reply just before it is sent and returns the bytes to send instead. A test seam only
 * (lying and slow servers in the acceptance tests); production never sets one.
 */
export type ReplyTransform = (reply: { clientId: string; code: RequestCode; request: unknown; bytes: Uint8Array }) => Uint8Array | Promise<Uint8Array>;

export type BadRequestKind = 'malformed' | 'over-limit' | 'unserved' | 'duplicate-reqid' | 'unexpected';

export interface DispatcherOptions {
  now?: () => number;
  /** Bad requests that end a connection. Default MAX_BAD_REQUESTS. */
  maxBadRequests?: number;
  /** A cost (cost units) was taken from `session`'s buffer. */
  onCharge?: (session: ClientSession, cost: number) => void;
}

export interface DispatchTotals {
  requests: number;
  served: number;
  /** Transactions relayed (items of served SendTxV2 requests). */
  txs: number;
  bad: number;
  dropped: number;
  failed: number;
  disconnectedForBadRequests: number;
  byCode: Record<string, { served: number; bad: number; realCost: number }>;
}

export class RequestDispatcher {
  readonly totals: DispatchTotals = { requests: 0, served: 0, txs: 0, bad: 0, dropped: 0, failed: 0, disconnectedForBadRequests: 0, byCode: {} };
  readonly maxBadRequests: number;
  readonly #ctx: ServeContext;
  readonly #mrc: MrcTable;
  readonly #now: () => number;
  readonly #onCharge: (session: ClientSession, cost: number) => void;
  /** Test seam (see ReplyTransform); undefined in production. */
  replyTransform: ReplyTransform | undefined;

  constructor(ctx: ServeContext, mrc: MrcTable, options: DispatcherOptions = {}) {
    this.#ctx = ctx;
    this.#mrc = mrc;
    this.#now = options.now ?? (() => performance.now());
    this.#onCharge = options.onCharge ?? (() => {});
    this.maxBadRequests = options.maxBadRequests ?? MAX_BAD_REQUESTS;
  }

  /** A request that passed the peer's envelope check. Never rejects. */
  async handle(session: ClientSession, req: IncomingRequest): Promise<void> {
    session.counters.requests++;
    this.totals.requests++;
    if (session.logged) this.#ctx.log.info({ client: session.id.slice(0, 16), code: codeName.get(req.code) ?? req.code, reqID: req.reqID.toString(), bytes: req.payload.length }, 'serve: request (logged session)');
    if (!isRequestCode(req.code)) return this.bad(session, 'unexpected', req.code, BAD_REQUEST_PENALTY, 'not a request code');
    const handler = HANDLERS[req.code] as Handler<unknown>;
    let msg: unknown;
    try {
      msg = codecOf(req.code).fromRlp(req.item);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      const over = err.code === 'LIMIT';
      const cost = over ? this.#priceAsked(req.code, req.data) : BAD_REQUEST_PENALTY;
      return this.bad(session, over ? 'over-limit' : 'malformed', req.code, cost, err.message);
    }
    const cost = maxCost(this.#mrc, req.code, handler.items(msg));
    if (!handler.served(this.#ctx)) return this.bad(session, 'unserved', req.code, cost, 'type not served');
    let admission;
    try {
      admission = session.flow.admit(req.reqID, cost);
    } catch (err) {
      if (err instanceof LespError && err.code === 'DUPLICATE_REQID') {
        return this.bad(session, 'duplicate-reqid', req.code, cost, err.message);
      }
      throw err;
    }
    if (admission === 'dropped') this.totals.dropped++;
    if (admission !== 'accepted') return;
    await this.#serve(session, handler, req, msg, cost);
  }

  /** Counts and charges a bad message; disconnects at the limit. */
  bad(session: ClientSession, kind: BadRequestKind, code: number, cost: number, detail: string): void {
    session.counters.bad++;
    this.totals.bad++;
    this.#byCode(code).bad++;
    this.#ctx.log.debug({ client: session.id.slice(0, 16), kind, code, detail, count: session.counters.bad }, 'serve: bad request');
    if (session.closed) return;
    if (session.counters.bad >= this.maxBadRequests) {
      this.totals.disconnectedForBadRequests++;
      this.#ctx.log.info({ client: session.id.slice(0, 16), bad: session.counters.bad }, 'serve: client disconnected after too many bad requests');
      session.disconnect(DisconnectReason.SubprotocolError);
      return;
    }
    session.flow.charge(cost);
    this.#onCharge(session, cost);
  }

  async #serve(session: ClientSession, handler: Handler<unknown>, req: IncomingRequest, msg: unknown, cost: number): Promise<void> {
    const started = this.#now();
    let served: Served;
    try {
      served = await handler.serve(this.#ctx, msg);
    } catch (err) {
      session.counters.failed++;
      this.totals.failed++;
      this.#ctx.log.warn({ err, client: session.id.slice(0, 16), code: req.code }, 'serve: request failed; answered as unavailable');
      served = { encode: handler.fallback(msg), refused: handler.items(msg) };
    }
    const realCost = Math.min(cost, Math.max(0, (this.#now() - started) * NS_PER_MS));
    const bv = session.flow.complete(req.reqID, realCost);
    session.counters.realCost += realCost;
    session.counters.refusedItems += served.refused;
    this.#onCharge(session, realCost);
    const stats = this.#byCode(req.code);
    stats.realCost += realCost;
    if (session.closed) return;
    try {
      let bytes = served.encode(req.reqID, bv);
      if (this.replyTransform !== undefined) {
        bytes = await this.replyTransform({ clientId: session.id, code: req.code as RequestCode, request: msg, bytes });
        if (session.closed) return;
      }
      session.send(handler.replyCode, bytes);
    } catch (err) {
      this.#ctx.log.error({ err, client: session.id.slice(0, 16), code: req.code }, 'serve: reply could not be sent');
      return;
    }
    session.counters.served++;
    this.totals.served++;
    stats.served++;
    if (req.code === Code.SendTxV2) {
      const txs = handler.items(msg);
      session.counters.txs += txs;
      this.totals.txs += txs;
    }
  }

  /** Max cost of what an over-limit request asked for: its item count, read from the raw list. */
  #priceAsked(code: RequestCode, data: RlpItem): number {
    if (!Array.isArray(data)) return BAD_REQUEST_PENALTY;
    const items = code === Code.GetBlockHeaders ? readAmount(data) : data.length;
    return items === undefined ? BAD_REQUEST_PENALTY : maxCost(this.#mrc, code, items);
  }

  #byCode(code: number): { served: number; bad: number; realCost: number } {
    const name = codeName.get(code) ?? `0x${code.toString(16)}`;
    return (this.totals.byCode[name] ??= { served: 0, bad: 0, realCost: 0 });
  }
}

/** The amount of a GetBlockHeaders query `[origin, amount, skip, reverse]`, if it is a small integer. */
function readAmount(query: RlpItem[]): number | undefined {
  const amount = query[1];
  if (!(amount instanceof Uint8Array) || amount.length > 6) return undefined;
  let v = 0;
  for (const b of amount) v = v * 256 + b;
  return v;
}
