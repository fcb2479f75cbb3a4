/**
 * Forwarding of the methods the operator opted in to (`--unverified eth_foo --upstream URL`):
 * one JSON-RPC call over HTTP to the upstream node, its answer passed through unverified.
 */
import { ProxyError, UpstreamRpcError } from './errors.js';

/**
 * Where the unverified methods go: an http(s) URL (`Upstream` below), or an object of the
 * embedder's that answers them itself (the devnet forwards test methods to its node and then
 * waits for the verified head to follow). Errors it throws as UpstreamRpcError reach the caller
 * with their code and data.
 */
export interface ProxyUpstream {
  /** Named in logs. */
  readonly url: string;
  request(method: string, params: unknown, signal: AbortSignal): Promise<unknown>;
}

export class Upstream implements ProxyUpstream {
  #nextId = 1;

  constructor(readonly url: string) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ProxyError('BAD_OPTIONS', `upstream "${url}" is not a URL`, { field: 'upstream' });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new ProxyError('BAD_OPTIONS', 'upstream must be an http(s):// URL', { field: 'upstream' });
    }
  }

  async request(method: string, params: unknown, signal: AbortSignal): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method, params: params ?? [] });
    let text: string;
    try {
      const res = await fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
      text = await res.text();
    } catch (cause) {
      if (signal.aborted) throw signal.reason;
      throw new ProxyError('UPSTREAM_FAILED', 'the upstream node did not answer', { cause });
    }
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch (cause) {
      throw new ProxyError('UPSTREAM_FAILED', 'the upstream node sent a body that is not JSON', { cause });
    }
    if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) {
      throw new ProxyError('UPSTREAM_FAILED', 'the upstream node sent something other than a JSON-RPC response');
    }
    const r = reply as { result?: unknown; error?: unknown };
    if (r.error !== undefined) {
      const e = r.error as { code?: unknown; message?: unknown; data?: unknown } | null;
      const code = typeof e?.code === 'number' && Number.isInteger(e.code) ? e.code : -32603;
      const message = typeof e?.message === 'string' ? e.message : 'upstream error';
      throw new UpstreamRpcError(code, message, e?.data);
    }
    if (!Object.hasOwn(r, 'result')) throw new ProxyError('UPSTREAM_FAILED', 'the upstream node sent a response without result or error');
    return r.result;
  }
}
