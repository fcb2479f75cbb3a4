import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VerificationError } from '../../../src/verify/errors.js';
import { type RunningProxy, startProxy } from '../../../src/proxy/index.js';
import { StubBackend, postJson } from './stub-backend.js';

const HASH = `0x${'ab'.repeat(32)}`;

describe('proxy GET /health and GET /metrics', () => {
  let proxy: RunningProxy;
  let backend: StubBackend;
  before(async () => {
    backend = new StubBackend({
      eth_blockNumber: () => '0x2a',
      eth_getProof: () => {
        throw new VerificationError('BAD_PROOF', 'accountProof', 'missing node');
      },
    });
    proxy = await startProxy({ backend, port: 0 });
  });
  after(() => proxy.close());

  it('/health is 200 with the head and server count when synced with a server', async () => {
    backend.statusValue = { synced: true, head: { number: 42, hash: HASH }, servers: 2 };
    const r = await fetch(`${proxy.url}/health`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { synced: true, head: { number: 42, hash: HASH }, servers: 2 });
  });

  it('/health is 503 when not synced, or synced with no server connected', async () => {
    backend.statusValue = { synced: false, head: undefined, servers: 1 };
    const r = await fetch(`${proxy.url}/health`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { synced: false, head: null, servers: 1 });
    backend.statusValue = { synced: true, head: { number: 42, hash: HASH }, servers: 0 };
    assert.equal((await fetch(`${proxy.url}/health`)).status, 503);
  });

  it('/health says why it is not synced', async () => {
    const reason = '1 of 3 trusted servers connected; 2 must agree on a head';
    backend.statusValue = { synced: false, head: { number: 42, hash: HASH }, servers: 1, reason };
    const r = await fetch(`${proxy.url}/health`);
    assert.equal(r.status, 503);
    assert.deepEqual(await r.json(), { synced: false, head: { number: 42, hash: HASH }, servers: 1, reason });
  });

  it('/metrics counts calls by method and outcome, verification failures, latency, and the backend\'s per-server figures', async () => {
    backend.statusValue = { synced: true, head: { number: 42, hash: HASH }, servers: 1 };
    backend.metricsValue = {
      servers: [{ id: 'cd'.repeat(64), bufferEstimate: 1234, bufferLimit: 300000, score: 0.75, rttMs: 25, inFlight: 3 }],
      verificationFailures: 7,
    };
    for (let i = 0; i < 3; i++) await postJson(proxy.url, { jsonrpc: '2.0', id: i, method: 'eth_blockNumber' });
    await postJson(proxy.url, { jsonrpc: '2.0', id: 9, method: 'eth_getProof', params: [] });
    await postJson(proxy.url, { jsonrpc: '2.0', id: 10, method: 'eth_random_name_1' });
    const r = await fetch(`${proxy.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /text\/plain/);
    const text = await r.text();
    const has = (line: RegExp) => assert.match(text, line);
    has(/^lesp_proxy_requests_total\{method="eth_blockNumber",outcome="ok",source="verified",transport="http"\} 3$/m);
    has(/^lesp_proxy_requests_total\{method="eth_getProof",outcome="verification_failed",source="verified",transport="http"\} 1$/m);
    // Callers choose method names: unknown ones share one label.
    has(/^lesp_proxy_requests_total\{method="unknown",outcome="method_not_found",source="none",transport="http"\} 1$/m);
    assert.doesNotMatch(text, /eth_random_name_1/);
    has(/^lesp_proxy_verification_failures_total\{method="eth_getProof"\} 1$/m);
    has(/^lesp_proxy_request_duration_seconds_count\{method="eth_blockNumber",source="verified"\} 3$/m);
    has(/^lesp_backend_verification_failures_total 7$/m);
    has(/^lesp_backend_synced 1$/m);
    has(/^lesp_backend_head_number 42$/m);
    has(/^lesp_backend_servers 1$/m);
    has(/^lesp_server_buffer_estimate\{server="cdcdcdcdcdcdcdcd"\} 1234$/m);
    has(/^lesp_server_buffer_limit\{server="cdcdcdcdcdcdcdcd"\} 300000$/m);
    has(/^lesp_server_score\{server="cdcdcdcdcdcdcdcd"\} 0.75$/m);
    has(/^lesp_server_rtt_seconds\{server="cdcdcdcdcdcdcdcd"\} 0.025$/m);
    has(/^lesp_server_in_flight\{server="cdcdcdcdcdcdcdcd"\} 3$/m);
  });

  it('/metrics follows the backend: a server that left is no longer listed, the failure total only grows', async () => {
    backend.metricsValue = { servers: [], verificationFailures: 9 };
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.doesNotMatch(text, /server="cdcdcdcdcdcdcdcd"/);
    assert.match(text, /^lesp_backend_verification_failures_total 9$/m);
  });
});
