/**
 * Test fixtures for the section indexers: an in-memory SectionSource, synthetic chains, and the
 * helper tries built independently from the LES spec's definitions (DESIGN §4) with
 * @ethereumjs/trie — nothing here calls the code under test.
 */
import { RLP } from '@ethereumjs/rlp';
import { Trie } from '@ethereumjs/trie';
import { bigIntToUnpaddedBytes } from '@ethereumjs/util';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { SectionSource } from '../../../src/serve/chain/section-source.js';
import { prng } from '../../helpers/prng.js';

export const rng = prng;

export interface SourceBlock {
  hash: Uint8Array;
  td: bigint;
  logsBloom: Uint8Array;
}

export class MemorySource implements SectionSource {
  reads = 0;
  constructor(public blocks: SourceBlock[] = []) {}
  headNumber(): number {
    return this.blocks.length - 1;
  }
  async canonicalEntry(n: number): Promise<SourceBlock | undefined> {
    this.reads++;
    return this.blocks[n];
  }
}

export function be(n: number | bigint, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let v = BigInt(n);
  for (let i = width - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Yellow Paper bloom: the low 11 bits of each of the first three byte pairs of keccak256(x). */
export function bloomBitsOf(x: Uint8Array): number[] {
  const h = keccak256(x);
  return [0, 1, 2].map((i) => (((h[2 * i] as number) << 8) | (h[2 * i + 1] as number)) & 2047);
}

/** Spec: bloom bit b is byte 255 − b/8, mask 1 << (b mod 8). */
export function bloomBit(bloom: Uint8Array, b: number): boolean {
  return ((bloom[255 - (b >> 3)] as number) & (1 << (b & 7))) !== 0;
}

export function setBloomBit(bloom: Uint8Array, b: number): void {
  bloom[255 - (b >> 3)] = (bloom[255 - (b >> 3)] as number) | (1 << (b & 7));
}

export const POOL = Array.from({ length: 24 }, (_, i) => keccak256(Uint8Array.of(0xad, i)).slice(12));

/** A chain with distinct hashes (seeded), growing TD, blooms of 0-3 logging addresses from POOL. */
export function syntheticChain(count: number, seed: number, start = 0, startTd = 0n): SourceBlock[] {
  const r = rng(seed);
  const out: SourceBlock[] = [];
  let td = startTd;
  for (let n = start; n < start + count; n++) {
    td += 131072n + BigInt(n);
    const logsBloom = new Uint8Array(256);
    const logs = r() < 0.4 ? 0 : 1 + Math.floor(r() * 3);
    for (let i = 0; i < logs; i++) for (const b of bloomBitsOf(POOL[Math.floor(r() * POOL.length)] as Uint8Array)) setBloomBit(logsBloom, b);
    out.push({ hash: keccak256(Uint8Array.from([...be(seed, 4), ...be(n, 8)])), td, logsBloom });
  }
  return out;
}

/** Spec vector: bit j (MSB first) of vector b in section s is bloom bit b of block s·size+j. */
export function specVector(blocks: readonly SourceBlock[], bit: number, section: number, size: number): Uint8Array {
  const v = new Uint8Array(size / 8);
  for (let j = 0; j < size; j++) {
    if (bloomBit((blocks[section * size + j] as SourceBlock).logsBloom, bit)) v[j >> 3] = (v[j >> 3] as number) | (0x80 >> (j & 7));
  }
  return v;
}

/** Spec CompressBytes, kept raw when not smaller (DESIGN §4). */
export function specCompress(data: Uint8Array): Uint8Array {
  const enc = (d: Uint8Array): Uint8Array => {
    if (d.every((x) => x === 0)) return new Uint8Array(0);
    if (d.length <= 1) return d;
    const bitset = new Uint8Array((d.length + 7) >> 3);
    const nz: number[] = [];
    d.forEach((x, i) => {
      if (x !== 0) {
        bitset[i >> 3] = (bitset[i >> 3] as number) | (1 << (7 - (i % 8)));
        nz.push(x);
      }
    });
    return Uint8Array.from([...enc(bitset), ...nz]);
  };
  const out = enc(data);
  return out.length < data.length ? out : data.slice();
}

/** CHT root of section i: blocks 0..(i+1)·size−1, key BE64(n), value rlp([hash, td]). */
export async function referenceChtRoot(blocks: readonly SourceBlock[], section: number, size: number): Promise<Uint8Array> {
  const trie = new Trie();
  for (let n = 0; n < (section + 1) * size; n++) {
    const b = blocks[n] as SourceBlock;
    await trie.put(be(n, 8), RLP.encode([b.hash, bigIntToUnpaddedBytes(b.td)]));
  }
  return trie.root();
}

/** BloomTrie root of section i: key BE16(bit) ‖ BE64(s) for s ≤ i, compressed vectors, zeros absent. */
export async function referenceBloomTrieRoot(blocks: readonly SourceBlock[], section: number, size: number): Promise<Uint8Array> {
  const trie = new Trie();
  for (let s = 0; s <= section; s++) {
    for (let bit = 0; bit < 2048; bit++) {
      const c = specCompress(specVector(blocks, bit, s, size));
      if (c.length > 0) await trie.put(Uint8Array.from([...be(bit, 2), ...be(s, 8)]), c);
    }
  }
  return trie.root();
}

/** Both roots of every section 0..sections−1, each trie grown section by section (same definitions as above). */
export async function referenceRoots(blocks: readonly SourceBlock[], sections: number, size: number): Promise<Array<{ cht: Uint8Array; bloomTrie: Uint8Array }>> {
  const cht = new Trie();
  const bt = new Trie();
  const out: Array<{ cht: Uint8Array; bloomTrie: Uint8Array }> = [];
  for (let s = 0; s < sections; s++) {
    for (let n = s * size; n < (s + 1) * size; n++) {
      const b = blocks[n] as SourceBlock;
      await cht.put(be(n, 8), RLP.encode([b.hash, bigIntToUnpaddedBytes(b.td)]));
    }
    for (let bit = 0; bit < 2048; bit++) {
      const c = specCompress(specVector(blocks, bit, s, size));
      if (c.length > 0) await bt.put(Uint8Array.from([...be(bit, 2), ...be(s, 8)]), c);
    }
    out.push({ cht: cht.root(), bloomTrie: bt.root() });
  }
  return out;
}

export function hexOf(b: Uint8Array): string {
  return `0x${Buffer.from(b).toString('hex')}`;
}

/** A log collecting lines, pino-shaped. */
export class MemoryLog {
  readonly lines: Array<{ level: string; obj: object; msg: string }> = [];
  info(obj: object, msg: string): void {
    this.lines.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg: string): void {
    this.lines.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg: string): void {
    this.lines.push({ level: 'error', obj, msg });
  }
}
