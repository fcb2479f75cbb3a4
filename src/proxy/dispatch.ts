/**
 * Answers one JSON-RPC body (single or batch), for HTTP and WebSocket alike: routes each call to
 * the verifying backend, to a transport-local method (eth_subscribe on a WebSocket), or — only for
 * the methods the operator opted in to — to the upstream node; refuses everything else with
 * -32601. Each call has a deadline and follows the caller's abort signal; batches are answered in
 * order with bounded concurrency. Never throws: every failure becomes a JSON-RPC error.
 */
import type { Logger } from 'pino';
import { MethodNotFoundError } from '../client/methods/errors.js';
import { mapLimit } from '../client/methods/format.js';
import type { ProxyBackend } from './backend.js';
import { ProxyError, rpcErrorOf } from './errors.js';
import { type Call, type Entry, NULL_ID, batchText, errorText, parsePayload, resultText } from './jsonrpc.js';
import type { CallSource, ProxyMetrics, Transport } from './metrics.js';
import type { ProxyUpstream } from './upstream.js';

export type LocalMethod = (params: unknown, signal: AbortSignal) => Promise<unknown> | unknown;

export interface CallContext {
  transport: Transport;
  /** Aborts when the caller has gone (the answer is then discarded). */
  signal: AbortSignal;
  /** Methods this connection answers itself (eth_subscribe / eth_unsubscribe on a WebSocket). */
  local?: ReadonlyMap<string, LocalMethod>;
}

export interface DispatcherOptions {
  backend: ProxyBackend;
  metrics: ProxyMetrics;
  log: Logger;
  maxBatch: number;
  timeoutMs: number;
  batchConcurrency: number;
  /** Methods forwarded unverified to `upstream` when the backend does not have them. */
  unverified: ReadonlySet<string>;
  upstream: ProxyUpstream | undefined;
}

interface Route {
  source: CallSource;
  /** The metric label (unknown names are folded into one label: callers choose them). */
  label: string;
  run(signal: AbortSignal): Promise<unknown>;
}

const REJECT_REASON: Readonly<Record<string, string>> = {
  PARSE_ERROR: 'parse_error',
  BATCH_TOO_LARGE: 'batch_too_large',
  INVALID_REQUEST: 'empty_batch',
};

/** Runs `run` until it settles, the deadline passes or `outer` aborts, whichever comes first. */
function withDeadline<T>(run: (signal: AbortSignal) => Promise<T>, outer: AbortSignal, timeoutMs: number): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  return new Promise<T>((resolve, reject) => {
    const stop = (err: ProxyError) => {
      ctl.abort(err);
      reject(err);
    };
    onAbort = () => stop(new ProxyError('ABORTED', 'the caller went away'));
    if (outer.aborted) return onAbort();
    outer.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => stop(new ProxyError('TIMEOUT', `no answer within ${timeoutMs} ms`)), timeoutMs);
    Promise.resolve()
      .then(() => run(ctl.signal))
      .then(resolve, reject);
  }).finally(() => {
    clearTimeout(timer);
    if (onAbort !== undefined) outer.removeEventListener('abort', onAbort);
  });
}

export class Dispatcher {
  constructor(readonly options: DispatcherOptions) {}

  /** The response text for a body (bytes are UTF-8), or undefined when nothing is to be sent (notifications only). */
  async handle(body: string | Uint8Array, ctx: CallContext): Promise<string | undefined> {
    const o = this.options;
    const payload = parsePayload(body, o.maxBatch);
    switch (payload.kind) {
      case 'error':
        o.metrics.rejected(REJECT_REASON[payload.error.code] ?? 'invalid_request');
        o.log.debug({ transport: ctx.transport, code: payload.error.code }, payload.error.message);
        return errorText(NULL_ID, rpcErrorOf(payload.error));
      case 'single':
        return this.#entry(payload.entry, ctx);
      case 'batch': {
        const parts = await mapLimit(payload.entries, o.batchConcurrency, (e) => this.#entry(e, ctx));
        const sent = parts.filter((p): p is string => p !== undefined);
        return sent.length === 0 ? undefined : batchText(sent);
      }
    }
  }

  async #entry(entry: Entry, ctx: CallContext): Promise<string | undefined> {
    if (entry.kind === 'invalid') {
      this.options.metrics.rejected('invalid_request');
      return errorText(entry.idText, entry.error);
    }
    return this.#call(entry.call, ctx);
  }

  #route(call: Call, ctx: CallContext): Route {
    const o = this.options;
    const { method, params } = call;
    const local = ctx.local?.get(method);
    if (local !== undefined) return { source: 'proxy', label: method, run: async (signal) => local(params, signal) };
    if (o.backend.has(method)) return { source: 'verified', label: method, run: (signal) => o.backend.request(method, params, signal) };
    const upstream = o.upstream;
    if (upstream !== undefined && o.unverified.has(method)) {
      return { source: 'unverified', label: method, run: (signal) => upstream.request(method, params, signal) };
    }
    return { source: 'none', label: 'unknown', run: () => Promise.reject(new MethodNotFoundError(method)) };
  }

  async #call(call: Call, ctx: CallContext): Promise<string | undefined> {
    const o = this.options;
    const started = performance.now();
    const route = this.#route(call, ctx);
    let text: string | undefined;
    let code: number | undefined;
    let outcome: string | undefined;
    try {
      const result = await withDeadline(route.run, ctx.signal, o.timeoutMs);
      if (call.idText !== undefined) text = resultText(call.idText, result);
    } catch (err) {
      const rpc = rpcErrorOf(err);
      code = rpc.code;
      if (err instanceof ProxyError && (err.code === 'TIMEOUT' || err.code === 'ABORTED')) outcome = err.code === 'TIMEOUT' ? 'timeout' : 'aborted';
      if (rpc.code === -32603 && outcome !== 'aborted') o.log.warn({ err, method: call.method, source: route.source }, 'call failed');
      else o.log.debug({ method: call.method, code: rpc.code, message: rpc.message }, 'call answered with an error');
      if (call.idText !== undefined) text = errorText(call.idText, rpc);
    }
    if (route.source === 'unverified') o.log.info({ method: call.method, ok: code === undefined }, 'forwarded unverified to the upstream node');
    o.metrics.call(route.label, route.source, ctx.transport, code, (performance.now() - started) / 1000, outcome);
    return text;
  }
}
