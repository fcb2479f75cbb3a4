/**
 * The contracts between the parts of the light client (DESIGN §2, §3, §5):
 *
 *   methods (eth_*) ──► Odr facade ──► Retriever (scheduler) ──► servers (net)
 *            │              │
 *            └──► HeaderChainView (trusted headers, sections)
 *
 * The scheduler knows nothing of what it carries: each kind of on-demand request is one
 * declarative OdrKind object (what to ask, which servers can answer, how to verify the answer).
 * The methods layer knows nothing of LES: it calls the Odr facade, which returns only verified
 * data. Nothing here imports RLPx.
 */
import type { LesVersion, RequestCode } from '../wire/codes.js';
import type { TxStatusEntry } from '../wire/tx.js';
import type { BlockHeader } from '../verify/header.js';
import type { Receipt } from '../verify/receipts.js';
import type { Account } from '../verify/state.js';

/** A header whose hash was computed here and that links to a trust anchor (or was proven by CHT). */
export interface VerifiedHeader {
  header: BlockHeader;
  hash: Uint8Array;
  /** The header's RLP encoding (hashes to `hash`). */
  rlp: Uint8Array;
  /** Total difficulty, when known (from an announce chain or a CHT proof). */
  td?: bigint;
}

/** What a server said it serves (Status keys, updated by announces). */
export interface ServeCapabilities {
  serveHeaders: boolean;
  serveChainSince?: number;
  serveRecentChain?: number;
  serveStateSince?: number;
  serveRecentState?: number;
  txRelay: boolean;
  /** les/4: 0 = all, 1 = none, N = the N−1 latest blocks. */
  recentTxLookup?: number;
  /** Status "lesp/preimages": state requests may carry the address/slot preimages (wire/proofs.ts). */
  preimages?: boolean;
  /** Status "lesp/beacon": the server relays beacon light-client data (GetBeaconLightClient, wire/beacon.ts). */
  beacon?: boolean;
}

/** The scheduler's read-only view of one connected server. */
export interface ServerView {
  /** Node id, 128 hex chars. */
  readonly id: string;
  readonly version: LesVersion;
  /** Counts towards head agreement (announce signatures are checked for these). */
  readonly trusted: boolean;
  /** Its latest announced head. */
  readonly head: { hash: Uint8Array; number: number; td: bigint };
  readonly caps: ServeCapabilities;
  /** Reliability in [0, 1]; lowered by invalid answers and timeouts. */
  readonly score: number;
  /** Moving average of the round trip, ms. */
  readonly rttMs: number;
}

/**
 * One kind of on-demand retrieval. Items are self-contained: an item carries whatever its
 * verification needs (the trusted header for a proof, the trusted CHT root for a CHT request), so
 * `verify` is a pure function of the items and the reply.
 */
export interface OdrKind<Item, Result> {
  readonly name: string;
  readonly code: RequestCode;
  /** Most items one message may carry (the per-request server limits of DESIGN §4). */
  readonly maxItems: number;
  /** How many MRC units (the N of baseCost + reqCost × N) this item adds to a message. */
  units(item: Item): number;
  /** Whether this server can answer this item (block inside its windows, txRelay, its head, ...). */
  canServe(server: ServerView, item: Item): boolean;
  /**
   * The block this item needs a server's head to have reached, if any. A server whose head is
   * below it may serve it after its next announce; without one, an item that no connected server
   * serves fails at once instead of waiting.
   */
  blockOf?(item: Item): number | undefined;
  /** Equal keys are the same question: deduplicated while in flight, and the cache key. */
  key(item: Item): string;
  /** The whole request message for a batch of items of this kind, to `server` (its Status may allow extensions). */
  encode(reqID: bigint, items: readonly Item[], server?: ServerView): Uint8Array;
  /**
   * Decode and verify a reply to `items`. Returns one result per item, or `undefined` for an item
   * the server left unanswered (a server may stop early at its soft reply size; the item is asked
   * again). Throws VerificationError or ProtocolError if anything in the reply is wrong — the
   * whole reply is then discarded and the server scored down.
   */
  verify(items: readonly Item[], payload: Uint8Array): Array<Result | undefined>;
}

export interface RetrieveOptions {
  /** Ask only this server (e.g. tx status from several servers one by one). */
  server?: string;
  /** Never ask these servers. */
  exclude?: ReadonlySet<string>;
  /** Give up after this many ms (default: the client's configured request timeout). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The scheduler: picks servers by capability, flow-control wait, round trip and score. */
export interface Retriever {
  retrieve<Item, Result>(kind: OdrKind<Item, Result>, item: Item, options?: RetrieveOptions): Promise<Result>;
  servers(): readonly ServerView[];
}

/** A helper-trie section the client trusts (from a checkpoint or trusted-server agreement). */
export interface TrustedSection {
  index: number;
  sectionHead: Uint8Array;
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

/** The trusted header chain. */
export interface HeaderChainView {
  /** The latest head accepted under the trust rules. */
  head(): VerifiedHeader;
  /** The canonical header at `n` (from the local window, by hash links, or by CHT proof). */
  headerByNumber(n: number): Promise<VerifiedHeader>;
  /**
   * The header with this hash if it is on the verified canonical chain (at most the head);
   * otherwise NOT_AVAILABLE: a hash alone proves a header's content, not its place in the chain.
   */
  headerByHash(hash: Uint8Array): Promise<VerifiedHeader>;
  /** Whether the block with this hash is canonical at its number, as far as the chain knows. */
  isCanonical(hash: Uint8Array, number: number): Promise<boolean>;
  readonly sectionSize: number;
  /** The newest section whose roots are trusted, if any. */
  latestSection(): TrustedSection | undefined;
  section(index: number): TrustedSection | undefined;
}

/** Verified block contents (the body matched the header's roots). */
export interface VerifiedBody {
  /** Canonical binary form of each transaction (what the transactions trie holds). */
  transactions: Uint8Array[];
  uncles: Uint8Array[];
  withdrawals?: Uint8Array[];
}

/** An account and storage slots with the nodes of their proof paths (hashed nodes, root first). */
export interface StateProof {
  /** `undefined` = proven absent. */
  account: Account | undefined;
  accountProof: Uint8Array[];
  storage: Array<{ key: Uint8Array; value: bigint; proof: Uint8Array[] }>;
}

/**
 * Everything the methods layer may ask, each answer verified per DESIGN §5. `header` arguments
 * are verified headers from HeaderChainView.
 */
export interface Odr {
  body(header: VerifiedHeader): Promise<VerifiedBody>;
  receipts(header: VerifiedHeader): Promise<Receipt[]>;
  /** `undefined` = proven absent. */
  account(header: VerifiedHeader, address: Uint8Array): Promise<Account | undefined>;
  storage(header: VerifiedHeader, address: Uint8Array, slot: Uint8Array): Promise<bigint>;
  code(header: VerifiedHeader, address: Uint8Array): Promise<Uint8Array>;
  /** The account and slots with the proof nodes that proved them (eth_getProof's material). */
  proof(header: VerifiedHeader, address: Uint8Array, slots: readonly Uint8Array[]): Promise<StateProof>;
  /**
   * Decompressed bit vector (sectionSize bits) of bloom bit `bitIndex` in a trusted section.
   * `dataSection` (default `section.index`) names an older section of blocks proven by this
   * section's cumulative BloomTrie root (sections before a checkpoint have no trusted root of their own).
   */
  bloomBits(section: TrustedSection, bitIndex: number, dataSection?: number): Promise<Uint8Array>;
  /** Status of transactions as several servers report it (cannot be proven; see DESIGN §5). */
  txStatus(hashes: readonly Uint8Array[]): Promise<TxStatusEntry[]>;
  /** Relay a signed transaction (canonical binary) to several servers. */
  sendTransaction(raw: Uint8Array): Promise<TxStatusEntry>;
}
