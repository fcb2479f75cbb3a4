/**
 * Merkle-Patricia proof walking. A proof set (the ProofsV2 / HelperTrieProofs answer) is one
 * deduplicated list of node RLPs for a whole batch of keys; nodes are found by keccak256.
 * `walkTrie` follows one key from a root through branch / extension / leaf nodes (children under
 * 32 bytes of RLP are embedded in their parent) and returns the value, or `undefined` when the
 * walk proves the key absent. The walk itself is independent of where nodes come from, so a
 * server walks its own node store with it (`collectProof`) to build the same proofs.
 *
 * Levels: the root is level 0 and every node on the path counts, embedded ones included (the
 * reference server's `fromLevel` counts the same way).
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { equalBytes, hex0x } from './bytes.js';
import { MissingNodeError, VerificationError } from './errors.js';
import { hexPrefixDecode } from './nibbles.js';
import { type RlpItem, decodeRlpItem, encodeRlpItem } from './rlp.js';
import { EMPTY_TRIE_ROOT } from './trie-builder.js';

/** Where a walk finds nodes: the decoded node whose RLP hashes to `hash`, or undefined. */
export interface NodeSource {
  node(hash: Uint8Array, level: number): RlpItem | undefined;
}

/** A node store lookup by hash (the caller's own, already trusted nodes). */
export type NodeLookup = (hash: Uint8Array) => Uint8Array | undefined;

/** Shape-check a node once: a 17-item branch or a 2-item extension/leaf, or `0x80` (empty trie). */
export function decodeTrieNode(rlp: Uint8Array, field: string): RlpItem {
  let node: RlpItem;
  try {
    node = decodeRlpItem(rlp, field);
  } catch (cause) {
    throw new VerificationError('BAD_PROOF', field, `node is not valid RLP (${(cause as Error).message})`, { cause });
  }
  checkNode(node, field, true);
  return node;
}

function checkRef(child: RlpItem | undefined, field: string, emptyOk: boolean): void {
  if (child instanceof Uint8Array) {
    if (child.length === 32 || (emptyOk && child.length === 0)) return;
    throw new VerificationError('BAD_PROOF', field, `child reference of ${child.length} bytes`);
  }
  if (child === undefined) throw new VerificationError('BAD_PROOF', field, 'missing child');
  checkNode(child, field, false);
  if (encodeRlpItem(child).length >= 32) throw new VerificationError('BAD_PROOF', field, 'embedded node of 32 bytes or more');
}

function checkNode(node: RlpItem, field: string, top: boolean): void {
  if (node instanceof Uint8Array) {
    if (top && node.length === 0) return;
    throw new VerificationError('BAD_PROOF', field, 'node is bytes, not a list');
  }
  if (node.length === 17) {
    for (let i = 0; i < 16; i++) checkRef(node[i], field, true);
    if (!((node[16] as RlpItem) instanceof Uint8Array)) throw new VerificationError('BAD_PROOF', field, 'branch value is a list');
    return;
  }
  if (node.length !== 2) throw new VerificationError('BAD_PROOF', field, `node of ${node.length} items`);
  const [path, second] = node as [RlpItem, RlpItem];
  if (!(path instanceof Uint8Array)) throw new VerificationError('BAD_PROOF', field, 'node path is a list');
  const { nibbles, leaf } = hexPrefixDecode(path, field);
  if (leaf) {
    if (!(second instanceof Uint8Array) || second.length === 0) throw new VerificationError('BAD_PROOF', field, 'leaf value is empty or a list');
  } else {
    if (nibbles.length === 0) throw new VerificationError('BAD_PROOF', field, 'extension with an empty path');
    checkRef(second, field, false);
  }
}

function nibbleAt(key: Uint8Array, i: number): number {
  const b = key[i >> 1] as number;
  return i & 1 ? b & 15 : b >> 4;
}

/**
 * Walk `key` (trie key bytes, already hashed for secure tries) from `root`. Returns the value
 * or `undefined` for a proven absence; throws BAD_PROOF when a needed node is missing.
 */
export function walkTrie(root: Uint8Array, key: Uint8Array, source: NodeSource, field = 'proof'): Uint8Array | undefined {
  let node = source.node(root, 0);
  if (node === undefined) {
    if (equalBytes(root, EMPTY_TRIE_ROOT)) return undefined;
    throw new MissingNodeError(field, `missing root node ${hex0x(root)}`);
  }
  const keyLen = key.length * 2;
  let pos = 0;
  for (let level = 0; ; ) {
    if (node instanceof Uint8Array) {
      if (level === 0) return undefined; // the empty trie's node, 0x80
      throw new VerificationError('BAD_PROOF', field, 'empty node below the root');
    }
    let next: RlpItem;
    if (node.length === 17) {
      if (pos === keyLen) {
        const v = node[16] as Uint8Array;
        return v.length === 0 ? undefined : v;
      }
      next = node[nibbleAt(key, pos++)] as RlpItem;
      if (next instanceof Uint8Array && next.length === 0) return undefined;
    } else {
      const { nibbles, leaf } = hexPrefixDecode(node[0] as Uint8Array, field);
      if (pos + nibbles.length > keyLen) return undefined;
      for (let i = 0; i < nibbles.length; i++) if (nibbles[i] !== nibbleAt(key, pos + i)) return undefined;
      pos += nibbles.length;
      if (leaf) return pos === keyLen ? (node[1] as Uint8Array) : undefined;
      next = node[1] as RlpItem;
    }
    level++;
    if (Array.isArray(next)) {
      node = next;
      continue;
    }
    const found = source.node(next, level);
    if (found === undefined) throw new MissingNodeError(field, `missing node ${hex0x(next)} at level ${level}`);
    node = found;
  }
}

/** 16 UTF-16 code units from a 32-byte hash: a Map key cheaper to build than hex. */
function hashKey(h: Uint8Array): string {
  let s = '';
  for (let i = 0; i < h.length; i += 2) s += String.fromCharCode(((h[i] as number) << 8) | (h[i + 1] as number));
  return s;
}

interface Entry {
  rlp: Uint8Array;
  node: RlpItem | undefined;
  used: boolean;
  index: number;
}

export interface WalkOptions {
  /** The first `fromLevel` nodes of the path may be omitted from the proof... */
  fromLevel?: number;
  /** ...because the caller has them here. Nodes from it are checked by hash, never counted. */
  known?: NodeLookup;
  /** Names the datum in errors (e.g. `proofs[3]`). */
  field?: string;
}

/**
 * One received proof set. Walk every requested key, then call `assertAllUsed()`: a node that no
 * walk needed (or a duplicate node) makes the whole answer invalid.
 */
export class ProofNodeSet {
  private readonly byHash = new Map<string, Entry>();
  private readonly duplicates: number[] = [];

  constructor(
    nodes: readonly Uint8Array[],
    private readonly field = 'proof',
  ) {
    nodes.forEach((rlp, index) => {
      if (!(rlp instanceof Uint8Array)) throw new VerificationError('BAD_PROOF', `${field}[${index}]`, 'node is not bytes');
      const k = hashKey(keccak256(rlp));
      if (this.byHash.has(k)) this.duplicates.push(index);
      else this.byHash.set(k, { rlp, node: undefined, used: false, index });
    });
  }

  get size(): number {
    return this.byHash.size + this.duplicates.length;
  }

  private take(hash: Uint8Array): RlpItem | undefined {
    const e = this.byHash.get(hashKey(hash));
    if (e === undefined) return undefined;
    e.node ??= decodeTrieNode(e.rlp, `${this.field}[${e.index}]`);
    e.used = true;
    return e.node;
  }

  /** Walk one key; see `walkTrie`. */
  walk(root: Uint8Array, key: Uint8Array, options: WalkOptions = {}): Uint8Array | undefined {
    const { fromLevel = 0, known } = options;
    const field = options.field ?? this.field;
    const source: NodeSource = {
      node: (hash, level) => {
        const own = this.take(hash);
        if (own !== undefined || level >= fromLevel || known === undefined) return own;
        const rlp = known(hash);
        if (rlp === undefined) return undefined;
        if (!equalBytes(keccak256(rlp), hash)) throw new VerificationError('HASH_MISMATCH', field, `known node ${hex0x(hash)} has another hash`);
        return decodeTrieNode(rlp, field);
      },
    };
    return walkTrie(root, key, source, field);
  }

  /** Indexes (in the received list) of nodes no walk used so far, duplicates included. */
  unusedIndexes(): number[] {
    const out = [...this.duplicates];
    for (const e of this.byHash.values()) if (!e.used) out.push(e.index);
    return out.sort((a, b) => a - b);
  }

  assertAllUsed(): void {
    const unused = this.unusedIndexes();
    if (unused.length > 0) {
      throw new VerificationError('UNUSED_PROOF_NODES', this.field, `${unused.length} node(s) not needed by any key (indexes ${unused.slice(0, 8).join(', ')})`);
    }
  }
}

/**
 * Server side: walk `key` in a trusted node store and collect the hashed nodes of its path from
 * level `fromLevel` on (the root always counts as hashed) — the proof a client needs.
 */
export function collectProof(
  root: Uint8Array,
  key: Uint8Array,
  lookup: NodeLookup,
  fromLevel = 0,
): { value: Uint8Array | undefined; nodes: Uint8Array[] } {
  const nodes: Uint8Array[] = [];
  const source: NodeSource = {
    node: (hash, level) => {
      const rlp = lookup(hash);
      if (rlp === undefined) return undefined;
      if (level >= fromLevel) nodes.push(rlp);
      return decodeTrieNode(rlp, 'store');
    },
  };
  const value = walkTrie(root, key, source, 'store');
  return { value, nodes };
}
