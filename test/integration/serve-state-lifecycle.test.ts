// The state tracker across a restart (LevelDB, nothing reloaded) and across reorganisations of a
// real anvil (anvil_reorg, anvil_rollback, evm_snapshot/evm_revert): the new branch's state is
// right and every old branch's state stays servable by its block hash.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import type { KvStore } from '../../src/store/kv.js';
import { openLevelStore } from '../../src/store/level.js';
import { StateTracker } from '../../src/serve/state/tracker.js';

interface RpcBlock {
  number: string;
  hash: string;
  stateRoot: string;
}
const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;

/** An RPC client that counts the methods it sends. */
function countingRpc(url: string): { rpc: NodeRpcClient; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const counting: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as { method: string } | Array<{ method: string }>;
    for (const c of Array.isArray(body) ? body : [body]) calls.set(c.method, (calls.get(c.method) ?? 0) + 1);
    return fetch(input, init);
  };
  return { rpc: new NodeRpcClient({ url, fetch: counting }), calls };
}

async function block(anvil: Anvil, tag: string | number): Promise<RpcBlock> {
  return anvil.rpc<RpcBlock>('eth_getBlockByNumber', [typeof tag === 'number' ? `0x${tag.toString(16)}` : tag, false]);
}

/** Balance of `address` in our state at `root`, as a bigint (0 if absent). */
function ourBalance(tracker: StateTracker, root: Uint8Array, address: string): bigint {
  return tracker.getAccount(root, keccak256(bytes(address)))?.balance ?? 0n;
}

describe('state tracker restart (LevelDB)', () => {
  let anvil: Anvil;
  let dir: string;
  let accounts: string[];

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague' });
    accounts = await anvil.rpc<string[]>('eth_accounts');
    dir = await mkdtemp(join(tmpdir(), 'lesp-state-'));
  });
  after(async () => {
    await anvil?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes from the stored head without reloading the start state, and keeps following', async () => {
    await anvil.rpc('evm_mine');
    let store: KvStore = await openLevelStore(dir);
    const first = countingRpc(anvil.url);
    let tracker = await StateTracker.open({ store, rpc: first.rpc });
    assert.equal(first.calls.get('anvil_dumpState'), 1);
    assert.equal(tracker.stats.startLoads, 1);
    await sendTx(anvil, { from: accounts[0], to: accounts[7], value: '0xde0b6b3a7640000' });
    await sendTx(anvil, { from: accounts[1], to: accounts[7], value: '0x1bc16d674ec80000' });
    const before = await tracker.sync();
    assert.equal(before.servable, true);
    assert.equal(hex(before.stateRoot), (await block(anvil, 'latest')).stateRoot);
    await tracker.close();
    await store.close();

    // Blocks keep coming while the server is down.
    await sendTx(anvil, { from: accounts[2], to: accounts[7], value: '0x1' });
    await anvil.rpc('anvil_mine', ['0x2']);

    store = await openLevelStore(dir);
    const second = countingRpc(anvil.url);
    tracker = await StateTracker.open({ store, rpc: second.rpc });
    assert.equal(tracker.stats.startLoads, 0, 'nothing reloaded');
    assert.equal(second.calls.get('anvil_dumpState'), undefined, 'no dump taken');
    assert.equal(tracker.head.number, before.number);
    assert.deepEqual(tracker.head.hash, before.hash);
    assert.deepEqual(await tracker.servableStateRoot(before.hash), before.stateRoot, 'the pre-restart state is still servable');

    const now = await tracker.sync();
    const head = await block(anvil, 'latest');
    assert.equal(now.number, Number(head.number));
    assert.equal(hex(now.computedRoot), head.stateRoot);
    assert.equal(now.servable, true);
    assert.equal(tracker.stats.blocksApplied, 3);
    assert.equal(second.calls.get('anvil_dumpState'), undefined);

    const expectedNow = BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[7], head.number]));
    const expectedBefore = BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[7], `0x${before.number.toString(16)}`]));
    assert.equal(ourBalance(tracker, now.stateRoot, accounts[7]!), expectedNow);
    assert.equal(ourBalance(tracker, before.stateRoot, accounts[7]!), expectedBefore);
    assert.notEqual(expectedNow, expectedBefore);
    await tracker.close();
    await store.close();
  });
});

describe('state tracker across reorgs', () => {
  let anvil: Anvil;
  let accounts: string[];
  let tracker: StateTracker;
  let store: KvStore;
  let dir: string;
  const reorgs: Array<{ ancestor: { number: number } }> = [];
  const unservable: unknown[] = [];

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague', args: ['--no-mining'] });
    accounts = await anvil.rpc<string[]>('eth_accounts');
    dir = await mkdtemp(join(tmpdir(), 'lesp-reorg-'));
    store = await openLevelStore(dir);
    await anvil.rpc('evm_mine');
    tracker = await StateTracker.open({ store, rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
    tracker.on('reorg', (r) => reorgs.push(r));
    tracker.on('unservable', (u) => unservable.push(u));
  });
  after(async () => {
    await tracker?.close();
    await store?.close();
    await anvil?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('anvil_reorg: follows the replacing block and keeps the replaced one servable', async () => {
    await anvil.rpc('eth_sendTransaction', [{ from: accounts[0], to: accounts[5], value: '0x1000' }]);
    await anvil.rpc('evm_mine');
    await anvil.rpc('eth_sendTransaction', [{ from: accounts[0], to: accounts[5], value: '0x2000' }]);
    await anvil.rpc('evm_mine');
    const old = await tracker.sync();
    const oldBlock = await block(anvil, 'latest');
    assert.equal(hex(old.hash), oldBlock.hash);
    const oldBalance5 = BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[5], oldBlock.number]));
    const oldBalance6 = BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[6], oldBlock.number]));

    await anvil.rpc('anvil_reorg', [1, [[{ from: accounts[1], to: accounts[6], value: '0x5000' }, 0]]]);
    const newBlock = await block(anvil, 'latest');
    assert.equal(newBlock.number, oldBlock.number, 'same height');
    assert.notEqual(newBlock.hash, oldBlock.hash, 'another block');

    const now = await tracker.sync();
    assert.equal(reorgs.length, 1);
    assert.equal(reorgs[0]!.ancestor.number, Number(oldBlock.number) - 1);
    assert.equal(hex(now.hash), newBlock.hash);
    assert.equal(hex(now.computedRoot), newBlock.stateRoot);
    assert.equal(now.servable, true);
    for (const a of [accounts[5]!, accounts[6]!]) {
      assert.equal(ourBalance(tracker, now.stateRoot, a), BigInt(await anvil.rpc<string>('eth_getBalance', [a, newBlock.number])));
    }
    // The replaced branch: still recorded, servable, and its values are those anvil gave before the reorg.
    const oldRoot = await tracker.servableStateRoot(bytes(oldBlock.hash));
    assert.ok(oldRoot !== undefined);
    assert.equal(hex(oldRoot), oldBlock.stateRoot);
    assert.equal(ourBalance(tracker, oldRoot, accounts[5]!), oldBalance5);
    assert.equal(ourBalance(tracker, oldRoot, accounts[6]!), oldBalance6);
    assert.notEqual(ourBalance(tracker, now.stateRoot, accounts[6]!), oldBalance6);
  });

  it('evm_snapshot / evm_revert: a longer branch dropped for a shorter different one', async () => {
    const snap = await anvil.rpc<string>('evm_snapshot');
    await anvil.rpc('eth_sendTransaction', [{ from: accounts[2], to: accounts[8], value: '0x7777' }]);
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_mine');
    const dropped = await tracker.sync();
    const droppedBlock = await block(anvil, 'latest');
    await anvil.rpc('evm_revert', [snap]);
    await anvil.rpc('eth_sendTransaction', [{ from: accounts[3], to: accounts[9], value: '0x9999' }]);
    await anvil.rpc('evm_mine');
    const head = await block(anvil, 'latest');
    assert.equal(Number(head.number), dropped.number - 1, 'the new branch is shorter');
    const now = await tracker.sync();
    assert.equal(reorgs.length, 2);
    assert.equal(hex(now.hash), head.hash);
    assert.equal(hex(now.computedRoot), head.stateRoot);
    assert.equal(ourBalance(tracker, now.stateRoot, accounts[8]!), BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[8], head.number])));
    assert.equal(ourBalance(tracker, now.stateRoot, accounts[9]!), BigInt(await anvil.rpc<string>('eth_getBalance', [accounts[9], head.number])));
    assert.deepEqual(await tracker.servableStateRoot(bytes(droppedBlock.hash)), bytes(droppedBlock.stateRoot));
  });

  it('anvil_rollback then new blocks: rolls back and re-follows', async () => {
    const before = await block(anvil, 'latest');
    await anvil.rpc('anvil_rollback', [1]);
    await anvil.rpc('eth_sendTransaction', [{ from: accounts[4], to: accounts[9], value: '0x1234' }]);
    await anvil.rpc('evm_mine');
    await anvil.rpc('evm_mine');
    const head = await block(anvil, 'latest');
    assert.equal(Number(head.number), Number(before.number) + 1);
    const now = await tracker.sync();
    assert.equal(reorgs.length, 3);
    assert.equal(hex(now.computedRoot), head.stateRoot);
    assert.equal(now.servable, true);
    assert.deepEqual(unservable, []);
  });

  it('after a restart, a reorg back below the restart point still finds the ancestors\' states', async () => {
    const head = tracker.head;
    await tracker.close();
    await store.close();
    store = await openLevelStore(dir);
    tracker = await StateTracker.open({ store, rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
    tracker.on('reorg', (r) => reorgs.push(r));
    assert.deepEqual(tracker.head.hash, head.hash);
    await anvil.rpc('anvil_reorg', [2, [[{ from: accounts[5], to: accounts[0], value: '0x42' }, 1]]]);
    const now = await tracker.sync();
    const latest = await block(anvil, 'latest');
    assert.equal(reorgs.length, 4);
    assert.equal(hex(now.hash), latest.hash);
    assert.equal(hex(now.computedRoot), latest.stateRoot);
    assert.equal(tracker.stats.startLoads, 0);
  });
});
