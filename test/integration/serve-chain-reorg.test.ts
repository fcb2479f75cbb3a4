// Reorgs made with a real anvil: evm_snapshot/evm_revert and then different blocks at the same
// heights (a longer branch, a shorter branch, a plain rollback), and anvil_reorg. After each, the
// canonical index equals anvil's chain, the head event carries the depth rolled back from our
// previous head, tx lookups follow the new branch, and old-branch headers stay readable by hash.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ethers } from 'ethers';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { Traffic, devWallet } from '../unit/serve/chain-traffic.js';
import { type BlockEvent, ChainFollower, ChainStore, type HeadEvent } from '../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../src/store/memory.js';

type Json = Record<string, unknown>;
const hex = (b: Uint8Array) => ethers.hexlify(b);
const bytes = (h: string) => ethers.getBytes(h);

let anvil: Anvil;
let store: ChainStore;
let follower: ChainFollower;
let traffic: Traffic;
let heads: HeadEvent[] = [];
let blocks: BlockEvent[] = [];

async function mine(n = 1): Promise<void> {
  for (let i = 0; i < n; i++) await anvil.rpc('evm_mine');
}

async function sync(): Promise<HeadEvent | undefined> {
  heads = [];
  blocks = [];
  await follower.syncOnce();
  return heads[heads.length - 1];
}

async function anvilBlock(tag: number | string): Promise<Json> {
  return anvil.rpc<Json>('eth_getBlockByNumber', [typeof tag === 'number' ? ethers.toQuantity(tag) : tag, false]);
}

/** Our canonical index equals anvil's chain, and nothing is canonical above its head. */
async function assertSameChain(): Promise<void> {
  const head = Number(BigInt((await anvilBlock('latest')).number as string));
  assert.equal(store.headNumber(), head);
  for (let n = 0; n <= head; n++) assert.equal(hex((await store.canonicalHash(n)) as Uint8Array), (await anvilBlock(n)).hash, `canonical ${n}`);
  assert.equal(await store.canonicalHash(head + 1), undefined);
}

async function lookup(txHash: string): Promise<{ blockHash: string; blockNumber: number; txIndex: number } | undefined> {
  const loc = await store.txLookup(bytes(txHash));
  return loc && { ...loc, blockHash: hex(loc.blockHash) };
}

async function anvilLookup(txHash: string) {
  const a = await anvil.rpc<Json>('eth_getTransactionByHash', [txHash]);
  return { blockHash: a.blockHash as string, blockNumber: Number(BigInt(a.blockNumber as string)), txIndex: Number(BigInt(a.transactionIndex as string)) };
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  await anvil.rpc('evm_setAutomine', [false]);
  traffic = new Traffic(anvil);
  store = await ChainStore.open({ store: openMemoryStore() });
  follower = new ChainFollower({ store, rpc: new NodeRpcClient({ url: anvil.url }) });
  follower.on('head', (e) => heads.push(e));
  follower.on('block', (e) => blocks.push(e));
  await traffic.send(devWallet(0), { type: 2, to: devWallet(1).address, value: 1n, gasLimit: 21_000 });
  await mine(5);
  await sync();
  assert.equal(store.headNumber(), 5);
});

after(async () => {
  await follower?.stop();
  await anvil?.stop();
});

describe('chain follower reorgs on anvil', () => {
  it('evm_revert then a longer branch: index replaced, reorgDepth = blocks rolled back, lookups moved', async () => {
    const snap = await anvil.rpc<string>('evm_snapshot');
    const onlyOld = await traffic.send(devWallet(2), { type: 2, to: devWallet(0).address, value: 5n, gasLimit: 21_000 });
    const raw = (h: string) => traffic.signed.get(h) as string;
    const both = await traffic.send(devWallet(3), { type: 0, to: devWallet(0).address, value: 6n, gasLimit: 21_000 });
    await mine(3); // 6, 7, 8 (both txs in 6)
    await sync();
    assert.equal((await lookup(onlyOld))?.blockNumber, 6);
    const oldBranch = await Promise.all([6, 7, 8].map(async (n) => (await anvilBlock(n)).hash as string));

    assert.equal(await anvil.rpc('evm_revert', [snap]), true);
    await anvil.rpc('evm_setNextBlockTimestamp', [Number(BigInt((await anvilBlock(5)).timestamp as string)) + 100]);
    const onlyNew = await traffic.send(devWallet(4), { type: 1, to: devWallet(0).address, value: 7n, gasLimit: 30_000 });
    await mine(); // 6'
    await anvil.rpc('eth_sendRawTransaction', [raw(both)]); // the same signed tx, now in 7'
    await mine(3); // 7', 8', 9'
    const head = await sync();

    assert.deepEqual(head && { number: head.number, reorgDepth: head.reorgDepth }, { number: 9, reorgDepth: 3 });
    assert.deepEqual(blocks.map((b) => b.number), [6, 7, 8, 9], 'the new branch, in order');
    await assertSameChain();
    assert.equal(await lookup(onlyOld), undefined, 'tx only in the old branch');
    assert.deepEqual(await lookup(both), await anvilLookup(both));
    assert.equal((await lookup(both))?.blockNumber, 7);
    assert.deepEqual(await lookup(onlyNew), await anvilLookup(onlyNew));
    for (const h of oldBranch) {
      const stored = await store.headerByHash(bytes(h));
      assert.equal(stored && hex(stored.hash), h, 'old-branch header still readable by hash');
      assert.notEqual(hex((await store.canonicalHash(stored?.number as number)) as Uint8Array), h);
    }
    // The new branch's recent blocks were fetched with bodies (checked) like any new block.
    assert.equal(await store.hasBody(bytes((await anvilBlock(9)).hash as string)), true);
  });

  it('a shorter branch: canonical entries above the new head are gone', async () => {
    const snap = await anvil.rpc<string>('evm_snapshot');
    await mine(3); // 10, 11, 12
    await sync();
    assert.equal(store.headNumber(), 12);
    await anvil.rpc('evm_revert', [snap]);
    await anvil.rpc('evm_setNextBlockTimestamp', [Number(BigInt((await anvilBlock(9)).timestamp as string)) + 50]);
    await mine(); // 10' only
    const head = await sync();
    assert.deepEqual(head && { number: head.number, reorgDepth: head.reorgDepth }, { number: 10, reorgDepth: 3 });
    await assertSameChain();
  });

  it('a plain rollback (revert without new blocks) moves the head back to a block we hold', async () => {
    const snap = await anvil.rpc<string>('evm_snapshot');
    const tx = await traffic.send(devWallet(5), { type: 2, to: devWallet(0).address, value: 9n, gasLimit: 21_000 });
    await mine(2); // 11, 12
    await sync();
    assert.equal((await lookup(tx))?.blockNumber, 11);
    await anvil.rpc('evm_revert', [snap]);
    const head = await sync();
    assert.deepEqual(head && { number: head.number, reorgDepth: head.reorgDepth }, { number: 10, reorgDepth: 2 });
    assert.deepEqual(blocks, [], 'no new blocks');
    await assertSameChain();
    assert.equal(await lookup(tx), undefined);
  });

  it('anvil_reorg replaces the last blocks with new ones carrying other transactions', async () => {
    await mine(4); // 11..14
    await sync();
    const w = devWallet(6);
    const nonce = Number(BigInt(await anvil.rpc<string>('eth_getTransactionCount', [w.address, 'latest'])));
    const signed = await w.signTransaction({ type: 2, chainId: 31337, nonce, to: devWallet(0).address, value: 11n, gasLimit: 21_000, maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n });
    const txHash = ethers.keccak256(signed);
    await anvil.rpc('anvil_reorg', [2, [[signed, 0]]]); // 13', 14' with the tx in 13'
    const head = await sync();
    assert.deepEqual(head && { number: head.number, reorgDepth: head.reorgDepth }, { number: 14, reorgDepth: 2 });
    await assertSameChain();
    assert.deepEqual(await lookup(txHash), await anvilLookup(txHash));
    assert.equal((await lookup(txHash))?.blockNumber, 13);
    const body = await store.getBody(bytes((await anvilBlock(13)).hash as string));
    assert.deepEqual(body?.transactions.map(hex), [signed]);
  });
});
