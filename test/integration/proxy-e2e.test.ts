/**
 * End to end: anvil ← 2 in-process LES servers (src/serve) ← LesClient (verifying engine) ← proxy.
 * ethers JsonRpcProvider and viem's http() transport pointed at the proxy get anvil's answers
 * (every one verified on the way); a raw WebSocket client receives newHeads and logs as blocks are
 * mined; `lesp proxy` itself starts, serves curl-style calls and exits 0 on SIGINT.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { JsonRpcProvider, Wallet } from 'ethers';
import { createPublicClient, http } from 'viem';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { LesClient } from '../../src/client/engine/index.js';
import { LesServer } from '../../src/serve/index.js';
import { type RunningProxy, lesBackend, startProxy } from '../../src/proxy/index.js';
import { WsClient } from '../unit/proxy/ws-client.js';

const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const TOPIC = `0x${'5e'.repeat(32)}`;
// Empty calldata → LOG1(TOPIC); any calldata → revert 0xdeadbeef (see proxy-anvil.test.ts).
const RUNTIME = `36602b57` + `7f${TOPIC.slice(2)}` + `60006000a100` + `5b63deadbeef60e01b60005260046000fd`;
const INITCODE = `0x603c600c600039603c6000f3${RUNTIME}`;

/**
 * Fields where the engine's method layer follows go-ethereum and anvil does not (blobGasPrice on
 * receipts of non-blob transactions, totalDifficulty after the merge), and block `size`, one byte
 * below anvil's for prague blocks (reported to the methods layer: an empty withdrawals list not
 * counted?). The proxy passes whatever the engine answers; these are not the proxy's to judge.
 */
const NOT_COMPARED = ['blobGasPrice', 'totalDifficulty', 'size'];
const comparable = <T>(v: T): T => (v === null || typeof v !== 'object' ? v : (Object.fromEntries(Object.entries(v).filter(([k]) => !NOT_COMPARED.includes(k))) as T));

/** Polls until `check` holds (a condition, not a clock: gives up after many rounds). */
async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    if (await check()) return;
    await sleep(20);
  }
  assert.fail(`never happened: ${what}`);
}

describe('proxy end to end: anvil, 2 LES servers, LesClient, proxy', () => {
  let anvil: Anvil;
  let servers: LesServer[] = [];
  let enodes: string[];
  let genesis: string;
  let client: LesClient;
  let proxy: RunningProxy;
  let viaProxy: JsonRpcProvider;
  let direct: JsonRpcProvider;
  let contract: string;
  let logTx: string;

  /** Resolves once the client's verified head is anvil's head. */
  const caughtUp = async () => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    await until(() => (client.status().head?.number ?? -1) >= n, `client head at ${n}`);
  };

  before(async () => {
    anvil = await startAnvil();
    direct = new JsonRpcProvider(anvil.url, undefined, { cacheTimeout: -1 });
    const deployer = new Wallet(DEV_KEY, direct);
    contract = (await (await deployer.sendTransaction({ data: INITCODE })).wait(1, 60_000))?.contractAddress as string;
    logTx = (await (await deployer.sendTransaction({ to: contract })).wait(1, 60_000))?.hash as string;
    await anvil.rpc('anvil_mine', ['0x2']);
    genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    servers = [0, 1].map(() => new LesServer({ rpcUrl: anvil.url, port: 0, host: '127.0.0.1', pollIntervalMs: 50, progressStream: null }));
    enodes = await Promise.all(servers.map((s) => s.start()));
    client = new LesClient({ servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis, timeouts: { startMs: 60_000 } });
    await client.start();
    proxy = await startProxy({ backend: lesBackend(client), port: 0 });
    viaProxy = new JsonRpcProvider(proxy.url, undefined, { cacheTimeout: -1 });
    await caughtUp();
  });

  after(async () => {
    viaProxy?.destroy();
    direct?.destroy();
    await proxy?.close();
    await client?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await anvil?.stop();
  });

  it('ethers JsonRpcProvider through the proxy: anvil\'s answers, verified', async () => {
    await caughtUp();
    const [a, b] = [viaProxy, direct];
    const [account] = await anvil.rpc<string[]>('eth_accounts');
    const n = await b.getBlockNumber();
    assert.equal(await a.getBlockNumber(), n);
    assert.equal((await a.getNetwork()).chainId, (await b.getNetwork()).chainId);
    assert.equal(await a.getBalance(account as string), await b.getBalance(account as string));
    assert.equal(await a.getTransactionCount(account as string), await b.getTransactionCount(account as string));
    assert.equal(await a.getCode(contract), `0x${RUNTIME}`);
    const blockA = (await a.getBlock(n))?.toJSON();
    assert.deepEqual(blockA, (await b.getBlock(n))?.toJSON());
    assert.deepEqual(comparable((await a.getTransactionReceipt(logTx))?.toJSON()), comparable((await b.getTransactionReceipt(logTx))?.toJSON()));
    const logs = await a.getLogs({ address: contract, fromBlock: 0, toBlock: n });
    assert.equal(logs.length, 1);
    assert.deepEqual(logs.map((l) => l.toJSON()), (await b.getLogs({ address: contract, fromBlock: 0, toBlock: n })).map((l) => l.toJSON()));
  });

  it('ethers: a reverting call carries the revert data through the proxy (code 3)', async () => {
    const err = await a_call(viaProxy, contract);
    assert.equal(err.code, 'CALL_EXCEPTION');
    assert.equal(err.data, '0xdeadbeef');
  });

  it('ethers: a transaction sent through the proxy is relayed, mined and its receipt read back verified', async () => {
    const wallet = new Wallet(DEV_KEY, viaProxy);
    const tx = await wallet.sendTransaction({ to: contract });
    const receipt = await tx.wait(1, 60_000);
    assert.equal(receipt?.status, 1);
    assert.deepEqual(comparable(receipt?.toJSON()), comparable((await direct.getTransactionReceipt(tx.hash))?.toJSON()));
  });

  it('viem http() transport through the proxy: anvil\'s answers', async () => {
    await caughtUp();
    const a = createPublicClient({ transport: http(proxy.url) });
    const b = createPublicClient({ transport: http(anvil.url) });
    const n = await b.getBlockNumber();
    assert.equal(await a.getBlockNumber(), n);
    assert.equal(await a.getChainId(), await b.getChainId());
    const [account] = await anvil.rpc<`0x${string}`[]>('eth_accounts');
    assert.equal(await a.getBalance({ address: account as `0x${string}` }), await b.getBalance({ address: account as `0x${string}` }));
    assert.deepEqual(comparable(await a.getBlock({ blockNumber: n, includeTransactions: true })), comparable(await b.getBlock({ blockNumber: n, includeTransactions: true })));
    assert.deepEqual(
      await a.getLogs({ address: contract as `0x${string}`, fromBlock: 0n, toBlock: n }),
      await b.getLogs({ address: contract as `0x${string}`, fromBlock: 0n, toBlock: n }),
    );
  });

  it('WebSocket: newHeads and logs notifications as blocks are mined', async () => {
    const heads = await WsClient.open(proxy.wsUrl);
    const logs = await WsClient.open(proxy.wsUrl);
    const headSub = (await heads.call('eth_subscribe', ['newHeads'])).result;
    const logSub = (await logs.call('eth_subscribe', ['logs', { address: contract }])).result;
    const deployer = new Wallet(DEV_KEY, direct);
    const receipt = await (await deployer.sendTransaction({ to: contract })).wait(1, 60_000);
    const mined = receipt?.blockNumber as number;
    const block = await anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [`0x${mined.toString(16)}`, false]);
    for (;;) {
      const m = await heads.next();
      assert.equal(m.params?.subscription, headSub);
      const h = m.params?.result ?? {};
      if (Number(h.number) < mined) continue;
      for (const field of ['hash', 'parentHash', 'number', 'stateRoot', 'receiptsRoot', 'logsBloom', 'timestamp']) assert.equal(h[field], block[field], field);
      break;
    }
    const expected = await anvil.rpc<Array<Record<string, unknown>>>('eth_getLogs', [{ blockHash: block.hash }]);
    const m = await logs.next();
    assert.equal(m.params?.subscription, logSub);
    assert.deepEqual(m.params?.result, { ...expected[0], removed: false });
    await heads.close();
    await logs.close();
  });

  it('/health reports synced with 2 servers; /metrics carries per-server figures from the scheduler', async () => {
    const health = await fetch(`${proxy.url}/health`);
    const body = (await health.json()) as { synced: boolean; servers: number; head: { number: number } };
    assert.equal(health.status, 200);
    assert.equal(body.servers, 2);
    const text = await (await fetch(`${proxy.url}/metrics`)).text();
    for (const enode of enodes) assert.match(text, new RegExp(`^lesp_server_score\\{server="${enode.slice(8, 24)}"\\} `, 'm'));
    assert.match(text, /^lesp_proxy_requests_total\{method="eth_getBalance",outcome="ok",source="verified",transport="http"\} [1-9]/m);
  });

  it('lesp proxy: prints its URL, serves verified answers, exits 0 on SIGINT', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'proxy', ...enodes.flatMap((e) => ['--server', e, '--trusted', e]), '--network', 'devnet', '--genesis-hash', genesis, '--http-port', '0', '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until(() => stdout.includes('\n') || child.exitCode !== null, 'lesp proxy printed its URL');
      const url = stdout.trim();
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, stderr);
      const [account] = await anvil.rpc<string[]>('eth_accounts');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_getBalance', params: [account, 'latest'] }),
      });
      const r = (await res.json()) as { result: string };
      const head = await anvil.rpc<string>('eth_blockNumber');
      assert.equal(BigInt(r.result) > 0n, true);
      assert.equal(r.result, await anvil.rpc<string>('eth_getBalance', [account, head]));
      child.kill('SIGINT');
      assert.equal(await exited, 0, stderr);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

async function a_call(p: JsonRpcProvider, to: string): Promise<{ code?: string; data?: string }> {
  try {
    await p.call({ to, data: '0x01' });
  } catch (e) {
    return e as { code?: string; data?: string };
  }
  assert.fail('the call did not revert');
}
