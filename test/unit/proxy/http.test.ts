import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { LespError } from '../../../src/errors.js';
import { ExecutionRevertedError, InvalidParamsError } from '../../../src/client/methods/errors.js';
import { type RunningProxy, startProxy } from '../../../src/proxy/index.js';
import { VerificationError } from '../../../src/verify/errors.js';
import { StubBackend, post, postJson } from './stub-backend.js';

type Rpc = { jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };
const req = (id: unknown, method: string, params: unknown[] = []) => ({ jsonrpc: '2.0', id, method, params });

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function backendWithErrors(): StubBackend {
  return new StubBackend({
    eth_blockNumber: () => '0x10',
    eth_echo: (params) => params,
    eth_getBalance: (params) => {
      const [address] = params as unknown[];
      if (typeof address !== 'string' || !/^0x[0-9a-f]{40}$/i.test(address)) throw new InvalidParamsError('address', 'expected a 20-byte address');
      return '0x0';
    },
    eth_call: () => {
      throw new ExecutionRevertedError('0x08c379a0', 'nope');
    },
    eth_getProof: () => {
      throw new VerificationError('BAD_PROOF', 'accountProof', 'missing node');
    },
    eth_getCode: () => {
      throw new LespError('NO_SERVER', 'no server can answer');
    },
    eth_bigint: () => 1n,
    eth_crash: () => {
      throw new TypeError('boom');
    },
  });
}

describe('proxy over HTTP: JSON-RPC 2.0 envelope and errors', () => {
  let proxy: RunningProxy;
  let backend: StubBackend;
  before(async () => {
    backend = backendWithErrors();
    proxy = await startProxy({ backend, port: 0 });
  });
  after(() => proxy.close());

  it('answers a single call', async () => {
    const r = await postJson(proxy.url, req(1, 'eth_blockNumber'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { jsonrpc: '2.0', id: 1, result: '0x10' });
  });

  it('malformed JSON is -32700 with id null, in a 200 answer', async () => {
    for (const body of ['{"jsonrpc":"2.0","id":1,', 'not json', '']) {
      const r = await post(proxy.url, body);
      assert.equal(r.status, 200);
      const j = JSON.parse(r.text) as Rpc;
      assert.equal(j.error?.code, -32700, body);
      assert.equal(j.id, null);
    }
  });

  it('wrong JSON-RPC versions and malformed requests are -32600', async () => {
    for (const body of [
      { jsonrpc: '1.0', id: 1, method: 'eth_blockNumber' },
      { id: 1, method: 'eth_blockNumber' },
      { jsonrpc: 2, id: 1, method: 'eth_blockNumber' },
      { jsonrpc: '2.0', id: 1 },
      { jsonrpc: '2.0', id: { x: 1 }, method: 'eth_blockNumber' },
    ]) {
      const r = await postJson(proxy.url, body);
      assert.equal((r.json as Rpc).error?.code, -32600, JSON.stringify(body));
    }
  });

  it('unknown methods are -32601 with the EIP-1474 words and never reach the backend', async () => {
    const before = backend.calls.length;
    const r = await postJson(proxy.url, req('x', 'eth_doesNotExist'));
    const e = (r.json as Rpc).error;
    assert.equal(e?.code, -32601);
    assert.equal(e?.message, 'the method eth_doesNotExist does not exist/is not available');
    assert.equal((r.json as Rpc).id, 'x');
    assert.equal(backend.calls.length, before);
  });

  it('eth_subscribe over HTTP is -32601 (subscriptions need a WebSocket)', async () => {
    const r = await postJson(proxy.url, req(1, 'eth_subscribe', ['newHeads']));
    assert.equal((r.json as Rpc).error?.code, -32601);
  });

  it('errors of the method layer keep their codes: -32602, 3 with data, -32040, -32002', async () => {
    const bad = await postJson(proxy.url, req(1, 'eth_getBalance', [12, 'latest']));
    assert.equal((bad.json as Rpc).error?.code, -32602);
    assert.deepEqual((bad.json as Rpc).error?.data, { code: 'INVALID_PARAMS', field: 'address' });
    const revert = await postJson(proxy.url, req(2, 'eth_call', [{}]));
    assert.deepEqual((revert.json as Rpc).error, { code: 3, message: 'execution reverted: nope', data: '0x08c379a0' });
    const lie = await postJson(proxy.url, req(3, 'eth_getProof', []));
    assert.equal((lie.json as Rpc).error?.code, -32040);
    const none = await postJson(proxy.url, req(4, 'eth_getCode', []));
    assert.equal((none.json as Rpc).error?.code, -32002);
  });

  it('a crash in the backend or an unserialisable result is -32603, and the proxy goes on', async () => {
    for (const m of ['eth_crash', 'eth_bigint']) {
      const r = await postJson(proxy.url, req(1, m));
      assert.deepEqual((r.json as Rpc).error, { code: -32603, message: 'internal error' }, m);
    }
    assert.equal(((await postJson(proxy.url, req(2, 'eth_blockNumber'))).json as Rpc).result, '0x10');
  });

  it('echoes ids exactly, including numbers a double cannot hold', async () => {
    const r = await post(proxy.url, '[{"jsonrpc":"2.0","id":12345678901234567890,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":"0x1","method":"eth_blockNumber"},{"jsonrpc":"2.0","id":null,"method":"eth_blockNumber"},{"jsonrpc":"2.0","id":1.50,"method":"eth_blockNumber"}]');
    assert.equal(
      r.text,
      '[{"jsonrpc":"2.0","id":12345678901234567890,"result":"0x10"},{"jsonrpc":"2.0","id":"0x1","result":"0x10"},{"jsonrpc":"2.0","id":null,"result":"0x10"},{"jsonrpc":"2.0","id":1.50,"result":"0x10"}]',
    );
  });

  it('a notification gets no answer (204) but is executed', async () => {
    const r = await post(proxy.url, JSON.stringify({ jsonrpc: '2.0', method: 'eth_echo', params: ['note'] }));
    assert.equal(r.status, 204);
    assert.equal(r.text, '');
    assert.deepEqual(backend.calls.at(-1), { method: 'eth_echo', params: ['note'] });
    const batch = await post(proxy.url, JSON.stringify([{ jsonrpc: '2.0', method: 'eth_blockNumber' }, { jsonrpc: '2.0', method: 'eth_nope' }]));
    assert.equal(batch.status, 204);
  });

  it('a mixed batch is answered in order, one answer per non-notification', async () => {
    const r = await postJson(proxy.url, [
      req(1, 'eth_echo', ['a']),
      { jsonrpc: '2.0', method: 'eth_echo', params: ['notified'] },
      { jsonrpc: '1.0', id: 2, method: 'eth_echo' },
      req(3, 'eth_unknown'),
      req(4, 'eth_getBalance', ['0x12']),
      5,
      req(6, 'eth_echo', ['b']),
    ]);
    const list = r.json as Rpc[];
    assert.deepEqual(
      list.map((x) => [x.id, x.error?.code ?? x.result]),
      [[1, ['a']], [2, -32600], [3, -32601], [4, -32602], [null, -32600], [6, ['b']]],
    );
  });

  it('an empty batch is one -32600 error', async () => {
    const r = await post(proxy.url, '[]');
    const j = JSON.parse(r.text) as Rpc;
    assert.equal(j.error?.code, -32600);
    assert.equal(j.id, null);
  });

  it('a huge batch is refused whole with one -32600 error before any call; 100 is accepted', async () => {
    const before = backend.calls.length;
    const huge = await postJson(proxy.url, Array.from({ length: 10_000 }, (_, i) => req(i, 'eth_echo', [i])));
    assert.equal(Array.isArray(huge.json), false);
    assert.equal((huge.json as Rpc).error?.code, -32600);
    assert.equal(backend.calls.length, before);
    const ok = await postJson(proxy.url, Array.from({ length: 100 }, (_, i) => req(i, 'eth_echo', [i])));
    assert.deepEqual((ok.json as Rpc[]).map((x) => x.result), Array.from({ length: 100 }, (_, i) => [i]));
  });

  it('a body over 5 MiB is 413 with a JSON-RPC error body; 5 MiB exactly is served', async () => {
    const limit = 5 * 1024 * 1024;
    const call = JSON.stringify(req(1, 'eth_echo', ['x']));
    const atLimit = call + ' '.repeat(limit - call.length);
    const ok = await post(proxy.url, atLimit);
    assert.equal(ok.status, 200);
    assert.deepEqual((JSON.parse(ok.text) as Rpc).result, ['x']);
    const over = await post(proxy.url, atLimit + ' ');
    assert.equal(over.status, 413);
    assert.equal((JSON.parse(over.text) as Rpc).error?.code, -32600);
  });

  it('an oversize body without content-length (chunked) is 413 too', async () => {
    const status = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const r = request(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      r.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      for (let i = 0; i < 24; i++) r.write(chunk);
      r.end();
    });
    assert.equal(status.status, 413);
    assert.equal((JSON.parse(status.text) as Rpc).error?.code, -32600);
    assert.equal(((await postJson(proxy.url, req(1, 'eth_blockNumber'))).json as Rpc).result, '0x10');
  });

  it('a non-JSON content type is 415 with a JSON-RPC error body', async () => {
    const r = await post(proxy.url, JSON.stringify(req(1, 'eth_blockNumber')), { 'content-type': 'text/plain' });
    assert.equal(r.status, 415);
    assert.equal((JSON.parse(r.text) as Rpc).error?.code, -32600);
    const charset = await post(proxy.url, JSON.stringify(req(1, 'eth_blockNumber')), { 'content-type': 'application/json; charset=utf-8' });
    assert.equal(charset.status, 200);
  });

  it('other HTTP methods are 405, unknown GET paths 404', async () => {
    assert.equal((await fetch(proxy.url, { method: 'PUT', body: '{}' })).status, 405);
    assert.equal((await fetch(`${proxy.url}/nope`)).status, 404);
  });

  it('a caller that drops the connection mid-request aborts its call; other callers are served meanwhile and after', async () => {
    const started = deferred();
    const aborted = deferred();
    const gate = deferred();
    backend.methods.set('eth_slow', async (_params, signal) => {
      signal?.addEventListener('abort', () => aborted.resolve());
      started.resolve();
      await gate.promise;
      return '0xdone';
    });
    const r = request(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' } });
    r.on('error', () => undefined);
    r.end(JSON.stringify(req(1, 'eth_slow')));
    await started.promise;
    r.destroy();
    await aborted.promise;
    assert.equal(((await postJson(proxy.url, req(2, 'eth_blockNumber'))).json as Rpc).result, '0x10');
    gate.resolve();
    assert.equal(((await postJson(proxy.url, req(3, 'eth_slow'))).json as Rpc).result, '0xdone');
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(text, /lesp_proxy_requests_total\{method="eth_slow",outcome="aborted",source="verified",transport="http"\} 1/);
  });
});

describe('proxy over HTTP: deadline', () => {
  it('a call with no answer within requestTimeoutMs is -32002, and its signal is aborted', async () => {
    const aborted = deferred();
    const backend = new StubBackend({
      eth_hang: (_p, signal) => {
        signal?.addEventListener('abort', () => aborted.resolve());
        return new Promise(() => undefined);
      },
    });
    const proxy = await startProxy({ backend, port: 0, requestTimeoutMs: 50 });
    try {
      const r = await postJson(proxy.url, req(1, 'eth_hang'));
      assert.equal((r.json as Rpc).error?.code, -32002);
      await aborted.promise;
    } finally {
      await proxy.close();
    }
  });
});

describe('proxy over HTTP: requests that never arrive whole', () => {
  /** Writes `text` on a raw connection and resolves with everything read until the proxy closes it. */
  function rawExchange(url: string, text: string): Promise<{ text: string; ms: number }> {
    const { hostname, port } = new URL(url);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const s = connect({ host: hostname, port: Number(port) }, () => s.write(text));
      let got = '';
      s.on('data', (d: Buffer) => (got += d.toString()));
      s.on('error', reject);
      s.on('close', () => resolve({ text: got, ms: performance.now() - started }));
    });
  }

  it('a body shorter than its Content-Length is answered 408 with a JSON-RPC error and cut off within the body timeout', async () => {
    const backend = backendWithErrors();
    const proxy = await startProxy({ backend, port: 0, headersTimeoutMs: 200, bodyTimeoutMs: 400 });
    try {
      const body = JSON.stringify(req(1, 'eth_blockNumber'));
      const short = rawExchange(proxy.url, `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length + 50}\r\n\r\n${body}`);
      const noHeaders = rawExchange(proxy.url, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Type: appl');
      // Others are served meanwhile.
      assert.deepEqual((await postJson(proxy.url, req(2, 'eth_blockNumber'))).json, { jsonrpc: '2.0', id: 2, result: '0x10' });
      for (const [what, p] of [['short body', short], ['unfinished headers', noHeaders]] as const) {
        const r = await p;
        assert.ok(r.ms < 3000, `${what}: closed after ${Math.round(r.ms)} ms`);
        assert.match(r.text, /^HTTP\/1\.1 408 /, what);
        const answer = JSON.parse(r.text.slice(r.text.indexOf('\r\n\r\n') + 4)) as Rpc;
        assert.equal(answer.error?.code, -32600, what);
      }
      assert.equal(backend.calls.filter((c) => c.method === 'eth_blockNumber').length, 1, 'the unfinished request never ran');
    } finally {
      await proxy.close();
    }
  });

  it('refuses a body timeout shorter than the headers timeout', async () => {
    await assert.rejects(startProxy({ backend: new StubBackend(), port: 0, headersTimeoutMs: 500, bodyTimeoutMs: 100 }), (e: unknown) => e instanceof LespError && e.field === 'bodyTimeoutMs');
  });
});

describe('proxy over HTTP: CORS', () => {
  const preflight = (url: string, origin: string) =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  const call = (url: string, origin: string) =>
    fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify(req(1, 'eth_blockNumber')) });

  it('by default a foreign origin gets no CORS headers: its preflight and its POST are refused and nothing runs', async () => {
    const backend = backendWithErrors();
    const proxy = await startProxy({ backend, port: 0 });
    try {
      const pre = await preflight(proxy.url, 'https://evil.example');
      assert.equal(pre.status, 403);
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      assert.equal(pre.headers.get('access-control-allow-methods'), null);
      const r = await call(proxy.url, 'https://evil.example');
      assert.equal(r.status, 403);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      assert.equal(((await r.json()) as Rpc).error?.code, -32600);
      // A "simple" cross-origin POST (no preflight) cannot run a call either.
      const simple = await fetch(proxy.url, { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' }, body: JSON.stringify(req(1, 'eth_blockNumber')) });
      assert.equal(simple.status, 403);
      assert.equal(backend.calls.length, 0, 'no call reached the backend');
      // Callers outside a browser send no Origin and are served as before.
      assert.deepEqual((await postJson(proxy.url, req(2, 'eth_blockNumber'))).json, { jsonrpc: '2.0', id: 2, result: '0x10' });
    } finally {
      await proxy.close();
    }
  });

  it('by default pages served from this machine (localhost, 127.0.0.1, [::1], any port) are allowed', async () => {
    const proxy = await startProxy({ backend: backendWithErrors(), port: 0 });
    try {
      for (const origin of ['http://localhost:3000', 'http://127.0.0.1:5173', 'http://[::1]:8080', 'http://localhost']) {
        const pre = await preflight(proxy.url, origin);
        assert.equal(pre.status, 204, origin);
        assert.equal(pre.headers.get('access-control-allow-origin'), origin);
        assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/);
        assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
        const r = await call(proxy.url, origin);
        assert.equal(r.headers.get('access-control-allow-origin'), origin);
        assert.match(r.headers.get('vary') ?? '', /Origin/);
        assert.deepEqual(await r.json(), { jsonrpc: '2.0', id: 1, result: '0x10' });
      }
      // Look-alikes are not loopback.
      for (const origin of ['http://localhost.evil.example', 'http://127.0.0.1.evil.example:3000', 'null']) {
        assert.equal((await preflight(proxy.url, origin)).status, 403, origin);
      }
    } finally {
      await proxy.close();
    }
  });

  it('with configured origins, allows exactly those; "*" only when given', async () => {
    const proxy = await startProxy({ backend: backendWithErrors(), port: 0, corsOrigins: ['https://good.example'] });
    try {
      const good = await preflight(proxy.url, 'https://good.example');
      assert.equal(good.headers.get('access-control-allow-origin'), 'https://good.example');
      assert.match(good.headers.get('vary') ?? '', /Origin/);
      assert.equal((await call(proxy.url, 'https://good.example')).status, 200);
      const evil = await preflight(proxy.url, 'https://evil.example');
      assert.equal(evil.headers.get('access-control-allow-origin'), null);
      assert.equal((await preflight(proxy.url, 'http://localhost:3000')).status, 403, 'the list replaces the loopback default');
    } finally {
      await proxy.close();
    }
    const any = await startProxy({ backend: backendWithErrors(), port: 0, corsOrigins: ['*'] });
    try {
      assert.equal((await preflight(any.url, 'https://evil.example')).headers.get('access-control-allow-origin'), '*');
      assert.equal((await call(any.url, 'https://evil.example')).headers.get('access-control-allow-origin'), '*');
    } finally {
      await any.close();
    }
  });

  it('refuses origin lists that are not origins', async () => {
    for (const corsOrigins of [['evil'], ['https://a.example/path'], ['ftp://a.example'], ['none', 'https://a.example']]) {
      await assert.rejects(startProxy({ backend: new StubBackend(), port: 0, corsOrigins }), (e: unknown) => e instanceof LespError && e.field === 'corsOrigins', JSON.stringify(corsOrigins));
    }
  });
});

describe('proxy options', () => {
  it('refuses unverified methods without an upstream, and an upstream that is not http(s)', async () => {
    await assert.rejects(startProxy({ backend: new StubBackend(), port: 0, unverified: ['eth_foo'] }), (e: unknown) => e instanceof LespError && e.code === 'BAD_OPTIONS');
    await assert.rejects(startProxy({ backend: new StubBackend(), port: 0, unverified: ['eth_foo'], upstream: 'ftp://x' }), (e: unknown) => e instanceof LespError && e.field === 'upstream');
    await assert.rejects(startProxy({ backend: new StubBackend(), port: 0, maxBatch: 0 }), (e: unknown) => e instanceof LespError && e.field === 'maxBatch');
  });
});
