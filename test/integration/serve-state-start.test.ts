// Start states other than a dump at block ≥ 1: anvil's genesis (whose header carries the empty
// root although accounts are funded), a genesis alloc in go-ethereum's notation, and an alloc that
// is wrong. Also older hardforks, where SELFDESTRUCT still deletes accounts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Anvil, sendTx, startAnvil } from '../helpers/anvil.js';
import { allocFromDump } from '../helpers/anvil-alloc.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { StateTracker } from '../../src/serve/state/tracker.js';

interface RpcBlock {
  number: string;
  hash: string;
  stateRoot: string;
}
const bytes = (h: string) => new Uint8Array(Buffer.from(h.slice(2), 'hex'));
const hex = (b: Uint8Array) => `0x${Buffer.from(b).toString('hex')}`;
// keccak256(rlp('')), the root of the empty trie (Yellow Paper).
const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

async function withAnvil(hardfork: string, fn: (anvil: Anvil) => Promise<void>, args: string[] = []): Promise<void> {
  const anvil = await startAnvil({ hardfork, args });
  try {
    await fn(anvil);
  } finally {
    await anvil.stop();
  }
}

const latest = (anvil: Anvil) => anvil.rpc<RpcBlock>('eth_getBlockByNumber', ['latest', false]);

function countingRpc(url: string): { rpc: NodeRpcClient; calls: string[] } {
  const calls: string[] = [];
  const counting: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body)) as { method: string } | Array<{ method: string }>;
    for (const c of Array.isArray(body) ? body : [body]) calls.push(c.method);
    return fetch(input, init);
  };
  return { rpc: new NodeRpcClient({ url, fetch: counting }), calls };
}

describe('start states', () => {
  it('anvil genesis: block 0 recorded as not servable (empty header root), block 1 servable', async () => {
    await withAnvil('prague', async (anvil) => {
      const genesis = await latest(anvil);
      assert.equal(Number(genesis.number), 0);
      assert.equal(genesis.stateRoot, EMPTY_ROOT, 'the anvil fact this relies on');
      const tracker = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
      assert.equal(tracker.head.number, 0);
      assert.equal(tracker.head.servable, false);
      assert.notEqual(hex(tracker.head.computedRoot), EMPTY_ROOT, 'the funded accounts are in our state');
      assert.equal(await tracker.servableStateRoot(bytes(genesis.hash)), undefined);
      await anvil.rpc('evm_mine');
      const rec = await tracker.sync();
      const b1 = await latest(anvil);
      assert.equal(rec.number, 1);
      assert.equal(hex(rec.computedRoot), b1.stateRoot);
      assert.equal(rec.servable, true);
    }, ['--no-mining']);
  });

  it('a genesis alloc (go-ethereum notation) of block 1 gives block 1\'s root, without a dump', async () => {
    await withAnvil('prague', async (anvil) => {
      await anvil.rpc('evm_mine');
      const genesis = await allocFromDump(anvil);
      const b1 = await latest(anvil);
      const { rpc, calls } = countingRpc(anvil.url);
      const tracker = await StateTracker.open({ store: openMemoryStore(), rpc, start: { kind: 'alloc', alloc: genesis, atBlock: 1 } });
      assert.ok(!calls.includes('anvil_dumpState'));
      assert.equal(hex(tracker.head.computedRoot), b1.stateRoot);
      assert.equal(tracker.head.servable, true);
      const accounts = await anvil.rpc<string[]>('eth_accounts');
      await sendTx(anvil, { from: accounts[0], to: accounts[1], value: '0x10' });
      const rec = await tracker.sync();
      assert.equal(hex(rec.computedRoot), (await latest(anvil)).stateRoot);
      assert.equal(rec.servable, true);
    });
  });

  it('a wrong alloc is reported and its state never served', async () => {
    await withAnvil('prague', async (anvil) => {
      await anvil.rpc('evm_mine');
      const genesis = await allocFromDump(anvil);
      const first = Object.keys(genesis.alloc).find((k) => k.startsWith('f39f'))!;
      (genesis.alloc[first] as { balance: string }).balance = '1';
      const errors: Array<{ obj: { number?: number; expected?: string }; msg: string }> = [];
      const log = { info() {}, warn() {}, error: (obj: object, msg: string) => errors.push({ obj, msg }) };
      const tracker = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), log, start: { kind: 'alloc', alloc: genesis, atBlock: 1 } });
      assert.equal(tracker.head.servable, false);
      assert.equal(errors.length, 1, 'logged loudly, once');
      assert.equal(errors[0]!.obj.number, 1);
      assert.equal(errors[0]!.obj.expected, (await latest(anvil)).stateRoot);
      assert.equal(await tracker.servableStateRoot(tracker.head.hash), undefined);
    });
  });
});

/** anvil can answer eth_sendTransaction before its automined block exists: wait for the receipt. */
async function mined(anvil: Anvil, hash: string): Promise<{ contractAddress: string }> {
  for (let i = 0; i < 200; i++) {
    const r = await anvil.rpc<{ contractAddress: string } | null>('eth_getTransactionReceipt', [hash]);
    if (r !== null) return r;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error(`${hash} was not mined`);
}

// Hand-assembled: runtime "empty calldata → SELFDESTRUCT(caller), else SSTORE(0, 1)" and its constructor.
const KILLABLE_INIT = '0x600d600c600039600d6000f33660065733ff5b600160005500';

for (const hardfork of ['london', 'shanghai', 'cancun']) {
  describe(`following anvil --hardfork ${hardfork}`, () => {
    it('a contract with storage self-destructs in a later block; another at birth; roots match, proofs agree', async () => {
      await withAnvil(hardfork, async (anvil) => {
        const accounts = await anvil.rpc<string[]>('eth_accounts');
        await anvil.rpc('evm_mine');
        const tracker = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
        const mismatches: unknown[] = [];
        tracker.on('mismatch', (m) => mismatches.push(m));
        const send = (tx: Record<string, string>) => anvil.rpc<string>('eth_sendTransaction', [{ from: accounts[0], gas: '0x30000', ...tx }]);
        const deploy = await send({ data: KILLABLE_INIT, value: '0x3e8' });
        const killable = (await mined(anvil, deploy)).contractAddress;
        await mined(anvil, await send({ to: killable, data: '0x01' })); // slot 0 := 1
        await tracker.sync();
        const destroyTx = await send({ to: killable, data: '0x' });
        const atBirth = await send({ data: `0x600160005573${accounts[1]!.slice(2)}ff`, value: '0x5' });
        await mined(anvil, destroyTx);
        await mined(anvil, atBirth);
        const rec = await tracker.sync();
        const head = await latest(anvil);
        assert.deepEqual(mismatches, []);
        assert.equal(hex(rec.computedRoot), head.stateRoot);
        assert.equal(rec.servable, true);
        const code = await anvil.rpc<string>('eth_getCode', [killable, head.number]);
        // Before Cancun the account and its storage go; from Cancun on only the balance moves (EIP-6780).
        assert.equal(code === '0x', hardfork !== 'cancun', 'the fork behaves as expected');
        for (const address of [killable, (await mined(anvil, atBirth)).contractAddress]) {
          const proof = await anvil.rpc<{ accountProof: string[]; balance: string; storageHash: string }>('eth_getProof', [address, [], head.number]);
          const ours = tracker.buildProofs(rec.stateRoot, [{ accountKey: keccak256(bytes(address)), storageKey: new Uint8Array(0) }]);
          assert.deepEqual(ours.map(hex), proof.accountProof, `${address} proof equals eth_getProof's`);
          const account = tracker.getAccount(rec.stateRoot, keccak256(bytes(address)));
          assert.equal(account?.balance ?? 0n, BigInt(proof.balance));
          if (account !== undefined) assert.equal(hex(account.storageRoot), proof.storageHash);
        }
        assert.ok(destroyTx);
      });
    });
  });
}
