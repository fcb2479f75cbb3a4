/**
 * startDevnet() as an app's test suite uses it: free ports (two devnets side by side), the node's
 * test methods through the devnet's one URL with the verified head following each of them — mined
 * blocks, moved time, set balances, and the rewinds (evm_revert, anvil_rollback, anvil_reorg,
 * anvil_reset) that LES servers never announce — each checked against anvil's own answers; the
 * forwarded names are all methods anvil has; they are counted as unverified in /metrics;
 * provider() shares the devnet's client and its close() leaves the devnet running; stop() ends
 * anvil and the ports.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { Wallet, ethers } from 'ethers';
import { type Anvil, rpcCall, startAnvil } from '../helpers/anvil.js';
import { WsClient } from '../unit/proxy/ws-client.js';
import { type Devnet, TEST_METHODS, startDevnet } from '../../src/devnet/index.js';

type Block = { number: string; hash: string; timestamp: string; stateRoot: string };

interface Reply {
  result?: unknown;
  error?: { code: number; message: string };
}

async function post(url: string, method: string, params: unknown[] = []): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) });
  return (await res.json()) as Reply;
}

async function call<T>(url: string, method: string, params: unknown[] = []): Promise<T> {
  const r = await post(url, method, params);
  assert.equal(r.error, undefined, `${method}: ${JSON.stringify(r.error)}`);
  return r.result as T;
}

const OTHER = '0x00000000000000000000000000000000000000b0';

describe('startDevnet', () => {
  let devnet: Devnet;
  let second: Devnet | undefined;
  /** The node's own answer (what the verified one must equal). */
  const node = <T>(method: string, params: unknown[] = []): Promise<T> => rpcCall<T>(devnet.node.url, method, params);
  const verified = <T>(method: string, params: unknown[] = []): Promise<T> => call<T>(devnet.rpcUrl, method, params);

  /** The verified latest block equals the node's latest block (number, hash, timestamp, state root). */
  async function sameHead(what: string): Promise<Block> {
    const [v, n] = await Promise.all([verified<Block>('eth_getBlockByNumber', ['latest', false]), node<Block>('eth_getBlockByNumber', ['latest', false])]);
    for (const k of ['number', 'hash', 'timestamp', 'stateRoot'] as const) assert.equal(v[k], n[k], `${what}: ${k}`);
    return v;
  }

  before(async () => {
    // Two at once, as two test files would: each on ports of its own.
    [devnet, second] = await Promise.all([startDevnet(), startDevnet({ servers: 1, sections: 0 })]);
  });
  after(async () => {
    await second?.stop();
    await devnet?.stop();
  });

  it('two devnets side by side: own ports, own chains (one mines, the other does not move), each verified', async () => {
    const other = second as Devnet;
    assert.notEqual(devnet.rpcUrl, other.rpcUrl);
    assert.notEqual(devnet.node.url, other.node.url);
    assert.deepEqual(devnet.servers.map((s) => s.enode).filter((e) => other.servers.some((o) => o.enode === e)), [], 'no LES server shared');
    assert.equal(devnet.genesisHash, (await node<Block>('eth_getBlockByNumber', ['0x0', false])).hash);
    assert.equal(devnet.servers.length, 2);
    assert.equal(other.servers.length, 1);
    assert.ok(devnet.servers.every((s) => s.trusted && /^enode:\/\/[0-9a-f]{128}@127\.0\.0\.1:\d+$/.test(s.enode)));
    assert.equal(devnet.chainId, 31337n);
    assert.equal(devnet.accounts.length, 10);
    assert.equal(new Wallet(devnet.accounts[0]?.privateKey as string).address, ethers.getAddress(devnet.accounts[0]?.address as string));
    await sameHead('ready');
    const dev0 = devnet.accounts[0]?.address as string;
    assert.equal(await call(other.rpcUrl, 'eth_getBalance', [dev0, 'latest']), await rpcCall(other.node.url, 'eth_getBalance', [dev0, 'latest']));
    const mine = await sameHead('before the other one mines');
    await call(other.rpcUrl, 'anvil_mine', ['0x3']);
    assert.equal(Number(await call<string>(other.rpcUrl, 'eth_blockNumber')), Number(await rpcCall<string>(other.node.url, 'eth_blockNumber')));
    assert.equal((await sameHead('the other one mined')).hash, mine.hash, 'a chain of its own');
    await other.stop();
    second = undefined;
    await assert.rejects(fetch(other.rpcUrl), 'its proxy is closed');
    await assert.rejects(rpcCall(other.node.url, 'eth_blockNumber'), 'its anvil is gone');
    await sameHead('the first one still runs');
  });

  it('evm_mine, anvil_mine and moved time: the verified head is the node\'s head when the call returns', async () => {
    const start = await sameHead('start');
    assert.equal(await verified('evm_mine'), '0x0');
    assert.equal(Number((await sameHead('evm_mine')).number), Number(start.number) + 1);
    await verified('anvil_mine', ['0x3']);
    assert.equal(Number((await sameHead('anvil_mine 3')).number), Number(start.number) + 4);
    const t0 = Number((await sameHead('t0')).timestamp);
    await verified('evm_increaseTime', [3600]);
    await verified('evm_mine');
    assert.ok(Number((await sameHead('evm_increaseTime')).timestamp) >= t0 + 3600);
    const at = t0 + 10_000;
    await verified('evm_setNextBlockTimestamp', [at]);
    await verified('evm_mine');
    assert.equal(Number((await sameHead('evm_setNextBlockTimestamp')).timestamp), at);
  });

  it('anvil_setBalance, setCode, setStorageAt: verified reads show the change (a block is mined to carry it)', async () => {
    const before = Number((await sameHead('before')).number);
    await verified('anvil_setBalance', [OTHER, '0x1234']);
    assert.equal(Number((await sameHead('setBalance')).number), before + 1, 'one block carries the change');
    assert.equal(await verified('eth_getBalance', [OTHER, 'latest']), '0x1234');
    assert.equal(await verified('eth_getBalance', [OTHER, 'latest']), await node('eth_getBalance', [OTHER, 'latest']));
    await verified('hardhat_setCode', [OTHER, '0x60016000526001601ff3']);
    await verified('anvil_setStorageAt', [OTHER, '0x0', `0x${'00'.repeat(31)}2a`]);
    await sameHead('setCode, setStorageAt');
    assert.equal(await verified('eth_getCode', [OTHER, 'latest']), '0x60016000526001601ff3');
    assert.equal(await verified('eth_getStorageAt', [OTHER, '0x0', 'latest']), await node('eth_getStorageAt', [OTHER, '0x0', 'latest']));
    assert.equal(BigInt(await verified<string>('eth_getStorageAt', [OTHER, '0x0', 'latest'])), 42n);
  });

  it('evm_snapshot / evm_revert: the verified head goes back with the node (never announced over LES), state too, and a new branch follows', async () => {
    const at = await sameHead('snapshot');
    const snap = await verified<string>('evm_snapshot');
    const wallet = new Wallet(devnet.accounts[1]?.privateKey as string, new ethers.JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 }));
    const tx = await wallet.sendTransaction({ to: OTHER, value: 5n });
    await tx.wait(1, 30_000);
    await verified('anvil_mine', ['0x4']);
    const moved = await sameHead('after 5 blocks');
    assert.equal(Number(moved.number), Number(at.number) + 5);
    const paid = BigInt(await verified<string>('eth_getBalance', [OTHER, 'latest']));
    const restarts = devnet.engine.restarts;

    assert.equal(await verified('evm_revert', [snap]), true);
    const back = await sameHead('evm_revert');
    assert.equal(back.hash, at.hash, 'back at the snapshot block');
    assert.equal(devnet.engine.restarts, restarts + 1, 'the light client was restarted on the servers\' new heads');
    assert.equal(BigInt(await verified<string>('eth_getBalance', [OTHER, 'latest'])), paid - 5n, 'the transfer is undone');
    assert.equal(await verified('eth_getTransactionReceipt', [tx.hash]), null, 'its receipt is gone');

    // A different block at the old height: the new branch, verified.
    await verified('evm_setNextBlockTimestamp', [Number(at.timestamp) + 99]);
    await verified('evm_mine');
    const branch = await sameHead('new branch');
    assert.equal(Number(branch.number), Number(at.number) + 1);
  });

  it('across an evm_revert: a logs subscription gets the undone log as removed, newHeads the node\'s head; filters end (filter not found)', async () => {
    const wallet = new Wallet(devnet.accounts[3]?.privateKey as string, new ethers.JsonRpcProvider(devnet.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 50 }));
    // A contract whose every call emits LOG0 with no data (PUSH1 0, PUSH1 0, LOG0, STOP).
    const deployed = await (await wallet.sendTransaction({ data: '0x6560006000a0006000526006601af3' })).wait(1, 30_000);
    const emitter = deployed?.contractAddress as string;
    await sameHead('deployed');
    const heads = await WsClient.open(devnet.wsUrl);
    const logs = await WsClient.open(devnet.wsUrl);
    const headSub = (await heads.call('eth_subscribe', ['newHeads'])).result;
    const logSub = (await logs.call('eth_subscribe', ['logs', { address: emitter }])).result;
    const filter = await verified<string>('eth_newFilter', [{ address: emitter }]);
    const snap = await verified<string>('evm_snapshot');
    const tx = await wallet.sendTransaction({ to: emitter });
    await tx.wait(1, 30_000);
    const [log] = await node<Array<Record<string, unknown>>>('eth_getLogs', [{ address: emitter, fromBlock: 'latest' }]);
    assert.equal(log?.transactionHash, tx.hash);
    assert.deepEqual((await logs.next()).params?.result, { ...log, removed: false });
    assert.equal(((await verified<unknown[]>('eth_getFilterChanges', [filter])) as Array<{ transactionHash: string }>)[0]?.transactionHash, tx.hash);

    await verified('evm_revert', [snap]);
    const removed = await logs.next();
    assert.equal(removed.params?.subscription, logSub);
    assert.deepEqual(removed.params?.result, { ...log, removed: true });
    const back = await sameHead('reverted');
    let head: Record<string, unknown> | undefined;
    while (head?.hash !== back.hash) {
      const m = await heads.next();
      assert.equal(m.params?.subscription, headSub);
      head = m.params?.result;
    }
    assert.equal(head?.number, back.number);
    const gone = await post(devnet.rpcUrl, 'eth_getFilterChanges', [filter]);
    assert.equal(gone.error?.code, -32000);
    assert.match(gone.error?.message ?? '', /filter not found/);
    await heads.close();
    await logs.close();
  });

  it('anvil_rollback and anvil_reorg: the verified head follows the node back and sideways', async () => {
    await verified('anvil_mine', ['0x3']);
    const top = await sameHead('top');
    await verified('anvil_rollback', [2]);
    assert.equal(Number((await sameHead('anvil_rollback 2')).number), Number(top.number) - 2);
    await verified('anvil_mine', ['0x2']);
    const before = await sameHead('before reorg');
    const w = new Wallet(devnet.accounts[2]?.privateKey as string);
    const nonce = Number(await node<string>('eth_getTransactionCount', [w.address, 'latest']));
    const signed = await w.signTransaction({ type: 2, chainId: 31337, nonce, to: OTHER, value: 7n, gasLimit: 21_000, maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
    await verified('anvil_reorg', [2, [[signed, 0]]]);
    const after = await sameHead('anvil_reorg');
    assert.equal(after.number, before.number, 'same height');
    assert.notEqual(after.hash, before.hash, 'another block');
    const receipt = await verified<{ blockNumber: string; status: string }>('eth_getTransactionReceipt', [ethers.keccak256(signed)]);
    assert.equal(Number(receipt.blockNumber), Number(after.number) - 1, 'the reorg\'s transaction, verified, in the replaced block');
  });

  it('anvil_reset returns to the ready devnet (same genesis); a reset to a fork is refused; chain id changes are not forwarded', async () => {
    await verified('anvil_mine', ['0x2']);
    assert.equal(await verified('anvil_reset'), null);
    const head = await sameHead('anvil_reset');
    assert.equal(Number(head.number), devnet.readyHead);
    assert.equal(await verified('eth_getBalance', [OTHER, 'latest']), '0x0');
    assert.equal((await verified<Block>('eth_getBlockByNumber', ['0x0', false])).hash, devnet.genesisHash);
    assert.equal(await verified('hardhat_reset', [{}]), null, 'hardhat_reset with no fork too');
    const fork = await post(devnet.rpcUrl, 'anvil_reset', [{ forking: { jsonRpcUrl: 'http://127.0.0.1:1' } }]);
    assert.equal(fork.error?.code, -32602);
    assert.match(fork.error?.message ?? '', /anchored to this chain's genesis/);
    const chainId = await post(devnet.rpcUrl, 'anvil_setChainId', [5]);
    assert.equal(chainId.error?.code, -32601);
    assert.equal(await node('eth_chainId'), '0x7a69', 'the node kept its chain id');
  });

  it('the forwarded test methods are counted as unverified in /metrics', async () => {
    const text = await (await fetch(`${devnet.rpcUrl}/metrics`)).text();
    assert.match(text, /lesp_proxy_requests_total\{[^}]*method="evm_mine"[^}]*source="unverified"[^}]*\} [1-9]/);
    assert.doesNotMatch(text, /method="evm_mine"[^}]*source="verified"/);
    assert.match(text, /lesp_proxy_requests_total\{[^}]*method="eth_getBalance"[^}]*source="verified"/);
  });

  it('provider(): an ethers LesProvider on the devnet\'s client — test methods through send(), follows a revert, its destroy() leaves the devnet up', async () => {
    const provider = devnet.provider();
    const snap = (await provider.send('evm_snapshot', [])) as string;
    const n = await provider.getBlockNumber();
    await provider.send('evm_mine', []);
    assert.equal(await provider.getBlockNumber(), n + 1);
    await provider.send('evm_revert', [snap]);
    assert.equal(await provider.getBlockNumber(), n);
    assert.equal((await provider.getBlock('latest'))?.hash, (await node<Block>('eth_getBlockByNumber', ['latest', false])).hash);
    provider.destroy();
    await sameHead('the devnet still answers');
  });
});

describe('the forwarded names', () => {
  let anvil: Anvil;
  before(async () => {
    anvil = await startAnvil();
  });
  after(async () => {
    await anvil?.stop();
  });

  it('are all methods anvil has (its answer to each is not "method not found")', async () => {
    const missing: string[] = [];
    for (const method of TEST_METHODS) {
      // Invalid params on purpose: anvil checks the name first, and no call changes its chain.
      const r = await post(anvil.url, method, [{ invalid: true }, 'x', 'y', 'z']);
      if (r.error?.code === -32601 || /method not found/i.test(r.error?.message ?? '')) missing.push(method);
    }
    assert.deepEqual(missing, []);
    assert.equal((await post(anvil.url, 'anvil_noSuchMethod', [])).error?.code, -32601, 'the check can fail');
  });
});

/** Live children of this process running the anvil watchdog (Linux: from /proc). */
function watchdogs(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return Number(ppid) === process.pid && state !== 'Z' && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('anvil-watchdog');
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('startDevnet start-up', () => {
  it('an abort while it starts stops what it started and rejects with STOPPED; bad options are refused before anything starts', async () => {
    const abort = new AbortController();
    const stages: string[] = [];
    const starting = startDevnet({
      servers: 1,
      sections: 0,
      signal: abort.signal,
      onProgress: (p) => {
        stages.push(p.stage);
        if (p.stage.startsWith('starting 1 LES server')) abort.abort();
      },
    });
    await assert.rejects(starting, (e: Error & { code?: string }) => e.name === 'DevnetError' && e.code === 'STOPPED');
    assert.deepEqual(stages, ['starting anvil', 'mining the first blocks', 'starting 1 LES server']);
    assert.deepEqual(watchdogs(), [], 'its anvil (under its watchdog, a child of this process) was stopped');
    await assert.rejects(startDevnet({ servers: 0 }), /servers must be an integer in \[1, 16\], got 0/);
    await assert.rejects(startDevnet({ rpc: 'http://127.0.0.1:1', chainId: 5 }), /rpc uses a node of your own: chainId apply only/);
  });
});
