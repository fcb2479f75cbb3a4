/**
 * Proofs from the helper tries for GetHelperTrieProofs: the walk of one key from a section's root
 * through the node store (src/verify's collectProof, the same walk clients verify with), and the
 * deduplicated node list one reply carries for a whole batch of keys (like ProofsV2).
 */
import { VerificationError, collectProof } from '../../verify/index.js';
import { IndexerError } from './errors.js';
import type { NodeLookup } from './trie-insert.js';

/** The proof set of one reply: nodes in the order first needed, each once. */
export class HelperProofSet {
  readonly nodes: Uint8Array[] = [];
  private readonly seen = new Set<string>();

  /** Adds the nodes not already present; returns how many were new. */
  add(nodes: readonly Uint8Array[]): number {
    let added = 0;
    for (const n of nodes) {
      const k = Buffer.from(n.buffer, n.byteOffset, n.byteLength).toString('latin1');
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      this.nodes.push(n);
      added++;
    }
    return added;
  }

  get size(): number {
    return this.nodes.length;
  }
}

export function checkFromLevel(fromLevel: number): void {
  if (!Number.isSafeInteger(fromLevel) || fromLevel < 0) {
    throw new IndexerError('INDEXER_BAD_LEVEL', `fromLevel ${fromLevel} is not a non-negative integer`, { field: 'fromLevel' });
  }
}

/**
 * The nodes proving `key` (present or absent) under `root`, from level `fromLevel` on, and the
 * value found. A node missing from our own store is store damage, not a bad request.
 */
export function trieProof(root: Uint8Array, key: Uint8Array, lookup: NodeLookup, fromLevel: number): { value: Uint8Array | undefined; nodes: Uint8Array[] } {
  checkFromLevel(fromLevel);
  try {
    return collectProof(root, key, lookup, fromLevel);
  } catch (cause) {
    if (cause instanceof VerificationError) {
      throw new IndexerError('INDEXER_MISSING_NODE', `helper trie walk failed: ${cause.message}`, { field: 'node', cause });
    }
    throw cause;
  }
}
