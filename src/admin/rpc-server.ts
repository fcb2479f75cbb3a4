/**
 * The management JSON-RPC endpoint: HTTP POST on a port of its own, 127.0.0.1 by default, every
 * request carrying `Authorization: Bearer <token>`.
 *
 * Access is checked before anything else: no token, an unknown, revoked or expired one, or a
 * token whose session lacks a call's permission is answered HTTP 401 with JSON-RPC error -32001
 * "unauthorized" — the same answer for every case, nothing about why — and nothing runs (in a
 * batch, no call runs if any is refused). Then JSON-RPC 2.0: single calls and batches (run in
 * order), notifications, -32700/-32600/-32601/-32602/-32603. Integers beyond 2^53 travel as plain
 * JSON numbers both ways (json.ts). Parameters are positional.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LespError } from '../errors.js';
import { AdminRpcError, RpcCode, UNAUTHORIZED_MESSAGE } from './errors.js';
import { JsonSyntaxError, parseJson, stringifyJson } from './json.js';
import { type AdminLog, type MethodTable, silentAdminLog } from './methods/types.js';
import { allows } from './permissions.js';
import type { TokenRecord, TokenStore } from './tokens.js';

export const DEFAULT_ADMIN_HOST = '127.0.0.1';
/** The conventional admin port (`lesp serve --admin-port` without a value, `lesp admin` without --url). */
export const DEFAULT_ADMIN_PORT = 8549;
const MAX_BODY_BYTES = 1 << 20;
const MAX_BATCH = 100;

/** Errors of the layers below that mean the caller's input was wrong: -32602 naming the field. */
const PARAM_ERROR_CODES = new Set(['POOL_BAD_PARAM', 'POOL_NOT_CONNECTED', 'POOL_NO_CAPACITY', 'BAD_ENODE', 'INVALID_ENODE']);

export interface AdminRpcServerOptions {
  host?: string;
  /** 0: any free port. */
  port: number;
  tokens: TokenStore;
  methods: MethodTable;
  log?: AdminLog;
}

interface Call {
  id: string | number | null | undefined;
  method: string;
  params: unknown;
}

type Answer = { jsonrpc: '2.0'; id: string | number | null; result?: unknown; error?: { code: number; message: string; data?: unknown } };

const errorAnswer = (id: Call['id'], code: number, message: string, data?: unknown): Answer => ({
  jsonrpc: '2.0',
  id: id ?? null,
  error: data === undefined ? { code, message } : { code, message, data },
});

export class AdminRpcServer {
  readonly #options: AdminRpcServerOptions;
  readonly #log: AdminLog;
  readonly #server: Server;
  #address: AddressInfo | undefined;

  constructor(options: AdminRpcServerOptions) {
    this.#options = options;
    this.#log = options.log ?? silentAdminLog;
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#log.error({ err }, 'admin: request failed');
        if (!res.headersSent) this.#send(res, 500, errorAnswer(null, RpcCode.Internal, 'internal error'));
        else res.destroy();
      });
    });
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 30_000;
  }

  /** Starts listening; resolves with the URL. */
  async listen(): Promise<string> {
    const host = this.#options.host ?? DEFAULT_ADMIN_HOST;
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#options.port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    this.#address = this.#server.address() as AddressInfo;
    return this.url;
  }

  get url(): string {
    const a = this.#address;
    if (a === undefined) throw new Error('not listening');
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  }

  get address(): AddressInfo | undefined {
    return this.#address;
  }

  async close(): Promise<void> {
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = this.#authenticate(req);
    if (token === undefined || req.method !== 'POST') {
      req.resume();
      if (token === undefined) return this.#unauthorized(res, null);
      res.setHeader('allow', 'POST');
      return this.#send(res, 405, errorAnswer(null, RpcCode.InvalidRequest, 'use POST'));
    }
    const body = await readBody(req);
    if (body === undefined) return this.#send(res, 413, errorAnswer(null, RpcCode.InvalidRequest, `request body over ${MAX_BODY_BYTES} bytes`));
    let parsed: unknown;
    try {
      parsed = parseJson(body);
    } catch (err) {
      if (!(err instanceof JsonSyntaxError)) throw err;
      return this.#send(res, 200, errorAnswer(null, RpcCode.ParseError, `parse error: ${err.message}`));
    }
    const batch = Array.isArray(parsed);
    const items: unknown[] = Array.isArray(parsed) ? parsed : [parsed];
    if (items.length === 0 || items.length > MAX_BATCH) return this.#send(res, 200, errorAnswer(null, RpcCode.InvalidRequest, `a batch holds 1..${MAX_BATCH} calls`));
    const calls = items.map(toCall);
    // Every permission first: a batch with one refused call runs none.
    for (const c of calls) {
      if (c instanceof AdminRpcError) continue;
      const m = this.#options.methods.get(c.method);
      if (m !== undefined && !allows(token, m.permission)) {
        this.#log.warn({ token: token.id, method: c.method }, 'admin: call refused (permission)');
        return this.#unauthorized(res, batch ? null : (c.id ?? null));
      }
    }
    const after: Array<() => void> = [];
    const answers: Answer[] = [];
    for (const c of calls) {
      const a = c instanceof AdminRpcError ? errorAnswer(null, c.rpcCode, c.message) : await this.#run(c, token, after);
      if (a !== undefined) answers.push(a);
    }
    if (answers.length === 0) {
      res.writeHead(204).end();
    } else this.#send(res, 200, batch ? answers : answers[0]);
    for (const fn of after) setImmediate(fn);
  }

  async #run(c: Call, token: TokenRecord, after: Array<() => void>): Promise<Answer | undefined> {
    const method = this.#options.methods.get(c.method);
    const id = c.id ?? null;
    let answer: Answer;
    if (method === undefined) {
      answer = errorAnswer(id, RpcCode.MethodNotFound, `the method ${c.method} does not exist/is not available`);
    } else if (c.params !== undefined && !Array.isArray(c.params)) {
      answer = errorAnswer(id, RpcCode.InvalidParams, 'params: expected an array of positional parameters', { field: 'params' });
    } else {
      try {
        const result = await method.handler((c.params as unknown[] | undefined) ?? [], { token, afterResponse: (fn) => after.push(fn) });
        answer = { jsonrpc: '2.0', id, result: result ?? null };
        this.#log.info({ token: token.id, method: c.method }, 'admin: call');
      } catch (err) {
        answer = this.#errorOf(id, c.method, err);
      }
    }
    return c.id === undefined ? undefined : answer;
  }

  #errorOf(id: Answer['id'], method: string, err: unknown): Answer {
    if (err instanceof AdminRpcError) return errorAnswer(id, err.rpcCode, err.message, err.data);
    if (err instanceof LespError && PARAM_ERROR_CODES.has(err.code)) {
      const field = err.field;
      return errorAnswer(id, RpcCode.InvalidParams, err.message, field === undefined ? undefined : { field });
    }
    this.#log.error({ err, method }, 'admin: method failed');
    return errorAnswer(id, RpcCode.Internal, `internal error: ${(err as Error).message ?? String(err)}`);
  }

  #authenticate(req: IncomingMessage): TokenRecord | undefined {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m === null) return undefined;
    return this.#options.tokens.authenticate(m[1] as string);
  }

  #unauthorized(res: ServerResponse, id: Answer['id']): void {
    res.setHeader('www-authenticate', 'Bearer');
    this.#send(res, 401, errorAnswer(id, RpcCode.Unauthorized, UNAUTHORIZED_MESSAGE));
  }

  #send(res: ServerResponse, status: number, body: unknown): void {
    const text = stringifyJson(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  }
}

function toCall(item: unknown): Call | AdminRpcError {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return new AdminRpcError(RpcCode.InvalidRequest, 'invalid request: expected an object');
  const o = item as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return new AdminRpcError(RpcCode.InvalidRequest, 'invalid request: jsonrpc must be "2.0"');
  if (typeof o.method !== 'string') return new AdminRpcError(RpcCode.InvalidRequest, 'invalid request: method must be a string');
  const id = o.id;
  if (id !== undefined && id !== null && typeof id !== 'string' && typeof id !== 'number') return new AdminRpcError(RpcCode.InvalidRequest, 'invalid request: bad id');
  return { id: id as Call['id'], method: o.method, params: o.params };
}

/** The body as text; undefined when it is over the limit (the rest is drained). */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) over = true;
    if (!over) chunks.push(chunk as Buffer);
  }
  return over ? undefined : Buffer.concat(chunks).toString('utf8');
}
