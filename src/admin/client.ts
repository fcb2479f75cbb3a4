/**
 * A client of a management endpoint (what `lesp admin` uses): one JSON-RPC call with a bearer
 * token, large integers kept exact (json.ts). Failures are AdminClientError of one of three
 * kinds: `unreachable` (no answer from the URL), `unauthorized` (HTTP 401: the token was
 * refused), `rpc` (the method answered an error: `rpcCode`, message, data).
 */
import { LespError } from '../errors.js';
import { parseJson, stringifyJson } from './json.js';

export type AdminClientErrorKind = 'unreachable' | 'unauthorized' | 'rpc' | 'bad-response';

export class AdminClientError extends LespError {
  readonly kind: AdminClientErrorKind;
  readonly rpcCode: number | undefined;
  readonly data: unknown;

  constructor(kind: AdminClientErrorKind, message: string, options: { rpcCode?: number; data?: unknown; cause?: unknown } = {}) {
    super(`ADMIN_${kind.toUpperCase().replace('-', '_')}`, message, { cause: options.cause });
    this.kind = kind;
    this.rpcCode = options.rpcCode;
    this.data = options.data;
  }
}

export interface AdminClientOptions {
  url: string;
  token: string;
  timeoutMs?: number;
}

export class AdminClient {
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  #id = 1;

  constructor(options: AdminClientOptions) {
    this.url = options.url;
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Calls `method`; resolves with its result and the answer's raw text. */
  async call(method: string, params: unknown[] = []): Promise<{ result: unknown; text: string }> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#token}` },
        body: stringifyJson({ jsonrpc: '2.0', id: this.#id++, method, params }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      const why = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
      throw new AdminClientError('unreachable', `cannot reach ${this.url} (${why})`, { cause });
    }
    const text = await res.text();
    if (res.status === 401) throw new AdminClientError('unauthorized', `${this.url} refused the token (HTTP 401)`, { rpcCode: -32001 });
    let body: unknown;
    try {
      body = parseJson(text);
    } catch (cause) {
      throw new AdminClientError('bad-response', `${this.url} answered HTTP ${res.status} with something that is not JSON`, { cause });
    }
    const answer = body as { result?: unknown; error?: { code?: unknown; message?: unknown; data?: unknown } };
    if (answer.error !== undefined && answer.error !== null) {
      const code = typeof answer.error.code === 'number' ? answer.error.code : undefined;
      throw new AdminClientError('rpc', `${String(answer.error.message)}${code === undefined ? '' : ` (${code})`}`, { rpcCode: code, data: answer.error.data });
    }
    if (!('result' in answer)) throw new AdminClientError('bad-response', `${this.url} answered HTTP ${res.status} without a result`);
    // The result's own text, for --json: exact, as the server wrote it.
    return { result: answer.result, text: stringifyJson(answer.result, 2) };
  }
}
