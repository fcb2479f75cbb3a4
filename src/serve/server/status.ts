/**
 * The Status a server sends each connecting client (LES spec "Status", DESIGN §4). The head is the
 * chain store's head at connect time; the forkID is EIP-2124's at that head. What is served:
 * - serveHeaders;
 * - serveChainSince 0: bodies and receipts of any height are fetched from the node on demand;
 * - serveStateSince = the block the state copy starts at; serveRecentState = the configured
 *   window (absent when 0, i.e. every block since the start);
 * - txRelay when relaying is on; recentTxLookup (les/4; 0 = all, N = the N−1 latest blocks);
 * - flowControl/BL and /MRR from the capacity the client is offered, /MRC the max-cost table.
 */
import { type NetworkConfig, forkIdAt } from '../../config/network.js';
import type { MrcTable } from '../../flow/index.js';
import type { Status } from '../../wire/index.js';
import type { ServeHead } from './backend.js';
import { flowParamsFor } from './capacity.js';
import type { ServePolicy } from './handlers/types.js';

export interface StatusInputs {
  network: NetworkConfig;
  genesisHash: Uint8Array;
  head: ServeHead;
  stateSince: number;
  policy: ServePolicy;
  mrc: MrcTable;
  /** The capacity offered to this client (MRR). */
  capacity: number;
  /** The agreed les version. */
  version: number;
}

export function buildServerStatus(i: StatusInputs): Status {
  const { bl, mrr } = flowParamsFor(i.capacity);
  const status: Status = {
    protocolVersion: i.version,
    networkId: i.network.networkId,
    headTd: i.head.td,
    headHash: i.head.hash,
    headNum: i.head.number,
    genesisHash: i.genesisHash,
    forkID: forkIdAt(i.network, i.genesisHash, i.head.number, i.head.timestamp),
    serveHeaders: true,
    serveChainSince: 0,
    serveStateSince: i.stateSince,
    txRelay: i.policy.txRelay,
    recentTxLookup: i.policy.recentTxLookup,
    flowControlBL: bl,
    flowControlMRR: mrr,
    flowControlMRC: i.mrc.map((r) => ({ ...r })),
    unknown: [],
  };
  if (i.policy.recentState > 0) status.serveRecentState = i.policy.recentState;
  return status;
}
