/**
 * Proofs and code from the execution node's own `eth_getProof` / `eth_getCode` at the requested
 * block (EIP-1898 `{blockHash}`), checked before anything is served: every node answer is walked
 * from the header's stateRoot (and the proven account's storageRoot) with src/verify's trie walk,
 * and code must hash to the proven account's codeHash. A node that answers a proof or code that
 * does not check is logged as an error and the item is unservable: it is never relayed.
 *
 * Caches: proof nodes by their hash (content-addressed, so any walk through them is as good as
 * one through the node's answer), recent answers by (stateRoot, keys, fromLevel), and code by
 * codeHash — all bounded in bytes. One JSON-RPC batch per request message: one eth_getProof per
 * address (its slots together), then one batch of eth_getCode for the codes not cached.
 *
 * The node's answers are untrusted and bounded: proofs of at most MAX_PATH_NODES nodes of at most
 * MAX_NODE_BYTES each, code of at most MAX_CODE_BYTES.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LRUCache } from 'lru-cache';
import type { NodeRpcClient, RpcCall, RpcSettled } from '../rpc/client.js';
import { toHex } from '../rpc/hex.js';
import { equalBytes } from '../../verify/bytes.js';
import { MissingNodeError, VerificationError } from '../../verify/errors.js';
import { collectProof } from '../../verify/proof.js';
import { EMPTY_CODE_HASH, decodeAccount } from '../../verify/state.js';
import { StateError } from './errors.js';

/** A trie path has at most 65 levels; a node padding its answer beyond that is refused. */
const MAX_PATH_NODES = 80;
/** A branch node is at most 17 × 33 bytes plus headers; account and storage leaves are smaller. */
const MAX_NODE_BYTES = 1024;
/** Deployed code is capped by the protocol far below this. */
const MAX_CODE_BYTES = 1 << 20;

export interface StateAt {
  number: number;
  hash: Uint8Array;
  stateRoot: Uint8Array;
}

export interface ProveItem {
  accountKey: Uint8Array;
  /** Empty for an account proof. */
  storageKey: Uint8Array;
  fromLevel: number;
  address: Uint8Array;
  /** 32 bytes for a storage proof. */
  slot?: Uint8Array;
}

export interface Proven {
  /** The proof nodes this item needs, from fromLevel on. */
  nodes: Uint8Array[];
  /** The account's trie value (undefined: proven absent). */
  account: Uint8Array | undefined;
}

export interface ProverLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NodeProverOptions {
  rpc: NodeRpcClient;
  log: ProverLog;
  /** Bytes of proof nodes kept by hash. Default 64 MiB. */
  nodeCacheBytes?: number;
  /** Bytes of recent answers kept. Default 32 MiB. */
  answerCacheBytes?: number;
  /** Bytes of code kept by codeHash. Default 32 MiB. */
  codeCacheBytes?: number;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytesOf = (list: readonly Uint8Array[]): number => list.reduce((n, x) => n + x.length + 16, 64);

/** Reads a list of hex node encodings from the node's answer, bounded. */
function readNodes(v: unknown, field: string): Uint8Array[] {
  if (!Array.isArray(v) || v.length > MAX_PATH_NODES) throw wrong(field, `expected at most ${MAX_PATH_NODES} nodes`);
  return v.map((h, i) => {
    if (typeof h !== 'string' || h.length > 2 + 2 * MAX_NODE_BYTES || h.length % 2 !== 0 || !h.startsWith('0x')) throw wrong(`${field}[${i}]`, 'not a hex node of at most 1 KiB');
    // No digit-by-digit check: bad hex decodes short, and bytes that are not the node hash to nothing the walk needs.
    const b = Buffer.from(h.slice(2), 'hex');
    if (b.length * 2 !== h.length - 2) throw wrong(`${field}[${i}]`, 'not hex');
    return new Uint8Array(b);
  });
}

function wrong(field: string, detail: string): StateError {
  return new StateError('STATE_WRONG_PROOF', `the node's answer ${field}: ${detail}`, { field });
}

export class NodeStateProver {
  readonly stats = { nodeCalls: 0, fromNode: 0, fromCache: 0, wrongAnswers: 0, unavailable: 0 };
  readonly #rpc: NodeRpcClient;
  readonly #log: ProverLog;
  readonly #nodes: LRUCache<string, Uint8Array>;
  readonly #answers: LRUCache<string, Proven>;
  readonly #codes: LRUCache<string, Uint8Array>;

  constructor(options: NodeProverOptions) {
    this.#rpc = options.rpc;
    this.#log = options.log;
    this.#nodes = new LRUCache({ maxSize: options.nodeCacheBytes ?? 64 << 20, sizeCalculation: (v) => v.length + 64 });
    this.#answers = new LRUCache({ maxSize: options.answerCacheBytes ?? 32 << 20, sizeCalculation: (v) => bytesOf(v.nodes) });
    this.#codes = new LRUCache({ maxSize: options.codeCacheBytes ?? 32 << 20, sizeCalculation: (v) => v.length + 64 });
  }

  /**
   * Proves `items` at `st`, in order; stops at the first item the node cannot prove (no state at
   * that block, an error, or a wrong answer): the result is the proven prefix.
   */
  async prove(st: StateAt, items: readonly ProveItem[]): Promise<Proven[]> {
    const out: Array<Proven | undefined> = items.map((it) => this.#fromCache(st, it));
    const missing = items.filter((_, i) => out[i] === undefined);
    if (missing.length > 0) {
      const fetched = await this.#fetch(st, missing);
      let j = 0;
      for (let i = 0; i < items.length; i++) {
        if (out[i] !== undefined) continue;
        const p = fetched[j++];
        if (p === undefined) break;
        out[i] = p;
      }
    }
    const end = out.findIndex((p) => p === undefined);
    return (end < 0 ? out : out.slice(0, end)) as Proven[];
  }

  /** The code of each proven account, in order; stops at the first code the node cannot give or gives wrong. */
  async codes(st: StateAt, items: ReadonlyArray<{ address: Uint8Array; account: Uint8Array | undefined }>): Promise<Uint8Array[]> {
    const hashes = items.map((it) => (it.account === undefined ? EMPTY_CODE_HASH : decodeAccount(it.account).codeHash));
    const out = hashes.map((h) => (equalBytes(h, EMPTY_CODE_HASH) ? new Uint8Array(0) : this.#codes.get(b64(h))));
    const need = out.flatMap((c, i) => (c === undefined ? [i] : []));
    if (need.length > 0) {
      const answers = await this.#call(need.map((i) => ({ method: 'eth_getCode', params: [toHex((items[i] as { address: Uint8Array }).address), { blockHash: toHex(st.hash) }] })), st);
      need.forEach((i, k) => {
        const a = answers?.[k];
        const codeHash = hashes[i] as Uint8Array;
        if (a === undefined || !a.ok) return this.#unavailable(st, a, 'eth_getCode');
        const r = a.result;
        if (typeof r !== 'string' || r.length > 2 + 2 * MAX_CODE_BYTES || !/^0x(?:[0-9a-fA-F]{2})*$/.test(r)) return this.#wrong(st, wrong('eth_getCode', 'not hex code of at most 1 MiB'));
        const code = Uint8Array.from(Buffer.from(r.slice(2), 'hex'));
        if (!equalBytes(keccak256(code), codeHash)) return this.#wrong(st, wrong('eth_getCode', `code of ${toHex((items[i] as { address: Uint8Array }).address)} does not hash to the proven codeHash`));
        this.#codes.set(b64(codeHash), code);
        out[i] = code;
      });
    }
    const end = out.findIndex((c) => c === undefined);
    return (end < 0 ? out : out.slice(0, end)) as Uint8Array[];
  }

  /** A proof from cached answers or cached nodes alone; undefined when something is missing. */
  #fromCache(st: StateAt, it: ProveItem): Proven | undefined {
    const key = answerKey(st, it);
    const hit = this.#answers.get(key);
    if (hit !== undefined) {
      this.stats.fromCache++;
      return hit;
    }
    try {
      const p = walkItem(st, it, (h) => this.#nodes.get(b64(h)));
      this.#answers.set(key, p);
      this.stats.fromCache++;
      return p;
    } catch (err) {
      if (err instanceof MissingNodeError) return undefined;
      throw err;
    }
  }

  /** One batch: one eth_getProof per address, with that address's slots. */
  async #fetch(st: StateAt, items: readonly ProveItem[]): Promise<Array<Proven | undefined>> {
    const byAddress = new Map<string, { address: Uint8Array; slots: Map<string, Uint8Array> }>();
    for (const it of items) {
      const k = b64(it.address);
      let e = byAddress.get(k);
      if (e === undefined) byAddress.set(k, (e = { address: it.address, slots: new Map() }));
      if (it.slot !== undefined) e.slots.set(b64(it.slot), it.slot);
    }
    const groups = [...byAddress.values()];
    const answers = await this.#call(
      groups.map((g) => ({ method: 'eth_getProof', params: [toHex(g.address), [...g.slots.values()].map(toHex), { blockHash: toHex(st.hash) }] })),
      st,
    );
    if (answers === undefined) return [];
    // Every node of a group's answer, by the hash computed here.
    const pools = new Map<string, Map<string, Uint8Array> | undefined>();
    groups.forEach((g, i) => {
      const a = answers[i];
      if (a === undefined || !a.ok) {
        this.#unavailable(st, a, 'eth_getProof');
        pools.set(b64(g.address), undefined);
        return;
      }
      try {
        pools.set(b64(g.address), readAnswer(a.result, g.slots.size));
      } catch (err) {
        this.#wrong(st, err);
        pools.set(b64(g.address), undefined);
      }
    });
    const out: Array<Proven | undefined> = [];
    for (const it of items) {
      const pool = pools.get(b64(it.address));
      if (pool === undefined) break;
      let p: Proven;
      // Nodes the walk took from the answer, by the hash already computed: they enter the cache once checked.
      const used = new Map<string, Uint8Array>();
      try {
        p = walkItem(st, it, (h) => {
          const k = b64(h);
          const n = pool.get(k);
          if (n === undefined) return this.#nodes.get(k);
          used.set(k, n);
          return n;
        });
      } catch (err) {
        if (!(err instanceof VerificationError)) throw err;
        this.#wrong(st, new StateError('STATE_WRONG_PROOF', `the node's eth_getProof of ${toHex(it.address)} does not prove it against the header's stateRoot: ${err.message}`, { field: 'eth_getProof', cause: err }));
        break;
      }
      // Only nodes a checked walk used enter the cache.
      for (const [k, n] of used) this.#nodes.set(k, n);
      this.#answers.set(answerKey(st, it), p);
      this.stats.fromNode++;
      out.push(p);
    }
    return out;
  }

  async #call(calls: RpcCall[], st: StateAt): Promise<RpcSettled[] | undefined> {
    this.stats.nodeCalls++;
    try {
      return await this.#rpc.batchSettled(calls);
    } catch (err) {
      this.#unavailable(st, { ok: false, error: err as never }, calls[0]?.method ?? '?');
      return undefined;
    }
  }

  #unavailable(st: StateAt, a: RpcSettled | undefined, method: string): undefined {
    this.stats.unavailable++;
    const err = a === undefined ? 'no answer' : a.ok ? 'no result' : (a.error as Error).message;
    this.#log.warn({ block: st.number, method, err }, 'serve: the node has no state for this request; not served');
    return undefined;
  }

  #wrong(st: StateAt, err: unknown): undefined {
    this.stats.wrongAnswers++;
    this.#log.error({ block: st.number, hash: toHex(st.hash), err }, 'serve: THE NODE ANSWERED A WRONG PROOF OR CODE; not relayed, request treated as unservable');
    return undefined;
  }
}

function answerKey(st: StateAt, it: ProveItem): string {
  return `${b64(st.stateRoot)}${b64(it.accountKey)}${b64(it.storageKey)}${it.fromLevel}`;
}

/** The account path (and the slot's path under its storageRoot) through nodes found by `lookup`. */
function walkItem(st: StateAt, it: ProveItem, lookup: (h: Uint8Array) => Uint8Array | undefined): Proven {
  const storage = it.storageKey.length !== 0;
  const acc = collectProof(st.stateRoot, it.accountKey, lookup, storage ? 0 : it.fromLevel);
  if (!storage || acc.value === undefined) return { nodes: acc.nodes, account: acc.value };
  const { storageRoot } = decodeAccount(acc.value);
  const slot = collectProof(storageRoot, it.storageKey, lookup, it.fromLevel);
  return { nodes: [...acc.nodes, ...slot.nodes], account: acc.value };
}

/** Every node of an eth_getProof answer (account proof and each storage proof), keyed by its hash. */
function readAnswer(result: unknown, slots: number): Map<string, Uint8Array> {
  if (typeof result !== 'object' || result === null) throw wrong('result', 'not an object');
  const r = result as Record<string, unknown>;
  const pool = new Map<string, Uint8Array>();
  // anvil lists the empty trie's "node" 0x80 as the storage proof of an empty storage trie; an LES
  // proof of the empty trie has no nodes (and 0x80 is no list to send), so it is left out.
  const add = (nodes: Uint8Array[]) => nodes.forEach((n) => (n.length === 1 && n[0] === 0x80 ? undefined : pool.set(b64(keccak256(n)), n)));
  add(readNodes(r.accountProof, 'accountProof'));
  const sp = r.storageProof;
  if (!Array.isArray(sp) || sp.length !== slots) throw wrong('storageProof', `expected ${slots} entries`);
  sp.forEach((e, i) => add(readNodes(typeof e === 'object' && e !== null ? (e as Record<string, unknown>).proof : undefined, `storageProof[${i}].proof`)));
  return pool;
}
