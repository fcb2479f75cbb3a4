/**
 * The proxy's Prometheus metrics, in a Registry of its own (served at GET /metrics): calls by
 * method, outcome and source (verified by the engine, or forwarded unverified to the upstream),
 * latency histograms, verification failures, rejected bodies, WebSocket connections and
 * subscriptions, and what the backend publishes about itself and each LES server (read at scrape
 * time through `ProxyBackend.metrics()`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { VERIFICATION_FAILED_RPC_CODE } from '../client/methods/errors.js';
import type { BackendMetrics, ProxyBackend } from './backend.js';

/** Where a call was answered: the verifying engine, the upstream (opted in), the proxy itself, or nowhere. */
export type CallSource = 'verified' | 'unverified' | 'proxy' | 'none';
export type Transport = 'http' | 'ws';

const OUTCOME_BY_CODE: ReadonlyMap<number, string> = new Map([
  [-32700, 'parse_error'],
  [-32600, 'invalid_request'],
  [-32601, 'method_not_found'],
  [-32602, 'invalid_params'],
  [-32603, 'internal_error'],
  [-32002, 'unavailable'],
  [-32005, 'limit_exceeded'],
  [-32000, 'server_error'],
  [3, 'reverted'],
  [VERIFICATION_FAILED_RPC_CODE, 'verification_failed'],
]);

/** The `outcome` label of a call answered with this error code (`ok` for a result). */
export function outcomeOfCode(code: number | undefined): string {
  if (code === undefined) return 'ok';
  return OUTCOME_BY_CODE.get(code) ?? 'error';
}

/** The `server` label: enough of the node id to tell servers apart, bounded in length. */
const serverLabel = (id: string) => id.replace(/^0x/, '').slice(0, 16);

export class ProxyMetrics {
  readonly registry: Registry;
  readonly #calls: Counter<'method' | 'outcome' | 'source' | 'transport'>;
  readonly #duration: Histogram<'method' | 'source'>;
  readonly #verificationFailures: Counter<'method'>;
  readonly #rejected: Counter<'reason'>;
  readonly #wsConnections: Gauge;
  readonly #subscriptions: Gauge<'type'>;
  readonly #wsDropped: Counter<'reason'>;
  #snapshot: BackendMetrics | undefined;

  constructor(readonly backend: ProxyBackend, registry?: Registry) {
    this.registry = registry ?? new Registry();
    const registers = [this.registry];
    this.#calls = new Counter({
      name: 'lesp_proxy_requests_total',
      help: 'JSON-RPC calls answered, by method, outcome, source (verified | unverified | proxy | none) and transport',
      labelNames: ['method', 'outcome', 'source', 'transport'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'lesp_proxy_request_duration_seconds',
      help: 'Time to answer one JSON-RPC call',
      labelNames: ['method', 'source'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.#verificationFailures = new Counter({
      name: 'lesp_proxy_verification_failures_total',
      help: 'Calls answered with the verification-failed error (every server that could answer failed verification)',
      labelNames: ['method'],
      registers,
    });
    this.#rejected = new Counter({
      name: 'lesp_proxy_rejected_total',
      help: 'Bodies or messages refused before any call (parse_error, body_too_large, batch_too_large, empty_batch, content_type)',
      labelNames: ['reason'],
      registers,
    });
    this.#wsConnections = new Gauge({ name: 'lesp_proxy_ws_connections', help: 'Open WebSocket connections', registers });
    this.#subscriptions = new Gauge({ name: 'lesp_proxy_subscriptions', help: 'Active eth_subscribe subscriptions', labelNames: ['type'], registers });
    this.#wsDropped = new Counter({
      name: 'lesp_proxy_ws_dropped_total',
      help: 'WebSocket connections closed by the proxy (slow_consumer: its send buffer exceeded the limit)',
      labelNames: ['reason'],
      registers,
    });
    this.#backendGauges(registers);
  }

  call(method: string, source: CallSource, transport: Transport, code: number | undefined, seconds: number, outcome = outcomeOfCode(code)): void {
    this.#calls.inc({ method, outcome, source, transport });
    this.#duration.observe({ method, source }, seconds);
    if (code === VERIFICATION_FAILED_RPC_CODE) this.#verificationFailures.inc({ method });
  }

  rejected(reason: string): void {
    this.#rejected.inc({ reason });
  }

  wsOpened(): void {
    this.#wsConnections.inc();
  }

  wsClosed(): void {
    this.#wsConnections.dec();
  }

  wsDropped(reason: string): void {
    this.#wsDropped.inc({ reason });
  }

  subscriptionAdded(type: string): void {
    this.#subscriptions.inc({ type });
  }

  subscriptionRemoved(type: string): void {
    this.#subscriptions.dec({ type });
  }

  /** One read of the backend per scrape (all collect() calls of a scrape run before the next macrotask). */
  #backendMetrics(): BackendMetrics {
    if (this.#snapshot === undefined) {
      try {
        this.#snapshot = this.backend.metrics?.() ?? {};
      } catch {
        this.#snapshot = {};
      }
      setImmediate(() => {
        this.#snapshot = undefined;
      });
    }
    return this.#snapshot;
  }

  #backendGauges(registers: Registry[]): void {
    const status = () => {
      try {
        return this.backend.status();
      } catch {
        return { synced: false, head: undefined, servers: 0 };
      }
    };
    new Gauge({ name: 'lesp_backend_synced', help: '1 when the engine is synced', registers, collect() { this.set(status().synced ? 1 : 0); } });
    new Gauge({ name: 'lesp_backend_head_number', help: 'Number of the trusted head', registers, collect() { this.set(status().head?.number ?? 0); } });
    new Gauge({ name: 'lesp_backend_servers', help: 'LES servers connected', registers, collect() { this.set(status().servers); } });
    const snapshot = () => this.#backendMetrics();
    const failures = { last: 0 };
    new Counter({
      name: 'lesp_backend_verification_failures_total',
      help: 'Server replies that failed verification (all servers, all kinds)',
      registers,
      collect() {
        const total = snapshot().verificationFailures;
        if (total !== undefined && total > failures.last) {
          this.inc(total - failures.last);
          failures.last = total;
        }
      },
    });
    const perServer = (name: string, help: string, pick: (s: NonNullable<BackendMetrics['servers']>[number]) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['server'],
        registers,
        collect() {
          this.reset();
          for (const s of snapshot().servers ?? []) {
            const v = pick(s);
            if (v !== undefined && Number.isFinite(v)) this.set({ server: serverLabel(s.id) }, v);
          }
        },
      });
    perServer('lesp_server_buffer_estimate', 'Our estimate of the server\'s flow-control buffer (BLE), cost units', (s) => s.bufferEstimate);
    perServer('lesp_server_buffer_limit', 'The server\'s flow-control buffer limit (BL), cost units', (s) => s.bufferLimit);
    perServer('lesp_server_score', 'Reliability score of the server in [0, 1]', (s) => s.score);
    perServer('lesp_server_rtt_seconds', 'Moving average round trip to the server', (s) => (s.rttMs === undefined ? undefined : s.rttMs / 1000));
    perServer('lesp_server_in_flight', 'Requests of ours open at the server', (s) => s.inFlight);
  }
}
