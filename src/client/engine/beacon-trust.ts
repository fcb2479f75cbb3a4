/**
 * Beacon trust for the LesClient: the head is the execution block the beacon chain's sync committee
 * signed (chain/beacon-anchor.ts verifies it from a checkpoint root; chain/beacon-head.ts fetches
 * that block over LES by its hash), so no LES server has to be trusted. This file turns the `trust`
 * option into those parts, runs the anchor's follow loop, reports its state, and keeps the latest
 * finalized beacon root in the datadir as the next start's checkpoint.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../../config/network.js';
import type { BeaconHead } from '../../verify/beacon/index.js';
import { BeaconAnchor, type BeaconHeads } from '../chain/beacon-anchor.js';
import { BeaconHeadTracker } from '../chain/beacon-head.js';
import { LesBeaconSource } from '../chain/beacon-les.js';
import { RestBeaconSource } from '../chain/beacon-rest.js';
import { type BeaconSource, BeaconSourceError } from '../chain/beacon-source.js';
import type { Retriever } from '../contracts.js';
import type { HeaderChain } from '../chain/header-chain.js';
import type { Logger } from '../scheduler/types.js';
import { type CheckedBeaconTrust, SAVED_CHECKPOINT_FILE } from './beacon-options.js';

export { type BeaconTrustOptions, SAVED_CHECKPOINT_FILE, savedCheckpoint } from './beacon-options.js';

/** The beacon anchor's state, for status(), eth_syncing and /health. */
export interface BeaconTrustStatus {
  /** The root this run started from. */
  checkpoint: string;
  finalizedOnly: boolean;
  /** The verified heads: beacon slot and the execution block each commits to. */
  optimistic?: HeadSummary;
  finalized?: HeadSummary;
  /** Answers per source that failed verification, since start. */
  faults: Record<string, number>;
  /** Why the last round of asking the sources failed, until one succeeds. */
  error?: string;
}

export interface HeadSummary {
  slot: number;
  blockNumber: number;
  blockHash: string;
}

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const summary = (h: BeaconHead): HeadSummary => ({ slot: h.slot, blockNumber: h.blockNumber, blockHash: hex(h.blockHash) });

export class BeaconTrust {
  readonly anchor: BeaconAnchor;
  readonly finalizedOnly: boolean;
  readonly #pollMs: number | undefined;
  readonly #datadir: string | undefined;
  readonly #log: Logger;
  readonly #les: boolean;
  #tracker: BeaconHeadTracker | undefined;
  #error: string | undefined;
  #saved: string | undefined;
  #saving: Promise<void> = Promise.resolve();

  /**
   * Builds the anchor from the checked option (engine/beacon-options.ts); nothing is asked yet.
   * `retriever` is the client's scheduler once it exists (the LES relay source asks through it).
   */
  constructor(checked: CheckedBeaconTrust, datadir: string | undefined, log: Logger, retriever: () => Retriever | undefined = () => undefined) {
    const { options: o, urls, config, checkpoint } = checked;
    const sources: BeaconSource[] = urls.map((u, i) => {
      try {
        return new RestBeaconSource(u, config);
      } catch (e) {
        throw new ConfigError(`trust.beaconApi[${i}]`, e instanceof Error ? e.message : 'not a beacon node URL');
      }
    });
    sources.push(...(o.sources ?? []));
    if (checked.les) sources.push(new LesBeaconSource(retriever, config));
    this.#les = checked.les;
    try {
      this.anchor = new BeaconAnchor({
        config,
        checkpoint,
        source: sources,
        minParticipation: o.minParticipation,
        onWarning: (message) => log.warn({ checkpoint: hex(checkpoint) }, message),
      });
    } catch (e) {
      throw new ConfigError(`trust.${(e as { field?: string }).field ?? 'config'}`, e instanceof Error ? e.message : String(e));
    }
    this.anchor.onFault(({ source, error }) => log.warn({ source, code: error.code, err: error.message }, 'beacon source sent data that failed verification'));
    this.finalizedOnly = o.finalizedOnly === true;
    this.#pollMs = o.pollMs;
    this.#datadir = datadir;
    this.#log = log;
    if (datadir !== undefined) this.anchor.onHeads((h) => this.#save(h));
  }

  get tracker(): BeaconHeadTracker | undefined {
    return this.#tracker;
  }

  /**
   * The anchor's first sync: bootstrap from the checkpoint (refused when too old) and catch up.
   * With the LES relay as a source it runs while the servers are still being dialed: a round that
   * reached no source is tried again until `signal` aborts (the start deadline ends the wait);
   * data that failed verification is not.
   */
  async firstSync(signal: AbortSignal): Promise<BeaconHeads> {
    let heads: BeaconHeads;
    for (;;) {
      try {
        heads = await this.anchor.sync(signal);
        break;
      } catch (e) {
        const unreached = e instanceof BeaconSourceError && (e.code === 'SOURCE_FAILED' || e.code === 'NOT_FOUND');
        if (!this.#les || !unreached || signal.aborted) throw e;
        await new Promise<void>((resolve) => {
          const done = (): void => {
            clearTimeout(t);
            signal.removeEventListener('abort', done);
            resolve();
          };
          const t = setTimeout(done, 250);
          signal.addEventListener('abort', done, { once: true });
        });
        if (signal.aborted) throw e;
      }
    }
    this.#log.info({ slot: heads.optimistic.slot, block: heads.optimistic.blockNumber, finalizedSlot: heads.finalized.slot }, 'beacon heads verified');
    return heads;
  }

  /** Starts following: the head tracker adopts each new anchored block; the anchor polls its sources until `signal` aborts. */
  attach(chain: HeaderChain, signal: AbortSignal): BeaconHeadTracker {
    const tracker = new BeaconHeadTracker(chain, this.anchor, {
      finalizedOnly: this.finalizedOnly,
      onError: (e, head) => this.#log.info({ block: head.blockNumber, err: String(e) }, 'beacon head not adopted yet'),
    });
    this.#tracker = tracker;
    tracker.start();
    signal.addEventListener('abort', () => tracker.stop(), { once: true });
    const t = tracker.target();
    tracker.adoptTarget().catch((e: unknown) => t !== undefined && this.#log.info({ block: t.blockNumber, err: String(e) }, 'beacon head not adopted yet'));
    void this.anchor.follow({
      signal,
      intervalMs: this.#pollMs,
      onError: (e) => {
        this.#error = e instanceof Error ? e.message : String(e);
        this.#log.warn({ err: this.#error }, 'beacon heads not updated');
      },
      onSynced: () => (this.#error = undefined),
    });
    return tracker;
  }

  /** The block the `finalized` and `safe` tags name. */
  finalized(): { number: number; hash: Uint8Array } | undefined {
    const f = this.anchor.heads?.finalized;
    return f === undefined ? undefined : { number: f.blockNumber, hash: f.blockHash };
  }

  status(): BeaconTrustStatus {
    const h = this.anchor.heads;
    const out: BeaconTrustStatus = { checkpoint: hex(this.anchor.checkpoint), finalizedOnly: this.finalizedOnly, faults: Object.fromEntries(this.anchor.faults()) };
    if (h !== undefined) {
      out.optimistic = summary(h.optimistic);
      out.finalized = summary(h.finalized);
    }
    if (this.#error !== undefined) out.error = this.#error;
    return out;
  }

  /** Writes the finalized root for the next start (replacing the file whole, so a crash leaves the old one). */
  #save(heads: BeaconHeads): void {
    const root = hex(heads.finalized.beaconRoot);
    if (root === this.#saved || this.#datadir === undefined) return;
    this.#saved = root;
    const file = join(this.#datadir, SAVED_CHECKPOINT_FILE);
    const text = `${JSON.stringify({ root, slot: heads.finalized.slot })}\n`;
    const dir = this.#datadir;
    this.#saving = this.#saving
      .then(() => mkdir(dir, { recursive: true }))
      .then(() => writeFile(`${file}.tmp`, text))
      .then(() => rename(`${file}.tmp`, file))
      .catch((e: unknown) => this.#log.warn({ file, err: String(e) }, 'beacon checkpoint not saved'));
  }

  /** Resolves once the last save is written. */
  flushed(): Promise<void> {
    return this.#saving;
  }
}
