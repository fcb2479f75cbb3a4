/**
 * The shape of a network config and the error its parsing throws. Apart from network.ts so that
 * the built-in public networks (chains.ts) and the parser can both use it without an import cycle.
 */
import { LespError } from '../errors.js';
import type { ForkSchedule } from './forkid.js';

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

/** One step of the EVM rules: from `block` (block-numbered forks) or from `timestamp` (later ones). */
export interface HardforkActivation {
  /** The rules' name as @ethereumjs/common knows it ('homestead', 'shanghai', 'bpo1', ...). */
  name: string;
  block?: number;
  timestamp?: number;
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
  /**
   * The EVM rules a client applies for eth_call where `hardforks` says nothing: every block of a
   * network without a schedule (the devnet, pinned to one fork), else the newest scheduled fork.
   */
  hardfork: string;
  /**
   * The EVM rules by block, in activation order: a call at a block runs under the last entry the
   * block has reached (by number, or by timestamp for time-based forks). Absent: `hardfork` always.
   */
  hardforks?: readonly HardforkActivation[];
  checkpoint?: Checkpoint;
  checkpointOracle?: CheckpointOracle;
  /**
   * A trusted head older than this (by its timestamp) is reported as not synced: servers that
   * stopped announcing must not look like a chain that stopped. Undefined: no such check (a devnet
   * that mines on demand may rightly sit still).
   */
  staleHeadSec?: number;
  /**
   * Total difficulty at the merge (every later block's TD), for a server in front of a node that
   * no longer reports totalDifficulty: it can then announce a recent chain before its history is
   * filled. Undefined: learned from the node or summed.
   */
  finalTotalDifficulty?: bigint;
}
