/**
 * Section indexer throughput at mainnet section size (32768 blocks):
 *   1. CHT append with the bulk sorted insert, vs @ethereumjs/trie put, entries/s;
 *   2. whole sections (CHT + BloomBits + BloomTrie) through SectionIndexer on LevelDB, with
 *      mainnet-like blooms (a few hundred bits set per block), s/section and blocks/s;
 *   3. serving: CHT and BloomTrie proofs per second.
 * Usage: node --import tsx bench/indexer.ts [sections=6] [bloomBitsPerBlock=400]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Trie } from '@ethereumjs/trie';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { SectionSource } from '../src/serve/chain/section-source.js';
import { SectionIndexer, insertSorted } from '../src/serve/indexer/index.js';
import { openLevelStore } from '../src/store/level.js';
import { EMPTY_TRIE_ROOT, bloomTrieKey, chtKey, encodeChtValue } from '../src/verify/index.js';

const SIZE = 32768;
const sections = Number(process.argv[2] ?? 6);
const bitsPerBlock = Number(process.argv[3] ?? 400);

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// 256 distinct blooms, picked per block: enough variety for realistic vectors, cheap to serve.
const r = rng(1);
const BLOOMS = Array.from({ length: 256 }, () => {
  const b = new Uint8Array(256);
  for (let i = 0; i < bitsPerBlock; i++) {
    const bit = Math.floor(r() * 2048);
    b[255 - (bit >> 3)] = (b[255 - (bit >> 3)] as number) | (1 << (bit & 7));
  }
  return b;
});

function entry(n: number) {
  const hash = keccak256(chtKey(n));
  return { hash, td: 58750003716598352816469n + BigInt(n), logsBloom: BLOOMS[((hash[0] as number) + n) & 255] as Uint8Array };
}

const source: SectionSource & { head: number } = {
  head: -1,
  headNumber() {
    return this.head;
  },
  async canonicalEntry(n: number) {
    return n <= this.head ? entry(n) : undefined;
  },
};

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en')}/s`;
}

async function chtAppend(): Promise<void> {
  const nodes = new Map<string, Uint8Array>();
  const lookup = (h: Uint8Array) => nodes.get(Buffer.from(h).toString('hex'));
  let root = EMPTY_TRIE_ROOT;
  let ms = 0;
  let first: Array<readonly [Uint8Array, Uint8Array]> = [];
  for (let s = 0; s < sections; s++) {
    // Entries are prepared outside the timing: in the server they come from the chain store.
    const entries = Array.from({ length: SIZE }, (_, j) => {
      const n = s * SIZE + j;
      return [chtKey(n), encodeChtValue(entry(n))] as const;
    });
    if (s === 0) first = entries;
    const t0 = performance.now();
    const res = insertSorted(root, entries, lookup);
    for (const [k, v] of res.nodes) nodes.set(k, v);
    root = res.root;
    ms += performance.now() - t0;
  }
  console.log(`CHT bulk insert (memory): ${sections * SIZE} entries in ${ms.toFixed(0)} ms = ${rate(sections * SIZE, ms)}, ${nodes.size} nodes`);

  const trie = new Trie();
  const t1 = performance.now();
  for (const [k, v] of first) await trie.put(k, v);
  const ms1 = performance.now() - t1;
  console.log(`@ethereumjs/trie put (memory, 1 section): ${first.length} entries in ${ms1.toFixed(0)} ms = ${rate(first.length, ms1)}`);
  const x = new Uint8Array(80);
  const t2 = performance.now();
  for (let i = 0; i < 100_000; i++) {
    x[0] = i;
    keccak256(x);
  }
  console.log(`  (keccak256 of 80 bytes on this machine now: ${rate(100_000, performance.now() - t2)})`);
}

async function fullSections(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lesp-bench-indexer-'));
  try {
    const kv = await openLevelStore(dir);
    const ix = await SectionIndexer.open({ store: kv.namespace('ix'), source, network: { sectionSize: SIZE, buildConfirmations: 256 }, progressStream: null });
    source.head = sections * SIZE - 1 + 256;
    const t0 = performance.now();
    const built = await ix.update();
    const ms = performance.now() - t0;
    console.log(`SectionIndexer on LevelDB: ${built} sections in ${(ms / 1000).toFixed(1)} s = ${(ms / built / 1000).toFixed(2)} s/section, ${rate(built * SIZE, ms)} blocks; ~${Math.round((700 * ms) / built / 60000)} min for 700 mainnet sections`);
    let vecBytes = 0;
    let vecs = 0;
    for (let bit = 0; bit < 2048; bit++) {
      const v = ix.bloomBits(bit, built - 1);
      if (v.length > 0) {
        vecs++;
        vecBytes += v.length;
      }
    }
    console.log(`  last section: ${vecs} non-zero vectors, ${Math.round(vecBytes / Math.max(1, vecs))} bytes compressed on average (of ${SIZE / 8})`);
    const last = built - 1;
    const N = 20000;
    const rr = rng(2);
    let nodes = 0;
    const t1 = performance.now();
    for (let i = 0; i < N; i++) nodes += ix.chtProof(last, chtKey(Math.floor(rr() * built * SIZE))).length;
    const ms1 = performance.now() - t1;
    console.log(`  CHT proofs: ${rate(N, ms1)} (${(nodes / N).toFixed(1)} nodes each)`);
    const t2 = performance.now();
    for (let i = 0; i < N; i++) ix.bloomTrieProof(last, bloomTrieKey(Math.floor(rr() * 2048), Math.floor(rr() * built)));
    console.log(`  BloomTrie proofs: ${rate(N, performance.now() - t2)}`);
    await kv.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await chtAppend();
await fullSections();
