// The one-pass trie builder and the new-node filter, against @ethereumjs/trie.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { Trie } from '@ethereumjs/trie';
import { equalsBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { TrieNodeStore } from '../../../src/store/trie-nodes.js';
import { EMPTY_TRIE_ROOT, hexKey } from '../../../src/serve/state/account.js';
import { buildState, buildTrie, reachableNew } from '../../../src/serve/state/bulk.js';
import { StateDiff } from '../../../src/serve/state/diff.js';
import { StateProver } from '../../../src/serve/state/prover.js';
import { applyDiff } from '../../../src/serve/state/writer.js';

async function reference(entries: Array<[Uint8Array, Uint8Array]>): Promise<Uint8Array> {
  const t = new Trie();
  for (const [k, v] of entries) await t.put(k, v);
  return t.root();
}

describe('buildTrie', () => {
  for (const n of [0, 1, 2, 3, 17, 300]) {
    it(`${n} random 32-byte keys: the root @ethereumjs/trie computes`, async () => {
      const entries = Array.from({ length: n }, (): [Uint8Array, Uint8Array] => [randomBytes(32), randomBytes(1 + (n % 70))]);
      const out = new Map<string, Uint8Array>();
      assert.ok(equalsBytes(buildTrie(entries, out), await reference(entries)));
      for (const [h, node] of out) assert.equal(hexKey(keccak256(node)), h, 'stored under keccak256(node)');
    });
  }

  it('keys sharing long prefixes and tiny values (extensions, embedded nodes)', async () => {
    const entries = [1, 2, 3, 0x21, 0x22].map((b): [Uint8Array, Uint8Array] => [Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? b : 0x11)), Uint8Array.of(b)]);
    const out = new Map<string, Uint8Array>();
    assert.ok(equalsBytes(buildTrie(entries, out), await reference(entries)));
    assert.ok(out.size < 5, 'short nodes are inlined, not stored');
  });

  it('the empty trie is the empty root and stores nothing', () => {
    const out = new Map<string, Uint8Array>();
    assert.ok(equalsBytes(buildTrie([], out), EMPTY_TRIE_ROOT));
    assert.equal(out.size, 0);
  });
});

describe('buildState and reachableNew', () => {
  function sampleDiff(): StateDiff {
    const diff = new StateDiff();
    for (let i = 0; i < 60; i++) {
      const a = randomBytes(20);
      diff.setBalance(a, BigInt(i));
      if (i % 10 === 0) {
        diff.setCode(a, randomBytes(40));
        for (let s = 0; s < 12; s++) diff.setStorage(a, randomBytes(32), s === 0 ? 0n : BigInt(s));
      }
      if (i === 7) diff.keep(randomBytes(20));
    }
    return diff;
  }

  for (const rules of [{ deleteEmpty: false, deleteZeroSlots: true }, { deleteEmpty: false, deleteZeroSlots: false }]) {
    it(`gives applyDiff's root on the empty state (deleteZeroSlots ${rules.deleteZeroSlots})`, async () => {
      const diff = sampleDiff();
      const out = new Map<string, Uint8Array>();
      const bulk = buildState(diff, rules, out);
      const overlay = new TrieNodeStore(openMemoryStore()).overlay();
      const incremental = await applyDiff(overlay, EMPTY_TRIE_ROOT, diff, rules);
      assert.ok(equalsBytes(bulk.root, incremental.root));
      assert.deepEqual([...bulk.codes.keys()].sort(), [...incremental.codes.keys()].sort());
      assert.ok(out.size < overlay.written.size, 'no intermediate versions');
      assert.deepEqual(new Set(reachableNew(overlay.written, incremental.root).keys()), new Set(out.keys()), 'the filter keeps exactly the final nodes');
    });
  }

  it('reachableNew on a block update keeps what the new root needs, and it is enough', async () => {
    const kv = openMemoryStore();
    const nodes = new TrieNodeStore(kv.namespace('n'));
    const prover = new StateProver(nodes, kv.namespace('c'));
    const diff = sampleDiff();
    const start = new Map<string, Uint8Array>();
    const base = buildState(diff, { deleteEmpty: false, deleteZeroSlots: true }, start);
    await kv.batch(nodes.putOps(start));
    const update = new StateDiff();
    const touched = [...diff.accounts.values()].slice(0, 20).map((w) => w.address);
    for (const [i, a] of touched.entries()) {
      update.setBalance(a, 1000n + BigInt(i));
      update.setStorage(a, randomBytes(32), 5n);
    }
    const overlay = nodes.overlay();
    const next = await applyDiff(overlay, base.root, update, { deleteEmpty: true, deleteZeroSlots: true });
    const keep = reachableNew(overlay.written, next.root);
    assert.ok(keep.size < overlay.written.size);
    const fresh = openMemoryStore();
    const freshNodes = new TrieNodeStore(fresh.namespace('n'));
    await fresh.batch([...freshNodes.putOps(start), ...freshNodes.putOps(keep)]);
    const check = new StateProver(freshNodes, fresh.namespace('c'));
    for (const [i, a] of touched.entries()) {
      const acc = check.getAccount(next.root, keccak256(a));
      assert.equal(acc?.balance, 1000n + BigInt(i));
      const proof = check.buildProofs(next.root, [{ accountKey: keccak256(a), storageKey: new Uint8Array(0) }]);
      assert.ok(proof.length > 0);
    }
    assert.equal(prover.getAccount(base.root, keccak256(touched[0]!))?.balance, 0n);
  });
});
