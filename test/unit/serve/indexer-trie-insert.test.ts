import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Trie } from '@ethereumjs/trie';
import { bytesToHex } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { insertSorted, insertSortedInSteps } from '../../../src/serve/indexer/trie-insert.js';
import { IndexerError } from '../../../src/serve/indexer/errors.js';
import { EMPTY_TRIE_ROOT, collectProof, walkTrie, decodeTrieNode } from '../../../src/verify/index.js';
import { prng } from '../../helpers/prng.js';

const rng = prng;

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const cmp = (a: Uint8Array, b: Uint8Array) => Buffer.compare(Buffer.from(a), Buffer.from(b));

function randomBytes(r: () => number, len: number): Uint8Array {
  return Uint8Array.from({ length: len }, () => Math.floor(r() * 256));
}

/** Our store: every node the inserts created, by hash. */
class Store {
  readonly map = new Map<string, Uint8Array>();
  lookup = (h: Uint8Array) => this.map.get(hexOf(h));
  add(nodes: Map<string, Uint8Array>) {
    for (const [k, v] of nodes) this.map.set(k, v);
  }
}

/** Reference: @ethereumjs/trie, plain keys, one put per entry (the definition of the trie). */
async function reference(entries: Map<string, Uint8Array>): Promise<string> {
  const trie = new Trie();
  for (const [k, v] of entries) await trie.put(Buffer.from(k, 'hex'), v);
  return bytesToHex(trie.root());
}

async function runBatches(seed: number, batches: number, perBatch: () => number, keyLen: () => number, valueLen: () => number, r: () => number) {
  const store = new Store();
  const all = new Map<string, Uint8Array>();
  let root = EMPTY_TRIE_ROOT;
  for (let b = 0; b < batches; b++) {
    const batch = new Map<string, Uint8Array>();
    const n = perBatch();
    for (let i = 0; i < n; i++) {
      // Sometimes overwrite an existing key.
      const existing = [...all.keys()];
      const k = existing.length > 0 && r() < 0.1 ? Buffer.from(existing[Math.floor(r() * existing.length)] as string, 'hex') : randomBytes(r, keyLen());
      batch.set(hexOf(k), randomBytes(r, valueLen()));
    }
    const entries = [...batch].map(([k, v]) => [Uint8Array.from(Buffer.from(k, 'hex')), v] as const).sort((x, y) => cmp(x[0], y[0]));
    const res = insertSorted(root, entries, store.lookup);
    store.add(res.nodes);
    for (const [k, v] of batch) all.set(k, v);
    root = res.root;
    assert.equal(bytesToHex(root), await reference(all), `seed ${seed} batch ${b}`);
  }
  return { store, all, root };
}

describe('insertSorted (bulk insert into a stored plain trie)', () => {
  it('matches @ethereumjs/trie for random batches of fixed-length keys (short values get embedded)', async () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      await runBatches(seed, 6, () => 1 + Math.floor(r() * 40), () => 3, () => 1 + Math.floor(r() * 40), r);
    }
  });

  it('matches @ethereumjs/trie with variable-length keys (keys that are prefixes of others)', async () => {
    for (let seed = 100; seed <= 130; seed++) {
      const r = rng(seed);
      await runBatches(seed, 5, () => 1 + Math.floor(r() * 25), () => 1 + Math.floor(r() * 3), () => 1 + Math.floor(r() * 50), r);
    }
  });

  it('appending contiguous 8-byte keys section by section gives the same root as one trie of all of them', async () => {
    const store = new Store();
    const all = new Map<string, Uint8Array>();
    let root = EMPTY_TRIE_ROOT;
    for (let s = 0; s < 6; s++) {
      const entries: Array<readonly [Uint8Array, Uint8Array]> = [];
      for (let n = s * 50; n < (s + 1) * 50; n++) {
        const k = new Uint8Array(8);
        new DataView(k.buffer).setBigUint64(0, BigInt(n));
        const v = keccak256(k);
        entries.push([k, v]);
        all.set(hexOf(k), v);
      }
      const res = insertSorted(root, entries, store.lookup);
      store.add(res.nodes);
      root = res.root;
      assert.equal(bytesToHex(root), await reference(all), `section ${s}`);
    }
    // Every stored node hashes to its key, and every key walks to its value through our nodes.
    for (const [h, node] of store.map) assert.equal(hexOf(keccak256(node)), h);
    const source = { node: (hash: Uint8Array) => { const n = store.lookup(hash); return n && decodeTrieNode(n, 't'); } };
    for (const [k, v] of all) assert.deepEqual(walkTrie(root, Buffer.from(k, 'hex'), source), v);
  });

  it('leaves earlier roots readable (nodes are only added) and returns the root unchanged for no entries', async () => {
    const r = rng(7);
    const { store, all, root } = await runBatches(7, 3, () => 30, () => 4, () => 33, r);
    const res = insertSorted(root, [], store.lookup);
    assert.equal(bytesToHex(res.root), bytesToHex(root));
    assert.equal(res.nodes.size, 0);
    const [k] = [...all.keys()];
    assert.ok(collectProof(root, Buffer.from(k as string, 'hex'), store.lookup).value);
  });

  it('refuses unsorted or duplicate keys, empty values and a root whose nodes are missing', () => {
    const a = Uint8Array.of(1), b = Uint8Array.of(2), v = Uint8Array.of(9);
    const err = (code: string) => (e: unknown) => e instanceof IndexerError && e.code === code;
    assert.throws(() => insertSorted(EMPTY_TRIE_ROOT, [[b, v], [a, v]], () => undefined), err('INDEXER_UNSORTED'));
    assert.throws(() => insertSorted(EMPTY_TRIE_ROOT, [[a, v], [a, v]], () => undefined), err('INDEXER_UNSORTED'));
    assert.throws(() => insertSorted(EMPTY_TRIE_ROOT, [[a, new Uint8Array(0)]], () => undefined), err('INDEXER_UNSORTED'));
    assert.throws(() => insertSorted(keccak256(a), [[a, v]], () => undefined), err('INDEXER_MISSING_NODE'));
  });

  it('in steps: the same root and exactly the nodes of a one-shot insert (intermediate paths dropped), pausing between steps', async () => {
    for (let seed = 200; seed < 210; seed++) {
      const r = rng(seed);
      const base = await runBatches(seed, 2, () => 40, () => 4, () => 1 + Math.floor(r() * 60), r);
      const batch = new Map<string, Uint8Array>();
      for (let i = 0; i < 300; i++) batch.set(hexOf(randomBytes(r, 4)), randomBytes(r, 1 + Math.floor(r() * 60)));
      const entries = [...batch].map(([k, v]) => [Uint8Array.from(Buffer.from(k, 'hex')), v] as const).sort((x, y) => cmp(x[0], y[0]));
      const once = insertSorted(base.root, entries, base.store.lookup);
      let pauses = 0;
      const steps = await insertSortedInSteps(base.root, entries, base.store.lookup, { chunk: 7, pause: async () => pauses++ });
      assert.equal(bytesToHex(steps.root), bytesToHex(once.root));
      assert.deepEqual([...steps.nodes.keys()].sort(), [...once.nodes.keys()].sort(), `seed ${seed}`);
      assert.equal(pauses, Math.ceil(entries.length / 7) - 1);
      for (const [k, v] of batch) base.all.set(k, v);
      assert.equal(bytesToHex(steps.root), await reference(base.all));
    }
  });

  it('in steps: refuses keys out of order across a step boundary', async () => {
    const k = (x: number) => Uint8Array.of(x);
    const v = Uint8Array.of(1);
    await assert.rejects(
      insertSortedInSteps(EMPTY_TRIE_ROOT, [[k(1), v], [k(2), v], [k(2), v], [k(3), v]], () => undefined, { chunk: 2, pause: async () => 0 }),
      (e) => e instanceof IndexerError && e.code === 'INDEXER_UNSORTED' && e.field === 'entries[2]',
    );
  });
});
