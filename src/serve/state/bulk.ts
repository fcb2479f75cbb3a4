/**
 * Bulk building of a whole state (a dump or genesis alloc) and the filter that keeps only the
 * nodes a new root needs.
 *
 * @ethereumjs/trie inserts one key at a time (about 1 ms per key at a few thousand keys) and
 * writes every intermediate version of each path; a start state is built here instead from
 * sorted keys in one pass, like go-ethereum's StackTrie: each final node is hashed once and
 * nothing else is produced. For block updates the writer still uses @ethereumjs/trie, and
 * `reachableNew` drops the intermediate versions before they are stored.
 */
import { RLP } from '@ethereumjs/rlp';
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { type Account, EMPTY_CODE_HASH, EMPTY_TRIE_ROOT, encodeAccount, encodeStorageValue, fromHexKey, hexKey, isEmptyAccount } from './account.js';
import type { StateDiff } from './diff.js';
import type { AppliedDiff, ApplyOptions } from './writer.js';

type Node = Uint8Array | Node[];
type Entry = readonly [key: Uint8Array, value: Uint8Array];

const nibble = (k: Uint8Array, i: number): number => (i & 1 ? (k[i >> 1] as number) & 0x0f : (k[i >> 1] as number) >> 4);

/** Hex-prefix encoding (Yellow Paper appendix C) of nibbles from..to of key. */
function hexPrefix(key: Uint8Array, from: number, to: number, leaf: boolean): Uint8Array {
  const len = to - from;
  const odd = len & 1;
  const out = new Uint8Array(1 + (len >> 1));
  out[0] = ((leaf ? 2 : 0) + odd) << 4;
  let i = from;
  if (odd) out[0] |= nibble(key, i++);
  for (let j = 1; i < to; j++, i += 2) out[j] = (nibble(key, i) << 4) | nibble(key, i + 1);
  return out;
}

/**
 * The root of the trie holding `entries` (keys of one length, unique); every hashed node goes to
 * `out` by hex hash. Values are stored as given (already RLP where the trie wants RLP).
 */
export function buildTrie(entries: Entry[], out: Map<string, Uint8Array>): Uint8Array {
  if (entries.length === 0) return EMPTY_TRIE_ROOT;
  const sorted = [...entries].sort((a, b) => Buffer.compare(a[0], b[0]));
  const total = (sorted[0] as Entry)[0].length * 2;
  const ref = (node: Node, root = false): Node => {
    const enc = RLP.encode(node);
    if (enc.length < 32 && !root) return node;
    const h = keccak256(enc);
    out.set(hexKey(h), enc);
    return h;
  };
  const build = (lo: number, hi: number, depth: number): Node => {
    const first = (sorted[lo] as Entry)[0];
    if (hi - lo === 1) return [hexPrefix(first, depth, total, true), (sorted[lo] as Entry)[1]];
    const last = (sorted[hi - 1] as Entry)[0];
    let cp = depth;
    while (cp < total && nibble(first, cp) === nibble(last, cp)) cp++;
    if (cp > depth) return [hexPrefix(first, depth, cp, false), ref(build(lo, hi, cp))];
    const branch: Node[] = Array.from({ length: 17 }, () => new Uint8Array(0));
    let start = lo;
    while (start < hi) {
      const n = nibble((sorted[start] as Entry)[0], depth);
      let end = start + 1;
      while (end < hi && nibble((sorted[end] as Entry)[0], depth) === n) end++;
      branch[n] = ref(build(start, end, depth + 1));
      start = end;
    }
    return branch;
  };
  return ref(build(0, sorted.length, 0), true) as Uint8Array;
}

/** A state built from nothing but `diff` (a start state): same result as applyDiff on the empty root. */
export function buildState(diff: StateDiff, options: ApplyOptions, out: Map<string, Uint8Array>): AppliedDiff {
  const codes = new Map<string, Uint8Array>();
  const storageRoots = new Map<string, Uint8Array>();
  const accounts: Entry[] = [];
  for (const [addrHex, w] of diff.accounts) {
    const slots: Entry[] = [];
    for (const [slotHex, value] of w.storage) {
      if (value === 0n && options.deleteZeroSlots) continue;
      slots.push([keccak256(fromHexKey(slotHex)), encodeStorageValue(value)]);
    }
    const acc: Account = {
      nonce: w.nonce ?? 0n,
      balance: w.balance ?? 0n,
      storageRoot: buildTrie(slots, out),
      codeHash: w.code === undefined ? EMPTY_CODE_HASH : keccak256(w.code),
    };
    if (w.code !== undefined && w.code.length > 0) codes.set(hexKey(acc.codeHash), w.code);
    storageRoots.set(addrHex, acc.storageRoot);
    const present = w.presence === 'keep' || (w.presence === 'auto' && !(options.deleteEmpty && isEmptyAccount(acc)));
    if (present) accounts.push([keccak256(fromHexKey(addrHex)), encodeAccount(acc)]);
  }
  return { root: buildTrie(accounts, out), codes, storageRoots };
}

/**
 * The nodes of `written` reachable from `root` (and, through account leaves, from their storage
 * roots): what a new state adds. Nodes not in `written` are already stored and not descended.
 */
export function reachableNew(written: ReadonlyMap<string, Uint8Array>, root: Uint8Array): Map<string, Uint8Array> {
  const keep = new Map<string, Uint8Array>();
  const visit = (ref: Node, accountTrie: boolean): void => {
    let node: Node;
    if (ref instanceof Uint8Array) {
      if (ref.length !== 32) return;
      const k = hexKey(ref);
      const raw = written.get(k);
      if (raw === undefined || keep.has(k)) return;
      keep.set(k, raw);
      node = RLP.decode(raw) as Node;
    } else {
      node = ref;
    }
    if (!Array.isArray(node)) return;
    if (node.length === 17) {
      for (let i = 0; i < 16; i++) visit(node[i] as Node, accountTrie);
    } else if (node.length === 2) {
      const path = node[0] as Uint8Array;
      const leaf = ((path[0] ?? 0) >> 4) >= 2;
      if (!leaf) visit(node[1] as Node, accountTrie);
      else if (accountTrie) {
        const account = RLP.decode(node[1] as Uint8Array);
        if (Array.isArray(account) && account[2] instanceof Uint8Array) visit(account[2], false);
      }
    }
  };
  visit(root, true);
  return keep;
}
