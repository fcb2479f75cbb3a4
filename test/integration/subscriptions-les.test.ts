/**
 * Subscriptions through the real stack: anvil ← 2 LES servers ← LesClient ← the proxy's WebSocket
 * and the EIP-1193 object. Across an anvil_reorg, a 40-block jump and logs no server can prove,
 * every log of the canonical chain arrives exactly once (removed: true for the reorged ones), or
 * the subscription ends with an error — never a hole. Expected logs are anvil's own eth_getLogs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LesEip1193Provider, ProviderRpcError } from '../../src/client/eip1193.js';
import type { LesClient } from '../../src/client/engine/index.js';
import { type RunningProxy, lesBackend, startProxy } from '../../src/proxy/index.js';
import { type Anvil, sendTx } from '../helpers/anvil.js';
import { type Devnet, clientAtHead, serversIdle, startDevnet, until } from '../helpers/devnet-stack.js';
import { Tamperer } from '../helpers/lying-server.js';
import { type Message, WsClient } from '../unit/proxy/ws-client.js';

type Json = Record<string, unknown>;
const TOPIC = `0x${'5e'.repeat(32)}`;
// Empty calldata → LOG1(TOPIC); any calldata → revert (as in proxy-e2e.test.ts).
const RUNTIME = `36602b57` + `7f${TOPIC.slice(2)}` + `60006000a100` + `5b63deadbeef60e01b60005260046000fd`;
const INITCODE = `0x603c600c600039603c6000f3${RUNTIME}`;
const hex = (n: number) => `0x${n.toString(16)}`;

/** Resolves with `p`, or fails naming `what` after `ms`. */
async function within<T>(p: Promise<T>, what: string, ms = 60_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/** The next `n` messages of a socket that carries one subscription. */
async function take(ws: WsClient, n: number, what: string): Promise<Message[]> {
  const out: Message[] = [];
  for (let i = 0; i < n; i++) out.push(await within(ws.next(), `${what} (${i + 1} of ${n})`));
  return out;
}

/** Every `message` of one EIP-1193 subscription, as { result } or { error }. */
function collect(eip: LesEip1193Provider, id: string): Array<{ result?: Json; error?: ProviderRpcError }> {
  const got: Array<{ result?: Json; error?: ProviderRpcError }> = [];
  eip.on('message', (m: { type: string; data: { subscription: string; result?: Json; error?: ProviderRpcError } }) => {
    if (m.type === 'eth_subscription' && m.data.subscription === id) got.push({ result: m.data.result, error: m.data.error });
  });
  return got;
}

async function atLeast<T>(list: T[], n: number, what: string): Promise<T[]> {
  await until(what, () => (list.length >= n ? true : undefined), 60_000);
  return list;
}

describe('subscriptions over LES: reorg, gap, unprovable logs', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let client: LesClient;
  let eip: LesEip1193Provider;
  let proxy: RunningProxy;
  let from: string;
  let contract: string;
  /** The numbers of the heads the client adopted, in order. */
  const adopted: number[] = [];

  const logTx = () => ({ from, to: contract, gas: hex(25_000) });
  const head = async () => Number(await anvil.rpc<string>('eth_blockNumber'));
  const anvilLogs = (lo: number, hi: number) => anvil.rpc<Json[]>('eth_getLogs', [{ address: contract, fromBlock: hex(lo), toBlock: hex(hi) }]);
  const anvilBlock = (n: number) => anvil.rpc<Json>('eth_getBlockByNumber', [hex(n), false]);
  const unremoved = (logs: Json[]) => logs.map((l) => ({ ...l, removed: false }));

  before(async () => {
    devnet = await startDevnet({ servers: 2 });
    anvil = devnet.anvil;
    const surfaces = devnet.surfaces as NonNullable<Devnet['surfaces']>;
    client = surfaces.client;
    eip = surfaces.eip;
    client.on('newHead', (h) => adopted.push(Number(h.number)));
    [from] = (await anvil.rpc<string[]>('eth_accounts')) as [string];
    contract = (await sendTx<{ contractAddress: string }>(anvil, { from, data: INITCODE })).contractAddress;
    proxy = await startProxy({ backend: lesBackend(client), port: 0, feed: { retryDelayMs: 50 } });
    await clientAtHead(anvil, client);
  });

  after(async () => {
    await proxy?.close();
    await devnet?.stop();
  });

  it('across anvil_reorg: the old branch\'s logs come back removed (newest first), the new branch\'s once each, on the WebSocket and the EIP-1193 object', async () => {
    const logsWs = await WsClient.open(proxy.wsUrl);
    const headsWs = await WsClient.open(proxy.wsUrl);
    const logSub = (await logsWs.call('eth_subscribe', ['logs', { address: contract }])).result as string;
    const headSub = (await headsWs.call('eth_subscribe', ['newHeads'])).result as string;
    const eipId = (await eip.request({ method: 'eth_subscribe', params: ['logs', { address: contract, topics: [TOPIC] }] })) as string;
    const eipGot = collect(eip, eipId);
    const n0 = await head();

    for (let i = 0; i < 3; i++) await sendTx(anvil, logTx());
    const old = await anvilLogs(n0 + 1, n0 + 3);
    assert.equal(old.length, 3);
    const oldHashes = await Promise.all([1, 2, 3].map(async (i) => (await anvilBlock(n0 + i)).hash));
    const first = await take(logsWs, 3, 'the old branch\'s logs');
    assert.deepEqual(first.map((m) => m.params?.result), unremoved(old));
    assert.ok(first.every((m) => m.params?.subscription === logSub));

    // Blocks n0+2 and n0+3 replaced by two others with a log each, then one more on top.
    await anvil.rpc('anvil_reorg', [2, [[logTx(), 0], [logTx(), 1]]]);
    await sendTx(anvil, logTx());
    const n1 = await head();
    const fresh = await anvilLogs(n0 + 2, n1);
    assert.ok(fresh.length >= 3);
    assert.ok(fresh.every((l) => !oldHashes.includes(l.blockHash)), 'anvil replaced the blocks');
    const removed = [old[2], old[1]].map((l) => ({ ...l, removed: true }));
    const second = await take(logsWs, 2 + fresh.length, 'removals and the new branch\'s logs');
    assert.deepEqual(second.map((m) => m.params?.result), [...removed, ...unremoved(fresh)]);

    // One more block with a log: it comes next — nothing was sent twice in between.
    await sendTx(anvil, logTx());
    const n2 = await head();
    const tail = await anvilLogs(n2, n2);
    assert.deepEqual((await take(logsWs, tail.length, 'the last block\'s log')).map((m) => m.params?.result), unremoved(tail));

    // newHeads: each header once, the new branch's re-delivered from the fork on.
    const expectedHeads = [...oldHashes, ...(await Promise.all(Array.from({ length: n2 - n0 - 1 }, async (_, i) => (await anvilBlock(n0 + 2 + i)).hash)))];
    const heads = await take(headsWs, expectedHeads.length, 'the headers');
    assert.deepEqual(heads.map((m) => m.params?.result.hash), expectedHeads);
    assert.ok(heads.every((m) => m.params?.subscription === headSub));

    // The EIP-1193 object: the same sequence.
    await atLeast(eipGot, 3 + 2 + fresh.length + tail.length, 'the EIP-1193 messages');
    assert.deepEqual(eipGot.map((d) => d.result), [...unremoved(old), ...removed, ...unremoved(fresh), ...unremoved(tail)]);
    await sleep(200);
    assert.equal(eipGot.length, 3 + 2 + fresh.length + tail.length, 'nothing more');
    await eip.request({ method: 'eth_unsubscribe', params: [eipId] });
    await logsWs.close();
    await headsWs.close();
  });

  it('40 blocks with logs mined at once, the client\'s head jumping past them: every log delivered, in order, once', async () => {
    const ws = await WsClient.open(proxy.wsUrl);
    const sub = (await ws.call('eth_subscribe', ['logs', { address: contract }])).result as string;
    const eipId = (await eip.request({ method: 'eth_subscribe', params: ['logs', { address: contract }] })) as string;
    const eipGot = collect(eip, eipId);
    const n0 = await head();
    await clientAtHead(anvil, client);
    const seen = adopted.length;

    // The servers follow but announce nothing meanwhile: the client's next head is 41 blocks up.
    const unmute = devnet.servers.map((s) => {
      const announcer = s.service.announcer;
      const real = announcer.announce;
      announcer.announce = async () => undefined;
      return () => {
        announcer.announce = real;
      };
    });
    // One transaction fits in a block: anvil_mine(40) makes 40 blocks with one log each, in one call.
    // (A fresh sender and an empty pool: what the reorg above took out of the chain stays out.)
    const gasLimit = (await anvilBlock(n0)).gasLimit as string;
    const sender = (await anvil.rpc<string[]>('eth_accounts'))[1] as string;
    try {
      await anvil.rpc('anvil_dropAllTransactions');
      await anvil.rpc('evm_setBlockGasLimit', [hex(43_000)]);
      await anvil.rpc('evm_setAutomine', [false]);
      // A fee cap well above the base fee these full blocks raise: none of the 40 is dropped.
      for (let i = 0; i < 40; i++) await anvil.rpc('eth_sendTransaction', [{ ...logTx(), from: sender, maxFeePerGas: hex(100e9), maxPriorityFeePerGas: hex(1e9) }]);
      await anvil.rpc('anvil_mine', [hex(40)]);
      await anvil.rpc('evm_setAutomine', [true]);
      await anvil.rpc('evm_setBlockGasLimit', [gasLimit]);
      await serversIdle(anvil, devnet.servers);
    } finally {
      for (const f of unmute) f();
    }
    await sendTx(anvil, logTx());

    const expected = await anvilLogs(n0 + 1, n0 + 41);
    assert.equal(expected.length, 41);
    assert.equal(new Set(expected.map((l) => l.blockNumber)).size, 41, 'one log in each of the 41 blocks');
    const got = await take(ws, 41, 'the 41 logs');
    assert.deepEqual(got.map((m) => m.params?.result), unremoved(expected));
    assert.ok(got.every((m) => m.params?.subscription === sub));
    await atLeast(eipGot, 41, 'the 41 EIP-1193 messages');
    assert.deepEqual(eipGot.map((d) => d.result), unremoved(expected));

    // The client's head did jump past those blocks (what this test is about).
    const steps = [n0, ...adopted.slice(seen)].map((n, i, a) => n - (a[i - 1] ?? n));
    assert.ok(steps.some((d) => d > 16), `a head jump of more than 16 blocks (steps ${steps.join(',')})`);
    await eip.request({ method: 'eth_unsubscribe', params: [eipId] });
    await ws.close();
  });

  it('logs no server can prove end the subscription with an error (WebSocket notification, EIP-1193 message); newHeads goes on', async () => {
    const logsWs = await WsClient.open(proxy.wsUrl);
    const headsWs = await WsClient.open(proxy.wsUrl);
    const logSub = (await logsWs.call('eth_subscribe', ['logs', { address: contract }])).result as string;
    await headsWs.call('eth_subscribe', ['newHeads']);
    const eipId = (await eip.request({ method: 'eth_subscribe', params: ['logs'] })) as string;
    const eipGot = collect(eip, eipId);
    // Both servers now drop a log from every receipt that has one: no answer verifies.
    const liars = devnet.servers.map((s) => new Tamperer(s, { lie: 'log' }));
    try {
      await sendTx(anvil, logTx());
      const n = await head();
      const [end] = await take(logsWs, 1, 'the error notification');
      const params = end?.params as unknown as { subscription: string; result?: unknown; error?: { code: number; message: string; data: { code: string } } };
      assert.equal(params.subscription, logSub);
      assert.equal(params.result, undefined, 'no log of that block was delivered');
      assert.equal(params.error?.code, -32000);
      assert.deepEqual(params.error?.data, { code: 'LOGS_UNAVAILABLE' });
      assert.match(params.error?.message ?? '', /could not fetch the logs of block \d+/);
      assert.equal((await logsWs.call('eth_unsubscribe', [logSub])).result, false, 'the subscription is gone');
      await atLeast(eipGot, 1, 'the EIP-1193 error message');
      assert.equal(eipGot.length, 1);
      assert.equal(eipGot[0]?.result, undefined);
      assert.equal(eipGot[0]?.error?.code, -32000);
      assert.deepEqual(eipGot[0]?.error?.data, { code: 'LOGS_UNAVAILABLE' });
      assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [eipId] }), false);
      // Headers need no receipts: the block's header still came.
      const heads = await take(headsWs, 1, 'the header');
      assert.equal(heads[0]?.params?.result.hash, (await anvilBlock(n)).hash);
    } finally {
      for (const t of liars) t.uninstall();
      await logsWs.close();
      await headsWs.close();
    }
  });
});
