/**
 * Which blocks of a range may hold logs matching the filter — complete, so every matching log is
 * found (DESIGN §5). Blocks in trusted helper-trie sections are tested with proven BloomBits
 * vectors: for each value, the AND of its three bit vectors; per group, the OR of its values;
 * over groups, the AND. Blocks above the last trusted section (the unindexed tail) are tested
 * with their verified headers' logsBloom. A filter without groups makes every block a candidate
 * (then only headers with a non-empty bloom are kept).
 */
import type { TrustedSection, VerifiedHeader } from '../contracts.js';
import { bloomBitIndexes, bloomMayContain } from '../../verify/bloom.js';
import { MAX_HELPER_REQS } from '../../wire/helper-trie.js';
import type { MethodContext } from './context.js';
import { MethodError } from './errors.js';
import { mapLimit } from './format.js';

export interface Candidate {
  number: number;
  /** Present when the search already fetched it (tail blocks). */
  header?: VerifiedHeader;
}

const bit = (v: Uint8Array, j: number) => (((v[j >> 3] as number) >> (7 - (j & 7))) & 1) === 1;

/** The trusted section to prove `index` against, and the data section to ask for. */
function trieFor(ctx: MethodContext, index: number): { trie: TrustedSection; data?: number } {
  const own = ctx.chain.section(index);
  if (own !== undefined) return { trie: own };
  const latest = ctx.chain.latestSection();
  if (latest === undefined || latest.index < index) throw new Error(`no trusted section covers section ${index}`);
  return { trie: latest, data: index };
}

/** The match vector of one section (sectionSize bits). */
async function sectionMatch(ctx: MethodContext, index: number, groups: readonly Uint8Array[][]): Promise<Uint8Array> {
  const { trie, data } = trieFor(ctx, index);
  const indexes = groups.map((g) => g.map(bloomBitIndexes));
  const wanted = [...new Set(indexes.flat(2))];
  const fetched = await mapLimit(wanted, ctx.config.concurrency, (b) => (data === undefined ? ctx.odr.bloomBits(trie, b) : ctx.odr.bloomBits(trie, b, data)));
  const vectors = new Map(wanted.map((b, i) => [b, fetched[i] as Uint8Array]));
  const bytes = ctx.chain.sectionSize / 8;
  const and = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x & (b[i] as number));
  const or = (a: Uint8Array, b: Uint8Array) => a.map((x, i) => x | (b[i] as number));
  let result = new Uint8Array(bytes).fill(0xff);
  for (const group of indexes) {
    let any = new Uint8Array(bytes);
    for (const bits of group) any = or(any, bits.map((b) => vectors.get(b) as Uint8Array).reduce(and));
    result = and(result, any);
  }
  return result;
}

const emptyBloom = (bloom: Uint8Array) => bloom.every((b) => b === 0);

function headerMayMatch(h: VerifiedHeader, groups: readonly Uint8Array[][]): boolean {
  if (groups.length === 0) return !emptyBloom(h.header.logsBloom);
  return groups.every((g) => g.some((x) => bloomMayContain(h.header.logsBloom, x)));
}

async function scanHeaders(ctx: MethodContext, from: number, to: number, groups: readonly Uint8Array[][]): Promise<Candidate[]> {
  if (to < from) return [];
  const count = to - from + 1;
  if (count > ctx.config.maxHeaderScan) {
    throw new MethodError('LIMIT_EXCEEDED', `the query needs ${count} headers scanned by their blooms, more than ${ctx.config.maxHeaderScan}; narrow the block range`, { field: 'filter' });
  }
  const numbers = Array.from({ length: count }, (_, i) => from + i);
  const head = ctx.chain.head();
  const headers = await mapLimit(numbers, ctx.config.concurrency, (n) => (n === head.header.number ? Promise.resolve(head) : ctx.chain.headerByNumber(n)));
  return headers.filter((h) => headerMayMatch(h, groups)).map((header) => ({ number: header.header.number, header }));
}

/** Candidate blocks of [from, to] (ascending). */
export async function candidateBlocks(ctx: MethodContext, from: number, to: number, groups: readonly Uint8Array[][]): Promise<Candidate[]> {
  const size = ctx.chain.sectionSize;
  const latest = ctx.chain.latestSection();
  const indexedEnd = groups.length === 0 || latest === undefined ? -1 : (latest.index + 1) * size - 1;
  const out: Candidate[] = [];
  if (from <= indexedEnd) {
    const sections = Array.from({ length: Math.floor(Math.min(to, indexedEnd) / size) - Math.floor(from / size) + 1 }, (_, i) => Math.floor(from / size) + i);
    // A message's worth of sections at a time (GetHelperTrieProofs carries 64 proofs): asked in
    // one tick they go out as one message, whose proofs share their upper BloomTrie nodes (the
    // sections of one bit share the whole path to it); split over messages, each repeats them.
    const bitsPerSection = new Set(groups.flat().flatMap((x) => bloomBitIndexes(x))).size;
    const perRound = Math.max(1, Math.floor(MAX_HELPER_REQS / Math.max(1, bitsPerSection)));
    const vectors = await mapLimit(sections, perRound, (s) => sectionMatch(ctx, s, groups));
    sections.forEach((s, k) => {
      const v = vectors[k] as Uint8Array;
      for (let j = 0; j < size; j++) {
        const n = s * size + j;
        if (n >= from && n <= to && bit(v, j)) out.push({ number: n });
      }
    });
  }
  return out.concat(await scanHeaders(ctx, Math.max(from, indexedEnd + 1), to, groups));
}
