/**
 * Beacon trust for the LesClient: the head is the execution block the beacon chain's sync committee
 * signed (chain/beacon-anchor.ts verifies it from a checkpoint root; chain/beacon-head.ts fetches
 * that block over LES by its hash), so no LES server has to be trusted. This file turns the `trust`
 * option into those parts, runs the anchor's follow loop, reports its state, and keeps the latest
 * finalized beacon root in the datadir as the next start's checkpoint.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, type NetworkConfig } from '../../config/network.js';
import { type BeaconConfig, type BeaconHead, MAINNET_BEACON_CONFIG, beaconConfig } from '../../verify/beacon/index.js';
import { BeaconAnchor, type BeaconHeads } from '../chain/beacon-anchor.js';
import { BeaconHeadTracker } from '../chain/beacon-head.js';
import { RestBeaconSource } from '../chain/beacon-rest.js';
import type { BeaconSource } from '../chain/beacon-source.js';
import type { HeaderChain } from '../chain/header-chain.js';
import type { Logger } from '../scheduler/types.js';

export interface BeaconTrustOptions {
  mode: 'beacon';
  /** Beacon node REST URLs (http/https). None is trusted: what they send is verified and cross-checked. */
  beaconApi?: readonly string[];
  /** Further sources of light-client data beside the REST ones (they are not trusted either). */
  sources?: readonly BeaconSource[];
  /**
   * The trusted beacon block root to start from (hex or 32 bytes), e.g. a recent finalized
   * checkpoint. Absent: the finalized root the last run saved in `datadir`.
   */
  checkpoint?: string | Uint8Array;
  /** Follow the finalized block only, never an optimistic head (about 13 minutes behind on mainnet). */
  finalizedOnly?: boolean;
  /** The beacon chain's config. Default: the network's (built in for mainnet). */
  config?: BeaconConfig;
  /** Fraction of the sync committee that must sign an update. Default 2/3 (its supermajority). */
  minParticipation?: number;
  /** How often the sources are asked for new updates, ms. Default one slot. */
  pollMs?: number;
}

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

export const SAVED_CHECKPOINT_FILE = 'beacon-checkpoint.json';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;
const summary = (h: BeaconHead): HeadSummary => ({ slot: h.slot, blockNumber: h.blockNumber, blockHash: hex(h.blockHash) });

function rootOf(v: unknown, field: string): Uint8Array {
  if (v instanceof Uint8Array && v.length === 32) return v;
  if (typeof v === 'string' && /^(0x)?[0-9a-fA-F]{64}$/.test(v)) return Uint8Array.from(Buffer.from(v.replace(/^0x/, ''), 'hex'));
  throw new ConfigError(field, 'expected a beacon block root (32 bytes, 64 hex digits)');
}

/** The finalized root an earlier run saved in `datadir`, if any. */
export function savedCheckpoint(datadir: string): { root: Uint8Array; slot: number } | undefined {
  let text: string;
  try {
    text = readFileSync(join(datadir, SAVED_CHECKPOINT_FILE), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const j = JSON.parse(text) as { root?: unknown; slot?: unknown };
    return { root: rootOf(j.root, 'root'), slot: Number(j.slot) };
  } catch {
    throw new ConfigError('trust.checkpoint', `${join(datadir, SAVED_CHECKPOINT_FILE)} is not a saved checkpoint {root, slot}: remove it or give a checkpoint`);
  }
}

export class BeaconTrust {
  readonly anchor: BeaconAnchor;
  readonly finalizedOnly: boolean;
  readonly #pollMs: number | undefined;
  readonly #datadir: string | undefined;
  readonly #log: Logger;
  #tracker: BeaconHeadTracker | undefined;
  #error: string | undefined;
  #saved: string | undefined;
  #saving: Promise<void> = Promise.resolve();

  /** Checks the option (ConfigErrors name `trust.*`) and builds the anchor; nothing is asked yet. */
  constructor(o: BeaconTrustOptions, network: NetworkConfig, datadir: string | undefined, log: Logger) {
    const urls = o.beaconApi ?? [];
    if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string')) throw new ConfigError('trust.beaconApi', 'expected an array of beacon node URLs');
    if (o.sources !== undefined && !Array.isArray(o.sources)) throw new ConfigError('trust.sources', 'expected an array of beacon sources');
    if (o.finalizedOnly !== undefined && typeof o.finalizedOnly !== 'boolean') throw new ConfigError('trust.finalizedOnly', 'expected true or false');
    if (o.pollMs !== undefined && !(typeof o.pollMs === 'number' && o.pollMs > 0)) throw new ConfigError('trust.pollMs', 'expected ms, more than 0');
    const config = configOf(o.config, network);
    const sources: BeaconSource[] = urls.map((u, i) => {
      try {
        return new RestBeaconSource(u, config);
      } catch (e) {
        throw new ConfigError(`trust.beaconApi[${i}]`, e instanceof Error ? e.message : 'not a beacon node URL');
      }
    });
    sources.push(...(o.sources ?? []));
    if (sources.length === 0) throw new ConfigError('trust.beaconApi', 'give at least one beacon node URL: the heads come from the beacon chain');
    let checkpoint: Uint8Array;
    if (o.checkpoint !== undefined) checkpoint = rootOf(o.checkpoint, 'trust.checkpoint');
    else {
      const saved = datadir === undefined ? undefined : savedCheckpoint(datadir);
      if (saved === undefined) {
        throw new ConfigError('trust.checkpoint', `give a trusted beacon block root to start from${datadir === undefined ? '' : ` (none saved in ${datadir})`}`);
      }
      checkpoint = saved.root;
      log.info({ root: hex(saved.root), slot: saved.slot }, 'beacon checkpoint: the finalized root saved by the last run');
    }
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

  /** The anchor's first sync: bootstrap from the checkpoint (refused when too old) and catch up. */
  async firstSync(signal: AbortSignal): Promise<BeaconHeads> {
    const heads = await this.anchor.sync(signal);
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
    });
    this.anchor.onHeads(() => (this.#error = undefined));
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

function configOf(given: BeaconConfig | undefined, network: NetworkConfig): BeaconConfig {
  if (given !== undefined) {
    try {
      return beaconConfig(given);
    } catch (e) {
      throw new ConfigError('trust.config', e instanceof Error ? e.message : 'not a beacon config');
    }
  }
  if (network.name === 'mainnet') return MAINNET_BEACON_CONFIG;
  throw new ConfigError('trust.config', `no beacon chain config is built in for network ${network.name}: pass trust.config`);
}
