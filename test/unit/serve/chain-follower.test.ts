// NodeBlockSource and ChainFollower against a scripted node that replays anvil's recorded answers
// (chain-fixture.json), with tampered answers: a header that does not hash to its block hash,
// missing fields, a transaction that does not rebuild, a receipt list that does not give
// receiptsRoot, forged withdrawals and uncles. A refused block is reported and nothing of it is
// stored; the next sync after the node answers correctly stores it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { ChainError, ChainFollower, ChainStore, NodeBlockSource, type RejectedEvent } from '../../../src/serve/chain/index.js';
import { NodeRpcClient } from '../../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { receiptsRoot } from '../../../src/verify/roots.js';

type Json = Record<string, unknown>;
interface FixtureBlock {
  full: Json & { hash: string; transactions: Json[]; withdrawals: unknown[]; uncles: string[] };
  headerOnly: Json & { hash: string };
  receipts: Json[];
  raw: Record<string, string>;
}
const fixture = JSON.parse(readFileSync(new URL('./chain-fixture.json', import.meta.url), 'utf8')) as { blocks: FixtureBlock[] };
const hex = (b: Uint8Array) => ethers.hexlify(b);
const bytes = (h: string) => ethers.getBytes(h);
const TX_BLOCK = 2; // the block with seven transactions of every kind

/** A JSON-RPC node over an injected fetch, answering from a (mutable) copy of the fixture. */
class FakeNode {
  blocks: FixtureBlock[] = structuredClone(fixture.blocks);
  rawOverride = new Map<string, string | null>();
  readonly calls: string[] = [];

  block(n: number): FixtureBlock {
    return this.blocks[n] as FixtureBlock;
  }

  byHash(h: unknown): FixtureBlock | undefined {
    return this.blocks.find((b) => b.full.hash === h);
  }

  answer(method: string, params: unknown[]): unknown {
    this.calls.push(method);
    const [a, full] = params;
    switch (method) {
      case 'eth_getBlockByNumber': {
        const n = a === 'latest' ? this.blocks.length - 1 : Number(BigInt(a as string));
        const b = this.blocks[n];
        return b === undefined ? null : full === true ? b.full : b.headerOnly;
      }
      case 'eth_getBlockByHash': {
        const b = this.byHash(a);
        return b === undefined ? null : full === true ? b.full : b.headerOnly;
      }
      case 'eth_getBlockReceipts':
        return this.byHash(a)?.receipts ?? null;
      case 'debug_getRawTransaction': {
        if (this.rawOverride.has(a as string)) return this.rawOverride.get(a as string);
        for (const b of fixture.blocks) if (b.raw[a as string] !== undefined) return b.raw[a as string];
        return null;
      }
      case 'eth_getUncleByBlockHashAndIndex':
        return null;
      default:
        throw new Error(`fake node: ${method}`);
    }
  }

  readonly fetch: typeof fetch = async (_url, init) => {
    const req = JSON.parse(String(init?.body)) as Json | Json[];
    const one = (r: Json) => ({ jsonrpc: '2.0', id: r.id, result: this.answer(r.method as string, r.params as unknown[]) });
    const body = Array.isArray(req) ? req.map(one) : one(req);
    return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  };

  rpc(): NodeRpcClient {
    return new NodeRpcClient({ url: 'http://fake.invalid', fetch: this.fetch, retries: 0 });
  }
}

const badBlock = (field: string | RegExp, number?: number) => (e: unknown) => {
  assert.ok(e instanceof ChainError, `expected ChainError, got ${String(e)}`);
  assert.equal(e.code, 'CHAIN_BAD_BLOCK', e.message);
  if (typeof field === 'string') assert.equal(e.field, field, e.message);
  else assert.match(e.field ?? '', field, e.message);
  if (number !== undefined) assert.equal(e.number, number);
  return true;
};

describe('NodeBlockSource checks a full block before returning it', () => {
  it('returns the canonical body and receipts of anvil block 2', async () => {
    const node = new FakeNode();
    const b = await new NodeBlockSource(node.rpc()).fullBlock(TX_BLOCK);
    const f = fixture.blocks[TX_BLOCK] as FixtureBlock;
    assert.ok(b?.body && b.receipts);
    assert.equal(hex(b.hash), f.full.hash);
    assert.equal(hex(keccak256(b.rlp)), f.full.hash);
    assert.deepEqual(b.body.transactions.map(hex), f.full.transactions.map((t) => f.raw[t.hash as string]));
    assert.deepEqual(b.txHashes.map(hex), f.full.transactions.map((t) => t.hash));
    assert.deepEqual(b.body.withdrawals, []);
    assert.equal(hex(receiptsRoot(b.receipts)), f.full.receiptsRoot);
    assert.equal(b.head.number, TX_BLOCK);
    assert.equal(node.calls.filter((m) => m === 'debug_getRawTransaction').length, 0, 'every tx rebuilt from JSON');
  });

  const cases: Array<[string, (n: FakeNode) => void, string | RegExp]> = [
    ['a header field changed (hash no longer matches)', (n) => (n.block(TX_BLOCK).full.gasUsed = '0x1'), 'block.hash'],
    ['a missing header field', (n) => delete n.block(TX_BLOCK).full.stateRoot, 'header.stateRoot'],
    ['a 31-byte parentHash', (n) => (n.block(TX_BLOCK).full.parentHash = '0x' + '00'.repeat(31)), 'header.parentHash'],
    ['no hash at all', (n) => delete (n.block(TX_BLOCK).full as Json).hash, 'block.hash'],
    ['a transaction dropped (transactionsRoot)', (n) => n.block(TX_BLOCK).full.transactions.pop(), 'block.transactions'],
    ['transactions as hashes only', (n) => (n.block(TX_BLOCK).full.transactions = n.block(TX_BLOCK).headerOnly.transactions as Json[]), /block\.transactions\[0\]/],
    ['a receipt whose status is flipped (receiptsRoot)', (n) => ((n.block(TX_BLOCK).receipts[0] as Json).status = '0x0'), 'receipts'],
    ['a receipt missing', (n) => n.block(TX_BLOCK).receipts.pop(), 'receipts'],
    ['a receipt without cumulativeGasUsed', (n) => delete (n.block(TX_BLOCK).receipts[1] as Json).cumulativeGasUsed, 'receipts[1].cumulativeGasUsed'],
    ['receipts not a list', (n) => (n.block(TX_BLOCK).receipts = {} as unknown as Json[]), 'receipts'],
    [
      'a forged withdrawal',
      (n) => n.block(TX_BLOCK).full.withdrawals.push({ index: '0x0', validatorIndex: '0x0', address: '0x' + '11'.repeat(20), amount: '0x1' }),
      'block.withdrawals',
    ],
    ['withdrawals missing although the header has a root', (n) => delete (n.block(TX_BLOCK).full as Json).withdrawals, 'block.withdrawals'],
    ['an uncle the node cannot produce', (n) => n.block(TX_BLOCK).full.uncles.push('0x' + '33'.repeat(32)), 'block.uncles[0]'],
  ];
  for (const [name, tamper, field] of cases) {
    it(`refuses ${name}`, async () => {
      const node = new FakeNode();
      tamper(node);
      await assert.rejects(new NodeBlockSource(node.rpc()).fullBlock(TX_BLOCK), badBlock(field, name === 'no hash at all' ? undefined : TX_BLOCK));
    });
  }

  it('takes a transaction the JSON cannot rebuild from debug_getRawTransaction, checked by hash', async () => {
    const node = new FakeNode();
    const tx = node.block(TX_BLOCK).full.transactions[3] as Json;
    tx.type = '0x7e'; // a type this server cannot rebuild
    const b = await new NodeBlockSource(node.rpc()).fullBlock(TX_BLOCK);
    assert.equal(hex(b?.body?.transactions[3] as Uint8Array), (fixture.blocks[TX_BLOCK] as FixtureBlock).raw[tx.hash as string]);
    assert.equal(node.calls.filter((m) => m === 'debug_getRawTransaction').length, 1);

    await assert.rejects(new NodeBlockSource(node.rpc(), { rawTxFallback: false }).fullBlock(TX_BLOCK), badBlock('block.transactions[3].type', TX_BLOCK));
    node.rawOverride.set(tx.hash as string, '0x02c0'); // raw bytes that do not hash to the tx hash
    await assert.rejects(new NodeBlockSource(node.rpc()).fullBlock(TX_BLOCK), badBlock('block.transactions[3].type', TX_BLOCK));
  });

  it('refuses a changed transaction field even when the raw fallback has nothing', async () => {
    const node = new FakeNode();
    const tx = node.block(TX_BLOCK).full.transactions[1] as Json;
    tx.value = '0x2';
    node.rawOverride.set(tx.hash as string, null);
    await assert.rejects(new NodeBlockSource(node.rpc()).fullBlock(TX_BLOCK), badBlock('block.transactions[1].hash', TX_BLOCK));
  });

  it('a header batch keeps the checked prefix and names the first bad block', async () => {
    const node = new FakeNode();
    node.block(2).headerOnly.timestamp = '0x1';
    const batch = await new NodeBlockSource(node.rpc()).headersByNumber(0, 4);
    assert.deepEqual(batch.blocks.map((b) => b.number), [0, 1]);
    assert.ok(badBlock('block.hash', 2)(batch.failure));
  });
});

describe('ChainFollower stores nothing of a refused block', () => {
  it('reports a block whose receipts do not match, stores the ones before it, and stores it once the node is right', async () => {
    const node = new FakeNode();
    const good = structuredClone(node.block(TX_BLOCK).receipts);
    (node.block(TX_BLOCK).receipts[2] as Json).logs = [{ address: '0x' + '00'.repeat(20), topics: [], data: '0x' }];
    const store = await ChainStore.open({ store: openMemoryStore() });
    const rejected: RejectedEvent[] = [];
    const errors: unknown[] = [];
    const follower = new ChainFollower({ store, rpc: node.rpc(), eagerBlocks: 8, log: { info() {}, warn() {}, error: (o) => errors.push(o) } });
    follower.on('rejected', (e) => rejected.push(e));
    await follower.syncOnce();
    assert.equal(store.headNumber(), TX_BLOCK - 1);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.number, TX_BLOCK);
    assert.equal(rejected[0]?.field, 'receipts');
    assert.equal(errors.length, 1, 'logged once');
    const hash = bytes(node.block(TX_BLOCK).full.hash);
    assert.equal(await store.headerByHash(hash), undefined);
    assert.equal(await store.hasReceipts(hash), false);
    assert.equal(await store.txLookup(bytes(node.block(TX_BLOCK).full.transactions[0]?.hash as string)), undefined);

    node.block(TX_BLOCK).receipts = good;
    await follower.syncOnce();
    assert.equal(store.headNumber(), fixture.blocks.length - 1);
    assert.equal(hex((await store.headerByHash(hash))?.rlp as Uint8Array).length > 0, true);
    assert.equal(hex(receiptsRoot((await store.getReceipts(hash)) as Uint8Array[])), node.block(TX_BLOCK).full.receiptsRoot);
    await follower.stop();
  });

  it('fills header-only, refuses a batch member that does not hash, and fetches old bodies lazily with checks', async () => {
    const node = new FakeNode();
    node.block(2).headerOnly.miner = '0x' + '44'.repeat(20);
    const store = await ChainStore.open({ store: openMemoryStore() });
    const rejected: RejectedEvent[] = [];
    const follower = new ChainFollower({ store, rpc: node.rpc(), eagerBlocks: 1 });
    follower.on('rejected', (e) => rejected.push(e));
    await follower.syncOnce();
    assert.equal(store.headNumber(), 1);
    assert.deepEqual(rejected.map((r) => r.number), [2]);
    node.block(2).headerOnly = structuredClone(fixture.blocks[2] as FixtureBlock).headerOnly;
    await follower.syncOnce();
    assert.equal(store.headNumber(), 3);
    const hash2 = bytes(node.block(2).full.hash);
    assert.equal(await store.hasBody(hash2), false, 'filled header-only');

    node.block(2).full.transactions.reverse(); // the node now lies about the body
    await assert.rejects(store.getBody(hash2), badBlock('block.transactions', 2));
    assert.equal(await store.hasBody(hash2), false);
    assert.equal(rejected.length, 2, 'the lazy refusal is reported too');
    node.block(2).full.transactions.reverse();
    const body = await store.getBody(hash2);
    assert.deepEqual(body?.transactions.map(hex), node.block(2).full.transactions.map((t) => fixture.blocks[2]?.raw[t.hash as string]));
    assert.equal(await store.hasBody(hash2), true);
    const tx = bytes(node.block(2).full.transactions[4]?.hash as string);
    assert.deepEqual(await store.confirmedTx(tx), { blockHash: hash2, blockNumber: 2, txIndex: 4 });
    await follower.stop();
  });

  it('halts when the stored chain starts from another genesis than the configured one', async () => {
    const node = new FakeNode();
    const store = await ChainStore.open({ store: openMemoryStore() });
    await new ChainFollower({ store, rpc: node.rpc() }).syncOnce();
    assert.equal(store.headNumber(), fixture.blocks.length - 1);
    const follower = new ChainFollower({ store, rpc: node.rpc(), genesisHash: new Uint8Array(32).fill(2) });
    await follower.syncOnce();
    assert.equal(follower.halted?.code, 'CHAIN_GENESIS_MISMATCH');
    await follower.stop();
  });

  it('halts on a node whose genesis is not the configured one, storing nothing', async () => {
    const node = new FakeNode();
    const store = await ChainStore.open({ store: openMemoryStore() });
    const follower = new ChainFollower({ store, rpc: node.rpc(), genesisHash: new Uint8Array(32).fill(1) });
    let halted: ChainError | undefined;
    follower.on('halted', (e) => (halted = e));
    await follower.syncOnce();
    assert.equal(halted?.code, 'CHAIN_GENESIS_MISMATCH');
    assert.equal(follower.halted?.code, 'CHAIN_GENESIS_MISMATCH');
    assert.equal(store.head(), undefined);
    await follower.syncOnce();
    assert.equal(store.head(), undefined, 'stays halted');
    await follower.stop();
  });
});
