/**
 * The options of the light client (LesClient, LesProvider, the EIP-1193 object), and their
 * resolution into the network config and per-part settings. Every option is documented here,
 * once; the surfaces reuse this type.
 */
import { type Checkpoint, type CheckpointOracle, BUILTIN_NETWORKS, BUILTIN_NETWORK_NAMES, ConfigError, type NetworkConfig, parseNetworkConfig } from '../../config/network.js';
import type { OdrCacheSizes } from '../odr/caches.js';
import type { MissMode } from '../evm/state-manager.js';
import type { MethodsConfig } from '../methods/context.js';
import { parseEnode } from '../../net/index.js';
import type { DiscoveryOptions } from '../servers/discovered.js';
import type { BeaconTrustOptions } from './beacon-trust.js';
import { type QuorumOptions, TrustQuorum } from '../chain/agreement.js';

/** A pino-compatible logger (pino itself fits); only these methods are used. */
export interface ClientLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

/** One LES server: its enode URL, and whether its announces count towards head agreement. */
export type ServerOption = string | { enode: string; trusted?: boolean };

export interface ClientTimeouts {
  /** `start()` gives up when no trusted head is agreed within this time, ms. Default 30,000. */
  startMs?: number;
  /** A caller's request fails after this long without a verified answer, ms. Default 30,000. */
  requestMs?: number;
  /** An item no connected server can answer fails after this long, ms. Default 5,000. */
  noServerMs?: number;
  /** A message a server leaves unanswered this long costs it the connection, ms. Default 10,000. */
  hardMs?: number;
  /** TCP dial timeout, ms (net default when absent). */
  dialMs?: number;
  /** RLPx + LES handshake timeout, ms. Default 5,000 (the LES spec's). */
  handshakeMs?: number;
}

export interface ClientCacheSizes extends OdrCacheSizes {
  /** Headers held in memory (default 8192). */
  headers?: number;
  /** Canonical headers kept behind the head in the window (default 4096). */
  window?: number;
  /** Blocks whose state eth_call has fetched, kept for later calls (default 16). */
  callBlocks?: number;
}

export interface LesClientOptions {
  /** LES servers to dial: enode URLs, or `{ enode, trusted }`. May be empty with discovery bootnodes. */
  servers: readonly ServerOption[];
  /**
   * Servers (enode URLs or 128-hex node ids) whose signed announces count towards head agreement,
   * in addition to those marked `trusted` in `servers`. At least one server must be trusted: the
   * head is only ever what trusted servers agree on. With discovery, a node id listed here is
   * trusted when discovery finds it (the key is what is trusted; RLPx authenticates it).
   */
  trustedServers?: readonly string[];
  /**
   * Find more servers through discv4 (UDP) from `bootnodes` and dial up to `maxServers` (default 8)
   * of them besides `servers`. Discovered servers are untrusted (their heads are no vote) unless
   * their node id is in `trustedServers`. The socket binds `host` (default 127.0.0.1, which reaches
   * only bootnodes on this machine) and `port` (default a free one).
   */
  discovery?: DiscoveryOptions;
  /**
   * Fraction of the CONFIGURED trusted servers (not of those connected now) whose signed announces
   * must agree on a head before it is adopted, and on section roots. Default 0.75. With fewer
   * trusted servers connected than that, the head stops advancing and `status()` says why.
   */
  trustedFraction?: number;
  /** Fewest trusted votes that agree a head, whatever the fraction. Default 1. */
  minTrustedVotes?: number;
  /**
   * Where the head comes from. `{ mode: 'servers' }` (the default): what enough of the trusted LES
   * servers agree on. `{ mode: 'beacon', beaconApi, checkpoint, finalizedOnly }`: the execution block
   * the beacon chain's sync committee signed, verified from a checkpoint; no LES server is trusted.
   */
  trust?: { mode: 'servers' } | BeaconTrustOptions;
  /** A head older than this is reported as not synced (default: the network's staleHeadSec; 0 = never). */
  staleHeadSec?: number;
  /**
   * Linking back to old headers no trusted section covers: at most `perLookup` headers for one
   * lookup (default 8192) and `perMinute` over all lookups (default 32768); past either, -32005.
   */
  backfill?: { perLookup?: number; perMinute?: number };
  /** A trusted checkpoint (overrides the network's): helper-trie section roots and head. */
  checkpoint?: Checkpoint;
  /** A checkpoint oracle contract (overrides the network's): address, signers, threshold. */
  oracle?: CheckpointOracle;
  /** 'mainnet', 'sepolia', 'holesky', 'hoodi', 'devnet', a NetworkConfig, or a network JSON object (parsed strictly). Default 'mainnet'. */
  network?: string | NetworkConfig | Record<string, unknown>;
  /** The genesis hash, when the network config has none (a devnet learns it from its node). */
  genesisHash?: Uint8Array | string;
  timeouts?: ClientTimeouts;
  cacheSizes?: ClientCacheSizes;
  /** Persist the header window here (LevelDB); absent: memory only (a restart resyncs). */
  datadir?: string;
  /** Our RLPx node key (32 bytes); absent: a fresh one per start. */
  privateKey?: Uint8Array;
  logger?: ClientLogger;
  /** Method-layer settings (finality depth, log limits, gas price oracle, ...). */
  methods?: Omit<MethodsConfig, 'chainId' | 'networkId'>;
  /** Local EVM settings for eth_call / eth_estimateGas / eth_createAccessList. */
  call?: {
    /**
     * Most gas of any call (default 50,000,000, geth's --rpc.gascap; 0 = none). A call that asks for
     * more runs with the cap, silently, as geth does.
     */
    gasCap?: bigint;
    /**
     * EVM time limit of one eth_call / eth_estimateGas / eth_createAccessList, ms, summed over all
     * its runs; waiting for state does not count (default 5,000, geth's --rpc.evmtimeout; 0 = none).
     * Past it: -32000 "execution aborted (timeout = 5s)".
     */
    evmTimeoutMs?: number;
    /** 'continue' (default): a run collects every missing state key before one fetch round. */
    missMode?: MissMode;
    /** Most rounds of state fetching for one call (default 32). */
    maxStateRounds?: number;
    /** eth_estimateGas precision (default 0: the exact least gas). */
    estimateErrorRatio?: number;
  };
}

export const CLIENT_DEFAULTS = { startMs: 30_000, trustedFraction: 0.75 } as const;

/** The network config an options object names, with its checkpoint and oracle overrides. */
export function resolveNetwork(o: Pick<LesClientOptions, 'network' | 'checkpoint' | 'oracle'>): NetworkConfig {
  let net: NetworkConfig;
  if (o.network === undefined) net = BUILTIN_NETWORKS.mainnet as NetworkConfig;
  else if (typeof o.network === 'string') {
    const found = BUILTIN_NETWORKS[o.network];
    if (found === undefined) throw new ConfigError('network', `unknown network "${o.network}" (${BUILTIN_NETWORK_NAMES.join(', ')}, or pass a config object)`);
    net = found;
  } else if (typeof (o.network as NetworkConfig).chainId === 'bigint' && Array.isArray((o.network as NetworkConfig).forks?.blocks)) net = o.network as NetworkConfig;
  else net = parseNetworkConfig(o.network);
  return {
    ...net,
    ...(o.checkpoint === undefined ? {} : { checkpoint: o.checkpoint }),
    ...(o.oracle === undefined ? {} : { checkpointOracle: o.oracle }),
  };
}

export function resolveGenesis(net: NetworkConfig, given: Uint8Array | string | undefined): Uint8Array {
  const g = typeof given === 'string' ? Uint8Array.from(Buffer.from(given.replace(/^0x/, ''), 'hex')) : given;
  const hash = g ?? net.genesisHash;
  if (hash === undefined || hash.length !== 32) throw new ConfigError('genesisHash', `network ${net.name} names no genesis hash: pass genesisHash (32 bytes)`);
  if (net.genesisHash !== undefined && g !== undefined && Buffer.compare(net.genesisHash, g) !== 0) {
    throw new ConfigError('genesisHash', `differs from network ${net.name}'s genesis hash`);
  }
  return hash;
}

function discovering(o: Pick<LesClientOptions, 'discovery'>): boolean {
  return (o.discovery?.bootnodes.length ?? 0) > 0;
}

function trustedServerIds(o: Pick<LesClientOptions, 'trustedServers'>): Set<string> {
  return new Set((o.trustedServers ?? []).map((t, i) => (/^(0x)?[0-9a-fA-F]{128}$/.test(t) ? t.replace(/^0x/, '').toLowerCase() : idOf(t, `trustedServers[${i}]`))));
}

/** The node ids (hex) trusted wherever they are found: `trustedServers` and the servers marked trusted. */
export function trustedIds(o: Pick<LesClientOptions, 'servers' | 'trustedServers' | 'discovery' | 'trust'>): Set<string> {
  const ids = trustedServerIds(o);
  for (const s of resolveServers(o)) if (s.trusted) ids.add(idOf(s.enode, 'servers'));
  return ids;
}

/** Trusted servers the quorum counts: with discovery, trusted ids it may find count too. */
export function configuredTrusted(o: Pick<LesClientOptions, 'servers' | 'trustedServers' | 'discovery' | 'trust'>): number {
  return discovering(o) ? trustedIds(o).size : resolveServers(o).filter((s) => s.trusted).length;
}

/** The servers to dial with their trust, `trustedServers` applied; throws when none is trusted and the head is theirs to agree. */
export function resolveServers(o: Pick<LesClientOptions, 'servers' | 'trustedServers' | 'discovery' | 'trust'>): Array<{ enode: string; trusted: boolean }> {
  if (!Array.isArray(o.servers) || (o.servers.length === 0 && !discovering(o))) throw new ConfigError('servers', 'give at least one LES server (enode URL) or discovery bootnodes');
  const trustedIds = trustedServerIds(o);
  const out = o.servers.map((s, i) => {
    const { enode, trusted } = typeof s === 'string' ? { enode: s, trusted: false } : s;
    return { enode, trusted: trusted === true || trustedIds.has(idOf(enode, `servers[${i}]`)) };
  });
  if (o.trust?.mode !== 'beacon' && !out.some((s) => s.trusted) && !(discovering(o) && trustedIds.size > 0)) {
    throw new ConfigError('trustedServers', 'no trusted server: the head is what trusted servers agree on (mark servers trusted or list them in trustedServers)');
  }
  return out;
}

function idOf(enode: string, field: string): string {
  try {
    return Buffer.from(parseEnode(enode).id).toString('hex');
  } catch (e) {
    throw new ConfigError(field, e instanceof Error ? e.message : 'bad enode URL');
  }
}

/**
 * The quorum the options ask for, checked: a fraction in (0, 1], minTrustedVotes within the
 * configured servers. In beacon mode it only agrees section roots, and with no trusted server it is
 * one vote nobody can cast: no section is trusted, old headers are linked back by hash instead.
 */
export function quorumOf(o: LesClientOptions, beacon: boolean): TrustQuorum {
  if (beacon && configuredTrusted(o) === 0) return new TrustQuorum({ configured: 1, fraction: 1, minVotes: 1 });
  const q: QuorumOptions = {
    configured: configuredTrusted(o),
    fraction: o.trustedFraction ?? CLIENT_DEFAULTS.trustedFraction,
    minVotes: o.minTrustedVotes ?? 1,
  };
  if (typeof q.fraction !== 'number' || !(q.fraction > 0 && q.fraction <= 1)) throw new ConfigError('trustedFraction', `${String(q.fraction)} is not in (0, 1]`);
  if (!Number.isSafeInteger(q.minVotes) || (q.minVotes as number) < 1 || (q.minVotes as number) > q.configured) {
    throw new ConfigError('minTrustedVotes', `${String(q.minVotes)} is not 1..${q.configured} (the trusted servers configured)`);
  }
  return new TrustQuorum(q);
}
