/**
 * Fills the preimage index from the blocks the chain follower delivers: per block, one JSON-RPC
 * batch of the block with its transactions (senders, recipients, access-list addresses and slots,
 * CREATE addresses from sender and nonce), its receipts (log emitters, created contracts) and,
 * where the node has it, a prestateTracer trace (every account and slot a transaction touched, read
 * or written). A node without `debug_traceBlockByNumber` or `eth_getBlockReceipts` (Hardhat) is
 * asked for them once: the index then holds what the block itself names.
 *
 * The node's answers are only mined for byte strings of the right length: an entry is keyed by the
 * hash computed here, so a wrong answer can add useless entries but never a wrong preimage.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { BlockEvent, ChainFollower, ChainLog } from '../chain/follower.js';
import type { NodeRpcClient, RpcCall, RpcSettled } from '../rpc/client.js';
import { quantityHex, toHex } from '../rpc/hex.js';
import { encodeRlp, encodeUint } from '../../wire/rlp.js';
import type { PreimageIndex } from './preimages.js';

/** Most preimages taken from one block: a hostile or broken node cannot fill the store in one answer. */
const MAX_PER_BLOCK = 200_000;
/** Blocks waiting beyond this are skipped (with a warning), so a long history fill cannot pile up work. */
const MAX_QUEUE = 10_000;
/** A JSON-RPC error code for "no such method". */
const METHOD_NOT_FOUND = -32601;

const HEX_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HEX_SLOT = /^0x[0-9a-fA-F]{64}$/;

export interface PreimageFeedOptions {
  follower: ChainFollower;
  rpc: NodeRpcClient;
  index: PreimageIndex;
  /** Blocks below this number are not mined (history a node may not trace cheaply). Default 0. */
  fromBlock?: number;
  log: ChainLog;
}

/** Collects 20- and 32-byte hex strings from untrusted JSON, bounded. */
class Collector {
  readonly out = new Map<string, Uint8Array>();

  address(v: unknown): void {
    if (typeof v === 'string' && HEX_ADDRESS.test(v)) this.#put(v);
  }

  slot(v: unknown): void {
    if (typeof v === 'string' && HEX_SLOT.test(v)) this.#put(v);
  }

  #put(hex: string): void {
    if (this.out.size >= MAX_PER_BLOCK) return;
    const k = hex.toLowerCase();
    if (!this.out.has(k)) this.out.set(k, Uint8Array.from(Buffer.from(k.slice(2), 'hex')));
  }
}

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The address a CREATE from `from` at `nonce` makes: keccak256(rlp([from, nonce]))[12..]. */
export function createAddress(from: Uint8Array, nonce: bigint): Uint8Array {
  return keccak256(encodeRlp([from, encodeUint(nonce)])).subarray(12);
}

function fromBlockJson(c: Collector, block: unknown): void {
  const b = obj(block);
  if (b === undefined) return;
  c.address(b.miner);
  for (const w of arr(b.withdrawals)) c.address(obj(w)?.address);
  for (const t of arr(b.transactions)) {
    const tx = obj(t);
    if (tx === undefined) continue;
    c.address(tx.from);
    c.address(tx.to);
    for (const e of arr(tx.accessList)) {
      const entry = obj(e);
      c.address(entry?.address);
      for (const k of arr(entry?.storageKeys)) c.slot(k);
    }
    for (const a of arr(tx.authorizationList)) c.address(obj(a)?.address);
    if ((tx.to === null || tx.to === undefined) && typeof tx.from === 'string' && HEX_ADDRESS.test(tx.from) && typeof tx.nonce === 'string' && /^0x[0-9a-fA-F]{1,16}$/.test(tx.nonce)) {
      c.address(toHex(createAddress(Uint8Array.from(Buffer.from(tx.from.slice(2), 'hex')), BigInt(tx.nonce))));
    }
  }
}

function fromReceipts(c: Collector, receipts: unknown): void {
  for (const r of arr(receipts)) {
    const rec = obj(r);
    c.address(rec?.contractAddress);
    for (const l of arr(rec?.logs)) c.address(obj(l)?.address);
  }
}

/** prestateTracer (not diff mode): per transaction `{result: {address: {storage: {slot: value}}}}`. */
function fromTrace(c: Collector, trace: unknown): void {
  for (const item of arr(trace)) {
    const accounts = obj(obj(item)?.result);
    if (accounts === undefined) continue;
    for (const [address, acc] of Object.entries(accounts)) {
      c.address(address);
      const storage = obj(obj(acc)?.storage);
      if (storage !== undefined) for (const slot of Object.keys(storage)) c.slot(slot);
    }
  }
}

function missingMethod(a: RpcSettled | undefined): boolean {
  return a !== undefined && !a.ok && a.error.code === 'NODE_RPC_ERROR' && (a.error.rpcCode === METHOD_NOT_FOUND || /not (supported|found|available)|does not exist|unknown method/i.test(a.error.message));
}

export class PreimageFeed {
  readonly stats = { blocks: 0, skipped: 0, failed: 0 };
  readonly #opts: PreimageFeedOptions;
  #trace = true;
  #receipts = true;
  #pending = 0;
  #queue: Promise<void> = Promise.resolve();
  readonly #listener = (ev: BlockEvent): void => {
    if (ev.number < (this.#opts.fromBlock ?? 0)) return;
    if (this.#pending >= MAX_QUEUE) {
      this.stats.skipped++;
      if (this.stats.skipped === 1) this.#opts.log.warn({ number: ev.number }, 'preimages: blocks arrive faster than they are indexed; skipping some');
      return;
    }
    this.#pending++;
    this.#queue = this.#queue
      .then(() => this.#index(ev.number, ev.hash))
      .catch((err: unknown) => {
        this.stats.failed++;
        this.#opts.log.warn({ number: ev.number, err: (err as Error).message }, 'preimages: block not indexed');
      })
      .finally(() => this.#pending--);
  };

  constructor(options: PreimageFeedOptions) {
    this.#opts = options;
    options.follower.on('block', this.#listener);
  }

  /** Whether the node answers the prestate tracer (false once it said it does not). */
  get tracing(): boolean {
    return this.#trace;
  }

  /** Resolves when every block delivered so far has been indexed. */
  async idle(): Promise<void> {
    let q: Promise<void>;
    do {
      q = this.#queue;
      await q;
    } while (q !== this.#queue);
  }

  async detach(): Promise<void> {
    this.#opts.follower.off('block', this.#listener);
    await this.idle();
  }

  async #index(number: number, hash: Uint8Array): Promise<void> {
    const { rpc, index, log } = this.#opts;
    const calls: RpcCall[] = [{ method: 'eth_getBlockByHash', params: [toHex(hash), true] }];
    if (this.#receipts) calls.push({ method: 'eth_getBlockReceipts', params: [toHex(hash)] });
    if (this.#trace) calls.push({ method: 'debug_traceBlockByNumber', params: [quantityHex(number), { tracer: 'prestateTracer' }] });
    const answers = await rpc.batchSettled(calls);
    const c = new Collector();
    calls.forEach((call, i) => {
      const a = answers[i];
      if (a?.ok === true) {
        if (call.method === 'eth_getBlockByHash') fromBlockJson(c, a.result);
        else if (call.method === 'eth_getBlockReceipts') fromReceipts(c, a.result);
        else fromTrace(c, a.result);
        return;
      }
      if (!missingMethod(a)) return;
      if (call.method === 'eth_getBlockReceipts') this.#receipts = false;
      else this.#trace = false;
      log.info({ method: call.method }, `preimages: the node has no ${call.method}; indexing what blocks name without it`);
    });
    await index.add(c.out.values());
    this.stats.blocks++;
  }
}
