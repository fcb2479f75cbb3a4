/**
 * The handlers' StateReader over the execution node: the block's stateRoot from the chain store
 * (every stored header hashes to the node's block hash), the window the node can prove (probed at
 * start, narrowed by the operator's serveRecentState), hashed keys resolved to their preimages —
 * those the request carries when they hash to its keys, else the preimage index — and proofs and
 * code from NodeStateProver, checked before they are served.
 */
import { keccak256 } from 'ethereum-cryptography/keccak.js';
import type { ChainStore } from '../chain/store.js';
import { equalBytes } from '../../verify/bytes.js';
import type { CodeItem, ProofItem, ServableState, StateReader } from '../server/backend.js';
import type { NodeStateProver, ProveItem } from './node-prover.js';
import type { PreimageIndex } from './preimages.js';
import type { StateWindow } from './window.js';

export interface NodeStateReaderOptions {
  chain: ChainStore;
  prover: NodeStateProver;
  preimages: PreimageIndex;
  window: StateWindow;
  /** The operator's serveRecentState (0: none): the stricter of it and the node's window holds. */
  recentState: number;
  /** The chain head's number now. */
  head(): number;
}

export class NodeStateReader implements StateReader {
  readonly stats = { unknownPreimages: 0, badPreimages: 0 };
  readonly #o: NodeStateReaderOptions;
  readonly #recent: number;

  constructor(options: NodeStateReaderOptions) {
    this.#o = options;
    const a = options.window.recent;
    const b = options.recentState;
    this.#recent = a === 0 ? b : b === 0 ? a : Math.min(a, b);
  }

  startBlock(): number {
    return this.#o.window.since;
  }

  recentState(): number {
    return this.#recent;
  }

  async stateAt(blockHash: Uint8Array): Promise<ServableState | undefined> {
    const h = await this.#o.chain.headerByHash(blockHash);
    if (h === undefined || h.number < this.#o.window.since) return undefined;
    if (this.#recent > 0 && h.number + this.#recent <= this.#o.head()) return undefined;
    return { number: h.number, hash: h.hash, stateRoot: h.header.stateRoot };
  }

  async proofs(st: ServableState, items: readonly ProofItem[]): Promise<Uint8Array[][]> {
    const resolved: ProveItem[] = [];
    for (const it of items) {
      const address = await this.#preimage(it.accountKey, it.address, 'address');
      if (address === undefined) break;
      let slot: Uint8Array | undefined;
      if (it.storageKey.length !== 0) {
        slot = await this.#preimage(it.storageKey, it.slot, 'slot');
        if (slot === undefined) break;
      }
      resolved.push({ accountKey: it.accountKey, storageKey: it.storageKey, fromLevel: it.fromLevel, address, ...(slot === undefined ? {} : { slot }) });
    }
    return (await this.#o.prover.prove(st, resolved)).map((p) => p.nodes);
  }

  async codes(st: ServableState, items: readonly CodeItem[]): Promise<Uint8Array[]> {
    const resolved: ProveItem[] = [];
    for (const it of items) {
      const address = await this.#preimage(it.accountKey, it.address, 'address');
      if (address === undefined) break;
      resolved.push({ accountKey: it.accountKey, storageKey: new Uint8Array(0), fromLevel: 0, address });
    }
    const proven = await this.#o.prover.prove(st, resolved);
    return this.#o.prover.codes(st, proven.map((p, i) => ({ address: (resolved[i] as ProveItem).address, account: p.account })));
  }

  /** The request's own preimage when it hashes to the key, else the index's. */
  async #preimage(key: Uint8Array, given: Uint8Array | undefined, kind: 'address' | 'slot'): Promise<Uint8Array | undefined> {
    if (given !== undefined) {
      if (equalBytes(keccak256(given), key)) return given;
      this.stats.badPreimages++;
    }
    const known = kind === 'address' ? await this.#o.preimages.address(key) : await this.#o.preimages.slot(key);
    if (known === undefined) this.stats.unknownPreimages++;
    return known;
  }
}
