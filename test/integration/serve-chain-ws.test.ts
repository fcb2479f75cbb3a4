// newHeads over WebSocket against a real anvil (it serves ws on its HTTP port), through a TCP relay
// the test can cut: while subscribed, blocks arrive with no poll at all; when the socket drops,
// polling takes over; when the node is reachable again the subscription comes back. A node that
// sends malformed notifications only wakes the follower, which asks the node itself.
import assert from 'node:assert/strict';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { ChainFollower, ChainStore, nodeEndpoints } from '../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../src/store/memory.js';

type Json = Record<string, unknown>;
let anvil: Anvil;

/** A TCP relay to anvil's port that can be cut and restored on the same port. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly target: number) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    this.server = undefined;
  }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function anvilHead(): Promise<string> {
  return (await anvil.rpc<Json>('eth_getBlockByNumber', ['latest', false])).hash as string;
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
});
after(async () => {
  await anvil?.stop();
});

describe('chain follower over eth_subscribe("newHeads")', () => {
  it('maps ws:// to HTTP on the same port', () => {
    assert.deepEqual(nodeEndpoints('ws://127.0.0.1:8545'), { httpUrl: 'http://127.0.0.1:8545/', wsUrl: 'ws://127.0.0.1:8545/' });
    assert.deepEqual(nodeEndpoints('http://127.0.0.1:8545'), { httpUrl: 'http://127.0.0.1:8545/', wsUrl: undefined });
    assert.throws(() => nodeEndpoints('ftp://x'), (e: unknown) => (e as { code?: string }).code === 'CHAIN_BAD_URL');
  });

  it('follows by notification without polling, polls while the socket is down, resubscribes', async () => {
    const relay = new Relay(anvil.port);
    await relay.open();
    const store = await ChainStore.open({ store: openMemoryStore() });
    const follower = new ChainFollower({
      store,
      rpc: new NodeRpcClient({ url: anvil.url }),
      wsUrl: `ws://127.0.0.1:${relay.port}`,
      pollIntervalMs: 200,
      subscribedPollMs: 0,
    });
    const states: boolean[] = [];
    follower.on('subscription', (s) => states.push(s.up));
    try {
      follower.start();
      await until('subscription', () => follower.subscribed);
      await follower.syncOnce();
      const pollsBefore = follower.stats.polls;
      for (let i = 0; i < 5; i++) {
        await anvil.rpc('evm_mine');
        const want = await anvilHead();
        await until(`block ${i}`, () => ethers.hexlify(store.head()?.hash ?? new Uint8Array()) === want);
      }
      assert.equal(follower.stats.polls, pollsBefore, 'no poll while subscribed');
      assert.ok(follower.stats.notifications >= 5);

      await relay.cut();
      await until('subscription down', () => !follower.subscribed);
      await anvil.rpc('evm_mine');
      const want = await anvilHead();
      await until('block by polling', () => ethers.hexlify(store.head()?.hash ?? new Uint8Array()) === want);
      assert.ok(follower.stats.polls > pollsBefore, 'polled while down');

      await relay.open();
      await until('resubscribed', () => follower.subscribed, 30_000);
      await until('poll timer settled', async () => {
        await new Promise((r) => setTimeout(r, 300));
        return true;
      });
      const polls = follower.stats.polls;
      const notes = follower.stats.notifications;
      await anvil.rpc('evm_mine');
      const next = await anvilHead();
      await until('block after resubscribing', () => ethers.hexlify(store.head()?.hash ?? new Uint8Array()) === next);
      assert.equal(follower.stats.polls, polls, 'no poll once subscribed again');
      assert.ok(follower.stats.notifications > notes);
      assert.deepEqual(states.slice(0, 3), [true, false, true]);
    } finally {
      await follower.stop();
      await relay.cut();
    }
  });

  it('treats malformed notifications as wake-ups only', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    const sockets: WebSocket[] = [];
    wss.on('connection', (s) => {
      sockets.push(s);
      s.on('message', (m) => {
        const req = JSON.parse(m.toString()) as Json;
        s.send(JSON.stringify({ jsonrpc: '2.0', id: req.id, result: '0xabc' }));
      });
    });
    const store = await ChainStore.open({ store: openMemoryStore() });
    const warnings: string[] = [];
    const follower = new ChainFollower({
      store,
      rpc: new NodeRpcClient({ url: anvil.url }),
      wsUrl: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
      pollIntervalMs: 60_000,
      subscribedPollMs: 0,
      log: { info() {}, warn: (_o: object, m: string) => warnings.push(m), error() {} },
    });
    try {
      follower.start();
      await until('subscription', () => follower.subscribed);
      await follower.syncOnce();
      await anvil.rpc('evm_mine');
      const want = await anvilHead();
      const ws = sockets[0] as WebSocket;
      ws.send('not json');
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0xother', result: {} } }));
      ws.send(JSON.stringify({ jsonrpc: '2.0', method: 'eth_subscription', params: { subscription: '0xabc', result: { number: '0x1', hash: '0x12' } } }));
      await until('block fetched after a malformed notification', () => ethers.hexlify(store.head()?.hash ?? new Uint8Array()) === want);
      assert.equal(follower.stats.notifications, 1, 'only the one for our subscription counted');
      assert.ok(warnings.some((w) => w.includes('malformed newHeads')));
      assert.equal(follower.stats.polls, 0);
    } finally {
      await follower.stop();
      for (const s of sockets) s.terminate();
      await new Promise((r) => wss.close(r));
    }
  });
});
