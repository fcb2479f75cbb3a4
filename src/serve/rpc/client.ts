/**
 * A small typed JSON-RPC 2.0 client for the execution node the server follows (HTTP, node:http with
 * keep-alive; rpc/post.ts).
 * Single and batch calls, a timeout per call, typed errors (NodeRpcError), and retries of
 * transient failures only for reads: a write (eth_sendRawTransaction, anvil_mine, ...) that timed
 * out may have happened, so it is never sent twice.
 *
 * It may hold a list of node URLs: calls go to the current one; after a transient failure (no
 * answer, timeout, HTTP error) the next call goes to the next URL in the list. `setUrls` replaces
 * the list at run time and rotates back to its first URL (the operator's `rpc_url` command).
 */
import { NodeRpcError } from './errors.js';
import { type Post, fetchPost, httpPost } from './post.js';

export interface RpcCall {
  method: string;
  params?: unknown[];
}

export type RpcSettled<T = unknown> = { ok: true; result: T } | { ok: false; error: NodeRpcError };

export interface NodeRpcClientOptions {
  url: string;
  /** Further URLs to fail over to, after `url`. */
  fallbackUrls?: readonly string[];
  /** Per call (a batch is one call). Default 30 s. */
  timeoutMs?: number;
  /** Extra attempts for a read after a transient failure. Default 2. */
  retries?: number;
  /** Wait before the first retry, doubled for each further one. Default 200 ms. */
  retryDelayMs?: number;
  headers?: Record<string, string>;
  /** Largest answer body read; a longer one is refused (a broken or hostile node cannot exhaust memory). Default 256 MiB. */
  maxResponseBytes?: number;
  /** Injected for tests: requests go through it instead of node:http. */
  fetch?: typeof fetch;
}

export interface CallOptions {
  timeoutMs?: number;
}

/** Methods that only read: retrying them after a lost answer cannot change anything. */
const READ_METHODS = new Set([
  'eth_chainId', 'eth_blockNumber', 'eth_call', 'eth_estimateGas', 'eth_feeHistory', 'eth_gasPrice',
  'eth_maxPriorityFeePerGas', 'eth_blobBaseFee', 'eth_syncing', 'net_version', 'web3_clientVersion',
  'anvil_dumpState', 'anvil_nodeInfo', 'anvil_metadata',
]);
/** eth_get* reads, except the filter calls that consume what they return. */
const NOT_READS = new Set(['eth_getFilterChanges', 'eth_getWork']);

export function isReadMethod(method: string): boolean {
  if (READ_METHODS.has(method)) return true;
  if (NOT_READS.has(method)) return false;
  return method.startsWith('eth_get') || method.startsWith('debug_trace') || method.startsWith('debug_getRaw');
}

interface JsonRpcAnswer {
  id: unknown;
  result?: unknown;
  error?: unknown;
}

export class NodeRpcClient {
  #urls: string[];
  #current = 0;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly headers: Record<string, string>;
  private readonly maxResponseBytes: number;
  readonly #post: Post;
  private nextId = 1;

  constructor(options: NodeRpcClientOptions) {
    this.#urls = [options.url, ...(options.fallbackUrls ?? [])];
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.headers = { 'content-type': 'application/json', ...options.headers };
    this.maxResponseBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
    this.#post = options.fetch === undefined ? httpPost() : fetchPost(options.fetch);
  }

  /** The URL calls go to now. */
  get url(): string {
    return this.#urls[this.#current] as string;
  }

  get urls(): readonly string[] {
    return [...this.#urls];
  }

  /** Replaces the URL list and goes to its first URL. */
  setUrls(urls: readonly string[]): void {
    if (urls.length === 0) throw new RangeError('setUrls needs at least one URL');
    this.#urls = [...urls];
    this.#current = 0;
  }

  /** One call; resolves to its `result`, throws NodeRpcError. */
  async call<T = unknown>(method: string, params: unknown[] = [], options: CallOptions = {}): Promise<T> {
    const [answer] = await this.send([{ method, params }], false, options);
    if (answer === undefined) throw new NodeRpcError('NODE_BAD_RESPONSE', method, 'no answer');
    if (!answer.ok) throw answer.error;
    return answer.result as T;
  }

  /** Several calls in one request; resolves to their results in order, throws the first error. */
  async batch(calls: readonly RpcCall[], options: CallOptions = {}): Promise<unknown[]> {
    const answers = await this.batchSettled(calls, options);
    return answers.map((a) => {
      if (!a.ok) throw a.error;
      return a.result;
    });
  }

  /** Several calls in one request; each answer separately. Throws only if the request as a whole failed. */
  async batchSettled(calls: readonly RpcCall[], options: CallOptions = {}): Promise<RpcSettled[]> {
    if (calls.length === 0) return [];
    return this.send(calls, true, options);
  }

  private async send(calls: readonly RpcCall[], asBatch: boolean, options: CallOptions): Promise<RpcSettled[]> {
    const label = asBatch ? `batch[${calls.map((c) => c.method).join(',')}]` : (calls[0]?.method ?? '?');
    const canRetry = calls.every((c) => isReadMethod(c.method));
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(calls, asBatch, label, options.timeoutMs ?? this.timeoutMs);
      } catch (e) {
        if (!(e instanceof NodeRpcError) || !e.transient || !canRetry || attempt >= this.retries) throw e;
        await new Promise((r) => setTimeout(r, this.retryDelayMs * 2 ** attempt));
      }
    }
  }

  private async sendOnce(calls: readonly RpcCall[], asBatch: boolean, label: string, timeoutMs: number): Promise<RpcSettled[]> {
    const ids = calls.map(() => this.nextId++);
    const bodies = calls.map((c, i) => ({ jsonrpc: '2.0', id: ids[i], method: c.method, params: c.params ?? [] }));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const url = this.url;
    let text: string;
    let status: number;
    try {
      const answer = await this.#post(url, this.headers, JSON.stringify(asBatch ? bodies : bodies[0]), controller.signal, this.maxResponseBytes);
      status = answer.status;
      if (answer.text === undefined) {
        controller.abort();
        throw new NodeRpcError('NODE_BAD_RESPONSE', label, `answer longer than ${this.maxResponseBytes} bytes`, { field: 'body' });
      }
      text = answer.text;
    } catch (cause) {
      if (cause instanceof NodeRpcError) throw cause;
      this.#failedOver(url);
      if (controller.signal.aborted) throw new NodeRpcError('NODE_TIMEOUT', label, `no answer within ${timeoutMs} ms`, { cause });
      throw new NodeRpcError('NODE_UNREACHABLE', label, `cannot reach ${url}: ${(cause as Error).message}`, { cause });
    } finally {
      clearTimeout(timer);
    }
    if (status >= 500) this.#failedOver(url);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      if (status !== 200) throw new NodeRpcError('NODE_HTTP_ERROR', label, `HTTP ${status}`, { httpStatus: status });
      throw new NodeRpcError('NODE_BAD_RESPONSE', label, 'answer is not JSON', { field: 'body', cause });
    }
    // Some nodes answer a rejected request with one error object (even with HTTP 4xx/5xx).
    if (isObject(json) && !Array.isArray(json) && 'error' in json && (asBatch || json.id === null)) {
      throw this.rpcError(label, json.error, 'error');
    }
    if (status !== 200) throw new NodeRpcError('NODE_HTTP_ERROR', label, `HTTP ${status}`, { httpStatus: status });
    const list = asBatch ? json : [json];
    if (!Array.isArray(list)) throw new NodeRpcError('NODE_BAD_RESPONSE', label, 'batch answer is not an array', { field: 'body' });
    const byId = new Map<unknown, JsonRpcAnswer>();
    for (const item of list) if (isObject(item)) byId.set(item.id, item as unknown as JsonRpcAnswer);
    return calls.map((c, i) => {
      const a = byId.get(ids[i]);
      if (a === undefined) {
        return { ok: false, error: new NodeRpcError('NODE_BAD_RESPONSE', c.method, `no answer with id ${ids[i]}`, { field: 'id' }) };
      }
      if (a.error !== undefined && a.error !== null) return { ok: false, error: this.rpcError(c.method, a.error, 'error') };
      if (!('result' in a)) return { ok: false, error: new NodeRpcError('NODE_BAD_RESPONSE', c.method, 'answer has neither result nor error', { field: 'result' }) };
      return { ok: true, result: a.result };
    });
  }

  /** After a transient failure at `url`, the next call goes to the next URL (if `url` is still the current one). */
  #failedOver(url: string): void {
    if (this.#urls.length > 1 && this.url === url) this.#current = (this.#current + 1) % this.#urls.length;
  }

  private rpcError(method: string, error: unknown, field: string): NodeRpcError {
    if (!isObject(error) || typeof error.code !== 'number' || typeof error.message !== 'string') {
      return new NodeRpcError('NODE_BAD_RESPONSE', method, 'malformed JSON-RPC error object', { field });
    }
    return new NodeRpcError('NODE_RPC_ERROR', method, error.message, { rpcCode: error.code, data: error.data });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
