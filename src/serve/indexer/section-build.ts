/**
 * One section of the helper tries (DESIGN §4): read its blocks from the chain store, add its CHT
 * entries (BE64(number) → rlp([hash, td])) to the previous CHT, rotate its blooms into the 2048
 * BloomBits vectors, and add the non-zero ones (BE16(bit) ‖ BE64(section) → compressed vector) to
 * the previous BloomTrie. Pure apart from the reads; the caller persists the result atomically.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { SectionSource } from '../chain/section-source.js';
import { BLOOM_BITS, BLOOM_BYTES, BloomBitsGenerator, bloomTrieKey, chtKey, compressBloomBits, encodeChtValue } from '../../verify/index.js';
import { IndexerError } from './errors.js';
import { type NodeLookup, insertSortedInSteps } from './trie-insert.js';

export interface SectionBlock {
  hash: Uint8Array;
  td: bigint;
  logsBloom: Uint8Array;
}

export interface BuiltSection {
  index: number;
  /** Hash of the section's last block. */
  head: Uint8Array;
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
  /** Trie nodes created for both roots, by unprefixed hex hash. */
  nodes: Map<string, Uint8Array>;
  /** Compressed vector per bloom bit (index = bit); empty for an all-zero vector. */
  vectors: Uint8Array[];
}

/** The `size` blocks of section `index`, checked for shape; a missing block is INDEXER_MISSING_BLOCK. */
export async function readSectionBlocks(source: SectionSource, index: number, size: number, concurrency = 256): Promise<SectionBlock[]> {
  const first = index * size;
  const out = new Array<SectionBlock>(size);
  for (let lo = 0; lo < size; lo += concurrency) {
    const hi = Math.min(size, lo + concurrency);
    const got = await Promise.all(Array.from({ length: hi - lo }, (_, i) => source.canonicalEntry(first + lo + i)));
    got.forEach((e, i) => {
      const n = first + lo + i;
      if (e === undefined) throw new IndexerError('INDEXER_MISSING_BLOCK', `the chain store has no canonical block ${n}`, { field: `block[${n}]` });
      if (!(e.hash instanceof Uint8Array) || e.hash.length !== 32) {
        throw new IndexerError('INDEXER_BAD_BLOCK', `block ${n}: hash is not 32 bytes`, { field: `block[${n}].hash` });
      }
      if (!(e.logsBloom instanceof Uint8Array) || e.logsBloom.length !== BLOOM_BYTES) {
        throw new IndexerError('INDEXER_BAD_BLOCK', `block ${n}: logsBloom is not ${BLOOM_BYTES} bytes`, { field: `block[${n}].logsBloom` });
      }
      if (typeof e.td !== 'bigint' || e.td < 0n) throw new IndexerError('INDEXER_BAD_BLOCK', `block ${n}: bad total difficulty`, { field: `block[${n}].td` });
      out[lo + i] = e;
    });
  }
  return out;
}

export interface PreviousRoots {
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

/** Work done between two turns of the event loop: a mainnet section is seconds of hashing. */
const STEP = 4096;

/**
 * Section `index` on top of the previous section's roots (the empty trie's root for section 0).
 * Yields to the event loop every few thousand blocks or entries, so serving goes on meanwhile.
 */
export async function buildSection(
  prev: PreviousRoots,
  index: number,
  blocks: readonly SectionBlock[],
  lookup: NodeLookup,
  pause: () => Promise<unknown> = () => nextTurn(),
): Promise<BuiltSection> {
  const size = blocks.length;
  const first = index * size;
  const chtEntries = new Array<readonly [Uint8Array, Uint8Array]>(size);
  const gen = new BloomBitsGenerator(size);
  for (let j = 0; j < size; j++) {
    if (j > 0 && j % STEP === 0) await pause();
    const b = blocks[j] as SectionBlock;
    chtEntries[j] = [chtKey(first + j), encodeChtValue(b)];
    gen.addBloom(j, b.logsBloom);
  }
  const vectors = new Array<Uint8Array>(BLOOM_BITS);
  const bloomEntries: Array<readonly [Uint8Array, Uint8Array]> = [];
  for (let bit = 0; bit < BLOOM_BITS; bit++) {
    if (bit > 0 && bit % 256 === 0) await pause();
    const c = compressBloomBits(gen.bitset(bit));
    vectors[bit] = c;
    if (c.length > 0) bloomEntries.push([bloomTrieKey(bit, index), c]);
  }
  const cht = await insertSortedInSteps(prev.chtRoot, chtEntries, lookup, { chunk: STEP, pause });
  // BloomTrie values are up to size/8 bytes each: about 256 KiB of them per step.
  const bt = await insertSortedInSteps(prev.bloomTrieRoot, bloomEntries, lookup, { chunk: Math.max(16, Math.floor(2 ** 21 / size)), pause });
  for (const [k, v] of bt.nodes) cht.nodes.set(k, v);
  return { index, head: (blocks[size - 1] as SectionBlock).hash, chtRoot: cht.root, bloomTrieRoot: bt.root, nodes: cht.nodes, vectors };
}
