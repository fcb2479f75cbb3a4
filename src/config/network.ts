/**
 * Network configuration shared by client and server: they must agree on the chain, the genesis,
 * the fork schedule (for the Status forkID) and the helper-trie section parameters (DESIGN §4).
 * Built-ins: `mainnet` and `devnet`; anything else is a JSON file parsed by `parseNetworkConfig`,
 * which treats its input as hostile and names the offending field.
 */
import { LespError } from '../errors.js';
import { type ForkIdValue, type ForkSchedule, computeForkId } from './forkid.js';
import { hexToBytes } from '../bytes.js';

export class ConfigError extends LespError {
  constructor(field: string, detail: string) {
    super('BAD_CONFIG', `${field}: ${detail}`, { field });
  }
}

export interface Checkpoint {
  sectionIndex: number;
  sectionHead: Uint8Array;
  chtRoot: Uint8Array;
  bloomTrieRoot: Uint8Array;
}

export interface CheckpointOracle {
  address: Uint8Array;
  signers: Uint8Array[];
  threshold: number;
}

export interface NetworkConfig {
  name: string;
  chainId: bigint;
  networkId: bigint;
  /** Undefined for a devnet whose genesis is learned from its node (anvil's genesis is time-stamped). */
  genesisHash: Uint8Array | undefined;
  forks: ForkSchedule;
  /** Blocks per CHT / BloomBits section (32768 on mainnet). */
  sectionSize: number;
  /** A server builds a section once its last block has this many confirmations (256 on mainnet). */
  buildConfirmations: number;
  /** A client relies on a section once its last block has this many confirmations (2048 on mainnet). */
  useConfirmations: number;
  /** The EVM hardfork rules a client applies for eth_call (the newest the chain has reached). */
  hardfork: string;
  checkpoint?: Checkpoint;
  checkpointOracle?: CheckpointOracle;
  /**
   * A trusted head older than this (by its timestamp) is reported as not synced: servers that
   * stopped announcing must not look like a chain that stopped. Undefined: no such check (a devnet
   * that mines on demand may rightly sit still).
   */
  staleHeadSec?: number;
}

export const MAINNET_GENESIS_HASH = hexToBytes('0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');

export const MAINNET: NetworkConfig = {
  name: 'mainnet',
  chainId: 1n,
  networkId: 1n,
  genesisHash: MAINNET_GENESIS_HASH,
  forks: {
    // homestead, dao, tangerine whistle, spurious dragon, byzantium, constantinople+petersburg,
    // istanbul, muir glacier, berlin, london, arrow glacier, gray glacier (EIP-2124's list).
    blocks: [1150000, 1920000, 2463000, 2675000, 4370000, 7280000, 9069000, 9200000, 12244000, 12965000, 13773000, 15050000],
    // shanghai, cancun, prague.
    timestamps: [1681338455, 1710338135, 1746612311],
    genesisTimestamp: 0,
  },
  sectionSize: 32768,
  buildConfirmations: 256,
  useConfirmations: 2048,
  hardfork: 'prague',
  // Five 12 s slots.
  staleHeadSec: 60,
};

/** The development chain: anvil pinned to prague, small sections so tests reach them quickly. */
export const DEVNET: NetworkConfig = {
  name: 'devnet',
  chainId: 31337n,
  networkId: 31337n,
  genesisHash: undefined,
  forks: { blocks: [], timestamps: [] },
  sectionSize: 64,
  buildConfirmations: 16,
  useConfirmations: 16,
  hardfork: 'prague',
};

export const BUILTIN_NETWORKS: Readonly<Record<string, NetworkConfig>> = { mainnet: MAINNET, devnet: DEVNET };

export function forkIdAt(config: NetworkConfig, genesisHash: Uint8Array, headNumber: number, headTime: number): ForkIdValue {
  return computeForkId(genesisHash, config.forks, headNumber, headTime);
}

// ---- parsing a hostile JSON config ----

type Json = unknown;

function obj(v: Json, field: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(field, 'expected an object');
  return v as Record<string, Json>;
}

function hexBytes(v: Json, field: string, len?: number): Uint8Array {
  if (typeof v !== 'string' || !/^0x([0-9a-fA-F]{2})*$/.test(v)) throw new ConfigError(field, 'expected 0x-prefixed hex bytes');
  const b = hexToBytes(v);
  if (len !== undefined && b.length !== len) throw new ConfigError(field, `expected ${len} bytes, got ${b.length}`);
  return b;
}

function int(v: Json, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new ConfigError(field, `expected an integer in [${min}, ${max}]`);
  }
  return n;
}

function bigint(v: Json, field: string): bigint {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-fA-F]+|[0-9]+)$/.test(v)) return BigInt(v);
  throw new ConfigError(field, 'expected a non-negative integer');
}

function intList(v: Json, field: string): number[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 256) throw new ConfigError(field, 'expected a list of at most 256 integers');
  return v.map((x, i) => int(x, `${field}[${i}]`, 0));
}

const KNOWN_KEYS = new Set([
  'name', 'base', 'chainId', 'networkId', 'genesisHash', 'forks', 'sectionSize', 'buildConfirmations',
  'useConfirmations', 'hardfork', 'checkpoint', 'checkpointOracle', 'staleHeadSec',
]);

/**
 * Parse a network config object (e.g. from a JSON file). `base` names a built-in network whose
 * values fill the fields the file leaves out (default: devnet). Unknown keys are an error, so a
 * typo is not silently ignored.
 */
export function parseNetworkConfig(input: Json): NetworkConfig {
  const o = obj(input, 'network');
  for (const key of Object.keys(o)) if (!KNOWN_KEYS.has(key)) throw new ConfigError(key, 'unknown key');
  const baseName = o.base === undefined ? 'devnet' : String(o.base);
  const base = BUILTIN_NETWORKS[baseName];
  if (base === undefined) throw new ConfigError('base', `unknown network "${baseName}" (mainnet or devnet)`);
  const out: NetworkConfig = { ...base, forks: { ...base.forks } };
  if (o.name !== undefined) {
    if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > 64) throw new ConfigError('name', 'expected a short string');
    out.name = o.name;
  }
  if (o.chainId !== undefined) out.chainId = bigint(o.chainId, 'chainId');
  out.networkId = o.networkId !== undefined ? bigint(o.networkId, 'networkId') : o.chainId !== undefined ? out.chainId : base.networkId;
  if (o.genesisHash !== undefined) out.genesisHash = hexBytes(o.genesisHash, 'genesisHash', 32);
  if (o.forks !== undefined) {
    const f = obj(o.forks, 'forks');
    out.forks = {
      blocks: intList(f.blocks, 'forks.blocks'),
      timestamps: intList(f.timestamps, 'forks.timestamps'),
      genesisTimestamp: f.genesisTimestamp === undefined ? undefined : int(f.genesisTimestamp, 'forks.genesisTimestamp', 0),
    };
  }
  if (o.sectionSize !== undefined) out.sectionSize = int(o.sectionSize, 'sectionSize', 1, 1 << 20);
  if (o.buildConfirmations !== undefined) out.buildConfirmations = int(o.buildConfirmations, 'buildConfirmations', 0, 1 << 20);
  if (o.useConfirmations !== undefined) out.useConfirmations = int(o.useConfirmations, 'useConfirmations', 0, 1 << 20);
  if (out.useConfirmations < out.buildConfirmations) {
    throw new ConfigError('useConfirmations', 'must not be below buildConfirmations (servers build sections before clients use them)');
  }
  if (o.hardfork !== undefined) {
    if (typeof o.hardfork !== 'string' || !/^[a-zA-Z]+$/.test(o.hardfork)) throw new ConfigError('hardfork', 'expected a hardfork name');
    out.hardfork = o.hardfork;
  }
  if (o.staleHeadSec !== undefined) out.staleHeadSec = int(o.staleHeadSec, 'staleHeadSec', 1, 1 << 30);
  if (o.checkpoint !== undefined) {
    const c = obj(o.checkpoint, 'checkpoint');
    out.checkpoint = {
      sectionIndex: int(c.sectionIndex, 'checkpoint.sectionIndex', 0),
      sectionHead: hexBytes(c.sectionHead, 'checkpoint.sectionHead', 32),
      chtRoot: hexBytes(c.chtRoot, 'checkpoint.chtRoot', 32),
      bloomTrieRoot: hexBytes(c.bloomTrieRoot, 'checkpoint.bloomTrieRoot', 32),
    };
  }
  if (o.checkpointOracle !== undefined) {
    const c = obj(o.checkpointOracle, 'checkpointOracle');
    if (!Array.isArray(c.signers) || c.signers.length === 0 || c.signers.length > 64) {
      throw new ConfigError('checkpointOracle.signers', 'expected a list of 1 to 64 addresses');
    }
    const signers = c.signers.map((s, i) => hexBytes(s, `checkpointOracle.signers[${i}]`, 20));
    out.checkpointOracle = {
      address: hexBytes(c.address, 'checkpointOracle.address', 20),
      signers,
      threshold: int(c.threshold, 'checkpointOracle.threshold', 1, signers.length),
    };
  }
  return out;
}
