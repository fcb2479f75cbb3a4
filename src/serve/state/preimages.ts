/**
 * The preimage index: keccak256(address) → address and keccak256(slot) → slot, persisted in the
 * server's store. LES requests name accounts and slots by these hashes while `eth_getProof` wants
 * the preimages, so a standard request is servable only for keys found here (or carried by the
 * request itself through the preimage extension, checked by the caller).
 *
 * Every entry is keyed by the hash this process computed from the preimage, so nothing a node or
 * file says can make a key resolve to a preimage that does not hash to it.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import { LRUCache } from 'lru-cache';
import type { KvStore } from '../../store/kv.js';
import { StateError } from './errors.js';

const ADDRESS = 20;
const SLOT = 32;

function cacheKey(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

export class PreimageIndex {
  readonly stats = { added: 0, hits: 0, misses: 0 };
  readonly #store: KvStore;
  /** Recently read or written entries: followed blocks repeat the same accounts. */
  readonly #recent = new LRUCache<string, Uint8Array>({ max: 65_536 });

  constructor(store: KvStore) {
    this.#store = store;
  }

  /** The address whose keccak256 is `key`, if known. */
  address(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#get(key, ADDRESS);
  }

  /** The slot whose keccak256 is `key`, if known. */
  slot(key: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#get(key, SLOT);
  }

  /** Adds addresses (20 bytes) and slots (32 bytes); anything else is refused. */
  async add(preimages: Iterable<Uint8Array>): Promise<number> {
    const ops: Array<{ type: 'put'; key: Uint8Array; value: Uint8Array }> = [];
    for (const p of preimages) {
      if (p.length !== ADDRESS && p.length !== SLOT) throw new StateError('STATE_BAD_KEY', `a preimage is 20 or 32 bytes, got ${p.length}`, { field: 'preimage' });
      const key = keccak256(p);
      const k = cacheKey(key);
      if (this.#recent.has(k)) continue;
      this.#recent.set(k, p);
      ops.push({ type: 'put', key, value: Uint8Array.from(p) });
    }
    if (ops.length > 0) await this.#store.batch(ops);
    this.stats.added += ops.length;
    return ops.length;
  }

  async #get(key: Uint8Array, len: number): Promise<Uint8Array | undefined> {
    if (key.length !== 32) return undefined;
    const k = cacheKey(key);
    let v = this.#recent.get(k);
    if (v === undefined) {
      v = await this.#store.get(key);
      if (v !== undefined) this.#recent.set(k, v);
    }
    // A 20-byte address and a 32-byte slot cannot share a hash in practice; the length says which was asked.
    if (v === undefined || v.length !== len) {
      this.stats.misses++;
      return undefined;
    }
    this.stats.hits++;
    return v;
  }
}

/**
 * The addresses and slots of a genesis file (`{alloc: {...}}`) or a bare alloc object, in
 * go-ethereum's notation (addresses with or without 0x, slots as hex of up to 32 bytes).
 */
export function allocPreimages(json: unknown): Uint8Array[] {
  const bad = (field: string, detail: string) => new StateError('STATE_BAD_ALLOC', `genesis alloc ${field}: ${detail}`, { field });
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(json)) throw bad('genesis', 'not an object');
  const alloc = 'alloc' in json ? json.alloc : json;
  if (!isObj(alloc)) throw bad('alloc', 'not an object');
  const out: Uint8Array[] = [];
  for (const [addr, acc] of Object.entries(alloc)) {
    const hex = addr.replace(/^0x/, '');
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw bad(`[${addr}]`, 'not a 20-byte address');
    out.push(Uint8Array.from(Buffer.from(hex, 'hex')));
    if (!isObj(acc)) throw bad(`[${addr}]`, 'not an object');
    const storage = acc.storage;
    if (storage === undefined || storage === null) continue;
    if (!isObj(storage)) throw bad(`[${addr}].storage`, 'not an object');
    for (const slot of Object.keys(storage)) {
      const s = slot.replace(/^0x/, '');
      if (!/^[0-9a-fA-F]{1,64}$/.test(s)) throw bad(`[${addr}].storage`, `slot ${slot} is not hex of at most 32 bytes`);
      out.push(Uint8Array.from(Buffer.from(s.padStart(64, '0'), 'hex')));
    }
  }
  return out;
}
