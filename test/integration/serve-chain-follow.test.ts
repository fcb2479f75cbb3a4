// The chain follower against a real anvil (prague) with traffic of every kind, several
// transactions per block: every block stored, headers hash to anvil's hashes, bodies equal the
// transactions as ethers signed them, receipts equal eth_getBlockReceipts, the tx lookup agrees
// with eth_getTransactionByHash, events arrive in order, and the preimage feed driven by the
// follower's blocks indexes every address and slot the blocks touch.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { Traffic, devWallet } from '../unit/serve/chain-traffic.js';
import { type BlockEvent, ChainFollower, ChainStore, type HeadEvent } from '../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { PreimageFeed } from '../../src/serve/state/preimage-feed.js';
import { PreimageIndex } from '../../src/serve/state/preimages.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { decodeReceipt } from '../../src/verify/receipts.js';

type Json = Record<string, unknown>;
const hex = (b: Uint8Array) => ethers.hexlify(b);
const bytes = (h: string) => ethers.getBytes(h);

let anvil: Anvil;
let store: ChainStore;
let follower: ChainFollower;
let index: PreimageIndex;
let feed: PreimageFeed;
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
  index = new PreimageIndex(kv.namespace('preimages'));
  follower = new ChainFollower({ store, rpc, pollIntervalMs: 100 });
  feed = new PreimageFeed({ follower, rpc, index, log: { info() {}, warn() {}, error() {} } });
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

  it("indexed the preimages of every block: senders, recipients, created contracts, log emitters and the slots anvil's prestate tracer reports", async () => {
    assert.equal(feed.stats.failed, 0);
    assert.equal(feed.tracing, true, 'anvil answers debug_traceBlockByNumber');
    const head = await anvilHead();
    const want = new Set<string>();
    const slots = new Set<string>();
    for (let n = 1; n <= head; n++) {
      const b = await anvil.rpc<{ transactions: Array<{ from: string; to: string | null; hash: string }> }>('eth_getBlockByNumber', [`0x${n.toString(16)}`, true]);
      for (const tx of b.transactions) {
        want.add(tx.from.toLowerCase());
        const r = await anvil.rpc<{ contractAddress: string | null; logs: Array<{ address: string }> }>('eth_getTransactionReceipt', [tx.hash]);
        want.add((tx.to ?? (r.contractAddress as string)).toLowerCase());
        for (const l of r.logs) want.add(l.address.toLowerCase());
      }
      // The slots anvil itself says each transaction wrote (its diff-mode trace), not what our feed asked.
      const trace = await anvil.rpc<Array<{ result: { post: Record<string, { storage?: Record<string, string> }> } }>>('debug_traceBlockByNumber', [`0x${n.toString(16)}`, { tracer: 'prestateTracer', tracerConfig: { diffMode: true } }]);
      for (const t of trace) for (const acc of Object.values(t.result.post)) for (const k of Object.keys(acc.storage ?? {})) slots.add(k.toLowerCase());
    }
    assert.ok(want.size >= 5, `traffic touched ${want.size} addresses`);
    for (const a of want) assert.equal(hex((await index.address(keccak256(bytes(a)))) ?? new Uint8Array(0)), a, `address ${a}`);
    for (const k of slots) assert.equal(hex((await index.slot(keccak256(bytes(k)))) ?? new Uint8Array(0)), k, `slot ${k}`);
    assert.equal(await index.address(keccak256(bytes('0x00000000000000000000000000000000000c0ffe'))), undefined, 'an address no block names is unknown');
  });
});
