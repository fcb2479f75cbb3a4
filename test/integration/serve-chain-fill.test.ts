// First start against an anvil chain of a few thousand blocks (anvil_mine): the follower fills the
// canonical header chain from genesis in JSON-RPC batches, is stopped in the middle, and a restart
// from the same LevelDB continues where it stopped without asking the node for any stored block
// again. Every canonical hash then equals anvil's; bodies and receipts of old blocks are fetched
// on first request, checked, and cached.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { Traffic, devWallet } from '../unit/serve/chain-traffic.js';
import { ChainFollower, ChainStore, type HeadEvent } from '../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import type { KvStore } from '../../src/store/kv.js';
import { openLevelStore } from '../../src/store/level.js';
import { decodeReceipt } from '../../src/verify/receipts.js';

type Json = Record<string, unknown>;
const hex = (b: Uint8Array) => ethers.hexlify(b);
const bytes = (h: string) => ethers.getBytes(h);
const MINED = 3000;

let anvil: Anvil;
let dir: string;
let traffic: Traffic;
const early: string[] = [];
/** Block numbers and hashes the follower asked anvil for, per process run. */
interface Asked {
  numbers: number[];
  hashes: string[];
}

function countingRpc(asked: Asked): NodeRpcClient {
  const counting: typeof fetch = async (url, init) => {
    const body = JSON.parse(String(init?.body)) as Json | Json[];
    for (const c of Array.isArray(body) ? body : [body]) {
      const [first] = c.params as unknown[];
      if (c.method === 'eth_getBlockByNumber' && first !== 'latest') asked.numbers.push(Number(BigInt(first as string)));
      if (c.method === 'eth_getBlockByHash') asked.hashes.push(first as string);
    }
    return fetch(url, init);
  };
  return new NodeRpcClient({ url: anvil.url, fetch: counting });
}

async function anvilHashes(from: number, to: number): Promise<string[]> {
  const out: string[] = [];
  for (let s = from; s <= to; s += 500) {
    const calls = Array.from({ length: Math.min(500, to - s + 1) }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: [ethers.toQuantity(s + i), false] }));
    const res = (await (await fetch(anvil.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(calls) })).json()) as Json[];
    res.sort((a, b) => (a.id as number) - (b.id as number));
    out.push(...res.map((r) => (r.result as Json).hash as string));
  }
  return out;
}

before(async () => {
  anvil = await startAnvil({ hardfork: 'prague' });
  dir = mkdtempSync(join(tmpdir(), 'serve-chain-fill-'));
  traffic = new Traffic(anvil);
  // A few blocks with transactions first (automine: one block each), then thousands of empty ones.
  const logger = await traffic.deployLogger(devWallet(0));
  early.push(logger.hash, await traffic.callLogger(devWallet(1), logger.address, 7), await traffic.send(devWallet(2), { type: 1, to: devWallet(0).address, value: 3n, gasLimit: 30_000 }));
  await anvil.rpc('anvil_mine', [ethers.toQuantity(MINED)]);
});

after(async () => {
  await anvil?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('chain follower: initial fill from genesis, restart, lazy history', () => {
  let stoppedAt = -1;
  let kv: KvStore;

  it('fills from genesis in batches and stops cleanly in the middle', async () => {
    kv = await openLevelStore(dir);
    const store = await ChainStore.open({ store: kv.namespace('chain') });
    const asked: Asked = { numbers: [], hashes: [] };
    const follower = new ChainFollower({ store, rpc: countingRpc(asked), fillBatchSize: 200, eagerBlocks: 8 });
    const heads: HeadEvent[] = [];
    let stopping: Promise<void> | undefined;
    follower.on('head', (e) => {
      heads.push(e);
      if (e.number >= 1000 && stopping === undefined) stopping = follower.stop();
    });
    await follower.syncOnce();
    await stopping;
    stoppedAt = store.headNumber();
    assert.ok(stoppedAt >= 1000 && stoppedAt < MINED, `stopped at ${stoppedAt}`);
    assert.ok(heads.every((h) => h.catchingUp && h.reorgDepth === 0));
    assert.equal(heads.length, (stoppedAt + 1) / 200, 'one atomic commit (and head event) per batch of 200');
    assert.deepEqual(asked.numbers.slice(0, stoppedAt + 1), Array.from({ length: stoppedAt + 1 }, (_, i) => i), 'from genesis, in order');
    assert.deepEqual(asked.hashes, []);
    await kv.close();
  });

  it('restarts from the stored head without asking for any stored block again', async () => {
    kv = await openLevelStore(dir);
    const store = await ChainStore.open({ store: kv.namespace('chain') });
    assert.equal(store.headNumber(), stoppedAt, 'progress persisted');
    const asked: Asked = { numbers: [], hashes: [] };
    const follower = new ChainFollower({ store, rpc: countingRpc(asked), fillBatchSize: 500, eagerBlocks: 8 });
    const t0 = performance.now();
    await follower.syncOnce();
    const ms = performance.now() - t0;
    const head = Number(BigInt(await anvil.rpc<string>('eth_blockNumber')));
    assert.equal(store.headNumber(), head);
    assert.deepEqual(asked.numbers.filter((n) => n <= stoppedAt), [], 'no stored header fetched again');
    assert.deepEqual(asked.hashes, []);
    assert.equal(Math.min(...asked.numbers), stoppedAt + 1);
    console.log(`# filled ${head - stoppedAt} blocks in ${ms.toFixed(0)} ms (${((head - stoppedAt) / (ms / 1000)).toFixed(0)} blocks/s, last 8 eager)`);
    await follower.stop();
    await kv.close();
  });

  it("every canonical hash equals anvil's and every stored header hashes to it", async () => {
    kv = await openLevelStore(dir);
    const store = await ChainStore.open({ store: kv.namespace('chain') });
    const head = store.headNumber();
    const want = await anvilHashes(0, head);
    for (let n = 0; n <= head; n++) {
      const h = await store.headerByNumber(n);
      assert.equal(hex(keccak256(h?.rlp as Uint8Array)), want[n], `block ${n}`);
    }
    await kv.close();
  });

  it('fetches bodies and receipts of old blocks on first request, checks them and caches them', async () => {
    kv = await openLevelStore(dir);
    const store = await ChainStore.open({ store: kv.namespace('chain') });
    const follower = new ChainFollower({ store, rpc: new NodeRpcClient({ url: anvil.url }) });
    for (const txHash of early) {
      const a = await anvil.rpc<Json>('eth_getTransactionByHash', [txHash]);
      const blockHash = bytes(a.blockHash as string);
      assert.equal(await store.hasBody(blockHash), false, 'filled header-only');
      const body = await store.getBody(blockHash);
      assert.deepEqual(body?.transactions.map(hex), [traffic.signed.get(txHash)]);
      assert.equal(await store.hasBody(blockHash), true, 'cached');
      const receipts = (await store.getReceipts(blockHash)) as Uint8Array[];
      const want = (await anvil.rpc<Json[]>('eth_getBlockReceipts', [a.blockHash]))[0] as Json;
      const got = decodeReceipt(receipts[0] as Uint8Array);
      assert.equal(got.cumulativeGasUsed, BigInt(want.cumulativeGasUsed as string));
      assert.equal(got.logs.length, (want.logs as unknown[]).length);
      assert.equal(hex(got.logsBloom), want.logsBloom);
      const loc = await store.confirmedTx(bytes(txHash));
      assert.deepEqual(loc && { ...loc, blockHash: hex(loc.blockHash) }, {
        blockHash: a.blockHash,
        blockNumber: Number(BigInt(a.blockNumber as string)),
        txIndex: Number(BigInt(a.transactionIndex as string)),
      });
    }
    const fetches = store.stats.bodyFetches;
    await store.getBody(bytes((await anvil.rpc<Json>('eth_getTransactionByHash', [early[0]])).blockHash as string));
    assert.equal(store.stats.bodyFetches, fetches, 'served from the store the second time');
    await follower.stop();
    await kv.close();
  });
});
