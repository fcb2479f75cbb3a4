/**
 * What LesClient.status() reports (also behind eth_syncing and the proxy's /health), and why it is
 * or is not synced, under either trust: server agreement or the beacon anchor.
 */
import type { BeaconTrustStatus } from './beacon-trust.js';

/** Whether enough of the configured trusted servers are connected to agree on a head. */
export interface TrustStatus {
  configured: number;
  connected: number;
  /** Votes a head needs (of the configured servers: the connected ones may be fewer). */
  needed: number;
  /** Why no head can be agreed now; undefined while enough trusted servers are connected. */
  stalled?: string;
}

export interface ClientStatus {
  /**
   * A head agreed by the trusted servers is known, enough of them are connected, none of the
   * quorum's heads is ahead of it by more than 2, and it is not older than staleHeadSec.
   */
  synced: boolean;
  head: { number: number; hash: string } | undefined;
  /** LES servers connected now. */
  servers: number;
  trust: TrustStatus;
  /** Seconds since the head's timestamp. */
  headAgeSec?: number;
  /** Why `synced` is false. */
  reason?: string;
  /** In beacon trust mode: the anchor's heads, its sources' faults, its last error. */
  beacon?: BeaconTrustStatus;
}

interface HeadAge {
  head: number;
  headAgeSec: number;
  staleHeadSec: number;
}

const stale = (h: HeadAge): string | undefined =>
  h.staleHeadSec > 0 && h.headAgeSec > h.staleHeadSec ? `the head is ${h.headAgeSec} s old (more than ${h.staleHeadSec} s)` : undefined;

/** Server agreement: why not synced (undefined: synced). */
export function agreementReason(x: HeadAge & { agreed: boolean; stalled: string | undefined; highest: number }): string | undefined {
  if (!x.agreed) return 'no head agreed by the trusted servers yet';
  if (x.stalled !== undefined) return x.stalled;
  if (x.highest - x.head > 2) return `head ${x.head}, trusted servers are at ${x.highest}`;
  return stale(x);
}

/** Beacon trust: why not synced (undefined: synced). */
export function beaconReason(x: HeadAge & { target: number | undefined; fetched: boolean; error: string | undefined }): string | undefined {
  if (x.target === undefined) return 'no beacon heads verified yet';
  if (!x.fetched) return `the beacon chain's block ${x.target} not fetched over LES yet`;
  if (x.error !== undefined) return `beacon heads not updated: ${x.error}`;
  if (x.target - x.head > 2) return `head ${x.head}, the beacon chain's block is ${x.target}`;
  return stale(x);
}
