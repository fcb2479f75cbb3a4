/**
 * The beacon anchor: a light client of the consensus layer that turns a trusted checkpoint (a
 * beacon block root) and an untrusted source of light-client data into verified heads — the
 * optimistic and the finalized beacon header with the execution block (hash, number) each commits
 * to. Verification is the spec's store (src/verify/beacon); this file fetches, orders and keeps.
 *
 * By default an update must be signed by at least 2/3 of the sync committee (the supermajority
 * assumption that makes a head trustworthy), not the spec's minimum of one signer.
 */
import {
  type BeaconConfig,
  BeaconError,
  type BeaconHead,
  LightClientStore,
  periodAtSlot,
} from '../../verify/beacon/index.js';
import { type BeaconSource, BeaconSourceError } from './beacon-source.js';
import { MAX_REQUEST_LIGHT_CLIENT_UPDATES } from './beacon-rest.js';

export interface BeaconAnchorOptions {
  readonly config: BeaconConfig;
  /** The trusted beacon block root to bootstrap from. */
  readonly checkpoint: Uint8Array;
  readonly source: BeaconSource;
  /** Fraction of the committee that must sign an update. Default 2/3. */
  readonly minParticipation?: number;
  /** The current slot. Default: from the config's genesisTime and secondsPerSlot and the wall clock. */
  readonly currentSlot?: () => bigint;
  /** Periods asked for per updates request. Default 32. */
  readonly maxUpdatesPerRequest?: number;
}

export interface BeaconHeads {
  readonly optimistic: BeaconHead;
  readonly finalized: BeaconHead;
}

export class BeaconAnchor {
  readonly config: BeaconConfig;
  readonly checkpoint: Uint8Array;
  readonly source: BeaconSource;
  readonly #minParticipants: number;
  readonly #currentSlot: () => bigint;
  readonly #perRequest: number;
  #store: LightClientStore | undefined;
  #listeners = new Set<(heads: BeaconHeads) => void>();

  constructor(options: BeaconAnchorOptions) {
    this.config = options.config;
    this.checkpoint = options.checkpoint;
    this.source = options.source;
    const fraction = options.minParticipation ?? 2 / 3;
    if (!(fraction > 0 && fraction <= 1)) throw new BeaconError('FIELD_MISMATCH', 'minParticipation', 'must be in (0, 1]');
    this.#minParticipants = Math.ceil(fraction * options.config.preset.SYNC_COMMITTEE_SIZE - 1e-9);
    this.#perRequest = Math.min(options.maxUpdatesPerRequest ?? 32, MAX_REQUEST_LIGHT_CLIENT_UPDATES);
    if (options.currentSlot !== undefined) {
      this.#currentSlot = options.currentSlot;
    } else {
      const { genesisTime, secondsPerSlot } = options.config;
      if (genesisTime === undefined || secondsPerSlot === undefined) {
        throw new BeaconError('FIELD_MISMATCH', 'config.genesisTime', 'a wall-clock slot needs genesisTime and secondsPerSlot (or pass currentSlot)');
      }
      this.#currentSlot = () => {
        const s = Math.floor((Date.now() / 1000 - genesisTime) / secondsPerSlot);
        return BigInt(Math.max(0, s));
      };
    }
  }

  /** The verified heads, once bootstrapped. */
  get heads(): BeaconHeads | undefined {
    const s = this.#store;
    return s === undefined ? undefined : { optimistic: s.optimistic, finalized: s.finalized };
  }

  /** Called with the heads after every sync that moved either one. Returns the unsubscribe. */
  onHeads(listener: (heads: BeaconHeads) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Bootstrap if needed, catch up period by period with updates, then apply the latest finality
   * and optimistic updates. Throws a BeaconError for data that fails verification (the store keeps
   * what it had) and a BeaconSourceError when the source does not answer.
   */
  async sync(signal?: AbortSignal): Promise<BeaconHeads> {
    const store = this.#store ?? (await this.#bootstrap(signal));
    const before = this.#key();
    await this.#catchUp(store, signal);
    const slot = this.#currentSlot();
    await this.#apply(async () => store.processFinalityUpdate(await this.source.finalityUpdate(signal), this.#currentSlot()));
    await this.#apply(async () => store.processOptimisticUpdate(await this.source.optimisticUpdate(signal), this.#currentSlot()));
    store.forceUpdate(slot);
    const heads = this.heads as BeaconHeads;
    if (this.#key() !== before) for (const l of this.#listeners) l(heads);
    return heads;
  }

  async #bootstrap(signal?: AbortSignal): Promise<LightClientStore> {
    const bootstrap = await this.source.bootstrap(this.checkpoint, signal);
    this.#store = LightClientStore.initialize(this.config, this.checkpoint, bootstrap, { minParticipants: this.#minParticipants });
    return this.#store;
  }

  /** Updates from the store's period up to the current one, until the next committee is known and the store is in the current period. */
  async #catchUp(store: LightClientStore, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const currentPeriod = periodAtSlot(this.config, this.#currentSlot());
      const storePeriod = store.storePeriod;
      if (storePeriod >= currentPeriod && store.nextSyncCommittee !== undefined) return;
      const count = Math.min(Number(currentPeriod - storePeriod) + 1, this.#perRequest);
      const updates = await this.source.updates(Number(storePeriod), count, signal);
      const progress = this.#key();
      for (const update of updates) await this.#apply(() => store.processUpdate(update, this.#currentSlot()));
      if (this.#key() === progress) return;
    }
  }

  /** Runs one processing step; an update that tells the store nothing new is not an error. */
  async #apply(step: () => unknown): Promise<void> {
    try {
      await step();
    } catch (e) {
      if (e instanceof BeaconError && e.code === 'NOT_RELEVANT') return;
      if (e instanceof BeaconSourceError && e.code === 'NOT_FOUND') return;
      throw e;
    }
  }

  #key(): string {
    const s = this.#store;
    if (s === undefined) return '';
    return `${s.finalizedHeader.beacon.slot}/${s.optimisticHeader.beacon.slot}/${s.nextSyncCommittee === undefined ? 0 : 1}`;
  }
}
