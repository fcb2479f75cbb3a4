/**
 * The Status a light client sends (LES spec, Status): the network's id and genesis, our current
 * head, the EIP-2124 forkID at that head, and the announce type we want from this server (2,
 * signed, from trusted servers, whose signatures count towards head agreement; 1 otherwise).
 */
import { type NetworkConfig, forkIdAt } from '../../config/network.js';
import { type AnnounceType, type Status } from '../../wire/status.js';

export interface OurHead {
  hash: Uint8Array;
  number: number;
  td: bigint;
  /** Header timestamp, seconds (time-based forks in the forkID). */
  time: number;
}

export function lightClientStatus(network: NetworkConfig, genesisHash: Uint8Array, head: OurHead, announceType: AnnounceType): Status {
  return {
    protocolVersion: 4, // the net layer writes the agreed version
    networkId: network.networkId,
    headTd: head.td,
    headHash: head.hash,
    headNum: head.number,
    genesisHash,
    forkID: forkIdAt(network, genesisHash, head.number, head.time),
    announceType,
    unknown: [],
  };
}
