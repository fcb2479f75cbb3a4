import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HeadJson } from '../../../src/proxy/backend.js';
import { type RunningProxy, startProxy } from '../../../src/proxy/index.js';
import { StubBackend, head } from './stub-backend.js';
import { WsClient } from './ws-client.js';

const A = `0x${'aa'.repeat(20)}`;
const TOPIC = `0x${'77'.repeat(32)}`;

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Polls until `check` holds (a condition, not a clock: gives up after many rounds). */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await sleep(10);
  }
  assert.fail(`never happened: ${what}`);
}

const metricsText = async (proxy: RunningProxy) => (await fetch(`${proxy.url}/metrics`)).text();

/** Blocks whose eth_getLogs fails. */
const failLogs = new Set<string>();

function logBackend(): StubBackend {
  const blocks = new Map<string, HeadJson>();
  const backend = new StubBackend({
    eth_blockNumber: () => '0x10',
    eth_getBlockByHash: (p) => blocks.get((p as string[])[0] as string) ?? null,
    // Each block has one log from A with TOPIC and one from another address.
    eth_getLogs: (p) => {
      const blockHash = ((p as Array<{ blockHash: string }>)[0] as { blockHash: string }).blockHash;
      if (failLogs.has(blockHash)) throw new Error('no server answered');
      return [
        { address: A, topics: [TOPIC], data: '0x', blockHash, logIndex: '0x0', removed: false },
        { address: `0x${'bb'.repeat(20)}`, topics: [TOPIC], data: '0x', blockHash, logIndex: '0x1', removed: false },
      ];
    },
  });
  const emit = backend.emitHead.bind(backend);
  backend.emitHead = (h: HeadJson) => {
    blocks.set(h.hash, h);
    emit(h);
  };
  return backend;
}

describe('proxy over WebSocket', () => {
  let proxy: RunningProxy;
  let backend: StubBackend;
  before(async () => {
    backend = logBackend();
    proxy = await startProxy({ backend, port: 0, maxSubscriptions: 3, feed: { retryDelayMs: 1 } });
  });
  after(() => proxy.close());

  it('answers JSON-RPC bodies like HTTP: single, batch, malformed, notification (no answer)', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    assert.deepEqual(await c.call('eth_blockNumber'), { jsonrpc: '2.0', id: 1, result: '0x10' });
    c.send('{oops');
    assert.equal((await c.next()).error?.code, -32700);
    c.send({ jsonrpc: '2.0', method: 'eth_blockNumber' });
    c.send([{ jsonrpc: '2.0', id: 'a', method: 'eth_blockNumber' }, { jsonrpc: '1.0', id: 'b', method: 'eth_blockNumber' }]);
    // The notification before the batch produced nothing: the next message is the batch's answer.
    const batch = (await c.next()) as unknown as Array<{ id: string; error?: { code: number } }>;
    assert.deepEqual(batch.map((x) => [x.id, x.error?.code]), [['a', undefined], ['b', -32600]]);
    assert.equal((await c.call('eth_nope')).error?.code, -32601);
    // Binary frames are read as UTF-8 text too.
    c.ws.send(Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'eth_blockNumber' })));
    assert.equal((await c.next()).result, '0x10');
    await c.close();
  });

  it('newHeads: each head from the backend is one eth_subscription notification with the header', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    backend.emitHead(head(99));
    const sub = (await c.call('eth_subscribe', ['newHeads'])).result;
    assert.match(String(sub), /^0x[0-9a-f]{32}$/);
    backend.emitHead(head(100));
    backend.emitHead(head(101));
    for (const n of [100, 101]) {
      const m = await c.next();
      assert.equal(m.method, 'eth_subscription');
      assert.equal(m.id, undefined);
      assert.deepEqual(m.params, { subscription: sub, result: head(n) });
    }
    assert.equal((await c.call('eth_unsubscribe', [sub])).result, true);
    assert.equal((await c.call('eth_unsubscribe', [sub])).result, false);
    backend.emitHead(head(102));
    // Unsubscribed: the next message is the answer to this call, not a head.
    assert.equal((await c.call('eth_blockNumber')).result, '0x10');
    await c.close();
  });

  it('logs: matching logs of each new block, and removed: true for a block dropped by a reorg', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    backend.emitHead(head(200));
    const sub = (await c.call('eth_subscribe', ['logs', { address: A, topics: [TOPIC] }])).result;
    const b201 = head(201);
    const b202 = head(202);
    const b202x = head(202, 1, 0);
    backend.emitHead(b201);
    backend.emitHead(b202);
    const got: Array<[unknown, unknown, unknown]> = [];
    const take = async () => {
      const m = await c.next();
      assert.equal(m.params?.subscription, sub);
      const log = m.params?.result ?? {};
      assert.equal(log.address, A);
      got.push([log.blockHash, log.removed, log.logIndex]);
    };
    await take();
    await take();
    backend.emitHead(b202x);
    await take();
    await take();
    assert.deepEqual(got, [
      [b201.hash, false, '0x0'],
      [b202.hash, false, '0x0'],
      [b202.hash, true, '0x0'],
      [b202x.hash, false, '0x0'],
    ]);
    await c.close();
  });

  it('logs: a block whose logs cannot be read ends the subscription with one error notification, never a hole', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    backend.emitHead(head(300));
    const sub = (await c.call('eth_subscribe', ['logs', { address: A }])).result;
    failLogs.add(head(302).hash);
    for (const n of [301, 302, 303]) backend.emitHead(head(n));
    const first = await c.next();
    assert.equal(first.params?.result.blockHash, head(301).hash);
    const last = (await c.next()) as unknown as { method: string; params: { subscription: string; error: { code: number; message: string; data: unknown } } };
    assert.equal(last.method, 'eth_subscription');
    assert.equal(last.params.subscription, sub);
    assert.equal(last.params.error.code, -32000);
    assert.deepEqual(last.params.error.data, { code: 'LOGS_UNAVAILABLE' });
    // Gone: nothing of 303 follows, and the id is unknown.
    assert.equal((await c.call('eth_unsubscribe', [sub])).result, false);
    await c.close();
  });

  it('refuses unknown subscription types and malformed filters with -32602, and more than the limit with -32005', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    assert.equal((await c.call('eth_subscribe', ['newPendingTransactions'])).error?.code, -32602);
    assert.equal((await c.call('eth_subscribe', [])).error?.code, -32602);
    assert.equal((await c.call('eth_subscribe', ['logs', { address: '0x12' }])).error?.code, -32602);
    assert.equal((await c.call('eth_unsubscribe', [])).error?.code, -32602);
    for (let i = 0; i < 3; i++) assert.match(String((await c.call('eth_subscribe', ['newHeads'])).result), /^0x/);
    assert.equal((await c.call('eth_subscribe', ['newHeads'])).error?.code, -32005);
    await c.close();
  });

  it('subscriptions end with the socket', async () => {
    const c = await WsClient.open(proxy.wsUrl);
    await c.call('eth_subscribe', ['newHeads']);
    await c.call('eth_subscribe', ['logs', {}]);
    assert.match(await metricsText(proxy), /^lesp_proxy_subscriptions\{type="logs"\} [1-9]/m);
    await c.close();
    await until(async () => {
      const t = await metricsText(proxy);
      return /^lesp_proxy_subscriptions\{type="logs"\} 0$/m.test(t) && /^lesp_proxy_subscriptions\{type="newHeads"\} 0$/m.test(t) && /^lesp_proxy_ws_connections 0$/m.test(t);
    }, 'subscriptions and connections back to 0');
  });

  it('a socket closed mid-request aborts its call; another socket is served meanwhile', async () => {
    const started = deferred();
    const aborted = deferred();
    const gate = deferred();
    backend.methods.set('eth_slow', async (_p, signal) => {
      signal?.addEventListener('abort', () => aborted.resolve());
      started.resolve();
      await gate.promise;
      return '0xlate';
    });
    const a = await WsClient.open(proxy.wsUrl);
    const b = await WsClient.open(proxy.wsUrl);
    a.send({ jsonrpc: '2.0', id: 1, method: 'eth_slow' });
    await started.promise;
    await a.close();
    await aborted.promise;
    assert.equal((await b.call('eth_blockNumber')).result, '0x10');
    gate.resolve();
    assert.equal((await b.call('eth_slow')).result, '0xlate');
    await b.close();
  });
});

describe('proxy over WebSocket: bounds', () => {
  it('answers at most maxInFlightPerSocket bodies at once; the rest wait their turn', async () => {
    const gates = [deferred(), deferred()];
    const started: number[] = [];
    const allStarted = deferred();
    const backend = new StubBackend({
      eth_slow: async (p) => {
        const i = (p as number[])[0] as number;
        started.push(i);
        if (started.length === 2) allStarted.resolve();
        await gates[i]?.promise;
        return i;
      },
      eth_fast: () => 'fast',
    });
    const proxy = await startProxy({ backend, port: 0, maxInFlightPerSocket: 2 });
    try {
      const c = await WsClient.open(proxy.wsUrl);
      c.send({ jsonrpc: '2.0', id: 0, method: 'eth_slow', params: [0] });
      c.send({ jsonrpc: '2.0', id: 1, method: 'eth_slow', params: [1] });
      c.send({ jsonrpc: '2.0', id: 2, method: 'eth_fast' });
      await allStarted.promise;
      gates[1]?.resolve();
      // Without the bound, eth_fast would have been answered first.
      assert.deepEqual([(await c.next()).id, (await c.next()).id], [1, 2]);
      assert.equal(backend.calls.filter((x) => x.method === 'eth_fast').length, 1);
      gates[0]?.resolve();
      assert.equal((await c.next()).id, 0);
      await c.close();
    } finally {
      await proxy.close();
    }
  });

  it('drops a subscriber that does not read, and keeps serving others', async () => {
    const backend = new StubBackend({ eth_blockNumber: () => '0x1' });
    const proxy = await startProxy({ backend, port: 0, maxBufferedBytes: 256 * 1024 });
    try {
      const slow = await WsClient.open(proxy.wsUrl);
      const other = await WsClient.open(proxy.wsUrl);
      await slow.call('eth_subscribe', ['newHeads']);
      slow.ws.pause();
      const big = 'ff'.repeat(64 * 1024);
      let dropped = false;
      for (let n = 1; n <= 5000 && !dropped; n++) {
        backend.emitHead({ ...head(n), extraData: `0x${big}` });
        await sleep(0);
        if (n % 20 === 0) dropped = /^lesp_proxy_ws_dropped_total\{reason="slow_consumer"\} 1$/m.test(await metricsText(proxy));
      }
      assert.equal(dropped, true);
      assert.equal((await other.call('eth_blockNumber')).result, '0x1');
      await other.close();
      await slow.close();
    } finally {
      await proxy.close();
    }
  });

  it('refuses WebSocket upgrades from origins not allowed', async () => {
    const proxy = await startProxy({ backend: new StubBackend(), port: 0, corsOrigins: ['https://good.example'] });
    try {
      await assert.rejects(WsClient.open(proxy.wsUrl, { origin: 'https://evil.example' }), /403/);
      const ok = await WsClient.open(proxy.wsUrl, { origin: 'https://good.example' });
      await ok.close();
    } finally {
      await proxy.close();
    }
  });

  it('by default refuses the upgrade from a foreign web page, allows a loopback page and callers without Origin', async () => {
    const proxy = await startProxy({ backend: new StubBackend({ eth_blockNumber: () => '0x1' }), port: 0 });
    try {
      await assert.rejects(WsClient.open(proxy.wsUrl, { origin: 'https://evil.example' }), /403/);
      for (const options of [{ origin: 'http://localhost:3000' }, { origin: 'http://127.0.0.1:5173' }, {}]) {
        const ok = await WsClient.open(proxy.wsUrl, options);
        assert.equal((await ok.call('eth_blockNumber')).result, '0x1');
        await ok.close();
      }
    } finally {
      await proxy.close();
    }
  });
});
