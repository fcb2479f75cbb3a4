/**
 * Persistence of the header chain (KvStore: LevelDB with a datadir, memory otherwise), so a restart
 * resumes from the stored window instead of resyncing. Layout, under the store's namespace:
 *   "g"              genesis hash (a store of another network is refused)
 *   "head"           hash of the accepted head
 *   "n" ‖ BE64(n)    canonical hash at n, for the window
 *   "h" ‖ hash       rlp([headerRlp, td?]) of each window header
 *   "s" ‖ BE64(i)    sectionHead ‖ chtRoot ‖ bloomTrieRoot of trusted section i
 * Every change of the window is one atomic batch, so a crash leaves either the old or the new one.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { TrustedSection, VerifiedHeader } from '../contracts.js';
import type { KvOp, KvStore } from '../../store/kv.js';
import { concatBytes, equalBytes, uintBE } from '../../verify/bytes.js';
import { decodeHeader } from '../../verify/header.js';
import { decodeRlp, encodeRlp, encodeUint, readBigUint, readBytes, readList } from '../../wire/rlp.js';

const enc = new TextEncoder();
const K_GENESIS = enc.encode('g');
const K_HEAD = enc.encode('head');
const P_CANON = enc.encode('n');
const P_HEADER = enc.encode('h');
const P_SECTION = enc.encode('s');

const canonKey = (n: number) => concatBytes(P_CANON, uintBE(n, 8));
const headerKey = (hash: Uint8Array) => concatBytes(P_HEADER, hash);
const sectionKey = (i: number) => concatBytes(P_SECTION, uintBE(i, 8));

function readBE(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

/** One atomic change of the stored window. */
export interface ChainWrite {
  headers?: readonly VerifiedHeader[];
  canonical?: ReadonlyArray<readonly [number, Uint8Array]>;
  removeCanonical?: readonly number[];
  removeHeaders?: readonly Uint8Array[];
  head?: Uint8Array;
  sections?: readonly TrustedSection[];
}

export class ChainStore {
  constructor(private readonly kv: KvStore) {}

  async genesis(): Promise<Uint8Array | undefined> {
    return this.kv.get(K_GENESIS);
  }

  async setGenesis(hash: Uint8Array): Promise<void> {
    await this.kv.put(K_GENESIS, hash, { sync: true });
  }

  async head(): Promise<Uint8Array | undefined> {
    return this.kv.get(K_HEAD);
  }

  /** A stored header; its hash is recomputed, so a damaged record reads as absent. */
  async header(hash: Uint8Array): Promise<VerifiedHeader | undefined> {
    const value = await this.kv.get(headerKey(hash));
    if (value === undefined) return undefined;
    const [rlpItem, tdItem] = readList(decodeRlp(value, 'chainStore'), 'chainStore', 'header', { min: 1, max: 2 });
    const rlp = readBytes(rlpItem, 'chainStore', 'header.rlp');
    if (!equalBytes(keccak256(rlp), hash)) return undefined;
    const out: VerifiedHeader = { header: decodeHeader(rlp), hash, rlp };
    if (tdItem !== undefined) out.td = readBigUint(tdItem, 'chainStore', 'header.td');
    return out;
  }

  /** The stored canonical window, number → hash. */
  async canonical(): Promise<Map<number, Uint8Array>> {
    const out = new Map<number, Uint8Array>();
    for await (const [k, v] of this.kv.iterate({ prefix: P_CANON })) out.set(readBE(k.subarray(P_CANON.length)), v);
    return out;
  }

  async sections(): Promise<TrustedSection[]> {
    const out: TrustedSection[] = [];
    for await (const [k, v] of this.kv.iterate({ prefix: P_SECTION })) {
      if (v.length !== 96) continue;
      out.push({ index: readBE(k.subarray(P_SECTION.length)), sectionHead: v.slice(0, 32), chtRoot: v.slice(32, 64), bloomTrieRoot: v.slice(64, 96) });
    }
    return out;
  }

  async write(w: ChainWrite): Promise<void> {
    const ops: KvOp[] = [];
    for (const n of w.removeCanonical ?? []) ops.push({ type: 'del', key: canonKey(n) });
    for (const h of w.removeHeaders ?? []) ops.push({ type: 'del', key: headerKey(h) });
    for (const h of w.headers ?? []) {
      const value = encodeRlp(h.td === undefined ? [h.rlp] : [h.rlp, encodeUint(h.td)]);
      ops.push({ type: 'put', key: headerKey(h.hash), value });
    }
    for (const [n, hash] of w.canonical ?? []) ops.push({ type: 'put', key: canonKey(n), value: hash });
    for (const s of w.sections ?? []) {
      ops.push({ type: 'put', key: sectionKey(s.index), value: concatBytes(s.sectionHead, s.chtRoot, s.bloomTrieRoot) });
    }
    if (w.head !== undefined) ops.push({ type: 'put', key: K_HEAD, value: w.head });
    await this.kv.batch(ops);
  }
}
