/**
 * A ProxyBackend for tests: methods are plain functions registered by the test, status and
 * metrics are fields the test sets, `emitHead` fires the newHead event.
 */
import { EventEmitter } from 'node:events';
import { MethodNotFoundError } from '../../../src/client/methods/errors.js';
import type { BackendMetrics, BackendStatus, HeadJson, ProxyBackend } from '../../../src/proxy/index.js';

export type StubMethod = (params: unknown, signal: AbortSignal | undefined) => unknown;

export class StubBackend extends EventEmitter implements ProxyBackend {
  readonly methods = new Map<string, StubMethod>();
  /** Every call the backend received, in order. */
  readonly calls: Array<{ method: string; params: unknown }> = [];
  statusValue: BackendStatus = { synced: true, head: { number: 1, hash: `0x${'11'.repeat(32)}` }, servers: 2 };
  metricsValue: BackendMetrics = {};

  constructor(methods: Record<string, StubMethod> = {}) {
    super();
    for (const [name, fn] of Object.entries(methods)) this.methods.set(name, fn);
  }

  async request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown> {
    this.calls.push({ method, params });
    const fn = this.methods.get(method);
    if (fn === undefined) throw new MethodNotFoundError(method);
    return fn(params, signal);
  }

  has(method: string): boolean {
    return this.methods.has(method);
  }

  status(): BackendStatus {
    return this.statusValue;
  }

  metrics(): BackendMetrics {
    return this.metricsValue;
  }

  emitHead(head: HeadJson): void {
    this.emit('newHead', head);
  }
}

/** A header JSON with a recognisable hash for block `n` on fork `fork`. */
export function head(n: number, fork = 0, parentFork = fork): HeadJson {
  const h = (k: number, f: number) => `0x${f.toString(16).padStart(2, '0')}${k.toString(16).padStart(62, '0')}`;
  return { number: `0x${n.toString(16)}`, hash: h(n, fork), parentHash: n === 0 ? `0x${'00'.repeat(32)}` : h(n - 1, parentFork), miner: `0x${'00'.repeat(20)}` };
}

/** POSTs a raw body and returns status, headers and text. */
export async function post(url: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export async function postJson(url: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const r = await post(url, JSON.stringify(body));
  return { status: r.status, json: r.text === '' ? undefined : (JSON.parse(r.text) as unknown) };
}
