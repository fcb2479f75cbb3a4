/**
 * Where the beacon anchor's light-client data comes from. A source is never trusted: it only
 * carries data the anchor verifies (bootstrap against the checkpoint root, updates against the
 * sync committee). Its failures are BeaconSourceErrors; data it sent that fails a check is a
 * BeaconError from the verifier.
 */
import { LespError } from '../../errors.js';
import {
  type BeaconConfig,
  BeaconError,
  FORK_ORDER,
  type ForkName,
  type LightClientBootstrap,
  type LightClientFinalityUpdate,
  type LightClientKind,
  type LightClientOptimisticUpdate,
  type LightClientUpdate,
  type LightClientValues,
  forkAtSlot,
  fromBeaconJson,
} from '../../verify/beacon/index.js';

export interface BeaconSource {
  /** Named in errors and logs. */
  readonly name: string;
  /** LightClientBootstrap of the block with this root. */
  bootstrap(blockRoot: Uint8Array, signal?: AbortSignal): Promise<LightClientBootstrap>;
  /** The best update of each sync-committee period from `startPeriod`, at most `count`, in period order. */
  updates(startPeriod: number, count: number, signal?: AbortSignal): Promise<LightClientUpdate[]>;
  finalityUpdate(signal?: AbortSignal): Promise<LightClientFinalityUpdate>;
  optimisticUpdate(signal?: AbortSignal): Promise<LightClientOptimisticUpdate>;
}

export type BeaconSourceErrorCode =
  /** No answer: connection refused, timeout, or an HTTP error status. */
  | 'SOURCE_FAILED'
  /** An answer that is not what the API returns (not JSON, wrong shape, a fork that does not fit its slot). */
  | 'BAD_RESPONSE'
  /** An answer longer than the configured bound: not read further. */
  | 'TOO_LARGE'
  /** The source has no such data (HTTP 404: an unknown block root, a period it does not keep). */
  | 'NOT_FOUND';

export class BeaconSourceError extends LespError {
  declare readonly code: BeaconSourceErrorCode;

  constructor(code: BeaconSourceErrorCode, source: string, detail: string, options: { cause?: unknown } = {}) {
    super(code, `${source}: ${detail}`, { field: source, cause: options.cause });
  }
}

/**
 * A beacon-API answer `{version, data}` → the value, as every source reads one (a beacon node's REST
 * body or the same body relayed over LES): the version must name the fork of the data's slot.
 */
export function versionedLightClient<K extends LightClientKind>(
  config: BeaconConfig,
  source: string,
  v: unknown,
  kind: K,
  slotOf: (d: LightClientValues[K]) => bigint,
): LightClientValues[K] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BeaconSourceError('BAD_RESPONSE', source, `${kind}: expected {version, data}`);
  const { version, data } = v as { version?: unknown; data?: unknown };
  if (typeof version !== 'string' || !(FORK_ORDER as readonly string[]).includes(version)) {
    throw new BeaconError('UNSUPPORTED_FORK', 'version', `${kind}: version ${String(version).slice(0, 20)} is not a fork this client knows`);
  }
  const value = fromBeaconJson(config, version as ForkName, kind, data);
  const fork = forkAtSlot(config, slotOf(value)).name;
  if (fork !== version) throw new BeaconSourceError('BAD_RESPONSE', source, `${kind}: version ${version} for a slot of ${fork}`);
  return value;
}
