/**
 * The examples, run for real against one devnet shared by this file: anvil (prague) ← two LES
 * servers ← the verifying client ← the proxy, all on free 127.0.0.1 ports and stopped in after().
 * Each example runs as its own process, configured by the environment variables a user would
 * set, and what it prints is checked against anvil's own answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { LesClient } from '../src/client/engine/index.js';
import { type RunningProxy, lesBackend, startProxy } from '../src/proxy/index.js';
import { LesServer } from '../src/serve/index.js';
import { type Anvil, startAnvil } from '../test/helpers/anvil.js';
import { checkAppOutput, run, runExample } from './harness.js';

/** anvil's dev accounts 1 and 2 (its well-known test mnemonic); account 0 is the examples' default. */
const DEV = [
  { key: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' },
  { key: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' },
  { key: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a', address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' },
] as const;

describe('examples against a devnet (anvil + 2 LES servers + proxy)', () => {
  let anvil: Anvil;
  let servers: LesServer[] = [];
  let client: LesClient;
  let proxy: RunningProxy;
  let env: Record<string, string>;

  /** Waits until the proxy's verified head is anvil's head. */
  const caughtUp = async (): Promise<void> => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    for (let i = 0; i < 1500 && (client.status().head?.number ?? -1) < n; i++) await sleep(20);
    assert.equal(client.status().head?.number, n, 'the proxy reached anvil head');
  };

  before(async () => {
    // One block per transaction (automine), as `lesp devnet` runs anvil by default.
    anvil = await startAnvil({ hardfork: 'prague' });
    // Block 1: anvil's genesis header carries the empty state root, so state is provable from block 1.
    await anvil.rpc('anvil_mine', ['0x1']);
    servers = [0, 1].map(() => new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, pollIntervalMs: 100, progressStream: null }));
    const enodes = await Promise.all(servers.map((s) => s.start()));
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    client = new LesClient({ servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis });
    await client.start();
    proxy = await startProxy({ backend: lesBackend(client), host: '127.0.0.1', port: 0 });
    // What a user exports after reading `lesp devnet`'s banner (NODE_URL: for the genesis hash).
    env = { LES_SERVERS: enodes.join(','), NODE_URL: anvil.url, PROXY_URL: proxy.url, NETWORK: 'devnet' };
    await caughtUp();
  });

  after(async () => {
    await proxy?.close();
    await client?.stop();
    await Promise.all(servers.map((s) => s.stop()));
    await anvil?.stop();
  });

  it('ethers-provider.ts: LesProvider — balance, deploy and transfer with wait(), contract reads, events — as anvil answers', async () => {
    // No PRIVATE_KEY: the default, anvil's dev account 0.
    const out = await runExample('ethers-provider.ts', env);
    await checkAppOutput(out, anvil, DEV[0].address);
  });

  it('ethers-proxy.ts: the same app through the proxy with JsonRpcProvider, as anvil answers', async () => {
    const out = await runExample('ethers-proxy.ts', { ...env, PRIVATE_KEY: DEV[1].key });
    await checkAppOutput(out, anvil, DEV[1].address);
  });

  it('viem-eip1193.ts: viem custom() over the EIP-1193 object, as anvil answers', async () => {
    const out = await runExample('viem-eip1193.ts', { ...env, PRIVATE_KEY: DEV[2].key });
    await checkAppOutput(out, anvil, DEV[2].address);
  });

  it('balance.ts: one verified balance, as anvil answers', async () => {
    const out = await runExample('balance.ts', { ...env });
    const m = /^balance: (0x[0-9a-fA-F]{40}) has [0-9.]+ ETH \((\d+) wei\) at block (\d+)$/m.exec(out);
    assert.ok(m !== null, out);
    assert.equal(BigInt(m[2] as string), BigInt(await anvil.rpc<string>('eth_getBalance', [DEV[0].address, `0x${Number(m[3]).toString(16)}`])));
  });

  it('curl.sh: every curl line answers as anvil does; an unverifiable method is refused', async () => {
    await caughtUp();
    // Account 1 sent its last transaction in the ethers-proxy test: its balance and nonce hold still.
    const address = DEV[1].address;
    const r = await run('sh', ['examples/curl.sh'], { PROXY_URL: proxy.url, ADDRESS: address });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(lines.length, 7, r.stdout);
    const [chainId, blockNumber, balance, block, batch, refused, health] = lines as Array<Record<string, unknown>>;
    // Each answer is compared with anvil at the block it names.
    const blockAt = (n: string) => anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [n, false]);

    assert.deepEqual(chainId, { jsonrpc: '2.0', id: 1, result: await anvil.rpc<string>('eth_chainId') });
    assert.equal(blockNumber?.id, 2);
    const head = blockNumber?.result as string;
    assert.ok(Number(head) >= 1 && Number(head) <= Number(await anvil.rpc<string>('eth_blockNumber')));
    assert.deepEqual(balance, { jsonrpc: '2.0', id: 3, result: await anvil.rpc<string>('eth_getBalance', [address, head]) });
    const got = block?.result as Record<string, unknown>;
    assert.ok(Number(got.number) >= Number(head));
    const want = await blockAt(got.number as string);
    for (const field of ['hash', 'number', 'parentHash', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom', 'timestamp', 'gasUsed', 'baseFeePerGas', 'transactions']) {
      assert.deepEqual(got[field], want[field], field);
    }
    assert.deepEqual(batch, [
      { jsonrpc: '2.0', id: 5, result: await anvil.rpc<string>('eth_getTransactionCount', [address, head]) },
      { jsonrpc: '2.0', id: 6, result: await anvil.rpc<string>('eth_getBalance', [address, '0x1']) },
    ]);
    assert.equal(refused?.id, 7);
    assert.equal((refused?.error as { code: number }).code, -32601);
    assert.match((refused?.error as { message: string }).message, /the method eth_sign does not exist\/is not available/);
    const h = health as { synced: boolean; head: { number: number; hash: string }; servers: number };
    assert.equal(h.synced, true);
    assert.equal(h.servers, 2);
    assert.ok(h.head.number >= Number(got.number));
    assert.equal(h.head.hash, (await blockAt(`0x${h.head.number.toString(16)}`)).hash);
  });
});
