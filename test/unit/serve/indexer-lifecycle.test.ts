import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { IndexerError, SectionIndexer, type SectionIndexerOptions } from '../../../src/serve/indexer/index.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { verifyChtProof } from '../../../src/verify/index.js';
import { MemoryLog, MemorySource, be, hexOf, referenceBloomTrieRoot, referenceChtRoot, referenceRoots, syntheticChain } from './indexer-fixtures.js';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const SIZE = 16;
const CONF = 2;
const isCode = (code: string) => (e: unknown) => e instanceof IndexerError && e.code === code;

function options(source: MemorySource, extra: Partial<SectionIndexerOptions> = {}): SectionIndexerOptions {
  return { store: openMemoryStore().namespace('ix'), source, network: { sectionSize: SIZE, buildConfirmations: CONF }, progressStream: null, ...extra };
}

describe('SectionIndexer: restart', () => {
  it('resumes from LevelDB without rebuilding any section, with identical roots, then builds only new sections', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lesp-indexer-'));
    dirs.push(dir);
    const blocks = syntheticChain(6 * SIZE + CONF, 21);
    const source = new MemorySource(blocks.slice(0, 4 * SIZE + CONF));
    const net = { sectionSize: SIZE, buildConfirmations: CONF };

    let kv = await openLevelStore(dir);
    const first = await SectionIndexer.open({ store: kv.namespace('ix'), source, network: net, progressStream: null });
    assert.equal(await first.update(), 4);
    const roots = [0, 1, 2, 3].map((i) => [hexOf(first.sectionHead(i)), hexOf(first.chtRoot(i)), hexOf(first.bloomTrieRoot(i))]);
    await kv.close();

    kv = await openLevelStore(dir);
    const second = await SectionIndexer.open({ store: kv.namespace('ix'), source, network: net, progressStream: null });
    assert.equal(second.sectionCount, 4);
    assert.deepEqual([0, 1, 2, 3].map((i) => [hexOf(second.sectionHead(i)), hexOf(second.chtRoot(i)), hexOf(second.bloomTrieRoot(i))]), roots);
    source.reads = 0;
    assert.equal(await second.update(), 0);
    assert.equal(second.stats.sectionsBuilt, 0, 'no section rebuilt');
    assert.ok(source.reads <= 1, `only the newest head checked, ${source.reads} reads`);
    // Proofs of resumed sections are served from the stored nodes.
    assert.equal(hexOf(verifyChtProof(second.chtRoot(2), 40, second.chtProof(2, be(40, 8))).hash), hexOf(blocks[40]!.hash));

    source.blocks = blocks;
    assert.equal(await second.update(), 2);
    assert.equal(second.stats.sectionsBuilt, 2);
    assert.equal(hexOf(second.chtRoot(5)), hexOf(await referenceChtRoot(blocks, 5, SIZE)));
    assert.equal(hexOf(second.bloomTrieRoot(5)), hexOf(await referenceBloomTrieRoot(blocks, 5, SIZE)));
    await kv.close();

    kv = await openLevelStore(dir);
    await assert.rejects(
      SectionIndexer.open({ store: kv.namespace('ix'), source, network: { sectionSize: 32, buildConfirmations: CONF }, progressStream: null }),
      isCode('INDEXER_BAD_CONFIG'),
    );
    await kv.close();
  });
});

describe('SectionIndexer: reorgs', () => {
  it('notices a changed section head before building, logs an error, and rebuilds from the first changed section', async () => {
    const a = syntheticChain(4 * SIZE + CONF, 31);
    const source = new MemorySource(a);
    const log = new MemoryLog();
    const ix = await SectionIndexer.open(options(source, { log }));
    await ix.update();
    const keep = [hexOf(ix.chtRoot(1)), hexOf(ix.bloomTrieRoot(1))];
    // Blocks from 40 (inside section 2) are replaced, and the new chain is longer.
    const b = [...a.slice(0, 40), ...syntheticChain(5 * SIZE + CONF - 40, 32, 40, a[39]!.td)];
    source.blocks = b;
    const rollbacks: number[] = [];
    ix.on('rollback', (r) => rollbacks.push(r.from));
    const builtBefore = ix.stats.sectionsBuilt;
    assert.equal(await ix.update(), 3);
    assert.deepEqual(rollbacks, [2]);
    assert.equal(ix.stats.sectionsBuilt - builtBefore, 3, 'sections 2, 3, 4 built, 0 and 1 kept');
    assert.deepEqual([hexOf(ix.chtRoot(1)), hexOf(ix.bloomTrieRoot(1))], keep);
    for (const i of [2, 4]) {
      assert.equal(hexOf(ix.chtRoot(i)), hexOf(await referenceChtRoot(b, i, SIZE)));
      assert.equal(hexOf(ix.bloomTrieRoot(i)), hexOf(await referenceBloomTrieRoot(b, i, SIZE)));
    }
    const errors = log.lines.filter((l) => l.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /CANONICAL CHAIN CHANGED/);
  });

  it('canonicalChanged(n) rebuilds from the section of block n when n’s hash changed, and does nothing otherwise', async () => {
    const a = syntheticChain(4 * SIZE + CONF, 41);
    const source = new MemorySource([...a]);
    const ix = await SectionIndexer.open(options(source));
    await ix.update();
    assert.equal(await ix.canonicalChanged(20), undefined, 'same hash: nothing to do');
    assert.equal(await ix.canonicalChanged(4 * SIZE + 1), undefined, 'past the built sections');
    assert.equal(ix.stats.rollbacks, 0);
    // Only block 20's hash changes (the source says so; the section head stays).
    source.blocks[20] = { ...a[20]!, hash: new Uint8Array(32).fill(0x20) };
    assert.equal(await ix.canonicalChanged(20), 1);
    assert.equal(ix.sectionCount, 4, 'rebuilt up to the head again');
    assert.equal(hexOf(verifyChtProof(ix.chtRoot(3), 20, ix.chtProof(3, be(20, 8))).hash), hexOf(new Uint8Array(32).fill(0x20)));
    assert.equal(hexOf(ix.chtRoot(3)), hexOf(await referenceChtRoot(source.blocks, 3, SIZE)));
    assert.equal(hexOf(ix.chtRoot(0)), hexOf(await referenceChtRoot(a, 0, SIZE)), 'section 0 kept');
  });

  it('discards a section whose blocks changed while it was read (a reorg mid-build) and builds it from the new chain', async () => {
    const a = syntheticChain(3 * SIZE + CONF, 81);
    const b = [...a.slice(0, SIZE + 4), ...syntheticChain(2 * SIZE + CONF - 4, 82, SIZE + 4, a[SIZE + 3]!.td)];
    const source = new MemorySource([...a]);
    // The reorg lands in the middle of reading section 1 the first time.
    const read = source.canonicalEntry.bind(source);
    let switched = false;
    source.canonicalEntry = async (n: number) => {
      if (!switched && n === SIZE + 10) {
        switched = true;
        source.blocks = b;
      }
      return read(n);
    };
    const log = new MemoryLog();
    const ix = await SectionIndexer.open(options(source, { log, readConcurrency: 4 }));
    assert.equal(await ix.update(), 3);
    assert.ok(switched);
    const expected = await referenceRoots(b, 3, SIZE);
    for (let i = 0; i < 3; i++) assert.equal(hexOf(ix.chtRoot(i)), hexOf(expected[i]!.cht), `CHT root ${i}`);
    assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1);
  });

  it('gives up with INDEXER_CHAIN_UNSTABLE when the chain changes under every attempt', async () => {
    const source = new MemorySource(syntheticChain(SIZE + CONF, 83));
    let flips = 0;
    source.canonicalEntry = async (n: number) => {
      const blk = source.blocks[n];
      return blk && { ...blk, hash: n === 5 ? new Uint8Array(32).fill(flips++ & 0xff) : blk.hash };
    };
    const ix = await SectionIndexer.open(options(source));
    await assert.rejects(ix.update(), isCode('INDEXER_CHAIN_UNSTABLE'));
    assert.equal(ix.sectionCount, 0);
  });

  it('keeps built sections when the chain store is behind them (heads unknown, not different)', async () => {
    const a = syntheticChain(4 * SIZE + CONF, 51);
    const source = new MemorySource(a);
    const ix = await SectionIndexer.open(options(source));
    await ix.update();
    source.blocks = a.slice(0, SIZE + 3);
    assert.equal(await ix.update(), 0);
    assert.equal(ix.sectionCount, 4);
    assert.equal(ix.stats.rollbacks, 0);
  });
});

describe('SectionIndexer: chain store problems', () => {
  it('stops at a missing block with INDEXER_MISSING_BLOCK naming it, and builds once it is there', async () => {
    const a = syntheticChain(2 * SIZE + CONF, 61);
    const holed = [...a];
    delete holed[SIZE + 5];
    const source = new MemorySource(holed);
    const ix = await SectionIndexer.open(options(source));
    await assert.rejects(ix.update(), (e) => isCode('INDEXER_MISSING_BLOCK')(e) && (e as IndexerError).field === `block[${SIZE + 5}]`);
    assert.equal(ix.sectionCount, 1, 'section 0 was committed before the hole');
    source.blocks = a;
    assert.equal(await ix.update(), 1);
  });

  it('refuses a block of the wrong shape', async () => {
    const a = syntheticChain(SIZE + CONF, 62);
    a[3] = { ...a[3]!, logsBloom: new Uint8Array(255) };
    const ix = await SectionIndexer.open(options(new MemorySource(a)));
    await assert.rejects(ix.update(), (e) => isCode('INDEXER_BAD_BLOCK')(e) && (e as IndexerError).field === 'block[3].logsBloom');
  });

  it('schedule() coalesces calls made during a run into one more run, and logs failures instead of throwing', async () => {
    const a = syntheticChain(2 * SIZE + CONF, 63);
    const holed = [...a];
    delete holed[2];
    const log = new MemoryLog();
    const ix = await SectionIndexer.open(options(new MemorySource(holed), { log }));
    ix.schedule();
    ix.schedule();
    ix.schedule();
    const errors = () => log.lines.filter((l) => l.level === 'error');
    for (let i = 0; i < 100 && errors().length < 2; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(errors().length, 2, 'the first run and one rerun');
    assert.ok(errors().every((e) => (e.obj as { err: unknown }).err instanceof IndexerError));
  });
});

describe('SectionIndexer: schedule', () => {
  it('runs once more after a run when heads arrived during it, building what became buildable', async () => {
    const all = syntheticChain(3 * SIZE + CONF, 64);
    const source = new MemorySource(all.slice(0, SIZE + CONF));
    const ix = await SectionIndexer.open(options(source));
    const built: number[] = [];
    ix.on('section', (r) => {
      built.push(r.index);
      if (r.index === 0) {
        // A new head arrives while section 0 is being committed.
        source.blocks = all;
        ix.schedule();
      }
    });
    ix.schedule();
    for (let i = 0; i < 50 && ix.sectionCount < 3; i++) await new Promise((r) => setTimeout(r, 10));
    await ix.idle();
    assert.deepEqual(built, [0, 1, 2]);
  });
});

describe('SectionIndexer: progress', () => {
  const stream = (isTTY: boolean) => {
    const chunks: string[] = [];
    return { chunks, stream: { isTTY, columns: 100, write: (s: string) => chunks.push(s) > 0 } };
  };

  it('draws a bar on a TTY when many sections are pending, instead of a line per section', async () => {
    const { chunks, stream: s } = stream(true);
    const log = new MemoryLog();
    const ix = await SectionIndexer.open(options(new MemorySource(syntheticChain(6 * SIZE + CONF, 71)), { log, progressStream: s, progressThreshold: 4 }));
    assert.equal(await ix.update(), 6);
    const bars = chunks.filter((c) => c.startsWith('\r'));
    assert.equal(bars.length, 7, 'drawn at start and after each section');
    assert.match(bars[6]!, /\[#+\] sections 6\/6/);
    assert.equal(chunks[chunks.length - 1], '\n');
    assert.equal(log.lines.filter((l) => l.msg === 'section built').length, 0);
  });

  it('writes plain log lines when stderr is not a TTY, or few sections are pending', async () => {
    for (const [isTTY, count] of [[false, 6], [true, 2]] as const) {
      const { chunks, stream: s } = stream(isTTY);
      const log = new MemoryLog();
      const ix = await SectionIndexer.open(options(new MemorySource(syntheticChain(count * SIZE + CONF, 72)), { log, progressStream: s, progressThreshold: 4 }));
      assert.equal(await ix.update(), count);
      assert.equal(chunks.length, 0);
      const lines = log.lines.filter((l) => l.msg === 'section built');
      assert.deepEqual(lines.map((l) => (l.obj as { section: number }).section), [...Array(count).keys()]);
    }
  });
});
