// The server's state copy follows a real anvil (prague) block by block: after every block the
// computed root must equal the header's stateRoot, and proofs built from it must give exactly
// anvil's own answers (eth_getBalance / eth_getTransactionCount / eth_getStorageAt / eth_getCode,
// and the very nodes of eth_getProof).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { equalsBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { ethers } from 'ethers';
import { type Anvil, startAnvil } from '../helpers/anvil.js';
import { NodeRpcClient } from '../../src/serve/rpc/client.js';
import { openMemoryStore } from '../../src/store/memory.js';
import { type BlockStateRecord, StateTracker } from '../../src/serve/state/tracker.js';

// anvil's dev accounts come from this mnemonic (its documented default), BIP-44 paths m/44'/60'/0'/0/i.
const MNEMONIC = 'test test test test test test test test test test test junk';
const devWallet = (i: number) => new ethers.Wallet(ethers.HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`).privateKey);
const bytes = (hex: string) => ethers.getBytes(hex);
const hex = (b: Uint8Array) => ethers.hexlify(b);
const slotHex = (n: number) => ethers.zeroPadValue(ethers.toBeHex(n), 32);
const big = (b: Uint8Array) => (b.length === 0 ? 0n : BigInt(hex(b)));

// Hand-assembled EVM code (no compiler here).
// Storage contract: calldata = slot ‖ value → SSTORE(slot, value).
const STORE_RUNTIME = '6020356000355500';
// Constructor: SSTORE(0, 1), then return STORE_RUNTIME.
const STORE_INIT = `0x6001600055600860116000396008${'6000f3'}${STORE_RUNTIME}`;
// Self-destructing constructor: SSTORE(0, 1); SELFDESTRUCT(beneficiary).
const destructInit = (beneficiary: string) => `0x600160005573${beneficiary.slice(2).toLowerCase()}ff`;
// Runtime: empty calldata → SELFDESTRUCT(caller); else SSTORE(0, 1).
const KILLABLE_RUNTIME = '3660065733ff5b600160005500';
const KILLABLE_INIT = `0x600d600c600039600d6000f3${KILLABLE_RUNTIME}`;
const CREATE2_DEPLOYER = '0x4e59b44847b379578588920ca78fbf26c0b4956c';
const storeCall = (slot: number, value: number) => ethers.concat([slotHex(slot), slotHex(value)]);

let anvil: Anvil;
let tracker: StateTracker;
let provider: ethers.JsonRpcProvider;
const w0 = devWallet(0);
const w1 = devWallet(1);
const nonces = new Map<string, number>();
const mismatches: unknown[] = [];
const records: BlockStateRecord[] = [];

async function send(wallet: ethers.Wallet, tx: ethers.TransactionRequest): Promise<string> {
  const addr = wallet.address;
  const nonce = nonces.get(addr) ?? (await provider.getTransactionCount(addr, 'pending'));
  nonces.set(addr, nonce + 1);
  const fees = tx.type === 0 ? { gasPrice: 3_000_000_000n } : { maxFeePerGas: 5_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };
  const signed = await wallet.signTransaction({ chainId: 31337, gasLimit: 300_000, nonce, ...fees, ...tx });
  return anvil.rpc<string>('eth_sendRawTransaction', [signed]);
}

interface RpcBlock {
  number: string;
  hash: string;
  stateRoot: string;
}
/** Straight from anvil (ethers' provider may answer 'latest' from its cache). */
async function latest(): Promise<RpcBlock> {
  return anvil.rpc<RpcBlock>('eth_getBlockByNumber', ['latest', false]);
}

async function mineAndSync(): Promise<{ rec: BlockStateRecord; block: RpcBlock }> {
  await anvil.rpc('evm_mine');
  const rec = await tracker.sync();
  const block = await latest();
  records.push(rec);
  return { rec, block };
}

async function receipt(hash: string) {
  const r = await provider.getTransactionReceipt(hash);
  assert.ok(r, `receipt of ${hash}`);
  return r;
}

/** Independent check with @ethereumjs/trie: the value at `key` under `root`, given only `nodes`. */
async function proven(root: Uint8Array, key: Uint8Array, nodes: Uint8Array[]): Promise<Uint8Array | null> {
  const t = new Trie({ root });
  // The empty trie needs no nodes to prove any key absent (@ethereumjs/trie would look its root up).
  if (equalsBytes(root, t.EMPTY_TRIE_ROOT)) return nodes.length === 0 ? null : Promise.reject(new Error('nodes under the empty root'));
  await t.updateFromProof(nodes);
  try {
    return await t.get(key, true);
  } catch (e) {
    throw new Error(`proof of ${hex(key)} under ${hex(root)} does not verify (${nodes.length} nodes): ${(e as Error).message}`);
  }
}

async function checkAgainstAnvil(blockTag: number, stateRoot: Uint8Array, address: string, slots: number[]) {
  const accountKey = keccak256(bytes(address));
  const tag = ethers.toQuantity(blockTag);
  const accountNodes = tracker.buildProofs(stateRoot, [{ accountKey, storageKey: new Uint8Array(0) }]);
  const value = await proven(stateRoot, accountKey, accountNodes);
  const [balance, nonce, code, proof] = await Promise.all([
    anvil.rpc<string>('eth_getBalance', [address, tag]),
    anvil.rpc<string>('eth_getTransactionCount', [address, tag]),
    anvil.rpc<string>('eth_getCode', [address, tag]),
    anvil.rpc<{ accountProof: string[]; storageHash: string; storageProof: Array<{ proof: string[] }> }>('eth_getProof', [address, slots.map(slotHex), tag]),
  ]);
  assert.deepEqual(accountNodes.map(hex), proof.accountProof, `account proof nodes of ${address} at ${blockTag} equal eth_getProof's`);
  if (value === null) {
    assert.equal(BigInt(balance), 0n, `${address} absent → balance 0`);
    assert.equal(BigInt(nonce), 0n);
    assert.equal(code, '0x');
  } else {
    const [n, b, storageRoot, codeHash] = RLP.decode(value) as Uint8Array[];
    assert.equal(big(b!), BigInt(balance), `balance of ${address} at ${blockTag}`);
    assert.equal(big(n!), BigInt(nonce), `nonce of ${address} at ${blockTag}`);
    assert.equal(hex(storageRoot!), proof.storageHash);
    const stored = await tracker.getCode(codeHash!);
    assert.ok(stored !== undefined, 'code is held');
    assert.equal(hex(keccak256(stored)), hex(codeHash!));
    assert.equal(hex(stored), code, `code of ${address}`);
  }
  for (const [i, slot] of slots.entries()) {
    const storageKey = keccak256(bytes(slotHex(slot)));
    const nodes = tracker.buildProofs(stateRoot, [{ accountKey, storageKey }]);
    assert.deepEqual(nodes.slice(0, accountNodes.length), accountNodes, 'a storage proof starts with the account path');
    const storageNodes = nodes.slice(accountNodes.length);
    const expected = BigInt(await anvil.rpc<string>('eth_getStorageAt', [address, slotHex(slot), tag]));
    if (value === null) {
      assert.equal(storageNodes.length, 0);
      assert.equal(expected, 0n);
      continue;
    }
    const storageRoot = (RLP.decode(value) as Uint8Array[])[2]!;
    const got = await proven(storageRoot, storageKey, storageNodes);
    assert.equal(got === null ? 0n : big(RLP.decode(got) as Uint8Array), expected, `slot ${slot} of ${address} at ${blockTag}`);
    if (proof.storageHash !== hex(keccak256(RLP.encode(new Uint8Array(0))))) {
      assert.deepEqual(storageNodes.map(hex), proof.storageProof[i]!.proof, `storage proof nodes of slot ${slot} equal eth_getProof's`);
    }
  }
}

describe('state tracker following anvil (prague)', () => {
  let store: string;
  let killable: string;
  let destroyedAtBirth: string;
  let fresh: string;
  let create2: string;
  let blockA: { rec: BlockStateRecord; block: RpcBlock };

  before(async () => {
    anvil = await startAnvil({ hardfork: 'prague', args: ['--no-mining'] });
    provider = new ethers.JsonRpcProvider(anvil.url, 31337, { staticNetwork: true });
    const accounts = await anvil.rpc<string[]>('eth_accounts');
    assert.deepEqual([w0.address, w1.address].map((a) => a.toLowerCase()), accounts.slice(0, 2).map((a) => a.toLowerCase()));
    await anvil.rpc('evm_mine'); // block 0's header carries the empty root; state is provable from block 1
    tracker = await StateTracker.open({ store: openMemoryStore(), rpc: new NodeRpcClient({ url: anvil.url }), redumpOnFailure: false });
    tracker.on('mismatch', (m) => mismatches.push(m));
    tracker.on('unservable', (m) => mismatches.push(m));
  });

  after(async () => {
    await tracker?.close();
    await anvil?.stop();
  });

  it('loads the start state from a dump whose root equals block 1\'s stateRoot', async () => {
    const b1 = await anvil.rpc<RpcBlock>('eth_getBlockByNumber', ['0x1', false]);
    assert.equal(tracker.head.number, 1);
    assert.equal(hex(tracker.head.stateRoot), b1.stateRoot);
    assert.equal(hex(tracker.head.computedRoot), b1.stateRoot);
    assert.equal(tracker.head.servable, true);
  });

  it('block with a deployment, transfers (legacy, EIP-1559, to a fresh address), a self-destruct at birth and a CREATE2', async () => {
    fresh = ethers.Wallet.createRandom().address;
    const txs = [
      await send(w0, { data: STORE_INIT }),
      await send(w0, { to: fresh, value: 12345n, type: 0 }),
      await send(w1, { to: w0.address, value: ethers.parseEther('1.5') }),
      await send(w0, { data: destructInit(w1.address), value: 777n }),
      await send(w1, { data: KILLABLE_INIT, value: 1000n }),
      await send(w1, { to: CREATE2_DEPLOYER, data: ethers.concat([ethers.ZeroHash, KILLABLE_INIT]) }),
      await send(w0, { to: w1.address, value: 0n }),
    ];
    blockA = await mineAndSync();
    const rs = await Promise.all(txs.map(receipt));
    assert.ok(rs.every((r) => r.status === 1 && r.blockNumber === Number(blockA.block.number)), 'all txs in one block');
    store = rs[0]!.contractAddress!;
    destroyedAtBirth = rs[3]!.contractAddress!;
    killable = rs[4]!.contractAddress!;
    create2 = ethers.getCreate2Address(CREATE2_DEPLOYER, ethers.ZeroHash, ethers.keccak256(KILLABLE_INIT));
    assert.equal(await provider.getCode(destroyedAtBirth), '0x', 'EIP-6780: created and destroyed in one tx');
    assert.notEqual(await provider.getCode(create2), '0x');
    assert.equal(hex(blockA.rec.computedRoot), blockA.block.stateRoot);
    assert.equal(blockA.rec.servable, true);
  });

  it('block writing and clearing slots, a reverted tx, a self-destruct of an old contract, an EIP-7702 delegation', async () => {
    const auth = await w1.authorize({ address: store, nonce: (nonces.get(w1.address) ?? 0) + 1, chainId: 31337 });
    const txs = [
      await send(w0, { to: store, data: storeCall(5, 9) }),
      await send(w0, { to: store, data: storeCall(7, 1) }),
      await send(w0, { to: store, data: storeCall(0, 0) }),
      await send(w0, { to: killable, data: '0x01' }),
      await send(w0, { to: killable, data: '0x' }), // SELFDESTRUCT of a pre-existing contract: only moves its balance
      await send(w1, { type: 4, to: w1.address, authorizationList: [auth], data: storeCall(3, 42) }),
      await send(w0, { to: store, data: storeCall(8, 8), gasLimit: 22_500 }), // runs out of gas
    ];
    const { rec, block } = await mineAndSync();
    const rs = await Promise.all(txs.map(receipt));
    assert.deepEqual(rs.map((r) => r.status), [1, 1, 1, 1, 1, 1, 0]);
    assert.equal((await provider.getCode(w1.address)).slice(0, 8), '0xef0100', 'w1 delegates to the storage code');
    assert.equal(hex(rec.computedRoot), block.stateRoot);
    assert.equal(rec.servable, true);
  });

  it('empty blocks, several at once (only system contracts change)', async () => {
    await anvil.rpc('anvil_mine', ['0x3']);
    const rec = await tracker.sync();
    const block = await latest();
    assert.equal(rec.number, Number(block.number));
    assert.equal(hex(rec.computedRoot), block.stateRoot);
    assert.equal(rec.servable, true);
  });

  it('keeps every block servable with no mismatch on the way', async () => {
    assert.deepEqual(mismatches, []);
    for (const r of records) assert.ok(r.servable);
    for (const r of records) assert.deepEqual(await tracker.servableStateRoot(r.hash), r.stateRoot);
  });

  it('proves present and absent accounts and slots exactly as anvil answers, at the head', async () => {
    const head = await latest();
    const n = Number(head.number);
    const root = bytes(head.stateRoot);
    const absent = ethers.Wallet.createRandom().address;
    await checkAgainstAnvil(n, root, store, [0, 5, 7, 8, 99]);
    await checkAgainstAnvil(n, root, w1.address, [3, 4]);
    await checkAgainstAnvil(n, root, w0.address, [0]);
    await checkAgainstAnvil(n, root, killable, [0]);
    await checkAgainstAnvil(n, root, create2, [0]);
    await checkAgainstAnvil(n, root, fresh, []);
    await checkAgainstAnvil(n, root, destroyedAtBirth, [0]);
    await checkAgainstAnvil(n, root, absent, [0]);
    await checkAgainstAnvil(n, root, '0x0000F90827F1C53a10cb7A02335B175320002935', [0, 1, n - 1]);
  });

  it('proves an older block still held (slot 0 was 1, slot 5 unset, killable had its balance)', async () => {
    const root = bytes(blockA.block.stateRoot);
    await checkAgainstAnvil(Number(blockA.block.number), root, store, [0, 5]);
    await checkAgainstAnvil(Number(blockA.block.number), root, killable, [0]);
    await checkAgainstAnvil(Number(blockA.block.number), root, w1.address, [3]);
    const v = tracker.getAccount(root, keccak256(bytes(killable)));
    assert.equal(v?.balance, 1000n);
  });

  it('builds one deduplicated proof set for a batch, equal to the union of the single proofs', async () => {
    const root = bytes((await latest()).stateRoot);
    const reqs = [
      { accountKey: keccak256(bytes(store)), storageKey: new Uint8Array(0) },
      { accountKey: keccak256(bytes(store)), storageKey: keccak256(bytes(slotHex(5))) },
      { accountKey: keccak256(bytes(store)), storageKey: keccak256(bytes(slotHex(7))) },
      { accountKey: keccak256(bytes(w0.address)), storageKey: new Uint8Array(0) },
      { accountKey: keccak256(bytes(ethers.Wallet.createRandom().address)), storageKey: new Uint8Array(0) },
    ];
    const batch = tracker.buildProofs(root, reqs).map(hex);
    assert.equal(new Set(batch).size, batch.length, 'no duplicates');
    const union = new Set(reqs.flatMap((r) => tracker.buildProofs(root, [r]).map(hex)));
    assert.deepEqual(new Set(batch), union);
    assert.equal(batch[0], hex(tracker.buildProofs(root, [reqs[0]!])[0]!), 'root node first');
    assert.equal(hex(keccak256(bytes(batch[0]!))), hex(root));
    const nodes = batch.map(bytes);
    for (const r of reqs) {
      const value = await proven(root, r.accountKey, nodes);
      if (r.storageKey.length > 0) {
        const storageRoot = (RLP.decode(value!) as Uint8Array[])[2]!;
        assert.ok((await proven(storageRoot, r.storageKey, nodes)) !== null);
      }
    }
  });
});
