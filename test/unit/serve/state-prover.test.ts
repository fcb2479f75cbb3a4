// The state writer and proof builder against an independent implementation: @ethereumjs/trie's
// secure trie builds the same state separately (its root must match), and its proof verifier
// checks every proof we build.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { ValueEncoding, bigIntToUnpaddedBytes, equalsBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { TrieNodeStore } from '../../../src/store/trie-nodes.js';
import { EMPTY_TRIE_ROOT } from '../../../src/serve/state/account.js';
import { StateDiff } from '../../../src/serve/state/diff.js';
import { StateError } from '../../../src/serve/state/errors.js';
import { StateProver, loadNode, walkTrie } from '../../../src/serve/state/prover.js';
import { applyDiff } from '../../../src/serve/state/writer.js';

const addr = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (i === 19 ? n : 0xa0 + (i % 7)));
const slot = (n: number) => {
  const s = new Uint8Array(32);
  s[31] = n & 0xff;
  s[30] = n >> 8;
  return s;
};
const CODE = Uint8Array.from([0x60, 0x20, 0x35, 0x60, 0x00, 0x35, 0x55, 0x00]);
const u = (v: bigint) => bigIntToUnpaddedBytes(v);

function setup() {
  const kv = openMemoryStore();
  const nodes = new TrieNodeStore(kv.namespace('n'));
  const prover = new StateProver(nodes, kv.namespace('c'));
  return { kv, nodes, prover };
}

/** 40 accounts, 5 of them with 30 storage slots; returns our root and the independent one. */
async function buildBoth() {
  const { kv, nodes, prover } = setup();
  const diff = new StateDiff();
  const reference = new Trie({ useKeyHashing: true });
  for (let i = 1; i <= 40; i++) {
    const a = addr(i);
    diff.setNonce(a, BigInt(i));
    diff.setBalance(a, 10n ** 18n * BigInt(i));
    let storageRoot = EMPTY_TRIE_ROOT;
    let codeHash = keccak256(new Uint8Array(0));
    if (i % 8 === 0) {
      diff.setCode(a, CODE);
      codeHash = keccak256(CODE);
      const st = new Trie({ useKeyHashing: true });
      for (let s = 0; s < 30; s++) {
        diff.setStorage(a, slot(s), BigInt(s * 1000 + i));
        await st.put(slot(s), RLP.encode(u(BigInt(s * 1000 + i))));
      }
      storageRoot = st.root();
    }
    await reference.put(a, RLP.encode([u(BigInt(i)), u(10n ** 18n * BigInt(i)), storageRoot, codeHash]));
  }
  const overlay = nodes.overlay();
  const result = await applyDiff(overlay, EMPTY_TRIE_ROOT, diff, { deleteEmpty: true, deleteZeroSlots: true });
  await kv.batch([...nodes.putOps(overlay.written), ...[...result.codes].map(([h, c]) => ({ type: 'put' as const, key: Buffer.from(h, 'hex'), value: c, ns: kv.namespace('c') }))]);
  return { kv, nodes, prover, root: result.root, referenceRoot: reference.root() };
}

async function verify(root: Uint8Array, key: Uint8Array, proof: Uint8Array[]): Promise<Uint8Array | null> {
  return new Trie().verifyProof(root, key, proof);
}

describe('state writer', () => {
  it('builds the same state root as an independent secure trie', async () => {
    const { root, referenceRoot } = await buildBoth();
    assert.ok(equalsBytes(root, referenceRoot));
  });

  it('applies a block on a parent root without changing the parent', async () => {
    const { nodes, prover, root } = await buildBoth();
    const diff = new StateDiff((a) => prover.getAccount(root, keccak256(a)));
    diff.credit(addr(1), 5n);
    diff.setStorage(addr(8), slot(3), 0n); // delete a slot
    diff.setStorage(addr(8), slot(200), 7n);
    diff.destroy(addr(16)); // its 30 slots go with it
    const overlay = nodes.overlay();
    const next = await applyDiff(overlay, root, diff, { deleteEmpty: true, deleteZeroSlots: true });
    await overlay.flush();
    assert.equal(prover.getAccount(next.root, keccak256(addr(1)))?.balance, 10n ** 18n + 5n);
    assert.equal(prover.getAccount(root, keccak256(addr(1)))?.balance, 10n ** 18n, 'the parent state is untouched');
    const a8 = prover.getAccount(next.root, keccak256(addr(8)))!;
    assert.equal(prover.getStorage(a8.storageRoot, keccak256(slot(3))), 0n);
    assert.equal(prover.hasStorage(a8.storageRoot, keccak256(slot(3))), false);
    assert.equal(prover.getStorage(a8.storageRoot, keccak256(slot(200))), 7n);
    assert.equal(prover.getAccount(next.root, keccak256(addr(16))), undefined, 'destroyed and empty: removed (EIP-161)');
  });

  it('keeps empty accounts and zero slots when the node does (anvil rules)', async () => {
    const { nodes, prover } = setup();
    const diff = new StateDiff();
    diff.keep(addr(1));
    diff.setNonce(addr(2), 1n);
    diff.setStorage(addr(2), slot(1), 0n);
    diff.touch(addr(3));
    const overlay = nodes.overlay();
    const r = await applyDiff(overlay, EMPTY_TRIE_ROOT, diff, { deleteEmpty: false, deleteZeroSlots: false });
    await overlay.flush();
    assert.deepEqual(prover.getAccount(r.root, keccak256(addr(1)))?.balance, 0n);
    assert.ok(prover.getAccount(r.root, keccak256(addr(3))) !== undefined, 'touched empty account kept');
    const a2 = prover.getAccount(r.root, keccak256(addr(2)))!;
    assert.equal(prover.hasStorage(a2.storageRoot, keccak256(slot(1))), true, 'zero slot kept as a leaf');
    assert.equal(prover.getStorage(a2.storageRoot, keccak256(slot(1))), 0n);
    const strict = nodes.overlay();
    const r2 = await applyDiff(strict, EMPTY_TRIE_ROOT, diff, { deleteEmpty: true, deleteZeroSlots: true });
    await strict.flush();
    assert.ok(prover.getAccount(r2.root, keccak256(addr(1))) !== undefined, "'keep' wins over EIP-161");
    assert.equal(prover.getAccount(r2.root, keccak256(addr(3))), undefined);
    const removed = new StateDiff();
    removed.remove(addr(1));
    const o3 = nodes.overlay();
    const r3 = await applyDiff(o3, r.root, removed, { deleteEmpty: false, deleteZeroSlots: false });
    await o3.flush();
    assert.equal(prover.getAccount(r3.root, keccak256(addr(1))), undefined, "'remove' removes even under anvil rules");
  });
});

describe('StateProver', () => {
  it('account proofs, present and absent, verify with @ethereumjs/trie and give the values', async () => {
    const { prover, root } = await buildBoth();
    for (let i = 1; i <= 45; i++) {
      const key = keccak256(addr(i));
      const proof = prover.buildProofs(root, [{ accountKey: key, storageKey: new Uint8Array(0) }]);
      assert.ok(equalsBytes(keccak256(proof[0]!), root), 'root node first');
      const value = await verify(root, key, proof);
      if (i > 40) {
        assert.equal(value, null, `account ${i} proven absent`);
      } else {
        const [nonce, balance] = RLP.decode(value!) as Uint8Array[];
        assert.deepEqual(nonce, u(BigInt(i)));
        assert.deepEqual(balance, u(10n ** 18n * BigInt(i)));
      }
    }
  });

  it('storage proofs: the account path, then the storage path from its storageRoot', async () => {
    const { prover, root } = await buildBoth();
    const accountKey = keccak256(addr(16));
    const account = prover.getAccount(root, accountKey)!;
    const accountProof = prover.buildProofs(root, [{ accountKey, storageKey: new Uint8Array(0) }]);
    for (const s of [0, 7, 29, 30, 999]) {
      const storageKey = keccak256(slot(s));
      const proof = prover.buildProofs(root, [{ accountKey, storageKey }]);
      assert.deepEqual(proof.slice(0, accountProof.length), accountProof);
      const value = await verify(account.storageRoot, storageKey, proof.slice(accountProof.length));
      assert.deepEqual(value === null ? null : RLP.decode(value), s < 30 ? u(BigInt(s * 1000 + 16)) : null);
    }
    // A slot of an absent account: the account's absence is the whole proof.
    const absent = prover.buildProofs(root, [{ accountKey: keccak256(addr(99)), storageKey: keccak256(slot(1)) }]);
    assert.equal(await verify(root, keccak256(addr(99)), absent), null);
  });

  it('one deduplicated list for a batch: the union of the single proofs, each node once', async () => {
    const { prover, root } = await buildBoth();
    const reqs = [8, 16, 24, 99].flatMap((i) => [
      { accountKey: keccak256(addr(i)), storageKey: new Uint8Array(0) },
      { accountKey: keccak256(addr(i)), storageKey: keccak256(slot(1)) },
      { accountKey: keccak256(addr(i)), storageKey: keccak256(slot(2)) },
    ]);
    const hexes = (l: Uint8Array[]) => l.map((n) => Buffer.from(n).toString('hex'));
    const batch = hexes(prover.buildProofs(root, reqs));
    assert.equal(new Set(batch).size, batch.length);
    assert.deepEqual(new Set(batch), new Set(reqs.flatMap((r) => hexes(prover.buildProofs(root, [r])))));
  });

  it('fromLevel omits that many nodes nearest the root of the proven trie', async () => {
    const { prover, root } = await buildBoth();
    const accountKey = keccak256(addr(3));
    const full = prover.buildProofs(root, [{ accountKey, storageKey: new Uint8Array(0) }]);
    assert.ok(full.length >= 2);
    assert.deepEqual(prover.buildProofs(root, [{ accountKey, storageKey: new Uint8Array(0), fromLevel: 1 }]), full.slice(1));
    const storageKey = keccak256(slot(4));
    const withStorage = prover.buildProofs(root, [{ accountKey: keccak256(addr(8)), storageKey }]);
    const skipped = prover.buildProofs(root, [{ accountKey: keccak256(addr(8)), storageKey, fromLevel: 1 }]);
    assert.equal(skipped.length, withStorage.length - 1, 'the storage root node is left out, the account path kept');
  });

  it('walks embedded nodes (short leaves inlined in their branch)', async () => {
    const { nodes } = setup();
    const overlay = nodes.overlay();
    const t = new Trie({ db: overlay, valueEncoding: ValueEncoding.Bytes });
    const keys = [1, 2, 3].map((b) => Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? b : 0x11)));
    for (const k of keys) await t.put(k, Uint8Array.of(k[31]!));
    await overlay.flush();
    const get = (h: Uint8Array) => {
      const raw = nodes.getSync(h);
      return raw === undefined ? undefined : loadNode(raw, h);
    };
    const seen: Uint8Array[] = [];
    for (const k of keys) assert.deepEqual(walkTrie(get, t.root(), k), Uint8Array.of(k[31]!));
    assert.equal(walkTrie(get, t.root(), Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 9 : 0x11)), 0, (_h, n) => seen.push(n)), undefined);
    assert.equal(seen.length, 1, 'one hashed node: branch and leaves are inlined in it');
    assert.equal(await verify(t.root(), Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? 9 : 0x11)), seen), null);
    assert.deepEqual(await verify(t.root(), keys[1]!, seen), Uint8Array.of(2), 'the inlined leaf is inside the proof nodes');
  });

  it('the empty trie proves every key absent with no nodes', () => {
    const { prover } = setup();
    assert.deepEqual(prover.buildProofs(EMPTY_TRIE_ROOT, [{ accountKey: keccak256(addr(1)), storageKey: keccak256(slot(1)) }]), []);
    assert.equal(prover.getAccount(EMPTY_TRIE_ROOT, keccak256(addr(1))), undefined);
  });

  it('returns code by hash, empty code for the empty-code hash, undefined for unknown code', async () => {
    const { prover } = await buildBoth();
    assert.deepEqual(await prover.getCode(keccak256(CODE)), CODE);
    assert.deepEqual(await prover.getCode(keccak256(new Uint8Array(0))), new Uint8Array(0));
    assert.equal(await prover.getCode(keccak256(Uint8Array.of(1))), undefined);
  });

  const isState = (code: string, field?: string) => (e: unknown) => e instanceof StateError && e.code === code && (field === undefined || e.field === field);

  it('rejects keys that are not 32 bytes, naming the request', async () => {
    const { prover, root } = await buildBoth();
    assert.throws(() => prover.buildProofs(root, [{ accountKey: new Uint8Array(31), storageKey: new Uint8Array(0) }]), isState('STATE_BAD_KEY', 'reqs[0].accountKey'));
    assert.throws(
      () => prover.buildProofs(root, [{ accountKey: keccak256(addr(1)), storageKey: new Uint8Array(0) }, { accountKey: keccak256(addr(8)), storageKey: new Uint8Array(20) }]),
      isState('STATE_BAD_KEY', 'reqs[1].storageKey'),
    );
  });

  it('reports an unknown root as STATE_MISSING_NODE', () => {
    const { prover } = setup();
    assert.throws(() => prover.buildProofs(new Uint8Array(32).fill(7), [{ accountKey: keccak256(addr(1)), storageKey: new Uint8Array(0) }]), isState('STATE_MISSING_NODE'));
    assert.equal(prover.hasRoot(new Uint8Array(32).fill(7)), false);
    assert.equal(prover.hasRoot(EMPTY_TRIE_ROOT), true);
  });

  it('reports damaged stored nodes as STATE_BAD_NODE, never a TypeError', async () => {
    const damaged: Array<[string, Uint8Array]> = [
      ['bytes that are not RLP', Uint8Array.of(0xf8, 0xff)],
      ['an RLP string instead of a list', RLP.encode(Uint8Array.of(1, 2, 3))],
      ['a list of 3 items', RLP.encode([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)])],
      ['a short node with a bad flag', RLP.encode([Uint8Array.of(0x50), Uint8Array.of(1)])],
      ['a branch with a 5-byte child', RLP.encode([Uint8Array.of(1, 2, 3, 4, 5), ...Array.from({ length: 16 }, () => new Uint8Array(0))])],
    ];
    for (const [what, node] of damaged) {
      const { kv, prover } = setup();
      const root = keccak256(node);
      await kv.namespace('n').put(root, node);
      const key = new Uint8Array(32);
      assert.throws(() => prover.buildProofs(root, [{ accountKey: key, storageKey: new Uint8Array(0) }]), isState('STATE_BAD_NODE'), what);
    }
  });
});
