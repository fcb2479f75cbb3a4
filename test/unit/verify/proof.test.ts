import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { EMPTY_TRIE_ROOT, ProofNodeSet, collectProof } from '../../../src/verify/index.js';
import { assertRejects, flipByte, mergeProofs, minimalProof, randomBytes, rng, toHex } from './helpers.js';

const next = rng(42);
const entries: Array<[Uint8Array, Uint8Array]> = Array.from({ length: 1000 }, () => [randomBytes(next, 10), randomBytes(next, 1 + Math.floor(next() * 80))]);
const absentKeys = Array.from({ length: 20 }, () => randomBytes(next, 10));
let trie: Trie;
let root: Uint8Array;

/** One proof for one key, walked on its own. */
function prove(nodes: Uint8Array[], key: Uint8Array, r = root): Uint8Array | undefined {
  const set = new ProofNodeSet(nodes);
  const v = set.walk(r, key);
  set.assertAllUsed();
  return v;
}

before(async () => {
  trie = new Trie();
  for (const [k, v] of entries) await trie.put(k, v);
  root = trie.root();
});

describe('proof walker: proofs made by @ethereumjs/trie', () => {
  it('proves the value of present keys', async () => {
    for (const [k, v] of entries.slice(0, 100)) assert.deepEqual(prove(await minimalProof(trie, k), k), v);
  });

  it('proves absent keys absent (undefined)', async () => {
    for (const k of absentKeys) assert.equal(prove(await minimalProof(trie, k), k), undefined);
  });

  it('walks a batch of keys over one merged node set and uses every node', async () => {
    const keys = [...entries.slice(0, 30).map(([k]) => k), ...absentKeys];
    const set = new ProofNodeSet(mergeProofs(...(await Promise.all(keys.map((k) => minimalProof(trie, k))))));
    keys.forEach((k, i) => assert.deepEqual(set.walk(root, k), i < 30 ? entries[i]?.[1] : undefined));
    set.assertAllUsed();
  });

  it('rejects a batch where a node is needed by no walked key (UNUSED_PROOF_NODES)', async () => {
    const [a, b] = [entries[0]?.[0] as Uint8Array, entries[1]?.[0] as Uint8Array];
    const set = new ProofNodeSet(mergeProofs(await minimalProof(trie, a), await minimalProof(trie, b)));
    set.walk(root, a);
    assertRejects(() => set.assertAllUsed(), 'UNUSED_PROOF_NODES', 'proof');
  });

  it('rejects a proof carrying a foreign node', async () => {
    const k = entries[3]?.[0] as Uint8Array;
    const foreign = RLP.encode([Uint8Array.of(0x20, 1, 2), new Uint8Array(40).fill(9)]);
    const set = new ProofNodeSet([...(await minimalProof(trie, k)), foreign]);
    assert.deepEqual(set.walk(root, k), entries[3]?.[1]);
    assertRejects(() => set.assertAllUsed(), 'UNUSED_PROOF_NODES');
    assert.deepEqual(set.unusedIndexes(), [set.size - 1]);
  });

  it('rejects a proof carrying a node twice', async () => {
    const k = entries[4]?.[0] as Uint8Array;
    const p = await minimalProof(trie, k);
    assertRejects(() => prove([...p, p[1] as Uint8Array], k), 'UNUSED_PROOF_NODES');
  });

  it('rejects a proof missing a node (BAD_PROOF)', async () => {
    const k = entries[5]?.[0] as Uint8Array;
    const p = await minimalProof(trie, k);
    for (let i = 0; i < p.length; i++) {
      assertRejects(() => prove(p.filter((_, j) => j !== i), k), 'BAD_PROOF');
    }
  });

  it('rejects a proof with one byte changed in any node', async () => {
    const k = entries[6]?.[0] as Uint8Array;
    const p = await minimalProof(trie, k);
    for (let i = 0; i < p.length; i++) {
      const node = p[i] as Uint8Array;
      for (const at of [0, node.length >> 1, node.length - 1]) {
        const changed = p.map((n, j) => (j === i ? flipByte(n, at) : n));
        assertRejects(() => prove(changed, k), 'BAD_PROOF');
      }
    }
  });

  it('rejects a proof checked against another root', async () => {
    const k = entries[7]?.[0] as Uint8Array;
    const p = await minimalProof(trie, k);
    assertRejects(() => prove(p, k, keccak256(Uint8Array.of(1))), 'BAD_PROOF');
  });
});

describe('proof walker: embedded nodes', () => {
  it('follows children shorter than 32 bytes inside their parent', async () => {
    const small = new Trie();
    const kv: Array<[Uint8Array, Uint8Array]> = [];
    for (let i = 0; i < 40; i++) kv.push([Uint8Array.of(i * 5, i), Uint8Array.of(i + 1)]);
    for (const [k, v] of kv) await small.put(k, v);
    const all = await Promise.all(kv.map(([k]) => small.createProof(k)));
    assert.ok(all.some((p) => p.some((n) => n.length < 32)), 'the trie has embedded nodes');
    for (const [k, v] of kv) assert.deepEqual(prove(await minimalProof(small, k), k, small.root()), v);
    assert.equal(prove(await minimalProof(small, Uint8Array.of(3, 3)), Uint8Array.of(3, 3), small.root()), undefined);
  });
});

describe('proof walker: the empty trie', () => {
  it('proves every key absent from the empty root, with no nodes or with the 0x80 node', () => {
    assert.equal(prove([], Uint8Array.of(1), EMPTY_TRIE_ROOT), undefined);
    assert.equal(prove([Uint8Array.of(0x80)], new Uint8Array(32), EMPTY_TRIE_ROOT), undefined);
  });
});

describe('proof walker: malformed nodes', () => {
  const key = Uint8Array.of(0x12, 0x34);
  const hashed = (node: unknown) => {
    const rlp = RLP.encode(node as Uint8Array[]);
    return { rlp, hash: keccak256(rlp) };
  };
  const cases: Array<[string, unknown]> = [
    ['a node of 3 items', [Uint8Array.of(0x20), Uint8Array.of(1), Uint8Array.of(2)]],
    ['a path flag above 3', [Uint8Array.of(0x40, 0x12, 0x34), new Uint8Array(40).fill(1)]],
    ['an even path with a non-zero pad nibble', [Uint8Array.of(0x25, 0x12, 0x34), new Uint8Array(40).fill(1)]],
    ['a leaf with an empty value', [Uint8Array.of(0x20, 0x12, 0x34), new Uint8Array(0)]],
    ['an extension with an empty path', [Uint8Array.of(0x00), new Uint8Array(32).fill(1)]],
    ['an extension to a 31-byte reference', [Uint8Array.of(0x11), new Uint8Array(31).fill(1)]],
    ['a branch with a 20-byte child', [...Array.from({ length: 16 }, (_, i) => (i === 1 ? new Uint8Array(20) : new Uint8Array(0))), new Uint8Array(0)]],
    ['a branch whose value is a list', [...Array.from({ length: 16 }, () => new Uint8Array(0)), []]],
    ['an embedded node of 32 bytes or more', [Uint8Array.of(0x11), [Uint8Array.of(0x32, 0x34), new Uint8Array(40).fill(1)]]],
  ];
  for (const [what, node] of cases) {
    it(`rejects ${what}`, () => {
      const { rlp, hash } = hashed(node);
      assertRejects(() => prove([rlp], key, hash), 'BAD_PROOF');
    });
  }

  it('rejects a node that is not RLP', () => {
    const junk = Uint8Array.of(0xf8, 0x01, 0x00);
    assertRejects(() => prove([junk], key, keccak256(junk)), 'BAD_PROOF');
  });
});

describe('proof walker: fromLevel and collectProof', () => {
  it('walks with the first levels taken from nodes the caller already has', async () => {
    const k = entries[10]?.[0] as Uint8Array;
    const full = await minimalProof(trie, k);
    const known = new Map(full.slice(0, 2).map((n) => [toHex(keccak256(n)), n]));
    const lookup = (h: Uint8Array) => known.get(toHex(h));
    const set = new ProofNodeSet(full.slice(2));
    assert.deepEqual(set.walk(root, k, { fromLevel: 2, known: lookup }), entries[10]?.[1]);
    set.assertAllUsed();
    // Without the caller's nodes the shortened proof is missing its top.
    assertRejects(() => new ProofNodeSet(full.slice(2)).walk(root, k, { fromLevel: 2 }), 'BAD_PROOF');
    // Levels at or past fromLevel must come from the proof.
    const everything = new Map(full.map((n) => [toHex(keccak256(n)), n]));
    assertRejects(() => new ProofNodeSet(full.slice(3)).walk(root, k, { fromLevel: 2, known: (h) => everything.get(toHex(h)) }), 'BAD_PROOF');
  });

  it('refuses a known node whose bytes do not hash to its key', async () => {
    const k = entries[11]?.[0] as Uint8Array;
    const full = await minimalProof(trie, k);
    const set = new ProofNodeSet(full.slice(1));
    assertRejects(() => set.walk(root, k, { fromLevel: 1, known: () => flipByte(full[0] as Uint8Array, 5) }), 'HASH_MISMATCH');
  });

  it('collectProof over a node store returns the minimal proof, minus the first fromLevel nodes', async () => {
    const store = new Map<string, Uint8Array>();
    const keys = [...entries.slice(0, 50).map(([k]) => k), ...absentKeys];
    const proofs = await Promise.all(keys.map((k) => minimalProof(trie, k)));
    for (const n of mergeProofs(...proofs)) store.set(toHex(keccak256(n)), n);
    keys.forEach((k, i) => {
      const got = collectProof(root, k, (h) => store.get(toHex(h)));
      assert.deepEqual(got.nodes.map(toHex), (proofs[i] as Uint8Array[]).map(toHex));
      assert.deepEqual(got.value, i < 50 ? entries[i]?.[1] : undefined);
      assert.deepEqual(collectProof(root, k, (h) => store.get(toHex(h)), 1).nodes.map(toHex), (proofs[i] as Uint8Array[]).slice(1).map(toHex));
    });
  });
});
