/**
 * The HTTP side: POST on any path is a JSON-RPC body (content type checked, size limited, CORS),
 * GET /health and GET /metrics are for operators, OPTIONS answers CORS preflights. JSON-RPC
 * errors travel in a 200 answer (callers such as ethers read the body only on 2xx); a body over
 * the limit is 413 and a wrong content type 415, each with a JSON-RPC error body. A caller that
 * goes away mid-call aborts its calls; the answer is discarded.
 *
 * A request whose Origin the CORS policy does not allow gets no CORS headers; its preflight and
 * its POST are refused with 403 (a POST is refused rather than run: browsers send some without a
 * preflight, and a page must not be able to spend the proxy's CPU or send transactions blind).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ProxyBackend } from './backend.js';
import type { Dispatcher } from './dispatch.js';
import { type CorsPolicy, allowedOrigin } from './cors.js';
import { ProxyError, rpcErrorOf } from './errors.js';
import { NULL_ID, errorText } from './jsonrpc.js';
import type { ProxyMetrics } from './metrics.js';

export interface HttpDeps {
  dispatcher: Dispatcher;
  metrics: ProxyMetrics;
  backend: ProxyBackend;
  log: Logger;
  maxBodyBytes: number;
  cors: CorsPolicy;
  /** Fixed documents served at GET of their exact path (the devnet's demo page and its bundle). */
  pages?: ReadonlyMap<string, ProxyPage>;
}

export interface ProxyPage {
  type: string;
  body: string | Uint8Array;
}

const JSON_TYPES = new Set(['application/json', 'application/json-rpc', 'application/jsonrequest']);
/** A refused body is read and discarded up to this many times the limit, then the connection is cut. */
const DRAIN_FACTOR = 4;

function send(res: ServerResponse, status: number, contentType: string, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendRpcError(res: ServerResponse, status: number, err: ProxyError): void {
  send(res, status, 'application/json', errorText(NULL_ID, rpcErrorOf(err)));
}

export function createHttpHandler(deps: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { log, metrics } = deps;

  function health(res: ServerResponse): void {
    let body: { synced: boolean; head: { number: number; hash: string } | null; servers: number; reason?: string };
    try {
      const s = deps.backend.status();
      body = { synced: s.synced, head: s.head === undefined ? null : { number: s.head.number, hash: s.head.hash }, servers: s.servers };
      if (s.reason !== undefined) body.reason = s.reason;
    } catch (err) {
      log.warn({ err }, 'backend status failed');
      body = { synced: false, head: null, servers: 0 };
    }
    const ok = body.synced && body.servers >= 1;
    send(res, ok ? 200 : 503, 'application/json', JSON.stringify(body), { 'cache-control': 'no-store' });
  }

  function prometheus(res: ServerResponse): void {
    metrics.registry.metrics().then(
      (text) => send(res, 200, metrics.registry.contentType, text),
      (err: unknown) => {
        log.warn({ err }, 'metrics collection failed');
        send(res, 500, 'text/plain', 'metrics collection failed\n');
      },
    );
  }

  function tooLarge(req: IncomingMessage, res: ServerResponse): void {
    metrics.rejected('body_too_large');
    sendRpcError(res, 413, new ProxyError('BODY_TOO_LARGE', `request body exceeds ${deps.maxBodyBytes} bytes`));
    // The rest is discarded so the caller can read the answer; a caller that keeps sending is cut off.
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > DRAIN_FACTOR * deps.maxBodyBytes) req.destroy();
    });
    req.resume();
  }

  function forbidden(req: IncomingMessage, res: ServerResponse): void {
    metrics.rejected('origin');
    log.debug({ origin: String(req.headers.origin).slice(0, 200) }, 'browser origin not allowed (--cors-origin)');
    req.resume();
    sendRpcError(res, 403, new ProxyError('ORIGIN_NOT_ALLOWED', 'invalid request: this browser origin is not allowed (--cors-origin)'));
  }

  function rpc(req: IncomingMessage, res: ServerResponse): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (!JSON_TYPES.has(type)) {
      metrics.rejected('content_type');
      sendRpcError(res, 415, new ProxyError('UNSUPPORTED_MEDIA_TYPE', 'invalid request: content-type must be application/json'));
      return;
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxBodyBytes) return tooLarge(req, res);
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= deps.maxBodyBytes) chunks.push(chunk);
      else if (!refused) {
        refused = true;
        chunks.length = 0;
        req.off('data', onData);
        tooLarge(req, res);
      }
    };
    req.on('data', onData);
    req.on('end', () => {
      if (refused) return;
      const abort = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) abort.abort();
      });
      deps.dispatcher.handle(Buffer.concat(chunks), { transport: 'http', signal: abort.signal }).then(
        (text) => {
          if (abort.signal.aborted) return;
          if (text === undefined) {
            res.writeHead(204);
            res.end();
          } else send(res, 200, 'application/json', text);
        },
        (err: unknown) => {
          log.error({ err }, 'http body not answered');
          send(res, 500, 'text/plain', 'internal error\n');
        },
      );
    });
  }

  return (req, res) => {
    req.on('error', (err) => log.debug({ err }, 'http request stream error'));
    res.on('error', (err) => log.debug({ err }, 'http response stream error'));
    try {
      const origin = allowedOrigin(deps.cors, req.headers.origin);
      if (origin !== undefined) res.setHeader('access-control-allow-origin', origin);
      if (origin !== '*') res.setHeader('vary', 'Origin');
      const refused = req.headers.origin !== undefined && origin === undefined;
      const path = (req.url ?? '/').split('?')[0];
      switch (req.method) {
        case 'POST':
          if (refused) return forbidden(req, res);
          return rpc(req, res);
        case 'OPTIONS':
          if (refused) return forbidden(req, res);
          res.writeHead(204, {
            'access-control-allow-methods': 'POST, GET, OPTIONS',
            'access-control-allow-headers': 'content-type, authorization',
            'access-control-max-age': '600',
            'content-length': '0',
          });
          res.end();
          return;
        case 'GET':
        case 'HEAD':
          if (path === '/health') return health(res);
          if (path === '/metrics') return prometheus(res);
          {
            const page = path === undefined ? undefined : deps.pages?.get(path);
            if (page !== undefined) {
              res.writeHead(200, { 'content-type': page.type, 'cache-control': 'no-store', 'content-length': String(typeof page.body === 'string' ? Buffer.byteLength(page.body) : page.body.length) });
              res.end(req.method === 'HEAD' ? undefined : page.body);
              return;
            }
          }
          return send(res, 404, 'text/plain', 'not found: POST JSON-RPC to any path; GET /health, GET /metrics\n');
        default:
          return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'POST, GET, OPTIONS' });
      }
    } catch (err) {
      log.error({ err }, 'http handler failed');
      send(res, 500, 'text/plain', 'internal error\n');
    }
  };
}
