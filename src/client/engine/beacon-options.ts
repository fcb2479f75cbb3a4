/**
 * The `trust: { mode: 'beacon' }` option checked without loading the beacon light client: its SSZ
 * types cost tens of MiB and a fifth of a second to evaluate, so the client imports
 * engine/beacon-trust.ts only when it starts in beacon mode, while option mistakes are still
 * ConfigErrors from the constructor.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, type NetworkConfig } from '../../config/network.js';
import { BEACON_CONFIGS, type BeaconConfig, beaconConfig } from '../../verify/beacon/config.js';
import type { BeaconSource } from '../chain/beacon-source.js';
import type { Logger } from '../scheduler/types.js';

export interface BeaconTrustOptions {
  mode: 'beacon';
  /** Beacon node REST URLs (http/https). None is trusted: what they send is verified and cross-checked. */
  beaconApi?: readonly string[];
  /** Further sources of light-client data beside the REST ones (they are not trusted either). */
  sources?: readonly BeaconSource[];
  /**
   * Also ask the LES servers that relay their beacon node's light-client data (they announce
   * "lesp/beacon" in Status); verified like any source's. Default: true when no beaconApi URL and
   * no source is given, so LES servers alone can carry beacon trust.
   */
  les?: boolean;
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

/** The option once checked: what BeaconTrust is built from. */
export interface CheckedBeaconTrust {
  options: BeaconTrustOptions;
  urls: readonly string[];
  /** Whether the LES servers' beacon relay is a source. */
  les: boolean;
  config: BeaconConfig;
  checkpoint: Uint8Array;
}

export const SAVED_CHECKPOINT_FILE = 'beacon-checkpoint.json';

const hex = (b: Uint8Array): string => `0x${Buffer.from(b).toString('hex')}`;

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

/** Checks the option (ConfigErrors name `trust.*`); nothing is asked yet. */
export function checkBeaconTrust(o: BeaconTrustOptions, network: NetworkConfig, datadir: string | undefined, log: Logger): CheckedBeaconTrust {
  const urls = o.beaconApi ?? [];
  if (!Array.isArray(urls) || urls.some((u) => typeof u !== 'string')) throw new ConfigError('trust.beaconApi', 'expected an array of beacon node URLs');
  if (o.sources !== undefined && !Array.isArray(o.sources)) throw new ConfigError('trust.sources', 'expected an array of beacon sources');
  if (o.finalizedOnly !== undefined && typeof o.finalizedOnly !== 'boolean') throw new ConfigError('trust.finalizedOnly', 'expected true or false');
  if (o.pollMs !== undefined && !(typeof o.pollMs === 'number' && o.pollMs > 0)) throw new ConfigError('trust.pollMs', 'expected ms, more than 0');
  if (o.minParticipation !== undefined && !(o.minParticipation > 0 && o.minParticipation <= 1)) throw new ConfigError('trust.minParticipation', 'must be in (0, 1]');
  const config = configOf(o.config, network);
  // The REST source's own rule, checked here so that a wrong URL is refused before its module loads.
  urls.forEach((u, i) => {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      throw new ConfigError(`trust.beaconApi[${i}]`, `${u}: not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`trust.beaconApi[${i}]`, `${u}: must be an http(s):// URL`);
  });
  if (o.les !== undefined && typeof o.les !== 'boolean') throw new ConfigError('trust.les', 'expected true or false');
  const les = o.les ?? urls.length + (o.sources?.length ?? 0) === 0;
  if (!les && urls.length + (o.sources?.length ?? 0) === 0) {
    throw new ConfigError('trust.beaconApi', 'give at least one beacon node URL (or les: true): the heads come from the beacon chain');
  }
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
  return { options: o, urls, les, config, checkpoint };
}

function configOf(given: BeaconConfig | undefined, network: NetworkConfig): BeaconConfig {
  if (given !== undefined) {
    try {
      return beaconConfig(given);
    } catch (e) {
      throw new ConfigError('trust.config', e instanceof Error ? e.message : 'not a beacon config');
    }
  }
  const builtIn = BEACON_CONFIGS[network.name];
  if (builtIn !== undefined) return builtIn;
  throw new ConfigError('trust.config', `no beacon chain config is built in for network ${network.name} (${Object.keys(BEACON_CONFIGS).join(', ')}): pass trust.config`);
}
