/**
 * Reads blocks from the execution node and checks them (block-json.ts) into ChainBlocks:
 * header-only batches for filling history, full blocks (body + receipts) for new heads, and
 * bodies / receipts of stored headers on demand (the store's BlockFetcher).
 *
 * Receipts are asked by block hash, so a reorg between the two calls cannot pair one block's
 * receipts with another's header (the root check would refuse them anyway). A node without
 * `eth_getBlockReceipts` (Hardhat) is asked `eth_getTransactionReceipt` for each transaction, in
 * one batch; the list is bound to the block by the same receiptsRoot check. A node that stops
 * answering `eth_getBlockReceipts` (another node behind the same URL) moves to the fallback.
 *
 * A node that pruned old bodies (go-ethereum `--history.chain postmerge`, EIP-4444) refuses
 * `eth_getBlockByNumber` for those blocks but keeps their headers: the history fill then reads
 * them with go-ethereum's `eth_getHeaderByNumber` (no transaction hashes, so no tx lookups for
 * them), checking each the same way, and goes back to blocks where the pruned range ends.
 */
import type { RpcBlockHead } from '../rpc/block.js';
import type { NodeRpcClient, RpcSettled } from '../rpc/client.js';
import { NodeRpcError, isMissingMethod, isPrunedHistory } from '../rpc/errors.js';
import { quantityHex, toHex } from '../rpc/hex.js';
import { VerificationError } from '../../verify/errors.js';
import { rpcData } from '../../verify/tx-rpc.js';
import {
  type CheckedHeader,
  blockHeadOf,
  checkedBody,
  checkedHeader,
  checkedReceipts,
  listedTxHashes,
} from './block-json.js';
import type { StoredBody } from './codec.js';
import type { BlockFetcher, ChainBlock, StoredHeader } from './store.js';

/** A checked block with the fields the state tracker reads. */
export interface FetchedBlock extends ChainBlock {
  head: RpcBlockHead;
}

export interface HeaderBatch {
  /** Checked blocks from the first number asked, in order, up to the first gap or failure. */
  blocks: FetchedBlock[];
  /** Why the batch stopped early (a block that failed a check, or the node's error for it). */
  failure?: unknown;
}

/**
 * How receipts are read from the node: `eth_getBlockReceipts` per block, `eth_getTransactionReceipt`
 * per transaction, or not at all (the node has neither: GetReceipts gets empty answers).
 */
export type ReceiptsMethod = 'block' | 'transaction' | 'none';

export interface NodeBlockSourceOptions {
  /** Ask `debug_getRawTransaction` for transactions the JSON cannot rebuild. Default true. */
  rawTxFallback?: boolean;
  /** Default 'block' (a node without it is moved to 'transaction' on its first refusal). */
  receipts?: ReceiptsMethod;
}

/** Receipts asked in one JSON-RPC batch in per-transaction mode. */
const RECEIPT_BATCH = 200;

export class NodeBlockSource implements BlockFetcher {
  /** Per process: calls by kind, for tests and tuning. */
  readonly stats: {
    headerBatches: number;
    headersFetched: number;
    fullBlocks: number;
    headerByHash: number;
    rawTxs: number;
    txReceipts: number;
    /** Headers read with eth_getHeaderByNumber (the node pruned their blocks' bodies). */
    prunedHeaders: number;
    /** The first block found pruned. */
    prunedHistoryFrom?: number;
  } = { headerBatches: 0, headersFetched: 0, fullBlocks: 0, headerByHash: 0, rawTxs: 0, txReceipts: 0, prunedHeaders: 0 };
  private readonly rpc: NodeRpcClient;
  private rawTxFallback: boolean;
  #receipts: ReceiptsMethod;
  /** The fill is inside the node's pruned history: headers come from eth_getHeaderByNumber. */
  #prunedHistory = false;

  constructor(rpc: NodeRpcClient, options: NodeBlockSourceOptions = {}) {
    this.rpc = rpc;
    this.rawTxFallback = options.rawTxFallback ?? true;
    this.#receipts = options.receipts ?? 'block';
  }

  get receiptsMethod(): ReceiptsMethod {
    return this.#receipts;
  }

  /** What the node was found to have (probe at start, or the operator's new node). */
  configure(options: NodeBlockSourceOptions): void {
    if (options.rawTxFallback !== undefined) this.rawTxFallback = options.rawTxFallback;
    if (options.receipts !== undefined) this.#receipts = options.receipts;
  }

  /** The node's head header, checked; undefined if it has none. */
  async latest(): Promise<CheckedHeader | undefined> {
    const json = await this.rpc.call('eth_getBlockByNumber', ['latest', false]);
    return json === null ? undefined : checkedHeader(json);
  }

  /** Blocks from..from+count−1 without transaction bodies, in one JSON-RPC batch. */
  async headersByNumber(from: number, count: number): Promise<HeaderBatch> {
    this.stats.headerBatches++;
    const last = quantityHex(from + count - 1);
    if (this.#prunedHistory) {
      // Headers only, and the batch's last block as a block: once that is served, the pruned range has ended.
      const answers = await this.rpc.batchSettled([...this.calls('eth_getHeaderByNumber', from, count), { method: 'eth_getBlockByNumber', params: [last, false] }]);
      const probe = answers.pop();
      if (probe === undefined || probe.ok || !isPrunedHistory(probe.error)) this.#prunedHistory = false;
      else return this.readHeaders(answers, from, 'eth_getHeaderByNumber');
    }
    const answers = await this.rpc.batchSettled(this.calls('eth_getBlockByNumber', from, count));
    const isPruned = (a: RpcSettled): boolean => !a.ok && isPrunedHistory(a.error);
    const first = answers.findIndex(isPruned);
    if (first < 0) return this.readHeaders(answers, from, 'eth_getBlockByNumber');
    const end = answers.length - [...answers].reverse().findIndex(isPruned);
    this.stats.prunedHistoryFrom ??= from + first;
    this.#prunedHistory = end === answers.length;
    // The blocks before the pruned run, the run's headers, then the blocks after it (where the
    // pruned range ended), up to the first gap or failure.
    const before = this.readHeaders(answers.slice(0, first), from, 'eth_getBlockByNumber');
    if (before.failure !== undefined || before.blocks.length < first) return before;
    const run = this.readHeaders(await this.rpc.batchSettled(this.calls('eth_getHeaderByNumber', from + first, end - first)), from + first, 'eth_getHeaderByNumber');
    if (run.failure !== undefined || run.blocks.length < end - first) return { blocks: [...before.blocks, ...run.blocks], failure: run.failure };
    const after = this.readHeaders(answers.slice(end), from + end, 'eth_getBlockByNumber');
    return { blocks: [...before.blocks, ...run.blocks, ...after.blocks], failure: after.failure };
  }

  /** One call per block; go-ethereum's eth_getHeaderByNumber takes the number alone (a second argument is refused). */
  private calls(method: 'eth_getBlockByNumber' | 'eth_getHeaderByNumber', from: number, count: number) {
    return Array.from({ length: count }, (_, i) => ({ method, params: method === 'eth_getBlockByNumber' ? [quantityHex(from + i), false] : [quantityHex(from + i)] }));
  }

  /** Checked blocks from the answers, up to the first gap or failure. */
  private readHeaders(answers: readonly RpcSettled[], from: number, method: string): HeaderBatch {
    const blocks: FetchedBlock[] = [];
    for (let i = 0; i < answers.length; i++) {
      const a = answers[i];
      if (a === undefined || !a.ok) return { blocks, failure: a?.error };
      if (a.result === null) return { blocks };
      try {
        const h = checkedHeader(a.result);
        if (h.number !== from + i) return { blocks, failure: new NodeRpcError('NODE_BAD_RESPONSE', method, `asked for block ${from + i}, got ${h.number}`, { field: 'number' }) };
        blocks.push(this.headerOnly(h));
      } catch (failure) {
        return { blocks, failure };
      }
      this.stats.headersFetched++;
      if (method === 'eth_getHeaderByNumber') this.stats.prunedHeaders++;
    }
    return { blocks };
  }

  /**
   * The node's `totalDifficulty` of the block `hash` (checked to be that block); undefined where
   * the node no longer reports it (go-ethereum dropped the field) or lacks the block.
   */
  async totalDifficulty(hash: Uint8Array): Promise<bigint | undefined> {
    const json = await this.rpc.call('eth_getBlockByHash', [toHex(hash), false]);
    if (json === null) return undefined;
    const td = checkedHeader(json, hash).json.totalDifficulty;
    if (typeof td !== 'string' || !/^0x[0-9a-fA-F]{1,64}$/.test(td)) return undefined;
    return BigInt(td);
  }

  /** One block without transaction bodies, by hash; undefined if the node does not have it. */
  async headerByHash(hash: Uint8Array): Promise<FetchedBlock | undefined> {
    this.stats.headerByHash++;
    const json = await this.rpc.call('eth_getBlockByHash', [toHex(hash), false]);
    return json === null ? undefined : this.headerOnly(checkedHeader(json, hash));
  }

  /**
   * A block with its body and receipts, all checked; undefined if the node does not have it. A
   * block whose body the node pruned comes header-only (from eth_getHeaderByNumber/ByHash).
   */
  async fullBlock(at: number | Uint8Array): Promise<FetchedBlock | undefined> {
    this.stats.fullBlocks++;
    let json: unknown;
    try {
      json =
        at instanceof Uint8Array
          ? await this.rpc.call('eth_getBlockByHash', [toHex(at), true])
          : await this.rpc.call('eth_getBlockByNumber', [quantityHex(at), true]);
    } catch (e) {
      if (!isPrunedHistory(e)) throw e;
      const header = at instanceof Uint8Array ? await this.rpc.call('eth_getHeaderByHash', [toHex(at)]) : await this.rpc.call('eth_getHeaderByNumber', [quantityHex(at)]);
      if (header === null) return undefined;
      this.stats.prunedHeaders++;
      return this.headerOnly(checkedHeader(header, at instanceof Uint8Array ? at : undefined));
    }
    if (json === null) return undefined;
    const h = checkedHeader(json, at instanceof Uint8Array ? at : undefined);
    const head = blockHeadOf(h);
    const { body, txHashes } = await checkedBody(h, this.bodyHelpers(h.hash));
    const block = { hash: h.hash, number: h.number, header: h.header, rlp: h.rlp, txHashes, body, head };
    if (this.#receipts === 'none') return block;
    const receiptsJson = await this.receiptsJson(h.hash, txHashes);
    if (receiptsJson === null) return undefined;
    return { ...block, receipts: checkedReceipts(h, receiptsJson, body.transactions.length) };
  }

  /** BlockFetcher: the body of a stored header, checked against it. */
  async fetchBody(stored: StoredHeader): Promise<StoredBody | undefined> {
    const json = await this.rpc.call('eth_getBlockByHash', [toHex(stored.hash), true]).catch(prunedAsNull);
    if (json === null) return undefined;
    const h = checkedHeader(json, stored.hash);
    return (await checkedBody(h, this.bodyHelpers(h.hash))).body;
  }

  /** BlockFetcher: the receipts of a stored header, checked against its receiptsRoot. */
  async fetchReceipts(stored: StoredHeader): Promise<Uint8Array[] | undefined> {
    if (this.#receipts === 'none') return undefined;
    const json = await this.receiptsJson(stored.hash, undefined).catch(prunedAsNull);
    return json === null ? undefined : checkedReceipts(stored, json);
  }

  /**
   * The block's receipts as the node's JSON list (null: the node does not have the block). A node
   * that refuses eth_getBlockReceipts as an unknown method is asked per transaction from then on;
   * the tx hashes are the block's (`txHashes`, or its JSON), bound to it by the receiptsRoot check.
   */
  private async receiptsJson(blockHash: Uint8Array, txHashes: Uint8Array[] | undefined): Promise<unknown> {
    if (this.#receipts === 'block') {
      try {
        return await this.rpc.call('eth_getBlockReceipts', [toHex(blockHash)]);
      } catch (e) {
        if (!isMissingMethod(e)) throw e;
        this.#receipts = 'transaction';
      }
    }
    if (txHashes === undefined) {
      const json = await this.rpc.call('eth_getBlockByHash', [toHex(blockHash), false]);
      if (json === null) return null;
      txHashes = listedTxHashes(checkedHeader(json, blockHash));
    }
    const out: unknown[] = [];
    for (let i = 0; i < txHashes.length; i += RECEIPT_BATCH) {
      const calls = txHashes.slice(i, i + RECEIPT_BATCH).map((t) => ({ method: 'eth_getTransactionReceipt', params: [toHex(t)] }));
      this.stats.txReceipts += calls.length;
      const answers = await this.rpc.batch(calls);
      // A receipt missing, or of another block (a reorg between the calls): the block is not there as asked.
      for (const a of answers) {
        if (a === null || typeof a !== 'object' || String((a as { blockHash?: unknown }).blockHash).toLowerCase() !== toHex(blockHash)) return null;
        out.push(a);
      }
    }
    return out;
  }

  private headerOnly(h: CheckedHeader): FetchedBlock {
    // A header's JSON (eth_getHeaderByNumber) lists no transactions: none to look up.
    const txHashes = h.json.transactions === undefined ? [] : listedTxHashes(h);
    return { hash: h.hash, number: h.number, header: h.header, rlp: h.rlp, txHashes, head: blockHeadOf(h) };
  }

  private bodyHelpers(blockHash: Uint8Array) {
    return {
      rawTx: this.rawTxFallback
        ? async (hash: Uint8Array) => {
            this.stats.rawTxs++;
            try {
              const raw = await this.rpc.call('debug_getRawTransaction', [toHex(hash)]);
              return raw === null ? undefined : rpcData(raw, 'raw');
            } catch (e) {
              // No debug namespace, or a malformed answer: the JSON rebuild's error stands.
              if (e instanceof NodeRpcError && e.code === 'NODE_RPC_ERROR') return undefined;
              if (e instanceof VerificationError) return undefined;
              throw e;
            }
          }
        : undefined,
      uncle: (index: number) => this.rpc.call('eth_getUncleByBlockHashAndIndex', [toHex(blockHash), quantityHex(index)]),
    };
  }
}

/** The node pruned the block's body or receipts: for the store, it does not have them. */
function prunedAsNull(e: unknown): null {
  if (isPrunedHistory(e)) return null;
  throw e;
}
