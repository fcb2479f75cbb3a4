/**
 * Persistence of the section indexers, in the namespace the server gives them:
 *   nodes/     keccak256(node) → node, the CHT and BloomTrie nodes of every built section
 *   sections/  BE64(section) → sectionHead ‖ chtRoot ‖ bloomTrieRoot (96 bytes)
 *   bits/      BE64(section) ‖ BE16(bit) → compressed BloomBits vector (all-zero vectors absent)
 *   meta/      'sectionSize', 'count' (sections built) as BE64
 * A section is written in one synced batch with the count that makes it visible, so a crash
 * leaves either the whole section or none of it. Nodes are never deleted: they are shared
 * between the roots of successive sections (and a rolled-back section's nodes may come back).
 */
import type { KvOp, KvStore } from '../../store/kv.js';
import { TrieNodeStore } from '../../store/trie-nodes.js';
import { IndexerError } from './errors.js';
import type { BuiltSection } from './section-build.js';

export interface SectionRecord {
  index: number;
  head: Uint8Array;
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

const enc = new TextEncoder();
const SIZE_KEY = enc.encode('sectionSize');
const COUNT_KEY = enc.encode('count');

function be64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n));
  return out;
}

function readBe64(b: Uint8Array | undefined, field: string): number | undefined {
  if (b === undefined) return undefined;
  if (b.length !== 8) throw new IndexerError('INDEXER_CORRUPT_RECORD', `${field} is ${b.length} bytes, not 8`, { field });
  const v = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new IndexerError('INDEXER_CORRUPT_RECORD', `${field} is out of range`, { field });
  return Number(v);
}

function bitsKey(section: number, bit: number): Uint8Array {
  const k = new Uint8Array(10);
  k.set(be64(section), 0);
  k[8] = bit >> 8;
  k[9] = bit & 0xff;
  return k;
}

export class SectionRecords {
  readonly nodes: TrieNodeStore;
  private readonly sections: KvStore;
  private readonly bits: KvStore;
  private readonly meta: KvStore;

  constructor(store: KvStore, nodeCacheBytes?: number) {
    this.nodes = new TrieNodeStore(store.namespace('nodes'), { cacheBytes: nodeCacheBytes });
    this.sections = store.namespace('sections');
    this.bits = store.namespace('bits');
    this.meta = store.namespace('meta');
  }

  /** Every built section, in order. Records the section size on first use; refuses another one later. */
  async load(sectionSize: number): Promise<SectionRecord[]> {
    const stored = readBe64(await this.meta.get(SIZE_KEY), 'meta.sectionSize');
    if (stored === undefined) await this.meta.put(SIZE_KEY, be64(sectionSize), { sync: true });
    else if (stored !== sectionSize) {
      throw new IndexerError('INDEXER_BAD_CONFIG', `the store holds sections of ${stored} blocks, the network config says ${sectionSize}`, { field: 'sectionSize' });
    }
    const count = readBe64(await this.meta.get(COUNT_KEY), 'meta.count') ?? 0;
    const out: SectionRecord[] = [];
    for (let i = 0; i < count; i++) {
      const v = await this.sections.get(be64(i));
      if (v === undefined || v.length !== 96) {
        throw new IndexerError('INDEXER_CORRUPT_RECORD', `section ${i} of ${count} has no valid record`, { field: `sections[${i}]` });
      }
      out.push({ index: i, head: v.slice(0, 32), chtRoot: v.slice(32, 64), bloomTrieRoot: v.slice(64, 96) });
    }
    return out;
  }

  /** Store a built section (it must be section number `count`), its nodes and vectors, atomically. */
  async commit(s: BuiltSection): Promise<SectionRecord> {
    const rec = new Uint8Array(96);
    rec.set(s.head, 0);
    rec.set(s.chtRoot, 32);
    rec.set(s.bloomTrieRoot, 64);
    const ops: KvOp[] = this.nodes.putOps(s.nodes);
    s.vectors.forEach((v, bit) => {
      if (v.length > 0) ops.push({ type: 'put', key: bitsKey(s.index, bit), value: v, ns: this.bits });
    });
    ops.push({ type: 'put', key: be64(s.index), value: rec, ns: this.sections });
    ops.push({ type: 'put', key: COUNT_KEY, value: be64(s.index + 1), ns: this.meta });
    await this.meta.batch(ops, { sync: true });
    return { index: s.index, head: s.head, chtRoot: s.chtRoot, bloomTrieRoot: s.bloomTrieRoot };
  }

  /** Forget sections `from`..`count`−1 (records and vectors; nodes stay, see the file comment). */
  async rollback(from: number, count: number): Promise<void> {
    const ops: KvOp[] = [];
    for (let i = from; i < count; i++) ops.push({ type: 'del', key: be64(i), ns: this.sections });
    for await (const [k] of this.bits.iterate({ gte: be64(from) })) ops.push({ type: 'del', key: k, ns: this.bits });
    ops.push({ type: 'put', key: COUNT_KEY, value: be64(from), ns: this.meta });
    await this.meta.batch(ops, { sync: true });
  }

  /** The stored compressed vector, or undefined for an all-zero one (or a section not built). */
  vector(bit: number, section: number): Uint8Array | undefined {
    return this.bits.getSync(bitsKey(section, bit));
  }
}
