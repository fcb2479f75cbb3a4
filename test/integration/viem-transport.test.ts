/**
 * viem on `lesTransport` through the real stack: anvil ← 2 LES servers ← LesClient ← lesTransport.
 * A custom-error revert decodes as ContractFunctionRevertedError after exactly one eth_call (no
 * retries; the time is printed, not asserted); reads, a write and its receipt, and watches answer as
 * a viem client on http() to anvil itself (the expected values).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BaseError, ContractFunctionRevertedError, createPublicClient, createWalletClient, custom, http } from 'viem';
import { privateKeyToAccount } from 'viem/accounts';
import { foundry } from 'viem/chains';
import type { LesClient } from '../../src/client/engine/index.js';
import { type Eip1193Engine, createEip1193Provider } from '../../src/index.js';
import { type ViemEngine, lesTransport } from '../../src/viem.js';
import { type Anvil, sendTx } from '../helpers/anvil.js';
import { type Devnet, clientAtHead, startDevnet, until } from '../helpers/devnet-stack.js';
import { PING_ABI, pingInitcode } from '../helpers/ping-contract.js';

const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

describe('viem on lesTransport over LES', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let client: LesClient;
  let contract: `0x${string}`;
  /** Every method the transport handed to the engine, in order. */
  const calls: string[] = [];
  let counted: ViemEngine;

  before(async () => {
    devnet = await startDevnet({ servers: 2 });
    anvil = devnet.anvil;
    client = (devnet.surfaces as NonNullable<Devnet['surfaces']>).client;
    const [from] = (await anvil.rpc<string[]>('eth_accounts')) as [string];
    contract = (await sendTx<{ contractAddress: `0x${string}` }>(anvil, { from, data: pingInitcode() })).contractAddress;
    await clientAtHead(anvil, client);
    counted = {
      start: () => client.start(),
      stop: () => client.stop(),
      request: (method, params, signal) => {
        calls.push(method);
        return client.request(method, params, signal);
      },
    };
  });

  after(async () => {
    await devnet?.stop();
  });

  it('a custom-error revert: ContractFunctionRevertedError (Nope(7)) after one eth_call', async () => {
    const viem = createPublicClient({ chain: foundry, transport: lesTransport(counted) });
    calls.length = 0;
    const started = performance.now();
    const err = await viem.readContract({ address: contract, abi: PING_ABI, functionName: 'fail' }).then(
      () => assert.fail('answered'),
      (e: unknown) => e as BaseError,
    );
    const ms = performance.now() - started;
    const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    assert.ok(reverted !== null, `a ContractFunctionRevertedError, got ${err.name}: ${err.shortMessage}`);
    assert.equal(reverted.data?.errorName, 'Nope');
    assert.deepEqual(reverted.data?.args, [7n]);
    assert.deepEqual(calls, ['eth_call'], 'one request, no retries');
    const t1 = performance.now();
    await viem.readContract({ address: contract, abi: PING_ABI, functionName: 'fail' }).catch(() => undefined);
    const warm = performance.now() - t1;

    // The same call through custom() over the EIP-1193 object, for comparison (printed only).
    const eip = createEip1193Provider({
      engine: { ...counted, on: client.on.bind(client) as Eip1193Engine['on'], off: client.off.bind(client) as Eip1193Engine['off'], network: client.network },
      network: 'devnet',
    });
    const viaCustom = createPublicClient({ chain: foundry, transport: custom(eip) });
    calls.length = 0;
    const t0 = performance.now();
    await viaCustom.readContract({ address: contract, abi: PING_ABI, functionName: 'fail' }).catch(() => undefined);
    console.log(`revert decoded in ${ms.toFixed(1)} ms on lesTransport (1 eth_call; again: ${warm.toFixed(1)} ms); custom(eip1193): ${(performance.now() - t0).toFixed(1)} ms, ${calls.filter((m) => m === 'eth_call').length} eth_call`);
  });

  it('reads, a write and its receipt, and watches answer as http() to anvil', async () => {
    const ours = createPublicClient({ chain: foundry, transport: lesTransport(counted), pollingInterval: 100 });
    const theirs = createPublicClient({ chain: foundry, transport: http(anvil.url) });
    const account = privateKeyToAccount(DEV_KEY);
    await clientAtHead(anvil, client);

    const block = await theirs.getBlockNumber({ cacheTime: 0 });
    assert.equal(await ours.getBlockNumber({ cacheTime: 0 }), block);
    assert.equal(await ours.getBalance({ address: account.address, blockNumber: block }), await theirs.getBalance({ address: account.address, blockNumber: block }));
    assert.equal(await ours.getCode({ address: contract }), await theirs.getCode({ address: contract }));
    assert.equal(await ours.readContract({ address: contract, abi: PING_ABI, functionName: 'value' }), 42n);
    assert.equal(await theirs.readContract({ address: contract, abi: PING_ABI, functionName: 'value' }), 42n);

    // Watches from now on: each of the next events once, and every new block number.
    const events: bigint[] = [];
    const blocks: bigint[] = [];
    const unwatchEvents = ours.watchContractEvent({ address: contract, abi: PING_ABI, eventName: 'Ping', onLogs: (logs) => events.push(...logs.map((l) => l.args.n as bigint)) });
    const unwatchBlocks = ours.watchBlockNumber({ onBlockNumber: (n) => blocks.push(n), emitMissed: true });
    await until('the event filter installed', () => ((client.parts?.methods.context.filters?.size ?? 0) >= 1 ? true : undefined));

    // Writes: signed locally, sent through the light client.
    const wallet = createWalletClient({ account, chain: foundry, transport: lesTransport(counted) });
    const hashes: `0x${string}`[] = [];
    for (const n of [11n, 12n, 13n]) {
      const hash = await wallet.writeContract({ address: contract, abi: PING_ABI, functionName: 'ping', args: [n] });
      hashes.push(hash);
      const receipt = await ours.waitForTransactionReceipt({ hash, pollingInterval: 100 });
      const want = await theirs.getTransactionReceipt({ hash });
      assert.equal(receipt.status, 'success');
      assert.deepEqual(
        { blockHash: receipt.blockHash, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed, logs: receipt.logs, status: receipt.status },
        { blockHash: want.blockHash, blockNumber: want.blockNumber, gasUsed: want.gasUsed, logs: want.logs, status: want.status },
      );
    }
    const last = await theirs.getBlockNumber({ cacheTime: 0 });
    await until('the three events and blocks', () => (events.length >= 3 && blocks.includes(last) ? true : undefined), 60_000);
    await new Promise((r) => setTimeout(r, 400));
    unwatchEvents();
    unwatchBlocks();
    assert.deepEqual(events, [11n, 12n, 13n], 'each event once, in order');
    assert.deepEqual(blocks.filter((n) => n > block), Array.from({ length: Number(last - block) }, (_, i) => block + 1n + BigInt(i)), 'every block number once');
  });
});
