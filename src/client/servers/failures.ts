/**
 * Why a server could not be used, in one line, and whether retrying can change it. The client's
 * start fails at once when every configured server failed for a lasting reason (another network,
 * another genesis, another node at that address, a peer that is no LES server) and keeps trying
 * through transient ones (refused TCP, timeouts, a full server) until its start timeout; either
 * way the error names each server's last reason.
 */
import { BUILTIN_NETWORKS } from '../../config/network.js';
import { LespError } from '../../errors.js';
import { DialError, HandshakeError, PeerClosedError, disconnectReasonName } from '../../net/index.js';

/** Something the caller may have meant: a client option and the value that would fit the server. */
export interface FailureHint {
  option: 'network';
  value: string;
}

export interface ServerFailure {
  /** host:port of the enode. */
  address: string;
  /** The server's node id, 128 hex digits. */
  id: string;
  /** One line, without the address unless the reason is about it. */
  reason: string;
  /** Retrying cannot change it (as long as neither side is reconfigured). */
  lasting: boolean;
  hint?: FailureHint;
  error: Error;
}

/**
 * Handshake refusals that retrying the same server does not change. A dropped RLPx auth counts
 * once it happened twice in a row (a node restarting at that moment drops one connection too).
 */
const LASTING_HANDSHAKE = new Set(['NETWORK_MISMATCH', 'GENESIS_MISMATCH', 'FORKID_REJECTED', 'MISSING_FORKID', 'NOT_A_SERVER', 'VERSION_MISMATCH', 'BAD_STATUS']);
export const AUTH_DROPS_LASTING = 2;

/** `repeats`: how many times in a row this server failed with the same error code. */
export function describeFailure(error: Error, at: { address: string; id: string }, repeats = 1): ServerFailure {
  const base = { address: at.address, id: at.id, error };
  if (error instanceof HandshakeError) {
    const hint = error.code === 'NETWORK_MISMATCH' ? networkHint(error.remote) : undefined;
    return { ...base, reason: error.message, lasting: LASTING_HANDSHAKE.has(error.code), ...(hint === undefined ? {} : { hint }) };
  }
  if (error instanceof PeerClosedError && error.initiator === 'remote') {
    return { ...base, reason: `refused: ${disconnectReasonName(error.reason)}`, lasting: false };
  }
  if (error instanceof DialError) {
    if (error.code === 'AUTH_DROPPED') return { ...base, reason: error.message, lasting: repeats >= AUTH_DROPS_LASTING };
    const sys = (error.cause as NodeJS.ErrnoException | undefined)?.code;
    if (error.code === 'CONNECT_FAILED' && sys === 'ECONNREFUSED') return { ...base, reason: 'connection refused', lasting: false };
  }
  return { ...base, reason: error.message.replace(/\s*\n\s*/g, ' '), lasting: false };
}

/** The built-in network whose networkId the server has, when it is not ours. */
function networkHint(remote: unknown): FailureHint | undefined {
  if (typeof remote !== 'bigint') return undefined;
  const found = Object.values(BUILTIN_NETWORKS).find((n) => n.networkId === remote);
  return found === undefined ? undefined : { option: 'network', value: found.name };
}

/** How a hint reads to this caller: the library's option, or a CLI flag. */
export type HintWording = (hint: FailureHint) => string;

export const libraryWording: HintWording = (h) => `did you mean ${h.option}: '${h.value}'?`;

/** Each server's last reason, `; `-separated, with its address where the reason does not name it. */
export function failureSummary(failures: readonly ServerFailure[], wording: HintWording = libraryWording): string {
  return failures
    .map((f) => {
      const reason = f.hint === undefined ? f.reason : `${f.reason} (${wording(f.hint)})`;
      return reason.includes(f.address) ? reason : `${f.address}: ${reason}`;
    })
    .join('; ');
}

/**
 * The last failure of each configured server while the client starts: `hopeless()` once every one
 * of them failed for a lasting reason (none can connect without reconfiguring). Only dial
 * failures count: a server that connected and dropped later is no start failure.
 */
export class StartFailures {
  readonly #servers: ReadonlyArray<{ id: string; address: string }>;
  readonly #last = new Map<string, ServerFailure>();
  readonly #repeats = new Map<string, { code: string; n: number }>();

  constructor(servers: ReadonlyArray<{ id: string; address: string }>) {
    this.#servers = servers;
  }

  record(id: string, error: Error): ServerFailure | undefined {
    const at = this.#servers.find((s) => s.id === id);
    if (at === undefined) return undefined;
    const code = (error as { code?: unknown }).code;
    const key = `${error.constructor.name}:${String(code)}`;
    const prev = this.#repeats.get(id);
    const n = prev?.code === key ? prev.n + 1 : 1;
    this.#repeats.set(id, { code: key, n });
    const failure = describeFailure(error, at, n);
    // A lasting reason stays until another lasting one replaces it: the transient failures that
    // follow it are mostly its echo (the remote still holding the connection it refused).
    if (failure.lasting || this.#last.get(id)?.lasting !== true) this.#last.set(id, failure);
    return failure;
  }

  /**
   * A server that completed the handshake and dropped us before the client started (a full server
   * refuses with TooManyPeers just after it): transient, and the reason the start error names.
   */
  recordDrop(id: string, reason: string, refused: boolean): void {
    const at = this.#servers.find((s) => s.id === id);
    if (at === undefined || this.#last.get(id)?.lasting === true) return;
    const why = `${refused ? 'refused' : 'disconnected'}: ${reason}`;
    this.#repeats.delete(id);
    this.#last.set(id, { address: at.address, id, reason: why, lasting: false, error: new LespError('SERVER_DROPPED', why, { field: 'servers' }) });
  }

  hopeless(): boolean {
    return this.#servers.length > 0 && this.#servers.every((s) => this.#last.get(s.id)?.lasting === true);
  }

  /** The last failure of each server that has one, in the configured order. */
  failures(): ServerFailure[] {
    return this.#servers.flatMap((s) => this.#last.get(s.id) ?? []);
  }

  /** What a start error carries as its cause: the one server's error, or all of them. */
  cause(): Error | undefined {
    const all = this.failures();
    if (all.length <= 1) return all[0]?.error;
    return new AggregateError(
      all.map((f) => f.error),
      failureSummary(all),
    );
  }
}
