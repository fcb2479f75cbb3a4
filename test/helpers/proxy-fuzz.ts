/**
 * A fuzzer for the JSON-RPC proxy: seeded, mutated and malformed requests over HTTP and
 * WebSocket — bad JSON, deep nesting, huge arrays and strings, wrong types in every param of every
 * method of the method table, batches, bad ids, invalid UTF-8, envelope junk, HTTP-level junk
 * (content types, origins, methods) and requests that never arrive whole — each answer checked:
 * an HTTP status the proxy uses for bad input, a body that is JSON-RPC 2.0, error codes from the
 * standard set and never -32603 (internal: a bug reached by input), an answer within a deadline.
 * A good request must keep being answered throughout. Used by the proxy's fuzz test (small) and
 * by bench/proxy-fuzz.ts (≥ 100,000 requests).
 */
import { isUtf8 } from 'node:buffer';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { prng } from './prng.js';

export const rng = prng;

/** Codes a bad request may get: JSON-RPC 2.0's and the proxy's table (DESIGN §7), never -32603. */
export const EXPECTED_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602, -32000, -32002, -32005, -32040, 3]);
/** HTTP statuses the proxy answers bad input with. */
const EXPECTED_STATUS = new Set([200, 204, 400, 403, 408, 413, 415]);

export interface FuzzCase {
  kind: string;
  transport: 'http' | 'ws';
  body: Buffer;
  /** HTTP only. */
  contentType?: string;
  origin?: string;
  httpMethod?: string;
  /** WebSocket only: a binary frame (text frames must be UTF-8 for ws itself). */
  binary?: boolean;
  /** The error code every answer must carry, when the case determines it. */
  expectCode?: number;
  /** A request that never arrives whole (raw TCP): the proxy must answer 408 and close. */
  slow?: 'short-body' | 'headers';
}

const ADDR = `0x${'11'.repeat(20)}`;
const HASH = `0x${'22'.repeat(32)}`;
const CALL_FIELDS = ['from', 'to', 'gas', 'gasPrice', 'maxFeePerGas', 'maxPriorityFeePerGas', 'value', 'data', 'input', 'nonce', 'type', 'chainId', 'accessList', 'blobVersionedHashes', 'maxFeePerBlobGas', 'authorizationList'];
const FILTER_FIELDS = ['fromBlock', 'toBlock', 'address', 'topics', 'blockHash'];
const EXTRA_METHODS = ['eth_subscribe', 'eth_unsubscribe', 'eth_sign', 'debug_traceCall', '__proto__', 'constructor', 'toString', '', 'eth_blockNumber '];

export class FuzzCases {
  readonly #r: () => number;
  readonly #methods: string[];
  readonly #table: readonly string[];

  constructor(seed: number, methods: readonly string[]) {
    this.#r = rng(seed);
    this.#table = methods;
    this.#methods = [...methods, ...EXTRA_METHODS];
  }

  #int(n: number): number {
    return Math.floor(this.#r() * n);
  }

  #pick<T>(xs: readonly T[]): T {
    return xs[this.#int(xs.length)] as T;
  }

  #hex(bytes: number, odd = false): string {
    let s = '0x';
    for (let i = 0; i < bytes; i++) s += this.#int(256).toString(16).padStart(2, '0');
    return odd ? `${s}f` : s;
  }

  /** A value that is sometimes right for some param and mostly wrong. */
  junk(depth = 0): unknown {
    const k = this.#int(depth > 2 ? 6 : 10);
    switch (k) {
      case 0:
        return this.#pick([0, -1, 1.5, 1e308, 2 ** 53, 2 ** 64, 7, -0]);
      case 1:
        return this.#pick(['', '0x', '0x0', '0x00', '0x1', '0x01', '0xg', '-0x1', 'latest', 'pending', 'earliest', 'safe', 'finalized', 'Latest', '__proto__', '\u0000', '\ud800', 'é✓']);
      case 2:
        return this.#hex(this.#pick([0, 1, 8, 19, 20, 21, 31, 32, 33, 64]), this.#r() < 0.2);
      case 3:
        return this.#pick([null, true, false, ADDR, HASH, ADDR.toUpperCase()]);
      case 4:
        return this.#pick(['0x64', '0x63', '0x65', '0x0', '0xffffffffffffffff', `0x${'f'.repeat(80)}`]);
      case 5:
        return this.#r() < 0.5 ? [] : {};
      case 6:
        return Array.from({ length: this.#int(5) }, () => this.junk(depth + 1));
      case 7:
        return this.#object(CALL_FIELDS, depth);
      case 8:
        return this.#object(FILTER_FIELDS, depth);
      default:
        return this.#pick([{ blockHash: this.junk(3) }, { blockNumber: this.junk(3), requireCanonical: this.junk(3) }, { topics: [[this.junk(3)], null, this.junk(3)] }]);
    }
  }

  #object(fields: readonly string[], depth: number): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of fields) if (this.#r() < 0.3) o[f] = this.junk(depth + 1);
    if (this.#r() < 0.1) o[this.#pick(['__proto__', 'constructor', 'toString', 'x'])] = this.junk(depth + 1);
    return o;
  }

  #params(): unknown {
    const n = this.#int(6);
    if (this.#r() < 0.05) return undefined;
    if (this.#r() < 0.05) return Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, this.junk()]));
    return Array.from({ length: n }, () => this.junk());
  }

  #request(id: unknown = this.#int(1e6)): Record<string, unknown> {
    const req: Record<string, unknown> = { jsonrpc: '2.0', id, method: this.#pick(this.#methods) };
    const params = this.#params();
    if (params !== undefined) req.params = params;
    return req;
  }

  #text(v: unknown): Buffer {
    return Buffer.from(JSON.stringify(v) ?? 'null');
  }

  #nested(depth: number, inner = '1'): string {
    return this.#r() < 0.5 ? `${'['.repeat(depth)}${inner}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`;
  }

  /** Nesting in params, beside them, or around a batch element; with the code the proxy must answer. */
  #deep(): { body: Buffer; expectCode?: number } {
    const depth = this.#pick([63, 64, 65, 100, 5000, 9998, 9999, 10_001, 20_000]);
    const where = this.#int(3);
    // Body levels: the request object, the params array, then `depth`.
    if (where === 0) {
      const body = Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"${this.#pick(this.#table)}","params":[${this.#nested(depth)}]}`);
      return { body, expectCode: depth + 2 > 10_000 ? -32700 : depth + 1 > 64 ? -32602 : undefined };
    }
    if (where === 1) return { body: Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"eth_call","x":${this.#nested(depth)},"params":[]}`), expectCode: depth + 1 > 10_000 ? -32700 : undefined };
    // A batch whose one element is an array or an object that is no request (a request inside, of a few levels).
    return { body: Buffer.from(`[${this.#nested(depth, JSON.stringify(this.#request()))}]`), expectCode: depth >= 10_000 ? -32700 : depth <= 9990 ? -32600 : undefined };
  }

  #body(kind: string): Buffer {
    switch (kind) {
      case 'params':
        return this.#text(this.#request());
      case 'json': {
        const t = Buffer.from(JSON.stringify(this.#request()));
        const m = this.#int(4);
        if (m === 0) return t.subarray(0, this.#int(t.length));
        if (m === 1) {
          for (let i = 0; i < 1 + this.#int(4); i++) t[this.#int(t.length)] = this.#pick([0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x2c, 0x3a, 0x5c, 0x20, 0x00, 0x30]);
          return t;
        }
        if (m === 2) return Buffer.from(Array.from({ length: this.#int(64) }, () => this.#int(128)));
        return Buffer.from(this.#pick(['', ' ', 'null', '1', '"x"', 'true', '{}', '[{}]', '[[]]', '{"jsonrpc":"2.0"', 'NaN', '[1,]', '{"a":1,}', '\ufeff{}']));
      }
      case 'deep':
        return this.#deep().body;
      case 'huge': {
        const m = this.#int(4);
        const method = this.#pick(this.#methods);
        if (m === 0) return this.#text({ jsonrpc: '2.0', id: 1, method, params: Array.from({ length: 10_000 + this.#int(190_000) }, () => 0) });
        if (m === 1) return this.#text({ jsonrpc: '2.0', id: 1, method, params: [`0x${'ab'.repeat(100_000 + this.#int(900_000))}`, 'latest'] });
        if (m === 2) return this.#text({ jsonrpc: '2.0', id: 1, method, params: [Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, i]))] });
        return this.#text({ jsonrpc: '2.0', id: 1, method: 'eth_getLogs', params: [{ address: Array.from({ length: 5000 }, () => ADDR), topics: [Array.from({ length: 5000 }, () => HASH)] }] });
      }
      case 'batch': {
        const n = this.#pick([0, 1, 2, 5, 50, 100, 101, 500]);
        return this.#text(Array.from({ length: n }, () => (this.#r() < 0.2 ? this.junk() : this.#r() < 0.2 ? { ...this.#request(), id: undefined } : this.#request())));
      }
      case 'id': {
        const id = this.#pick(['{}', '[]', 'true', '1e400', '-0', '1.10', '12345678901234567890', '"\\u0000"', '"\\ud800"', `"${'x'.repeat(10_000)}"`, 'null', '0.1e-7', '1E2', '-1']);
        const dup = this.#r() < 0.2 ? `"id":${this.#pick(['1', '"a"', '{}'])},` : '';
        return Buffer.from(`{"jsonrpc":"2.0",${dup}"id":${id},"method":"eth_chainId","params":[]}`);
      }
      case 'envelope': {
        const req: Record<string, unknown> = this.#request();
        const m = this.#int(6);
        if (m === 0) req.jsonrpc = this.#pick(['1.0', 2, null, '2.00', undefined]);
        else if (m === 1) req.method = this.#pick([1, null, {}, [], '', undefined]);
        else if (m === 2) req.params = this.#pick([1, 'x', true, null]);
        else if (m === 3) delete req.id;
        else if (m === 4) req[this.#pick(['result', 'error', '__proto__', 'extra'])] = this.junk();
        else return this.#text(this.junk());
        return this.#text(req);
      }
      case 'utf8': {
        const bad = Buffer.from(this.#pick([[0xff], [0xc3], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82]]));
        const where = this.#pick(['id', 'method', 'param']);
        const pre = Buffer.from(where === 'id' ? '{"jsonrpc":"2.0","id":"a' : where === 'method' ? '{"jsonrpc":"2.0","id":1,"method":"eth_' : '{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["');
        const post = Buffer.from(where === 'id' ? 'b","method":"eth_chainId"}' : where === 'method' ? '","params":[]}' : '","latest"]}');
        return Buffer.concat([pre, bad, post]);
      }
      default:
        return this.#text(this.#request());
    }
  }

  next(): FuzzCase {
    const kinds: Array<[string, number]> = [['params', 40], ['json', 10], ['deep', 4], ['huge', 2], ['batch', 10], ['id', 8], ['envelope', 10], ['utf8', 6], ['http', 5], ['subscribe', 5]];
    let x = this.#r() * kinds.reduce((s, [, w]) => s + w, 0);
    let kind = 'params';
    for (const [k, w] of kinds) {
      if ((x -= w) < 0) {
        kind = k;
        break;
      }
    }
    if (kind === 'subscribe') {
      const params = this.#r() < 0.5 ? [this.#pick(['newHeads', 'logs', 'newPendingTransactions', 'syncing', '']), this.junk()] : this.#params();
      return { kind, transport: 'ws', binary: this.#r() < 0.3, body: this.#text({ jsonrpc: '2.0', id: 1, method: this.#pick(['eth_subscribe', 'eth_unsubscribe']), params }) };
    }
    if (kind === 'http') {
      const c: FuzzCase = { kind, transport: 'http', body: this.#body('params') };
      const m = this.#int(3);
      if (m === 0) c.contentType = this.#pick(['text/plain', '', 'application/json; charset=utf-16', 'multipart/form-data', 'application/x-www-form-urlencoded', 'APPLICATION/JSON']);
      else if (m === 1) c.origin = this.#pick(['https://evil.example', 'null', 'http://localhost:3000', 'http://localhost.evil.example']);
      else c.httpMethod = this.#pick(['GET', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']);
      return c;
    }
    const transport = this.#r() < 0.25 && kind !== 'huge' ? 'ws' : 'http';
    if (kind === 'deep') {
      const { body, expectCode } = this.#deep();
      return { kind, transport, body, expectCode, binary: transport === 'ws' && this.#r() < 0.3 };
    }
    if (kind === 'utf8') return { kind, transport, body: this.#body(kind), expectCode: -32700, binary: transport === 'ws' && this.#r() < 0.8 };
    // Invalid UTF-8 goes mostly in binary frames (the proxy must refuse it); in a text frame ws closes the socket.
    return { kind, transport, body: this.#body(kind), binary: transport === 'ws' && this.#r() < 0.3 };
  }
}

export interface FuzzFailure {
  kind: string;
  transport: string;
  problem: string;
  body: string;
  answer: string;
}

export interface FuzzReport {
  requests: number;
  /** The proxy failed: HTTP 500, a connection cut without an answer, a process that died. */
  crashes: number;
  /** No answer within the deadline. */
  hangs: number;
  /** -32603 answers. */
  internal: number;
  /** Answers that are not JSON-RPC, or carry an unexpected code or status. */
  malformed: number;
  /** The good request between cases that was not answered right. */
  goodFailed: number;
  codes: Record<string, number>;
  byKind: Record<string, number>;
  failures: FuzzFailure[];
}

/** Problems with one answer body ('' = fine); counts codes. */
function checkRpc(text: string, codes: Record<string, number>, expectCode?: number): { problem: string; internal: boolean } {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return { problem: 'not JSON', internal: false };
  }
  const all = Array.isArray(v) ? v : [v];
  if (Array.isArray(v) && v.length === 0) return { problem: 'empty batch answer', internal: false };
  let internal = false;
  for (const r of all) {
    if (typeof r !== 'object' || r === null) return { problem: 'answer is not an object', internal };
    const o = r as Record<string, unknown>;
    if (o.jsonrpc !== '2.0' || !('id' in o) || ('result' in o) === ('error' in o)) return { problem: 'not a JSON-RPC 2.0 response', internal };
    if ('error' in o) {
      const e = o.error as { code?: unknown; message?: unknown };
      const code = e?.code;
      codes[String(code)] = (codes[String(code)] ?? 0) + 1;
      if (code === -32603) internal = true;
      else if (typeof code !== 'number' || !EXPECTED_CODES.has(code)) return { problem: `unexpected code ${String(code)}`, internal };
      if (typeof e.message !== 'string' || e.message.includes('\n    at ')) return { problem: 'error message missing or with a stack', internal };
      if (expectCode !== undefined && code !== expectCode) return { problem: `code ${String(code)}, expected ${expectCode}`, internal };
    } else {
      codes.result = (codes.result ?? 0) + 1;
      if (expectCode !== undefined) return { problem: `a result, expected error ${expectCode}`, internal };
    }
  }
  return { problem: '', internal };
}

export interface FuzzTarget {
  url: string;
  wsUrl: string;
}

export interface FuzzRunOptions {
  count: number;
  seed: number;
  methods: readonly string[];
  /** Cases in flight at once. Default 8. */
  concurrency?: number;
  /** An answer later than this is a hang, ms. Default 15,000. */
  answerTimeoutMs?: number;
  /** A good request is checked every this many cases. Default 500. */
  goodEvery?: number;
  /** Requests that never arrive whole, spread over the run (each costs the proxy's body timeout). Default 4. */
  slowCases?: number;
  /** Called every 1000 cases. */
  onProgress?: (done: number) => void;
  /** Tells whether the proxy is still alive (a child process); default: assumed alive. */
  alive?: () => boolean;
}

class TimeoutError extends Error {}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError('no answer')), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * One WebSocket for fuzz frames: each frame is followed by a sentinel call whose answer closes the
 * exchange. The proxy must answer one body at a time on a socket (maxInFlightPerSocket: 1) for the
 * answers to be told apart: otherwise a quick sentinel overtakes a slow batch.
 */
class WsLane {
  #ws: WebSocket | undefined;
  #n = 0;

  constructor(readonly url: string) {}

  async #open(): Promise<WebSocket> {
    if (this.#ws !== undefined && this.#ws.readyState === WebSocket.OPEN) return this.#ws;
    const ws = new WebSocket(this.url, { maxPayload: 64 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.on('error', () => undefined);
    this.#ws = ws;
    return ws;
  }

  /** The answers the frame got (the sentinel's excluded); throws when the socket closed before the sentinel answered. */
  async exchange(body: Buffer, binary: boolean): Promise<string[]> {
    const ws = await this.#open();
    const sentinel = `s${++this.#n}`;
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const onMessage = (data: Buffer) => {
        const text = data.toString();
        if (text.includes(`"id":"${sentinel}"`)) {
          cleanup();
          resolve();
        } else if (!text.includes('"method":"eth_subscription"')) got.push(text);
      };
      const onClose = (code: number) => {
        cleanup();
        reject(new Error(`websocket closed (${code})`));
      };
      const cleanup = () => {
        ws.off('message', onMessage);
        ws.off('close', onClose);
      };
      ws.on('message', onMessage);
      ws.on('close', onClose);
    });
    ws.send(body, { binary });
    ws.send(`{"jsonrpc":"2.0","id":"${sentinel}","method":"eth_chainId","params":[]}`);
    await done;
    return got;
  }

  close(): void {
    this.#ws?.terminate();
  }
}

/** A request that never arrives whole, over raw TCP: resolves with what the proxy wrote before closing. */
function slowRequest(url: string, how: 'short-body' | 'headers'): Promise<string> {
  const { hostname, port } = new URL(url);
  const body = '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}';
  const text = how === 'headers' ? 'POST / HTTP/1.1\r\nHost: x\r\nContent-Ty' : `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 10}\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    const s = connect({ host: hostname, port: Number(port) }, () => s.write(text));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

export async function runProxyFuzz(target: FuzzTarget, o: FuzzRunOptions): Promise<FuzzReport> {
  const cases = new FuzzCases(o.seed, o.methods);
  const timeoutMs = o.answerTimeoutMs ?? 15_000;
  const report: FuzzReport = { requests: 0, crashes: 0, hangs: 0, internal: 0, malformed: 0, goodFailed: 0, codes: {}, byKind: {}, failures: [] };
  const fail = (c: { kind: string; transport: string; body: Buffer }, problem: string, answer: string) => {
    if (report.failures.length < 20) report.failures.push({ kind: c.kind, transport: c.transport, problem, body: c.body.toString('utf8').slice(0, 300), answer: answer.slice(0, 300) });
  };

  // node:http with kept-alive connections: several times cheaper per request than fetch.
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const url = new URL(target.url);
  function send(method: string, headers: Record<string, string>, body: Buffer | undefined): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/', method, agent, headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function http(c: FuzzCase): Promise<void> {
    const headers: Record<string, string> = {};
    if (c.contentType !== undefined) {
      if (c.contentType !== '') headers['content-type'] = c.contentType;
    } else headers['content-type'] = 'application/json';
    if (c.origin !== undefined) headers.origin = c.origin;
    const method = c.httpMethod ?? 'POST';
    let status: number;
    let text: string;
    try {
      ({ status, text } = await within(send(method, headers, method === 'GET' || method === 'OPTIONS' ? undefined : c.body), timeoutMs));
    } catch (err) {
      if (err instanceof TimeoutError) {
        report.hangs++;
        return fail(c, 'hang', '');
      }
      report.crashes++;
      return fail(c, `connection failed: ${(err as Error).message} ${String((err as { cause?: unknown }).cause ?? '')}`, '');
    }
    if (status === 500) {
      report.crashes++;
      return fail(c, 'HTTP 500', text);
    }
    // Other HTTP methods are 405 and GET of an unknown path 404, in plain text by design.
    if (!EXPECTED_STATUS.has(status) && !(method !== 'POST' && (status === 404 || status === 405))) {
      report.malformed++;
      return fail(c, `HTTP ${status}`, text);
    }
    // Non-POST methods and unknown paths are answered in plain text by design.
    if (method !== 'POST' || status === 204) return;
    const { problem, internal } = checkRpc(text, report.codes, c.expectCode);
    if (internal) {
      report.internal++;
      fail(c, '-32603', text);
    }
    if (problem !== '') {
      report.malformed++;
      fail(c, problem, text);
    }
  }

  const lanes: WsLane[] = [];
  async function ws(c: FuzzCase, lane: WsLane): Promise<void> {
    let answers: string[];
    try {
      answers = await within(lane.exchange(c.body, c.binary === true), timeoutMs);
    } catch (err) {
      lane.close();
      if (err instanceof TimeoutError) {
        report.hangs++;
        return fail(c, 'hang', '');
      }
      // By the WebSocket protocol: a text frame that is not UTF-8 closes the socket (1007).
      if (c.binary !== true && !isUtf8(c.body) && /\(1007\)/.test((err as Error).message)) return;
      report.crashes++;
      return fail(c, (err as Error).message, '');
    }
    if (answers.length === 0 && c.expectCode !== undefined) {
      report.malformed++;
      fail(c, `no answer, expected error ${c.expectCode}`, '');
    }
    for (const text of answers) {
      const { problem, internal } = checkRpc(text, report.codes, c.expectCode);
      if (internal) {
        report.internal++;
        fail(c, '-32603', text);
      }
      if (problem !== '') {
        report.malformed++;
        fail(c, problem, text);
      }
    }
  }

  async function good(): Promise<void> {
    const c = { kind: 'good', transport: 'http', body: Buffer.from('{"jsonrpc":"2.0","id":"good","method":"eth_chainId","params":[]}') };
    try {
      const { text } = await within(send('POST', { 'content-type': 'application/json' }, c.body), timeoutMs);
      if (!/"id":"good","result":"0x[0-9a-f]+"/.test(text)) {
        report.goodFailed++;
        fail(c, 'good request not answered right', text);
      }
    } catch (err) {
      report.goodFailed++;
      fail(c, `good request failed: ${(err as Error).message}`, '');
    }
  }

  const slowEvery = Math.max(1, Math.floor(o.count / Math.max(1, o.slowCases ?? 4)));
  const slow: Array<Promise<void>> = [];
  let next = 0;
  const goodEvery = o.goodEvery ?? 500;
  async function worker(lane: WsLane): Promise<void> {
    for (;;) {
      const i = next++;
      if (i >= o.count) return;
      if (o.alive !== undefined && !o.alive()) {
        report.crashes++;
        fail({ kind: 'process', transport: '-', body: Buffer.alloc(0) }, 'the proxy process died', '');
        next = o.count;
        return;
      }
      if (i % goodEvery === 0) await good();
      if ((o.slowCases ?? 4) > 0 && i % slowEvery === slowEvery - 1) {
        const how = slow.length % 2 === 0 ? 'short-body' : 'headers';
        const c = { kind: `slow-${how}`, transport: 'http', body: Buffer.alloc(0) };
        slow.push(
          within(slowRequest(target.url, how), timeoutMs * 4).then(
            (text) => {
              report.requests++;
              report.byKind[c.kind] = (report.byKind[c.kind] ?? 0) + 1;
              if (!/^HTTP\/1\.1 408 /.test(text)) {
                report.malformed++;
                fail(c, 'not answered 408', text);
              }
            },
            () => {
              report.hangs++;
              fail(c, 'hang', '');
            },
          ),
        );
      }
      const c = cases.next();
      report.requests++;
      report.byKind[c.kind] = (report.byKind[c.kind] ?? 0) + 1;
      await (c.transport === 'ws' ? ws(c, lane) : http(c));
      if (o.onProgress !== undefined && (i + 1) % 1000 === 0) o.onProgress(i + 1);
    }
  }
  try {
    await Promise.all(
      Array.from({ length: o.concurrency ?? 8 }, () => {
        const lane = new WsLane(target.wsUrl);
        lanes.push(lane);
        return worker(lane);
      }),
    );
    await Promise.all(slow);
    await good();
  } finally {
    for (const l of lanes) l.close();
    agent.destroy();
  }
  return report;
}
