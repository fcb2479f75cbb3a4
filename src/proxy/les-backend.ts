/**
 * The LesClient engine as the proxy's backend: its verified method table, its status and newHead
 * events, and the scheduler's per-server figures for /metrics (buffer estimate and limit, score,
 * round trip, requests in flight, verification failures).
 */
import type { LesClient } from '../client/engine/index.js';
import type { BackendMetrics, NewHeadListener, ProxyBackend } from './backend.js';

export function lesBackend(client: LesClient): ProxyBackend {
  return {
    request: (method, params, signal) => client.request(method, params, signal),
    has: (method) => client.has(method),
    status: () => client.status(),
    on: (event: 'newHead', listener: NewHeadListener) => client.on(event, listener),
    off: (event: 'newHead', listener: NewHeadListener) => client.off(event, listener),
    metrics(): BackendMetrics {
      const m = client.parts?.scheduler.metrics();
      if (m === undefined) return {};
      return {
        servers: m.servers.map((s) => ({ id: s.id, bufferEstimate: s.ble, bufferLimit: s.bl, score: s.score, rttMs: s.rttMs, inFlight: s.inFlight })),
        verificationFailures: m.verificationFailures,
      };
    },
  };
}
