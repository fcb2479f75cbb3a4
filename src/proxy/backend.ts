/**
 * What the proxy needs from the engine behind it. The LesClient engine is adapted to this
 * (les-backend.ts); tests use stubs. Everything the backend answers is taken as verified: the
 * proxy never forwards a method the backend does not have, except the ones the operator opted in
 * to (`unverified`), and those go to the `upstream` node, never to the backend.
 */

/** A block header as JSON (the `newHeads` subscription shape: 0x-hex fields, no transactions). */
export interface HeadJson {
  hash: string;
  parentHash: string;
  number: string;
  [field: string]: unknown;
}

export interface BackendStatus {
  /** The engine has a trusted head that its servers agree on and is not catching up. */
  synced: boolean;
  head: { number: number; hash: string } | undefined;
  /** LES servers connected now. */
  servers: number;
  /** Why `synced` is false (too few trusted servers, behind, a stale head). */
  reason?: string;
}

/** Per-server figures for /metrics (all optional: publish what is known). */
export interface BackendServerStats {
  /** Node id (hex); the metric label is its first 16 digits. */
  id: string;
  /** Our estimate of the server's flow-control buffer (BLE), in cost units. */
  bufferEstimate?: number;
  /** The server's buffer limit (BL). */
  bufferLimit?: number;
  /** Reliability score in [0, 1]. */
  score?: number;
  /** Moving average of the round trip, ms. */
  rttMs?: number;
  /** Requests of ours open there. */
  inFlight?: number;
}

/** Read at every scrape of /metrics. */
export interface BackendMetrics {
  servers?: readonly BackendServerStats[];
  /** Replies that failed verification since start (all servers, all kinds): a running total. */
  verificationFailures?: number;
}

export type NewHeadListener = (head: HeadJson) => void;

export interface ProxyBackend {
  /**
   * Answers one call with a JSON-ready result, or throws (LespError subclasses are mapped by
   * client/methods/errors.ts). `params` is what the caller sent (usually an array; undefined when
   * absent). `signal` aborts when the caller has gone or the proxy's timeout passed; the backend
   * may ignore it (the answer is then discarded).
   */
  request(method: string, params: unknown, signal?: AbortSignal): Promise<unknown>;
  /** Whether `request` answers this method (verified). */
  has(method: string): boolean;
  status(): BackendStatus;
  on(event: 'newHead', listener: NewHeadListener): unknown;
  off(event: 'newHead', listener: NewHeadListener): unknown;
  /** Optional figures for /metrics. */
  metrics?(): BackendMetrics;
}
