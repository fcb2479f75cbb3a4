// ChainStore: appends, total difficulty, canonical index, tx lookup, reorgs (longer and shorter
// branches, plain rollback), old branches kept by hash, persistence over LevelDB, lazy bodies and
// receipts through a fetcher, corrupt stored values. Blocks are synthetic headers linked by their
// keccak hashes; expected values are the inputs and arithmetic done here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type BlockFetcher, type ChainBlock, ChainError, ChainStore, type SectionSource, type StoredBody } from '../../../src/serve/chain/index.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { type BlockHeader, encodeHeader } from '../../../src/verify/header.js';

const DIFF = 131072n;
const zero = (n: number) => new Uint8Array(n);
const filled = (n: number, v: number) => new Uint8Array(n).fill(v);
const txHash = (label: string) => keccak256(new TextEncoder().encode(label));
const tmpDirs: string[] = [];
after(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** `count` blocks after `parent` (or from genesis); `salt` makes a distinct branch. */
function chain(parent: ChainBlock | undefined, count: number, salt = 0, txs: (n: number) => string[] = () => []): ChainBlock[] {
  const out: ChainBlock[] = [];
  let prev = parent;
  for (let i = 0; i < count; i++) {
    const number = prev === undefined ? 0 : prev.number + 1;
    const header: BlockHeader = {
      parentHash: prev?.hash ?? zero(32),
      uncleHash: zero(32),
      coinbase: zero(20),
      stateRoot: filled(32, salt),
      transactionsRoot: zero(32),
      receiptsRoot: zero(32),
      logsBloom: filled(256, number & 0xff),
      difficulty: DIFF,
      number,
      gasLimit: 30_000_000n,
      gasUsed: 0n,
      timestamp: 1_700_000_000 + number,
      extraData: Uint8Array.of(salt),
      mixHash: zero(32),
      nonce: zero(8),
    };
    const rlp = encodeHeader(header);
    const b: ChainBlock = { hash: keccak256(rlp), number, header, rlp, txHashes: txs(number).map(txHash) };
    out.push(b);
    prev = b;
  }
  return out;
}

const at = (blocks: ChainBlock[], n: number) => blocks.find((b) => b.number === n) as ChainBlock;

async function assertCanonical(store: ChainStore, blocks: ChainBlock[]): Promise<void> {
  for (const b of blocks) assert.deepEqual(await store.canonicalHash(b.number), b.hash, `canonical ${b.number}`);
}

describe('ChainStore appends', () => {
  it('stores headers, cumulative TD, canonical index, head; implements SectionSource', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    assert.equal(store.head(), undefined);
    assert.equal(store.headNumber(), -1);
    const a = chain(undefined, 11);
    const r = await store.commit(a.slice(0, 5));
    assert.equal(r.reorgDepth, 0);
    assert.deepEqual(r.tds, [1n, 2n, 3n, 4n, 5n].map((k) => k * DIFF));
    await store.commit(a.slice(5));
    assert.deepEqual(store.head(), { hash: at(a, 10).hash, number: 10, td: 11n * DIFF });
    const src: SectionSource = store;
    assert.equal(src.headNumber(), 10);
    for (const b of a) {
      assert.deepEqual((await store.headerByNumber(b.number))?.rlp, b.rlp);
      assert.deepEqual((await store.headerByHash(b.hash))?.header.parentHash, b.header.parentHash);
      assert.equal(await store.td(b.hash), BigInt(b.number + 1) * DIFF);
      const e = await src.canonicalEntry(b.number);
      assert.deepEqual(e, { hash: b.hash, td: BigInt(b.number + 1) * DIFF, logsBloom: b.header.logsBloom });
    }
    assert.equal(await store.canonicalHash(11), undefined);
    assert.equal(await src.canonicalEntry(11), undefined);
    assert.equal(await store.headerByNumber(-1), undefined);
  });

  it('serves headers from its LRU cache after the first read', async () => {
    const kv = openMemoryStore();
    const a = chain(undefined, 3);
    await (await ChainStore.open({ store: kv })).commit(a);
    const store = await ChainStore.open({ store: kv });
    const reads = store.stats.headerReads;
    await store.headerByHash(at(a, 1).hash);
    await store.headerByHash(at(a, 1).hash);
    assert.equal(store.stats.headerReads, reads + 1);
    assert.ok(store.stats.headerCacheHits >= 1);
  });

  it('indexes transactions and keeps bodies and receipts given with a block', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 4, 0, (n) => (n === 2 ? ['x', 'y'] : []));
    const body: StoredBody = { transactions: [Uint8Array.of(2, 1), Uint8Array.of(2, 2)], uncles: [], withdrawals: [] };
    const blocks = a.map((b) => (b.number === 2 ? { ...b, body, receipts: [Uint8Array.of(2, 0xc0)] } : b));
    await store.commit(blocks);
    assert.deepEqual(await store.txLookup(txHash('y')), { blockHash: at(a, 2).hash, blockNumber: 2, txIndex: 1 });
    assert.equal(await store.txLookup(txHash('z')), undefined);
    assert.deepEqual(await store.getBody(at(a, 2).hash), body);
    assert.deepEqual(await store.getReceipts(at(a, 2).hash), [Uint8Array.of(2, 0xc0)]);
    assert.equal(await store.getBody(at(a, 1).hash), undefined, 'no body and no fetcher');
    assert.equal(await store.hasBody(at(a, 1).hash), false);
  });

  it('refuses blocks that do not link to the head and leaves the store unchanged', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 5);
    await store.commit(a.slice(0, 3));
    const other = chain(at(a, 1), 2, 9); // blocks 2', 3' on another parent
    await assert.rejects(store.commit(other.slice(1)), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_UNLINKED');
    await assert.rejects(store.commit([at(a, 4)]), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_UNLINKED', 'a gap');
    await assert.rejects(store.commit([at(a, 3), at(a, 3)]), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_UNLINKED', 'not consecutive');
    await assert.rejects(
      (await ChainStore.open({ store: openMemoryStore() })).commit([at(a, 1)]),
      (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_UNLINKED',
      'an empty store starts at genesis',
    );
    assert.equal(store.headNumber(), 2);
    assert.equal(await store.headerByHash((other[1] as ChainBlock).hash), undefined);
  });
});

describe('ChainStore reorgs', () => {
  it('replaces the canonical chain above the ancestor, keeps old headers, moves tx lookups', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 11, 0, (n) => (n === 8 ? ['only-a'] : n === 9 ? ['both', 'a9'] : []));
    await store.commit(a);
    const b = chain(at(a, 6), 6, 1, (n) => (n === 11 ? ['b11', 'both'] : [])); // 7'..12'
    const r = await store.commit(b, { ancestor: 6 });
    assert.equal(r.reorgDepth, 4, 'blocks 7..10 rolled back');
    assert.equal(r.ancestor, 6);
    assert.deepEqual(store.head(), { hash: at(b, 12).hash, number: 12, td: 13n * DIFF });
    await assertCanonical(store, [...a.slice(0, 7), ...b]);
    for (const old of a.slice(7)) assert.deepEqual((await store.headerByHash(old.hash))?.rlp, old.rlp, 'old branch kept by hash');
    assert.equal(await store.txLookup(txHash('only-a')), undefined);
    assert.equal(await store.txLookup(txHash('a9')), undefined);
    assert.deepEqual(await store.txLookup(txHash('both')), { blockHash: at(b, 11).hash, blockNumber: 11, txIndex: 1 });
  });

  it('follows a shorter branch and a plain rollback, dropping canonical entries above the new head', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 13, 0, (n) => (n === 12 ? ['a12'] : []));
    await store.commit(a);
    const b = chain(at(a, 10), 1, 2); // 11'
    const r = await store.commit(b, { ancestor: 10 });
    assert.equal(r.reorgDepth, 2);
    assert.equal(store.headNumber(), 11);
    assert.equal(await store.canonicalHash(12), undefined);
    assert.equal(await store.txLookup(txHash('a12')), undefined);
    await assertCanonical(store, [...a.slice(0, 11), ...b]);

    const back = await store.commit([], { ancestor: 8 });
    assert.equal(back.reorgDepth, 3);
    assert.deepEqual(store.head(), { hash: at(a, 8).hash, number: 8, td: 9n * DIFF });
    assert.equal(await store.canonicalHash(9), undefined);
    assert.equal(await store.headerByNumber(9), undefined);
    await assert.rejects(store.commit([], { ancestor: 9 }), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_UNLINKED');
  });

  it('returns to a branch it held before', async () => {
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 6, 0, (n) => (n === 5 ? ['a5'] : []));
    await store.commit(a);
    const b = chain(at(a, 3), 3, 1);
    await store.commit(b, { ancestor: 3 });
    const r = await store.commit(a.slice(4), { ancestor: 3 });
    assert.equal(r.reorgDepth, 3);
    await assertCanonical(store, a);
    assert.deepEqual(await store.txLookup(txHash('a5')), { blockHash: at(a, 5).hash, blockNumber: 5, txIndex: 0 });
  });
});

describe('ChainStore persistence', () => {
  it('reopens from LevelDB with the same head, index, TD and lookups', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chain-store-'));
    tmpDirs.push(dir);
    const a = chain(undefined, 20, 0, (n) => (n === 15 ? ['t15'] : []));
    let kv = await openLevelStore(dir);
    const s1 = await ChainStore.open({ store: kv.namespace('chain') });
    await s1.commit(a.slice(0, 10));
    await s1.commit(a.slice(10));
    await kv.close();
    kv = await openLevelStore(dir);
    const s2 = await ChainStore.open({ store: kv.namespace('chain') });
    assert.deepEqual(s2.head(), { hash: at(a, 19).hash, number: 19, td: 20n * DIFF });
    await assertCanonical(s2, a);
    assert.deepEqual(await s2.txLookup(txHash('t15')), { blockHash: at(a, 15).hash, blockNumber: 15, txIndex: 0 });
    await kv.close();
  });

  it('refuses a store whose head pointer names a missing header, and corrupt bodies', async () => {
    const kv = openMemoryStore();
    await kv.namespace('meta').put(new TextEncoder().encode('head'), filled(32, 7));
    await assert.rejects(ChainStore.open({ store: kv }), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_CORRUPT');

    const kv2 = openMemoryStore();
    const store = await ChainStore.open({ store: kv2 });
    const a = chain(undefined, 2);
    await store.commit(a);
    await kv2.namespace('b').put(at(a, 1).hash, Uint8Array.of(0xc1, 0x80));
    await assert.rejects(store.getBody(at(a, 1).hash), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_CORRUPT');
    await kv2.namespace('r').put(at(a, 1).hash, Uint8Array.of(0xc2, 0xc0));
    await assert.rejects(store.getReceipts(at(a, 1).hash), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_CORRUPT');
    await kv2.namespace('tx').put(txHash('bad'), Uint8Array.of(1, 2, 3));
    await assert.rejects(store.txLookup(txHash('bad')), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_CORRUPT');
  });
});

describe('ChainStore lazy bodies and receipts', () => {
  const body: StoredBody = { transactions: [Uint8Array.of(0xc1, 0x01)], uncles: [] };
  const setup = async (fetcher: BlockFetcher) => {
    const store = await ChainStore.open({ store: openMemoryStore(), fetcher });
    const a = chain(undefined, 3, 0, (n) => (n === 1 ? [] : []));
    await store.commit(a);
    return { store, a };
  };

  it('fetches once for concurrent readers, then serves from the store', async () => {
    let bodyCalls = 0;
    let receiptCalls = 0;
    const { store, a } = await setup({
      async fetchBody(h) {
        bodyCalls++;
        assert.equal(h.number, 1, 'the fetcher gets the stored header');
        await new Promise((r) => setTimeout(r, 20));
        return body;
      },
      async fetchReceipts() {
        receiptCalls++;
        return [Uint8Array.of(0xc0)];
      },
    });
    const h = at(a, 1).hash;
    const got = await Promise.all([store.getBody(h), store.getBody(h), store.getBody(h)]);
    for (const g of got) assert.deepEqual(g, body);
    assert.deepEqual(await store.getBody(h), body);
    assert.equal(bodyCalls, 1);
    assert.equal(await store.hasBody(h), true);
    assert.deepEqual(await store.getReceipts(h), [Uint8Array.of(0xc0)]);
    assert.deepEqual(await store.getReceipts(h), [Uint8Array.of(0xc0)]);
    assert.equal(receiptCalls, 1);
    assert.equal(await store.getBody(filled(32, 3)), undefined, 'unknown block: no fetch');
    assert.equal(bodyCalls, 1);
  });

  it('caches nothing when the fetch fails or the node lacks the block', async () => {
    let fail = true;
    const { store, a } = await setup({
      async fetchBody() {
        if (fail) throw new ChainError('CHAIN_BAD_BLOCK', 'bad body');
        return undefined;
      },
      async fetchReceipts() {
        return undefined;
      },
    });
    const h = at(a, 2).hash;
    await assert.rejects(store.getBody(h), (e: unknown) => e instanceof ChainError && e.code === 'CHAIN_BAD_BLOCK');
    assert.equal(await store.hasBody(h), false);
    fail = false;
    assert.equal(await store.getBody(h), undefined);
    assert.equal(await store.getReceipts(h), undefined);
    assert.equal(await store.hasReceipts(h), false);
  });

  it('confirmedTx: the lookup holds only when the checked body has that transaction at that index', async () => {
    const tx = Uint8Array.of(0x02, 0xc3, 1, 2, 3);
    const store = await ChainStore.open({ store: openMemoryStore() });
    const a = chain(undefined, 3);
    const b1 = { ...at(a, 1), txHashes: [txHash('listed'), keccak256(tx)] };
    await store.commit([at(a, 0), { ...b1, body: { transactions: [Uint8Array.of(0xc0), tx], uncles: [] } }, at(a, 2)]);
    assert.deepEqual(await store.confirmedTx(keccak256(tx)), { blockHash: b1.hash, blockNumber: 1, txIndex: 1 });
    assert.ok(await store.txLookup(txHash('listed')), 'indexed from the listed hashes');
    assert.equal(await store.confirmedTx(txHash('listed')), undefined, 'but the body disagrees');
  });
});
