// Fees, sending and the remaining methods through the method table against anvil (prague):
// eth_gasPrice, eth_maxPriorityFeePerGas and eth_feeHistory equal anvil's answers on the workload
// chain (and after a block whose only tip is 3 gwei); eth_sendRawTransaction relays through the
// Odr, the pending transaction and the 'pending' nonce match anvil's while it waits, and the mined
// one after; a rejected send carries the server's message; eth_syncing follows the trusted servers' agreed heads;
// eth_call & co go to the injected CallHandler.
//
// Node-specific:
// - eth_feeHistory without percentiles: anvil answers `reward: []`, geth (and ours) leaves it out.
// - eth_feeHistory with newestBlock below the head: anvil's extra (next-block) baseFeePerGas entry
//   is its current pending base fee, whatever newestBlock is; geth's (and ours) is the base fee of
//   block newest+1 — checked against that block's header as anvil serves it.
// - a pending 1559 transaction's gasPrice: anvil gives the effective price at the pending block's
//   base fee; geth (and ours) gives maxFeePerGas.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Transaction, Wallet } from 'ethers';
import type { VerifiedHeader } from '../../src/client/contracts.js';
import type { SyncView } from '../../src/client/methods/context.js';
import { type Methods, createMethods, toRpcError } from '../../src/client/methods/index.js';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { AnvilOdr } from '../helpers/anvil-odr.js';
import { CHAIN_ID, KEYS, RECIPIENT, type Workload, mined, runWorkload } from '../unit/client/methods-workload.js';

type Json = Record<string, unknown>;

describe('fees, sending, syncing and call routing against anvil', () => {
  let anvil: Anvil;
  let odr: AnvilOdr;
  let methods: Methods;
  let w: Workload;
  let sync: SyncView = { highest: undefined };
  const config = { chainId: BigInt(CHAIN_ID), networkId: BigInt(CHAIN_ID) };

  const same = async (method: string, params: unknown[], strip: (x: unknown) => unknown = (x) => x) => {
    const ours = await methods.request(method, params);
    assert.deepEqual(strip(ours), strip(await anvil.rpc(method, params)), `${method} ${JSON.stringify(params)}`);
    return ours;
  };
  const rpcError = async (method: string, params: unknown[]) => {
    try {
      await methods.request(method, params);
    } catch (e) {
      return toRpcError(e);
    }
    assert.fail(`${method} did not throw`);
  };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    w = await runWorkload(anvil);
    odr = new AnvilOdr(anvil, { sectionSize: 64 });
    await odr.sync();
    methods = createMethods({ odr, chain: odr, config, sync: () => sync });
  });
  after(async () => anvil?.stop());

  it('eth_gasPrice and eth_maxPriorityFeePerGas after empty blocks', async () => {
    await same('eth_maxPriorityFeePerGas', []);
    await same('eth_gasPrice', []);
  });

  /** Our eth_feeHistory and anvil's, the next-block base fee entries compared as explained above. */
  const sameHistory = async (params: unknown[], strip: (x: Json) => Json = (x) => x) => {
    const ours = strip((await methods.request('eth_feeHistory', params)) as Json);
    const theirs = strip(await anvil.rpc<Json>('eth_feeHistory', params));
    const newest = Number(ours.oldestBlock) + (ours.gasUsedRatio as number[]).length - 1;
    const ourFees = ours.baseFeePerGas as string[];
    if (newest < odr.head().header.number) {
      const next = await anvil.rpc<Json>('eth_getBlockByNumber', [`0x${(newest + 1).toString(16)}`, false]);
      assert.equal(ourFees[ourFees.length - 1], next.baseFeePerGas, `next base fee after ${newest}`);
      const cut = (x: Json) => ({ ...x, baseFeePerGas: (x.baseFeePerGas as string[]).slice(0, -1) });
      assert.deepEqual(cut(ours), cut(theirs), JSON.stringify(params));
    } else {
      assert.deepEqual(ours, theirs, JSON.stringify(params));
    }
  };

  it('eth_feeHistory over several ranges and percentiles', async () => {
    const head = `0x${w.head.toString(16)}`;
    for (const params of [
      ['0x5', 'latest', [10, 50, 90]],
      ['0x8', '0x5', [0, 25, 50, 75, 100]],
      ['0x1', '0x2', [50]],
      ['0x3', '0x48', [0, 100]],
      ['0xc8', head, [25, 75]],
      [4, '0x3', [1.5, 60.25]],
    ]) {
      await sameHistory(params);
    }
    const noReward = (x: Json) => ({ ...x, reward: undefined });
    await sameHistory(['0x6', '0x5', []], noReward);
    await sameHistory(['0x6', 'latest'], noReward);
    assert.equal('reward' in ((await methods.request('eth_feeHistory', ['0x6', '0x5', []])) as Json), false);
  });

  it('a block whose only tip is 3 gwei moves the suggestion as anvil does', async () => {
    const wallet = new Wallet(KEYS[3] as string);
    const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [wallet.address, 'latest']));
    const raw = await wallet.signTransaction({ chainId: CHAIN_ID, nonce, type: 2, to: RECIPIENT, value: 1n, gasLimit: 21000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 3n * 10n ** 9n });
    await mined(anvil, await anvil.rpc<string>('eth_sendRawTransaction', [raw]));
    await odr.sync();
    assert.equal(await same('eth_maxPriorityFeePerGas', []), '0xb2d05e00');
    await same('eth_gasPrice', []);
    await same('eth_feeHistory', ['0x2', 'latest', [50]]);
  });

  it('eth_sendRawTransaction: pending while unmined, then mined; pending nonce counts it', async () => {
    await anvil.rpc('evm_setAutomine', [false]);
    const wallet = w.wallets[1] as Wallet;
    const nonce = Number(await anvil.rpc<string>('eth_getTransactionCount', [wallet.address, 'latest']));
    const sign = (n: number) => wallet.signTransaction({ chainId: CHAIN_ID, nonce: n, type: 2, to: RECIPIENT, value: 7n, gasLimit: 21000, maxFeePerGas: 10n ** 10n, maxPriorityFeePerGas: 10n ** 9n });
    const raws = [await sign(nonce), await sign(nonce + 1)];
    const hashes = [];
    for (const raw of raws) {
      const hash = (await methods.request('eth_sendRawTransaction', [raw])) as string;
      assert.equal(hash, Transaction.from(raw).hash);
      hashes.push(hash);
    }
    const noPrice = (x: unknown) => ({ ...(x as Json), gasPrice: undefined });
    for (const hash of hashes) {
      const tx = (await same('eth_getTransactionByHash', [hash], noPrice)) as Json;
      assert.equal(tx.blockHash, null);
      assert.equal(tx.gasPrice, tx.maxFeePerGas);
    }
    const address = wallet.address.toLowerCase();
    assert.equal(await same('eth_getTransactionCount', [address, 'pending']), `0x${(nonce + 2).toString(16)}`);
    assert.equal(await methods.request('eth_getTransactionCount', [address, 'latest']), `0x${nonce.toString(16)}`);
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_setAutomine', [true]);
    await odr.sync();
    for (const hash of hashes) {
      assert.notEqual(((await same('eth_getTransactionByHash', [hash])) as Json).blockHash, null);
      await same('eth_getTransactionReceipt', [hash], (r) => ({ ...(r as Json), blockTimestamp: undefined, blobGasPrice: undefined }));
    }
    assert.equal(methods.context.pending.size, 0, 'mined transactions leave the pending pool');
    // Sent again: the servers refuse it (nonce too low) and we say so with their words.
    const err = await rpcError('eth_sendRawTransaction', [raws[0]]);
    assert.equal(err.code, -32000);
    assert.match(err.message, /nonce/i);
  });

  it('eth_sendRawTransaction refuses other chains, unprotected legacy and garbage before relaying', async () => {
    const wallet = w.wallets[2] as Wallet;
    const sent = odr.calls.sendTransaction ?? 0;
    const other = await wallet.signTransaction({ chainId: 1, nonce: 0, type: 2, to: RECIPIENT, gasLimit: 21000, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n });
    assert.deepEqual([(await rpcError('eth_sendRawTransaction', [other])).code, (await rpcError('eth_sendRawTransaction', [other])).data], [-32602, { code: 'INVALID_PARAMS', field: 'transaction' }]);
    const unprotected = await wallet.signTransaction({ type: 0, nonce: 0, to: RECIPIENT, gasLimit: 21000, gasPrice: 10n ** 10n });
    assert.equal((await rpcError('eth_sendRawTransaction', [unprotected])).code, -32000);
    assert.equal((await rpcError('eth_sendRawTransaction', ['0x02c0'])).code, -32602);
    const unsigned = Transaction.from({ chainId: CHAIN_ID, type: 2, nonce: 0, to: RECIPIENT, gasLimit: 21000, maxFeePerGas: 1n, maxPriorityFeePerGas: 1n }).unsignedSerialized;
    assert.equal((await rpcError('eth_sendRawTransaction', [unsigned])).code, -32602);
    assert.equal(odr.calls.sendTransaction ?? 0, sent, 'nothing relayed');
  });

  it('eth_syncing follows the trusted servers’ head, and says when agreement is stalled', async () => {
    const head = odr.head().header.number;
    const hex = (n: number) => `0x${n.toString(16)}`;
    sync = { highest: head + 1 };
    assert.equal(await methods.request('eth_syncing', []), false);
    sync = { highest: head + 50 };
    assert.deepEqual(await methods.request('eth_syncing', []), { startingBlock: hex(head), currentBlock: hex(head), highestBlock: hex(head + 50) });
    sync = { highest: undefined };
    assert.equal(await methods.request('eth_syncing', []), false);
    sync = { highest: head, stalled: '1 of 3 trusted servers connected; 3 must agree on a head' };
    assert.deepEqual(await methods.request('eth_syncing', []), { startingBlock: hex(head), currentBlock: hex(head), highestBlock: hex(head), stalled: sync.stalled });
    sync = { highest: undefined };
  });

  it('eth_call, eth_estimateGas, eth_createAccessList go to the CallHandler with the resolved header', async () => {
    assert.equal(methods.has('eth_call'), false);
    assert.equal((await rpcError('eth_call', [{ to: RECIPIENT }, 'latest'])).code, -32601);
    const seen: Array<[string, readonly unknown[], VerifiedHeader]> = [];
    const withCall = createMethods({ odr, chain: odr, config, call: async (m, p, h) => (seen.push([m, p, h]), '0x01') });
    assert.deepEqual(['eth_call', 'eth_estimateGas', 'eth_createAccessList'].filter((m) => withCall.has(m)).length, 3);
    assert.equal(await withCall.request('eth_call', [{ to: RECIPIENT }, '0x3']), '0x01');
    assert.equal(await withCall.request('eth_estimateGas', [{ to: RECIPIENT }]), '0x01');
    await withCall.request('eth_createAccessList', [{ to: RECIPIENT }, { blockHash: (await anvil.rpc<Json>('eth_getBlockByNumber', ['0x5', false])).hash }]);
    assert.deepEqual(seen.map(([m, , h]) => [m, h.header.number]), [['eth_call', 3], ['eth_estimateGas', odr.head().header.number], ['eth_createAccessList', 5]]);
    assert.deepEqual(seen[0]?.[1], [{ to: RECIPIENT }, '0x3']);
  });
});
