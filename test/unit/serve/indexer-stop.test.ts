/**
 * Stopping the section indexer in the middle of a catch-up (a public chain's is hours): stop()
 * returns after the section in progress rather than after every pending section, and a restart
 * on the same LevelDB builds only the sections not built yet, to the same roots as the
 * reference construction.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SectionIndexer } from '../../../src/serve/indexer/index.js';
import { openLevelStore } from '../../../src/store/level.js';
import { MemorySource, hexOf, referenceRoots, syntheticChain } from './indexer-fixtures.js';

const SIZE = 16;
const CONF = 2;
const SECTIONS = 12;
const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('SectionIndexer: stop mid-catch-up, then resume', () => {
  it('stops after the section in progress; the restart builds only the rest, to the reference roots', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lesp-indexer-stop-'));
    dirs.push(dir);
    const blocks = syntheticChain(SECTIONS * SIZE + CONF, 31);
    const source = new MemorySource(blocks);
    const net = { sectionSize: SIZE, buildConfirmations: CONF };

    const kv1 = await openLevelStore(dir);
    const first = await SectionIndexer.open({ store: kv1.namespace('ix'), source, network: net, progressStream: null });
    let stopping: Promise<void> | undefined;
    first.on('section', (rec) => {
      if (rec.index === 2) stopping = first.stop();
    });
    first.schedule();
    for (let i = 0; i < 500 && stopping === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    assert.ok(stopping !== undefined, 'section 2 was built');
    await stopping;
    const builtBefore = first.sectionCount;
    assert.ok(builtBefore >= 3 && builtBefore < SECTIONS, `stopped part-way: ${builtBefore} of ${SECTIONS}`);
    first.schedule();
    await first.idle();
    assert.equal(first.sectionCount, builtBefore, 'nothing is built after stop()');
    await kv1.close();

    const kv2 = await openLevelStore(dir);
    try {
      const second = await SectionIndexer.open({ store: kv2.namespace('ix'), source, network: net, progressStream: null });
      assert.equal(second.sectionCount, builtBefore, 'the finished sections are resumed');
      assert.equal(await second.update(), SECTIONS - builtBefore, 'only the sections not built before');
      assert.equal(second.stats.blocksRead, (SECTIONS - builtBefore) * SIZE, 'no block of a finished section read again');
      const ref = await referenceRoots(blocks, SECTIONS, SIZE);
      for (let s = 0; s < SECTIONS; s++) {
        assert.equal(hexOf(second.chtRoot(s)), hexOf(ref[s]!.cht), `CHT root ${s}`);
        assert.equal(hexOf(second.bloomTrieRoot(s)), hexOf(ref[s]!.bloomTrie), `BloomTrie root ${s}`);
      }
    } finally {
      await kv2.close();
    }
  });
});
