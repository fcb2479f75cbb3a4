/**
 * Reads and proofs over the server's own state: walks of the account trie from a block's
 * stateRoot and of storage tries from an account's storageRoot, straight over the node store
 * (synchronous reads through its LRU cache; no trie objects per request).
 *
 * ProofsV2 semantics (LES spec): one list for the whole batch, each hashed node once, root first,
 * in walk order; it proves every requested key, present or absent (the walk ends where the key
 * diverges and those nodes are the proof). For a storage key the account path comes first, then
 * the storage path from the account's storageRoot (an absent account proves the slot empty).
 * `fromLevel` omits that many nodes nearest the root of the trie holding the requested key
 * (levels count embedded nodes too, as go-ethereum's Prove does).
 */
import { RLP } from '@ethereumjs/rlp';
import { LRUCache } from 'lru-cache';
import type { KvStore } from '../../store/kv.js';
import type { TrieNodeStore } from '../../store/trie-nodes.js';
import { type Account, EMPTY_CODE_HASH, EMPTY_TRIE_ROOT, decodeAccount, decodeStorageValue, equalBytes, hexKey } from './account.js';
import { StateError } from './errors.js';

export interface ProofRequest {
  /** keccak256(address), 32 bytes. */
  accountKey: Uint8Array;
  /** keccak256(slot), 32 bytes; empty for an account proof. */
  storageKey: Uint8Array;
  fromLevel?: number;
}

export type RawNode = Uint8Array | RawNode[];
export type Visit = (hash: Uint8Array, node: Uint8Array) => void;

export class StateProver {
  readonly nodes: TrieNodeStore;
  private readonly codes: KvStore;

  private readonly get: NodeReader;
  /** Decoded nodes: decoding dominates a walk once reads come from memory. */
  private readonly decoded: LRUCache<string, LoadedNode>;

  constructor(nodes: TrieNodeStore, codes: KvStore, options: { decodedNodes?: number } = {}) {
    this.nodes = nodes;
    this.codes = codes;
    this.decoded = new LRUCache<string, LoadedNode>({ max: options.decodedNodes ?? 50_000 });
    this.get = (hash) => {
      const k = hexKey(hash);
      let hit = this.decoded.get(k);
      if (hit === undefined) {
        const raw = nodes.getSync(hash);
        if (raw === undefined) return undefined;
        hit = loadNode(raw, hash);
        this.decoded.set(k, hit);
      }
      return hit;
    };
  }

  /** The deduplicated proof set for a batch of requests against one state root. */
  buildProofs(stateRoot: Uint8Array, reqs: readonly ProofRequest[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit: Visit = (hash, node) => {
      const k = hexKey(hash);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(node);
      }
    };
    reqs.forEach((req, i) => {
      checkKey(req.accountKey, `reqs[${i}].accountKey`);
      const skip = req.fromLevel ?? 0;
      if (req.storageKey.length === 0) {
        this.walkOwn(stateRoot, req.accountKey, skip, visit);
        return;
      }
      checkKey(req.storageKey, `reqs[${i}].storageKey`);
      const value = this.walkOwn(stateRoot, req.accountKey, 0, visit);
      if (value === undefined) return;
      this.walkOwn(decodeAccount(value).storageRoot, req.storageKey, skip, visit);
    });
    return out;
  }

  /** The account at `accountKey` (keccak256 of the address), or undefined if absent. */
  getAccount(stateRoot: Uint8Array, accountKey: Uint8Array): Account | undefined {
    checkKey(accountKey, 'accountKey');
    const value = this.walkOwn(stateRoot, accountKey, 0, undefined);
    return value === undefined ? undefined : decodeAccount(value);
  }

  /** The value of `storageKey` (keccak256 of the slot) in a storage trie; 0 if absent. */
  getStorage(storageRoot: Uint8Array, storageKey: Uint8Array): bigint {
    checkKey(storageKey, 'storageKey');
    const value = this.walkOwn(storageRoot, storageKey, 0, undefined);
    return value === undefined ? 0n : decodeStorageValue(value);
  }

  private walkOwn(root: Uint8Array, key: Uint8Array, skip: number, visit: Visit | undefined): Uint8Array | undefined {
    return walkTrie(this.get, root, key, skip, visit);
  }

  /** Whether `storageKey` has a leaf (of any value, zero included) in a storage trie. */
  hasStorage(storageRoot: Uint8Array, storageKey: Uint8Array): boolean {
    checkKey(storageKey, 'storageKey');
    return this.walkOwn(storageRoot, storageKey, 0, undefined) !== undefined;
  }

  /** Whether the root node of this trie is held (always true for the empty trie). */
  hasRoot(root: Uint8Array): boolean {
    return equalBytes(root, EMPTY_TRIE_ROOT) || this.nodes.getSync(root) !== undefined;
  }

  /** Contract code by its hash; the empty code for the empty-code hash; undefined if unknown. */
  async getCode(codeHash: Uint8Array): Promise<Uint8Array | undefined> {
    if (equalBytes(codeHash, EMPTY_CODE_HASH)) return new Uint8Array(0);
    return this.codes.get(codeHash);
  }
}

/** A node's bytes and their decoding. */
export interface LoadedNode {
  raw: Uint8Array;
  node: RawNode[];
}

/** Reads a trie node by hash; undefined if it is not held. */
export type NodeReader = (hash: Uint8Array) => LoadedNode | undefined;

/** Decodes a node read by hash; STATE_BAD_NODE if it is not an RLP list. */
export function loadNode(raw: Uint8Array, hash: Uint8Array): LoadedNode {
  return { raw, node: decodeNode(raw, hash) };
}

/**
 * Follows `key` from `root` through nodes read by `get`; returns the leaf value, or undefined
 * where the key is absent. `visit` sees each hashed node on the path from level `skip` on.
 */
export function walkTrie(get: NodeReader, root: Uint8Array, key: Uint8Array, skip = 0, visit?: Visit): Uint8Array | undefined {
  if (equalBytes(root, EMPTY_TRIE_ROOT)) return undefined;
  const total = key.length * 2;
  let ref: RawNode = root;
  let hashed = true;
  let pos = 0;
  let level = 0;
  for (;;) {
    let node: RawNode[];
    if (hashed) {
      const hash = ref as Uint8Array;
      const loaded = get(hash);
      if (loaded === undefined) throw new StateError('STATE_MISSING_NODE', `trie node ${hexKey(hash)} is not in the store`, { field: 'root' });
      if (visit !== undefined && level >= skip) visit(hash, loaded.raw);
      node = loaded.node;
    } else {
      node = ref as RawNode[];
    }
    level++;
    let child: RawNode | undefined;
    if (node.length === 17) {
      if (pos === total) return nonEmpty(node[16]);
      child = node[nibbleAt(key, pos)];
      pos++;
    } else if (node.length === 2) {
      const path = node[0];
      if (!(path instanceof Uint8Array) || path.length === 0) throw badNode('short node without a path');
      const flag = (path[0] as number) >> 4;
      if (flag > 3) throw badNode(`short node path flag ${flag}`);
      const start = flag & 1 ? 1 : 2;
      const len = path.length * 2 - start;
      if (pos + len > total) return undefined;
      for (let j = 0; j < len; j++) if (nibbleAt(path, start + j) !== nibbleAt(key, pos + j)) return undefined;
      pos += len;
      if (flag >= 2) return pos === total ? nonEmpty(node[1]) : undefined;
      child = node[1];
    } else {
      throw badNode(`node of ${node.length} items`);
    }
    if (child === undefined) throw badNode('missing child');
    if (child instanceof Uint8Array) {
      if (child.length === 0) return undefined;
      if (child.length !== 32) throw badNode(`child reference of ${child.length} bytes`);
      ref = child;
      hashed = true;
    } else {
      ref = child;
      hashed = false;
    }
  }
}

function nibbleAt(b: Uint8Array, i: number): number {
  const byte = b[i >> 1] as number;
  return i & 1 ? byte & 0x0f : byte >> 4;
}

function nonEmpty(v: RawNode | undefined): Uint8Array | undefined {
  if (v === undefined || !(v instanceof Uint8Array)) throw badNode('value is not a byte string');
  return v.length === 0 ? undefined : v;
}

function decodeNode(raw: Uint8Array, hash: Uint8Array): RawNode[] {
  let node: unknown;
  try {
    node = RLP.decode(raw);
  } catch (cause) {
    throw new StateError('STATE_BAD_NODE', `trie node ${hexKey(hash)} is not RLP`, { field: 'node', cause });
  }
  if (!Array.isArray(node)) throw badNode(`trie node ${hexKey(hash)} is not a list`);
  return node as RawNode[];
}

function badNode(detail: string): StateError {
  return new StateError('STATE_BAD_NODE', `malformed trie node: ${detail}`, { field: 'node' });
}

function checkKey(key: Uint8Array, field: string): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new StateError('STATE_BAD_KEY', `${field} must be 32 bytes`, { field });
  }
}
