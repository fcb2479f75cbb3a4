/**
 * The beacon anchor: a light client of the consensus layer that turns a trusted checkpoint (a
 * beacon block root) and untrusted sources of light-client data into verified heads — the
 * optimistic and the finalized beacon header with the execution block (hash, number) each commits
 * to. Verification is the spec's store (src/verify/beacon); this file fetches, orders and keeps.
 *
 * Sources are cross-checked rather than trusted: data that fails verification is a fault of the
 * source that sent it (recorded, and the same request goes to the next source); the latest
 * finality and optimistic updates are asked of every source and each is processed, so a source
 * that withholds newer data cannot hold the heads back while another has them.
 *
 * By default an update must be signed by at least 2/3 of the sync committee (the supermajority
 * assumption that makes a head trustworthy), not the spec's minimum of one signer.
 */
import { type BeaconConfig, BeaconError, type BeaconHead, LightClientStore, periodAtSlot } from '../../verify/beacon/index.js';
import { MAX_REQUEST_LIGHT_CLIENT_UPDATES } from './beacon-rest.js';
import { type BeaconSource, BeaconSourceError } from './beacon-source.js';

export interface BeaconAnchorOptions {
  readonly config: BeaconConfig;
  /** The trusted beacon block root to bootstrap from. */
  readonly checkpoint: Uint8Array;
  /** One source or several, asked in order and cross-checked. */
  readonly source: BeaconSource | readonly BeaconSource[];
  /** Fraction of the committee that must sign an update. Default 2/3. */
  readonly minParticipation?: number;
  /** The current slot. Default: from the config's genesisTime and secondsPerSlot and the wall clock. */
  readonly currentSlot?: () => bigint;
  /** Periods asked for per updates request. Default 32. */
  readonly maxUpdatesPerRequest?: number;
  /**
   * A checkpoint older than this many slots is reported to `onWarning` (it may predate the weak
   * subjectivity period). Default: two weeks of slots when the config gives secondsPerSlot.
   */
  readonly checkpointWarnSlots?: bigint;
  readonly onWarning?: (message: string) => void;
  /**
   * After a sync-committee period without finality, apply the best update seen as if finalized
   * (the spec's force update), so the store can move on to the next committee. Off by default:
   * the `finalized` head would then name a block that is not finalized.
   */
  readonly forceUpdate?: boolean;
}

export interface BeaconHeads {
  readonly optimistic: BeaconHead;
  readonly finalized: BeaconHead;
}

/** A source that sent data failing verification, and what failed. */
export interface BeaconSourceFault {
  readonly source: string;
  readonly error: BeaconError;
}

export class BeaconAnchor {
  readonly config: BeaconConfig;
  readonly checkpoint: Uint8Array;
  readonly sources: readonly BeaconSource[];
  readonly #minParticipants: number;
  readonly #currentSlot: () => bigint;
  readonly #perRequest: number;
  readonly #warnSlots: bigint | undefined;
  readonly #onWarning: ((message: string) => void) | undefined;
  readonly #forceUpdate: boolean;
  #store: LightClientStore | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #listeners = new Set<(heads: BeaconHeads) => void>();
  readonly #faultListeners = new Set<(fault: BeaconSourceFault) => void>();
  readonly #faults = new Map<string, number>();

  constructor(options: BeaconAnchorOptions) {
    this.config = options.config;
    this.checkpoint = options.checkpoint;
    this.sources = Array.isArray(options.source) ? [...(options.source as readonly BeaconSource[])] : [options.source as BeaconSource];
    if (this.sources.length === 0) throw new BeaconError('FIELD_MISMATCH', 'source', 'at least one beacon source is needed');
    const fraction = options.minParticipation ?? 2 / 3;
    if (!(fraction > 0 && fraction <= 1)) throw new BeaconError('FIELD_MISMATCH', 'minParticipation', 'must be in (0, 1]');
    this.#minParticipants = Math.ceil(fraction * options.config.preset.SYNC_COMMITTEE_SIZE - 1e-9);
    this.#perRequest = Math.min(options.maxUpdatesPerRequest ?? 32, MAX_REQUEST_LIGHT_CLIENT_UPDATES);
    const sps = options.config.secondsPerSlot;
    this.#warnSlots = options.checkpointWarnSlots ?? (sps === undefined ? undefined : BigInt(Math.ceil((14 * 24 * 3600) / sps)));
    this.#onWarning = options.onWarning;
    this.#forceUpdate = options.forceUpdate === true;
    if (options.currentSlot !== undefined) {
      this.#currentSlot = options.currentSlot;
    } else {
      const { genesisTime, secondsPerSlot } = options.config;
      if (genesisTime === undefined || secondsPerSlot === undefined) {
        throw new BeaconError('FIELD_MISMATCH', 'config.genesisTime', 'a wall-clock slot needs genesisTime and secondsPerSlot (or pass currentSlot)');
      }
      this.#currentSlot = () => BigInt(Math.max(0, Math.floor((Date.now() / 1000 - genesisTime) / secondsPerSlot)));
    }
  }

  /** The verified heads, once bootstrapped. */
  get heads(): BeaconHeads | undefined {
    const s = this.#store;
    return s === undefined ? undefined : { optimistic: s.optimistic, finalized: s.finalized };
  }

  /** Faults per source name (data that failed verification) since start. */
  faults(): ReadonlyMap<string, number> {
    return this.#faults;
  }

  /** Called with the heads after every sync that moved either one. Returns the unsubscribe. */
  onHeads(listener: (heads: BeaconHeads) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Called for every answer refused by verification. Returns the unsubscribe. */
  onFault(listener: (fault: BeaconSourceFault) => void): () => void {
    this.#faultListeners.add(listener);
    return () => this.#faultListeners.delete(listener);
  }

  /**
   * Bootstrap if needed, catch up period by period with updates, then apply the latest finality
   * and optimistic updates of every source. Calls run one at a time. Throws when no source gave
   * usable data for a step: the BeaconError of the first refused answer if there was one (the
   * store keeps what it had), else the first BeaconSourceError.
   */
  sync(signal?: AbortSignal): Promise<BeaconHeads> {
    const run = this.#queue.then(() => this.#sync(signal));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Syncs now and then every `intervalMs` (default one slot of the config, else 12 s) until
   * `signal` aborts. A failed round goes to `onError` and the next round tries again; a round
   * that succeeded, moved the heads or not, to `onSynced`.
   */
  async follow(options: { signal: AbortSignal; intervalMs?: number; onError?: (e: unknown) => void; onSynced?: (heads: BeaconHeads) => void }): Promise<void> {
    const interval = options.intervalMs ?? (this.config.secondsPerSlot ?? 12) * 1000;
    while (!options.signal.aborted) {
      try {
        const heads = await this.sync(options.signal);
        options.onSynced?.(heads);
      } catch (e) {
        if (options.signal.aborted) break;
        options.onError?.(e);
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          options.signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, interval);
        options.signal.addEventListener('abort', done, { once: true });
      });
    }
  }

  async #sync(signal?: AbortSignal): Promise<BeaconHeads> {
    const before = this.#key();
    const store = this.#store ?? (await this.#bootstrap(signal));
    await this.#catchUp(store, signal);
    await this.#fromEach(
      (s) => s.finalityUpdate(signal),
      (u) => store.processFinalityUpdate(u, this.#currentSlot()),
    );
    await this.#fromEach(
      (s) => s.optimisticUpdate(signal),
      (u) => store.processOptimisticUpdate(u, this.#currentSlot()),
    );
    if (this.#forceUpdate) store.forceUpdate(this.#currentSlot());
    const heads = this.heads as BeaconHeads;
    if (this.#key() !== before) for (const l of this.#listeners) l(heads);
    return heads;
  }

  async #bootstrap(signal?: AbortSignal): Promise<LightClientStore> {
    const failures = new Failures();
    for (const source of this.sources) {
      let store: LightClientStore;
      try {
        const bootstrap = await source.bootstrap(this.checkpoint, signal);
        store = LightClientStore.initialize(this.config, this.checkpoint, bootstrap, { minParticipants: this.#minParticipants });
      } catch (e) {
        this.#failed(source, e, failures);
        continue;
      }
      // The checkpoint's age is the user's choice, not a fault of the source.
      this.#checkAge(store.finalizedHeader.beacon.slot);
      this.#store = store;
      return store;
    }
    throw failures.first();
  }

  /** Updates from the store's period up to the current one, until the next committee is known and the store is in the current period. */
  async #catchUp(store: LightClientStore, signal?: AbortSignal): Promise<void> {
    const failures = new Failures();
    let i = 0;
    while (i < this.sources.length) {
      const currentPeriod = periodAtSlot(this.config, this.#currentSlot());
      const storePeriod = store.storePeriod;
      if (storePeriod >= currentPeriod && store.nextSyncCommittee !== undefined) return;
      const source = this.sources[i] as BeaconSource;
      const progress = this.#key();
      try {
        const count = Math.min(Number(currentPeriod - storePeriod) + 1, this.#perRequest);
        for (const update of await source.updates(Number(storePeriod), count, signal)) relevant(() => store.processUpdate(update, this.#currentSlot()));
      } catch (e) {
        this.#failed(source, e, failures);
      }
      // The same source again while it moves the store on; else the next one.
      if (this.#key() === progress) i++;
    }
    // Behind the current period after asking every source: only an error if one of them erred.
    if (failures.any() && store.nextSyncCommittee === undefined) throw failures.first();
  }

  /** Asks every source at once and processes each answer; throws only when none was usable. */
  async #fromEach<T>(ask: (s: BeaconSource) => Promise<T>, process: (v: T) => void): Promise<void> {
    const answers = await Promise.allSettled(this.sources.map((s) => ask(s)));
    const failures = new Failures();
    let usable = 0;
    answers.forEach((a, i) => {
      const source = this.sources[i] as BeaconSource;
      try {
        if (a.status === 'rejected') throw a.reason;
        relevant(() => process(a.value));
        usable++;
      } catch (e) {
        if (e instanceof BeaconSourceError && e.code === 'NOT_FOUND') return;
        this.#failed(source, e, failures);
      }
    });
    if (usable === 0 && failures.any()) throw failures.first();
  }

  /** Refuses a checkpoint beacon nodes no longer keep the updates after; warns about one older than the warning age. */
  #checkAge(slot: bigint): void {
    const age = this.#currentSlot() - slot;
    const keep = this.config.minEpochsForBlockRequests;
    if (keep !== undefined && age > BigInt(keep) * BigInt(this.config.preset.SLOTS_PER_EPOCH)) {
      throw new BeaconError('CHECKPOINT_TOO_OLD', 'checkpoint', `slot ${slot} is ${age} slots old; beacon nodes keep light-client data for ${keep} epochs`);
    }
    if (this.#warnSlots !== undefined && age > this.#warnSlots) {
      this.#onWarning?.(`checkpoint at slot ${slot} is ${age} slots old: it may be older than the weak subjectivity period; prefer a recent one`);
    }
  }

  #failed(source: BeaconSource, e: unknown, failures: Failures): void {
    if (e instanceof BeaconError) {
      this.#faults.set(source.name, (this.#faults.get(source.name) ?? 0) + 1);
      for (const l of this.#faultListeners) l({ source: source.name, error: e });
    } else if (!(e instanceof BeaconSourceError)) {
      throw e;
    }
    failures.add(e);
  }

  #key(): string {
    const s = this.#store;
    if (s === undefined) return '';
    return `${s.finalizedHeader.beacon.slot}/${s.optimisticHeader.beacon.slot}/${s.nextSyncCommittee === undefined ? 0 : 1}`;
  }
}

/**
 * An update that tells the store nothing new, or is signed in a period the store is not at (older
 * data, or newer than it can check yet), is not a fault: nothing in it is shown to be false.
 */
function relevant(step: () => void): void {
  try {
    step();
  } catch (e) {
    if (!(e instanceof BeaconError && (e.code === 'NOT_RELEVANT' || e.code === 'WRONG_PERIOD'))) throw e;
  }
}

/** The errors of one step: a refused answer outranks a source that did not answer. */
class Failures {
  #refused: BeaconError | undefined;
  #failed: Error | undefined;

  add(e: BeaconError | BeaconSourceError): void {
    if (e instanceof BeaconError) this.#refused ??= e;
    else this.#failed ??= e;
  }

  any(): boolean {
    return this.#refused !== undefined || this.#failed !== undefined;
  }

  first(): Error {
    return this.#refused ?? this.#failed ?? new BeaconSourceError('SOURCE_FAILED', 'sources', 'no source answered');
  }
}
