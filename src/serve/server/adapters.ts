/**
 * The real components behind the handlers' interfaces (backend.ts): the ChainStore, the
 * SectionIndexer and the execution node's transaction pool (the state's is src/serve/state/reader.ts).
 */
import type { ChainStore, StoredHeader } from '../chain/index.js';
import type { SectionIndexer } from '../indexer/index.js';
import type { NodeRpcClient } from '../rpc/client.js';
import { NodeRpcError } from '../rpc/errors.js';
import { toHex } from '../rpc/hex.js';
import type { ChainReader, HelperTrieReader, ServeHead, ServedHeader, TxPool } from './backend.js';

function served(h: StoredHeader | undefined): ServedHeader | undefined {
  return h === undefined ? undefined : { rlp: h.rlp, hash: h.hash, number: h.number, parentHash: h.header.parentHash };
}

/**
 * The chain store as the handlers read it. The head (with its timestamp, for the forkID) is a
 * snapshot the server refreshes on every head event, so Status can be built synchronously.
 */
export class ChainStoreReader implements ChainReader {
  #head: ServeHead;
  readonly #store: ChainStore;
  readonly #genesis: Uint8Array;

  constructor(store: ChainStore, genesisHash: Uint8Array, head: ServeHead) {
    this.#store = store;
    this.#genesis = genesisHash;
    this.#head = head;
  }

  /** Reads the store's head and genesis: undefined while the store holds no block. */
  static async open(store: ChainStore): Promise<ChainStoreReader | undefined> {
    const genesis = await store.canonicalHash(0);
    const head = await ChainStoreReader.headOf(store);
    return genesis === undefined || head === undefined ? undefined : new ChainStoreReader(store, genesis, head);
  }

  static async headOf(store: ChainStore): Promise<ServeHead | undefined> {
    const h = store.head();
    if (h === undefined) return undefined;
    const header = await store.headerByHash(h.hash);
    return header === undefined ? undefined : { hash: h.hash, number: h.number, td: h.td, timestamp: header.header.timestamp };
  }

  setHead(head: ServeHead): void {
    this.#head = head;
  }

  genesisHash(): Uint8Array {
    return this.#genesis;
  }

  head(): ServeHead {
    return this.#head;
  }

  async headerByHash(hash: Uint8Array): Promise<ServedHeader | undefined> {
    return served(await this.#store.headerByHash(hash));
  }

  async headerByNumber(n: number): Promise<ServedHeader | undefined> {
    return served(await this.#store.headerByNumber(n));
  }

  canonicalHash(n: number): Promise<Uint8Array | undefined> {
    return this.#store.canonicalHash(n);
  }

  getBody(hash: Uint8Array) {
    return this.#store.getBody(hash);
  }

  getReceipts(hash: Uint8Array): Promise<Uint8Array[] | undefined> {
    return this.#store.getReceipts(hash);
  }

  /** The first block whose body and receipts are served: the recent segment's anchor while the history below it is filled. */
  chainSince(): number {
    return this.#store.historyGap()?.anchor ?? 0;
  }

  /** Only lookups confirmed by the checked body: blocks filled header-only index unbound tx hashes. */
  txLookup(hash: Uint8Array) {
    return this.#store.confirmedTx(hash);
  }
}

export class IndexerReader implements HelperTrieReader {
  readonly #ix: SectionIndexer;

  constructor(indexer: SectionIndexer) {
    this.#ix = indexer;
  }

  sectionCount(): number {
    return this.#ix.sectionCount;
  }

  sectionSize(): number {
    return this.#ix.sectionSize;
  }

  async chtRoot(section: number): Promise<Uint8Array | undefined> {
    return this.#ix.section(section)?.chtRoot;
  }

  async bloomTrieRoot(section: number): Promise<Uint8Array | undefined> {
    return this.#ix.section(section)?.bloomTrieRoot;
  }

  async chtProof(section: number, key: Uint8Array, fromLevel: number): Promise<Uint8Array[]> {
    return this.#ix.chtProof(section, key, fromLevel);
  }

  async bloomTrieProof(section: number, key: Uint8Array, fromLevel: number): Promise<Uint8Array[]> {
    return this.#ix.bloomTrieProof(section, key, fromLevel);
  }
}

/** The node's pool over JSON-RPC. A JSON-RPC error answer is a refusal; no answer at all throws. */
export class NodeTxPool implements TxPool {
  readonly #rpc: NodeRpcClient;

  constructor(rpc: NodeRpcClient) {
    this.#rpc = rpc;
  }

  async send(tx: Uint8Array) {
    try {
      await this.#rpc.call('eth_sendRawTransaction', [toHex(tx)]);
      return { ok: true as const };
    } catch (err) {
      if (err instanceof NodeRpcError && err.code === 'NODE_RPC_ERROR') {
        // The node's own words, without our "method: " prefix.
        return { ok: false as const, error: err.message.replace(/^eth_sendRawTransaction: /, '') };
      }
      throw err;
    }
  }

  async pending(hashes: readonly Uint8Array[]): Promise<boolean[]> {
    const answers = await this.#rpc.batchSettled(hashes.map((h) => ({ method: 'eth_getTransactionByHash', params: [toHex(h)] })));
    return answers.map((a) => {
      if (!a.ok || typeof a.result !== 'object' || a.result === null) return false;
      const bn = (a.result as { blockNumber?: unknown }).blockNumber;
      return bn === null || bn === undefined;
    });
  }
}

