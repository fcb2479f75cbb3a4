// The JSON-RPC proxy: the verifying engine behind HTTP and WebSocket JSON-RPC 2.0.
export type { BackendMetrics, BackendServerStats, BackendStatus, HeadJson, NewHeadListener, ProxyBackend } from './backend.js';
export { ProxyError, type ProxyErrorCode, UpstreamRpcError, rpcErrorOf } from './errors.js';
export { DEFAULT_CORS_ORIGINS } from './cors.js';
export { DEFAULT_BODY_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_PROXY_PORT, type ProxyOptions, type RunningProxy, startProxy } from './server.js';
export { lesBackend } from './les-backend.js';
export { type ProxyUpstream, Upstream } from './upstream.js';
