/**
 * `startProxy`: the drop-in JSON-RPC 2.0 server in front of the verifying engine, HTTP and
 * WebSocket on one port (an upgrade on any path is a WebSocket). Defaults: 127.0.0.1:8545, 5 MiB
 * bodies, batches of 100, 30 s per call, CORS for loopback origins only (cors.ts).
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { ProxyBackend } from './backend.js';
import { Dispatcher } from './dispatch.js';
import { ProxyError, rpcErrorOf } from './errors.js';
import { HeadFeed, type HeadFeedOptions } from './head-feed.js';
import { NULL_ID, errorText } from './jsonrpc.js';
import { allowedOrigin, corsPolicy } from './cors.js';
import { type ProxyPage, createHttpHandler } from './http.js';
import { ProxyMetrics } from './metrics.js';
import { type ProxyUpstream, Upstream } from './upstream.js';
import { WsSession } from './ws.js';

export const DEFAULT_PROXY_PORT = 8545;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_BODY_TIMEOUT_MS = 30_000;

export interface ProxyOptions {
  backend: ProxyBackend;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8545; 0 = any free port. */
  port?: number;
  /** Largest request body (HTTP) or message (WebSocket), bytes. Default 5 MiB. */
  maxBodyBytes?: number;
  /** Most requests in one batch. Default 100. */
  maxBatch?: number;
  /** Calls of one batch answered at once. Default 8. */
  batchConcurrency?: number;
  /** Deadline of one call, ms. Default 30,000. */
  requestTimeoutMs?: number;
  /** An HTTP request's headers must arrive within this, ms. Default 10,000. */
  headersTimeoutMs?: number;
  /**
   * A whole HTTP request (headers and body) must arrive within this, ms; at least
   * `headersTimeoutMs`. Default 30,000. A caller that sends less than its Content-Length is then
   * answered 408 and cut off instead of holding the connection.
   */
  bodyTimeoutMs?: number;
  /**
   * Browser origins allowed (CORS, and the Origin of WebSocket upgrades): origins, 'loopback',
   * '*' or 'none' (cors.ts). Default ['loopback']: pages served from this machine only.
   */
  corsOrigins?: readonly string[];
  /** Subscriptions per WebSocket. Default 128. */
  maxSubscriptions?: number;
  /** Bytes waiting in a WebSocket's send buffer before the caller is dropped. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Bodies of one WebSocket answered at once before it stops being read. Default 32. */
  maxInFlightPerSocket?: number;
  /** Open WebSocket connections. Default 1000. */
  maxConnections?: number;
  /** Fixed documents served at GET of their exact path (the devnet's demo page and its bundle). */
  pages?: ReadonlyMap<string, ProxyPage>;
  /** Methods the operator allows unverified: forwarded to `upstream` (required with them). */
  unverified?: readonly string[];
  /** An http(s) URL, or an object that answers the unverified methods itself. */
  upstream?: string | ProxyUpstream;
  /** Reorg window and gap fill of logs subscriptions. */
  feed?: HeadFeedOptions;
  log?: Logger;
  /** Metrics go here (default: a Registry of the proxy's own). */
  registry?: Registry;
}

export interface RunningProxy {
  url: string;
  wsUrl: string;
  readonly metrics: Registry;
  close(): Promise<void>;
}

const METHOD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

function positive(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n < 1) throw new ProxyError('BAD_OPTIONS', `${name} must be a positive integer`, { field: name });
  return n;
}

function rejectUpgrade(socket: Socket, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const log = options.log ?? pino({ level: 'silent' });
  const { backend } = options;
  const maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes, 5 * 1024 * 1024);
  const unverified = new Set(options.unverified ?? []);
  for (const m of unverified) {
    if (!METHOD_NAME.test(m)) throw new ProxyError('BAD_OPTIONS', `unverified: "${m}" is not a method name`, { field: 'unverified' });
    if (backend.has(m)) log.warn({ method: m }, 'method listed as unverified is verified by the engine: the engine answers it');
  }
  if (unverified.size > 0 && options.upstream === undefined) {
    throw new ProxyError('BAD_OPTIONS', 'unverified methods need an upstream endpoint to forward to', { field: 'upstream' });
  }
  const upstream = typeof options.upstream === 'string' ? new Upstream(options.upstream) : options.upstream;
  if (upstream !== undefined && unverified.size > 0) log.warn({ methods: [...unverified], upstream: upstream.url }, 'these methods are forwarded UNVERIFIED');
  const cors = corsPolicy(options.corsOrigins);
  if (cors.any) log.warn('CORS allows any origin: every web page the browser shows can call this proxy');
  const metrics = new ProxyMetrics(backend, options.registry);
  const dispatcher = new Dispatcher({
    backend,
    metrics,
    log,
    maxBatch: positive('maxBatch', options.maxBatch, 100),
    timeoutMs: positive('requestTimeoutMs', options.requestTimeoutMs, 30_000),
    batchConcurrency: positive('batchConcurrency', options.batchConcurrency, 8),
    unverified,
    upstream,
  });
  const wsLimits = {
    maxSubscriptions: positive('maxSubscriptions', options.maxSubscriptions, 128),
    maxBufferedBytes: positive('maxBufferedBytes', options.maxBufferedBytes, 16 * 1024 * 1024),
    maxInFlight: positive('maxInFlightPerSocket', options.maxInFlightPerSocket, 32),
  };
  const maxConnections = positive('maxConnections', options.maxConnections, 1000);
  const feed = new HeadFeed(backend, log, options.feed);

  const headersTimeout = positive('headersTimeoutMs', options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS);
  const requestTimeout = positive('bodyTimeoutMs', options.bodyTimeoutMs, DEFAULT_BODY_TIMEOUT_MS);
  if (requestTimeout < headersTimeout) throw new ProxyError('BAD_OPTIONS', 'bodyTimeoutMs must be at least headersTimeoutMs', { field: 'bodyTimeoutMs' });
  const server: Server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node checks these deadlines only this often (30 s by default, which would double them).
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    createHttpHandler({ dispatcher, metrics, backend, log, maxBodyBytes, cors, pages: options.pages }),
  );
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err }, 'upgrade socket error'));
    const origin = req.headers.origin;
    // Browsers apply no CORS to WebSockets: the Origin of the upgrade is the only check there is.
    if (origin !== undefined && allowedOrigin(cors, origin) === undefined) {
      metrics.rejected('origin');
      return rejectUpgrade(socket, 403, 'Forbidden');
    }
    if (wss.clients.size >= maxConnections) return rejectUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      new WsSession(ws, { dispatcher, feed, metrics, log, ...wsLimits });
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    const late = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    log.debug({ err }, late ? 'http request not received in time' : 'malformed http request');
    if (late) metrics.rejected('request_timeout');
    if (!socket.writable) return socket.destroy();
    const body = errorText(NULL_ID, rpcErrorOf(late
      ? new ProxyError('REQUEST_TIMEOUT', `invalid request: the request did not arrive in time (headers within ${headersTimeout} ms, all of it within ${requestTimeout} ms)`)
      : new ProxyError('INVALID_REQUEST', 'invalid request: malformed HTTP request')));
    const status = late ? '408 Request Timeout' : '400 Bad Request';
    // Destroyed once written: a caller that never closes its side must not keep the socket.
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, () => socket.destroy());
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_PROXY_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'http server error'));
  const addr = server.address() as AddressInfo;
  const hostPart = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${hostPart}:${addr.port}`;
  log.info({ url }, 'JSON-RPC proxy listening (HTTP and WebSocket)');

  let closing: Promise<void> | undefined;
  return {
    url,
    wsUrl: `ws://${hostPart}:${addr.port}`,
    metrics: metrics.registry,
    close() {
      closing ??= (async () => {
        feed.close();
        for (const ws of wss.clients) ws.terminate();
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}
