/**
 * Polled filters through the real stack: anvil ← 2 LES servers ← LesClient ← the proxy's HTTP.
 * ethers v6 `contract.on` (JsonRpcProvider: eth_newFilter + eth_getFilterChanges) and viem
 * `watchContractEvent` (http transport) each get every one of 50 events emitted across several
 * blocks exactly once and none from before the watch; eth_getFilterChanges / eth_getFilterLogs /
 * eth_newBlockFilter answer as anvil's own filters for the same calls; a log filter follows an
 * anvil_reorg with removed logs. Expected values are anvil's answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Contract, JsonRpcProvider, Wallet, keccak256 } from 'ethers';
import { createPublicClient, http } from 'viem';
import type { LesClient } from '../../src/client/engine/index.js';
import { type RunningProxy, lesBackend, startProxy } from '../../src/proxy/index.js';
import { type Anvil, RpcError, rpcCall, sendTx } from '../helpers/anvil.js';
import { type Devnet, clientAtHead, startDevnet, until } from '../helpers/devnet-stack.js';
import { PING_ABI, PING_TOPIC, pingInitcode } from '../helpers/ping-contract.js';

type Json = Record<string, unknown>;
const hex = (n: number) => `0x${n.toString(16)}`;
const word = (n: number) => n.toString(16).padStart(64, '0');
const PING = '0x773acdef'; // ping(uint256)
const DEV_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

describe('filters over LES through the proxy', () => {
  let devnet: Devnet;
  let anvil: Anvil;
  let client: LesClient;
  let proxy: RunningProxy;
  let from: string;
  let contract: string;

  const ours = <T>(method: string, params: unknown[] = []) => rpcCall<T>(proxy.url, method, params);
  const liveFilters = () => client.parts?.methods.context.filters?.size ?? 0;
  const pingTx = (n: number) => ({ from, to: contract, data: `${PING}${word(n)}`, gas: hex(60_000) });

  /** Sends `perBlock` pings per block for `blocks` blocks (automine off meanwhile); returns the numbers sent. */
  async function emit(first: number, blocks: number, perBlock: number): Promise<number[]> {
    const sent: number[] = [];
    await anvil.rpc('evm_setAutomine', [false]);
    try {
      for (let b = 0; b < blocks; b++) {
        for (let i = 0; i < perBlock; i++) {
          const n = first + sent.length;
          await anvil.rpc('eth_sendTransaction', [pingTx(n)]);
          sent.push(n);
        }
        await anvil.rpc('evm_mine');
      }
    } finally {
      await anvil.rpc('evm_setAutomine', [true]);
    }
    return sent;
  }

  /** eth_getFilterChanges on our filter, accumulated until it holds `n` items (our head follows anvil's a little later). */
  async function changesUntil(id: string, n: number): Promise<unknown[]> {
    const got: unknown[] = [];
    await until(`${n} changes of filter ${id}`, async () => {
      got.push(...(await ours<unknown[]>('eth_getFilterChanges', [id])));
      return got.length >= n ? true : undefined;
    }, 60_000);
    return got;
  }

  before(async () => {
    devnet = await startDevnet({ servers: 2 });
    anvil = devnet.anvil;
    client = (devnet.surfaces as NonNullable<Devnet['surfaces']>).client;
    [from] = (await anvil.rpc<string[]>('eth_accounts')) as [string];
    contract = (await sendTx<{ contractAddress: string }>(anvil, { from, data: pingInitcode() })).contractAddress;
    proxy = await startProxy({ backend: lesBackend(client), port: 0 });
    await clientAtHead(anvil, client);
  });

  after(async () => {
    await proxy?.close();
    await devnet?.stop();
  });

  it('ethers contract.on and viem watchContractEvent: each of 50 events across 5 blocks exactly once, none from before the watch', async () => {
    // Events before the watch: they must never be reported.
    await emit(1000, 1, 3);
    await clientAtHead(anvil, client);

    const ethersProvider = new JsonRpcProvider(proxy.url, undefined, { staticNetwork: true, pollingInterval: 100 });
    const pinger = new Contract(contract, PING_ABI as unknown as string[], ethersProvider);
    const viaEthers: number[] = [];
    await pinger.on('Ping', (n: bigint) => viaEthers.push(Number(n)));

    const viem = createPublicClient({ transport: http(proxy.url), pollingInterval: 100 });
    const viaViem: number[] = [];
    const viemErrors: Error[] = [];
    const unwatch = viem.watchContractEvent({
      address: contract as `0x${string}`,
      abi: PING_ABI,
      eventName: 'Ping',
      onLogs: (logs) => viaViem.push(...logs.map((l) => Number(l.args.n))),
      onError: (e) => viemErrors.push(e),
    });
    // Both watchers installed their filter (eth_newFilter through the proxy).
    await until('both watchers\' filters', () => (liveFilters() >= 2 ? true : undefined));

    const sent = await emit(1, 5, 10);
    assert.equal(sent.length, 50);
    await until('50 events through ethers and viem', () => (viaEthers.length >= 50 && viaViem.length >= 50 ? true : undefined), 60_000);
    // Two more blocks and a few polls: any event delivered twice would show now.
    await anvil.rpc('anvil_mine', ['0x2']);
    await clientAtHead(anvil, client);
    await sleep(600);

    await pinger.removeAllListeners();
    unwatch();
    ethersProvider.destroy();
    assert.deepEqual(viemErrors, []);
    assert.deepEqual([...viaEthers].sort((a, b) => a - b), sent, 'ethers: every event once, none from before the watch');
    assert.deepEqual([...viaViem].sort((a, b) => a - b), sent, 'viem: every event once, none from before the watch');
  });

  it('eth_newFilter / eth_getFilterChanges / eth_getFilterLogs / eth_newBlockFilter answer as anvil\'s own filters', async () => {
    const n0 = Number(await anvil.rpc<string>('eth_blockNumber'));
    await clientAtHead(anvil, client);
    const criteria = { address: contract, topics: [PING_TOPIC] };
    const ranged = { ...criteria, fromBlock: hex(n0) };
    const [theirLogs, theirRanged, theirBlocks] = await Promise.all([
      anvil.rpc<string>('eth_newFilter', [criteria]),
      anvil.rpc<string>('eth_newFilter', [ranged]),
      anvil.rpc<string>('eth_newBlockFilter'),
    ]);
    const [ourLogs, ourRanged, ourBlocks] = await Promise.all([
      ours<string>('eth_newFilter', [criteria]),
      ours<string>('eth_newFilter', [ranged]),
      ours<string>('eth_newBlockFilter'),
    ]);
    for (const id of [ourLogs, ourRanged, ourBlocks]) assert.match(id, /^0x[1-9a-f][0-9a-f]{0,31}$|^0x0$/, 'an id as geth formats them');

    await emit(2000, 3, 2);
    await anvil.rpc('anvil_mine', ['0x1']);
    const wantLogs = await anvil.rpc<Json[]>('eth_getFilterChanges', [theirLogs]);
    const wantHashes = await anvil.rpc<string[]>('eth_getFilterChanges', [theirBlocks]);
    assert.equal(wantLogs.length, 6);
    assert.equal(wantHashes.length, 4);
    assert.deepEqual(await changesUntil(ourLogs, wantLogs.length), wantLogs);
    assert.deepEqual(await changesUntil(ourBlocks, wantHashes.length), wantHashes);
    // Nothing new since the last poll: both answer an empty list.
    assert.deepEqual(await ours('eth_getFilterChanges', [ourLogs]), await anvil.rpc('eth_getFilterChanges', [theirLogs]));

    // eth_getFilterLogs runs the filter's whole range (verified eth_getLogs on our side).
    const wantRanged = await anvil.rpc<Json[]>('eth_getFilterLogs', [theirRanged]);
    assert.equal(wantRanged.length, 6);
    assert.deepEqual(await ours('eth_getFilterLogs', [ourRanged]), wantRanged);

    // Uninstalled: true once, then false; the id is unknown afterwards.
    assert.equal(await ours('eth_uninstallFilter', [ourLogs]), await anvil.rpc('eth_uninstallFilter', [theirLogs]));
    assert.equal(await ours('eth_uninstallFilter', [ourLogs]), await anvil.rpc('eth_uninstallFilter', [theirLogs]));
    const gone = await ours('eth_getFilterChanges', [ourLogs]).then(() => undefined, (e: unknown) => e);
    assert.ok(gone instanceof RpcError, 'an uninstalled filter is unknown');
    assert.deepEqual([gone.code, gone.message], [-32000, 'eth_getFilterChanges: filter not found'], "geth's error for an unknown filter");
    const theirGone = await anvil.rpc('eth_getFilterChanges', [theirLogs]).then(() => undefined, (e: unknown) => e);
    console.log(`anvil on an uninstalled filter: ${theirGone instanceof RpcError ? `${theirGone.code} ${theirGone.message}` : String(theirGone)}`);
    for (const id of [ourRanged, ourBlocks]) await ours('eth_uninstallFilter', [id]);
    for (const id of [theirRanged, theirBlocks]) await anvil.rpc('eth_uninstallFilter', [id]);
  });

  it('a block filter is no log filter: eth_getFilterLogs on it is "filter not found"; malformed ids and filters are -32602 naming the param', async () => {
    const blocks = await ours<string>('eth_newBlockFilter');
    const err = (p: Promise<unknown>) => p.then(() => assert.fail('answered'), (e: unknown) => e as RpcError);
    const notLogs = await err(ours('eth_getFilterLogs', [blocks]));
    assert.deepEqual([notLogs.code, notLogs.message], [-32000, 'eth_getFilterLogs: filter not found']);
    for (const [method, params, field] of [
      ['eth_getFilterChanges', [42], 'filterId'],
      ['eth_getFilterChanges', ['not hex'], 'filterId'],
      ['eth_getFilterChanges', [], 'filterId'],
      ['eth_uninstallFilter', [`0x${'f'.repeat(65)}`], 'filterId'],
      ['eth_newFilter', [{ address: '0x12' }], 'filter.address'],
      ['eth_newFilter', [{ fromBlock: '0x10', toBlock: '0x2' }], 'filter.fromBlock'],
      ['eth_newFilter', [{ topics: [1] }], 'filter.topics[0]'],
      ['eth_newBlockFilter', [1], 'params'],
      ['eth_newPendingTransactionFilter', ['yes'], 'fullTx'],
    ] as const) {
      const e = await err(ours(method, [...params]));
      assert.equal(e.code, -32602, `${method} ${JSON.stringify(params)}`);
      assert.deepEqual((e.data as { field?: string } | undefined)?.field, field, `${method} ${JSON.stringify(params)} names ${field}`);
    }
    await ours('eth_uninstallFilter', [blocks]);
  });

  it('the EIP-1193 object and LesProvider answer the same filter methods from the same engine', async () => {
    const { eip, provider } = devnet.surfaces as NonNullable<Devnet['surfaces']>;
    await clientAtHead(anvil, client);
    const id = (await eip.request({ method: 'eth_newBlockFilter' })) as string;
    const theirs = await anvil.rpc<string>('eth_newBlockFilter');
    await anvil.rpc('anvil_mine', ['0x2']);
    const want = await anvil.rpc<string[]>('eth_getFilterChanges', [theirs]);
    assert.equal(want.length, 2);
    const got: string[] = [];
    await until('two block hashes through LesProvider', async () => {
      got.push(...((await provider.send('eth_getFilterChanges', [id])) as string[]));
      return got.length >= 2 ? true : undefined;
    });
    assert.deepEqual(got, want);
    assert.equal(await eip.request({ method: 'eth_uninstallFilter', params: [id] }), true);
    await assert.rejects(provider.send('eth_getFilterChanges', [id]), /filter not found/);
  });

  it('a pending-transaction filter reports the transactions sent through this client', async () => {
    const id = await ours<string>('eth_newPendingTransactionFilter');
    assert.deepEqual(await ours('eth_getFilterChanges', [id]), []);
    // Signed with anvil's first dev key, sent through the proxy.
    const wallet = new Wallet(DEV_KEY);
    assert.equal(wallet.address.toLowerCase(), from.toLowerCase());
    const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [from, 'latest']));
    const raw = await wallet.signTransaction({ to: contract, data: pingTx(7).data, gasLimit: 60_000, gasPrice: 2_000_000_000n, nonce, chainId: 31337n });
    const hash = await ours<string>('eth_sendRawTransaction', [raw]);
    assert.equal(hash, keccak256(raw));
    assert.deepEqual(await ours('eth_getFilterChanges', [id]), [hash]);
    assert.deepEqual(await ours('eth_getFilterChanges', [id]), []);
    await ours('eth_uninstallFilter', [id]);
  });

  it('a log filter across anvil_reorg: the old branch\'s logs come back removed (newest first), then the new branch\'s, each once', async () => {
    await clientAtHead(anvil, client);
    const id = await ours<string>('eth_newFilter', [{ address: contract }]);
    const n0 = Number(await anvil.rpc<string>('eth_blockNumber'));
    for (let i = 0; i < 3; i++) await sendTx(anvil, pingTx(3000 + i));
    const old = await anvil.rpc<Json[]>('eth_getLogs', [{ address: contract, fromBlock: hex(n0 + 1), toBlock: hex(n0 + 3) }]);
    assert.equal(old.length, 3);
    assert.deepEqual(await changesUntil(id, 3), old.map((l) => ({ ...l, removed: false })));

    await anvil.rpc('anvil_reorg', [2, [[pingTx(4000), 0], [pingTx(4001), 1]]]);
    await sendTx(anvil, pingTx(4002));
    const n1 = Number(await anvil.rpc<string>('eth_blockNumber'));
    const fresh = await anvil.rpc<Json[]>('eth_getLogs', [{ address: contract, fromBlock: hex(n0 + 2), toBlock: hex(n1) }]);
    assert.ok(fresh.length >= 3);
    assert.ok(fresh.every((l) => !old.slice(1).some((o) => o.blockHash === l.blockHash)), 'anvil replaced the blocks');
    const removed = [old[2], old[1]].map((l) => ({ ...l, removed: true }));
    const got = await changesUntil(id, removed.length + fresh.length);
    assert.deepEqual(got, [...removed, ...fresh.map((l) => ({ ...l, removed: false }))]);
    await clientAtHead(anvil, client);
    await sleep(300);
    assert.deepEqual(await ours('eth_getFilterChanges', [id]), [], 'nothing twice');
    await ours('eth_uninstallFilter', [id]);
  });
});
