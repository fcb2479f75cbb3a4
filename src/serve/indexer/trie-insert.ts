/**
 * Bulk insert of sorted entries into a stored plain (unhashed-key) Merkle-Patricia trie, in one
 * recursive pass: only the paths the new keys touch are read and rewritten, subtrees without new
 * keys keep their references untouched, and new subtrees are built stack-trie style (each node
 * encoded and hashed once). The nodes created are returned, not written, so the caller stores
 * them in the same atomic batch as the root that needs them.
 *
 * This is what makes the cumulative helper tries cheap to extend: a CHT section appends `size`
 * contiguous keys at the right edge of the trie; a BloomTrie section adds one key under each bloom
 * bit's subtree. Entries replace equal keys; deletion is not supported (the helper tries only
 * grow). Children whose RLP is under 32 bytes are embedded; the root is always hashed and stored.
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { equalBytes, hex0x, toHex } from '../../verify/bytes.js';
import { bytesToNibbles, hexPrefixDecode, hexPrefixEncode } from '../../verify/nibbles.js';
import type { RlpItem } from '../../verify/rlp.js';
import { EMPTY_TRIE_ROOT } from '../../verify/trie-builder.js';
import { IndexerError } from './errors.js';

/** A trusted node store lookup: the node RLP whose keccak256 is `hash`, or undefined. */
export type NodeLookup = (hash: Uint8Array) => Uint8Array | undefined;

export interface TrieInsertResult {
  root: Uint8Array;
  /** Nodes created, by unprefixed hex hash; the root is always among them. */
  nodes: Map<string, Uint8Array>;
}

interface Item {
  k: Uint8Array; // nibbles
  v: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

class Inserter {
  readonly nodes = new Map<string, Uint8Array>();

  constructor(private readonly lookup: NodeLookup) {}

  /** The reference a parent holds: the node itself when its RLP is under 32 bytes, else its hash. */
  ref(node: RlpItem[]): RlpItem {
    const enc = RLP.encode(node);
    if (enc.length < 32) return node;
    const h = keccak256(enc);
    this.nodes.set(toHex(h), enc);
    return h;
  }

  resolve(ref: RlpItem | undefined): RlpItem[] | undefined {
    if (ref === undefined) return undefined;
    if (Array.isArray(ref)) return ref;
    if (ref.length === 0) return undefined;
    const enc = this.nodes.get(toHex(ref)) ?? this.lookup(ref);
    if (enc === undefined) throw new IndexerError('INDEXER_MISSING_NODE', `trie node ${hex0x(ref)} is not stored`, { field: 'node' });
    let node: RlpItem;
    try {
      node = RLP.decode(enc) as RlpItem;
    } catch (cause) {
      throw new IndexerError('INDEXER_CORRUPT_RECORD', `stored trie node ${hex0x(ref)} is not RLP`, { field: 'node', cause });
    }
    if (!Array.isArray(node) || (node.length !== 17 && node.length !== 2)) {
      throw new IndexerError('INDEXER_CORRUPT_RECORD', `stored trie node ${hex0x(ref)} is not a branch, extension or leaf`, { field: 'node' });
    }
    return node;
  }

  /** The node holding `node`'s entries plus items[lo..hi) (all below the path `depth` nibbles deep). */
  merge(items: Item[], node: RlpItem[] | undefined, depth: number, lo: number, hi: number): RlpItem[] {
    if (node === undefined) return this.build(items, lo, hi, depth);
    if (node.length === 17) {
      const out = node.slice();
      this.fill(items, out, depth, lo, hi, (nib) => this.resolve(out[nib]));
      return out;
    }
    const { nibbles: path, leaf } = hexPrefixDecode(node[0] as Uint8Array, 'node');
    if (leaf) return this.mergeLeaf(items, path, node[1] as Uint8Array, depth, lo, hi);
    const p = Math.min(lcp(path, items[lo] as Item, depth), lcp(path, items[hi - 1] as Item, depth));
    if (p === path.length) return [node[0] as Uint8Array, this.ref(this.merge(items, this.resolve(node[1]), depth + p, lo, hi))];
    // The new keys leave the extension's path after p nibbles: split it with a branch there.
    const nib = path[p] as number;
    const rest = path.subarray(p + 1);
    const child = node[1] as RlpItem;
    const below = (): RlpItem[] | undefined => (rest.length > 0 ? [hexPrefixEncode(rest, false), child] : this.resolve(child));
    const branch = new Array<RlpItem>(17).fill(EMPTY);
    this.fill(items, branch, depth + p, lo, hi, (n) => (n === nib ? below() : undefined));
    const slot = branch[nib] as RlpItem;
    if (slot instanceof Uint8Array && slot.length === 0) branch[nib] = rest.length > 0 ? this.ref([hexPrefixEncode(rest, false), child]) : child;
    return p > 0 ? [hexPrefixEncode(path.subarray(0, p), false), this.ref(branch)] : branch;
  }

  /** A leaf meets new keys: rebuild the subtree from the leaf's entry and the new ones. */
  private mergeLeaf(items: Item[], path: Uint8Array, value: Uint8Array, depth: number, lo: number, hi: number): RlpItem[] {
    const k = new Uint8Array(depth + path.length);
    k.set((items[lo] as Item).k.subarray(0, depth), 0);
    k.set(path, depth);
    const sub: Item[] = [];
    let placed = false;
    for (let i = lo; i < hi; i++) {
      const it = items[i] as Item;
      if (!placed) {
        const c = compareNibbles(k, it.k);
        if (c <= 0) placed = true;
        if (c < 0) sub.push({ k, v: value }); // c === 0: the new value replaces the old
      }
      sub.push(it);
    }
    if (!placed) sub.push({ k, v: value });
    return this.build(sub, 0, sub.length, depth);
  }

  /** Fill branch `out` at `depth` with items[lo..hi): the value slot, then one child per nibble. */
  private fill(items: Item[], out: RlpItem[], depth: number, lo: number, hi: number, childOf: (nib: number) => RlpItem[] | undefined): void {
    let i = lo;
    if ((items[i] as Item).k.length === depth) out[16] = (items[i++] as Item).v;
    while (i < hi) {
      const nib = (items[i] as Item).k[depth] as number;
      let j = i + 1;
      while (j < hi && (items[j] as Item).k[depth] === nib) j++;
      out[nib] = this.ref(this.merge(items, childOf(nib), depth + 1, i, j));
      i = j;
    }
  }

  /** A new subtree of items[lo..hi) only. */
  private build(items: Item[], lo: number, hi: number, depth: number): RlpItem[] {
    const first = items[lo] as Item;
    if (hi - lo === 1) return [hexPrefixEncode(first.k.subarray(depth), true), first.v];
    const last = items[hi - 1] as Item;
    let p = depth;
    while (p < first.k.length && first.k[p] === last.k[p]) p++;
    if (p === depth) {
      const out = new Array<RlpItem>(17).fill(EMPTY);
      this.fill(items, out, depth, lo, hi, () => undefined);
      return out;
    }
    return [hexPrefixEncode(first.k.subarray(depth, p), false), this.ref(this.build(items, lo, hi, p))];
  }
}

/** Nibbles of `path` that every key of the item shares from `depth` on (bounded by both lengths). */
function lcp(path: Uint8Array, item: Item, depth: number): number {
  let i = 0;
  while (i < path.length && depth + i < item.k.length && path[i] === item.k[depth + i]) i++;
  return i;
}

/**
 * Insert `entries` (keys strictly ascending, values non-empty) into the trie with root `root`,
 * whose nodes `lookup` finds. Returns the new root and the nodes created for it.
 */
export function insertSorted(root: Uint8Array, entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>, lookup: NodeLookup): TrieInsertResult {
  const ins = new Inserter(lookup);
  if (entries.length === 0) return { root, nodes: ins.nodes };
  const items: Item[] = new Array<Item>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const [k, v] = entries[i] as readonly [Uint8Array, Uint8Array];
    if (v.length === 0) throw new IndexerError('INDEXER_UNSORTED', `entry ${i} has an empty value (absent keys are not inserted)`, { field: `entries[${i}]` });
    items[i] = { k: bytesToNibbles(k), v };
    if (i > 0 && compareNibbles((items[i - 1] as Item).k, (items[i] as Item).k) >= 0) {
      throw new IndexerError('INDEXER_UNSORTED', `entry ${i} is not above entry ${i - 1}`, { field: `entries[${i}]` });
    }
  }
  const top = equalBytes(root, EMPTY_TRIE_ROOT) ? undefined : ins.resolve(root);
  const enc = RLP.encode(ins.merge(items, top, 0, 0, items.length));
  const newRoot = keccak256(enc);
  ins.nodes.set(toHex(newRoot), enc);
  return { root: newRoot, nodes: ins.nodes };
}

/** The created nodes reachable from `root` (walking only through created nodes; stored ones are already kept). */
function reachable(root: Uint8Array, created: ReadonlyMap<string, Uint8Array>): Map<string, Uint8Array> {
  const keep = new Map<string, Uint8Array>();
  const stack: RlpItem[] = [root];
  while (stack.length > 0) {
    const ref = stack.pop() as RlpItem;
    let node: RlpItem;
    if (Array.isArray(ref)) node = ref;
    else {
      const hex = toHex(ref);
      const enc = ref.length === 32 && !keep.has(hex) ? created.get(hex) : undefined;
      if (enc === undefined) continue;
      keep.set(hex, enc);
      node = RLP.decode(enc) as RlpItem;
    }
    if (!Array.isArray(node)) continue;
    if (node.length === 17) {
      for (let i = 0; i < 16; i++) stack.push(node[i] as RlpItem);
    } else if (node.length === 2 && (((node[0] as Uint8Array)[0] as number) >> 4) < 2) {
      stack.push(node[1] as RlpItem); // an extension's child; a leaf's value is not a reference
    }
  }
  return keep;
}

export interface ChunkedInsertOptions {
  /** Entries per synchronous step. Default 4096. */
  chunk?: number;
  /** Awaited between steps, so a long build does not hold the event loop (e.g. setImmediate). */
  pause: () => Promise<unknown>;
}

/**
 * `insertSorted` in steps of `chunk` entries with a pause between them. The intermediate roots'
 * rewritten paths are dropped: only nodes reachable from the final root are returned.
 */
export async function insertSortedInSteps(
  root: Uint8Array,
  entries: ReadonlyArray<readonly [Uint8Array, Uint8Array]>,
  lookup: NodeLookup,
  options: ChunkedInsertOptions,
): Promise<TrieInsertResult> {
  const chunk = options.chunk ?? 4096;
  if (entries.length <= chunk) return insertSorted(root, entries, lookup);
  const created = new Map<string, Uint8Array>();
  const look: NodeLookup = (h) => created.get(toHex(h)) ?? lookup(h);
  let at = root;
  for (let lo = 0; lo < entries.length; lo += chunk) {
    if (lo > 0) {
      const prev = entries[lo - 1] as readonly [Uint8Array, Uint8Array];
      const next = entries[lo] as readonly [Uint8Array, Uint8Array];
      // Each step checks its own order; this checks the seam between steps.
      if (compareNibbles(prev[0], next[0]) >= 0) throw new IndexerError('INDEXER_UNSORTED', `entry ${lo} is not above entry ${lo - 1}`, { field: `entries[${lo}]` });
      await options.pause();
    }
    const res = insertSorted(at, entries.slice(lo, lo + chunk), look);
    for (const [k, v] of res.nodes) created.set(k, v);
    at = res.root;
  }
  return { root: at, nodes: reachable(at, created) };
}
