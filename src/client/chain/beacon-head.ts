/**
 * Beacon trust for the header chain: the head is the execution block the beacon anchor vouches
 * for (its optimistic head, or the finalized one in finalized-only mode), fetched over LES by its
 * hash and linked back by parent hashes (HeaderChain.adopt). LES announces elect nothing here: an
 * announced head is followed only when it is, or precedes, the anchor's block; one that
 * contradicts the anchor is refused; one beyond it waits for the anchor to reach it.
 */
import type { Announce } from '../../wire/announce.js';
import type { VerifiedHeader } from '../contracts.js';
import { MAX_HEADERS } from '../../wire/headers.js';
import { equalBytes, hex0x } from '../../verify/bytes.js';
import type { BeaconHead } from '../../verify/beacon/index.js';
import type { BeaconHeads } from './beacon-anchor.js';
import { ChainError } from './errors.js';
import type { AdoptResult, HeaderChain } from './header-chain.js';
import type { AnnounceOutcome, AnnounceSink } from './head-tracker.js';

/** What the tracker needs of a BeaconAnchor. */
export interface BeaconHeadsSource {
  readonly heads: BeaconHeads | undefined;
  onHeads(listener: (heads: BeaconHeads) => void): () => void;
}

export interface BeaconHeadOptions {
  /** Follow the finalized head only, never an optimistic one. */
  readonly finalizedOnly?: boolean;
  /** A head that could not be adopted (LES did not serve it, or it contradicts an anchor of the chain). */
  readonly onError?: (e: unknown, head: BeaconHead) => void;
}

export class BeaconHeadTracker implements AnnounceSink {
  readonly #chain: HeaderChain;
  readonly #anchor: BeaconHeadsSource;
  readonly #finalizedOnly: boolean;
  readonly #onError: ((e: unknown, head: BeaconHead) => void) | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #unsubscribe: (() => void) | undefined;

  constructor(chain: HeaderChain, anchor: BeaconHeadsSource, options: BeaconHeadOptions = {}) {
    this.#chain = chain;
    this.#anchor = anchor;
    this.#finalizedOnly = options.finalizedOnly === true;
    this.#onError = options.onError;
  }

  /** Follows the anchor: each new heads event adopts its block. */
  start(): void {
    this.#unsubscribe ??= this.#anchor.onHeads(() => {
      const t = this.target();
      if (t === undefined) return;
      this.adoptTarget().catch((e: unknown) => this.#onError?.(e, t));
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** The block the head follows: the anchor's optimistic head, or its finalized head in finalized-only mode. */
  target(): BeaconHead | undefined {
    const h = this.#anchor.heads;
    return h === undefined ? undefined : this.#finalizedOnly ? h.finalized : h.optimistic;
  }

  /** The anchor's finalized execution block: what the `finalized` and `safe` tags name. */
  finalized(): BeaconHead | undefined {
    return this.#anchor.heads?.finalized;
  }

  /**
   * Fetches the target block over LES by its hash (a run back towards the head, so the link is
   * one request when the chain is close behind) and makes it the head. Undefined when it already is.
   */
  adoptTarget(): Promise<AdoptResult | undefined> {
    const run = this.#queue.then(() => this.#adoptTarget());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #adoptTarget(): Promise<AdoptResult | undefined> {
    const t = this.target();
    if (t === undefined || equalBytes(this.#chain.head().hash, t.blockHash)) return undefined;
    const local = await this.#chain.localHeader(t.blockHash);
    let header: VerifiedHeader | undefined = local;
    if (header === undefined) {
      const behind = t.blockNumber - this.#chain.head().header.number;
      const [first] = await this.#chain.fetchRun(t.blockHash, t.blockNumber, Math.min(MAX_HEADERS, Math.max(1, behind)));
      header = first;
    }
    if (header === undefined || !equalBytes(header.hash, t.blockHash) || header.header.number !== t.blockNumber) {
      throw new ChainError('ANCHOR_MISMATCH', 'beacon head', `LES gave no header ${hex0x(t.blockHash)} at ${t.blockNumber}`);
    }
    return this.#chain.adopt(header);
  }

  /** An LES announce, judged against the anchor's block (the announcing server's trust does not matter). */
  async onAnnounce(_serverId: string, _trusted: boolean, a: Announce): Promise<AnnounceOutcome> {
    const t = this.target();
    if (t === undefined || a.headNumber > t.blockNumber) return 'recorded';
    if (equalBytes(a.headHash, t.blockHash)) {
      try {
        return (await this.adoptTarget()) === undefined ? 'recorded' : 'adopted';
      } catch {
        return 'unlinked';
      }
    }
    // At or below the anchor's block: it must be on the chain leading to it.
    await this.adoptTarget().catch(() => undefined);
    if (!equalBytes(this.#chain.head().hash, t.blockHash)) return 'unlinked';
    try {
      return (await this.#chain.isCanonical(a.headHash, a.headNumber)) ? 'recorded' : 'refused';
    } catch {
      return 'unlinked';
    }
  }

  serverGone(): void {}
}
