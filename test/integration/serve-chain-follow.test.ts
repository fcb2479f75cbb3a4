// The chain follower against a real anvil (prague) with traffic of every kind, several
// transactions per block: every block stored, headers hash to anvil's hashes, bodies equal the
// transactions as ethers signed them, receipts equal eth_getBlockReceipts, the tx lookup agrees
// with eth_getTransactionByHash, events arrive in order, and the StateTracker driven through
// StateFeed checks every block's stateRoot without polling the node itself.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { Traffic, devWallet } from '../unit/serve/chain-traffic.js';
import { type BlockEvent, ChainFollower, ChainStore, type HeadEvent, StateFeed } from '../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { StateTracker } from '../../src/serve/state/tracker.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { decodeReceipt } from '../../src/verify/receipts.js';

type Json = Record<string, unknown>;
const hex = (b: Uint8Array) => ethers.hexlify(b);
const bytes = (h: string) => ethers.getBytes(h);

let anvil: Anvil;
let store: ChainStore;
let follower: ChainFollower;
let tracker: StateTracker;
let feed: StateFeed;
let traffic: Traffic;
const blockEvents: BlockEvent[] = [];
const headEvents: HeadEvent[] = [];
const rejected: unknown[] = [];
const sent: string[] = [];

async function anvilHead(): Promise<number> {
  return Number(BigInt(await anvil.rpc<string>('eth_blockNumber')));
}

async function caughtUp(): Promise<void> {
  const target = await anvilHead();
  const deadline = Date.now() + 30_000;
  while (store.headNumber() < target) {
    assert.ok(Date.now() < deadline, `follower stuck at ${store.headNumber()} (anvil at ${target})`);
    await new Promise((r) => setTimeout(r, 50));
  }
  await feed.idle();
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  const rpc = new NodeRpcClient({ url: anvil.url });
  const kv = openMemoryStore();
  store = await ChainStore.open({ store: kv.namespace('chain') });
  tracker = await StateTracker.open({ store: kv.namespace('state'), rpc });
  follower = new ChainFollower({ store, rpc, pollIntervalMs: 100 });
  feed = new StateFeed({ follower, tracker, rpc });
  follower.on('block', (e) => blockEvents.push(e));
  follower.on('head', (e) => headEvents.push(e));
  follower.on('rejected', (e) => rejected.push(e));
  follower.start();

  traffic = new Traffic(anvil);
  await anvil.rpc('evm_setAutomine', [false]);
  const w0 = devWallet(0);
  const logger = await traffic.deployLogger(w0);
  sent.push(logger.hash, await traffic.sendSetCode(w0, devWallet(3), logger.address));
  sent.push(await traffic.send(devWallet(4), { type: 2, to: w0.address, value: 1n, gasLimit: 21_000 }));
  await anvil.rpc('evm_mine');
  for (let i = 0; i < 3; i++) {
    sent.push(...(await traffic.mixedBlock(logger.address)));
    await anvil.rpc('evm_mine');
  }
  await anvil.rpc('evm_mine'); // an empty block
  await anvil.rpc('evm_setAutomine', [true]);
  sent.push(await traffic.callLogger(devWallet(5), logger.address, 99)); // automined: a block of one
  await caughtUp();
});

after(async () => {
  await follower?.stop();
  await feed?.detach();
  await tracker?.close();
  await anvil?.stop();
});

describe('chain follower on anvil traffic', () => {
  it('stored every block; headers hash to anvil hashes and link', async () => {
    const head = await anvilHead();
    assert.ok(head >= 6);
    assert.deepEqual(rejected, []);
    for (let n = 0; n <= head; n++) {
      const a = await anvil.rpc<Json>('eth_getBlockByNumber', [ethers.toQuantity(n), false]);
      const h = await store.headerByNumber(n);
      assert.ok(h, `block ${n} stored`);
      assert.equal(hex(keccak256(h.rlp)), a.hash, `header ${n} hashes to anvil's hash`);
      assert.equal(hex(h.hash), a.hash);
      assert.equal(hex(h.header.stateRoot), a.stateRoot);
      assert.equal(hex((await store.canonicalHash(n)) as Uint8Array), a.hash);
      assert.equal(await store.td(h.hash), BigInt(a.totalDifficulty as string), 'TD: anvil reports it too');
    }
    assert.equal(hex(store.head()?.hash as Uint8Array), (await anvil.rpc<Json>('eth_getBlockByNumber', ['latest', false])).hash);
  });

  it('bodies of new blocks were stored eagerly and equal the transactions as ethers signed them', async () => {
    const head = await anvilHead();
    let multi = 0;
    for (let n = 1; n <= head; n++) {
      const a = await anvil.rpc<Json & { transactions: string[]; hash: string }>('eth_getBlockByNumber', [ethers.toQuantity(n), false]);
      assert.equal(await store.hasBody(bytes(a.hash)), true, `body ${n} eager`);
      assert.equal(await store.hasReceipts(bytes(a.hash)), true, `receipts ${n} eager`);
      const body = await store.getBody(bytes(a.hash));
      assert.deepEqual(body?.transactions.map(hex), a.transactions.map((t) => traffic.signed.get(t)));
      assert.deepEqual(body?.uncles, []);
      assert.deepEqual(body?.withdrawals, [], 'prague: withdrawals present and empty');
      if (a.transactions.length > 1) multi++;
    }
    assert.ok(multi >= 3, 'several blocks with several transactions');
    assert.ok(new Set(sent.map((h) => ethers.Transaction.from(traffic.signed.get(h) as string).type)).size >= 4, 'types 0, 1, 2, 4');
  });

  it('receipts equal eth_getBlockReceipts, field by field', async () => {
    const head = await anvilHead();
    let logs = 0;
    let failed = 0;
    for (let n = 1; n <= head; n++) {
      const hash = (await anvil.rpc<Json>('eth_getBlockByNumber', [ethers.toQuantity(n), false])).hash as string;
      const want = await anvil.rpc<Json[]>('eth_getBlockReceipts', [hash]);
      const got = ((await store.getReceipts(bytes(hash))) as Uint8Array[]).map((r) => decodeReceipt(r));
      assert.equal(got.length, want.length);
      got.forEach((r, i) => {
        const w = want[i] as Json;
        assert.equal(r.type, Number(w.type));
        assert.equal(r.status, Number(w.status));
        assert.equal(r.cumulativeGasUsed, BigInt(w.cumulativeGasUsed as string));
        assert.equal(hex(r.logsBloom), w.logsBloom);
        assert.deepEqual(
          r.logs.map((l) => [hex(l.address), l.topics.map(hex), hex(l.data)]),
          (w.logs as Json[]).map((l) => [l.address, l.topics, l.data]),
        );
        logs += r.logs.length;
        if (r.status === 0) failed++;
      });
    }
    assert.ok(logs >= 6 && failed >= 3, `logs ${logs}, failed ${failed}`);
  });

  it('tx lookup agrees with eth_getTransactionByHash for every transaction', async () => {
    assert.ok(sent.length >= 20);
    for (const h of sent) {
      const a = await anvil.rpc<Json>('eth_getTransactionByHash', [h]);
      const want = { blockHash: a.blockHash, blockNumber: Number(BigInt(a.blockNumber as string)), txIndex: Number(BigInt(a.transactionIndex as string)) };
      for (const loc of [await store.txLookup(bytes(h)), await store.confirmedTx(bytes(h))]) {
        assert.ok(loc, `lookup of ${h}`);
        assert.deepEqual({ ...loc, blockHash: hex(loc.blockHash) }, want);
      }
    }
    assert.equal(await store.txLookup(keccak256(Uint8Array.of(1))), undefined);
  });

  it("emitted each block once, in order, with anvil's head fields, and head events", async () => {
    const head = await anvilHead();
    assert.deepEqual(blockEvents.map((e) => e.number), Array.from({ length: head + 1 }, (_, i) => i));
    for (const e of blockEvents.slice(1)) {
      const a = await anvil.rpc<Json>('eth_getBlockByNumber', [ethers.toQuantity(e.number), false]);
      assert.equal(hex(e.head.hash), a.hash);
      assert.equal(hex(e.head.parentHash), a.parentHash);
      assert.equal(hex(e.head.stateRoot), a.stateRoot);
      assert.equal(e.head.timestamp, Number(BigInt(a.timestamp as string)));
    }
    const last = headEvents[headEvents.length - 1];
    assert.equal(last?.number, head);
    assert.ok(headEvents.every((e) => e.reorgDepth === 0));
  });

  it('drove the StateTracker: every block after its start state checked against stateRoot, each applied once', async () => {
    assert.equal(hex(tracker.head.hash), hex(store.head()?.hash as Uint8Array));
    const start = (await tracker.records.getStart())?.number ?? 0;
    const head = await anvilHead();
    for (let n = start + 1; n <= head; n++) {
      const rec = await tracker.blockState((await store.canonicalHash(n)) as Uint8Array);
      assert.equal(rec?.servable, true, `state of block ${n} servable`);
    }
    assert.ok(feed.stats.applied >= head - start);
    assert.equal(feed.stats.failed, 0);
    assert.equal(tracker.stats.blocksApplied, head - start, 'each block applied once, through the feed');
    assert.equal(tracker.stats.startLoads, 1);
  });
});
