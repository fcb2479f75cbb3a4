import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { EMPTY_TRIE_ROOT, EMPTY_UNCLE_HASH, orderedTrieRoot, trieRoot } from '../../../src/verify/index.js';
import { encodeUint } from '../../../src/wire/rlp.js';
import { assertRejects, randomBytes, rng, toHex } from './helpers.js';

/** Expected roots come from @ethereumjs/trie, an independent implementation. */
async function referenceRoot(entries: Array<[Uint8Array, Uint8Array]>): Promise<string> {
  const t = new Trie();
  for (const [k, v] of entries) await t.put(k, v);
  return toHex(t.root());
}

describe('trie builder', () => {
  it('has the well-known empty roots (keccak256(0x80), keccak256(0xc0))', () => {
    assert.equal(toHex(EMPTY_TRIE_ROOT), '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421');
    assert.equal(toHex(EMPTY_UNCLE_HASH), '0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347');
    assert.equal(toHex(trieRoot([])), toHex(EMPTY_TRIE_ROOT));
  });

  for (const n of [1, 2, 3, 16, 17, 127, 128, 129, 300, 1000]) {
    it(`ordered trie of ${n} items matches @ethereumjs/trie (keys rlp(0..${n - 1}))`, async () => {
      const next = rng(n);
      // Mix of tiny values (embedded nodes) and long ones (hashed nodes).
      const values = Array.from({ length: n }, (_, i) => randomBytes(next, i % 3 === 0 ? 1 + (i % 5) : 40 + (i % 90)));
      const want = await referenceRoot(values.map((v, i) => [RLP.encode(encodeUint(i)), v]));
      assert.equal(toHex(orderedTrieRoot(values)), want);
    });
  }

  it('matches @ethereumjs/trie for random keys of mixed lengths (prefix keys, branch values)', async () => {
    const next = rng(7);
    const entries: Array<[Uint8Array, Uint8Array]> = [];
    const seen = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const k = randomBytes(next, 1 + Math.floor(next() * 4));
      if (seen.has(toHex(k))) continue;
      seen.add(toHex(k));
      entries.push([k, randomBytes(next, 1 + Math.floor(next() * 50))]);
    }
    assert.equal(toHex(trieRoot(entries)), await referenceRoot(entries));
  });

  it('matches @ethereumjs/trie on 32-byte keys (state-trie shaped)', async () => {
    const next = rng(9);
    const entries = Array.from({ length: 500 }, () => [randomBytes(next, 32), randomBytes(next, 70)] as [Uint8Array, Uint8Array]);
    assert.equal(toHex(trieRoot(entries)), await referenceRoot(entries));
  });

  it('refuses duplicate keys', () => {
    const k = Uint8Array.of(1, 2);
    assertRejects(() => trieRoot([[k, Uint8Array.of(1)], [k, Uint8Array.of(2)]]), 'BAD_ENCODING', /trie\.key/);
  });

  it('a changed value changes the root', () => {
    const values = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5, 6)];
    assert.notEqual(toHex(orderedTrieRoot(values)), toHex(orderedTrieRoot([values[0] as Uint8Array, Uint8Array.of(4, 5, 7)])));
  });
});
