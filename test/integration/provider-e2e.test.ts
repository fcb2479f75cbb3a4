// End to end: anvil (prague) ← two in-process LesServers ← LesClient ← LesProvider (ethers) and the
// EIP-1193 object (under ethers' BrowserProvider and viem's custom transport). Every answer is
// compared with anvil's own JSON-RPC answer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { secp256k1 } from 'ethereum-cryptography/secp256k1.js';
import { BrowserProvider, Contract, Interface, Wallet, isCallException } from 'ethers';
import { createPublicClient, custom, parseAbi } from 'viem';
import { LesClient, LesProvider, ProviderRpcError, createEip1193Provider } from '../../src/index.js';
import type { LesEip1193Provider } from '../../src/client/eip1193.js';
import { LesServer } from '../../src/serve/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { TOKEN_CTOR, initcode, tokenRuntime } from '../unit/client/evm-asm.js';

const KEY0 = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const ABI = [
  'function balanceOf(address) view returns (uint256)',
  'function totalSupply() view returns (uint256)',
  'function transfer(address to, uint256 amount) returns (bool)',
  'function failCustom(uint256 required)',
  'function divide(uint256 x) view returns (uint256)',
  'event Transfer(address indexed from, address indexed to, uint256 value)',
  'error InsufficientBalance(uint256 available, uint256 required)',
];

async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('LesProvider end to end (anvil + 2 LES servers)', () => {
  let anvil: Anvil;
  let servers: LesServer[] = [];
  let client: LesClient;
  let provider: LesProvider;
  let eip: LesEip1193Provider;
  let acct: string;
  let other: string;
  let token: string;

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    [acct, other] = (await anvil.rpc<string[]>('eth_accounts')) as [string, string];
    const h = await anvil.rpc<string>('eth_sendTransaction', [{ from: acct, data: initcode(tokenRuntime(), TOKEN_CTOR) }]);
    token = (await until('deploy receipt', () => anvil.rpc<{ contractAddress: string } | null>('eth_getTransactionReceipt', [h]).then((r) => r ?? undefined))).contractAddress;
    servers = [0, 1].map(() => new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, pollIntervalMs: 50 }));
    const enodes = await Promise.all(servers.map((s) => s.start()));
    const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
    client = new LesClient({ servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis });
    provider = new LesProvider({ engine: client, network: 'devnet' });
    eip = createEip1193Provider({ engine: client, network: 'devnet' });
    await provider.start();
    // The client follows the servers, which follow anvil: wait until it has anvil's head.
    const n = await anvil.rpc<string>('eth_blockNumber');
    await until('the client at anvil head', () => (client.head()?.header.number === Number(n) ? true : undefined));
  });
  after(async () => {
    await provider?.close();
    await eip?.close();
    await Promise.all(servers.map((s) => s.stop()));
    await anvil?.stop();
  });

  it("getBalance, getBlockNumber, getBlock equal anvil's", async () => {
    assert.equal(await provider.getBalance(acct), BigInt(await anvil.rpc<string>('eth_getBalance', [acct, 'latest'])));
    assert.equal(await provider.getBlockNumber(), Number(await anvil.rpc<string>('eth_blockNumber')));
    const b = await provider.getBlock(1);
    const want = await anvil.rpc<{ hash: string; stateRoot: string }>('eth_getBlockByNumber', ['0x1', false]);
    assert.equal(b?.hash, want.hash);
    assert.equal(b?.stateRoot, want.stateRoot);
  });

  it('Contract reads and reverts decode as with anvil', async () => {
    const c = new Contract(token, ABI, provider);
    const iface = new Interface(ABI);
    const want = BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data: iface.encodeFunctionData('balanceOf', [acct]) }, 'latest']));
    assert.equal(await c.getFunction('balanceOf')(acct), want);
    await assert.rejects(c.getFunction('transfer').staticCall(acct, 1n, { from: other }), (e: unknown) => isCallException(e) && e.reason === 'insufficient balance');
    await assert.rejects(c.getFunction('failCustom').staticCall(5n, { from: acct }), (e: unknown) => {
      if (!isCallException(e) || e.revert?.name !== 'InsufficientBalance') return false;
      return e.revert.args[0] === want && e.revert.args[1] === 5n;
    });
    await assert.rejects(c.getFunction('divide')(0n), (e: unknown) => isCallException(e) && e.revert?.name === 'Panic');
  });

  it("a Wallet sends, tx.wait() resolves, the receipt and queryFilter equal anvil's", async () => {
    const wallet = new Wallet(KEY0, provider);
    const c = new Contract(token, ABI, wallet);
    const tx = await c.getFunction('transfer')(other, 777n);
    const receipt = await tx.wait(1, 60_000);
    assert.equal(receipt?.status, 1);
    const theirs = await anvil.rpc<{ blockHash: string; gasUsed: string; logs: unknown[] }>('eth_getTransactionReceipt', [tx.hash]);
    assert.equal(receipt?.blockHash, theirs.blockHash);
    assert.equal(receipt?.gasUsed, BigInt(theirs.gasUsed));
    const sent = await wallet.sendTransaction({ to: other, value: 12345n });
    assert.equal((await sent.wait(1, 60_000))?.status, 1);
    assert.equal(await provider.getBalance(other), BigInt(await anvil.rpc<string>('eth_getBalance', [other, 'latest'])));
    const events = await new Contract(token, ABI, provider).queryFilter('Transfer', 0, 'latest');
    const logs = await anvil.rpc<Array<{ transactionHash: string; logIndex: string; data: string }>>('eth_getLogs', [{ address: token, fromBlock: '0x0', toBlock: 'latest' }]);
    assert.deepEqual(
      events.map((e) => [e.transactionHash, e.index, e.data]),
      logs.map((l) => [l.transactionHash, Number(l.logIndex), l.data]),
    );
    assert.ok(events.length >= 1);
  });

  it('block events are pushed from new heads', async () => {
    const seen: number[] = [];
    const listener = (n: number) => seen.push(n);
    await provider.on('block', listener);
    const before = Number(await anvil.rpc<string>('eth_blockNumber'));
    await anvil.rpc('anvil_mine', ['0x2']);
    await until('two block events', () => (seen.includes(before + 2) ? true : undefined));
    await provider.off('block', listener);
    assert.deepEqual(seen.filter((n) => n > before), [before + 1, before + 2]);
  });

  it("the EIP-1193 object under ethers' BrowserProvider: reads, revert data, 4200, newHeads messages", async () => {
    const browser = new BrowserProvider(eip);
    assert.equal(await browser.getBalance(acct), BigInt(await anvil.rpc<string>('eth_getBalance', [acct, 'latest'])));
    assert.equal((await browser.getNetwork()).chainId, 31337n);
    const c = new Contract(token, ABI, browser);
    assert.equal(await c.getFunction('totalSupply')(), BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data: new Interface(ABI).encodeFunctionData('totalSupply') }, 'latest'])));
    await assert.rejects(eip.request({ method: 'eth_call', params: [{ to: token, data: new Interface(ABI).encodeFunctionData('divide', [0n]) }, 'latest'] }), (e: unknown) => {
      return e instanceof ProviderRpcError && e.code === 3 && e.data === '0x4e487b710000000000000000000000000000000000000000000000000000000000000012';
    });
    await assert.rejects(eip.request({ method: 'eth_nonsense' }), (e: unknown) => e instanceof ProviderRpcError && e.code === 4200);
    const id = (await eip.request({ method: 'eth_subscribe', params: ['newHeads'] })) as string;
    const heads: Array<{ number: string; hash: string }> = [];
    const onMessage = (m: { type: string; data: { subscription: string; result: { number: string; hash: string } } }) => {
      if (m.type === 'eth_subscription' && m.data.subscription === id) heads.push(m.data.result);
    };
    eip.on('message', onMessage);
    await anvil.rpc('anvil_mine', ['0x1']);
    const head = await until('a newHeads message', () => heads[0]);
    const want = await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', [head.number, false]);
    assert.equal(head.hash, want.hash);
    assert.equal(await eip.request({ method: 'eth_unsubscribe', params: [id] }), true);
    eip.removeListener('message', onMessage);
  });

  it('a client that reaches no server fails start() with START_TIMEOUT and leaves nothing running', async () => {
    const id = Buffer.from(secp256k1.getPublicKey(Uint8Array.from(Buffer.from('11'.repeat(32), 'hex')), false).subarray(1)).toString('hex');
    const dead = `enode://${id}@127.0.0.1:9`;
    const c = new LesClient({ servers: [{ enode: dead, trusted: true }], network: 'devnet', genesisHash: `0x${'11'.repeat(32)}`, timeouts: { startMs: 300 } });
    await assert.rejects(c.start(), (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'START_TIMEOUT');
    assert.equal(c.started, false);
    await assert.rejects(c.request('eth_blockNumber', []), (e: unknown) => (e as { code?: string }).code === 'SCHEDULER_CLOSED');
  });

  it("the EIP-1193 object under viem's custom transport: balance, readContract, revert", async () => {
    const viem = createPublicClient({ transport: custom(eip) });
    assert.equal(await viem.getBalance({ address: acct as `0x${string}` }), BigInt(await anvil.rpc<string>('eth_getBalance', [acct, 'latest'])));
    const abi = parseAbi(ABI.filter((s) => !s.startsWith('error') && !s.startsWith('event')));
    const bal = await viem.readContract({ address: token as `0x${string}`, abi, functionName: 'balanceOf', args: [other as `0x${string}`] });
    const want = BigInt(await anvil.rpc<string>('eth_call', [{ to: token, data: new Interface(ABI).encodeFunctionData('balanceOf', [other]) }, 'latest']));
    assert.equal(bal, want);
    await assert.rejects(viem.readContract({ address: token as `0x${string}`, abi, functionName: 'divide', args: [0n] }), /division or modulo by zero/);
  });
});

describe('LesClient connect and disconnect events', () => {
  it('connect when the first server connects, disconnect when the last one is gone', async () => {
    const anvil = await startAnvil({ hardfork: 'prague' });
    const servers = [0, 1].map(() => new LesServer({ rpcUrl: anvil.url, host: '127.0.0.1', port: 0, pollIntervalMs: 50 }));
    try {
      const enodes = await Promise.all(servers.map((s) => s.start()));
      const genesis = (await anvil.rpc<{ hash: string }>('eth_getBlockByNumber', ['0x0', false])).hash;
      const client = new LesClient({ servers: enodes.map((enode) => ({ enode, trusted: true })), network: 'devnet', genesisHash: genesis });
      const events: string[] = [];
      client.on('connect', () => events.push('connect'));
      client.on('disconnect', () => events.push('disconnect'));
      await client.start();
      await until('both servers', () => (client.status().servers === 2 ? true : undefined));
      await (servers[0] as LesServer).stop();
      await until('one server', () => (client.status().servers === 1 ? true : undefined));
      assert.deepEqual(events, ['connect']);
      await (servers[1] as LesServer).stop();
      await until('no server', () => (client.status().servers === 0 ? true : undefined));
      assert.deepEqual(events, ['connect', 'disconnect']);
      await client.stop();
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
      await anvil.stop();
    }
  });
});
