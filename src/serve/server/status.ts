/**
 * The Status a server sends each connecting client (LES spec "Status", DESIGN §4). The head is the
 * chain store's head at connect time; the forkID is EIP-2124's at that head. What is served:
 * - serveHeaders;
 * - serveChainSince: bodies and receipts are fetched from the node on demand for any stored
 *   header, so 0 — or, while the history below a recent segment is still being filled, the
 *   segment's first block (headers below it are answered only once filled; LES has no key for that);
 * - serveStateSince / serveRecentState = the window the node can prove (probed at start), narrowed
 *   by the configured one (serveRecentState absent when 0, i.e. every block since serveStateSince);
 * - "lesp/preimages" = 1: this server accepts preimages in state requests (a compatible
 *   extension: other implementations ignore the unknown key; see wire/proofs.ts);
 * - "lesp/beacon" = 1 (with a beacon node to relay from): GetBeaconLightClient is served and priced
 *   in MRC (see wire/beacon.ts);
 * - txRelay when relaying is on; recentTxLookup (les/4; 0 = all, N = the N−1 latest blocks);
 * - flowControl/BL and /MRR from the capacity the client is offered, /MRC the max-cost table.
 */
import { type NetworkConfig, forkIdAt } from '../../config/network.js';
import { type MrcTable, deriveMrcTable } from '../../flow/index.js';
import { BEACON_STATUS_KEY, Code, PREIMAGES_STATUS_KEY, type Status } from '../../wire/index.js';
import type { ServeHead } from './backend.js';
import { flowParamsFor } from './capacity.js';
import type { ServePolicy } from './handlers/types.js';

export interface StatusInputs {
  network: NetworkConfig;
  genesisHash: Uint8Array;
  head: ServeHead;
  /** serveChainSince. Default 0. */
  chainSince?: number;
  stateSince: number;
  policy: ServePolicy;
  mrc: MrcTable;
  /** The capacity offered to this client (MRR). */
  capacity: number;
  /** The agreed les version. */
  version: number;
  /** The server relays beacon light-client data (the beacon extension). */
  beacon?: boolean;
}

/**
 * Average cost of one beacon query (a fetch from the beacon node, a few ms), ×2 in the MRC row.
 * The row is always priced (the dispatcher prices a request before it knows it is not served) and
 * announced only with the extension, so other implementations never see the code.
 */
const BEACON_COST = { code: Code.GetBeaconLightClient, baseCost: 0, reqCost: 2_000_000 };

export function withBeaconCost(mrc: MrcTable): MrcTable {
  return mrc.some((r) => r.code === BEACON_COST.code) ? mrc : [...mrc, ...deriveMrcTable([BEACON_COST])];
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
    serveChainSince: i.chainSince ?? 0,
    serveStateSince: i.stateSince,
    txRelay: i.policy.txRelay,
    recentTxLookup: i.policy.recentTxLookup,
    flowControlBL: bl,
    flowControlMRR: mrr,
    flowControlMRC: i.mrc.filter((r) => i.beacon === true || r.code !== Code.GetBeaconLightClient).map((r) => ({ ...r })),
    unknown: [{ key: PREIMAGES_STATUS_KEY, value: Uint8Array.of(1) }],
  };
  if (i.beacon === true) status.unknown.push({ key: BEACON_STATUS_KEY, value: Uint8Array.of(1) });
  if (i.policy.recentState > 0) status.serveRecentState = i.policy.recentState;
  return status;
}
