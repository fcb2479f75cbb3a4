// The proxy entry point (`les-provider/proxy`): the JSON-RPC 2.0 server (HTTP and WebSocket) that
// `lesp proxy` runs, in front of a LesClient of yours:
//   const proxy = await startProxy({ backend: lesBackend(client), port: 8545 });  …  await proxy.close();
export { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_PROXY_PORT, type ProxyOptions, type RunningProxy, startProxy } from './server.js';
export { lesBackend } from './les-backend.js';
export type { BackendMetrics, BackendServerStats, BackendStatus, HeadJson, NewHeadListener, ProxyBackend } from './backend.js';
export type { ProxyUpstream } from './upstream.js';
export { DEFAULT_CORS_ORIGINS } from './cors.js';
export { ProxyError, type ProxyErrorCode, UpstreamRpcError } from './errors.js';
