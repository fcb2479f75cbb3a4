/**
 * What the request handlers read, as narrow interfaces: the chain store (headers, bodies,
 * receipts, tx lookups), the node's state (proofs and code), the section indexers (CHT and
 * BloomTrie proofs) and the execution node (transaction relay and pool). `open-backend.ts` adapts
 * the real components to these; tests may hand in their own. Everything a handler serves comes
 * through here, so the handlers know no store, trie or JSON-RPC detail.
 */
import type { BlockBody, TxLookup } from '../../wire/index.js';

/** A chain head: heads are ordered by (td, number) — post-merge chains keep TD constant. */
export interface ServeHead {
  hash: Uint8Array;
  number: number;
  td: bigint;
  /** Header timestamp (seconds), for the Status forkID. */
  timestamp: number;
}

/** A head event: `reorgDepth` blocks of the previous head were replaced. */
export interface HeadEvent extends ServeHead {
  reorgDepth: number;
}

/** A stored header: its RLP and the fields the handlers walk by. */
export interface ServedHeader {
  rlp: Uint8Array;
  hash: Uint8Array;
  number: number;
  parentHash: Uint8Array;
}

export interface ChainReader {
  genesisHash(): Uint8Array;
  head(): ServeHead;
  /** Any stored header, canonical or not. */
  headerByHash(hash: Uint8Array): Promise<ServedHeader | undefined>;
  /** The canonical header at `n`. */
  headerByNumber(n: number): Promise<ServedHeader | undefined>;
  canonicalHash(n: number): Promise<Uint8Array | undefined>;
  /** Verified against the header; undefined when the block is unknown. */
  getBody(hash: Uint8Array): Promise<BlockBody | undefined>;
  /** Canonical binary forms, verified against the header; undefined when the block is unknown. */
  getReceipts(hash: Uint8Array): Promise<Uint8Array[] | undefined>;
  /** serveChainSince: the first block whose bodies and receipts are served. Absent: 0. */
  chainSince?(): number;
  /** Where a transaction sits on the canonical chain. */
  txLookup(hash: Uint8Array): Promise<TxLookup | undefined>;
}

/** A block whose state may be served: known, inside the window, with its header's stateRoot. */
export interface ServableState {
  number: number;
  hash: Uint8Array;
  stateRoot: Uint8Array;
}

export interface ProofItem {
  accountKey: Uint8Array;
  /** Empty for an account proof. */
  storageKey: Uint8Array;
  fromLevel: number;
  /** Preimages the request carried (extension); checked against the keys before use. */
  address?: Uint8Array;
  slot?: Uint8Array;
}

export interface CodeItem {
  accountKey: Uint8Array;
  address?: Uint8Array;
}

export interface StateReader {
  /** serveStateSince: the first block whose state is served. */
  startBlock(): number;
  /** serveRecentState: 0 = every block since startBlock(); N = the N latest blocks. */
  recentState(): number;
  /** undefined when the block is unknown or outside the window. */
  stateAt(blockHash: Uint8Array): Promise<ServableState | undefined>;
  /**
   * Each item's proof nodes, in order, for the prefix of `items` that can be served (a key with
   * no known preimage, no state at the node, or a node answer that fails its check ends it).
   */
  proofs(st: ServableState, items: readonly ProofItem[]): Promise<Uint8Array[][]>;
  /** Each item's code (empty for no account or no code), for the prefix that can be served. */
  codes(st: ServableState, items: readonly CodeItem[]): Promise<Uint8Array[]>;
}

export interface HelperTrieReader {
  /** Sections built (CHT and BloomTrie section i exists for i < sectionCount). */
  sectionCount(): number;
  sectionSize(): number;
  chtRoot(section: number): Promise<Uint8Array | undefined>;
  bloomTrieRoot(section: number): Promise<Uint8Array | undefined>;
  /** Proof of `key` (8 bytes) in CHT `section`, minus `fromLevel` nodes nearest the root. */
  chtProof(section: number, key: Uint8Array, fromLevel: number): Promise<Uint8Array[]>;
  /** Proof of `key` (10 bytes) in BloomTrie `section`. */
  bloomTrieProof(section: number, key: Uint8Array, fromLevel: number): Promise<Uint8Array[]>;
}

/** The node's answer to a relayed transaction. */
export type RelayResult = { ok: true } | { ok: false; error: string };

export interface TxPool {
  /** eth_sendRawTransaction. */
  send(tx: Uint8Array): Promise<RelayResult>;
  /** For each hash: true when the node holds it unmined (eth_getTransactionByHash without a block). */
  pending(hashes: readonly Uint8Array[]): Promise<boolean[]>;
}

export interface ServeBackend {
  chain: ChainReader;
  state: StateReader;
  helperTries: HelperTrieReader;
  txPool: TxPool;
}
