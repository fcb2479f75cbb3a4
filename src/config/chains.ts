/**
 * The public networks by name: mainnet, sepolia, holesky, hoodi. Chain id and the fork schedule
 * (block and timestamp forks: the EIP-2124 fork id and the EVM rules at each block) are read from
 * @ethereumjs/common 10, the maintained chain parameters of the ethereumjs clients, not typed here.
 * The 4.x line this project otherwise uses (for devp2p 6) has no hoodi and no prague/osaka times,
 * hence the 10.x copy under the alias `ethereumjs-common-10`.
 */
import { Holesky, Hoodi, Mainnet, Sepolia } from 'ethereumjs-common-10';
import { hexToBytes } from '../bytes.js';
import { type ForkSchedule, crc32 } from './forkid.js';
import { ConfigError, type HardforkActivation, type NetworkConfig } from './types.js';

/** What this module reads of a common 10 chain config. */
interface CommonChain {
  name: string;
  chainId: number | bigint | string;
  genesis: { timestamp?: string };
  hardforks: readonly { name: string; block: number | null; timestamp?: number | string; forkHash?: string | null }[];
}

/**
 * Common carries no genesis hashes. These are go-ethereum's (params/config.go: MainnetGenesisHash,
 * SepoliaGenesisHash, HoleskyGenesisHash, HoodiGenesisHash); each is checked below against
 * common's own fork hash at genesis, which is the CRC32 of the genesis hash (EIP-2124).
 */
const GENESIS_HASHES: Readonly<Record<string, string>> = {
  mainnet: '0xd4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3',
  sepolia: '0x25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9',
  holesky: '0xb5f7f912443c940f21fd611f12828d75b534364ed9e95ca4e307729a4661bde4',
  hoodi: '0xbbe312868b376a3001692a646dd2d7d1e4406380dfd86b98aa8a34d1557c971b',
};

/**
 * Total difficulty at the merge, which every later block keeps (what go-ethereum reported as
 * totalDifficulty before it dropped the field). Mainnet's is the totalDifficulty of its post-merge
 * blocks in viem's recorded mainnet fixtures and in `cast block` output; Sepolia's is Nethermind's
 * sepolia config (Sync.PivotTotalDifficulty) and the totalDifficulty of its post-merge blocks.
 * Holesky and Hoodi started merged: their nodes report it.
 */
const FINAL_TOTAL_DIFFICULTY: Readonly<Record<string, bigint>> = {
  mainnet: 58750003716598352816469n,
  sepolia: 17000018015853232n,
};

/**
 * The fork id's schedule as go-ethereum gathers it: every block fork after genesis except the
 * merge (paris is reached by total difficulty in go-ethereum, so it is no fork id point; its
 * block in common only records where that happened), then every timestamp fork.
 */
export function forkScheduleOf(chain: CommonChain): ForkSchedule {
  const genesisTimestamp = Number(chain.genesis.timestamp ?? 0);
  const blocks: number[] = [];
  const timestamps: number[] = [];
  // Forks at genesis are its rules, not forks; several forks at one point count once (EIP-2124).
  for (const hf of chain.hardforks) {
    if (hf.timestamp !== undefined) {
      const t = Number(hf.timestamp);
      if (t > genesisTimestamp && !timestamps.includes(t)) timestamps.push(t);
    } else if (hf.block !== null && hf.block > 0 && hf.name !== 'paris' && !blocks.includes(hf.block)) blocks.push(hf.block);
  }
  return { blocks, timestamps, genesisTimestamp };
}

/** The EVM rules in activation order: every scheduled fork (a fork with neither block nor time is not scheduled yet). */
export function hardforksOf(chain: CommonChain): HardforkActivation[] {
  const out: HardforkActivation[] = [];
  for (const hf of chain.hardforks) {
    if (hf.timestamp !== undefined) out.push({ name: hf.name, timestamp: Number(hf.timestamp) });
    else if (hf.block !== null) out.push({ name: hf.name, block: hf.block });
  }
  return out;
}

function publicNetwork(chain: CommonChain): NetworkConfig {
  const genesis = GENESIS_HASHES[chain.name];
  if (genesis === undefined) throw new ConfigError('network', `no genesis hash known for ${chain.name}`);
  const genesisHash = hexToBytes(genesis);
  const atGenesis = chain.hardforks[0]?.forkHash;
  const crc = `0x${crc32(genesisHash).toString(16).padStart(8, '0')}`;
  if (atGenesis !== crc) throw new ConfigError('genesisHash', `${chain.name}: CRC32 ${crc} differs from @ethereumjs/common's genesis fork hash ${atGenesis}`);
  const hardforks = hardforksOf(chain);
  return {
    name: chain.name,
    chainId: BigInt(chain.chainId),
    // Common 10 has no network id; on these networks it equals the chain id (go-ethereum's
    // --networkid defaults for mainnet 1, sepolia 11155111, holesky 17000, hoodi 560048).
    networkId: BigInt(chain.chainId),
    genesisHash,
    forks: forkScheduleOf(chain),
    sectionSize: 32768,
    buildConfirmations: 256,
    useConfirmations: 2048,
    hardfork: hardforks[hardforks.length - 1]?.name ?? 'chainstart',
    hardforks,
    // Five 12 s slots.
    staleHeadSec: 60,
    ...(FINAL_TOTAL_DIFFICULTY[chain.name] === undefined ? {} : { finalTotalDifficulty: FINAL_TOTAL_DIFFICULTY[chain.name] }),
  };
}

export const MAINNET: NetworkConfig = publicNetwork(Mainnet);
export const SEPOLIA: NetworkConfig = publicNetwork(Sepolia);
export const HOLESKY: NetworkConfig = publicNetwork(Holesky);
export const HOODI: NetworkConfig = publicNetwork(Hoodi);

/** The chain configs themselves, for tests that compare against common's own fork hashes. */
export const COMMON_CHAINS: Readonly<Record<string, CommonChain>> = { mainnet: Mainnet, sepolia: Sepolia, holesky: Holesky, hoodi: Hoodi };
