import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SectionIndexer } from '../../../src/serve/indexer/index.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { MemorySource, hexOf, referenceBloomTrieRoot, referenceChtRoot, referenceRoots, syntheticChain } from './indexer-fixtures.js';

async function openIndexer(source: MemorySource, sectionSize: number, buildConfirmations: number) {
  return SectionIndexer.open({ store: openMemoryStore().namespace('ix'), source, network: { sectionSize, buildConfirmations }, progressStream: null });
}

describe('SectionIndexer: building sections', () => {
  it('builds CHT and BloomTrie roots equal to tries built from the spec definition with @ethereumjs/trie', async () => {
    const size = 16;
    const blocks = syntheticChain(5 * size + 4, 1);
    const ix = await openIndexer(new MemorySource(blocks), size, 4);
    assert.equal(await ix.update(), 5);
    assert.equal(ix.sectionCount, 5);
    for (let i = 0; i < 5; i++) {
      assert.equal(hexOf(ix.chtRoot(i)), hexOf(await referenceChtRoot(blocks, i, size)), `CHT root ${i}`);
      assert.equal(hexOf(ix.bloomTrieRoot(i)), hexOf(await referenceBloomTrieRoot(blocks, i, size)), `BloomTrie root ${i}`);
      assert.equal(hexOf(ix.sectionHead(i)), hexOf(blocks[(i + 1) * size - 1]!.hash), `section head ${i}`);
    }
    const cp = ix.latestCheckpoint();
    assert.ok(cp);
    assert.equal(cp.sectionIndex, 4);
    assert.equal(hexOf(cp.sectionHead), hexOf(blocks[5 * size - 1]!.hash));
    assert.equal(hexOf(cp.chtRoot), hexOf(ix.chtRoot(4)));
    assert.equal(hexOf(cp.bloomTrieRoot), hexOf(ix.bloomTrieRoot(4)));
  });

  it('builds section s only once the head is buildConfirmations past its last block', async () => {
    const size = 8;
    const conf = 5;
    const all = syntheticChain(40, 2);
    const source = new MemorySource(all.slice(0, size - 1 + conf)); // head = size + conf − 2: one short
    const ix = await openIndexer(source, size, conf);
    assert.equal(await ix.update(), 0);
    assert.equal(ix.latestCheckpoint(), undefined);
    source.blocks = all.slice(0, size + conf); // head = (0+1)·size − 1 + conf
    assert.equal(await ix.update(), 1);
    source.blocks = all.slice(0, 2 * size + conf - 1);
    assert.equal(await ix.update(), 0);
    source.blocks = all.slice(0, 2 * size + conf);
    assert.equal(await ix.update(), 1);
    assert.equal(ix.sectionCount, 2);
  });

  it('extends the tries incrementally over many sections (300 sections of 8 blocks)', async () => {
    const size = 8;
    const n = 300;
    const blocks = syntheticChain(n * size, 3);
    const source = new MemorySource([]);
    const ix = await openIndexer(source, size, 0);
    // The chain grows in uneven steps; each update builds what became buildable.
    let built = 0;
    for (let head = 0; head < blocks.length; head += 1 + Math.floor(head % 97)) {
      source.blocks = blocks.slice(0, head + 1);
      built += await ix.update();
    }
    source.blocks = blocks;
    built += await ix.update();
    assert.equal(built, n);
    const expected = await referenceRoots(blocks, n, size);
    for (let i = 0; i < n; i++) {
      assert.equal(hexOf(ix.chtRoot(i)), hexOf(expected[i]!.cht), `CHT root ${i}`);
      assert.equal(hexOf(ix.bloomTrieRoot(i)), hexOf(expected[i]!.bloomTrie), `BloomTrie root ${i}`);
    }
  });

  it('emits a section event per section and counts the blocks it read', async () => {
    const size = 16;
    const blocks = syntheticChain(3 * size, 4);
    const source = new MemorySource(blocks);
    const ix = await openIndexer(source, size, 0);
    const seen: number[] = [];
    ix.on('section', (r) => seen.push(r.index));
    await ix.update();
    assert.deepEqual(seen, [0, 1, 2]);
    assert.equal(ix.stats.blocksRead, 3 * size);
  });

  it('builds a section of 8192 blocks in steps (roots as defined) while the event loop keeps turning', async () => {
    const size = 8192;
    const blocks = syntheticChain(size, 5);
    const ix = await openIndexer(new MemorySource(blocks), size, 0);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      assert.equal(await ix.update(), 1);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 2, `timers ran ${ticks} times during the build`);
    assert.equal(hexOf(ix.chtRoot(0)), hexOf(await referenceChtRoot(blocks, 0, size)));
    assert.equal(hexOf(ix.bloomTrieRoot(0)), hexOf(await referenceBloomTrieRoot(blocks, 0, size)));
  });
});
