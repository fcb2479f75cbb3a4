/**
 * Root of a Merkle-Patricia trie built in one pass over sorted keys (a "stack trie"): nothing is
 * stored, no node is hashed twice. Used for the ordered tries of a block (transactions, receipts,
 * withdrawals) and by the server for any trie it builds whole. Children whose RLP is shorter
 * than 32 bytes are embedded in their parent; the root is always hashed.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { VerificationError } from './errors.js';
import { bytesToNibbles, hexPrefixEncode } from './nibbles.js';
import { type RlpItem, encodeRlpItem, encodeUint } from './rlp.js';

/** keccak256(rlp("")) — the root of a trie with no entries. */
export const EMPTY_TRIE_ROOT: Uint8Array = keccak256(Uint8Array.of(0x80));

interface Entry {
  k: Uint8Array;
  v: Uint8Array;
}

const EMPTY = new Uint8Array(0);

function ref(node: RlpItem[]): RlpItem {
  const enc = encodeRlpItem(node);
  return enc.length < 32 ? node : keccak256(enc);
}

function build(items: Entry[], lo: number, hi: number, depth: number): RlpItem[] {
  const first = items[lo] as Entry;
  if (hi - lo === 1) return [hexPrefixEncode(first.k.subarray(depth), true), first.v];
  const last = items[hi - 1] as Entry;
  let p = depth;
  while (p < first.k.length && first.k[p] === last.k[p]) p++;
  if (p > depth) return [hexPrefixEncode(first.k.subarray(depth, p), false), ref(branch(items, lo, hi, p))];
  return branch(items, lo, hi, depth);
}

function branch(items: Entry[], lo: number, hi: number, depth: number): RlpItem[] {
  const node: RlpItem[] = new Array<RlpItem>(17).fill(EMPTY);
  let i = lo;
  if ((items[i] as Entry).k.length === depth) node[16] = (items[i++] as Entry).v;
  while (i < hi) {
    const nib = (items[i] as Entry).k[depth] as number;
    let j = i + 1;
    while (j < hi && (items[j] as Entry).k[depth] === nib) j++;
    node[nib] = ref(build(items, i, j, depth + 1));
    i = j;
  }
  return node;
}

function compareNibbles(a: Entry, b: Entry): number {
  const n = Math.min(a.k.length, b.k.length);
  for (let i = 0; i < n; i++) {
    const d = (a.k[i] as number) - (b.k[i] as number);
    if (d !== 0) return d;
  }
  return a.k.length - b.k.length;
}

/**
 * Root of the trie holding `entries` (unhashed keys, as given). Empty values are not stored (as
 * in Ethereum, they mean "absent"); duplicate keys are refused.
 */
export function trieRoot(entries: Iterable<readonly [Uint8Array, Uint8Array]>): Uint8Array {
  const items: Entry[] = [];
  for (const [k, v] of entries) if (v.length > 0) items.push({ k: bytesToNibbles(k), v });
  if (items.length === 0) return EMPTY_TRIE_ROOT;
  items.sort(compareNibbles);
  for (let i = 1; i < items.length; i++) {
    if (compareNibbles(items[i - 1] as Entry, items[i] as Entry) === 0) {
      throw new VerificationError('BAD_ENCODING', `trie.key[${i}]`, 'duplicate key');
    }
  }
  return keccak256(encodeRlpItem(build(items, 0, items.length, 0)));
}

/** Root of an ordered trie: key = rlp(index), value = the item's canonical bytes. */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  return trieRoot(values.map((v, i) => [encodeRlpItem(encodeUint(i)), v] as const));
}
