/**
 * Methods the engine cannot verify: refused with -32601 and never forwarded, unless the operator
 * opts in per method — then they go to the upstream node (anvil, behind a relay that records what
 * reaches it), the answer (or error, with its code and data) comes back as the node gave it, and
 * metrics count them under source="unverified".
 */
import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { type RunningProxy, startProxy } from '../../src/proxy/index.js';
import { StubBackend, postJson } from '../unit/proxy/stub-backend.js';

type Rpc = { id: unknown; result?: unknown; error?: { code: number; message: string; data?: unknown } };

describe('proxy: unverified methods only by opt-in, forwarded to the upstream', () => {
  let anvil: Anvil;
  let relay: Server;
  let relayUrl: string;
  const reached: string[] = [];
  let proxy: RunningProxy;
  let backend: StubBackend;

  before(async () => {
    anvil = await startAnvil();
    relay = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        reached.push((JSON.parse(body) as { method: string }).method);
        fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
          .then((r) => r.text())
          .then((text) => res.writeHead(200, { 'content-type': 'application/json' }).end(text), () => res.writeHead(502).end());
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
    backend = new StubBackend({ eth_blockNumber: () => '0x99' });
    proxy = await startProxy({ backend, port: 0, unverified: ['web3_clientVersion', 'eth_call', 'eth_blockNumber'], upstream: relayUrl });
  });

  after(async () => {
    await proxy?.close();
    await new Promise<void>((resolve) => (relay ? relay.close(() => resolve()) : resolve()));
    await anvil?.stop();
  });

  it('an opted-in method is answered by the upstream node, as the node answers it', async () => {
    const r = await postJson(proxy.url, { jsonrpc: '2.0', id: 1, method: 'web3_clientVersion', params: [] });
    const fromAnvil = await anvil.rpc<string>('web3_clientVersion');
    assert.equal((r.json as Rpc).result, fromAnvil);
    assert.match(fromAnvil, /anvil/i);
    assert.deepEqual(reached, ['web3_clientVersion']);
  });

  it('the upstream node\'s errors pass through with their code and data', async () => {
    // A call without `to` runs its data as init code: PUSH1 0 PUSH1 0 REVERT, so anvil answers with an error.
    const r = await postJson(proxy.url, { jsonrpc: '2.0', id: 2, method: 'eth_call', params: [{ data: '0x60006000fd' }, 'latest'] });
    const direct = await fetch(anvil.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'eth_call', params: [{ data: '0x60006000fd' }, 'latest'] }),
    });
    const expected = ((await direct.json()) as Rpc).error;
    assert.equal(expected?.code, 3);
    assert.deepEqual((r.json as Rpc).error, expected);
  });

  it('a method the engine verifies is answered by the engine even when listed as unverified', async () => {
    const before = reached.length;
    const r = await postJson(proxy.url, { jsonrpc: '2.0', id: 3, method: 'eth_blockNumber', params: [] });
    assert.equal((r.json as Rpc).result, '0x99');
    assert.equal(reached.length, before);
  });

  it('a method not opted in is -32601 and never reaches the upstream', async () => {
    const before = reached.length;
    const r = await postJson(proxy.url, { jsonrpc: '2.0', id: 4, method: 'eth_accounts', params: [] });
    assert.equal((r.json as Rpc).error?.code, -32601);
    assert.equal((r.json as Rpc).error?.message, 'the method eth_accounts does not exist/is not available');
    assert.equal(reached.length, before);
  });

  it('metrics mark forwarded calls as unverified', async () => {
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    assert.match(text, /^lesp_proxy_requests_total\{method="web3_clientVersion",outcome="ok",source="unverified",transport="http"\} 1$/m);
    assert.match(text, /^lesp_proxy_requests_total\{method="eth_call",outcome="[a-z_]+",source="unverified",transport="http"\} 1$/m);
    assert.match(text, /^lesp_proxy_requests_total\{method="eth_blockNumber",outcome="ok",source="verified",transport="http"\} 1$/m);
    assert.match(text, /^lesp_proxy_request_duration_seconds_count\{method="web3_clientVersion",source="unverified"\} 1$/m);
  });

  it('without an opt-in, even with an upstream configured, nothing is forwarded', async () => {
    const strict = await startProxy({ backend, port: 0, upstream: relayUrl });
    try {
      const before = reached.length;
      const r = await postJson(strict.url, { jsonrpc: '2.0', id: 5, method: 'web3_clientVersion', params: [] });
      assert.equal((r.json as Rpc).error?.code, -32601);
      assert.equal(reached.length, before);
    } finally {
      await strict.close();
    }
  });

  it('an upstream that is down is -32603 for the opted-in method; the proxy goes on', async () => {
    const down = await startProxy({ backend, port: 0, unverified: ['web3_clientVersion'], upstream: 'http://127.0.0.1:9' });
    try {
      const r = await postJson(down.url, { jsonrpc: '2.0', id: 6, method: 'web3_clientVersion', params: [] });
      assert.equal((r.json as Rpc).error?.code, -32603);
      assert.equal(((await postJson(down.url, { jsonrpc: '2.0', id: 7, method: 'eth_blockNumber' })).json as Rpc).result, '0x99');
    } finally {
      await down.close();
    }
  });
});
