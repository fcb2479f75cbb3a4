/**
 * Network configuration shared by client and server: they must agree on the chain, the genesis,
 * the fork schedule (for the Status forkID) and the helper-trie section parameters (DESIGN §4).
 * Built-ins: the public networks `mainnet`, `sepolia`, `holesky` and `hoodi` (parameters from
 * @ethereumjs/common, chains.ts) and `devnet`; anything else is a JSON file parsed by
 * `parseNetworkConfig`, which treats its input as hostile and names the offending field.
 */
import { type ForkFilter, type ForkIdValue, checkRemoteForkId, computeForkId } from './forkid.js';
import { HOLESKY, HOODI, MAINNET, SEPOLIA } from './chains.js';
import { ConfigError, type HardforkActivation, type NetworkConfig } from './types.js';
import { hexToBytes } from '../bytes.js';

export { ConfigError, type Checkpoint, type CheckpointOracle, type HardforkActivation, type NetworkConfig } from './types.js';
export { HOLESKY, HOODI, MAINNET, SEPOLIA } from './chains.js';

export const MAINNET_GENESIS_HASH = MAINNET.genesisHash as Uint8Array;

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

export const BUILTIN_NETWORKS: Readonly<Record<string, NetworkConfig>> = {
  mainnet: MAINNET,
  sepolia: SEPOLIA,
  holesky: HOLESKY,
  hoodi: HOODI,
  devnet: DEVNET,
};

/** The built-in network names, for messages ("mainnet, sepolia, holesky, hoodi or devnet"). */
export const BUILTIN_NETWORK_NAMES = Object.keys(BUILTIN_NETWORKS);

export function forkIdAt(config: NetworkConfig, genesisHash: Uint8Array, headNumber: number, headTime: number): ForkIdValue {
  return computeForkId(genesisHash, config.forks, headNumber, headTime);
}

/**
 * The EIP-2124 check of a remote Status's forkID (go-ethereum's rules, forkid.ts) against this
 * network's schedule at our head when the remote's Status arrives.
 */
export function forkFilterFor(config: NetworkConfig, genesisHash: () => Uint8Array, head: () => { number: number; time: number }): ForkFilter {
  return (remote) => {
    const h = head();
    return checkRemoteForkId(genesisHash(), config.forks, h.number, h.time, remote);
  };
}

/**
 * The EVM rules a block runs under: the last of `config.hardforks` the block has reached (block
 * forks by number, time forks by timestamp), or `config.hardfork` when it has no schedule.
 */
export function hardforkAt(config: Pick<NetworkConfig, 'hardfork' | 'hardforks'>, blockNumber: number | bigint, timestamp: number | bigint): string {
  const schedule = config.hardforks;
  if (schedule === undefined || schedule.length === 0) return config.hardfork;
  const n = BigInt(blockNumber);
  const t = BigInt(timestamp);
  let name: string | undefined;
  for (const hf of schedule) {
    const reached = hf.timestamp !== undefined ? t >= BigInt(hf.timestamp) : hf.block !== undefined && n >= BigInt(hf.block);
    if (reached) name = hf.name;
  }
  // A block before the first entry (a schedule that does not start at 0) runs under the first.
  return name ?? (schedule[0] as HardforkActivation).name;
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
  'useConfirmations', 'hardfork', 'hardforks', 'checkpoint', 'checkpointOracle', 'staleHeadSec',
  'finalTotalDifficulty',
]);

const HARDFORK_NAME = /^[a-zA-Z][a-zA-Z0-9]{0,31}$/;

function hardforkName(v: Json, field: string): string {
  if (typeof v !== 'string' || !HARDFORK_NAME.test(v)) throw new ConfigError(field, 'expected a hardfork name');
  return v;
}

/** `[{ name, block } | { name, timestamp }, ...]` in activation order. */
function hardforkList(v: Json, field: string): HardforkActivation[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) throw new ConfigError(field, 'expected a list of 1 to 64 { name, block | timestamp }');
  let lastBlock = 0;
  let lastTime = 0;
  return v.map((x, i) => {
    const f = `${field}[${i}]`;
    const e = obj(x, f);
    for (const key of Object.keys(e)) if (key !== 'name' && key !== 'block' && key !== 'timestamp') throw new ConfigError(`${f}.${key}`, 'unknown key');
    const name = hardforkName(e.name, `${f}.name`);
    if ((e.block === undefined) === (e.timestamp === undefined)) throw new ConfigError(f, 'expected exactly one of block and timestamp');
    if (e.block !== undefined) {
      if (lastTime > 0) throw new ConfigError(`${f}.block`, 'a block fork after a timestamp fork');
      const block = int(e.block, `${f}.block`, lastBlock);
      lastBlock = block;
      return { name, block };
    }
    const timestamp = int(e.timestamp, `${f}.timestamp`, lastTime);
    lastTime = timestamp;
    return { name, timestamp };
  });
}

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
  if (base === undefined) throw new ConfigError('base', `unknown network "${baseName}" (${BUILTIN_NETWORK_NAMES.join(', ')})`);
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
  if (o.hardforks !== undefined) {
    out.hardforks = hardforkList(o.hardforks, 'hardforks');
    out.hardfork = (out.hardforks[out.hardforks.length - 1] as HardforkActivation).name;
  }
  if (o.hardfork !== undefined) {
    out.hardfork = hardforkName(o.hardfork, 'hardfork');
    // One fork named alone pins every block to it (a devnet), replacing the base's schedule.
    if (o.hardforks === undefined) delete out.hardforks;
  }
  if (o.staleHeadSec !== undefined) out.staleHeadSec = int(o.staleHeadSec, 'staleHeadSec', 1, 1 << 30);
  if (o.finalTotalDifficulty !== undefined) out.finalTotalDifficulty = bigint(o.finalTotalDifficulty, 'finalTotalDifficulty');
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
