// ChainStore history gap: a recent segment anchored above unfilled history (the server listens
// before every header is stored). Reads in the gap answer nothing; history batches extend the
// filled chain from genesis; reaching the anchor closes the gap (TDs rewritten to the summed ones
// when the anchor's TD from the node differed) or drops a segment that does not descend from the
// history; the gap survives a reopen; reorgs cannot reach into it. Blocks are synthetic headers
// linked by their keccak hashes; expected values are the inputs and arithmetic done here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type ChainBlock, ChainStore } from '../../../src/serve/chain/index.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { type BlockHeader, encodeHeader } from '../../../src/verify/header.js';

const zero = (n: number) => new Uint8Array(n);
const tmpDirs: string[] = [];
after(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `count` blocks after `parent` (or from genesis) with difficulty `diff`; `salt` makes a distinct branch. */
function chain(parent: ChainBlock | undefined, count: number, diff: bigint, salt = 0): ChainBlock[] {
  const out: ChainBlock[] = [];
  let prev = parent;
  for (let i = 0; i < count; i++) {
    const number = prev === undefined ? 0 : prev.number + 1;
    const header: BlockHeader = {
      parentHash: prev?.hash ?? zero(32),
      uncleHash: zero(32),
      coinbase: zero(20),
      stateRoot: new Uint8Array(32).fill(salt),
      transactionsRoot: zero(32),
      receiptsRoot: zero(32),
      logsBloom: zero(256),
      difficulty: diff,
      number,
      gasLimit: 30_000_000n,
      gasUsed: 0n,
      timestamp: 1_700_000_000 + number,
      extraData: Uint8Array.of(salt),
      mixHash: zero(32),
      nonce: zero(8),
    };
    const rlp = encodeHeader(header);
    const txHashes = [keccak256(Uint8Array.of(salt, number & 0xff, number >> 8))];
    const b: ChainBlock = { hash: keccak256(rlp), number, header, rlp, txHashes };
    out.push(b);
    prev = b;
  }
  return out;
}

/** 0..99: difficulty 10 up to 49, then 0 (a merge at 50), as the node's chain. */
function nodeChain(): ChainBlock[] {
  const pow = chain(undefined, 50, 10n);
  return [...pow, ...chain(pow[49], 50, 0n)];
}

describe('ChainStore history gap', () => {
  it('serves the segment, answers nothing in the gap, and closes it when the history reaches the anchor', async () => {
    const blocks = nodeChain();
    const store = await ChainStore.open({ store: openMemoryStore() });
    await store.commit(blocks.slice(0, 1));
    // The node says TD 999 at the anchor; the history sums to 500 (50 blocks × 10).
    await store.commitAnchor(blocks[80] as ChainBlock, 999n);
    await store.commit(blocks.slice(81, 90));
    assert.deepEqual(store.historyGap(), { filled: 0, anchor: 80 });
    assert.equal(store.historyHead(), 0);
    assert.equal(store.head()?.number, 89);
    assert.equal(store.head()?.td, 999n);
    assert.deepEqual((await store.headerByNumber(85))?.hash, blocks[85]?.hash);
    assert.equal(await store.canonicalHash(40), undefined, 'nothing in the gap');
    assert.equal(await store.headerByNumber(79), undefined);
    // A reorg cannot reach below the anchor.
    await assert.rejects(store.commit(chain(blocks[79], 3, 0n, 7)), { code: 'CHAIN_UNLINKED' });

    assert.deepEqual(await store.commitHistory(blocks.slice(1, 40)), { result: 'open', tds: blocks.slice(1, 40).map((b) => BigInt(Math.min(b.number, 49) + 1) * 10n) });
    assert.equal(store.historyHead(), 39);
    await assert.rejects(store.commitHistory(blocks.slice(41, 50)), { code: 'CHAIN_UNLINKED' }, 'a batch must extend the filled history');
    assert.equal((await store.commitHistory(blocks.slice(40, 80))).result, 'joined');
    assert.equal(store.historyGap(), undefined);
    assert.equal(store.historyHead(), 89);
    for (const b of blocks.slice(0, 90)) assert.deepEqual(await store.canonicalHash(b.number), b.hash, `canonical ${b.number}`);
    // TD from genesis: 50 × 10, constant after the merge; the node's 999 is replaced.
    assert.equal(store.head()?.td, 500n);
    assert.equal(await store.td((blocks[85] as ChainBlock).hash), 500n);
    // Following on after the gap closed.
    await store.commit(blocks.slice(90, 95));
    assert.equal(store.head()?.number, 94);
  });

  it('drops a segment the history does not link to, and the filled chain becomes the head', async () => {
    const blocks = nodeChain();
    const other = chain(blocks[60], 30, 0n, 9); // 61..90 on another branch
    const store = await ChainStore.open({ store: openMemoryStore() });
    await store.commit(blocks.slice(0, 1));
    await store.commitAnchor(other[19] as ChainBlock, 500n); // block 80 of the other branch
    const txOfSegment = (other[19] as ChainBlock).txHashes[0] as Uint8Array;
    assert.ok((await store.txLookup(txOfSegment)) !== undefined);
    const r = await store.commitHistory(blocks.slice(1, 80));
    assert.equal(r.result, 'dropped');
    assert.equal(store.historyGap(), undefined);
    assert.equal(store.head()?.number, 79);
    assert.deepEqual(store.head()?.hash, blocks[79]?.hash);
    assert.equal(await store.canonicalHash(80), undefined);
    assert.equal(await store.txLookup(txOfSegment), undefined, 'the dropped segment leaves no tx lookup');
    await store.commit(blocks.slice(80, 82));
    assert.equal(store.head()?.number, 81);
  });

  it('keeps the gap and the filled history over a reopen of LevelDB', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lesp-gap-'));
    tmpDirs.push(dir);
    const blocks = nodeChain();
    let kv = await openLevelStore(dir);
    let store = await ChainStore.open({ store: kv.namespace('chain') });
    await store.commit(blocks.slice(0, 1));
    await store.commitAnchor(blocks[70] as ChainBlock, 500n);
    await store.commitHistory(blocks.slice(1, 30));
    await kv.close();
    kv = await openLevelStore(dir);
    store = await ChainStore.open({ store: kv.namespace('chain') });
    assert.deepEqual(store.historyGap(), { filled: 29, anchor: 70 });
    assert.equal(store.head()?.number, 70);
    assert.equal((await store.commitHistory(blocks.slice(30, 70))).result, 'joined');
    assert.equal(store.head()?.td, 500n);
    await kv.close();
  });

  it('refuses an anchor that leaves no gap', async () => {
    const blocks = nodeChain();
    const store = await ChainStore.open({ store: openMemoryStore() });
    await store.commit(blocks.slice(0, 5));
    await assert.rejects(store.commitAnchor(blocks[5] as ChainBlock, 60n), { code: 'CHAIN_UNLINKED' });
    await store.commitAnchor(blocks[6] as ChainBlock, 70n);
    await assert.rejects(store.commitAnchor(blocks[9] as ChainBlock, 100n), { code: 'CHAIN_UNLINKED' }, 'one gap at a time');
  });
});
