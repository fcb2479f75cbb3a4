import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { HelperProofSet, IndexerError, SectionIndexer } from '../../../src/serve/indexer/index.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { ProofNodeSet, VerificationError, readBloomBits, readChtEntry, verifyBloomBitsProof, verifyChtProof } from '../../../src/verify/index.js';
import { MemorySource, type SourceBlock, be, hexOf, specCompress, specVector, syntheticChain } from './indexer-fixtures.js';

const SIZE = 16;
const SECTIONS = 4;
const blocks = syntheticChain(SECTIONS * SIZE + 2, 11);
let ix: SectionIndexer;

const btKey = (bit: number, s: number) => Uint8Array.from([...be(bit, 2), ...be(s, 8)]);
const isCode = (code: string) => (e: unknown) => e instanceof IndexerError && e.code === code;

before(async () => {
  ix = await SectionIndexer.open({ store: openMemoryStore().namespace('ix'), source: new MemorySource(blocks), network: { sectionSize: SIZE, buildConfirmations: 2 }, progressStream: null });
  assert.equal(await ix.update(), SECTIONS);
});

describe('SectionIndexer: CHT proofs', () => {
  it('proves every block of every built section under the newest root and under its own section root', () => {
    const last = SECTIONS - 1;
    for (let n = 0; n < SECTIONS * SIZE; n++) {
      const b = blocks[n] as SourceBlock;
      for (const section of [last, Math.floor(n / SIZE)]) {
        const entry = verifyChtProof(ix.chtRoot(section), n, ix.chtProof(section, be(n, 8)));
        assert.equal(hexOf(entry.hash), hexOf(b.hash), `block ${n} under section ${section}`);
        assert.equal(entry.td, b.td);
      }
    }
  });

  it('proves blocks past a section absent from that section’s CHT', () => {
    for (const n of [SIZE, 2 * SIZE + 3, SECTIONS * SIZE, 10 ** 9]) {
      const set = new ProofNodeSet(ix.chtProof(0, be(n, 8)));
      assert.throws(() => readChtEntry(set, ix.chtRoot(0), n), (e) => e instanceof VerificationError && /proven absent/.test(e.message));
      set.assertAllUsed();
    }
  });

  it('omits the first fromLevel nodes; the client completes the walk with nodes it holds', () => {
    const n = 37;
    const full = ix.chtProof(3, be(n, 8));
    assert.ok(full.length >= 3);
    const known = new Map(full.map((x) => [hexOf(keccak256(x)), x]));
    for (let level = 1; level <= full.length; level++) {
      const part = ix.chtProof(3, be(n, 8), level);
      assert.equal(part.length, full.length - level);
      const set = new ProofNodeSet(part);
      const entry = readChtEntry(set, ix.chtRoot(3), n, { fromLevel: level, known: (h) => known.get(hexOf(h)) });
      assert.equal(hexOf(entry.hash), hexOf(blocks[n]!.hash));
      set.assertAllUsed();
    }
  });

  it('merges a batch of proofs into one deduplicated proof set that proves every key', () => {
    const batch = new HelperProofSet();
    const numbers = [0, 1, 2, 15, 16, 40, 63];
    let total = 0;
    for (const n of numbers) total += ix.chtProof(3, be(n, 8), 0, batch).length;
    for (const bit of [0, 5, 2047]) total += ix.bloomTrieProof(3, btKey(bit, 2), 0, batch).length;
    assert.ok(batch.size < total, `dedup: ${batch.size} of ${total}`);
    assert.equal(new Set(batch.nodes.map(hexOf)).size, batch.size);
    const set = new ProofNodeSet(batch.nodes);
    for (const n of numbers) assert.equal(hexOf(readChtEntry(set, ix.chtRoot(3), n).hash), hexOf(blocks[n]!.hash));
    for (const bit of [0, 5, 2047]) assert.deepEqual(readBloomBits(set, ix.bloomTrieRoot(3), bit, 2, SIZE), specVector(blocks, bit, 2, SIZE));
    set.assertAllUsed();
  });
});

describe('SectionIndexer: BloomBits', () => {
  it('serves every vector of every section compressed as the spec says, and proves it in the BloomTrie', () => {
    let zero = 0;
    let nonZero = 0;
    for (let s = 0; s < SECTIONS; s++) {
      for (let bit = 0; bit < 2048; bit++) {
        const vector = specVector(blocks, bit, s, SIZE);
        assert.deepEqual(ix.bloomBits(bit, s), specCompress(vector), `bit ${bit} section ${s}`);
        const proven = verifyBloomBitsProof(ix.bloomTrieRoot(SECTIONS - 1), bit, s, ix.bloomTrieProof(SECTIONS - 1, btKey(bit, s)), SIZE);
        assert.deepEqual(proven, vector);
        if (vector.every((x) => x === 0)) zero++;
        else nonZero++;
      }
    }
    assert.ok(zero > 1000 && nonZero > 50, `both kinds present: ${zero} zero, ${nonZero} non-zero`);
  });

  it('proves all-zero vectors absent (the trie holds no entry and the proof walk ends without one)', () => {
    const bit = [...Array(2048).keys()].find((b) => specVector(blocks, b, 1, SIZE).every((x) => x === 0)) as number;
    const nodes = ix.bloomTrieProof(SECTIONS - 1, btKey(bit, 1));
    const set = new ProofNodeSet(nodes);
    assert.equal(set.walk(ix.bloomTrieRoot(SECTIONS - 1), btKey(bit, 1)), undefined);
    set.assertAllUsed();
    assert.equal(ix.bloomBits(bit, 1).length, 0);
    // A section not yet in the trie of section 1 is absent there too.
    const bit3 = [...Array(2048).keys()].find((b) => specVector(blocks, b, 3, SIZE).some((x) => x !== 0)) as number;
    const set1 = new ProofNodeSet(ix.bloomTrieProof(1, btKey(bit3, 3)));
    assert.equal(set1.walk(ix.bloomTrieRoot(1), btKey(bit3, 3)), undefined);
  });
});

describe('SectionIndexer: serving errors', () => {
  it('refuses sections not built, keys of the wrong length, bad levels and bits', () => {
    assert.throws(() => ix.chtProof(SECTIONS, be(0, 8)), isCode('INDEXER_NOT_BUILT'));
    assert.throws(() => ix.chtRoot(-1), isCode('INDEXER_NOT_BUILT'));
    assert.throws(() => ix.bloomTrieRoot(1.5), isCode('INDEXER_NOT_BUILT'));
    assert.throws(() => ix.sectionHead(99), isCode('INDEXER_NOT_BUILT'));
    assert.throws(() => ix.bloomBits(3, SECTIONS), isCode('INDEXER_NOT_BUILT'));
    assert.throws(() => ix.chtProof(0, be(0, 10)), isCode('INDEXER_BAD_KEY'));
    assert.throws(() => ix.bloomTrieProof(0, be(0, 8)), isCode('INDEXER_BAD_KEY'));
    assert.throws(() => ix.chtProof(0, be(0, 8), -1), isCode('INDEXER_BAD_LEVEL'));
    assert.throws(() => ix.chtProof(0, be(0, 8), 0.5), isCode('INDEXER_BAD_LEVEL'));
    assert.throws(() => ix.bloomBits(2048, 0), isCode('INDEXER_BAD_BIT'));
    const err = (() => {
      try {
        ix.chtProof(7, be(0, 8));
      } catch (e) {
        return e as IndexerError;
      }
      return undefined;
    })();
    assert.equal(err?.field, 'sectionIdx');
  });
});
