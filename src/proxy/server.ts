/**
 * `startProxy`: the drop-in JSON-RPC 2.0 server in front of the verifying engine, HTTP and
 * WebSocket on one port (an upgrade on any path is a WebSocket). Defaults: 127.0.0.1:8545, 5 MiB
 * bodies, batches of 100, 30 s per call, CORS for any origin.
 */
import { type IncomingMessage, type Server, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type Logger, pino } from 'pino';
import type { Registry } from 'prom-client';
import { WebSocketServer } from 'ws';
import type { ProxyBackend } from './backend.js';
import { Dispatcher } from './dispatch.js';
import { ProxyError } from './errors.js';
import { HeadFeed, type HeadFeedOptions } from './head-feed.js';
import { allowedOrigin, createHttpHandler } from './http.js';
import { ProxyMetrics } from './metrics.js';
import { Upstream } from './upstream.js';
import { WsSession } from './ws.js';

export const DEFAULT_PROXY_PORT = 8545;

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
  /** Browser origins allowed (CORS, and the Origin of WebSocket upgrades). Default ['*']. */
  corsOrigins?: readonly string[];
  /** Subscriptions per WebSocket. Default 128. */
  maxSubscriptions?: number;
  /** Bytes waiting in a WebSocket's send buffer before the caller is dropped. Default 16 MiB. */
  maxBufferedBytes?: number;
  /** Bodies of one WebSocket answered at once before it stops being read. Default 32. */
  maxInFlightPerSocket?: number;
  /** Open WebSocket connections. Default 1000. */
  maxConnections?: number;
  /** Methods the operator allows unverified: forwarded to `upstream` (required with them). */
  unverified?: readonly string[];
  upstream?: string;
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
  const upstream = options.upstream === undefined ? undefined : new Upstream(options.upstream);
  if (upstream !== undefined && unverified.size > 0) log.warn({ methods: [...unverified], upstream: upstream.url }, 'these methods are forwarded UNVERIFIED');
  const corsOrigins = options.corsOrigins ?? ['*'];
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

  const server: Server = createServer(createHttpHandler({ dispatcher, metrics, backend, log, maxBodyBytes, corsOrigins }));
  const wss = new WebSocketServer({ noServer: true, maxPayload: maxBodyBytes });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', (err) => log.debug({ err }, 'upgrade socket error'));
    const origin = req.headers.origin;
    if (origin !== undefined && allowedOrigin(corsOrigins, origin) === undefined) return rejectUpgrade(socket, 403, 'Forbidden');
    if (wss.clients.size >= maxConnections) return rejectUpgrade(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => {
      new WsSession(ws, { dispatcher, feed, metrics, log, ...wsLimits });
    });
  });
  server.on('clientError', (err, socket) => {
    log.debug({ err }, 'malformed http request');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
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
