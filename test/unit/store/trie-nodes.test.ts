import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Trie } from '@ethereumjs/trie';
import { ValueEncoding, bytesToHex, hexToBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { openLevelStore } from '../../../src/store/level.js';
import { openMemoryStore } from '../../../src/store/memory.js';
import { TrieNodeStore } from '../../../src/store/trie-nodes.js';

const s = (x: string) => new TextEncoder().encode(x);
// The Ethereum wiki's Patricia-tree example; its root is quoted in the Yellow Paper tooling and ethereum/tests.
const PUPPY_ROOT = '0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3';
const EMPTY_ROOT = '0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function puppyTrie(nodes: TrieNodeStore) {
  const overlay = nodes.overlay();
  const trie = new Trie({ db: overlay, valueEncoding: ValueEncoding.Bytes });
  assert.equal(bytesToHex(trie.root()), EMPTY_ROOT);
  await trie.put(s('doe'), s('reindeer'));
  await trie.put(s('dog'), s('puppy'));
  await trie.put(s('dogglesworth'), s('cat'));
  return { trie, overlay };
}

describe('TrieNodeStore', () => {
  it('backs @ethereumjs/trie: the wiki example reaches its published root', async () => {
    const nodes = new TrieNodeStore(openMemoryStore().namespace('n'));
    const { trie } = await puppyTrie(nodes);
    assert.equal(bytesToHex(trie.root()), PUPPY_ROOT);
  });

  it('keeps writes in the overlay until flushed, stored under keccak256(node)', async () => {
    const kv = openMemoryStore().namespace('n');
    const nodes = new TrieNodeStore(kv);
    const { overlay } = await puppyTrie(nodes);
    assert.ok(overlay.written.size > 0);
    const rootNode = overlay.written.get(PUPPY_ROOT.slice(2));
    assert.ok(rootNode !== undefined);
    assert.equal(nodes.getSync(hexToBytes(PUPPY_ROOT)), undefined, 'nothing reaches the store before flush');
    for (const [hex, node] of overlay.written) assert.equal(bytesToHex(keccak256(node)), `0x${hex}`);
    await overlay.flush();
    assert.equal(overlay.written.size, 0);
    assert.deepEqual(await kv.get(hexToBytes(PUPPY_ROOT)), rootNode);
  });

  it('ignores deletes: a node may belong to other roots', async () => {
    const nodes = new TrieNodeStore(openMemoryStore().namespace('n'));
    const { trie, overlay } = await puppyTrie(nodes);
    await overlay.flush();
    const before = trie.root();
    await trie.del(s('dog'));
    await overlay.flush();
    const old = new Trie({ db: nodes.overlay(), root: before, valueEncoding: ValueEncoding.Bytes });
    assert.deepEqual(await old.get(s('dog')), s('puppy'));
  });

  it('serves reads from the cache after the first store read', async () => {
    const nodes = new TrieNodeStore(openMemoryStore().namespace('n'), { cacheBytes: 1 << 20 });
    const { overlay } = await puppyTrie(nodes);
    await overlay.flush();
    const fresh = new TrieNodeStore(nodes.kv);
    fresh.getSync(hexToBytes(PUPPY_ROOT));
    fresh.getSync(hexToBytes(PUPPY_ROOT));
    assert.deepEqual(fresh.stats, { cacheHits: 1, storeReads: 1 });
    assert.equal(fresh.getSync(new Uint8Array(32)), undefined);
  });

  it('persists nodes in LevelDB: a reopened store reads the trie by its root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lesp-nodes-'));
    dirs.push(dir);
    const db = await openLevelStore(dir);
    const { overlay } = await puppyTrie(new TrieNodeStore(db.namespace('n')));
    await overlay.flush();
    await db.close();
    const again = await openLevelStore(dir);
    const trie = new Trie({ db: new TrieNodeStore(again.namespace('n')).overlay(), root: hexToBytes(PUPPY_ROOT), valueEncoding: ValueEncoding.Bytes });
    assert.deepEqual(await trie.get(s('dogglesworth')), s('cat'));
    assert.equal(await trie.get(s('cat')), null);
    await again.close();
  });
});
