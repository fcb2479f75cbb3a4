/**
 * The examples, run for real against the real `lesp devnet` (what `npm start` runs): anvil, two
 * LES servers and the proxy, on free ports (`--http-port 0 --les-port 0`), stopped with SIGINT in
 * after(). Each example runs as its own process configured only by the variables a user would
 * set after reading the devnet's summary, and what it prints is checked against anvil's own
 * answers (the summary's "Node RPC").
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { rpcCall } from '../test/helpers/anvil.js';
import { DEVNET_SERVERS } from './env.js';
import { type NodeRpc, checkAppOutput, run, runExample } from './harness.js';

const ROOT = new URL('..', import.meta.url).pathname;

/** anvil's dev accounts 0-3 (its well-known test mnemonic); account 0 is the examples' default. */
const DEV = [
  { key: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80', address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' },
  { key: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d', address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8' },
  { key: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a', address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC' },
  { key: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6', address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906' },
] as const;

interface Summary {
  nodeUrl: string;
  enodes: string[];
  proxyUrl: string;
}

/** The devnet's summary lines: "Node RPC  <url>  (…)", "LES servers  <enode>" and following enodes (not the "LES over WS" rows: the same servers), "Proxy  <url>  (…)". */
function parseSummary(text: string): Summary | undefined {
  const nodeUrl = /^Node RPC\s+(http:\/\/\S+)/m.exec(text)?.[1];
  const proxyUrl = /^Proxy\s+(http:\/\/\S+)/m.exec(text)?.[1];
  const enodes = [...text.matchAll(/^(?:LES servers)?\s+(enode:\/\/[^\s?]+)$/gm)].map((m) => m[1] as string);
  if (nodeUrl === undefined || proxyUrl === undefined || enodes.length === 0) return undefined;
  return { nodeUrl, enodes, proxyUrl };
}

describe('examples against `lesp devnet` (anvil + 2 LES servers + proxy)', () => {
  let devnet: ChildProcess;
  let exited: Promise<number | null>;
  let stderr = '';
  let summary: Summary;
  let anvil: NodeRpc;
  let env: Record<string, string>;

  /** Waits until the proxy's verified head is anvil's head (nothing is mined meanwhile). */
  const caughtUp = async (): Promise<void> => {
    const n = Number(await anvil.rpc<string>('eth_blockNumber'));
    let head = -1;
    for (let i = 0; i < 500 && head < n; i++) {
      head = Number(await rpcCall<string>(summary.proxyUrl, 'eth_blockNumber'));
      if (head < n) await sleep(20);
    }
    assert.equal(head, n, 'the proxy reached anvil head');
  };

  before(async () => {
    devnet = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'devnet', '--http-port', '0', '--les-port', '0', '--log-level', 'warn'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    devnet.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    devnet.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    exited = new Promise((resolve) => devnet.once('exit', (code) => resolve(code)));
    for (let i = 0; i < 1500 && !stdout.includes('Ctrl-C') && devnet.exitCode === null; i++) await sleep(100);
    const parsed = parseSummary(stdout);
    assert.ok(parsed !== undefined, `lesp devnet printed no summary:\n${stdout}\n${stderr}`);
    summary = parsed;
    anvil = { rpc: <T>(method: string, params: unknown[] = []) => rpcCall<T>(summary.nodeUrl, method, params) };
    // What a user exports after reading the summary; ports differ from the defaults only because
    // this test asked for free ones. No NODE_URL: the genesis hash comes from the proxy, as by default.
    env = { LES_SERVERS: summary.enodes.join(','), PROXY_URL: summary.proxyUrl };
  });

  after(async () => {
    if (devnet?.exitCode === null) {
      devnet.kill('SIGINT');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
      if (code === 'timeout') devnet.kill('SIGKILL');
      assert.equal(code, 0, `lesp devnet stops with exit 0 on SIGINT:\n${stderr}`);
    }
  });

  it("the examples' default servers are the devnet's (same node ids; default ports 30303, 30304)", () => {
    const id = (enode: string): string => (/^enode:\/\/([0-9a-f]{128})@/.exec(enode) as RegExpExecArray)[1] as string;
    assert.deepEqual(summary.enodes.map(id), DEVNET_SERVERS.map(id));
    assert.deepEqual(
      DEVNET_SERVERS.map((e) => e.split('@')[1]),
      ['127.0.0.1:30303', '127.0.0.1:30304'],
    );
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

  it('viem-transport.ts: viem on lesTransport, as anvil answers; the revert decoded with anvil\'s reason', async () => {
    const out = await runExample('viem-transport.ts', { ...env, PRIVATE_KEY: DEV[3].key });
    await checkAppOutput(out, anvil, DEV[3].address);
    const token = (/^deployed: token (0x[0-9a-fA-F]{40}) /m.exec(out) as RegExpExecArray)[1] as string;
    const m = /^revert: ContractFunctionRevertedError "(.*)" from (0x[0-9a-fA-F]{40})$/m.exec(out);
    assert.ok(m !== null, out);
    // anvil's own answer to the same call: transfer(sender, 10000) from the recipient.
    const data = `0xa9059cbb${DEV[3].address.slice(2).toLowerCase().padStart(64, '0')}${(10_000).toString(16).padStart(64, '0')}`;
    const theirs = await anvil.rpc('eth_call', [{ from: m[2], to: token, data }]).then(() => 'no revert', (e: unknown) => (e as Error).message);
    assert.equal(theirs, `eth_call: execution reverted: ${m[1]}`);
  });

  it('balance.ts: one verified balance, as anvil answers', async () => {
    const out = await runExample('balance.ts', env);
    const m = /^balance: (0x[0-9a-fA-F]{40}) has [0-9.]+ ETH \((\d+) wei\) at block (\d+)$/m.exec(out);
    assert.ok(m !== null, out);
    assert.equal(BigInt(m[2] as string), BigInt(await anvil.rpc<string>('eth_getBalance', [DEV[0].address, `0x${Number(m[3]).toString(16)}`])));
  });

  it('curl.sh: every curl line answers as anvil does; an unverifiable method is refused', async () => {
    await caughtUp();
    // Account 1 sent its last transaction in the ethers-proxy test: its balance and nonce hold still.
    const address = DEV[1].address;
    const r = await run('sh', ['examples/curl.sh'], { PROXY_URL: summary.proxyUrl, ADDRESS: address });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.equal(lines.length, 7, r.stdout);
    const [chainId, blockNumber, balance, block, batch, refused, health] = lines as Array<Record<string, unknown>>;

    assert.deepEqual(chainId, { jsonrpc: '2.0', id: 1, result: await anvil.rpc<string>('eth_chainId') });
    const head = await anvil.rpc<string>('eth_blockNumber');
    assert.deepEqual(blockNumber, { jsonrpc: '2.0', id: 2, result: head });
    assert.deepEqual(balance, { jsonrpc: '2.0', id: 3, result: await anvil.rpc<string>('eth_getBalance', [address, head]) });
    const got = block?.result as Record<string, unknown>;
    const want = await anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [head, false]);
    for (const field of ['hash', 'number', 'parentHash', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom', 'timestamp', 'gasUsed', 'baseFeePerGas', 'transactions']) {
      assert.deepEqual(got[field], want[field], field);
    }
    assert.deepEqual(batch, [
      { jsonrpc: '2.0', id: 5, result: await anvil.rpc<string>('eth_getTransactionCount', [address, head]) },
      { jsonrpc: '2.0', id: 6, result: await anvil.rpc<string>('eth_getBlockTransactionCountByNumber', ['0x1']) },
    ]);
    assert.equal(refused?.id, 7);
    assert.equal((refused?.error as { code: number }).code, -32601);
    assert.match((refused?.error as { message: string }).message, /the method eth_sign does not exist\/is not available/);
    assert.deepEqual(health, { synced: true, head: { number: Number(head), hash: want.hash }, servers: 2 });
  });
});
