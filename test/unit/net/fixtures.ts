/**
 * Status values for net tests. The genesis hash, network id and forkID are mainnet's published
 * constants (EIP-2124's first test vector: unsynced mainnet → fc64ec04, next 1150000); the rest
 * are plausible server/client settings from the LES spec and DESIGN §4.
 */
import type { Status } from '../../../src/wire/status.js';

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

export const MAINNET_GENESIS = hex('d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3');
export const SEPOLIA_GENESIS = hex('25a5cc106eea7138acab33231d7160d69cb777ee0c2c553fcddf5138993e6dd9');

export function clientStatus(overrides: Partial<Status> = {}): Status {
  return {
    protocolVersion: 4,
    networkId: 1n,
    headTd: 17_179_869_184n,
    headHash: MAINNET_GENESIS,
    headNum: 0,
    genesisHash: MAINNET_GENESIS,
    forkID: { hash: hex('fc64ec04'), next: 1_150_000n },
    announceType: 1,
    unknown: [],
    ...overrides,
  };
}

export function serverStatus(overrides: Partial<Status> = {}): Status {
  return {
    ...clientStatus(),
    announceType: undefined,
    serveHeaders: true,
    serveChainSince: 0,
    serveStateSince: 0,
    serveRecentState: 128,
    txRelay: true,
    recentTxLookup: 0,
    flowControlBL: 96_000_000,
    flowControlMRR: 16_000,
    flowControlMRC: [
      { code: 0x02, baseCost: 300_000, reqCost: 60_000 },
      { code: 0x14, baseCost: 0, reqCost: 500_000 },
    ],
    ...overrides,
  };
}
