/**
 * The proxy under a few thousand mutated and malformed JSON-RPC requests (test/helpers/proxy-fuzz.ts:
 * bad JSON, deep nesting, huge arrays, wrong types in every param of every method of the real
 * method table, batches, bad ids, invalid UTF-8, envelope and HTTP junk, WebSocket text and
 * binary frames, requests that never arrive whole), over the real method table and local EVM with
 * an empty data layer. Nothing crashes or hangs; every answer is JSON-RPC 2.0 with a code of the
 * standard set and never -32603; nothing is logged at warn or above (no stack traces for bad
 * input); a good request is answered throughout. The ≥ 100,000-request run is bench/proxy-fuzz.ts.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { type RunningProxy, startProxy } from '../../../src/proxy/index.js';
import { FuzzBackend } from '../../helpers/proxy-fuzz-backend.js';
import { runProxyFuzz } from '../../helpers/proxy-fuzz.js';

const CASES = Number(process.env.LESP_PROXY_FUZZ_CASES ?? 1500);

describe('proxy fuzz', () => {
  let proxy: RunningProxy;
  let backend: FuzzBackend;
  const logged: Array<Record<string, unknown>> = [];
  before(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') logged.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    backend = new FuzzBackend();
    proxy = await startProxy({ backend, port: 0, headersTimeoutMs: 2000, bodyTimeoutMs: 3000, maxInFlightPerSocket: 1, log: pino({ level: 'warn' }, sink) });
  });
  after(() => proxy.close());

  it(`${CASES} hostile requests: no crash, no hang, only JSON-RPC errors of the standard set, no -32603, nothing logged, good requests served`, async () => {
    const report = await runProxyFuzz(proxy, { count: CASES, seed: 0x1e5, methods: backend.list(), concurrency: 4, answerTimeoutMs: 10_000, goodEvery: 100, slowCases: 4 });
    const summary = JSON.stringify({ ...report, failures: report.failures.slice(0, 5) }, null, 1);
    assert.equal(report.requests, CASES + 4, summary);
    assert.equal(report.crashes, 0, summary);
    assert.equal(report.hangs, 0, summary);
    assert.equal(report.internal, 0, summary);
    assert.equal(report.malformed, 0, summary);
    assert.equal(report.goodFailed, 0, summary);
    for (const kind of ['params', 'json', 'deep', 'batch', 'id', 'envelope', 'utf8', 'http', 'subscribe']) assert.ok((report.byKind[kind] ?? 0) > 0, `${kind} was tried`);
    for (const code of ['-32700', '-32600', '-32601', '-32602']) assert.ok((report.codes[code] ?? 0) > 0, `${code} was answered: ${summary}`);
    assert.deepEqual(logged.filter((l) => (l.level as number) >= 40), [], 'nothing logged at warn or above');
  });

  it('params 5,000 deep, an id with invalid UTF-8, and junk nonce/type/chainId in call objects are refused with the right code, nothing logged', async () => {
    const rpc = async (body: string | Buffer) => {
      const res = await fetch(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return (await res.json()) as { id: unknown; error?: { code: number; data?: { field?: string } } };
    };
    const deep = await rpc(`{"jsonrpc":"2.0","id":7,"method":"eth_getBalance","params":${'['.repeat(5000)}${']'.repeat(5000)}}`);
    assert.deepEqual([deep.id, deep.error?.code, deep.error?.data?.field], [7, -32602, 'params']);
    const bad = await rpc(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('","method":"eth_chainId","params":[]}')]));
    assert.deepEqual([bad.id, bad.error?.code], [null, -32700], 'refused, not answered with U+FFFD in the id');
    const to = `0x${'11'.repeat(20)}`;
    for (const method of ['eth_call', 'eth_estimateGas', 'eth_createAccessList']) {
      for (const [call, field] of [
        [{ to, nonce: 'junk' }, 'transaction.nonce'],
        [{ to, nonce: '0x10000000000000000' }, 'transaction.nonce'],
        [{ to, type: '0x9' }, 'transaction.type'],
        [{ to, type: [] }, 'transaction.type'],
        [{ to, chainId: 'mainnet' }, 'transaction.chainId'],
        [{ to, chainId: '0x1' }, 'transaction.chainId'],
      ] as const) {
        const r = await rpc(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [call, 'latest'] }));
        assert.deepEqual([r.error?.code, r.error?.data?.field], [-32602, field], `${method} ${JSON.stringify(call)}`);
      }
      // The network's own chain id and well-formed nonce/type pass the checks (and then find no state here).
      const ok = await rpc(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: [{ to, nonce: '0x1', type: '0x2', chainId: '0x7a69' }, 'latest'] }));
      assert.equal(ok.error?.code, -32000, JSON.stringify(ok));
    }
    assert.deepEqual(logged.filter((l) => (l.level as number) >= 40), [], 'nothing logged at warn or above');
  });
});
