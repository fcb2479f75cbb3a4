/**
 * The proxy layer in front of anvil's answers (a backend that forwards to anvil: nothing here is
 * verified — this checks that the proxy is a faithful JSON-RPC server): ethers JsonRpcProvider and
 * viem's http() transport get the same answers through the proxy as from anvil directly, and a
 * raw WebSocket client receives newHeads and logs notifications as blocks are mined, including
 * removed logs when anvil's chain is rolled back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JsonRpcProvider, Wallet, getBytes } from 'ethers';
import { createPublicClient, http } from 'viem';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { type RunningProxy, startProxy } from '../../src/proxy/index.js';
import { AnvilBackend } from '../unit/proxy/anvil-backend.js';
import { WsClient } from '../unit/proxy/ws-client.js';

// anvil's first dev account.
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';
const TOPIC = `0x${'5e'.repeat(32)}`;
/**
 * Runtime: empty calldata → LOG1(topic = TOPIC, no data), stop; any calldata → revert with 0xdeadbeef.
 *   CALLDATASIZE PUSH1 0x2b JUMPI PUSH32 TOPIC PUSH1 0 PUSH1 0 LOG1 STOP
 *   JUMPDEST PUSH4 0xdeadbeef PUSH1 0xe0 SHL PUSH1 0 MSTORE PUSH1 4 PUSH1 0 REVERT
 */
const RUNTIME = `36602b57` + `7f${TOPIC.slice(2)}` + `60006000a100` + `5b63deadbeef60e01b60005260046000fd`;
const INITCODE = `0x603c600c600039603c6000f3${RUNTIME}`;

describe('proxy in front of anvil (proxy layer only)', () => {
  let anvil: Anvil;
  let backend: AnvilBackend;
  let proxy: RunningProxy;
  let viaProxy: JsonRpcProvider;
  let direct: JsonRpcProvider;
  let wallet: Wallet;
  let contract: string;
  let logTx: string;

  before(async () => {
    assert.equal(getBytes(`0x${RUNTIME}`).length, 0x3c);
    anvil = await startAnvil();
    backend = new AnvilBackend(anvil.url);
    await backend.start();
    proxy = await startProxy({ backend, port: 0 });
    // No response cache: ethers would otherwise reuse a nonce read within 250 ms.
    viaProxy = new JsonRpcProvider(proxy.url, undefined, { cacheTimeout: -1 });
    direct = new JsonRpcProvider(anvil.url, undefined, { cacheTimeout: -1 });
    wallet = new Wallet(DEV_KEY, viaProxy);
    const deploy = await wallet.sendTransaction({ data: INITCODE });
    contract = (await deploy.wait(1, 60_000))?.contractAddress as string;
    const tx = await wallet.sendTransaction({ to: contract });
    logTx = (await tx.wait(1, 60_000))?.hash as string;
  });

  after(async () => {
    viaProxy?.destroy();
    direct?.destroy();
    await proxy?.close();
    backend?.stop();
    await anvil?.stop();
  });

  it('ethers JsonRpcProvider: the same answers through the proxy as from anvil', async () => {
    const [a, b] = [viaProxy, direct];
    assert.equal((await a.getNetwork()).chainId, (await b.getNetwork()).chainId);
    const n = await a.getBlockNumber();
    assert.equal(n, await b.getBlockNumber());
    assert.equal(await a.getBalance(wallet.address), await b.getBalance(wallet.address));
    assert.equal(await a.getTransactionCount(wallet.address), await b.getTransactionCount(wallet.address));
    assert.equal(await a.getCode(contract), await b.getCode(contract));
    assert.equal(await a.getCode(contract), `0x${RUNTIME}`);
    assert.deepEqual((await a.getBlock(n, true))?.toJSON(), (await b.getBlock(n, true))?.toJSON());
    assert.deepEqual((await a.getTransaction(logTx))?.toJSON(), (await b.getTransaction(logTx))?.toJSON());
    assert.deepEqual((await a.getTransactionReceipt(logTx))?.toJSON(), (await b.getTransactionReceipt(logTx))?.toJSON());
    const logsA = await a.getLogs({ address: contract, fromBlock: 0, toBlock: n });
    assert.equal(logsA.length, 1);
    assert.deepEqual(logsA.map((l) => l.toJSON()), (await b.getLogs({ address: contract, fromBlock: 0, toBlock: n })).map((l) => l.toJSON()));
    assert.equal(await a.estimateGas({ from: wallet.address, to: contract }), await b.estimateGas({ from: wallet.address, to: contract }));
    assert.deepEqual((await a.getFeeData()).toJSON(), (await b.getFeeData()).toJSON());
  });

  it('ethers: a revert through the proxy carries the same revert data (code 3)', async () => {
    const fail = async (p: JsonRpcProvider) => {
      try {
        await p.call({ to: contract, data: '0x01' });
      } catch (e) {
        return e as { code?: string; data?: string };
      }
      assert.fail('the call did not revert');
    };
    const [a, b] = [await fail(viaProxy), await fail(direct)];
    assert.equal(a.code, 'CALL_EXCEPTION');
    assert.equal(a.data, '0xdeadbeef');
    assert.equal(a.data, b.data);
    const raw = (await (await fetch(proxy.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_call', params: [{ to: contract, data: '0x01' }, 'latest'] }),
    })).json()) as { error: { code: number; data: string } };
    assert.equal(raw.error.code, 3);
    assert.equal(raw.error.data, '0xdeadbeef');
  });

  it('viem http() transport (single and batched): the same answers through the proxy as from anvil', async () => {
    for (const batch of [false, true]) {
      const a = createPublicClient({ transport: http(proxy.url, { batch }) });
      const b = createPublicClient({ transport: http(anvil.url) });
      const n = await b.getBlockNumber();
      const [chainId, blockNumber, balance, block, receipt, logs, code] = await Promise.all([
        a.getChainId(),
        a.getBlockNumber(),
        a.getBalance({ address: wallet.address as `0x${string}` }),
        a.getBlock({ blockNumber: n, includeTransactions: true }),
        a.getTransactionReceipt({ hash: logTx as `0x${string}` }),
        a.getLogs({ address: contract as `0x${string}`, fromBlock: 0n, toBlock: n }),
        a.getCode({ address: contract as `0x${string}` }),
      ]);
      assert.equal(chainId, await b.getChainId());
      assert.equal(blockNumber, n);
      assert.equal(balance, await b.getBalance({ address: wallet.address as `0x${string}` }));
      assert.deepEqual(block, await b.getBlock({ blockNumber: n, includeTransactions: true }));
      assert.deepEqual(receipt, await b.getTransactionReceipt({ hash: logTx as `0x${string}` }));
      assert.equal(logs.length, 1);
      assert.deepEqual(logs, await b.getLogs({ address: contract as `0x${string}`, fromBlock: 0n, toBlock: n }));
      assert.equal(code, `0x${RUNTIME}`);
      await assert.rejects(a.call({ to: contract as `0x${string}`, data: '0x01' }), (e: Error) => /0xdeadbeef/.test(String((e as { cause?: { data?: string } }).cause?.data ?? e.message)));
    }
  });

  it('WebSocket: newHeads and logs notifications as blocks are mined, removed logs when the chain is rolled back', async () => {
    const heads = await WsClient.open(proxy.wsUrl);
    const logs = await WsClient.open(proxy.wsUrl);
    const headSub = (await heads.call('eth_subscribe', ['newHeads'])).result;
    const logSub = (await logs.call('eth_subscribe', ['logs', { address: contract, topics: [TOPIC] }])).result;
    const snapshot = await anvil.rpc<string>('evm_snapshot');

    const tx = await wallet.sendTransaction({ to: contract });
    const receipt = await tx.wait(1, 60_000);
    const mined = receipt?.blockNumber as number;
    const block = await anvil.rpc<Record<string, unknown>>('eth_getBlockByNumber', [`0x${mined.toString(16)}`, false]);

    // newHeads: the header of the block that holds the transaction (earlier heads may precede it).
    for (;;) {
      const m = await heads.next();
      assert.equal(m.method, 'eth_subscription');
      assert.equal(m.params?.subscription, headSub);
      const h = m.params?.result ?? {};
      if (Number(h.number) < mined) continue;
      for (const field of ['hash', 'parentHash', 'number', 'stateRoot', 'transactionsRoot', 'receiptsRoot', 'logsBloom', 'timestamp', 'miner']) {
        assert.equal(h[field], block[field], field);
      }
      assert.equal(h.transactions, undefined);
      break;
    }

    // logs: the log of that transaction, exactly as anvil's eth_getLogs gives it.
    const expected = await anvil.rpc<Array<Record<string, unknown>>>('eth_getLogs', [{ blockHash: block.hash }]);
    assert.equal(expected.length, 1);
    const m = await logs.next();
    assert.equal(m.params?.subscription, logSub);
    assert.deepEqual(m.params?.result, { ...expected[0], removed: false });

    // Roll the chain back past that block and mine a longer chain without it.
    assert.equal(await anvil.rpc('evm_revert', [snapshot]), true);
    await anvil.rpc('anvil_mine', ['0x2']);
    const removed = await logs.next();
    assert.equal(removed.params?.subscription, logSub);
    assert.deepEqual(removed.params?.result, { ...expected[0], removed: true });

    await heads.close();
    await logs.close();
  });
});
